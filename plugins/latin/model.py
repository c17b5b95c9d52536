"""The networks of the Latin word GAN (after Alonso, Moysset and Messina 2019; cf. ScrabbleGAN).

- ``TextEncoder``: character embedding + bidirectional LSTM; one feature vector per character.
- ``WordGenerator``: each character's feature, joined with the word's latent, becomes a 4 x 2
  patch of a low-resolution map (so the image's width follows the word's length: ``char_width``
  pixels a character at full size); three up-sampling residual blocks whose batch norms are
  conditioned on the latent (conditional batch norm, as in BigGAN/ScrabbleGAN) grow it to
  ``height`` x ``char_width * n`` grey levels in [-1, 1] (ink +1). The latent is a per-document
  style part and a small per-word part; both feed every conditional norm.
- ``Discriminator``: spectrally normalised residual down-sampling blocks, then a sum over
  positions and a linear head: one real/fake score a word (hinge loss). ``PatchDiscriminator``
  (``d_arch="patch"``): strided convolutions, one score a patch. ``CharPatchDiscriminator``
  (``d_arch="char"``): the same, plus a projection onto the character each patch should show.
- ``Recognizer``: a CRNN (convolutions down to one row, a BiLSTM, per-frame character logits) for
  CTC. Its frames are ``char_width / 4`` a character. It learns from real words only; in GAN
  training its CTC loss on generated words flows back into the generator.

Batches may mix word lengths: words are zero-padded and ``lengths`` says how long each is; the
encoder packs the padded sequences, and ``column_mask`` blanks the generated columns past a word's
end. Training batches words of one length (``task.py``), which needs no padding at all.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import spectral_norm


@dataclass(frozen=True)
class NetConfig:
    vocab: int  # characters + 1 (index 0: CTC blank / padding)
    height: int = 32
    char_width: int = 16
    style_dim: int = 64  # shared by every word of a document
    word_dim: int = 16  # per-word variation
    embed_dim: int = 64
    text_dim: int = 128  # BiLSTM output (both directions)
    g_ch: int = 32  # generator width: blocks of 8, 4, 2, 1 x g_ch channels
    d_ch: int = 32  # discriminator width: 1, 2, 4, 4 x d_ch
    r_ch: int = 32  # recognizer width: 1, 2, 4, 4 x r_ch convolutions, then a BiLSTM of 4 x r_ch
    r_hidden: int = 128
    # width classes (``words.width_classes``): characters drawn in half a slot / one and a half.
    # Empty (models before 0.x's stage 8): every character one ``char_width`` slot
    narrow: str = ""
    wide: str = ""

    @property
    def classes(self) -> bool:
        return bool(self.narrow or self.wide)

    def width(self, word: str) -> int:
        """The generated image's width of ``word`` in px."""
        from .words import slot_width

        return slot_width(word, self.narrow, self.wide) if self.classes else \
            self.char_width * len(word)

    @property
    def z_dim(self) -> int:
        return self.style_dim + self.word_dim

    def __post_init__(self) -> None:
        if self.height % 8 or self.char_width % 8:
            raise ValueError("height and char_width must be multiples of 8 (three 2x up-samplings)")
        if self.classes and self.char_width != 16:
            raise ValueError("width classes need char_width 16 (8, 16 and 24 px slots)")


# The base map's columns a character of 1, 2 or 3 half-slots takes from its 3-column patch: a
# normal character its outer two (what a model without classes had), a narrow one the middle one.
_SLOTS = ((), (1,), (0, 2), (0, 1, 2))


def widen_base(weight: torch.Tensor, bias: torch.Tensor, base_h: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A uniform-width model's base layer (2 columns a character) as a width-class one's (3): the
    outer columns keep the old ones, the middle is their mean. Normal characters draw as before."""
    def widen(t: torch.Tensor) -> torch.Tensor:
        rows = t.shape[0] // (base_h * 2)
        v = t.reshape(rows, base_h, 2, *t.shape[1:])
        mid = v.mean(2, keepdim=True)
        return torch.cat([v[:, :, :1], mid, v[:, :, 1:]], dim=2).reshape(rows * base_h * 3,
                                                                       *t.shape[1:])
    return widen(weight), widen(bias)


def column_mask(lengths: torch.Tensor, char_width: int, width: int) -> torch.Tensor:
    """[B, 1, 1, width] bool: True on the columns of each word's own characters (``lengths``
    times ``char_width``; pass widths and 1 for words of other widths)."""
    cols = torch.arange(width, device=lengths.device)
    return (cols[None, :] < (lengths[:, None] * char_width)).view(len(lengths), 1, 1, width)


class TextEncoder(nn.Module):
    def __init__(self, cfg: NetConfig):
        super().__init__()
        self.embed = nn.Embedding(cfg.vocab, cfg.embed_dim, padding_idx=0)
        self.lstm = nn.LSTM(cfg.embed_dim, cfg.text_dim // 2, batch_first=True, bidirectional=True)

    def forward(self, text: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """[B, L] indices, [B] lengths → [B, L, text_dim] (zeros past each word's end)."""
        x = self.embed(text)
        if bool((lengths == text.shape[1]).all()):
            return self.lstm(x)[0]
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths.cpu(), batch_first=True,
                                                   enforce_sorted=False)
        out, _ = self.lstm(packed)
        return nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=text.shape[1])[0]


class CondBatchNorm(nn.Module):
    """Batch norm whose scale and shift come from the latent (per example)."""

    def __init__(self, channels: int, z_dim: int):
        super().__init__()
        self.bn = nn.BatchNorm2d(channels, affine=False)
        self.gain = nn.Linear(z_dim, channels)
        self.bias = nn.Linear(z_dim, channels)
        nn.init.zeros_(self.gain.weight)
        nn.init.ones_(self.gain.bias)
        nn.init.zeros_(self.bias.weight)
        nn.init.zeros_(self.bias.bias)

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        return self.bn(x) * self.gain(z)[:, :, None, None] + self.bias(z)[:, :, None, None]


class UpBlock(nn.Module):
    def __init__(self, cin: int, cout: int, z_dim: int):
        super().__init__()
        self.n1 = CondBatchNorm(cin, z_dim)
        self.c1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.n2 = CondBatchNorm(cout, z_dim)
        self.c2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1)

    def forward(self, x: torch.Tensor, z: torch.Tensor, mask: Callable | None = None) -> torch.Tensor:
        """``mask`` zeroes the columns past each word's end before every 3x3 convolution, so a
        padded word sees the same zero padding there as it does alone."""
        keep = mask or (lambda t: t)
        h = F.interpolate(F.relu(self.n1(x, z)), scale_factor=2, mode="nearest")
        h = self.c2(keep(F.relu(self.n2(self.c1(keep(h)), z))))
        return h + self.skip(F.interpolate(x, scale_factor=2, mode="nearest"))


class WordGenerator(nn.Module):
    def __init__(self, cfg: NetConfig):
        super().__init__()
        self.cfg = cfg
        self.encoder = TextEncoder(cfg)
        c = cfg.g_ch
        self.base_h, self.base_w = cfg.height // 8, cfg.char_width // 8
        if cfg.classes:
            self.base_w = 3
            from .words import CHARSET, char_units

            units = [0] + char_units(CHARSET, cfg.narrow, cfg.wide)  # index 0: padding
            self.register_buffer("units", torch.tensor(units, dtype=torch.long), persistent=False)
            slots = torch.zeros(4, 3, dtype=torch.long)
            for k, cols in enumerate(_SLOTS):
                slots[k, :len(cols)] = torch.tensor(cols, dtype=torch.long)
            self.register_buffer("slots", slots, persistent=False)
        self.base = nn.Linear(cfg.text_dim + cfg.z_dim, 8 * c * self.base_h * self.base_w)
        self.blocks = nn.ModuleList([UpBlock(8 * c, 4 * c, cfg.z_dim), UpBlock(4 * c, 2 * c, cfg.z_dim),
                                     UpBlock(2 * c, c, cfg.z_dim)])
        self.out_bn = nn.BatchNorm2d(c)
        self.out = nn.Conv2d(c, 1, 3, padding=1)

    def forward(self, text: torch.Tensor, lengths: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """[B, L] indices, [B] lengths, [B, z_dim] latents → [B, 1, height, W]: W is
        ``char_width * L`` without width classes, the widest word's ``NetConfig.width`` with them;
        columns past a word's own width are paper (-1)."""
        b, n = text.shape
        feats = self.encoder(text, lengths)  # B, L, T
        h = self.base(torch.cat([feats, z[:, None, :].expand(b, n, z.shape[1])], dim=2))
        c0 = h.shape[2] // (self.base_h * self.base_w)
        if self.cfg.classes:
            h, cols = self._place(h.view(b, n, c0, self.base_h, self.base_w), text)
        else:
            # each character's vector becomes its own base_h x base_w patch, side by side
            h = h.view(b, n, c0, self.base_h, self.base_w).permute(0, 2, 3, 1, 4)
            h = h.reshape(b, c0, self.base_h, n * self.base_w)
            cols = lengths * self.base_w
        full = h.shape[3]
        mask = None
        if not bool((cols == full).all()):
            def mask(t: torch.Tensor) -> torch.Tensor:
                return t * column_mask(cols, t.shape[3] // full, t.shape[3]).to(t.dtype)
        for block in self.blocks:
            h = block(h, z, mask)
        h = F.relu(self.out_bn(h))
        img = torch.tanh(self.out(mask(h) if mask else h))
        if mask is None:
            return img
        keep = column_mask(cols, img.shape[3] // full, img.shape[3])
        return torch.where(keep, img, torch.full_like(img, -1.0))

    def _place(self, h: torch.Tensor, text: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """[B, L, C, base_h, 3] character patches → ([B, C, base_h, widest], [B] columns a word):
        each character's own 1, 2 or 3 columns (``_SLOTS``), side by side."""
        b, n, c0, bh, k = h.shape
        units = self.units[text].reshape(-1)  # B*L (0: padding)
        cols = units.view(b, n).sum(1)
        owner = torch.repeat_interleave(torch.arange(b * n, device=h.device), units)  # per column
        start = torch.cumsum(units, 0) - units
        within = torch.arange(len(owner), device=h.device) - start[owner]
        src = owner * k + self.slots[units[owner], within]
        word = owner // n
        word_start = torch.cumsum(cols, 0) - cols
        col = torch.arange(len(owner), device=h.device) - word_start[word]
        flat = h.permute(0, 1, 4, 2, 3).reshape(b * n * k, c0, bh)
        out = h.new_zeros(b, int(cols.max()), c0, bh).index_put((word, col), flat[src])
        return out.permute(0, 2, 3, 1), cols


class DownBlock(nn.Module):
    def __init__(self, cin: int, cout: int, down: bool, first: bool = False):
        super().__init__()
        self.c1 = spectral_norm(nn.Conv2d(cin, cout, 3, padding=1))
        self.c2 = spectral_norm(nn.Conv2d(cout, cout, 3, padding=1))
        self.skip = spectral_norm(nn.Conv2d(cin, cout, 1))
        self.down, self.first = down, first

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.c2(F.relu(self.c1(x if self.first else F.relu(x))))
        s = self.skip(x)
        if self.down:
            h, s = F.avg_pool2d(h, 2), F.avg_pool2d(s, 2)
        return h + s


class Discriminator(nn.Module):
    def __init__(self, cfg: NetConfig):
        super().__init__()
        c = cfg.d_ch
        self.blocks = nn.Sequential(DownBlock(1, c, True, first=True), DownBlock(c, 2 * c, True),
                                    DownBlock(2 * c, 4 * c, True), DownBlock(4 * c, 4 * c, False))
        self.head = spectral_norm(nn.Linear(4 * c, 1))

    def forward(self, img: torch.Tensor, widths: torch.Tensor | None = None) -> torch.Tensor:
        """[B, 1, H, W] → [B] scores; with ``widths`` (px), padded columns are left out."""
        h = F.relu(self.blocks(img))
        if widths is not None:
            h = h * column_mask(widths // 8, 1, h.shape[3]).to(h.dtype)
        # summed over positions, as BigGAN's and ScrabbleGAN's discriminators do: a mean divides
        # the real/fake signal by the number of positions, and under spectral norm the first
        # runs' discriminator could then not move its score at all (hinge loss stuck at 2.0)
        return self.head(h.sum((2, 3))).squeeze(1)


class PatchDiscriminator(nn.Module):
    """A PatchGAN-style critic (pix2pix): strided 4x4 convolutions with leaky ReLUs, spectrally
    normalised, one real/fake score for each patch of about 22 x 22 px (8 x 8 px apart): [B, 1,
    H, W] → [B, H/4 * W/4] scores, the hinge loss taken per patch. Trained afresh to tell real
    words from the same words blurred, the residual ``Discriminator`` separated 50-67 % of
    patches after 45 steps, this net (d_ch 16) 76 % after 30 (88 % without spectral norm). Inside
    GAN training from stage 8 its hinge loss still stayed at 2.00 for 200 steps."""

    def __init__(self, cfg: NetConfig):
        super().__init__()
        c = cfg.d_ch
        self.net = nn.Sequential(
            spectral_norm(nn.Conv2d(1, 2 * c, 3, 1, 1)), nn.LeakyReLU(0.2),
            spectral_norm(nn.Conv2d(2 * c, 4 * c, 4, 2, 1)), nn.LeakyReLU(0.2),
            spectral_norm(nn.Conv2d(4 * c, 4 * c, 4, 2, 1)), nn.LeakyReLU(0.2),
            spectral_norm(nn.Conv2d(4 * c, 1, 3, 1, 1)))

    def forward(self, img: torch.Tensor, widths: torch.Tensor | None = None) -> torch.Tensor:
        """[B, 1, H, W] → [B, patches]; with ``widths`` (px), patches past a word score 0."""
        out = self.net(img)
        if widths is not None:
            out = out * column_mask(torch.div(widths, 4, rounding_mode="floor"), 1,
                                    out.shape[3]).to(out.dtype)
        return out.flatten(1)


class CharPatchDiscriminator(nn.Module):
    """A critic that knows which character each patch should show (``d_arch="char"``): the patch
    critic's trunk (strided convolutions down to H/4 x W/4), and each patch's score is an
    unconditional term plus a projection (Miyato and Koyama 2018) of its features onto an
    embedding of the character whose slot holds that column. An unconditional critic cannot
    object to a ``j`` drawn like a real ``ş``; this one scores a patch against the shapes real
    words give *that* character. Needs width classes or uniform slots (``NetConfig.width``):
    [B, 1, H, W], [B, L] text → [B, H/4 * W/4] scores."""

    def __init__(self, cfg: NetConfig):
        super().__init__()
        c = cfg.d_ch
        self.cfg = cfg
        self.trunk = nn.Sequential(
            spectral_norm(nn.Conv2d(1, 2 * c, 3, 1, 1)), nn.LeakyReLU(0.2),
            spectral_norm(nn.Conv2d(2 * c, 4 * c, 4, 2, 1)), nn.LeakyReLU(0.2),
            spectral_norm(nn.Conv2d(4 * c, 4 * c, 4, 2, 1)), nn.LeakyReLU(0.2),
            spectral_norm(nn.Conv2d(4 * c, 4 * c, 3, 1, 1)), nn.LeakyReLU(0.2))
        self.head = spectral_norm(nn.Conv2d(4 * c, 1, 1))
        self.embed = spectral_norm(nn.Embedding(cfg.vocab, 4 * c))
        if cfg.classes:
            from .words import CHARSET, char_units

            units = [0] + char_units(CHARSET, cfg.narrow, cfg.wide)
        else:
            units = [0] + [2] * (cfg.vocab - 1)
        self.register_buffer("units", torch.tensor(units, dtype=torch.long), persistent=False)

    def columns(self, text: torch.Tensor, width: int) -> torch.Tensor:
        """[B, L] text → [B, width] the character index owning each column at 1/4 resolution
        (0 past a word's end). A half-slot (8 px) is 2 columns."""
        cols = self.units[text] * (self.cfg.char_width // 8)  # B, L
        out = text.new_zeros(text.shape[0], width)
        for b in range(text.shape[0]):  # a few dozen words a batch
            row = torch.repeat_interleave(text[b], cols[b])[:width]
            out[b, :len(row)] = row
        return out

    def forward(self, img: torch.Tensor, text: torch.Tensor) -> torch.Tensor:
        h = self.trunk(img)  # B, C, H/4, W/4
        chars = self.columns(text, h.shape[3])
        e = self.embed(chars).permute(0, 2, 1)[:, :, None, :]  # B, C, 1, W/4
        out = self.head(h) + (h * e).sum(1, keepdim=True)
        out = out * (chars > 0)[:, None, None, :].to(out.dtype)
        return out.flatten(1)


class Recognizer(nn.Module):
    """CRNN: [B, 1, H, W] → [W/4, B, vocab] log-probabilities (CTC's time-major layout)."""

    def __init__(self, cfg: NetConfig):
        super().__init__()
        c = cfg.r_ch

        def conv(cin, cout):
            return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(True)]

        self.features = nn.Sequential(
            *conv(1, c), nn.MaxPool2d(2),  # H/2, W/2
            *conv(c, 2 * c), nn.MaxPool2d(2),  # H/4, W/4
            *conv(2 * c, 4 * c), *conv(4 * c, 4 * c), nn.MaxPool2d((2, 1)),  # H/8
            *conv(4 * c, 4 * c), nn.MaxPool2d((2, 1)),  # H/16
        )
        rows = cfg.height // 16
        self.collapse = nn.Conv2d(4 * c, 4 * c, (rows, 1))
        self.lstm = nn.LSTM(4 * c, cfg.r_hidden, batch_first=True, bidirectional=True)
        self.head = nn.Linear(2 * cfg.r_hidden, cfg.vocab)

    def forward(self, img: torch.Tensor) -> torch.Tensor:
        return self.read(img)[0]

    def read(self, img: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(log-probabilities [W/4, B, vocab], the convolutional features pooled along the word
        [B, C]: the space evaluation measures diversity and FID in)."""
        maps = F.relu(self.collapse(self.features(img))).squeeze(2)  # B, C, W/4
        h, _ = self.lstm(maps.transpose(1, 2))
        return F.log_softmax(self.head(h).float(), dim=2).transpose(0, 1), maps.mean(2)

    @staticmethod
    def frames(lengths_px: torch.Tensor) -> torch.Tensor:
        return lengths_px // 4


def ctc_loss(log_probs: torch.Tensor, text: torch.Tensor, lengths: torch.Tensor,
             frames: torch.Tensor) -> torch.Tensor:
    """Mean CTC loss per character of [T, B, V] log-probabilities for zero-padded ``text``."""
    targets = text[text > 0] if text.shape[1] else text.flatten()
    loss = F.ctc_loss(log_probs, targets, frames, lengths, blank=0, reduction="sum",
                      zero_infinity=True)
    return loss / lengths.sum().clamp(min=1)


def greedy_decode(log_probs: torch.Tensor, frames: torch.Tensor | None = None) -> list[list[int]]:
    """Best path: the most likely class per frame, repeats merged, blanks dropped."""
    best = log_probs.argmax(2).transpose(0, 1).tolist()  # B, T
    out = []
    for i, path in enumerate(best):
        if frames is not None:
            path = path[:int(frames[i])]
        seq, prev = [], 0
        for k in path:
            if k != prev and k != 0:
                seq.append(k)
            prev = k
        out.append(seq)
    return out


def jitter_words(img: torch.Tensor, strength: float, generator: torch.Generator | None = None
                 ) -> torch.Tensor:
    """Differentiable random distortion of word images [B, 1, H, W] in [-1, 1] (ink +1) for the
    recognizer: each word is scaled (±10 %), sheared (±0.25), rotated (±2°) and shifted (±2 px
    up or down, ±1 px along), and its strokes are thickened or thinned by up to half a pixel,
    all times ``strength`` (0: ``img`` itself). Paper stays paper (-1) wherever the warp reads
    outside the word. Run on generated words before the recognizer judges them, it makes the
    generator write letters that read whatever the small distortion (the expectation over
    transformations), not shapes only the one recognizer accepts; run on real ones, it keeps
    the recognizer reading the same distortions."""
    if strength <= 0:
        return img
    b, _, h, w = img.shape
    dev, dt = img.device, img.dtype

    def u(*shape):  # uniform in [-strength, strength]
        r = torch.rand(*shape, generator=generator) if generator is not None else torch.rand(*shape)
        return ((2 * r - 1) * strength).to(device=dev, dtype=dt)

    scale = 1 + 0.1 * u(b)
    shear = 0.25 * u(b)
    angle = math.radians(2.0) * u(b)
    ty = (2.0 / h) * 2 * u(b)
    tx = (2.0 / w) * u(b)
    aspect = w / h  # grid coordinates are normalised per axis: rotate in pixels
    cos, sin = torch.cos(angle), torch.sin(angle)
    theta = torch.zeros(b, 2, 3, device=dev, dtype=dt)
    theta[:, 0, 0] = cos / scale
    theta[:, 0, 1] = (-sin / aspect + shear / aspect) / scale
    theta[:, 1, 0] = sin * aspect / scale
    theta[:, 1, 1] = cos / scale
    theta[:, 0, 2] = tx
    theta[:, 1, 2] = ty
    grid = F.affine_grid(theta, (b, 1, h, w), align_corners=False)
    alpha = F.grid_sample((img + 1) / 2, grid, mode="bilinear", padding_mode="zeros",
                          align_corners=False)
    weight = u(b, 1, 1, 1) / 2  # < 0 thins, > 0 thickens
    grown = F.max_pool2d(alpha, 3, 1, 1)
    shrunk = -F.max_pool2d(-alpha, 3, 1, 1)
    alpha = alpha + weight.clamp(min=0) * (grown - alpha) + weight.clamp(max=0).neg() * (shrunk - alpha)
    return alpha * 2 - 1

"""The glyph styler's networks: a U-Net generator with a style embedding at the bottleneck, a
patch discriminator with a style-classifier head (zi2zi), and a small font classifier for eval.

Images are 1-channel, ``image_size`` px square, in [-1, 1] with ink at +1 (``alpha * 2 - 1``).
The U-Net halves the size ``log2(image_size)`` times down to 1x1; the style vector is
concatenated there. Decoder dropout is the source of variation: during training it draws from
torch's global RNG; at inference the caller passes per-glyph masks drawn from a seeded generator,
so the same character twice on a page differs while the same seed gives the same page.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any, Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class ModelConfig:
    """The architecture: everything needed to rebuild the modules from config.json."""

    image_size: int = 64
    ngf: int = 32  # generator width at the first level
    ndf: int = 32  # discriminator width
    max_mult: int = 8  # channel cap: ngf * max_mult
    embed_dim: int = 128  # style embedding size
    n_styles: int = 1
    dropout: float = 0.5
    dropout_layers: int = 3  # the first decoder levels (nearest the bottleneck) that drop out
    upsample: str = "deconv"  # deconv: ConvTranspose2d 4x4/2; subpixel: conv 3x3 → pixel shuffle
    final_upsample: str = "subpixel"  # the last (1-channel, full-size) level
    # each decoder level but the last scaled and shifted per channel by the style vector after its
    # norm (FiLM), so the style reaches the levels the encoder's skips feed, not only the
    # bottleneck; zero-initialised, so a model without it starts out drawing as it did
    style_film: bool = False

    @property
    def levels(self) -> int:
        return int(round(math.log2(self.image_size)))

    def __post_init__(self) -> None:
        if self.image_size < 8 or 2 ** self.levels != self.image_size:
            raise ValueError(f"image_size must be a power of two >= 8, got {self.image_size}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "ModelConfig":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


# A channel slice of a channels-last gradient (what torch.cat's backward hands each input) is
# dense in no memory format, and oneDNN's BatchNorm and LeakyReLU backward take a slow strided
# path for it (BatchNorm 64x32x32x32: 200 ms against 13 ms dense on one core). Copying each
# slice once is cheap and leaves every value as it was. False: the plain torch.cat (benchmarks).
DENSE_GRADS = True


def cat_channels(xs: Sequence[torch.Tensor]) -> torch.Tensor:
    """torch.cat on dim 1 whose backward gives channels-last inputs dense channels-last gradients."""
    if DENSE_GRADS and torch.is_grad_enabled():
        for x in xs:
            if x.requires_grad and x.dim() == 4 and x.is_contiguous(memory_format=torch.channels_last):
                x.register_hook(_dense_channels_last)
    return torch.cat(list(xs), 1)


def _dense_channels_last(grad: torch.Tensor) -> torch.Tensor:
    return grad.contiguous(memory_format=torch.channels_last)


def _channels(cfg: ModelConfig) -> list[int]:
    """Encoder output channels per level (level 0 is the first, at half resolution)."""
    return [cfg.ngf * min(2 ** i, cfg.max_mult) for i in range(cfg.levels)]


class Encoder(nn.Module):
    """Strided 4x4 convolutions: LeakyReLU → conv → BatchNorm (pix2pix order)."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        chans = _channels(cfg)
        self.convs = nn.ModuleList()
        self.norms = nn.ModuleList()
        cin = 1
        for i, c in enumerate(chans):
            self.convs.append(nn.Conv2d(cin, c, 4, 2, 1, bias=i == 0))
            # no norm on the first level, nor at 1x1 (batch statistics of single pixels are noise)
            self.norms.append(nn.Identity() if i == 0 or i == len(chans) - 1 else nn.BatchNorm2d(c))
            cin = c

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        feats = []
        for i, (conv, norm) in enumerate(zip(self.convs, self.norms)):
            x = norm(conv(x if i == 0 else F.leaky_relu(x, 0.2)))
            feats.append(x)
        return feats  # feats[-1] is the 1x1 bottleneck


class _SubPixel(nn.Module):
    """2x upsampling as a 3x3 convolution to 4x the channels and a pixel shuffle (ESPCN): on CPU
    oneDNN runs it several times faster than ConvTranspose2d at these small shapes."""

    def __init__(self, cin: int, cout: int, bias: bool):
        super().__init__()
        self.conv = nn.Conv2d(cin, 4 * cout, 3, 1, 1, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.pixel_shuffle(self.conv(x), 2)


def _upsampler(kind: str, cin: int, cout: int, bias: bool) -> nn.Module:
    if kind == "deconv":
        return nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=bias)
    if kind == "subpixel":
        return _SubPixel(cin, cout, bias)
    raise ValueError(f"upsample must be deconv or subpixel, got {kind!r}")


class Decoder(nn.Module):
    """Transposed 4x4 convolutions with skips: ReLU → deconv → BatchNorm → dropout."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        chans = _channels(cfg)
        self.dropout = cfg.dropout
        self.dropout_layers = cfg.dropout_layers
        self.deconvs = nn.ModuleList()
        self.norms = nn.ModuleList()
        self.films = nn.ModuleList() if cfg.style_film else None
        n = len(chans)
        cin = chans[-1] + cfg.embed_dim
        for j in range(n):
            last = j == n - 1
            cout = 1 if last else chans[n - 2 - j]
            kind = cfg.final_upsample if last else cfg.upsample
            self.deconvs.append(_upsampler(kind, cin, cout, bias=last))
            self.norms.append(nn.Identity() if last else nn.BatchNorm2d(cout))
            if not last:
                cin = cout * 2  # concatenated with the encoder feature of the same size
                if self.films is not None:
                    film = nn.Linear(cfg.embed_dim, 2 * cout)
                    nn.init.zeros_(film.weight)
                    nn.init.zeros_(film.bias)
                    self.films.append(film)

    def mask_shapes(self, cfg: ModelConfig) -> list[tuple[int, int, int]]:
        """(C, H, W) of each dropout mask, nearest the bottleneck first."""
        chans = _channels(cfg)
        n = len(chans)
        return [(chans[n - 2 - j], 2 ** (j + 1), 2 ** (j + 1))
                for j in range(min(self.dropout_layers, n - 1))]

    def forward(self, feats: list[torch.Tensor], style: torch.Tensor,
                masks: Sequence[torch.Tensor] | None) -> torch.Tensor:
        n = len(self.deconvs)
        x = cat_channels([feats[-1], style.to(feats[-1].dtype)[:, :, None, None]])
        for j, (deconv, norm) in enumerate(zip(self.deconvs, self.norms)):
            x = norm(deconv(F.relu(x)))
            if j < n - 1:
                if self.films is not None:
                    scale, shift = self.films[j](style.to(x.dtype))[:, :, None, None].chunk(2, 1)
                    x = x * (1 + scale) + shift
                if j < self.dropout_layers and self.dropout > 0:
                    if masks is not None:
                        x = x * masks[j].to(x.dtype)
                    elif self.training:
                        x = F.dropout(x, self.dropout, training=True)
                x = cat_channels([x, feats[n - 2 - j]])
        return torch.tanh(x)


class GlyphUNet(nn.Module):
    """Source glyph + style vector → styled glyph. ``styles`` holds one learned row per style."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.encoder = Encoder(cfg)
        self.decoder = Decoder(cfg)
        self.styles = nn.Embedding(cfg.n_styles, cfg.embed_dim)
        nn.init.normal_(self.styles.weight, 0.0, 1.0)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The bottleneck embedding (N, C): what the constant loss compares."""
        return self.encoder(x)[-1].flatten(1)

    def forward(self, x: torch.Tensor, style: torch.Tensor,
                masks: Sequence[torch.Tensor] | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """``style``: style ids (N,) or style vectors (N, embed_dim). Returns (image, bottleneck)."""
        if style.dtype in (torch.int64, torch.int32):
            style = self.styles(style)
        feats = self.encoder(x)
        return self.decoder(feats, style, masks), feats[-1].flatten(1)

    def dropout_masks(self, n: int, seed: int, variation: float = 1.0,
                      device: str | torch.device = "cpu") -> list[torch.Tensor] | None:
        """Inference dropout masks for ``n`` glyphs drawn from one generator seeded with ``seed``,
        scaled like F.dropout (so the same seed gives the same masks, and every glyph its own).

        ``variation`` blends from no dropout (0: the deterministic mean glyph) to training-like
        dropout (1).
        """
        p = self.cfg.dropout
        if p <= 0 or variation <= 0:
            return None
        g = torch.Generator().manual_seed(int(seed) & 0x7FFF_FFFF_FFFF_FFFF)
        masks = [(torch.rand((n, *shape), generator=g) >= p).float() / (1.0 - p)
                 for shape in self.decoder.mask_shapes(self.cfg)]
        if variation != 1.0:
            masks = [1.0 + variation * (m - 1.0) for m in masks]
        return [m.to(device) for m in masks]


class Discriminator(nn.Module):
    """(source, glyph) pairs → patch real/fake logits (N, 1, S/8, S/8) and style logits (N, n_styles)."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        d = cfg.ndf
        self.body = nn.Sequential(
            nn.Conv2d(2, d, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(d, 2 * d, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * d), nn.LeakyReLU(0.2),
            nn.Conv2d(2 * d, 4 * d, 4, 2, 1, bias=False), nn.BatchNorm2d(4 * d), nn.LeakyReLU(0.2),
            nn.Conv2d(4 * d, 8 * d, 3, 1, 1, bias=False), nn.BatchNorm2d(8 * d), nn.LeakyReLU(0.2),
        )
        self.patch = nn.Conv2d(8 * d, 1, 3, 1, 1)
        self.category = nn.Linear(8 * d, cfg.n_styles)

    def forward(self, source: torch.Tensor, glyph: torch.Tensor, features: bool = False):
        """(patch logits, style logits); with ``features``, also each level's activations
        (what the feature-matching loss compares; the last one feeds the style head)."""
        h = cat_channels([source, glyph])
        feats = []
        for layer in self.body:
            h = layer(h)
            if features and isinstance(layer, nn.LeakyReLU):
                feats.append(h)
        out = self.patch(h), self.category(h.mean((2, 3)))
        return (*out, feats) if features else out


class FontClassifier(nn.Module):
    """A small CNN naming the font of a glyph image; trained on real glyphs only (evaluation)."""

    def __init__(self, n_fonts: int, width: int = 32):
        super().__init__()
        w = width
        self.body = nn.Sequential(
            nn.Conv2d(1, w, 3, 2, 1), nn.BatchNorm2d(w), nn.ReLU(),
            nn.Conv2d(w, 2 * w, 3, 2, 1), nn.BatchNorm2d(2 * w), nn.ReLU(),
            nn.Conv2d(2 * w, 4 * w, 3, 2, 1), nn.BatchNorm2d(4 * w), nn.ReLU(),
            nn.Conv2d(4 * w, 4 * w, 3, 1, 1), nn.BatchNorm2d(4 * w), nn.ReLU(),
        )
        self.head = nn.Linear(4 * w, n_fonts)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x).mean((2, 3)))


def to_model(alpha: torch.Tensor) -> torch.Tensor:
    """uint8 (0..255) or float alpha (0..1) images (N, S, S) → model input (N, 1, S, S) in [-1, 1]."""
    if alpha.dtype == torch.uint8:
        alpha = alpha.float() / 255.0
    return (alpha * 2.0 - 1.0).unsqueeze(1)


def to_alpha(x: torch.Tensor) -> torch.Tensor:
    """Model output (N, 1, S, S) in [-1, 1] → float alpha (N, S, S) in [0, 1]."""
    return ((x.float().squeeze(1) + 1.0) * 0.5).clamp_(0.0, 1.0)

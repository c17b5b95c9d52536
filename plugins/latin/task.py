"""Training the Latin word GAN: recognizer pre-training, then the GAN with a balanced CTC loss.

One ``hwrender train latin`` run has two phases, both resumable through the generic loop:

1. **Recognizer** (the first ``r_steps`` steps): the CRNN learns to read real (training) word
   images with CTC. It never learns from a generated word; with ``r_online`` (default) it goes on
   learning from each GAN step's real batch.
2. **GAN**: each step (a) trains the discriminator with the hinge loss on real words against
   words the generator writes for the same texts, then (b) trains the generator on the
   discriminator's score plus the frozen recognizer's CTC loss on its words. The two gradients
   are balanced as Alonso et al. (2019) do: at the generated image, the CTC gradient is rescaled
   to ``ctc_ratio`` times the adversarial gradient's standard deviation, so neither drowns the
   other whatever their raw scales. Half of each fake batch repeats the other half's texts
   with other latents, and a mode-seeking term (MSGAN) pushes such pairs apart, balanced the
   same way, so that ``--style`` changes the hand.

Words are batched by width (``batches``): every batch is one width, so nothing is padded.
The exported model holds the generator's EMA (float16) and the recognizer.
"""

from __future__ import annotations

import copy
import math
import string
from dataclasses import asdict
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import torch
import torch.nn.functional as F

from hwrender.errors import UsageError
from hwrender.train import RunContext, TrainTask, apply_overrides, check_ranges
from hwrender.train.ema import update_ema
from hwrender.train.metrics import levenshtein

from . import words as W
from .config import CHOICES, LatinConfig
from .model import (CharPatchDiscriminator, Discriminator, NetConfig, PatchDiscriminator,
                    Recognizer, WordGenerator, ctc_loss, greedy_decode, jitter_words, widen_base)

MODEL_NAME = "latin"
GRID_WORDS = ("hello", "World", "quick", "brown,", "jumps", "Zürich", "1984", "lazy.")
GRID_STYLES = 4
INK_WORDS = 512  # training words drawn to fit the exported ink curve
INK_CAP_WORDS = 96  # training words a hand writes to measure its ink (the exported ink cap)


def net_config(cfg: LatinConfig, vocab: int) -> NetConfig:
    """The networks' sizes for ``cfg`` (``variant=tiny``: the smallest that trains, for tests)."""
    narrow, wide = W.width_classes() if cfg.widths == "classes" else ("", "")
    if cfg.variant == "tiny":
        return NetConfig(vocab, style_dim=8, word_dim=4, embed_dim=8, text_dim=8, g_ch=4,
                         d_ch=4, r_ch=4, r_hidden=8, narrow=narrow, wide=wide)
    return NetConfig(vocab, W.HEIGHT, W.CHAR_WIDTH, cfg.style_dim, cfg.word_dim,
                     g_ch=cfg.g_ch, d_ch=cfg.d_ch, r_ch=cfg.r_ch, r_hidden=cfg.r_hidden,
                     narrow=narrow, wide=wide)


def build_task(options: list[str]) -> "LatinTask":
    config = apply_overrides(LatinConfig(), options)
    for key, allowed in CHOICES.items():
        if getattr(config, key) not in allowed:
            ways = [f"{key}={value}" for value in allowed]
            raise UsageError(f"unknown {key} {getattr(config, key)!r}",
                             f"use {', '.join(ways[:-1])} or {ways[-1]}")
    check_ranges(config, {
        **{k: (1, None, "[]") for k in ("g_ch", "d_ch", "r_ch", "r_hidden", "style_dim", "word_dim", "per_font")},
        **{k: (0, None, "(]") for k in ("lr_r", "lr_g", "lr_d")},
        "beta1": (0, 1, "[)"), "ema": (0, 1, "[)"), "token_share": (0, 1, "[]")})
    if not (config.caps_weight > 0 and math.isfinite(config.caps_weight)):
        raise UsageError(f"caps_weight must be a positive number, got {config.caps_weight}",
                         "use caps_weight=1 to draw every word alike, 3 to draw capital words 3x as often")
    return LatinTask(config)


def to_model(u8: np.ndarray | torch.Tensor) -> torch.Tensor:
    """uint8 [B, H, W] (ink 255) → float [B, 1, H, W] in [-1, 1] (ink +1)."""
    t = torch.as_tensor(u8)
    return t.float().div_(127.5).sub_(1.0).unsqueeze(1)


class LatinTask(TrainTask):
    name = MODEL_NAME
    stateful = ("G", "D", "R", "G_ema", "opt_g", "opt_d", "opt_r", "g_norm")

    def __init__(self, config: LatinConfig, data: Any = None):
        self.config = config
        self._given = data  # a words.WordData (tests and benchmarks pass one)

    # -- setup ----------------------------------------------------------------------------
    def setup(self, ctx: RunContext) -> None:
        cfg = self.config
        if cfg.fresh_recognizer and not ctx.finetune and not ctx.resume:
            # a resumed --finetune run may be continued without --finetune: its checkpoint holds all
            raise UsageError("fresh_recognizer=true only changes a --finetune run (a new run's "
                             "recognizer starts fresh anyway)",
                             "add --finetune MODEL, or drop --set fresh_recognizer=true")
        self.device = torch.device(ctx.device)
        self.cpu = self.device.type == "cpu"
        if self._given is not None:
            self.data = self._given
        else:
            from .dataset import training_set

            self.data, _ = training_set(ctx.data, cfg.per_font, cfg.data_seed, log=ctx.log,
                                        augment=cfg.augment, token_share=cfg.token_share)
        if not len(self.data):
            raise UsageError("the training data holds no words", "check --data")
        self.lengths = torch.from_numpy(self.data.lengths().astype(np.int64))
        self.weights = sampling_weights(self.data.texts, cfg.rare_target, cfg.rare_cap, cfg.caps_weight)
        self.net_config = net_config(cfg, len(W.CHARSET) + 1)
        # each word's generated width (px); batches hold words of one width
        self.widths = torch.tensor([self.net_config.width(t) for t in self.data.texts],
                                   dtype=torch.long)
        self.G = self._place(WordGenerator(self.net_config))
        critic = {"patch": PatchDiscriminator, "char": CharPatchDiscriminator}.get(
            cfg.d_arch, Discriminator)
        self.D = self._place(critic(self.net_config))
        self.R = self._place(Recognizer(self.net_config))
        if ctx.finetune:
            self._load_pretrained(ctx.finetune)
        self.G_ema = copy.deepcopy(self.G).eval().requires_grad_(False)
        betas = (cfg.beta1, 0.999)
        self.opt_g = torch.optim.Adam(self.G.parameters(), cfg.lr_g, betas=betas)
        self.opt_d = torch.optim.Adam(self.D.parameters(), cfg.lr_d, betas=betas)
        self.opt_r = torch.optim.Adam(self.R.parameters(), cfg.lr_r)
        ratio = self.data.natural_widths / self.widths.numpy()
        self.width_ratio = float(np.median(ratio))
        g = torch.Generator().manual_seed(4321)
        self._grid_z = torch.randn(GRID_STYLES, self.net_config.z_dim, generator=g)
        self.provenance = dict(self.data.meta)
        self.g_norm: float | None = None  # running mean of G's gradient norm (g_clip)
        ctx.log(f"{len(self.data)} training words from {len(self.data.fonts)} sources; "
                f"recognizer first for {cfg.r_steps} steps, then the GAN")

    def _place(self, module: torch.nn.Module) -> torch.nn.Module:
        module = module.to(self.device)
        return module.to(memory_format=torch.channels_last) if self.cpu else module

    def _load_pretrained(self, source: str) -> None:
        from .generator import load_model_files

        files = load_model_files(source)
        state = files.load_state_dict()
        parts = [("generator.", self.G), ("discriminator.", self.D)]
        if not self.config.fresh_recognizer:
            parts.append(("recognizer.", self.R))
        for prefix, module in parts:
            part = {k[len(prefix):]: v.float() for k, v in state.items() if k.startswith(prefix)}
            if prefix == "generator." and part and self.net_config.classes \
                    and part["base.weight"].shape != module.base.weight.shape:
                # a uniform-width model fine-tuned into width classes
                part["base.weight"], part["base.bias"] = widen_base(
                    part["base.weight"], part["base.bias"], module.base_h)
            if part:
                module.load_state_dict(part, strict=True)

    def num_examples(self) -> int:
        return len(self.data)

    def batches(self, epoch: int, generator: torch.Generator, batch_size: int) -> list[torch.Tensor]:
        """Words of one width per batch (``NetConfig.width``: their length without width classes);
        the batches of all widths in a shuffled order. With
        ``rare_target`` or ``caps_weight`` the epoch's words are drawn (with replacement) by
        ``sampling_weights``."""
        n = len(self.lengths)
        if self.weights is None:
            perm = torch.randperm(n, generator=generator)
        else:
            perm = torch.multinomial(self.weights, n, replacement=True, generator=generator)
        by_len: dict[int, list[torch.Tensor]] = {}
        lens = self.widths[perm]
        for n in torch.unique(lens).tolist():
            idx = perm[lens == n]
            chunks = [idx[i:i + batch_size] for i in range(0, len(idx), batch_size)]
            if len(chunks) > 1 and len(chunks[-1]) < batch_size // 2:
                chunks.pop()  # a small remainder: no batch-norm batch of 1
            by_len[n] = chunks
        out = [c for chunks in by_len.values() for c in chunks]
        order = torch.randperm(len(out), generator=generator)
        return [out[i] for i in order.tolist()]

    # -- one step -------------------------------------------------------------------------
    def _batch(self, batch: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        idx = batch.tolist()
        width = int(self.widths[idx[0]])
        if all(self.data.offsets[i + 1] - self.data.offsets[i] == width for i in idx):
            x = to_model(self.data.batch(idx))
        else:  # width classes: each real word resized from the canonical width to its own
            x = torch.cat([F.interpolate(to_model(self.data.image(i)[None]), size=(W.HEIGHT, width),
                                         mode="bilinear", align_corners=False, antialias=True)
                           for i in idx])
        x = x.to(self.device)
        if self.cpu:
            x = x.contiguous(memory_format=torch.channels_last)
        text, lengths = W.encode([self.data.texts[i] for i in idx])
        return x, text.to(self.device), lengths.to(self.device)

    def train_step(self, batch: torch.Tensor, step: int) -> dict[str, float]:
        x, text, lengths = self._batch(batch)
        if step < self.config.r_steps:
            return self._recognizer_step(x, text, lengths)
        return self._gan_step(x, text, lengths, step)

    def _recognizer_step(self, x, text, lengths) -> dict[str, float]:
        self.R.train()
        log_probs = self.R(jitter_words(x, self.config.r_jitter))
        frames = torch.full((len(x),), log_probs.shape[0], dtype=torch.long, device=self.device)
        loss = ctc_loss(log_probs, text, lengths, frames)
        self.opt_r.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_r.step()
        return {"r_ctc": loss.item(), "r_cer": _cer(log_probs, text, lengths)}

    def _gan_step(self, x, text, lengths, step: int) -> dict[str, float]:
        cfg = self.config
        out = {}
        if cfg.r_online:  # real words only, before the recognizer judges the fakes
            self.R.requires_grad_(True)
            out.update(self._recognizer_step(x, text, lengths))
        self.R.eval().requires_grad_(False)
        n = len(x)
        real_text = text
        half = n // 2 if cfg.diversity_ratio > 0 else 0
        if half:  # the second half writes the first half's texts again, with other latents
            order = torch.cat([torch.arange(n - half), torch.arange(half)]).to(self.device)
            text, lengths = text[order], lengths[order]
        z = torch.randn(n, self.net_config.z_dim, device=self.device)
        # (a) discriminator, hinge loss
        fake = self.G(text, lengths, z)
        d_real = self._critic(x, real_text)
        d_fake = self._critic(fake.detach(), text)
        d_loss = F.relu(1.0 - d_real).mean() + F.relu(1.0 + d_fake).mean()
        self.opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        self.opt_d.step()
        # (b) generator: adversarial + CTC (+ mode seeking), balanced at the image
        self.D.requires_grad_(False)
        g_adv = -self._critic(fake, text).mean()
        log_probs = self.R(jitter_words(fake, cfg.r_jitter))
        frames = torch.full((n,), log_probs.shape[0], dtype=torch.long, device=self.device)
        ctc = ctc_loss(log_probs, text, lengths, frames)
        grad_adv = torch.autograd.grad(g_adv, fake, retain_graph=True)[0]
        spread = grad_adv.std()
        grad_ctc = torch.autograd.grad(ctc, fake, retain_graph=True)[0]
        scale = cfg.ctc_ratio * spread / grad_ctc.std().clamp(min=1e-12)
        grad = grad_adv + scale * grad_ctc
        if half:
            a, b = fake[:half], fake[n - half:]
            ratio = (a - b).abs().mean() / (z[:half] - z[n - half:]).abs().mean()
            ms = 1.0 / (ratio + 1e-5)
            grad_ms = torch.autograd.grad(ms, fake, retain_graph=True)[0]
            grad = grad + cfg.diversity_ratio * spread / grad_ms.std().clamp(min=1e-12) * grad_ms
            out["pair_l1"] = (a - b).abs().mean().item()
        self.opt_g.zero_grad(set_to_none=True)
        fake.backward(grad)
        if cfg.g_clip > 0:
            out["g_norm"] = self._clip_generator(cfg.g_clip)
        self.opt_g.step()
        self.D.requires_grad_(True)
        update_ema(self.G_ema, self.G, step - cfg.r_steps, cfg.ema)
        out.update({"d": d_loss.item(), "d_real": d_real.mean().item(),
                    "d_fake": d_fake.mean().item(), "g_adv": g_adv.item(), "ctc": ctc.item(),
                    "ctc_scale": scale.item(), "fake_cer": _cer(log_probs.detach(), text, lengths)})
        return out

    def _critic(self, img: torch.Tensor, text: torch.Tensor) -> torch.Tensor:
        return self.D(img, text) if self.config.d_arch == "char" else self.D(img)

    def _clip_generator(self, factor: float) -> float:
        """Clip G's gradient norm to ``factor`` times its running mean; the norm before clipping."""
        mean = self.g_norm
        limit = factor * mean if mean is not None else float("inf")
        norm = float(torch.nn.utils.clip_grad_norm_(self.G.parameters(), limit))
        if math.isfinite(norm):  # a clipped spike enters the mean at the limit
            kept = min(norm, limit)
            self.g_norm = kept if mean is None else 0.99 * mean + 0.01 * kept
        return norm

    # -- samples and export ---------------------------------------------------------------
    @torch.no_grad()
    def sample_grid(self, step: int):
        from hwrender.train.grid import tile

        images = []
        for z in self._grid_z:
            for word in GRID_WORDS:
                text, lengths = W.encode([word])
                img = self.G_ema(text.to(self.device), lengths.to(self.device),
                                 z[None].to(self.device))
                images.append(((img[0, 0].float().cpu() + 1) / 2).numpy())
        return tile(images, columns=len(GRID_WORDS))

    def export(self, folder: Path, summary: Mapping[str, Any]) -> None:
        from hwrender.weights import save_model

        from .card import model_card

        state = {}
        for prefix, module in (("generator.", self.G_ema), ("recognizer.", self.R)):
            state.update({prefix + k: v.detach().contiguous().half() if v.is_floating_point() else v
                          for k, v in module.state_dict().items()})
        config = export_config(self.config, self.net_config, self.width_ratio, self.provenance,
                               summary)
        config["ink_curve"] = ink_curve(self.G_ema, self.net_config, self.data, self.device)
        config["ink_cap"] = ink_cap(self.data)
        save_model(folder, state, config, model_card(config), name=MODEL_NAME)


_ALNUM = frozenset(string.ascii_letters + string.digits)


def rare_weights(texts, target: int, cap: float) -> torch.Tensor | None:
    """Sampling weight of each word: ``max(1, target / n)`` for its rarest ASCII letter or digit
    (``n``: the words holding it), at most ``cap``; None when ``target`` is 0 (uniform)."""
    if target <= 0:
        return None
    holding: dict[str, int] = {}
    for t in texts:
        for ch in set(t) & _ALNUM:
            holding[ch] = holding.get(ch, 0) + 1
    w = []
    for t in texts:
        counts = [holding[ch] for ch in set(t) & _ALNUM]
        w.append(min(cap, max(1.0, target / min(counts))) if counts else 1.0)
    return torch.tensor(w, dtype=torch.double)


def inner_capital(text: str) -> bool:
    """Whether ``text`` holds a capital after its first letter (ALL-CAPS, NY, R&D, PO#,
    McCarthy), the capitals a capitalised word (``"Word``, ``(Word)``) does not train."""
    first = next((i for i, ch in enumerate(text) if ch.isalpha()), len(text))
    return any(ch.isupper() for ch in text[first + 1:])


def sampling_weights(texts, rare_target: int, rare_cap: float, caps_weight: float = 1.0) -> torch.Tensor | None:
    """Sampling weight of each word: ``rare_weights`` times ``caps_weight`` for a word with an
    ``inner_capital``; None when every word weighs the same (uniform)."""
    w = rare_weights(texts, rare_target, rare_cap)
    if caps_weight == 1.0:
        return w
    caps = torch.tensor([caps_weight if inner_capital(t) else 1.0 for t in texts], dtype=torch.double)
    return caps if w is None else w * caps


@torch.no_grad()
def ink_curve(net: WordGenerator, net_config: NetConfig, data, device: Any = "cpu",
              words: int = INK_WORDS, seed: int = 1234) -> list[float]:
    """``generator.fit_ink_curve`` of ``net``'s words against the same training words (real, at
    the canonical width), drawn with the latents ``write`` uses (``STYLE_SPREAD``,
    ``WORD_SPREAD``)."""
    from .generator import STYLE_SPREAD, WORD_SPREAD, draw, fit_ink_curve

    rng = np.random.default_rng(seed)
    idx = rng.choice(len(data), size=min(words, len(data)), replace=False)
    real = np.concatenate([data.image(int(i)).ravel() for i in idx]).astype(np.float32) / 255
    g = torch.Generator().manual_seed(seed)
    z = torch.cat([STYLE_SPREAD * torch.randn(len(idx), net_config.style_dim, generator=g),
                   WORD_SPREAD * torch.randn(len(idx), net_config.word_dim, generator=g)], dim=1)
    was_training = net.training
    net.eval()
    fake = [alpha.numpy().ravel()
            for _, alpha in draw(net, [data.texts[int(i)] for i in idx], z, device)]
    net.train(was_training)
    return fit_ink_curve(real, np.concatenate(fake))


def ink_cap(data, probe_words: int = INK_CAP_WORDS, per_font: int = 200,
            quantile: float = 0.5, seed: int = 4321) -> dict[str, Any]:
    """The per-hand ink cap (``generator.hand_ink_level``): ``probe_words`` training words, all of
    the most common length (one batch to draw), and the share of their pixels a hand may ink,
    ``share``: the real share of those same words, times the ``quantile`` font's weight against
    the average font (each font's share over up to ``per_font`` of its own words). At 0.5 a hand
    heavier than the median font is lightened to it."""
    rng = np.random.default_rng(seed)
    lengths = data.lengths()
    # one word length (the most common): the generator draws the probe in one batch
    same = np.flatnonzero(lengths == np.bincount(lengths).argmax())
    idx = rng.choice(same, size=min(probe_words, len(same)), replace=False)
    probe_share = float(np.mean(np.concatenate([data.image(int(i)).ravel() for i in idx]) > 127))
    shares, everything = [], []
    for f in range(len(data.fonts)):
        own = np.flatnonzero(data.font_ids == f)
        if not len(own):
            continue
        own = rng.choice(own, size=min(per_font, len(own)), replace=False)
        ink = np.concatenate([data.image(int(i)).ravel() for i in own]) > 127
        shares.append(float(ink.mean()))
        everything.append(ink)
    average = float(np.concatenate(everything).mean())
    weight = float(np.quantile(np.asarray(shares) / max(average, 1e-9), quantile))
    return {"words": [data.texts[int(i)] for i in idx], "share": round(probe_share * weight, 5),
            "quantile": quantile}


def export_config(cfg: LatinConfig, net: NetConfig, width_ratio: float, provenance: Mapping,
                  summary: Mapping) -> dict[str, Any]:
    return {
        "model": MODEL_NAME, "architecture": "bilstm-word-gan-ctc", "charset": W.CHARSET,
        "net": asdict(net), "train": asdict(cfg), "height": W.HEIGHT, "baseline": W.BASELINE,
        "x_height": W.X_HEIGHT, "char_width": W.CHAR_WIDTH, "width_ratio": round(width_ratio, 4),
        "data": dict(provenance), "run": dict(summary), "weights_dtype": "float16",
    }


def _cer(log_probs: torch.Tensor, text: torch.Tensor, lengths: torch.Tensor) -> float:
    """Character error rate of the best-path reading against ``text``."""
    decoded = greedy_decode(log_probs)
    errors = total = 0
    for seq, row, n in zip(decoded, text.tolist(), lengths.tolist()):
        errors += levenshtein(seq, row[:n])
        total += n
    return errors / max(1, total)


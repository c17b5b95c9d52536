"""Pre-training the glyph styler on font pairs (``hwrender train glyph-styler``, ``hangul``, ``cjk``).

It renders (source, target) pairs from the bundled source font and the installed handwriting
fonts of the corpus (``hwrender fonts list``; or ``--data FOLDER`` of fonts in ``FOLDER/Hang/``,
``FOLDER/Hani/``, ``FOLDER/holdout/<script>/``), caches them in the run folder as ``pairs.npz`` so
a resume does not render again, and trains the zi2zi objective: L1 to the target, the constant
loss (the encoder embeds the generated glyph as it embeds the source, DTN), the style-category
loss of the discriminator's classifier head, and the adversarial patch loss. The schedule of
Handwriting_styler has two phases: L1 100 and constant 15 at first, L1 500 and constant 1000 from
``late_epoch`` on (off by default: ``--set late_epoch=E``). The learning rate holds until
``lr_decay_epoch``, then halves every ``lr_halve_epochs``. The generator's EMA is what sample
grids show and what is exported. ``--finetune`` makes it the fine-tuning task (``finetune``).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import torch
import torch.nn.functional as F

from hwrender.errors import UsageError
from hwrender.train import RunContext
from hwrender.train.ema import update_ema
from hwrender.text.scripts import hangul_or_han

from . import SOURCE_FONT, SOURCE_LICENSE, WEIGHTS_NAME
from .base import GlyphTask, export_state, keep_source_font, model_ref
from .card import model_card
from .config import GlyphStylerConfig, config_for
from .data import (
    SCRIPTS,
    FontRef,
    Frame,
    GlyphRenderer,
    PairSet,
    build_pairs,
    corpus_fonts,
    folder_fonts,
    font_cmap,
    heldout_chars,
    pairs_key,
)
from .finetune import FinetuneTask
from .model import Discriminator, GlyphUNet
from .styler import FAMILY, GlyphStyler, bf16_fast

PAIRS_FILE = "pairs.npz"
CONFIG_FORMAT = 1


def build_task(options: list[str], scripts: tuple[str, ...] | None = None) -> "GlyphStylerTask":
    """The task for ``--set`` options (see ``config.config_for``)."""
    return GlyphStylerTask(config_for(options, scripts))


def build_hangul_task(options: list[str]) -> "GlyphStylerTask":
    """``hwrender train hangul``: the glyph styler on the Hangul fonts only."""
    return build_task(options, ("Hang",))


def build_cjk_task(options: list[str]) -> "GlyphStylerTask":
    """``hwrender train cjk``: the glyph styler on the Han fonts only."""
    return build_task(options, ("Hani",))


def _bce(logits: torch.Tensor, real: bool) -> torch.Tensor:
    target = torch.ones_like(logits) if real else torch.zeros_like(logits)
    return F.binary_cross_entropy_with_logits(logits, target)


class GlyphStylerTask(GlyphTask):
    """Pre-training on font pairs: the generator, its EMA, the discriminator and their optimisers."""

    stateful = ("G", "D", "ema", "opt_g", "opt_d")
    # bf16 autocast may start at a resume, e.g. of a run from before the setting existed
    resume_may_change = GlyphTask.resume_may_change | {"cpu_bf16"}

    def __init__(self, config: GlyphStylerConfig | None = None):
        super().__init__(config)
        self.warm_start: dict[str, Any] | None = None  # set by init_from; export records it

    # ------------------------------------------------------------------------------ setup
    def for_run(self, ctx: RunContext) -> GlyphTask:
        # --finetune fits a style to a person's glyphs: its own task, with the same settings
        return FinetuneTask(self.config) if ctx.finetune else self

    def setup(self, ctx: RunContext) -> None:
        cfg = self.config
        self.source = Path(cfg.source_font) if cfg.source_font else SOURCE_FONT
        if not self.source.is_file():
            raise UsageError(f"source font {self.source} not found",
                             "run scripts/build_source_font.py, or --set source_font=PATH")
        self.fonts = self._fonts(ctx)
        source_cmap = font_cmap(self.source, cfg.source_index)
        self.heldout = {s: heldout_chars(s, source_cmap, cfg.heldout_per_script) for s in cfg.scripts}
        held = frozenset(c for cs in self.heldout.values() for c in cs)
        key = pairs_key(self.fonts, self.source, cfg.image_size, held, cfg.selection(), cfg.fill)
        cache = Path(ctx.out) / PAIRS_FILE
        pairs = None
        if cache.is_file():
            try:
                pairs = PairSet.load(cache)
            except (OSError, ValueError, KeyError):
                pairs = None
            if pairs is not None and pairs.key != key:
                pairs = None
        if pairs is None:
            ctx.log(f"rendering glyph pairs from {len([f for f in self.fonts if not f.holdout])} "
                    "fonts (cached in the run folder)")
            pairs = build_pairs(self.fonts, self.source, cfg.source_index, cfg.image_size, held,
                                cfg.selection(), cfg.fill, log=ctx.log)
            pairs.key = key
            Path(ctx.out).mkdir(parents=True, exist_ok=True)
            pairs.save(cache)
        else:
            ctx.log(f"using the cached glyph pairs in {cache}")
        self.use_pairs(ctx, pairs)
        if cfg.init_from:
            self._warm_start(ctx, cfg.init_from)

    def _fonts(self, ctx: RunContext) -> list[FontRef]:
        cfg = self.config
        found = folder_fonts(Path(ctx.data)) if ctx.data else corpus_fonts(cfg.scripts)
        return [f for f in found if f.script in cfg.scripts and f.id not in cfg.exclude_fonts
                and not (cfg.skip_hard_to_read and f.hard_to_read)]

    def _warm_start(self, ctx: RunContext, ref: str) -> None:
        base = GlyphStyler.load(model_ref(ref))
        if list(base.styles) != list(self.pairs.styles):
            raise UsageError(f"init_from={ref} has styles {', '.join(base.styles)}, this run's "
                             f"fonts give {', '.join(self.pairs.styles)}",
                             "install the same fonts as that model's card lists, or drop init_from")
        film = {"style_film": self.mcfg.style_film}  # a model without FiLM starts one at identity
        if {**base.cfg.to_dict(), **film} != self.mcfg.to_dict() or \
                (base.cfg.style_film and not self.mcfg.style_film):
            raise UsageError(f"init_from={ref} is a different network ({base.cfg.to_dict()})",
                             "set the same image_size, ngf, max_mult, embed_dim, dropout and style_film")
        state = {k: v.float() for k, v in base.model.state_dict().items()}
        for module in (self.G, self.ema):
            missing, unexpected = module.load_state_dict(state, strict=False)
            assert not unexpected and all(k.startswith("decoder.films.") for k in missing), missing
        # the exported config says how the starting point was made, so the card can reproduce it
        self.warm_start = {"from": ref, **{k: base.config[k] for k in ("train", "run", "warm_start")
                                           if k in base.config}}
        ctx.log(f"generator warm-started from {ref}; discriminator and optimisers fresh")

    def use_pairs(self, ctx: RunContext, pairs: PairSet) -> None:
        """Build the networks and optimisers for ``pairs`` (benchmarks pass synthetic ones)."""
        cfg = self.config
        self._on_device(ctx)
        self.pairs = pairs
        ctx.log(f"{len(pairs)} pairs, {len(pairs.chars)} characters, {len(pairs.styles)} styles")
        if self.cpu and self.config.cpu_bf16:
            ctx.log("bf16 autocast on (cpu_bf16; this CPU has native bfloat16)" if bf16_fast() else
                    "training in float32: this CPU has no native bfloat16 (cpu_bf16 is for those)")
        self.mcfg = cfg.model_config(len(pairs.styles))
        self.G = self._place(GlyphUNet(self.mcfg))
        self.D = self._place(Discriminator(self.mcfg))
        self.ema = copy.deepcopy(self.G).eval()
        for p in self.ema.parameters():
            p.requires_grad_(False)
        self.opt_g = torch.optim.Adam(self.G.parameters(), cfg.lr, betas=(cfg.beta1, 0.999))
        self.opt_d = torch.optim.Adam(self.D.parameters(), cfg.lr, betas=(cfg.beta1, 0.999))
        self.src_u8 = torch.from_numpy(pairs.sources)
        self.tgt_u8 = torch.from_numpy(pairs.targets)
        self.char_idx = torch.from_numpy(pairs.char_index.astype(np.int64))
        self.style_idx = torch.from_numpy(pairs.style_index.astype(np.int64))
        steps_per_epoch = max(1, len(pairs) // ctx.batch_size)
        self.late_step = round(cfg.late_epoch * steps_per_epoch)
        self.steps_per_epoch = steps_per_epoch
        self._grid = None

    def learning_rate(self, step: int) -> float:
        """Pre-training's learning rate at ``step``: ``lr``, then halving every
        ``lr_halve_epochs`` from ``lr_decay_epoch`` on."""
        cfg = self.config
        start = cfg.lr_decay_epoch * self.steps_per_epoch
        if step <= start or cfg.lr_halve_epochs <= 0:
            return cfg.lr
        return cfg.lr * 0.5 ** ((step - start) / (cfg.lr_halve_epochs * self.steps_per_epoch))

    def num_examples(self) -> int:
        return len(self.pairs)

    # ------------------------------------------------------------------------------ steps
    def train_step(self, batch: torch.Tensor, step: int) -> dict[str, float]:
        cfg = self.config
        src = self._x(self.src_u8[self.char_idx[batch]])
        tgt = self._x(self.tgt_u8[batch])
        y = self.style_idx[batch].to(self.device)
        late = step >= self.late_step
        lr = self.learning_rate(step)
        for opt in (self.opt_g, self.opt_d):
            for group in opt.param_groups:
                group["lr"] = lr
        l1_w = cfg.late_l1_weight if late else cfg.l1_weight
        const_w = cfg.late_const_weight if late else cfg.const_weight

        match = cfg.feature_match_weight > 0
        with self._mixed():
            fake, enc_src = self.G(src, y)
            # discriminator: real pairs vs generated pairs, and the style of both
            real_patch, real_cat, *real_feats = self.D(src, tgt, features=match)
            fake_patch, fake_cat = self.D(src, fake.detach())
            d_adv = _bce(real_patch.float(), True) + _bce(fake_patch.float(), False)
            d_cat = 0.5 * (F.cross_entropy(real_cat.float(), y) + F.cross_entropy(fake_cat.float(), y))
        d_loss = d_adv + cfg.category_weight * d_cat
        self.opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        self.opt_d.step()
        # generator: fool D, keep the style, match the target, keep the source's embedding
        self.D.requires_grad_(False)
        with self._mixed():
            fake_patch, fake_cat, *fake_feats = self.D(src, fake, features=match)
            enc_fake = self.G.encode(fake)
        self.D.requires_grad_(True)
        g_adv = _bce(fake_patch.float(), True)
        g_cat = F.cross_entropy(fake_cat.float(), y)
        l1 = (fake.float() - tgt).abs().mean()
        const = F.mse_loss(enc_fake.float(), enc_src.detach().float())
        g_loss = cfg.adv_weight * g_adv + cfg.category_weight * g_cat + l1_w * l1 + const_w * const
        extra = {}
        if match:
            # the true glyph's activations come from the discriminator step's forward (one
            # update older): no third pass over the discriminator
            fm = sum((f.float() - r.detach().float()).abs().mean()
                     for f, r in zip(fake_feats[0], real_feats[0])) / len(real_feats[0])
            g_loss = g_loss + cfg.feature_match_weight * fm
            extra["fm"] = fm.item()
        self.opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        self.opt_g.step()
        update_ema(self.ema, self.G, step, self.config.ema_decay)
        return {"l1": l1.item() / 2, "const": const.item(), "g_adv": g_adv.item(),
                "d_adv": d_adv.item(), "g_cat": g_cat.item(), "d_cat": d_cat.item(),
                "g": g_loss.item(), "d": d_loss.item(), "lr": lr, **extra}

    def _mixed(self):
        """bf16 autocast of the forward passes where ``cpu_bf16`` asks for it (the losses are
        taken in float32 either way; ``.float()`` of a float32 tensor is the tensor itself)."""
        on = self.cpu and self.config.cpu_bf16 and bf16_fast()
        return torch.autocast("cpu", dtype=torch.bfloat16, enabled=on)

    # ------------------------------------------------------------------------------ grids
    def sample_grid(self, step: int):
        from hwrender.train.grid import tile

        if self._grid is None:
            self._grid = self._grid_inputs()
        chars, sources, rows = self._grid
        images = [s.astype(np.float32) / 255 for s in sources]
        labels = ["source"]
        for style, truth in rows:
            s = self.pairs.styles.index(style)
            fake = self._generate(self.ema, sources, torch.full((len(chars),), s, dtype=torch.long))
            images += list(fake)
            images += [t.astype(np.float32) / 255 if t is not None else np.zeros_like(fake[0])
                       for t in truth]
            labels += [style, "(font)"]
        return tile(images, len(chars), row_labels=labels)

    def _grid_inputs(self):
        """Held-out characters of each script, their source glyphs, and a few styles' true glyphs."""
        cfg = self.config
        chars = [c for s in cfg.scripts for c in self.heldout.get(s, [])[:cfg.grid_chars]]
        if not chars:  # tiny font sets: show training characters instead
            chars = self.pairs.chars[:2 * cfg.grid_chars]
        pos = {c: i for i, c in enumerate(self.pairs.chars)}
        renderers = {s: GlyphRenderer(self.source, cfg.source_index,
                                      Frame.from_list(self.pairs.frames[f"source:{s}"]),
                                      cfg.image_size)
                     for s in SCRIPTS if f"source:{s}" in self.pairs.frames}
        sources = np.stack([self.pairs.sources[pos[c]] if c in pos
                            else renderers[hangul_or_han(c)].render([c])[0][0] for c in chars])
        by_id = {f.id: f for f in self.fonts}
        rows = []
        for script in cfg.scripts:
            shown = [s for s, sc in zip(self.pairs.styles, self.pairs.style_scripts) if sc == script]
            for style in shown[:cfg.grid_styles]:
                f = by_id.get(style)
                truth: list = [None] * len(chars)
                if f is not None:
                    r = GlyphRenderer(f.path, f.index, Frame.from_list(self.pairs.frames[style]),
                                      cfg.image_size)
                    cmap = font_cmap(f.path, f.index)
                    for k, c in enumerate(chars):
                        if c in cmap and hangul_or_han(c) == script:
                            truth[k] = r.render([c])[0][0]
                rows.append((style, truth))
        return chars, sources, rows

    # ------------------------------------------------------------------------------ export
    def export(self, folder: Path, summary: Mapping[str, Any]) -> None:
        from hwrender.weights import save_model

        cfg = self.config
        styles, scripts = self.pairs.styles, self.pairs.style_scripts
        defaults = {}
        for script, wanted in (("Hang", cfg.default_hangul), ("Hani", cfg.default_han)):
            own = [s for s, sc in zip(styles, scripts) if sc == script]
            if own:
                defaults[script] = wanted if wanted in own else own[0]
        source_file = keep_source_font(self.source, folder)
        config = {
            "family": FAMILY, "format": CONFIG_FORMAT, "model": self.mcfg.to_dict(),
            "styles": styles, "style_scripts": scripts, "default_styles": defaults,
            "frames": self.pairs.frames,
            "source_font": {"file": source_file, "index": cfg.source_index,
                            "license": SOURCE_LICENSE if self.source == SOURCE_FONT else ""},
            "x_height_em": _x_height_em(self.source, cfg.source_index),
            "variation": 1.0,
            "heldout_chars": {s: "".join(cs) for s, cs in self.heldout.items()},
            "fonts": [{"id": f.id, "script": f.script, "license": f.license, "url": f.url,
                       "holdout": f.holdout} for f in self.fonts],
            "train": self.config_dict(),
            "run": {**{k: summary.get(k) for k in ("steps", "epochs", "examples", "seconds",
                                                  "hardware", "device")}, "pairs": len(self.pairs),
                    "phases": list(summary.get("phases") or [])},
        }
        if self.warm_start:
            config["warm_start"] = self.warm_start
        state = export_state(self.ema.state_dict(), cfg.export_dtype)
        save_model(folder, state, config, model_card(config), name=WEIGHTS_NAME)



def _x_height_em(font: Path, index: int) -> float:
    from fontTools.ttLib import TTFont

    with TTFont(str(font), fontNumber=index, lazy=True) as tt:
        upm = tt["head"].unitsPerEm
        xh = getattr(tt["OS/2"], "sxHeight", 0) if "OS/2" in tt else 0
    return round((xh or 0.5 * upm) / upm, 4)

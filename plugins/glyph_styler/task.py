"""Training the glyph styler: pre-training on font pairs, and fine-tuning a new style.

``hwrender train glyph-styler`` renders (source, target) pairs from the bundled source font and
the installed handwriting fonts of the corpus (``hwrender fonts list``; or ``--data FOLDER`` of
fonts in ``FOLDER/Hang/``, ``FOLDER/Hani/``, ``FOLDER/holdout/<script>/``), caches them in the
run folder as ``pairs.npz`` so a resume does not render again, and trains the zi2zi objective:
L1 to the target, the constant loss (the encoder embeds the generated glyph as it embeds the
source, DTN), the style-category loss of the discriminator's classifier head, and the adversarial
patch loss. The schedule of Handwriting_styler has two phases: L1 100 and constant 15 at first,
L1 500 and constant 1000 from ``late_epoch`` on (off by default: ``--set late_epoch=E``). The
learning rate holds until ``lr_decay_epoch``, then halves every ``lr_halve_epochs``. The
generator's EMA is what sample grids show and what is exported.

``--finetune FROM --data GLYPHS`` learns one new style vector (and, with
``--set finetune_decoder=true``, the decoder) from a folder of labelled glyph images and exports
the model with the new style added (named by ``--name``, default ``personal``).
"""

from __future__ import annotations

import copy
import dataclasses
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Mapping

import numpy as np
import torch
import torch.nn.functional as F

from hwrender.errors import UsageError
from hwrender.train import RunContext, TrainTask, apply_overrides
from hwrender.train.ema import update_ema
from hwrender.text.scripts import hangul_or_han

from . import SOURCE_FONT, SOURCE_LICENSE, TRAINER_NAME, WEIGHTS_NAME
from .data import (
    SCRIPTS,
    FontRef,
    Frame,
    GlyphRenderer,
    PairSet,
    Selection,
    build_pairs,
    corpus_fonts,
    folder_fonts,
    font_cmap,
    heldout_chars,
    load_ink,
    pairs_key,
    place_glyphs,
    read_glyph_folder,
)
from .model import Discriminator, GlyphUNet, ModelConfig, to_alpha, to_model
from .styler import FAMILY, GlyphStyler

PAIRS_FILE = "pairs.npz"
CONFIG_FORMAT = 1


@dataclass
class GlyphStylerConfig:
    """Every setting of a run (``--set KEY=VALUE``). ``variant=tiny`` is a seconds-sized model for tests."""

    variant: str = "base"
    # the network
    image_size: int = 64
    ngf: int = 32
    ndf: int = 32
    max_mult: int = 8
    embed_dim: int = 128
    # decoder dropout (the variation at inference) at the 2, 4 and 8 px levels: 0.5 (pix2pix) hides
    # the layout that thin, offset styles need, and L1 then draws them blank (held-out L1, L1-only
    # at lr 1e-3: 0.113 after 185 steps at 0.5, 0.108 after 200 at 0); 0.2 trains like 0 (GAN,
    # 100 steps: 0.120 both)
    dropout: float = 0.2
    # the objective and its two-phase schedule (Handwriting_styler)
    # zi2zi's 1e-3, not pix2pix's 2e-4: the first run (2e-4) stayed at the near-blank "median
    # glyph" (L1 0.12-0.13; the per-style median image scores 0.137); held-out L1 after 185 L1-only
    # steps: 0.113 at 1e-3 against 0.122 at 2e-4, and 1e-3 is below 0.122 by step 100
    lr: float = 1e-3
    beta1: float = 0.5
    l1_weight: float = 100.0
    const_weight: float = 15.0
    late_l1_weight: float = 500.0
    late_const_weight: float = 1000.0
    # off by default (past the default 5 epochs): constant 1000 against the unbounded bottleneck
    # blew the first late-phase runs up; ``--set late_epoch=E`` turns the second phase on. L1 500
    # alone (constant kept at 15) from epoch 3 did not help either: training L1 rose from 0.116
    # to 0.14 within 300 steps and the discriminator won outright (its loss 0.2 → 0.001)
    late_epoch: float = 99.0
    # the learning rate holds until ``lr_decay_epoch``, then halves every ``lr_halve_epochs``
    # (smoothly, zi2zi's halving schedule). Measured on 64 px, epochs 3 to 5: training L1 stayed
    # at ~0.117 as at a constant 1e-3; held-out L1 / identity 0.543 → 0.565 (Hangul), fitting a
    # held-out font from 210 glyphs improved (L1 0.097 → 0.089 on nanum-barunpen)
    lr_decay_epoch: float = 3.0
    lr_halve_epochs: float = 0.5
    category_weight: float = 1.0
    adv_weight: float = 0.1
    ema_decay: float = 0.999
    export_dtype: str = "float16"
    # the data
    fill: float = 0.75  # the median glyph's box, as a fraction of the canvas
    hangul_per_font: int = 2000
    hangul_common_fraction: float = 0.8
    han_per_font: int = 0  # 0: every GB 2312 level-1 ideograph the font has
    han_level2: bool = False
    heldout_per_script: int = 100
    scripts: list = field(default_factory=lambda: list(SCRIPTS))
    exclude_fonts: list = field(default_factory=list)
    skip_hard_to_read: bool = True  # grass script nobody can read: not worth the budget
    default_hangul: str = "nanum-pen"  # default styles (used if trained, else the first font)
    default_han: str = "lxgw-wenkai"
    source_font: str = ""  # default: the bundled subset of Noto Sans CJK SC
    # warm start: the generator (and its EMA) from an exported model with the same styles and
    # network, the discriminator and the optimisers fresh (a run that goes on from shipped
    # weights when the checkpoint that made them is gone)
    init_from: str = ""
    source_index: int = 0
    # sample grids
    grid_chars: int = 6
    grid_styles: int = 4
    # fine-tuning
    finetune_repeats: int = 20  # passes over the glyphs per epoch
    finetune_lr: float = 0.01
    finetune_decoder: bool = False
    finetune_decoder_lr: float = 2e-5

    # one line per setting for `hwrender train glyph-styler --help` (the comments above say why)
    HELP: ClassVar[dict[str, str]] = {
        "variant": "base, or tiny (a seconds-sized model for tests)",
        "image_size": "glyph size in px (square)",
        "ngf": "generator channels at the first level",
        "ndf": "discriminator channels at the first level",
        "max_mult": "channel multiplier cap of the deepest levels",
        "embed_dim": "size of a style vector",
        "dropout": "decoder dropout, the variation of a glyph at inference",
        "lr": "learning rate (generator and discriminator)",
        "beta1": "Adam beta1",
        "l1_weight": "L1 to the target glyph",
        "const_weight": "constant loss: the drawn glyph encodes as its source",
        "late_l1_weight": "L1 weight from late_epoch on",
        "late_const_weight": "constant loss weight from late_epoch on",
        "late_epoch": "epoch the second loss phase starts (99: never)",
        "lr_decay_epoch": "epoch the learning rate starts halving",
        "lr_halve_epochs": "epochs per halving of the learning rate",
        "category_weight": "style classifier loss",
        "adv_weight": "adversarial loss",
        "ema_decay": "decay of the generator's moving average (what is exported)",
        "export_dtype": "float16 or float32 weights in the exported model",
        "fill": "the median glyph's box, as a fraction of the canvas",
        "hangul_per_font": "Hangul syllables drawn per font",
        "hangul_common_fraction": "share of those from the 2,350 common syllables",
        "han_per_font": "ideographs per font (0: every GB 2312 level-1 one the font has)",
        "han_level2": "also GB 2312 level-2 ideographs",
        "heldout_per_script": "characters per script kept out of training (for eval)",
        "scripts": "scripts to train on: Hang, Hani or both",
        "exclude_fonts": "corpus font ids to leave out",
        "skip_hard_to_read": "leave out fonts marked hard to read (grass script)",
        "default_hangul": "default Hangul style (if trained, else the first font)",
        "default_han": "default Han style (if trained, else the first font)",
        "source_font": "the plain font glyphs are redrawn from (default: the bundled one)",
        "init_from": "warm-start the generator from an exported model (same styles, network)",
        "source_index": "face number in a .ttc source font",
        "grid_chars": "characters per script in sample grids",
        "grid_styles": "styles per script in sample grids",
        "finetune_repeats": "--finetune: passes over the given glyphs per epoch",
        "finetune_lr": "--finetune: learning rate of the new style vector",
        "finetune_decoder": "--finetune: also tune the decoder",
        "finetune_decoder_lr": "--finetune: the decoder's learning rate",
    }

    def model_config(self, n_styles: int) -> ModelConfig:
        return ModelConfig(image_size=self.image_size, ngf=self.ngf, ndf=self.ndf,
                           max_mult=self.max_mult, embed_dim=self.embed_dim, n_styles=n_styles,
                           dropout=self.dropout)

    def selection(self) -> Selection:
        return Selection(self.hangul_per_font, self.hangul_common_fraction, self.han_per_font,
                         self.han_level2)


VARIANTS = {
    "base": {},
    "tiny": dict(image_size=16, ngf=4, ndf=4, max_mult=2, embed_dim=8, heldout_per_script=2,
                 hangul_per_font=40, han_per_font=40, grid_chars=2, grid_styles=2,
                 finetune_repeats=2),
}


def build_task(options: list[str], scripts: tuple[str, ...] | None = None) -> "GlyphStylerTask":
    """The task for ``--set`` options; the variant's defaults first, explicit settings over them.

    ``scripts``: the glyph styler of those scripts only (``hwrender train hangul`` / ``cjk``),
    which ``--set scripts=`` cannot change.
    """
    if scripts is not None:
        if any(o.partition("=")[0].strip().replace("-", "_") == "scripts" for o in options):
            raise UsageError(f"this model trains on {', '.join(scripts)} only: --set scripts does not apply",
                             "use `hwrender train glyph-styler --set scripts=[...]` for other scripts")
        options = [f"scripts={json.dumps(list(scripts))}", *options]
    variant = apply_overrides(GlyphStylerConfig(), options).variant
    if variant not in VARIANTS:
        raise UsageError(f"unknown variant {variant!r}", f"use one of: {', '.join(VARIANTS)}")
    base = dataclasses.replace(GlyphStylerConfig(), **VARIANTS[variant])
    return GlyphStylerTask(apply_overrides(base, options))


def _bce(logits: torch.Tensor, real: bool) -> torch.Tensor:
    target = torch.ones_like(logits) if real else torch.zeros_like(logits)
    return F.binary_cross_entropy_with_logits(logits, target)


class GlyphStylerTask(TrainTask):
    """Pre-training on font pairs, or (with ``ctx.finetune``) fine-tuning one new style."""

    name = TRAINER_NAME
    # a resume may restart the learning-rate schedule, switch to the late phase or re-weight the
    # losses (a later phase of training; the card gives each phase's command)
    resume_may_change = frozenset({"lr", "lr_decay_epoch", "lr_halve_epochs", "late_epoch",
                                   "adv_weight", "const_weight", "l1_weight", "category_weight"})

    def __init__(self, config: GlyphStylerConfig | None = None):
        self.config = config or GlyphStylerConfig()
        self.finetune = False
        self.warm_start: dict[str, Any] | None = None  # set by init_from; export records it

    # ------------------------------------------------------------------------------ setup
    def setup(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.device = ctx.device
        self.cpu = str(ctx.device).startswith("cpu")
        if ctx.finetune:
            self._setup_finetune(ctx)
        else:
            self._setup_pretrain(ctx)

    def _fonts(self, ctx: RunContext) -> list[FontRef]:
        cfg = self.config
        found = folder_fonts(Path(ctx.data)) if ctx.data else corpus_fonts(cfg.scripts)
        return [f for f in found if f.script in cfg.scripts and f.id not in cfg.exclude_fonts
                and not (cfg.skip_hard_to_read and f.hard_to_read)]

    def _setup_pretrain(self, ctx: RunContext) -> None:
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

    def _warm_start(self, ctx: RunContext, ref: str) -> None:
        base = GlyphStyler.load(_model_ref(ref))
        if list(base.styles) != list(self.pairs.styles):
            raise UsageError(f"init_from={ref} has styles {', '.join(base.styles)}, this run's "
                             f"fonts give {', '.join(self.pairs.styles)}",
                             "install the same fonts as that model's card lists, or drop init_from")
        if base.cfg.to_dict() != self.mcfg.to_dict():
            raise UsageError(f"init_from={ref} is a different network ({base.cfg.to_dict()})",
                             "set the same image_size, ngf, max_mult, embed_dim and dropout")
        state = {k: v.float() for k, v in base.model.state_dict().items()}
        self.G.load_state_dict(state)
        self.ema.load_state_dict(state)
        # the exported config says how the starting point was made, so the card can reproduce it
        self.warm_start = {"from": ref, **{k: base.config[k] for k in ("train", "run", "warm_start")
                                           if k in base.config}}
        ctx.log(f"generator warm-started from {ref}; discriminator and optimisers fresh")

    def use_pairs(self, ctx: RunContext, pairs: PairSet) -> None:
        """Build the networks and optimisers for ``pairs`` (benchmarks pass synthetic ones)."""
        cfg = self.config
        self.ctx, self.device = ctx, ctx.device
        self.cpu = str(ctx.device).startswith("cpu")
        self.pairs = pairs
        ctx.log(f"{len(pairs)} pairs, {len(pairs.chars)} characters, {len(pairs.styles)} styles")
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

    def _place(self, module: torch.nn.Module) -> torch.nn.Module:
        module = module.to(self.device)
        return module.to(memory_format=torch.channels_last) if self.cpu else module

    def learning_rate(self, step: int) -> float:
        """Pre-training's learning rate at ``step``: ``lr``, then halving every
        ``lr_halve_epochs`` from ``lr_decay_epoch`` on."""
        cfg = self.config
        start = cfg.lr_decay_epoch * self.steps_per_epoch
        if step <= start or cfg.lr_halve_epochs <= 0:
            return cfg.lr
        return cfg.lr * 0.5 ** ((step - start) / (cfg.lr_halve_epochs * self.steps_per_epoch))

    def _x(self, u8: torch.Tensor) -> torch.Tensor:
        x = to_model(u8).to(self.device)
        return x.contiguous(memory_format=torch.channels_last) if self.cpu else x

    def num_examples(self) -> int:
        if self.finetune:
            return len(self.ft_targets) * max(1, self.config.finetune_repeats)
        return len(self.pairs)

    # ------------------------------------------------------------------------------ steps
    def train_step(self, batch: torch.Tensor, step: int) -> dict[str, float]:
        if self.finetune:
            return self._finetune_step(batch)
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

        fake, enc_src = self.G(src, y)
        # discriminator: real pairs vs generated pairs, and the style of both
        real_patch, real_cat = self.D(src, tgt)
        fake_patch, fake_cat = self.D(src, fake.detach())
        d_adv = _bce(real_patch, True) + _bce(fake_patch, False)
        d_cat = 0.5 * (F.cross_entropy(real_cat, y) + F.cross_entropy(fake_cat, y))
        d_loss = d_adv + cfg.category_weight * d_cat
        self.opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        self.opt_d.step()
        # generator: fool D, keep the style, match the target, keep the source's embedding
        self.D.requires_grad_(False)
        fake_patch, fake_cat = self.D(src, fake)
        self.D.requires_grad_(True)
        g_adv = _bce(fake_patch, True)
        g_cat = F.cross_entropy(fake_cat, y)
        l1 = (fake - tgt).abs().mean()
        const = F.mse_loss(self.G.encode(fake), enc_src.detach())
        g_loss = cfg.adv_weight * g_adv + cfg.category_weight * g_cat + l1_w * l1 + const_w * const
        self.opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        self.opt_g.step()
        update_ema(self.ema, self.G, step, self.config.ema_decay)
        return {"l1": l1.item() / 2, "const": const.item(), "g_adv": g_adv.item(),
                "d_adv": d_adv.item(), "g_cat": g_cat.item(), "d_cat": d_cat.item(),
                "g": g_loss.item(), "d": d_loss.item(), "lr": lr}

    # ------------------------------------------------------------------------------ state
    def state_dict(self) -> dict[str, Any]:
        if self.finetune:
            return {"G": self.G.state_dict(), "style": self.ft_style.detach().clone(),
                    "opt": self.opt_ft.state_dict()}
        return {"G": self.G.state_dict(), "D": self.D.state_dict(), "ema": self.ema.state_dict(),
                "opt_g": self.opt_g.state_dict(), "opt_d": self.opt_d.state_dict()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        if self.finetune:
            self.G.load_state_dict(state["G"])
            with torch.no_grad():
                self.ft_style.copy_(state["style"])
            self.opt_ft.load_state_dict(state["opt"])
            return
        self.G.load_state_dict(state["G"])
        self.D.load_state_dict(state["D"])
        self.ema.load_state_dict(state["ema"])
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])

    # ------------------------------------------------------------------------------ grids
    @torch.no_grad()
    def _generate(self, model: GlyphUNet, src_u8: np.ndarray, styles: torch.Tensor) -> np.ndarray:
        model.eval()
        out = model(self._x(torch.from_numpy(src_u8)), styles.to(self.device))[0]
        return to_alpha(out).cpu().numpy()

    def sample_grid(self, step: int):
        from hwrender.train.grid import tile

        if self.finetune:
            return self._finetune_grid()
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

        if self.finetune:
            return self._finetune_export(folder, summary)
        cfg = self.config
        styles, scripts = self.pairs.styles, self.pairs.style_scripts
        defaults = {}
        for script, wanted in (("Hang", cfg.default_hangul), ("Hani", cfg.default_han)):
            own = [s for s, sc in zip(styles, scripts) if sc == script]
            if own:
                defaults[script] = wanted if wanted in own else own[0]
        source_file = _keep_source_font(self.source, folder)
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
        state = _export_state(self.ema.state_dict(), cfg.export_dtype)
        save_model(folder, state, config, model_card(config), name=WEIGHTS_NAME)

    # ------------------------------------------------------------------------------ fine-tuning
    def _setup_finetune(self, ctx: RunContext) -> None:
        cfg = self.config
        if ctx.data is None:
            raise UsageError("--finetune needs --data: a folder of glyph images named by character",
                             "e.g. --data my_glyphs/ holding 가.png, 나.png … (or a labels.csv)")
        self.finetune = True
        base = GlyphStyler.load(_model_ref(ctx.finetune))
        self.base = base
        items = read_glyph_folder(Path(ctx.data))
        covered = base.charset("Hang") | base.charset("Hani")
        skipped = sorted({c for c, _ in items if c not in covered})
        items = [(c, p) for c, p in items if c in covered]
        if skipped:
            ctx.log(f"skipping {len(skipped)} characters the styler does not write: "
                    f"{''.join(skipped[:20])}")
        if not items:
            raise UsageError(f"none of the glyphs in {ctx.data} is Hangul or Han the styler writes",
                             "name the images by their character, e.g. 가.png")
        chars = [c for c, _ in items]
        sources = base.sources(chars)
        self.ft_chars = chars
        self.ft_sources = torch.from_numpy(sources)
        self.ft_targets = torch.from_numpy(place_glyphs([load_ink(p) for _, p in items], sources))
        self.style_name = ctx.name or "personal"
        self.G = self._place(copy.deepcopy(base.model))
        self.G.requires_grad_(False)
        if cfg.finetune_decoder:
            self.G.decoder.requires_grad_(True)
        init = self._best_style()
        ctx.log(f"fine-tuning style {self.style_name!r} on {len(chars)} glyphs, "
                f"starting from {base.styles[init]!r}")
        self.ft_style = torch.nn.Parameter(base.model.styles.weight[init].detach().clone()
                                           .to(self.device))
        groups = [{"params": [self.ft_style], "lr": cfg.finetune_lr}]
        if cfg.finetune_decoder:
            groups.append({"params": list(self.G.decoder.parameters()),
                           "lr": cfg.finetune_decoder_lr})
        self.opt_ft = torch.optim.Adam(groups, betas=(0.9, 0.999))
        self.mcfg = base.cfg
        self.ft_unseen = self._unseen_chars(chars)

    @torch.no_grad()
    def _best_style(self) -> int:
        """The existing style whose glyphs are nearest the given ones: where the new one starts."""
        src = self._x(self.ft_sources[:64])
        tgt = self._x(self.ft_targets[:64])
        self.G.eval()
        losses = []
        for s in range(self.G.cfg.n_styles):
            fake = self.G(src, torch.full((len(src),), s, dtype=torch.long, device=self.device))[0]
            losses.append((fake - tgt).abs().mean().item())
        return int(np.argmin(losses))

    def _train_mode(self) -> None:
        """Dropout on, batch statistics frozen: a few hundred glyphs must not move them."""
        self.G.train()
        for m in self.G.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.eval()

    def _finetune_step(self, batch: torch.Tensor) -> dict[str, float]:
        cfg = self.config
        idx = batch % len(self.ft_targets)
        src = self._x(self.ft_sources[idx])
        tgt = self._x(self.ft_targets[idx])
        self._train_mode()
        style = self.ft_style.unsqueeze(0).expand(len(idx), -1)
        loss, l1, const = style_loss(self.G, src, tgt, style, cfg.l1_weight, cfg.const_weight)
        self.opt_ft.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_ft.step()
        return {"l1": l1.item() / 2, "const": const.item(), "loss": loss.item()}

    def _unseen_chars(self, seen: list[str]) -> list[str]:
        """A few characters of the glyphs' main script that the fine-tuning data lacks."""
        script = max(SCRIPTS, key=lambda s: sum(hangul_or_han(c) == s for c in seen))
        pool = [c for c in "가나다라마바사아자차카타파하글씨" + "永和书法天地人你好" if c not in seen
                and hangul_or_han(c) == script and c in self.base.charset(script)]
        return pool[:8]

    def _finetune_grid(self):
        from hwrender.train.grid import tile

        n = min(8, len(self.ft_chars))
        vec = self.ft_style.detach().unsqueeze(0)
        src = self.ft_sources[:n].numpy()
        fake = self._generate(self.G, src, vec.expand(n, -1))
        images = [a.astype(np.float32) / 255 for a in src] + list(fake) + \
            [a.astype(np.float32) / 255 for a in self.ft_targets[:n].numpy()]
        labels = ["source", self.style_name, "given"]
        if self.ft_unseen:
            usrc = self.base.sources(self.ft_unseen)
            ufake = self._generate(self.G, usrc, vec.expand(len(usrc), -1))
            pad = [np.zeros_like(fake[0])] * (n - len(usrc)) if len(usrc) < n else []
            images += [a.astype(np.float32) / 255 for a in usrc][:n] + pad + list(ufake)[:n] + pad
            labels += ["unseen", self.style_name]
        return tile(images, n, row_labels=labels)

    def _finetune_export(self, folder: Path, summary: Mapping[str, Any]) -> None:
        from hwrender.weights import save_model

        config = copy.deepcopy(self.base.config)
        styles, scripts = list(config["styles"]), list(config["style_scripts"])
        state = {k: v.detach().cpu() for k, v in self.G.state_dict().items()}
        table = state["styles.weight"].float()
        row = self.ft_style.detach().float().cpu()
        if self.style_name in styles:
            table[styles.index(self.style_name)] = row
        else:
            table = torch.cat([table, row[None]], 0)
            styles.append(self.style_name)
            scripts.append("*")  # a person's hand: offered for both scripts
        state["styles.weight"] = table
        config["styles"], config["style_scripts"] = styles, scripts
        config["model"] = {**config["model"], "n_styles": len(styles)}
        state = _export_state(state, self.config.export_dtype)
        config.setdefault("finetuned", []).append({
            "style": self.style_name, "from": str(self.ctx.finetune), "glyphs": len(self.ft_chars),
            "decoder": self.config.finetune_decoder, "steps": summary.get("steps"),
            "seconds": summary.get("seconds")})
        _keep_source_font(self.base.source_font, folder)
        save_model(folder, state, config, model_card(config), name=WEIGHTS_NAME)


def style_loss(model: GlyphUNet, src: torch.Tensor, tgt: torch.Tensor, style: torch.Tensor,
               l1_weight: float, const_weight: float) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(loss, l1, const) of fitting a style: L1 to the given glyphs and the constant loss."""
    fake, enc_src = model(src, style)
    l1 = (fake - tgt).abs().mean()
    const = F.mse_loss(model.encode(fake), enc_src.detach())
    return l1_weight * l1 + const_weight * const, l1, const


def _export_state(state: Mapping[str, torch.Tensor], dtype: str) -> dict[str, torch.Tensor]:
    """Weights as shipped: float16 halves the file (8 M parameters: 16 MB, not 31) and the loader
    turns them back into float32; integer buffers stay as they are."""
    if dtype not in ("float16", "float32"):
        raise UsageError(f"export_dtype must be float16 or float32, got {dtype!r}", "use float16")
    want = torch.float16 if dtype == "float16" else torch.float32
    return {k: v.detach().cpu().to(want) if v.is_floating_point() else v.detach().cpu()
            for k, v in state.items()}


def _model_ref(ref: str) -> str:
    """``--finetune`` accepts a model folder, a run folder (its model/), or a store name."""
    path = Path(ref)
    if path.is_dir() and not (path / "config.json").is_file() and (path / "model").is_dir():
        return str(path / "model")
    return ref


def _x_height_em(font: Path, index: int) -> float:
    from fontTools.ttLib import TTFont

    with TTFont(str(font), fontNumber=index, lazy=True) as tt:
        upm = tt["head"].unitsPerEm
        xh = getattr(tt["OS/2"], "sxHeight", 0) if "OS/2" in tt else 0
    return round((xh or 0.5 * upm) / upm, 4)


def trainer_name(train: Mapping[str, Any]) -> str:
    """The ``hwrender train`` model that makes a run of these settings: ``hangul`` or ``cjk`` for
    one script's fonts only, else ``glyph-styler``."""
    from . import GENERATORS

    scripts = list(train.get("scripts") or [])
    return next((name for name, script in GENERATORS.items() if scripts == [script]), TRAINER_NAME)


def _changed(train: Mapping[str, Any]) -> str:
    """The training settings that differ from the defaults, as ``--set`` takes them (less the
    scripts that ``hangul`` / ``cjk`` set)."""
    defaults = GlyphStylerConfig().__dict__
    implied = {"scripts"} if trainer_name(train) != TRAINER_NAME else set()
    changed = [f"`--set {k}={v}`" for k, v in train.items()
               if k in defaults and defaults[k] != v and k not in implied]
    return ", ".join(changed) or "none"


def _cleanup_text(config: Mapping[str, Any]) -> str:
    """The card's words for config.json ``cleanup`` (one for all scripts, or one per script)."""
    from .styler import Cleanup

    def words(c: Cleanup) -> str:
        if not c.active:
            return "none (the network as it draws)"
        parts = [f"median {c.median}"] if c.median > 1 else []
        parts += [f"blur {c.blur} px"] if c.blur > 0 else []
        parts += [f"smoothstep {c.lo}-{c.hi}"] if (c.lo, c.hi) != (0.0, 1.0) else []
        return ", ".join(parts)

    given = Cleanup.per_script(config.get("cleanup"))
    per = {script: given.get(script, Cleanup()) for script in SCRIPTS}
    if len({repr(c.to_config()) for c in per.values()}) == 1:
        return words(per[SCRIPTS[0]])
    return "; ".join(f"{script} {words(c)}" for script, c in per.items())


def _reproduce(config: Mapping[str, Any]) -> str:
    """The card's "Reproduce" line(s): the first phase's command, then one ``--resume`` per later
    phase (the settings it changed, to the step the next phase starts at or the run's end). A
    warm-started run (``init_from``) first gives the lines that made its starting model."""
    train = dict(config.get("train", {}))
    run = config.get("run", {})
    phases = list(run.get("phases") or [])
    first = dict(train)
    for phase in reversed(phases):
        first.update(phase.get("was", {}))
    ends = [p["step"] for p in phases] + [run.get("steps")]
    undone = ", with the later phases' changes undone" if phases else ""
    command = (f"`hwrender train {trainer_name(first)} --max-steps {ends[0]}`; settings other than the "
               f"defaults: {_changed(first)} (all of them: config.json \"train\"{undone}).")
    warm = config.get("warm_start")
    if warm:
        made = warm.get("run", {})
        then = (f"- Then a new run warm-started from that model's exported generator "
                f"({made.get('steps')} steps, {made.get('seconds')} s; discriminator and "
                f"optimisers fresh, `init_from` names it): {command}")
        lines = [_reproduce(warm), then]
    else:
        lines = [f"- Reproduce: {command}"]
    settings = first
    for phase, end in zip(phases, ends[1:]):
        settings = {**settings, **phase["set"]}
        lines.append(f"- Then, from step {phase['step']} ({_pairs(phase)}): `hwrender train "
                     f"{trainer_name(first)} --resume --max-steps {end}` with "
                     f"{_changed(settings)}.")
    return "\n".join(lines)


def _in_all(config: Mapping[str, Any]) -> str:
    """For a warm-started model: the steps and seconds of every run that made it."""
    steps = seconds = 0.0
    runs = 0
    while config:
        run = config.get("run", {})
        steps += run.get("steps") or 0
        seconds += run.get("seconds") or 0
        runs += 1
        config = config.get("warm_start") or {}
    if runs == 1:
        return ""
    return f"; {runs} runs in all (warm starts): {int(steps)} steps, {round(seconds, 1)} s"


def _pairs(phase: Mapping[str, Any]) -> str:
    return ", ".join(f"{k} {phase.get('was', {}).get(k)} -> {v}" for k, v in phase["set"].items())


def card_for(folder: Path, report: Mapping[str, Any]) -> str:
    """The model card of an exported model with its evaluation figures (``eval --write-card``)."""
    from hwrender.weights import load_config

    return model_card(load_config(folder), report)


def model_card(config: Mapping[str, Any], report: Mapping[str, Any] | None = None) -> str:
    """The model card: what it is, the fonts and licences, the run, and the eval figures if any."""
    fonts = config.get("fonts", [])
    rows = "\n".join(f"| {f['id']} | {f['script']} | {f['license'] or '?'} | "
                     f"{'held out (eval only)' if f['holdout'] else 'trained'} | {f['url']} |"
                     for f in fonts)
    m = config["model"]
    run = config.get("run", {})
    held = config.get("heldout_chars", {})
    source = config.get("source_font", {})
    text = f"""# {WEIGHTS_NAME}: U-Net glyph styler for Hangul and Han

A zi2zi-style image-to-image network (after kaonashi-tyc/zi2zi and jeina7/Handwriting_styler): it
redraws a glyph of the bundled source font ({source.get('file')}, {source.get('license') or
'licence of the given font'}) in one of {len(config['styles'])} handwriting styles, one per
training font. {m['image_size']}x{m['image_size']} px; U-Net with ngf {m['ngf']} and a
{m['embed_dim']}-d learned style embedding at the bottleneck; decoder dropout gives the variation.

Styles: {', '.join(f'`{s}`' for s in config['styles'])}.
Defaults: {', '.join(f'{k} `{v}`' for k, v in config.get('default_styles', {}).items())}{
f" (chosen by {config['default_styles_chosen_by']})" if config.get('default_styles_chosen_by') else ''}.
Variation (decoder dropout scale at inference, 0 gives every copy of a character the same
glyph): {config.get('variation', 1.0)}.
Output cleanup (fitted by `scripts/choose_glyph_styles.py --fit-cleanup`): {_cleanup_text(config)}.

## Training
- {run.get('pairs')} (source, target) glyph pairs; {len(held.get('Hang', ''))} Hangul and
  {len(held.get('Hani', ''))} Han characters held out of every font (listed in config.json).
- {run.get('steps')} steps, {run.get('epochs')} epochs, {run.get('seconds')} s on
  {run.get('hardware')}{_in_all(config)}.
{_reproduce(config)}

## Fonts and licences
The weights were trained on renderings of these fonts; no font file is included.

| font | script | licence | use | source |
| --- | --- | --- | --- | --- |
{rows}
"""
    for ft in config.get("finetuned", []):
        text += (f"\nStyle `{ft['style']}` was fine-tuned from {ft['from']} on {ft['glyphs']} "
                 f"glyph images{' (decoder too)' if ft.get('decoder') else ''}: {ft['steps']} "
                 f"steps, {ft['seconds']} s.\n")
    text += "\n## Evaluation\n"
    if not report:
        return text + f"Run `hwrender eval {TRAINER_NAME} --weights THIS_FOLDER --write-card`.\n"
    lines = ["| figure | value | target | |", "| --- | --- | --- | --- |"]
    for f in report.get("figures", []):
        ok = "" if f.get("pass") is None else ("ok" if f["pass"] else "missed")
        lines.append(f"| {f['name']} | {f['value']} | {f.get('target') or ''} | {ok} |")
    notes = "".join(f"\n- {n}" for n in report.get("notes", []))
    return text + "\n".join(lines) + "\n" + (f"\nNotes:{notes}\n" if notes else "")


def _keep_source_font(source: Path, folder: Path) -> str:
    """The config's ``source_font.file`` for a model exported to ``folder``: a font other than the
    bundled one is copied into the folder, since a model may name no file outside it."""
    if Path(source).resolve() != SOURCE_FONT.resolve():
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, folder / Path(source).name)
    return Path(source).name

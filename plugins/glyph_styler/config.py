"""The settings of a glyph styler run (``--set KEY=VALUE``), their variants and defaults.

Torch-free, so that the model card can compare a run's settings with the defaults without
building a network. What each default measured is in the CHANGELOG and the model card.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hwrender.errors import UsageError
from hwrender.train import apply_overrides, check_ranges

from .data import SCRIPTS, Selection

if TYPE_CHECKING:  # pragma: no cover
    from .model import ModelConfig


# settings added later, and what runs from before them did: a run key or an exported config's
# "train" without one is read as this value (cpu_bf16 is on by default since: an older fp32 run
# resumed with the default switches to bf16 as a recorded phase, and its card's command says
# cpu_bf16=False)
SETTINGS_BEFORE = {"cpu_bf16": False, "feature_match_weight": 0.0}


@dataclass
class GlyphStylerConfig:
    """Every setting of a run (``--set KEY=VALUE``). A field's comment is its line in
    ``hwrender train glyph-styler --help``; the comment above a measured default says why."""

    variant: str = "base"  # base, or tiny (a seconds-sized model for tests)
    # the network
    image_size: int = 64  # glyph size in px (square)
    ngf: int = 32  # generator channels at the first level
    ndf: int = 32  # discriminator channels at the first level
    max_mult: int = 8  # channel multiplier cap of the deepest levels
    embed_dim: int = 128  # size of a style vector
    # 0.5 (pix2pix) hid the layout that thin, offset styles need; 0.2 trains like 0
    dropout: float = 0.2  # decoder dropout, the variation of a glyph at inference
    # FiLM (model.ModelConfig.style_film): the style vector scales and shifts the channels of
    # every decoder level, not only the bottleneck's; init_from may start it from a model without
    # it (its FiLM layers start at identity)
    style_film: bool = False  # the style modulates every decoder level (FiLM)
    # the objective and its two-phase schedule (Handwriting_styler)
    # zi2zi's 1e-3: pix2pix's 2e-4 stayed at the near-blank "median glyph"
    lr: float = 1e-3  # learning rate (generator and discriminator)
    beta1: float = 0.5  # Adam beta1
    l1_weight: float = 100.0  # L1 to the target glyph
    const_weight: float = 15.0  # constant loss, so the drawn glyph encodes as its source
    late_l1_weight: float = 500.0  # L1 weight from late_epoch on
    late_const_weight: float = 1000.0  # constant loss weight from late_epoch on
    # off: the late weights blew the first runs up
    late_epoch: float = 99.0  # epoch the second loss phase starts (99: never)
    # zi2zi's halving: a new font is fitted better from few glyphs (held-out L1 not better)
    lr_decay_epoch: float = 3.0  # epoch the learning rate starts halving
    lr_halve_epochs: float = 0.5  # epochs per halving of the learning rate
    # 10 measured no better: 1,500-step fine-tunes from the shipped weights (16 installed styles, lr
    # 1e-4), style accuracy 0.221 (1) vs 0.228 (10), held-out L1 worse (issue 31, CHANGELOG)
    category_weight: float = 1.0  # style classifier loss
    # pix2pixHD's per-sample L1 between the discriminator's activations of the generated and the
    # true glyph: a style loss that, unlike category_weight's head (trained on generated glyphs
    # too), always points at the real font. Off: 360-step fine-tunes from the shipped weights, one
    # seed, measured it worse (style accuracy 0.216 -> 0.193 at 20, held-out L1 up; issue 31)
    feature_match_weight: float = 0.0  # discriminator feature-matching loss (0: off)
    # at 1 the discriminator wins and training L1 rises; a 1,500-step fine-tune from the shipped
    # weights at 1 also drew the styles less (style accuracy 0.142 vs 0.221, issue 31)
    adv_weight: float = 0.1  # adversarial loss
    ema_decay: float = 0.999  # decay of the generator's moving average (what is exported)
    # 1.6x the images/s on a CPU with AVX512-BF16 or AMX (benchmarks/bench_glyph_styler.py
    # --throughput; 1.5x per CPU second in real runs) with the same held-out L1 and SSIM at 150
    # steps within the seed spread (2 seeds each, --compare-runs; issue 31). A CPU without
    # native bf16 (or HWRENDER_BF16=0) trains in fp32 whatever this says; a run key without it
    # is an fp32 run from before (``settings_before``)
    cpu_bf16: bool = True  # bf16 autocast of the training step on a CPU that has bf16
    # float16 halves the file; the loader reads it back as float32
    export_dtype: str = "float16"  # float16 or float32 weights in the exported model
    # the data
    fill: float = 0.75  # the median glyph's box, as a fraction of the canvas
    hangul_per_font: int = 2000  # Hangul syllables drawn per font
    hangul_common_fraction: float = 0.8  # share of those from the 2,350 common syllables
    han_per_font: int = 0  # ideographs per font (0: every GB 2312 level-1 one the font has)
    han_level2: bool = False  # also GB 2312 level-2 ideographs
    heldout_per_script: int = 100  # characters per script kept out of training (for eval)
    scripts: list = field(default_factory=lambda: list(SCRIPTS))  # scripts to train on (Hang, Hani or both)
    exclude_fonts: list = field(default_factory=list)  # corpus font ids to leave out
    # grass script nobody can read is not worth the budget
    skip_hard_to_read: bool = True  # leave out fonts marked hard to read (grass script)
    default_hangul: str = "nanum-pen"  # default Hangul style (if trained, else the first font)
    default_han: str = "lxgw-wenkai"  # default Han style (if trained, else the first font)
    source_font: str = ""  # the plain font glyphs are redrawn from (default: the bundled one)
    # for a run that goes on from shipped weights when the checkpoint that made them is gone
    init_from: str = ""  # warm-start the generator from an exported model (same styles, network)
    source_index: int = 0  # face number in a .ttc source font
    # sample grids
    grid_chars: int = 6  # characters per script in sample grids
    grid_styles: int = 4  # styles per script in sample grids
    # fine-tuning (--finetune)
    finetune_repeats: int = 20  # passes over the given glyphs per epoch (--finetune)
    finetune_lr: float = 0.01  # learning rate of the new style vector (--finetune)
    finetune_decoder: bool = False  # also tune the decoder (--finetune)
    finetune_decoder_lr: float = 2e-5  # the decoder's learning rate (--finetune)

    def model_config(self, n_styles: int) -> "ModelConfig":
        from .model import ModelConfig

        return ModelConfig(image_size=self.image_size, ngf=self.ngf, ndf=self.ndf,
                           max_mult=self.max_mult, embed_dim=self.embed_dim, n_styles=n_styles,
                           dropout=self.dropout, style_film=self.style_film)

    def selection(self) -> Selection:
        return Selection(self.hangul_per_font, self.hangul_common_fraction, self.han_per_font,
                         self.han_level2)


VARIANTS = {
    "base": {},
    "tiny": dict(image_size=16, ngf=4, ndf=4, max_mult=2, embed_dim=8, heldout_per_script=2,
                 hangul_per_font=40, han_per_font=40, grid_chars=2, grid_styles=2,
                 finetune_repeats=2),
}


def config_for(options: list[str], scripts: tuple[str, ...] | None = None) -> GlyphStylerConfig:
    """The settings for ``--set`` options; the variant's defaults first, explicit settings over them.

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
    return checked(apply_overrides(base, options))


def checked(config: GlyphStylerConfig) -> GlyphStylerConfig:
    """``config``, or a UsageError for a setting a run cannot use, before any data is made (an
    export_dtype of int8 failed at export, after every step)."""
    if config.export_dtype not in ("float16", "float32"):
        raise UsageError(f"--set export_dtype={config.export_dtype}: expected float16 or float32",
                         "use --set export_dtype=float16")
    if not config.scripts or any(sc not in SCRIPTS for sc in config.scripts) \
            or len(set(config.scripts)) != len(config.scripts):
        raise UsageError(f"--set scripts={json.dumps(list(config.scripts))}: expected one or both of "
                         f"{', '.join(SCRIPTS)}", f"e.g. --set scripts={json.dumps(list(SCRIPTS))}")
    size = config.image_size
    if size < 8 or size & (size - 1):
        raise UsageError(f"--set image_size={size}: expected a power of two, 8 or more",
                         "e.g. --set image_size=64")
    check_ranges(config, {
        **{k: (1, None, "[]") for k in ("ngf", "ndf", "max_mult", "embed_dim")},
        **{k: (0, None, "(]") for k in ("lr", "finetune_lr")},
        "dropout": (0, 1, "[)"), "beta1": (0, 1, "[)"), "ema_decay": (0, 1, "[)"),
        "fill": (0, 1, "(]"), "hangul_common_fraction": (0, 1, "[]")})
    return config

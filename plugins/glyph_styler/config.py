"""The settings of a glyph styler run (``--set KEY=VALUE``), their variants and defaults.

Torch-free, so that the model card can compare a run's settings with the defaults without
building a network. What each default measured is in the CHANGELOG and the model card.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from hwrender.errors import UsageError
from hwrender.train import apply_overrides

from .data import SCRIPTS, Selection

if TYPE_CHECKING:  # pragma: no cover
    from .model import ModelConfig


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
    dropout: float = 0.2  # 0.5 (pix2pix) hid the layout thin, offset styles need; 0.2 trains like 0
    # the objective and its two-phase schedule (Handwriting_styler)
    lr: float = 1e-3  # zi2zi's; pix2pix's 2e-4 stayed at the near-blank "median glyph"
    beta1: float = 0.5
    l1_weight: float = 100.0
    const_weight: float = 15.0
    late_l1_weight: float = 500.0
    late_const_weight: float = 1000.0
    late_epoch: float = 99.0  # off: the late weights blew the first runs up
    lr_decay_epoch: float = 3.0  # zi2zi's halving: held-out L1 and fitting new fonts improved
    lr_halve_epochs: float = 0.5
    category_weight: float = 1.0
    adv_weight: float = 0.1  # at 1 the discriminator wins and training L1 rises
    ema_decay: float = 0.999
    export_dtype: str = "float16"  # half the file; the loader reads it back as float32
    # the data
    fill: float = 0.75
    hangul_per_font: int = 2000
    hangul_common_fraction: float = 0.8
    han_per_font: int = 0
    han_level2: bool = False
    heldout_per_script: int = 100
    scripts: list = field(default_factory=lambda: list(SCRIPTS))
    exclude_fonts: list = field(default_factory=list)
    skip_hard_to_read: bool = True  # grass script nobody can read: not worth the budget
    default_hangul: str = "nanum-pen"
    default_han: str = "lxgw-wenkai"
    source_font: str = ""
    # for a run that goes on from shipped weights when the checkpoint that made them is gone
    init_from: str = ""
    source_index: int = 0
    # sample grids
    grid_chars: int = 6
    grid_styles: int = 4
    # fine-tuning
    finetune_repeats: int = 20
    finetune_lr: float = 0.01
    finetune_decoder: bool = False
    finetune_decoder_lr: float = 2e-5

    # one line per setting for `hwrender train glyph-styler --help`
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

    def model_config(self, n_styles: int) -> "ModelConfig":
        from .model import ModelConfig

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
    return apply_overrides(base, options)

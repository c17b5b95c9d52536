"""What pre-training (``task``) and fine-tuning (``finetune``) share: the task's name and
settings, placing networks and glyphs on the device, drawing sample glyphs, the style-fitting
loss, and the weights and source font an export writes.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Mapping

import numpy as np
import torch
import torch.nn.functional as F

from hwrender.errors import UsageError
from hwrender.train import TrainTask

from . import SOURCE_FONT, TRAINER_NAME
from .config import SETTINGS_BEFORE, GlyphStylerConfig
from .model import GlyphUNet, to_alpha, to_model


class GlyphTask(TrainTask):
    """The parts of a glyph styler task that do not depend on what it trains."""

    name = TRAINER_NAME
    # a resume may restart the learning-rate schedule, switch to the late phase or re-weight the
    # losses (a later phase of training; the card gives each phase's command)
    resume_may_change = frozenset({"lr", "lr_decay_epoch", "lr_halve_epochs", "late_epoch",
                                   "adv_weight", "const_weight", "l1_weight", "category_weight",
                                   "feature_match_weight"})

    def __init__(self, config: GlyphStylerConfig | None = None):
        self.config = config or GlyphStylerConfig()

    settings_before = SETTINGS_BEFORE  # a run key without one of these ran at this value

    def config_dict(self) -> dict:
        # a later setting at its old value leaves the run key (and an export's "train") as before
        # the setting existed, so the checkpoints of earlier runs still resume
        config = super().config_dict()
        for key, before in self.settings_before.items():
            if config.get(key) == before:
                config.pop(key, None)
        return config

    def _on_device(self, ctx) -> None:
        self.ctx, self.device = ctx, ctx.device
        self.cpu = str(ctx.device).startswith("cpu")

    def _place(self, module: torch.nn.Module) -> torch.nn.Module:
        module = module.to(self.device)
        return module.to(memory_format=torch.channels_last) if self.cpu else module

    def _x(self, u8: torch.Tensor) -> torch.Tensor:
        x = to_model(u8).to(self.device)
        return x.contiguous(memory_format=torch.channels_last) if self.cpu else x

    @torch.no_grad()
    def _generate(self, model: GlyphUNet, src_u8: np.ndarray, styles: torch.Tensor) -> np.ndarray:
        model.eval()
        out = model(self._x(torch.from_numpy(src_u8)), styles.to(self.device))[0]
        return to_alpha(out).cpu().numpy()


def style_loss(model: GlyphUNet, src: torch.Tensor, tgt: torch.Tensor, style: torch.Tensor,
               l1_weight: float, const_weight: float) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(loss, l1, const) of fitting a style: L1 to the given glyphs and the constant loss."""
    fake, enc_src = model(src, style)
    l1 = (fake - tgt).abs().mean()
    const = F.mse_loss(model.encode(fake), enc_src.detach())
    return l1_weight * l1 + const_weight * const, l1, const


def export_state(state: Mapping[str, torch.Tensor], dtype: str) -> dict[str, torch.Tensor]:
    """Weights as shipped: float16 halves the file (8 M parameters: 16 MB, not 31) and the loader
    turns them back into float32; integer buffers stay as they are."""
    if dtype not in ("float16", "float32"):
        raise UsageError(f"export_dtype must be float16 or float32, got {dtype!r}", "use float16")
    want = torch.float16 if dtype == "float16" else torch.float32
    return {k: v.detach().cpu().to(want) if v.is_floating_point() else v.detach().cpu()
            for k, v in state.items()}


def model_ref(ref: str) -> str:
    """``--finetune`` and ``init_from`` accept a model folder, a run folder (its model/), or a
    store name."""
    path = Path(ref)
    if path.is_dir() and not (path / "config.json").is_file() and (path / "model").is_dir():
        return str(path / "model")
    return ref


def keep_source_font(source: Path, folder: Path) -> str:
    """The config's ``source_font.file`` for a model exported to ``folder``: a font other than the
    bundled one is copied into the folder, since a model may name no file outside it."""
    if Path(source).resolve() != SOURCE_FONT.resolve():
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, folder / Path(source).name)
    return Path(source).name

"""Training of the ink upscaler: L1 between its 2x redrawing of a soft 1x word crop and the word
rendered at 2x. L1's minimiser is the target's median, so where the input leaves an edge
uncertain the output still commits to ink or paper (a mean-squared loss would paint grey)."""

from __future__ import annotations

import dataclasses
import math
import platform
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import torch
import torch.nn.functional as F

from hwrender.errors import UsageError
from hwrender.render.upscale import MODEL_NAME, UpscalerConfig, build_network
from hwrender.train import RunContext, TrainTask, apply_overrides

from .data import Degrade, build_pairs, font_paths, split_fonts, word_list


@dataclass
class UpscalerTrainConfig:
    """Every setting of a run (``--set KEY=VALUE``)."""

    variant: str = "base"  # base, or tiny (a seconds-sized model for tests)
    # 16 channels, 2 blocks at 2x read as well as 32, 4 at 4x (20 Latin pages, Tesseract CER 0.0211
    # vs 0.0214) and cost a 250-word vector page 0.45 s instead of 1.2 s; 8 channels read as well
    # as 16 (0.0197 both) at 0.39x the multiply-adds (bench_ink, issue 28)
    channels: int = 8  # channels of the convolutions at 1x
    blocks: int = 2  # residual convolutions at 1x
    scale: int = 2  # output px per input px (2 or 4)
    lr: float = 2e-3  # peak learning rate (Adam)
    warmup_steps: int = 200  # linear warm-up to lr
    # measured: 3,000 steps with a one-cycle schedule gave validation L1 0.0154 (bilinear 0.064)
    decay_steps: int = 3000  # cosine decay from lr to lr_floor * lr by this step
    lr_floor: float = 0.05  # the decay's end, as a share of lr
    train_pairs: int = 30000  # word crops rendered for training
    val_pairs: int = 400  # crops from the validation fonts
    crop: int = 48  # crop width, px at 1x
    blur: list = field(default_factory=lambda: list(Degrade.blur))  # input blur sigma range, px at 1x
    # the word GAN's own (Augment.light) warp: 20 Latin pages read 0.0197 against 0.0211 without
    # it (raster 0.0177; bench_ink --ocr-pages 20, issue 28)
    elastic: float = 0.35  # elastic warp of the words, px at 1x (0: none)
    wobble: float = 0.5  # baseline wobble of the words, px at 1x (0: none)


VARIANTS = {"base": {}, "tiny": dict(channels=4, blocks=1, train_pairs=64, val_pairs=8, crop=16,
                                     warmup_steps=2, decay_steps=10)}


def build_task(options: list[str]) -> "UpscalerTask":
    variant = apply_overrides(UpscalerTrainConfig(), options).variant
    if variant not in VARIANTS:
        raise UsageError(f"unknown variant {variant!r}", f"use one of: {', '.join(VARIANTS)}")
    config = apply_overrides(dataclasses.replace(UpscalerTrainConfig(), **VARIANTS[variant]), options)
    lo, hi = (list(config.blur) + [None, None])[:2]
    if not (isinstance(lo, (int, float)) and isinstance(hi, (int, float)) and 0 <= lo <= hi <= 3):
        raise UsageError(f"--set blur={config.blur}: expected [LOW, HIGH] with 0 <= LOW <= HIGH <= 3",
                         "e.g. --set blur=[0,1.1]")
    if config.scale not in (2, 4):
        raise UsageError(f"--set scale={config.scale}: the upscaler draws at 2x or 4x", "use --set scale=2 or 4")
    for key in ("elastic", "wobble"):
        if not 0 <= getattr(config, key) <= 3:
            raise UsageError(f"--set {key}={getattr(config, key)}: expected 0 to 3 px", f"e.g. --set {key}=0.5")
    for key in ("channels", "blocks", "train_pairs", "val_pairs", "crop", "decay_steps"):
        if getattr(config, key) < 1:
            raise UsageError(f"--set {key}={getattr(config, key)}: must be at least 1", "give a positive number")
    return UpscalerTask(config)


class UpscalerTask(TrainTask):
    name = MODEL_NAME
    stateful = ("net", "optimizer")

    def __init__(self, config: UpscalerTrainConfig):
        self.config = config

    def net_config(self) -> UpscalerConfig:
        return UpscalerConfig(channels=self.config.channels, blocks=self.config.blocks, scale=self.config.scale)

    def setup(self, ctx: RunContext) -> None:
        cfg = self.config
        self.device = torch.device(ctx.device)
        paths = font_paths(ctx.data, ctx.log)
        train_ids, val_ids = split_fonts(list(paths))
        words, source = word_list(ctx.seed)
        deg = dataclasses.replace(Degrade(), blur=tuple(cfg.blur), elastic=cfg.elastic, wobble=cfg.wobble)
        ctx.log(f"ink-upscaler: rendering {cfg.train_pairs} + {cfg.val_pairs} word crops "
                f"({len(train_ids)} + {len(val_ids)} fonts, words: {source})")
        x, y = build_pairs({k: paths[k] for k in train_ids}, words, cfg.train_pairs, ctx.seed,
                           cfg.crop, cfg.scale, deg)
        vx, vy = build_pairs({k: paths[k] for k in val_ids}, words, cfg.val_pairs, ctx.seed + 1,
                             cfg.crop, cfg.scale, deg)
        self.x, self.y = torch.from_numpy(x), torch.from_numpy(y)
        self.vx, self.vy = torch.from_numpy(vx), torch.from_numpy(vy)
        self.provenance = {"train_fonts": train_ids, "val_fonts": val_ids, "words": source,
                           "train_pairs": cfg.train_pairs, "val_pairs": cfg.val_pairs,
                           "degrade": dataclasses.asdict(deg),
                           "source": str(ctx.data) if ctx.data else "installed Latin training fonts"}
        self.net = build_network(self.net_config()).to(self.device)
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=cfg.lr)

    def num_examples(self) -> int:
        return len(self.x)

    def lr_at(self, step: int) -> float:
        cfg = self.config
        if step < cfg.warmup_steps:
            return cfg.lr * (step + 1) / cfg.warmup_steps
        t = min(1.0, (step - cfg.warmup_steps) / max(1, cfg.decay_steps - cfg.warmup_steps))
        return cfg.lr * (cfg.lr_floor + (1 - cfg.lr_floor) * 0.5 * (1 + math.cos(math.pi * t)))

    def train_step(self, batch: torch.Tensor, step: int) -> dict[str, float]:
        for group in self.optimizer.param_groups:
            group["lr"] = self.lr_at(step)
        x = self.x[batch].to(self.device)
        y = self.y[batch].to(self.device).float() / 255
        loss = F.l1_loss(self.net(x), y)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return {"l1": loss.item(), "lr": self.lr_at(step)}

    @torch.no_grad()
    def validation(self) -> dict[str, float]:
        """L1 on the validation fonts' crops: the network against the bilinear enlargement."""
        self.net.eval()
        try:
            x, y = self.vx.to(self.device), self.vy.to(self.device).float() / 255
            out = self.net(x)
            base = F.interpolate(x, scale_factor=self.config.scale, mode="bilinear", align_corners=False)
            return {"val_l1": F.l1_loss(out, y).item(), "val_l1_bilinear": F.l1_loss(base, y).item()}
        finally:
            self.net.train()

    @torch.no_grad()
    def sample_grid(self, step: int):
        """Rows of validation crops: the 1x input enlarged, the network's output, the 4x target."""
        from PIL import Image

        self.net.eval()
        try:
            k = min(6, len(self.vx))
            x = self.vx[:k].to(self.device)
            out = self.net(x).cpu().numpy()[:, 0]
            near = F.interpolate(x, scale_factor=self.config.scale, mode="nearest").cpu().numpy()[:, 0]
            target = self.vy[:k].numpy()[:, 0].astype(np.float32) / 255
        finally:
            self.net.train()
        rows = [np.concatenate(list(part), axis=1) for part in (near, out, target)]
        sheet = 1.0 - np.concatenate(rows, axis=0)
        return Image.fromarray(np.round(sheet * 255).astype(np.uint8))

    def export(self, folder: Path, summary: Mapping[str, Any]) -> None:
        from hwrender.weights import save_model

        from .card import model_card

        figures = self.validation()
        state = {k: v.detach().float().cpu() for k, v in self.net.state_dict().items()}
        config = {"model": MODEL_NAME, "architecture": "conv-pixel-shuffle",
                  "net": dataclasses.asdict(self.net_config()), "train": dataclasses.asdict(self.config),
                  "data": self.provenance, "run": {**dict(summary), "cpu": platform.processor() or platform.machine()},
                  "eval": figures}
        save_model(folder, state, config, model_card(config), name=MODEL_NAME)

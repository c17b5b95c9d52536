"""The exponential moving average of a generator, the copy GAN families sample from and export."""

from __future__ import annotations

import torch
from torch import nn


@torch.no_grad()
def update_ema(ema: nn.Module, model: nn.Module, step: int, decay: float) -> None:
    """Move ``ema``'s parameters toward ``model``'s and copy its buffers (batch-norm statistics).

    The decay warms up as (1 + step) / (10 + step) until it reaches ``decay``: otherwise the
    average would be dominated by the untrained first steps and mismatch the copied statistics.
    """
    d = min(decay, (1.0 + step) / (10.0 + step))
    for p_ema, p in zip(ema.parameters(), model.parameters()):
        p_ema.lerp_(p, 1.0 - d)
    for b_ema, b in zip(ema.buffers(), model.buffers()):
        b_ema.copy_(b)

"""The ink upscaler: a small learned network that redraws a generator's soft low-resolution alpha
at 2x with the sharp edges a pen (or a font) has, before vector ink traces it (issue 28).

Why: the Latin word GAN draws 32 px words, about 3x magnified at 300 dpi. Its edges are a soft
grey band, and where two letters nearly touch, the join is faint. Tracing any level of that
alpha decides every faint join as ink or paper, and Tesseract read the traced page worse than the
soft raster (bench_ink: CER 0.031 at the best level against 0.018). The upscaler was trained on
the Latin training fonts (``hwrender train ink-upscaler``): a word rendered at 2x is the target,
the same word box-reduced to 1x and blurred like the GAN's ink is the input. So it decides edges
and joins the way handwriting fonts draw them, and the trace of its output keeps the raster's
legibility far better (figures in ``weights/ink-upscaler/README.md`` and the README).

It serves vector ink (``ink_render="vector"``, SVG, vector PDF, plotter strokes) for the inks
whose pixel is large on the page (``trace.UPSAMPLE_ABOVE_PT``) and whose writing is of the size
it learnt (``serves``: the Latin GAN's words); EMNIST's larger characters and fine ink (fonts,
the glyph styler's 64 px glyphs) are traced as they are. The raster page does not use it. torch
is imported on the first call only.

Pixel grid: output pixel (si + a, sj + b) lies inside input pixel (i, j) (s: the network's
``scale``, 4 by default), so a contour traced on the output, divided by s, is in the input's
pixels.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import torch

MODEL_NAME = "ink-upscaler"
SCALE = 2  # output px per input px, along each axis (the shipped network's; a config may say 4)
ENABLED = True  # off: vector ink traces every alpha as before (the bicubic interpolant)
# blank paper around each alpha, px at 1x: at least the network's reach (``reach``: blocks + 3,
# 5 px for the shipped one), so an image's edge is drawn as paper beyond it, alone or batched
# beside wider images (a conv's zero padding of its hidden features is not what blank input
# gives them)
PAD = 6


@dataclass(frozen=True)
class UpscalerConfig:
    """The network: ``blocks`` residual 3x3 convolutions of ``channels`` at the input's resolution,
    a pixel shuffle to SCALE x, one 3x3 convolution there, added to the input's bilinear
    enlargement in logit space (so an untrained network already gives a soft, sensible alpha)."""

    channels: int = 16
    blocks: int = 2
    scale: int = SCALE


def build_network(cfg: UpscalerConfig) -> "torch.nn.Module":
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    class InkUpscaler(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            c, s = cfg.channels, cfg.scale
            self.scale = s
            # px at 1x an output pixel sees: head, blocks and up convolutions, the tail's 1 px at
            # scale x, and the bilinear base
            self.reach = cfg.blocks + 3
            self.head = nn.Conv2d(1, c, 3, padding=1)
            self.body = nn.ModuleList([nn.Conv2d(c, c, 3, padding=1) for _ in range(cfg.blocks)])
            self.up = nn.Conv2d(c, 4 * s * s, 3, padding=1)
            self.tail = nn.Conv2d(4, 1, 3, padding=1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            h = F.relu(self.head(x))
            for conv in self.body:
                h = h + F.relu(conv(h))
            h = F.pixel_shuffle(self.up(h), self.scale)
            base = F.interpolate(x, scale_factor=self.scale, mode="bilinear", align_corners=False)
            return torch.sigmoid(self.tail(F.relu(h)) + 8.0 * (base - 0.5))

    return InkUpscaler()


def network_config(config: dict[str, Any]) -> UpscalerConfig:
    """The network a model's config.json describes (its ``net``)."""
    net = config.get("net", {})
    return UpscalerConfig(**{k: net[k] for k in asdict(UpscalerConfig()) if k in net})


# the writing it learnt: words whose x-height is 9-11 px (plugins/upscaler/data.py). An ink drawn
# larger in its own pixels is not redrawn: EMNIST's 28 px characters (x-height 16 px) read worse
# through it (bench_ink, 10 pages: Tesseract CER 0.190 against 0.166 traced as they are)
MAX_X_HEIGHT = 13.0


def serves(ink) -> bool:
    """Whether ``ink`` is writing of the size the upscaler learnt (its x-height in its own px)."""
    try:
        return 0 < float(ink.x_height) <= MAX_X_HEIGHT
    except (TypeError, ValueError, AttributeError):
        return False


_lock = threading.Lock()
_loaded: dict[str, Any] = {}
_warned: list[str] = []


def load(weights_dir: str | None = None):
    """The shipped (or ``weights_dir``'s) upscaler, evaluated in float32 on the CPU; cached."""
    key = weights_dir or ""
    with _lock:
        if key in _loaded:
            return _loaded[key]
        from ..weights import resolve

        files = resolve(MODEL_NAME, weights_dir=weights_dir)
        cfg = network_config(files.config)
        net = build_network(cfg)
        state = files.load_state_dict(files.module_shapes(lambda: build_network(cfg)))
        net.load_state_dict({k: v.float() for k, v in state.items()})
        net.eval()
        _loaded[key] = net
        return net


def available() -> bool:
    """Whether vector ink can use the upscaler (ENABLED and its weights load). A broken or missing
    copy is said once on stderr, and vector ink falls back to tracing the alpha as it is."""
    if not ENABLED:
        return False
    try:
        load()
        return True
    except Exception as exc:  # noqa: BLE001 - any failure: fall back, said once
        if not _warned:
            _warned.append(str(exc))
            print(f"hwrender: warning: the ink upscaler could not be loaded ({exc}); vector ink is "
                  "traced from the generators' own resolution (`hwrender weights verify "
                  f"{MODEL_NAME}` says what is wrong)", file=sys.stderr)
        return False


def upscale_many(alphas: Sequence[np.ndarray], net=None) -> list[np.ndarray]:
    """Each alpha (H, W) in 0..1 redrawn at (SCALE H, SCALE W); images of one height go through
    the network together, each with PAD px of blank paper around it (cropped off again)."""
    import torch

    net = net if net is not None else load()
    scale = int(getattr(net, "scale", SCALE))
    out: list[np.ndarray | None] = [None] * len(alphas)
    groups: dict[int, list[int]] = {}
    for i, a in enumerate(alphas):
        a = np.asarray(a, dtype=np.float32)
        if a.ndim != 2 or a.size == 0:
            out[i] = np.zeros((a.shape[0] * scale if a.ndim == 2 else 0,
                               a.shape[1] * scale if a.ndim == 2 else 0), np.float32)
            continue
        groups.setdefault(a.shape[0], []).append(i)
    p = max(PAD, int(getattr(net, "reach", PAD)))
    with torch.inference_mode():
        for h, members in groups.items():
            width = max(np.asarray(alphas[i]).shape[1] for i in members)
            batch = np.zeros((len(members), 1, h + 2 * p, width + 2 * p), np.float32)
            for row, i in enumerate(members):
                a = np.nan_to_num(np.asarray(alphas[i], dtype=np.float32), nan=0.0)
                batch[row, 0, p:p + h, p:p + a.shape[1]] = np.clip(a, 0.0, 1.0)
            result = net(torch.from_numpy(batch)).numpy()
            for row, i in enumerate(members):
                w = np.asarray(alphas[i]).shape[1]
                out[i] = np.ascontiguousarray(result[row, 0, p * scale:(p + h) * scale, p * scale:(p + w) * scale])
    return out  # type: ignore[return-value]

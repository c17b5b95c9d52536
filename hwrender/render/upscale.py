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
``scale``, 2 for the shipped one), so a contour traced on the output, divided by s, is in the input's
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

    channels: int = 8
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

        def phases(self, x: torch.Tensor) -> torch.Tensor:
            """``forward(x)`` computed at the input's resolution: (N, s*s, H, W), channel a*s + b
            holding output pixel (s i + a, s j + b). Inference only: the tail convolution, the
            pixel shuffle and the bilinear base fold into one 3x3 convolution at 1x
            (``_folded``), so nothing runs on the s*s times larger grid (the same function, to
            float rounding; tested)."""
            x = x.contiguous(memory_format=torch.channels_last)  # oneDNN's fast layout for few channels
            h = self.head(x).relu_()
            for conv in self.body:
                h = h.add_(conv(h).relu_())
            (w_up, w_x), bias = self._folded()
            out = F.conv2d(self.up(h).relu_(), w_up, bias, padding=1)
            out += F.conv2d(x, w_x, None, padding=1)
            return out.sigmoid_()

        def _folded(self) -> tuple[tuple[torch.Tensor, torch.Tensor], torch.Tensor]:
            """``fold_tail``'s convolution split into its part over ``up``'s channels and its part
            over the input (no concatenation); cached until the tail's weights change."""
            key = (self.tail.weight._version, self.tail.bias._version, self.tail.weight.data_ptr())
            if getattr(self, "_fold_key", None) != key:
                weight, bias = fold_tail(self.tail.weight.detach(), self.tail.bias.detach(), self.scale)
                self._fold = ((weight[:, :-1].contiguous(memory_format=torch.channels_last),
                               weight[:, -1:].contiguous()), bias)
                self._fold_key = key
            return self._fold

    return InkUpscaler()


def fold_tail(weight: "torch.Tensor", bias: "torch.Tensor", s: int) -> tuple["torch.Tensor", "torch.Tensor"]:
    """The network's last steps, ``tail(pixel_shuffle(G, s)) + 8 (bilinear_s(x) - 1/2)``, as one
    3x3 convolution at 1x over [G, x] (G: the 4 s^2 channels ``up`` gives after its ReLU, x the
    input) to s^2 output phases (channel a*s + b: output pixel (s i + a, s j + b)).

    The tail's tap (dy, dx) from output pixel (s i + a, s j + b) reads the shuffled pixel
    (s i + a + dy, ...): input pixel i + floor((a + dy) / s), phase (a + dy) mod s, which is
    channel c s^2 + a' s + b' of G. The bilinear enlargement (half-pixel centres) reads output
    pixel (s i + a) at source i + t, t = (a + 1/2) / s - 1/2, between pixels i and i +- 1. Zero
    padding at 1x is the same as at s x and as bilinear's edge clamp, because the images it is
    used on have blank paper around them (``upscale_many``)."""
    import torch

    out = torch.zeros(s * s, 4 * s * s + 1, 3, 3, dtype=torch.float64)
    w = weight.detach().double()
    for a in range(s):
        for b in range(s):
            o = a * s + b
            for dy in (-1, 0, 1):
                di, a2 = divmod(a + dy, s)
                for dx in (-1, 0, 1):
                    dj, b2 = divmod(b + dx, s)
                    for c in range(w.shape[1]):
                        out[o, c * s * s + a2 * s + b2, di + 1, dj + 1] += w[0, c, dy + 1, dx + 1]
            # the base: 8 x bilinear, separable weights along each axis
            for di, wi in _bilinear_taps(a, s):
                for dj, wj in _bilinear_taps(b, s):
                    out[o, 4 * s * s, di + 1, dj + 1] += 8.0 * wi * wj
    folded_bias = (bias.detach().double()[0] - 4.0).expand(s * s).clone()
    return out.to(weight.dtype), folded_bias.to(weight.dtype)


def _bilinear_taps(a: int, s: int) -> list[tuple[int, float]]:
    """(offset, weight) of the input pixels output phase ``a`` of an s x bilinear enlargement
    (align_corners=False) reads along one axis."""
    t = (a + 0.5) / s - 0.5
    return [(0, 1.0 - t), (1, t)] if t >= 0 else [(-1, -t), (0, 1.0 + t)]


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
        import torch

        from ..weights import resolve

        files = resolve(MODEL_NAME, weights_dir=weights_dir)
        cfg = network_config(files.config)
        net = build_network(cfg)
        state = files.load_state_dict(files.module_shapes(lambda: build_network(cfg)))
        net.load_state_dict({k: v.float() for k, v in state.items()})
        net = net.to(memory_format=torch.channels_last).eval()  # what ``phases`` runs fastest in
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


# input px (at 1x) per sheet the network runs on at once: a page of 250 Latin words is one sheet
SHEET_PIXELS = 1 << 21


def upscale_many(alphas: Sequence[np.ndarray], net=None) -> list[np.ndarray]:
    """Each alpha (H, W) in 0..1 redrawn at (s H, s W) (s: the network's scale). The images are
    packed side by side in sheets (``trace._pack``) with max(PAD, reach) px of blank paper
    between them and around each sheet, so no image sees another or the sheet's edge, and each
    sheet goes through the network's 1x form (``phases``) at once: alone or beside others, an
    image comes out the same (to float rounding; tested)."""
    import torch

    from .trace import _pack

    net = net if net is not None else load()
    scale = int(getattr(net, "scale", SCALE))
    out: list[np.ndarray | None] = [None] * len(alphas)
    live = []
    for i, a in enumerate(alphas):
        a = np.asarray(a, dtype=np.float32)
        if a.ndim != 2 or a.size == 0:
            out[i] = np.zeros((a.shape[0] * scale if a.ndim == 2 else 0,
                               a.shape[1] * scale if a.ndim == 2 else 0), np.float32)
        else:
            live.append(i)
    gap = max(PAD, int(getattr(net, "reach", PAD)))
    live.sort(key=lambda i: (-np.shape(alphas[i])[0], i))  # tallest first: rows of like heights
    sheets, area = [[]], 0
    for i in live:
        h, w = np.shape(alphas[i])
        if sheets[-1] and area + (h + gap) * (w + gap) > SHEET_PIXELS:
            sheets.append([])
            area = 0
        sheets[-1].append(i)
        area += (h + gap) * (w + gap)
    with torch.inference_mode():
        for members in sheets:
            if not members:
                continue
            x, y, width, height = _pack([np.shape(alphas[i]) for i in members], gap)
            sheet = np.zeros((1, 1, height, width), np.float32)
            for i, xi, yi in zip(members, x, y):
                a = np.nan_to_num(np.asarray(alphas[i], dtype=np.float32), nan=0.0)
                sheet[0, 0, yi:yi + a.shape[0], xi:xi + a.shape[1]] = np.clip(a, 0.0, 1.0)
            phases = net.phases(torch.from_numpy(sheet)).permute(0, 2, 3, 1).numpy()[0]  # (H, W, s*s)
            for i, xi, yi in zip(members, x, y):
                h, w = np.shape(alphas[i])
                p = phases[yi:yi + h, xi:xi + w].reshape(h, w, scale, scale)
                out[i] = np.ascontiguousarray(p.transpose(0, 2, 1, 3)).reshape(h * scale, w * scale)
    return out  # type: ignore[return-value]

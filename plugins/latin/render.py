"""Latin words rendered from handwriting fonts, augmented: what the word generator learns from.

**Rendering** (``WordFont``, ``render_word``). Each font is scaled so its x-height (the median ink
height of ``X_HEIGHT_LETTERS``: 'x' alone is unreliable in handwriting fonts, some draw it capital
sized) is ``X_HEIGHT`` px, and drawn with its baseline at ``BASELINE`` at 4x the final resolution,
with Pillow's Raqm layout where available (contextual forms of script fonts) else the basic one.
Ink outside the 32 rows is lost; ``build_words`` counts the words that lose a px row or more, per
font. Augmentation (each font draws from its own seeded generator):
x-height jitter and stroke width change are applied at the 4x render (font size; Pillow's stroke
or a min filter), slant (shear about the baseline), baseline wobble and a smooth elastic warp in
one resampling at 2x, ink intensity and multiplicative noise at 1x. The word is then cropped to
its ink plus 1 px each side; its width is the *natural width*, and ``canonical`` squashes or
stretches it to ``CHAR_WIDTH`` px per character.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hwrender.errors import UsageError

from .words import BASELINE, HEIGHT, X_HEIGHT

SUPERSAMPLE = 4           # render at 4x, warp at 2x, store at 1x
MEASURE_EM = 200          # px per em of the renders that measure a font
X_HEIGHT_LETTERS = "acemnouvwx"
INK = 0.5 / 255           # alpha that still shows in 8 bits: counts as ink for the crop


@dataclass(frozen=True)
class Augment:
    """Per-word variation, drawn uniformly in each range (lengths in px of the final image)."""

    slant: float = 0.25                        # +- horizontal shear about the baseline (px per row)
    elastic: float = 0.5                       # std of the smooth random displacement, px
    elastic_scale: float = 5.0                 # px between the displacement field's control points
    stroke: tuple[float, float] = (-1.0, 1.0)  # change of stroke width, px (thinning: <= 1/3 of it)
    wobble: float = 1.0                        # max vertical baseline offset along the word, px
    x_height: tuple[float, float] = (9.0, 11.0)
    intensity: tuple[float, float] = (0.75, 1.0)  # ink darkness of the whole word
    noise: float = 0.08                        # std of the multiplicative per-pixel ink noise

    @classmethod
    def none(cls) -> Augment:
        """No variation: the clean render at X_HEIGHT."""
        return cls(slant=0.0, elastic=0.0, stroke=(0.0, 0.0), wobble=0.0,
                   x_height=(X_HEIGHT, X_HEIGHT), intensity=(1.0, 1.0), noise=0.0)

    @classmethod
    def light(cls) -> Augment:
        """Training variation that keeps words readable: half the default's per-word slant and
        baseline wobble, 0.7 of its warp. Tesseract reads lines of held-out words in these
        renders with CER ~0.07, against ~0.12 at the default and 0.06 for the clean fonts, and a
        generator is no more legible than the words it learns from."""
        return cls(slant=0.12, elastic=0.35, wobble=0.5)

    @classmethod
    def named(cls, name: str) -> Augment:
        """The training augmentation called ``name`` (``AUGMENTS``)."""
        if name not in AUGMENTS:
            raise UsageError(f"unknown word augmentation {name!r}",
                             f"use one of: {', '.join(AUGMENTS)}")
        return cls() if name == "full" else getattr(cls, name)()

    @classmethod
    def mild(cls) -> Augment:
        """Light variation for evaluation words: fonts stay recognisable, no two renders alike."""
        return cls(slant=0.1, elastic=0.25, stroke=(-0.6, 0.6), wobble=0.5, x_height=(9.5, 10.5),
                   intensity=(0.85, 1.0), noise=0.04)


AUGMENTS = ("full", "light", "mild", "none")  # training augmentations by name (Augment.named)


def layout_engine():
    from PIL import ImageFont, features

    return ImageFont.Layout.RAQM if features.check("raqm") else ImageFont.Layout.BASIC


class WordFont:
    """A font measured for word rendering: its x-height per em, its stroke width, sized instances."""

    def __init__(self, path: str | os.PathLike, ttc_index: int = 0):
        from PIL import Image, ImageDraw

        self.path, self.ttc_index = Path(path), ttc_index
        self.engine = layout_engine()
        from hwrender.fonts import coverage

        self.chars = coverage(self.path, ttc_index)
        letters = [ch for ch in X_HEIGHT_LETTERS if ch in self.chars]
        if not letters:
            raise UsageError(f"{self.path.name} draws none of {X_HEIGHT_LETTERS!r}",
                             "Latin word fonts need lower-case letters")
        font = self._pil(MEASURE_EM)
        heights, strokes = [], []
        for ch in letters:
            image = Image.new("L", (3 * MEASURE_EM, 3 * MEASURE_EM))
            ImageDraw.Draw(image).text((MEASURE_EM, 2 * MEASURE_EM), ch, font=font, fill=255, anchor="ls")
            mask = np.asarray(image) >= 128
            rows = np.flatnonzero(mask.any(axis=1))
            if len(rows):
                heights.append(rows[-1] + 1 - rows[0])
                outline = (np.count_nonzero(mask[1:] != mask[:-1])
                           + np.count_nonzero(mask[:, 1:] != mask[:, :-1]))
                strokes.append(2.0 * np.count_nonzero(mask) / max(outline, 1))
        if not heights:
            raise UsageError(f"{self.path.name} draws no ink for {X_HEIGHT_LETTERS!r}",
                             "Latin word fonts need lower-case letters")
        self.x_height_per_em = float(np.median(heights)) / MEASURE_EM
        # Stroke width in px at X_HEIGHT: thinning is bounded by it.
        self.stroke = float(np.median(strokes)) * X_HEIGHT / float(np.median(heights))
        self._sized: dict[int, object] = {}

    def _pil(self, size: int):
        from PIL import ImageFont

        return ImageFont.truetype(str(self.path), size, index=self.ttc_index, layout_engine=self.engine)

    def sized(self, x_height: float):
        """The Pillow font whose x-height is ``x_height`` px at the 4x supersampled resolution."""
        size = max(1, round(x_height * SUPERSAMPLE / self.x_height_per_em))
        if size not in self._sized:
            self._sized[size] = self._pil(size)
        return self._sized[size]


def render_word(font: WordFont, word: str, augment: Augment | None = None,
                rng: np.random.Generator | None = None) -> tuple[np.ndarray, float]:
    """(alpha float32 [HEIGHT, w] 0..1, natural ink width in px) of ``word`` in ``font``.

    Without ``augment`` the clean render (``Augment.none()``); ``rng`` draws the variation.
    """
    alpha, width, _ = render(font, word, augment or Augment.none(), rng or np.random.default_rng(0))
    return alpha, width


def draw_text(pil, word: str, stroke: float, font_stroke: float, pad: int, ss: int):
    """``word`` in the Pillow font ``pil`` drawn at ``ss`` px per final px: its stroke widened (or
    narrowed) by ``stroke`` px at 1x, in whole px per side at ``ss`` (narrowing rounds towards
    zero and never takes more than a third of the font's stroke ``font_stroke``), its baseline at
    BASELINE, ``pad`` final px of paper on either side. Returns the "L" image (ink 255, [HEIGHT *
    ss, width * ss]) and the text's ink box (left, top, right, bottom) about its origin, at ``ss``."""
    from PIL import Image, ImageDraw, ImageFilter

    per_side = max(stroke, -font_stroke / 3) * ss / 2
    per_side = round(per_side) if per_side >= 0 else int(per_side)
    grow = max(per_side, 0)
    box = left, _, right, _ = pil.getbbox(word, anchor="ls", stroke_width=grow)
    width = math.ceil((right - left) / ss) + 2 * pad
    image = Image.new("L", (width * ss, HEIGHT * ss))
    ImageDraw.Draw(image).text((pad * ss - left, BASELINE * ss), word, font=pil, fill=255,
                               anchor="ls", stroke_width=grow, stroke_fill=255)
    for _ in range(-per_side):
        image = image.filter(ImageFilter.MinFilter(3))
    return image, box


def render(font: WordFont, word: str, augment: Augment,
            rng: np.random.Generator) -> tuple[np.ndarray, float, tuple[float, float]]:
    """``render_word`` plus (px of ink lost above, px lost below) the frame, before warping."""
    from PIL import Image

    ss = SUPERSAMPLE
    pil = font.sized(rng.uniform(*augment.x_height))
    # Room for the slant, the warp and the 1 px margin, in px at 1x.
    pad = math.ceil(augment.slant * HEIGHT + 3 * augment.elastic + 2)
    image, (_, top, _, bottom) = draw_text(pil, word, rng.uniform(*augment.stroke), font.stroke, pad, ss)
    lost = (max(0.0, -(BASELINE * ss + top) / ss), max(0.0, (BASELINE * ss + bottom) / ss - HEIGHT))
    # Box-filter down to 2x (Pillow's reduce averages the 2 x 2 blocks), warp, down to 1x.
    alpha = np.asarray(image.reduce(ss // 2), np.float32) * (1 / 255)
    alpha = np.asarray(Image.fromarray(_warp(alpha, augment, rng), mode="F").reduce(2))

    columns = np.flatnonzero(alpha.max(axis=0) > INK)
    if len(columns) == 0:
        return np.zeros((HEIGHT, 0), np.float32), 0.0, lost
    first, last = columns[0], columns[-1]
    alpha = alpha[:, max(first - 1, 0):last + 2]
    lo, hi = augment.intensity
    if hi < 1.0 or lo < 1.0 or augment.noise:
        texture = 1.0 + augment.noise * rng.standard_normal(alpha.shape, dtype=np.float32)
        alpha = np.clip(alpha * texture * rng.uniform(lo, hi), 0.0, 1.0)
    return alpha.astype(np.float32), float(last + 1 - first), lost


def _smooth_fields(rng: np.random.Generator, shape: tuple[int, int], spacing: float) -> np.ndarray:
    """Two smooth random fields [2, h, w], unit standard deviation at every pixel: Gaussian bumps on
    a grid ``spacing`` apart with standard normal weights (small matrix products, no filtering)."""
    def kernel(n: int) -> np.ndarray:
        centres = np.arange(-1, n / spacing + 2) * spacing
        k = np.exp(-0.5 * ((np.arange(n)[:, None] - centres[None, :]) / spacing) ** 2)
        return (k / np.linalg.norm(k, axis=1, keepdims=True)).astype(np.float32)

    ky, kx = kernel(shape[0]), kernel(shape[1])
    return ky @ rng.standard_normal((2, ky.shape[1], kx.shape[1]), dtype=np.float32) @ kx.T


def _warp(alpha: np.ndarray, augment: Augment, rng: np.random.Generator, f: int = 2) -> np.ndarray:
    """Slant, baseline wobble and elastic warp of an image at ``f`` px per final px (2x here; the
    ink upscaler's pairs warp their 2x or 4x render), in one bilinear resampling."""
    h, w = alpha.shape
    shear = rng.uniform(-augment.slant, augment.slant)
    amplitude = rng.uniform(-augment.wobble, augment.wobble) * f
    wavelength = rng.uniform(30, 80) * f
    phase = rng.uniform(0, 2 * math.pi)
    if not (shear or amplitude or augment.elastic):
        return alpha
    ys = np.arange(h, dtype=np.float32)[:, None]
    xs = np.arange(w, dtype=np.float32)[None, :]
    # Output (y, x) reads the input at (y - wobble(x), x + shear * (y - baseline)): positive shear
    # leans the word to the right, the baseline row stays put.
    src_y = ys - amplitude * np.sin(2 * math.pi * xs / wavelength + phase)
    src_x = xs + shear * (ys + 0.5 - BASELINE * f)  # row centres are at index + 0.5
    if augment.elastic:
        dy, dx = augment.elastic * f * _smooth_fields(rng, (h, w), augment.elastic_scale * f)
        src_y, src_x = src_y + dy, src_x + dx
    src_y, src_x = np.broadcast_arrays(src_y, src_x)
    return _bilinear(alpha, src_y, src_x)


def _bilinear(image: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """``image`` read at (ys, xs) with bilinear interpolation, 0 outside it: what SciPy's
    ``map_coordinates(order=1, mode="constant")`` gives (to float rounding), without SciPy."""
    h, w = image.shape
    inside = (ys >= 0) & (ys <= h - 1) & (xs >= 0) & (xs <= w - 1)
    y0 = np.clip(np.floor(ys), 0, max(h - 2, 0))
    x0 = np.clip(np.floor(xs), 0, max(w - 2, 0))
    dy, dx = (ys - y0).astype(np.float32), (xs - x0).astype(np.float32)
    # flat indices of the four neighbours (one gather each, not four 2-D fancy indexings)
    flat = image.ravel()
    i00 = y0.astype(np.intp) * w + x0.astype(np.intp)
    down, right = (w if h > 1 else 0), (1 if w > 1 else 0)
    top = flat[i00] + (flat[i00 + right] - flat[i00]) * dx
    bottom = flat[i00 + down] + (flat[i00 + down + right] - flat[i00 + down]) * dx
    out = top + (bottom - top) * dy
    out[~inside] = 0
    return out.astype(image.dtype, copy=False)

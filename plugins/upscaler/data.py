"""Training pairs for the ink upscaler: a word rendered at 2x or 4x (the target) and the same render
box-reduced to 1x, blurred and darkened like a word GAN's ink (the input), cut into crops.

The fonts are the Latin handwriting training fonts (the ones the word GAN learns from), or every
font file in ``--data DIR``; every ``VAL_EVERY``-th font (sorted by id) is kept for validation.
Words are the Latin training vocabulary (with capitals, numbers and punctuation mixed in), or
random letter strings where the word lists are not installed.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

import numpy as np

from hwrender.errors import UsageError

from ..latin.render import WordFont, draw_text
from ..latin.words import BASELINE, HEIGHT

FONT_SUFFIXES = (".ttf", ".otf", ".ttc")
VAL_EVERY = 8


@dataclass(frozen=True)
class Degrade:
    """How the 1x input differs from a clean box reduction (each drawn uniformly per word)."""

    blur: tuple[float, float] = (0.0, 1.1)  # Gaussian sigma, px at 1x (the GAN's edge is ~2 px soft)
    gamma: tuple[float, float] = (0.7, 1.4)  # applied to half the words: softer or harder grey
    intensity: tuple[float, float] = (0.75, 1.0)  # ink darkness (target and input alike)
    noise: float = 0.05  # std of the multiplicative per-pixel noise of the input
    slant: float = 0.25  # +- shear, px per row
    elastic: float = 0.0  # std of a smooth random displacement, px at 1x (the word GAN's data: 0.35)
    wobble: float = 0.0  # max baseline offset along the word, px at 1x (the word GAN's data: 0.5)
    stroke: float = 1.0  # +- change of stroke width, px at 1x


def font_paths(data: Path | None, log: Callable[[str], None]) -> dict[str, Path]:
    """Font id -> file: ``data``'s font files, else the installed Latin training fonts."""
    if data is not None:
        folder = Path(data)
        if not folder.is_dir():
            raise UsageError(f"--data {data}: not a folder", "give a folder of .ttf/.otf font files")
        found = {p.stem: p for p in sorted(folder.iterdir()) if p.suffix.lower() in FONT_SUFFIXES}
        if not found:
            raise UsageError(f"--data {data}: no font files (.ttf, .otf, .ttc) in it",
                             "give a folder of handwriting fonts")
        return found
    from hwrender import fonts

    from ..latin.dataset import skip_reason

    train = fonts.available(script="Latn", role="handwriting", split="train")
    usable = {k: Path(v) for k, v in sorted(train.items()) if not skip_reason(k)}
    if len(usable) < 2:
        raise UsageError(f"only {len(usable)} usable Latin handwriting training fonts are installed",
                         "install them with `hwrender fonts install --model ink-upscaler`, "
                         "or pass --data DIR with font files")
    log(f"ink-upscaler: {len(usable)} Latin handwriting training fonts")
    return usable


def split_fonts(ids: list[str]) -> tuple[list[str], list[str]]:
    """(training, validation) font ids: every VAL_EVERY-th for validation (one at least, and one
    left to train on)."""
    ids = sorted(ids)
    val = ids[::VAL_EVERY] if len(ids) > 1 else []
    train = [k for k in ids if k not in val] or ids
    return train, val or ids[:1]


def word_list(seed: int) -> tuple[list[str], str]:
    """(words, where they came from)."""
    try:
        from ..latin.vocabulary import vocabulary

        words = vocabulary(seed)["train"]
        if len(words) >= 1000:
            return words, "the Latin training vocabulary"
    except (OSError, UsageError, ValueError):
        pass
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    return ["".join(rng.choice(letters) for _ in range(rng.randint(2, 9))) for _ in range(5000)], \
        "random letter strings (no word lists installed)"


def _variant(word: str, r: random.Random) -> str:
    u = r.random()
    if u < 0.15:
        return word.upper()
    if u < 0.35:
        return word[:1].upper() + word[1:]
    if u < 0.43:
        return str(r.randint(0, 99999))
    if u < 0.53:
        return word + r.choice(".,;:!?'\")")
    return word


def render_pair(font: WordFont, word: str, rng: np.random.Generator, deg: Degrade,
                scale: int) -> tuple[np.ndarray, np.ndarray]:
    """(input [HEIGHT, w] at 1x, target [HEIGHT * scale, w * scale]) of ``word`` in ``font``."""
    from PIL import Image, ImageFilter

    ss = scale
    pil = font._pil(max(1, round(rng.uniform(9.0, 11.0) * ss / font.x_height_per_em)))
    image, _ = draw_text(pil, word, rng.uniform(-deg.stroke, deg.stroke), font.stroke,
                         math.ceil(deg.slant * HEIGHT) + 3, ss)
    shear = rng.uniform(-deg.slant, deg.slant)
    if shear:
        image = image.transform(image.size, Image.Transform.AFFINE,
                                (1, shear, -shear * BASELINE * ss, 0, 1, 0), Image.Resampling.BILINEAR)
    if deg.elastic or deg.wobble:
        from ..latin.render import Augment, _warp

        warped = _warp(np.asarray(image, np.float32), Augment(slant=0.0, elastic=deg.elastic,
                                                              wobble=deg.wobble), rng, f=ss)
        image = Image.fromarray(np.clip(warped, 0, 255).round().astype(np.uint8))
    small = image.reduce(ss)
    sigma = rng.uniform(*deg.blur)
    if sigma > 0.15:
        small = small.filter(ImageFilter.GaussianBlur(sigma))
    lo = np.asarray(small, np.float32) / 255
    if rng.random() < 0.5:
        lo = lo ** rng.uniform(*deg.gamma)
    darkness = rng.uniform(*deg.intensity)
    lo = np.clip(lo * darkness * (1 + deg.noise * rng.standard_normal(lo.shape)), 0, 1)
    hi = np.asarray(image, np.float32) / 255 * darkness
    return lo.astype(np.float32), hi.astype(np.float32)


def build_pairs(paths: Mapping[str, Path], words: list[str], n: int, seed: int, crop: int,
                scale: int, deg: Degrade = Degrade()) -> tuple[np.ndarray, np.ndarray]:
    """``n`` crops ``crop`` px wide: inputs float32 [n, 1, HEIGHT, crop] and targets uint8
    [n, 1, HEIGHT * scale, crop * scale]. Crops with no ink above 0.2 are drawn again."""
    rng = np.random.default_rng(seed)
    r = random.Random(seed)
    fonts = {k: WordFont(p) for k, p in paths.items()}
    ids = sorted(fonts)
    x = np.zeros((n, 1, HEIGHT, crop), np.float32)
    y = np.zeros((n, 1, HEIGHT * scale, crop * scale), np.uint8)
    i = tries = 0
    while i < n:
        tries += 1
        if tries > 50 * n + 1000:
            raise UsageError("the fonts draw no ink for the training words",
                             "give Latin handwriting fonts (with lower-case letters)")
        font = fonts[r.choice(ids)]
        word = _variant(r.choice(words), r)
        if not all(ch in font.chars for ch in word):
            continue
        lo, hi = render_pair(font, word, rng, deg, scale)
        if lo.shape[1] < crop:
            extra = crop - lo.shape[1]
            lo = np.pad(lo, ((0, 0), (0, extra)))
            hi = np.pad(hi, ((0, 0), (0, extra * scale)))
        at = r.randint(0, lo.shape[1] - crop)
        if lo[:, at:at + crop].max() < 0.2:
            continue
        x[i, 0] = lo[:, at:at + crop]
        y[i, 0] = np.round(hi[:, at * scale:(at + crop) * scale] * 255)
        i += 1
    return x, y

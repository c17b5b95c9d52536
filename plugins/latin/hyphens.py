"""Hyphens for the Latin word generator, drawn as a pen stroke instead of by the GAN.

The shipped word GAN draws ``-`` as a raised bar at about 1.5 x-heights with a second tick near
the baseline (measured on its raw 32 px output: ink in rows 8-12 and 20-26 of ``"-"``, the
x-height band being rows 13-22), which reads as a bracket. So a word with hyphens is written as its
parts (``mother-in-law`` → ``mother``, ``in``, ``law``, one batch) and each hyphen is drawn here:
a short, slightly sloped stroke centred half an x-height above the baseline, as thick and as dark as
the strokes of the word around it, then the pieces are set side by side on one baseline.
"""

from __future__ import annotations

import re
import zlib
from typing import Sequence

import numpy as np

from hwrender.ink import InkImage

from . import words as W
from .marks import pen, stroke_thickness  # noqa: F401 (the pen is shared with diacritics)

HYPHEN = "-"
LENGTH = 0.75      # x-heights
GAP = 0.12         # x-heights of paper on each side of a hyphen
CENTRE = 0.5       # x-heights above the baseline (the middle of the x-height band)


def has_hyphen(word: str) -> bool:
    return HYPHEN in word


def split(word: str) -> list[str]:
    """``"x-ray"`` → ``["x", "-", "ray"]``; each run of hyphens is one item per hyphen."""
    out: list[str] = []
    for part in re.split(r"(-)", word):
        if part:
            out.append(part)
    return out


def draw_hyphen(thickness: float, level: float, rng: np.random.Generator,
                x_height: float = W.X_HEIGHT) -> InkImage:
    """One hyphen on its own baseline: an anti-aliased stroke with a small random slope and
    length, centred ``CENTRE`` x-heights above the baseline."""
    length = x_height * LENGTH * rng.uniform(0.9, 1.1)
    slope = rng.uniform(-0.06, 0.06)
    gap = x_height * GAP
    centre = x_height * CENTRE * rng.uniform(0.95, 1.05)
    above = int(np.ceil(centre + thickness / 2 + abs(slope) * length / 2)) + 1
    width = int(np.ceil(length + 2 * gap))
    ys = np.arange(above + 1)[:, None] + 0.5          # pixel centres; the baseline is row ``above``
    xs = np.arange(width)[None, :] + 0.5
    x0, x1 = gap, gap + length
    yc = above - centre - slope * (xs - (x0 + x1) / 2)  # rising to the right for slope > 0
    across = np.clip(thickness / 2 + 0.5 - np.abs(ys - yc), 0.0, 1.0)
    along = np.clip(np.minimum(xs - x0, x1 - xs) + 0.5, 0.0, 1.0)
    alpha = (across * along * level).astype(np.float32)
    return InkImage(alpha, baseline=float(above), x_height=float(x_height), advance=float(width),
                    text=HYPHEN)


def join(parts: Sequence[InkImage], text: str) -> InkImage:
    """Set ink images side by side on one baseline."""
    above = max(p.baseline for p in parts)
    below = max(p.height - p.baseline for p in parts)
    top = int(np.ceil(above))
    height = top + int(np.ceil(below))
    width = sum(p.width for p in parts)
    alpha = np.zeros((height, width), np.float32)
    x = 0
    for p in parts:
        y = int(round(top - p.baseline))
        region = alpha[y:y + p.height, x:x + p.width]
        np.maximum(region, p.alpha[:region.shape[0]], out=region)
        x += p.width
    return InkImage(alpha, baseline=float(top), x_height=parts[0].x_height, advance=float(width),
                    text=text)


def generate(write, units: Sequence[str], seed: int) -> list[InkImage]:
    """Ink for ``units`` where some have hyphens: ``write(words)`` (the GAN, one batch) writes
    every part that is not a hyphen; hyphens are drawn to match the strokes of their word."""
    split_units = [split(u) for u in units]
    texts = [p for parts in split_units for p in parts if p != HYPHEN]
    inks = iter(write(texts) if texts else [])
    out = []
    for unit, parts in zip(units, split_units):
        written = {i: next(inks) for i, p in enumerate(parts) if p != HYPHEN}
        thickness, level = pen([ink.alpha for ink in written.values()])
        rng = np.random.default_rng(zlib.crc32(f"{seed}:{unit}".encode()))
        pieces = [written[i] if i in written else draw_hyphen(thickness, level, rng)
                  for i in range(len(parts))]
        out.append(pieces[0] if len(pieces) == 1 and pieces[0].text == unit
                   else join(pieces, unit))
    return out

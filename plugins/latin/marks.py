"""Diacritics for the Latin word generator, drawn as pen strokes instead of by the GAN.

The shipped word GAN draws most marks as one small smudge above the letter: ``ï`` as a dotted i,
``ë ö ü`` as a bar, ``ä`` like ``à``, ``å`` like ``â``, a tilde like a bar, and ``ç`` without its
cedilla (measured on its raw output, hands 0, 3, 7 and 11; see the issue 25 report). So a word with
such a letter is written by the GAN with the base letter in its place (``naïve`` → ``naive``, one
word, so the hand stays continuous) and the marks are drawn here over that letter's column.

The column is exact: the generator gives every character its own slot of the image (``NetConfig
.width``: 8, 16 or 24 px, an accented letter taking its base letter's), and the adapter squeezes
the image uniformly, so the slot of character k is known before the ink is looked at. Inside it,
the base letter's ink centres the mark; its top (the x-height, or a capital's or ascender's ink)
sets the mark's height. Strokes are as thick and as dark as the word's own (``pen``), with a
small jitter seeded by the page's seed and the word, so the same input gives the same pixels.
"""

from __future__ import annotations

import unicodedata
import zlib
from typing import Sequence

import numpy as np

from . import words as W

THICKNESS = 1.6    # px at X_HEIGHT 10: the GAN's median stroke, used when a word has no ink
LEVEL = 0.9        # ink level used when a word has no ink
# A mark sits close to its letter: GAP x-heights from the letter's top to the mark's foot, with
# at least PAPER px of paper under the stroke (a wide pen lifts it). Tesseract's Latin-script
# model read the accented letters of 35 lines of held-out words (18 hands, not the evaluation's)
# at 0.34 with the marks 0.3 x-heights up, 0.47 now (the held-out fonts 0.70); the independent
# recognizer 0.925 -> 0.931; the mark check over 43 hands stays at 0 failures.
GAP = 0.15         # x-heights between a letter's top and the foot of the mark above it
PAPER = 1.25       # px at least between them and the mark's stroke

# Combining mark -> how it is drawn. Strokes are polylines in x-heights: (across, up) from the
# mark's origin, the letter's column centre at GAP above its top ("above") or on the baseline
# ("below"); a single point is a dot.
_ABOVE, _BELOW = "above", "below"
SHAPES: dict[str, tuple[str, tuple[tuple[tuple[float, float], ...], ...]]] = {
    "\u0300": (_ABOVE, (((0.12, 0.0), (-0.16, 0.42)),)),                        # grave
    "\u0301": (_ABOVE, (((-0.12, 0.0), (0.16, 0.42)),)),                        # acute
    "\u0302": (_ABOVE, (((-0.26, 0.0), (0.0, 0.36), (0.26, 0.0)),)),            # circumflex
    "\u0303": (_ABOVE, (tuple((u, 0.16 + 0.12 * np.sin(np.pi * (u + 0.34) / 0.34)) for u in
                              np.linspace(-0.34, 0.34, 15)),)),                 # tilde
    "\u0304": (_ABOVE, (((-0.28, 0.1), (0.28, 0.14)),)),                        # macron
    "\u0306": (_ABOVE, (tuple((0.25 * np.cos(t), 0.36 + 0.34 * np.sin(t)) for t in
                              np.linspace(np.pi, 2 * np.pi, 9)),)),             # breve
    "\u0307": (_ABOVE, (((0.0, 0.1),),)),                                       # dot above
    "\u0308": (_ABOVE, (((-0.24, 0.1),), ((0.24, 0.1),))),                      # diaeresis
    "\u030a": (_ABOVE, (tuple((0.19 * np.cos(t), 0.22 + 0.19 * np.sin(t)) for t in
                              np.linspace(0, 2 * np.pi, 17)),)),                # ring
    "\u030b": (_ABOVE, (((-0.34, 0.0), (-0.14, 0.4)), ((0.1, 0.0), (0.3, 0.4)))),  # double acute
    "\u030c": (_ABOVE, (((-0.26, 0.36), (0.0, 0.0), (0.26, 0.36)),)),           # caron
    "\u0327": (_BELOW, (((0.0, 0.05), (0.04, -0.22), (0.2, -0.32), (0.12, -0.52),
                         (-0.1, -0.56)),)),                                     # cedilla
    "\u0328": (_BELOW, (((0.22, 0.05), (0.06, -0.22), (0.14, -0.46), (0.34, -0.46)),)),  # ogonek
}
COMMA_BELOW = (((0.06, -0.12), (-0.08, -0.5)),)  # Latvian ķ ļ ņ ŗ: a cedilla drawn as a comma
# Letters without a decomposition that are a base letter with a stroke through it (issue 30: the
# GAN's own read at 0.22 to the independent recognizer, the held-out fonts 0.35; its ø is an o
# with a smudge): the GAN writes the base, a stroke is drawn through it. Pseudo-marks (private-use
# code points) keep them in ``split``'s (base, marks) form. Each: (where the stroke sits across:
# the letter's "centre" or the "stem" of its ascender; its height above the baseline in x-heights;
# the strokes about there). ``ı`` is an ``i`` whose dot is erased and nothing drawn. ``ł`` stays
# the GAN's: trained on many Polish words it draws it well, and a drawn bar read worse (Tesseract's
# Latin model on 60 lines of training words with ł, 20 hands: 0.103 -> 0.113, read as ``t``).
# A caron on an ascender (ď ľ ť) is an apostrophe beside the stem's top ("stem-top": at the
# stem's top, from the right edge of its ink there), and ģ's cedilla a turned comma over the g.
_SLASH, _STEM_BAR_D, _STEM_BAR_H, _LOW_BAR, _DOTLESS, _APOSTROPHE, _TURNED_COMMA = (
    chr(0xE100 + k) for k in range(7))
THROUGH: dict[str, tuple[str, float, tuple[tuple[tuple[float, float], ...], ...]]] = {
    _SLASH: ("centre", 0.5, (((-0.42, -0.62), (0.42, 0.62)),)),        # ø
    _STEM_BAR_D: ("stem", 1.18, (((-0.32, 0.0), (0.22, 0.0)),)),       # đ
    _STEM_BAR_H: ("stem", 1.18, (((-0.22, 0.0), (0.32, 0.0)),)),       # ħ
    _LOW_BAR: ("centre", 0.5, (((-0.26, 0.0), (0.26, 0.0)),)),          # ŧ
    _DOTLESS: ("centre", 0.0, ()),                                      # ı
    _APOSTROPHE: ("stem-top", 1.3, (((0.35, 0.04), (0.34, -0.08), (0.24, -0.32)),)),  # ď ľ ť
    _TURNED_COMMA: ("centre", 1.2, (((0.05, 0.3), (-0.02, 0.2), (-0.01, 0.08), (0.04, 0.0)),)),  # ģ
}
STRUCK = {"ø": ("o", _SLASH), "đ": ("d", _STEM_BAR_D), "ħ": ("h", _STEM_BAR_H),
          "ŧ": ("t", _LOW_BAR), "ı": ("i", _DOTLESS),
          "ď": ("d", _APOSTROPHE), "ľ": ("l", _APOSTROPHE), "ť": ("t", _APOSTROPHE),
          "ģ": ("g", _TURNED_COMMA)}
# Letters with a bar or slash (ø đ ħ ŧ), an apostrophe-like caron (ď ľ ť) or ģ are ``STRUCK``.
# The capital Ľ stays with the GAN (the one capital it writes, ``KEPT_SURE``).
# Also left to it: letters whose mark it drew legibly in all four hands measured (0, 3, 7, 11:
# ``mark_shape`` in tests/test_latin_marks.py on ``n?n``): its acutes, è and ā.
KEPT = set("\u010f\u013e\u0165\u013d\u0123" "áéíúýćńśźèā")
# Marks that hold in every hand (issue 30). A steered hand (``hands.apply``) thinned and sharpened
# the marks drawn under it, and a faint hand's marks came out thinner than its strokes: at a
# reader's threshold (0.4-0.5) their 1 px anti-aliased lines broke up (é, å, ő lost in 37 of 44
# hands). With SURE on, marks are drawn on a layer of their own after the hand's steer, where the
# shear moved their letter, neither eroded nor sheared (a caret stays a caret), with a pen as wide at 0.5 as the steered word's strokes
# (``sure_pen``), and the GAN's own faint acutes, graves and macron (the KEPT letters that have a
# drawn shape) are drawn too: 153 -> 0 mark failures over the 13 named and seeded hands 0-29 with
# profiles. False: the marks as drawn before.
SURE = True
KEPT_SURE = {"\u013d"}  # Ľ: its caron is no mark over the letter, and no capital shape here
MIN_WIDTH = 1.5  # px at 0.5: a line 8-connected at a reader's threshold in every direction (> √2)
ASCENDERS = set("bdfhklt")
DOTTED = set("ij")  # their own dot is erased before a mark is drawn over them


def split(ch: str) -> tuple[str, str] | None:
    """(base letter the GAN writes, combining marks drawn here) of a letter whose marks are
    drawn in code, else None (the GAN writes it whole)."""
    if ch in (KEPT_SURE if SURE else KEPT):
        return None
    if ch in STRUCK and SURE:
        return STRUCK[ch]
    nfd = unicodedata.normalize("NFD", ch)
    base, marks = nfd[0], nfd[1:]
    if not marks or not base.isascii() or not base.isalpha() or any(m not in SHAPES for m in marks):
        return None
    return base, marks


def base_word(word: str) -> str:
    """What the GAN writes for ``word``: every letter whose marks are drawn here as its base."""
    return "".join((s[0] if (s := split(ch)) else ch) for ch in word)


def stroke_thickness(alpha: np.ndarray) -> float | None:
    """The pen's width in pixels: twice the ink's area over its outline's length (a stroke of
    length L and width w has area L·w and an outline of about 2·L)."""
    ink = np.pad(alpha > 0.5, 1)
    outline = np.count_nonzero(np.diff(ink, axis=0)) + np.count_nonzero(np.diff(ink, axis=1))
    return 2.0 * np.count_nonzero(ink) / outline if outline else None


def pen(alphas: Sequence[np.ndarray]) -> tuple[float, float]:
    """(thickness px, ink level) of the strokes in ``alphas``: the median pen width and the
    level of the darker strokes, so a drawn mark looks written by the same pen."""
    thick = [t for a in alphas if (t := stroke_thickness(a)) is not None]
    thickness = float(np.clip(np.median(thick), 1.0, 3.5)) if thick else THICKNESS
    strokes = np.concatenate([a.ravel() for a in alphas]) if len(alphas) else np.empty(0)
    dark = strokes[strokes > 0.2]
    return thickness, float(np.quantile(dark, 0.9)) if len(dark) else LEVEL


def sure_pen(alphas: Sequence[np.ndarray]) -> tuple[float, float]:
    """``pen`` with a thickness that gives the drawn line the strokes' own width at 0.5 (at
    least ``MIN_WIDTH``): ``stroke`` fades over a pixel, so a line of thickness t at level L is
    t + 1 - 1/L wide at 0.5, under the strokes' width for a faint pen."""
    thickness, level = pen(alphas)
    return max(thickness, MIN_WIDTH) - 1.0 + 1.0 / max(level, 0.5), level


def distance(p: np.ndarray, line: np.ndarray) -> np.ndarray:
    """The distance from each point of ``p`` ([..., 2]) to the polyline ``line`` ([n, 2]; one
    point: to that point)."""
    dist = np.full(p.shape[:-1], np.inf)
    for a, b in zip(line, line[1:] if len(line) > 1 else line):
        ab = b - a
        t = np.clip(((p - a) @ ab) / max(float(ab @ ab), 1e-9), 0.0, 1.0)
        dist = np.minimum(dist, np.linalg.norm(p - a - t[..., None] * ab, axis=-1))
    return dist


def stroke(alpha: np.ndarray, points: np.ndarray, thickness: float, level: float) -> None:
    """Ink an anti-aliased polyline (``points`` [n, 2] x, y in pixels; one point: a dot) into
    ``alpha`` in place."""
    r = max(0.7 * thickness, 1.2) if len(points) == 1 else thickness / 2  # a dot: a pen's press
    lo = np.maximum(np.floor(points.min(0) - r - 1).astype(int), 0)
    hi = np.minimum(np.ceil(points.max(0) + r + 2).astype(int), alpha.shape[::-1])
    if np.any(hi <= lo):
        return
    ys, xs = np.mgrid[lo[1]:hi[1], lo[0]:hi[0]] + 0.5
    dist = distance(np.stack([xs, ys], -1), points)
    region = alpha[lo[1]:hi[1], lo[0]:hi[0]]
    np.maximum(region, (np.clip(r + 0.5 - dist, 0.0, 1.0) * level).astype(alpha.dtype), out=region)


def _column(alpha: np.ndarray, x0: float, x1: float, base: str) -> tuple[float, float]:
    """(centre x, top y) of the base letter in the columns x0..x1: the ink centroid of its upper
    x-height half (where a mark's foot is, on a slanted hand) and the x-height or its own top."""
    # a last letter's edge may pass the squeezed word's last column (rounding): clip to the word
    a = min(max(int(np.floor(x0)), 0), alpha.shape[1] - 1)
    b = min(max(int(np.ceil(x1)), a + 1), alpha.shape[1])
    xh_top = W.BASELINE - W.X_HEIGHT
    band = alpha[xh_top:W.BASELINE - W.X_HEIGHT // 2, a:b]
    centre = (x0 + x1) / 2
    if band.sum() > 0.5:
        centre = a + float((band.sum(0) * (np.arange(band.shape[1]) + 0.5)).sum() / band.sum())
    if base.islower() and base not in ASCENDERS:
        return centre, float(xh_top)
    inner = alpha[:W.BASELINE, max(a, int(centre) - 2):int(centre) + 3]  # away from neighbours
    rows = np.flatnonzero(inner.max(1) > 0.5) if inner.size else []
    return centre, float(rows[0]) if len(rows) else W.BASELINE - 1.45 * W.X_HEIGHT


def draw(alpha: np.ndarray, word: str, edges: Sequence[float], seed: int,
         pen_: tuple[float, float] | None = None, layer: np.ndarray | None = None,
         place=None) -> np.ndarray:
    """``alpha`` (the GAN's ``base_word(word)`` in the training frame's rows, any width) with the
    marks of ``word``'s letters drawn over their columns: character k spans ``edges[k]`` ..
    ``edges[k + 1]`` px. ``pen_``: (thickness, level) instead of the word's own ``pen``;
    ``layer`` (as tall as ``alpha``, wider by the shear's padding): the marks go there instead, and the returned
    word has only the dots of i and j they replace erased; ``place(x, y) -> x``: where a mark's
    origin goes on ``layer`` (its letter moved by the hand's shear), the mark's shape unsheared."""
    alpha = np.array(alpha, np.float32)
    thickness, level = pen_ or pen([alpha])
    target = alpha if layer is None else layer
    xh = float(W.X_HEIGHT)
    rng = np.random.default_rng(zlib.crc32(f"{seed}:{word}".encode()))
    for k, ch in enumerate(word):
        parts = split(ch)
        if parts is None:
            continue
        base, marks = parts
        x0, x1 = edges[k], edges[k + 1]
        centre, top = _column(alpha, x0, x1, base)
        if base in DOTTED and any(m == _DOTLESS or m not in THROUGH and SHAPES[m][0] == _ABOVE
                                  for m in marks):
            # the GAN's own dot marks the stem better than the ink of the narrow slot (the
            # joining stroke from the letter before runs through it); then it gives way
            a, b = max(int(np.floor(x0)) - 1, 0), int(np.ceil(x1)) + 1
            dot = alpha[:W.BASELINE - W.X_HEIGHT - 1, a:b]
            if dot.sum() > 0.5:
                centre = a + float((dot.sum(0) * (np.arange(dot.shape[1]) + 0.5)).sum() / dot.sum())
            dot[:] = 0.0
        above = 0
        for m in marks:
            if m in THROUGH:
                _through(target, alpha, m, centre, x0, x1, thickness, level, rng, place)
                continue
            where, shapes = SHAPES[m]
            if where == _BELOW and base.lower() in "klnr" and m == "\u0327":
                shapes = COMMA_BELOW
            scale = xh * rng.uniform(0.9, 1.1)
            if SURE:  # a wide pen closes a small caret's or tilde's shape: the mark grows with it
                scale *= max(1.0, thickness / THICKNESS)
            slant = rng.uniform(-0.08, 0.12)  # a hand's marks lean a little, mostly forwards
            dx, dy = rng.uniform(-0.05, 0.05, 2) * xh
            if where == _ABOVE:
                # stacked marks (ǖ has none here, but ṻ-like pairs would) go one above the other
                foot = top - max(GAP * xh, thickness / 2 + PAPER) - above + dy
                height = max(v for s in shapes for _, v in s) * scale
                foot = max(foot, height + thickness / 2 + 0.5)  # inside the frame
                above += height + GAP * xh
            else:
                foot = W.BASELINE + dy
            origin = centre + dx if place is None else place(centre + dx, foot)
            for s in shapes:
                pts = np.array([(origin + (u + slant * v) * scale, foot - v * scale)
                                for u, v in s], np.float64)
                stroke(target, pts, thickness, level)
    return alpha


def edges(word: str, width, scale: float) -> list[float]:
    """x of each character's slot edge (``len(word) + 1`` values) in an image squeezed by
    ``scale`` from the generator's width (``width(text)``: ``NetConfig.width``)."""
    return [width(word[:k]) * scale for k in range(len(word) + 1)]


def _stem(alpha: np.ndarray, x0: float, x1: float) -> tuple[float, float] | None:
    """(x, top in x-heights above the baseline) of the ascender's stem in the columns x0..x1: the
    ink centroid of the rows above the x-height band (where the bowls and joins are not), or None
    where the letter has no ink there."""
    a = min(max(int(np.floor(x0)), 0), alpha.shape[1] - 1)
    b = min(max(int(np.ceil(x1)), a + 1), alpha.shape[1])
    band = alpha[:int(W.BASELINE - 1.1 * W.X_HEIGHT), a:b]
    if band.sum() <= 0.5:
        return None
    rows = np.flatnonzero(band.max(1) > 0.5)
    top = (W.BASELINE - (rows[0] if len(rows) else band.shape[0])) / W.X_HEIGHT
    return a + float((band.sum(0) * (np.arange(band.shape[1]) + 0.5)).sum() / band.sum()), top


def _top_right(alpha: np.ndarray, x0: float, x1: float) -> float | None:
    """x just right of the ascender's top in the columns x0..x1: past the last inked column
    (> 0.5) of its two highest inked rows above the x-height band; None where it has none. A
    leaning stem's top stands right of its ink centroid (``_stem``)."""
    a = min(max(int(np.floor(x0)), 0), alpha.shape[1] - 1)
    b = min(max(int(np.ceil(x1)), a + 1), alpha.shape[1])
    band = alpha[:int(W.BASELINE - 1.1 * W.X_HEIGHT), a:b] > 0.5
    rows = np.flatnonzero(band.any(1))
    if not len(rows):
        return None
    return a + float(np.flatnonzero(band[rows[0]:rows[0] + 2].any(0)).max() + 1)


def _through(target: np.ndarray, alpha: np.ndarray, m: str, centre: float, x0: float, x1: float,
             thickness: float, level: float, rng: np.random.Generator, place) -> None:
    """A stroke through a letter (``THROUGH[m]``), drawn into ``target``: about its ink's
    ``centre``, or its ascender's stem (``_stem``), at most halfway from the x-height up to the
    stem's top (a short ascender keeps its bar on the stem)."""
    anchor, at, shapes = THROUGH[m]
    xh = float(W.X_HEIGHT)
    scale = xh * rng.uniform(0.92, 1.08) * max(1.0, thickness / THICKNESS) ** 0.5
    dx, dy = rng.uniform(-0.04, 0.04, 2) * xh
    x = centre
    stem = _stem(alpha, x0, x1) if anchor in ("stem", "stem-top") else None
    if stem is not None:
        x = stem[0]
        if anchor == "stem-top":
            at = stem[1]
            x = _top_right(alpha, x0, x1) or x
        elif at > 1.0:
            at = min(at, 1.0 + 0.6 * (stem[1] - 1.0))
    y = W.BASELINE - at * xh + dy
    origin = x + dx if place is None else place(x + dx, y)
    for s in shapes:
        pts = np.array([(origin + u * scale, y - v * scale) for u, v in s], np.float64)
        stroke(target, pts, thickness, level)

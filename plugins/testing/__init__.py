"""The ``test`` generator: tiny procedural glyphs for tests and benchmarks (no fonts, no torch).

Every character becomes a few straight strokes chosen by a stable hash of the character (crc32,
not Python's per-process salted ``hash``) on a fixed grid: x-height 10 px, ascenders 16 px,
descenders 5 px below the baseline. A one-pixel seeded jitter makes the seed matter. It is not an
installed plugin (no entry point): tests and benchmarks register it (``register`` below, or the
``with_test_generator`` fixture of tests/conftest.py), then name it (``--generator Latn=test``).
"""

from __future__ import annotations

import unicodedata
import zlib
from typing import Sequence

import numpy as np

from hwrender.errors import UsageError
from hwrender.ink import InkImage
from hwrender.registry import Generator, GeneratorSpec

X_HEIGHT = 10
ASCENT = 16
DESCENT = 5
TOP_PAD = 2
BOTTOM_PAD = 2  # room for the vertical jitter
BASELINE = TOP_PAD + ASCENT
HEIGHT = BASELINE + DESCENT + BOTTOM_PAD
GAP = 1  # px between glyphs
SPACE = 5  # px for a space inside a unit
STYLES = ("thin", "bold")

_ASCENDERS = frozenset("bdfhklt")
_DESCENDERS = frozenset("gjpqy")
_NARROW = frozenset("iljtfr.,:;'!|")
_BROAD = frozenset("mwMW@%")


def _box(ch: str) -> tuple[int, int, int]:
    """(width, top, bottom) of a character's cell, in px above the baseline (bottom <= 0)."""
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return 14, ASCENT, 0
    width = 3 if ch in _NARROW else 11 if ch in _BROAD else 7
    top = ASCENT if (ch in _ASCENDERS or ch.isupper() or ch.isdigit()) else X_HEIGHT
    if ch in ".,":
        top = 3
    return width, top, (-DESCENT if ch in _DESCENDERS else 0)


def _line(img: np.ndarray, x0: float, y0: float, x1: float, y1: float) -> None:
    n = int(max(abs(x1 - x0), abs(y1 - y0))) * 2 + 2
    xs = np.rint(np.linspace(x0, x1, n)).astype(np.intp)
    ys = np.rint(np.linspace(y0, y1, n)).astype(np.intp)
    img[ys.clip(0, img.shape[0] - 1), xs.clip(0, img.shape[1] - 1)] = 1.0


_MASK = (1 << 64) - 1
_LCG_A, _LCG_C = 6364136223846793005, 1442695040888963407


def _mix(x: int) -> int:
    """splitmix64 finaliser: spreads a (seed, index) integer over 64 bits."""
    x = (x + 0x9E3779B97F4A7C15) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


class _Glyph:
    __slots__ = ("alpha", "top", "dx", "advance")

    def __init__(self, alpha: np.ndarray | None, top: int, dx: int, advance: int):
        self.alpha, self.top, self.dx, self.advance = alpha, top, dx, advance


def _draw(ch: str, bold: bool) -> _Glyph:
    """The glyph of ``ch``: 2 to 4 strokes between points of a 3x3 grid over its cell."""
    if ch.isspace():
        return _Glyph(None, 0, 0, SPACE)
    code = zlib.crc32(ch.encode("utf-8", "surrogatepass"))
    cat = unicodedata.category(ch)
    if cat[0] == "M" or cat == "Cf":  # marks and joiners: a short tick over the previous glyph
        alpha = np.zeros((2, 3), np.float32)
        alpha[0 if code & 1 else 1, :] = 1.0
        return _Glyph(alpha, X_HEIGHT + 3, -4, 0)  # drawn back over the glyph before it
    width, top, bottom = _box(ch)
    h = top - bottom  # rows BASELINE - top .. BASELINE - bottom - 1: the x sits on the line
    alpha = np.zeros((h, width), np.float32)
    gx = (0, (width - 1) / 2, width - 1)
    gy = (0, (h - 1) / 2, h - 1)  # image rows: 0 is the top of the cell
    # the first stroke spans the whole cell so ascenders and descenders always show
    _line(alpha, gx[code % 3], 0, gx[(code >> 2) % 3], h - 1)
    for k in range(1 + (code >> 4) % 3):
        bits = code >> (6 + 8 * k)
        _line(alpha, gx[bits % 3], gy[(bits >> 2) % 3], gx[(bits >> 4) % 3], gy[(bits >> 6) % 3])
    if bold:
        alpha[:, 1:] = np.maximum(alpha[:, 1:], alpha[:, :-1])
    return _Glyph(alpha, top, 0, width + GAP)


class TestGenerator(Generator):
    """Deterministic procedural ink for any Unicode text. Styles: None, ``thin`` or ``bold``."""

    __test__ = False  # not a pytest test class despite its name

    def __init__(self) -> None:
        self._glyphs: dict[tuple[str, bool], _Glyph] = {}

    def _glyph(self, ch: str, bold: bool) -> _Glyph:
        g = self._glyphs.get((ch, bold))
        if g is None:
            g = self._glyphs[(ch, bold)] = _draw(ch, bold)
        return g

    def generate(self, units: Sequence[str], style: str | None, seed: int,
                 device: str = "cpu") -> list[InkImage]:
        if style is not None and style not in STYLES:
            raise UsageError(f"generator 'test' has no style {style!r}",
                             f"known styles: {', '.join(STYLES)}")
        bold = style == "bold"
        gain = 0.6 if style == "thin" else 1.0
        out = []
        for i, unit in enumerate(units):
            state = _mix(int(seed) * 1_000_003 + i)
            placed = []
            pen = right = 0
            for ch in unit:
                g = self._glyph(ch, bold)
                state = (state * _LCG_A + _LCG_C) & _MASK  # cheap, stable across processes
                r = state >> 33
                if g.alpha is not None:
                    x = max(0, pen + g.dx)
                    placed.append((g.alpha, x, BASELINE - g.top + r % 3 - 1, g.dx < 0))
                    right = max(right, x + g.alpha.shape[1])
                pen += g.advance + (g.advance > 0 and (r >> 4) % 10 < 3)
            alpha = np.zeros((HEIGHT, max(1, pen, right)), np.float32)
            for a, x, y, overlaps in placed:
                h, w = a.shape
                if overlaps:  # only marks reach back over ink already drawn
                    region = alpha[y:y + h, x:x + w]
                    np.maximum(region, a, out=region)
                else:
                    alpha[y:y + h, x:x + w] = a
            if gain != 1.0:
                alpha *= gain
            out.append(InkImage(alpha=alpha, baseline=float(BASELINE), x_height=float(X_HEIGHT),
                                advance=float(pen), text=unit, meta={"substituted": []}))
        return out


def register(register) -> None:
    """The ``hwrender.generators`` entry-point hook."""
    register(GeneratorSpec(
        name="test",
        scripts=("*",),
        unit="word",
        factory=TestGenerator,
        charset=None,
        priority=-1000,
        styles=STYLES,
        style_kinds={"name"},
        description="procedural strokes for tests and benchmarks (never chosen automatically)",
        auto=False,
        fallback=False,
        status=lambda: "none needed (procedural)",
    ))


def fit(request):
    """A fitter for tests (a test spec's ``fitter=``): the mean ink of the latin sheet's
    character samples, one number per sample; ``None`` when there is none."""
    import torch

    from hwrender.styles.types import FitResult

    chosen = [s for s in request.samples if s.template == "latin" and s.kind == "char"]
    if not chosen:
        return None
    inks = [float(s.ink().mean()) for s in chosen]
    request.progress(0.5, "measuring ink")
    return FitResult(tensors={"mean_ink": torch.tensor(inks, dtype=torch.float32)},
                     config={"chars": "".join(s.text for s in chosen), "base_model": "test"},
                     used=len(chosen), figures={"mean_ink": sum(inks) / len(inks)},
                     notes=["test fitter"])

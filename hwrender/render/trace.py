"""Trace a generator's alpha into smooth outlines, and fill outlines at page resolution.

A generator draws its ink small (a Latin word is 32 px high) and soft-edged; resampled to 300 dpi
its edges become a grey band several pixels wide. Tracing a level of the alpha (``ink_level``)
into curves and filling those at the page's resolution gives edges as sharp as a font's, at any
dpi, and the same curves serve the vector writers (SVG paths, PDF paths).

Coordinates are the ink's pixels: x right, y down, pixel (row i, column j) covers [j, j+1] x
[i, i+1], so its centre is (j + 0.5, i + 0.5). A ``Contour`` is an (n, 4, 2) float64 array of n
cubic Bezier segments [p0, c1, c2, p3], closed (each segment's p3 is the next one's p0, the last
joins the first). Outlines fill by the even-odd rule: a contour inside another is a hole.

The method is potrace's idea done with array operations so that a page's 250 words trace in about
a tenth of a second: the page's images packed in rows of one sheet, marching squares with linear
interpolation (sub-pixel contour points), corners found from the turn over a few points, a light
shrink-free (Taubin) smoothing of the rest, Catmull-Rom cubics through the points (straight into
and out of corners), and points dropped in halving passes while the curve through the remaining
ones stays within ``tolerance`` of them. Filling is exact area coverage (``_coverage``), all of a
page's outlines at once.
"""

from __future__ import annotations

import math
import os
import threading
import weakref
from typing import TYPE_CHECKING, Callable, Sequence, TypeVar

import numpy as np

if TYPE_CHECKING:
    from ..ink import InkImage
    from ..layout.types import Placement

Contour = np.ndarray  # (n, 4, 2) float64 cubic segments, closed
T = TypeVar("T")

# ink_outline's level, traced on the alpha's bicubic interpolant (INK_UPSAMPLE 2): where the raster
# page's grey edge turns to ink for a binariser. Tesseract reads the raster at about this weight
# (latin raster binarised at 0.25: CER 0.022, at 0.5: 0.060), so vector ink traced there reads as
# well; the old 0.5 level (with LOCAL_FLOOR's local level) drew strokes a third thinner than the
# binarised raster and with the linear interpolant's kinks (CER 0.044 vs 0.023). INK_LEVEL 0.5,
# INK_UPSAMPLE 1 give the old outlines.
INK_LEVEL = 0.25
INK_UPSAMPLE = 2
# ...for inks whose px is larger than this on the page (GAN words ~0.8 pt, EMNIST ~0.5 pt); a
# font's or glyph's fine ink (~0.25 pt) is already finer than the page and traces as it is
# (2x would cost a 250-word font page ~3 s for nothing a reader sees)
UPSAMPLE_ABOVE_PT = 0.35
MIN_LEVEL = 0.05  # the lowest level a generator may ask for (ink_level): below it, blur is ink
# KEEP_WIDTH (off: the lead turns it on with ink_render "vector" by default): every ink is traced
# where it crosses half of its own local peak (WIDTH_LEVEL with LOCAL_FLOOR's local level, on the
# bicubic interpolant), the edge a reader sees on a soft stroke (its FWHM), so a faint stroke keeps
# its width instead of vanishing at a global 0.5. bench_ink, 300 dpi: the vector page's FWHM is
# 1.00-1.02x the raster's and its ink mass 0.99-1.09x for every generator, where INK_LEVEL draws
# 1.18-1.57x (mass 1.14-1.66x). Tesseract reads the thinner ink a little worse than the bold one
# (CER on bench_ink's page and a held-out page: latin 0.031/0.022 vs raster 0.023/0.016, EMNIST
# 0.078/0.064 vs 0.057/0.050; font, Hangul, Han within noise), hence a switch. A generator's own
# ink_level (EMNIST's 0.1) is not used then: it was chosen to read well at the bold level.
KEEP_WIDTH = False
WIDTH_LEVEL = 0.5
FIT_TOLERANCE = 0.08  # ink px: how far the fitted curve may stray from the traced points
FIT_TOLERANCE_PT = 0.06  # page points (0.25 px at 300 dpi): the fit's error where an ink px is small
MAX_TOLERANCE = 0.5  # ink px
LOCAL_FLOOR = 0.25  # ink_outline's lowest local level (a faint join between faint strokes; none below it)
LOCAL_RADIUS = 3  # ink px: the neighbourhood whose peak sets the local level
CORNER_DEGREES = 65.0  # a turn sharper than this over +-2 points is kept as a corner
FLATTEN_TOLERANCE = 0.15  # output px: chord error when filling


# ----------------------------------------------------------------------------------------------
# marching squares

# Cell corners: tl=1, tr=2, br=4, bl=8 (bit set: sample >= level). Edges: 0 top, 1 right,
# 2 bottom, 3 left. Each oriented segment goes from one edge's crossing to another's with the ink
# on its right (y down), so every outer contour runs one way and every hole the other.
_CORNER_XY = {1: (0, 0), 2: (1, 0), 4: (1, 1), 8: (0, 1)}
_EDGE_MID = {0: (0.5, 0.0), 1: (1.0, 0.5), 2: (0.5, 1.0), 3: (0.0, 0.5)}
_EDGE_CORNERS = {0: (1, 2), 1: (2, 4), 2: (8, 4), 3: (1, 8)}


def _oriented(e1: int, e2: int, corner: int, inside: bool) -> tuple[int, int]:
    (x1, y1), (x2, y2) = _EDGE_MID[e1], _EDGE_MID[e2]
    cx, cy = _CORNER_XY[corner]
    dx, dy = x2 - x1, y2 - y1
    right = (-dy) * (cx - x1) + dx * (cy - y1) > 0  # (-dy, dx) points right on a y-down page
    return (e1, e2) if right == inside else (e2, e1)


def _segment_table() -> np.ndarray:
    """(18, 2, 2) edge pairs per case (-1: none); cases 16, 17 are saddles 5, 10 joined."""
    table = -np.ones((18, 2, 2), dtype=np.int64)
    for case in range(1, 15):
        if case in (5, 10):
            continue
        crossing = [e for e, (a, b) in _EDGE_CORNERS.items() if bool(case & a) != bool(case & b)]
        corner = next(c for c in (1, 2, 4, 8) if case & c)
        table[case, 0] = _oriented(crossing[0], crossing[1], corner, True)
    # saddles: centre outside -> cut off the two inside corners; inside -> the two outside ones
    table[5] = [_oriented(0, 3, 1, True), _oriented(1, 2, 4, True)]
    table[10] = [_oriented(0, 1, 2, True), _oriented(2, 3, 8, True)]
    table[16] = [_oriented(0, 1, 2, False), _oriented(2, 3, 8, False)]
    table[17] = [_oriented(0, 3, 1, False), _oriented(1, 2, 4, False)]
    return table


_TABLE = _segment_table()


def _march(alpha: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Contour points (m, 2) and ``nxt`` (m,): the index of each point's successor along its
    closed contour. ``alpha``'s border rows and columns must be blank; point (x, y) is in the
    coordinates of ``alpha`` without that border."""
    a = alpha  # blank on every side (trace_many pads), NaN already 0
    hp, wp = a.shape
    ins = (a >= level).view(np.uint8)
    case = ins[:-1, :-1] | (ins[:-1, 1:] << 1)
    case |= ins[1:, 1:] << 2
    case |= ins[1:, :-1] << 3
    ci, cj = np.nonzero((case - np.uint8(1)) < 14)  # neither 0 (blank) nor 15 (solid)
    if len(ci) == 0:
        return np.zeros((0, 2)), np.zeros(0, dtype=np.int64)
    c = case[ci, cj]
    saddle = (c == 5) | (c == 10)
    if saddle.any():
        k = np.flatnonzero(saddle)
        si, sj = ci[k], cj[k]
        centre = (a[si, sj] + a[si, sj + 1] + a[si + 1, sj] + a[si + 1, sj + 1]) / 4 >= level
        c[k[centre]] = np.where(c[k[centre]] == 5, 16, 17)
    segs = _TABLE[c]  # (k, 2, 2)
    two = segs[:, 1, 0] >= 0
    ci = np.concatenate([ci, ci[two]])
    cj = np.concatenate([cj, cj[two]])
    ends = np.concatenate([segs[:, 0], segs[two, 1]])  # (m, 2) edges: from, to

    # An edge crossing is shared by the two cells beside it: one's segment ends where the next
    # one's starts. Horizontal edge (i, j) joins samples (i, j)-(i, j+1); vertical (i, j)
    # joins (i, j)-(i+1, j).
    def edge_id(e):
        i = ci + (e == 2)
        j = cj + (e == 1)
        horizontal = (e == 0) | (e == 2)
        return np.where(horizontal, i * (wp - 1) + j, hp * (wp - 1) + i * wp + j), i, j, horizontal

    start, si, sj, sh = edge_id(ends[:, 0])
    stop = edge_id(ends[:, 1])[0]
    owner = np.empty(hp * (wp - 1) + (hp - 1) * wp, dtype=np.int64)  # crossing -> its segment
    owner[start] = np.arange(len(start))
    nxt = owner[stop]
    # the point of each segment is its start crossing, linearly interpolated
    v0 = a[si, sj]
    v1 = np.where(sh, a[si, np.minimum(sj + 1, wp - 1)], a[np.minimum(si + 1, hp - 1), sj])
    t = np.clip((level - v0) / np.where(v1 != v0, v1 - v0, 1.0), 0.0, 1.0)
    pts = np.stack([sj - 0.5 + np.where(sh, t, 0.0), si - 0.5 + np.where(sh, 0.0, t)], axis=1)
    return pts, nxt


def _order(nxt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices that list each cycle of the permutation ``nxt`` in walking order, and where each
    cycle starts in that list."""
    label, rank = _labels_and_ranks(nxt)
    order = np.lexsort((rank, label))
    lab = label[order]
    return order, np.flatnonzero(np.r_[True, lab[1:] != lab[:-1]])


def _labels_and_ranks(nxt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = len(nxt)
    idx = np.arange(n)
    label = idx.copy()
    jump = nxt.copy()
    # pointer jumping: after k passes each label is the least over 2^k successors; done when every
    # cycle agrees (its least then), after log2 of the longest contour's length passes
    while True:
        label = np.minimum(label, label[jump])
        if np.array_equal(label, label[nxt]):
            break
        jump = jump[jump]
    # List ranking on each cycle opened just before its label: the element whose successor is
    # the label becomes the end. rank = steps from the label = length - 1 - steps to the end.
    size = np.bincount(label, minlength=n)
    length = size[label]
    end = nxt == label
    succ = np.where(end, idx, nxt)
    to_end = (~end).astype(np.int64)
    for _ in range(max(1, math.ceil(math.log2(max(int(size.max()), 2))))):
        to_end = to_end + to_end[succ]  # the end's own count is 0, so adding it past the end is harmless
        succ = succ[succ]
    return label, length - 1 - to_end


# ----------------------------------------------------------------------------------------------
# tracing
#
# All contours of all images of a batch live in one array of points, ring after ring ("rings":
# ``start`` and ``size`` per ring, ``ring`` per point), so every step is a handful of whole-array
# operations however many words a page holds.


class _Rings:
    def __init__(self, pts: np.ndarray, ring: np.ndarray, corner: np.ndarray):
        self.pts, self.ring, self.corner = pts, ring, corner
        self.size = np.bincount(ring)
        self.start = np.cumsum(self.size) - self.size
        self.rank = np.arange(len(pts)) - self.start[ring]
        last = self.rank == self.size[ring] - 1
        self.nxt = np.where(last, self.start[ring], np.arange(len(pts)) + 1)
        self.prv = np.where(self.rank == 0, self.start[ring] + self.size[ring] - 1, np.arange(len(pts)) - 1)

    def keep(self, mask: np.ndarray) -> "_Rings":
        return _Rings(self.pts[mask], self.ring[mask], self.corner[mask])


def trace(alpha: np.ndarray, level: float = 0.5, tolerance: float = FIT_TOLERANCE,
          local_floor: float | None = None, upsample: int = 1) -> list[Contour]:
    """Closed cubic outlines of ``alpha >= level`` (see the module's docstring); [] when blank.
    With ``local_floor`` the level follows the local peak (see ``_local_stretch``); with
    ``upsample=2`` the level is traced on the alpha's bicubic interpolant (see ``_bicubic2``)."""
    return trace_many([alpha], level, tolerance, local_floor, upsample)[0]


def _local_stretch(a: np.ndarray, level: float, floor: float) -> np.ndarray:
    """``a`` scaled so that its ``level`` crossing is where ``a`` crosses a local level,
    clip(level * peak, floor, level), peak the largest alpha within LOCAL_RADIUS. A solid stroke
    (peak 1) keeps its level and width; a faint thin join between faint strokes (peak 0.5) is
    traced at half their peak instead of being cut, as a reader's eye (and a binariser) joins it."""
    peak = a.copy()
    for _ in range(LOCAL_RADIUS):
        m = peak.copy()
        np.maximum(m[1:], peak[:-1], out=m[1:])
        np.maximum(m[:-1], peak[1:], out=m[:-1])
        peak = m.copy()
        np.maximum(peak[:, 1:], m[:, :-1], out=peak[:, 1:])
        np.maximum(peak[:, :-1], m[:, 1:], out=peak[:, :-1])
    local = np.clip(level * peak, floor, level)
    return a * (level / local)


# Keys' cubic (a = -0.5, Pillow's BICUBIC) sampled at the two phases of a 2x enlargement: output
# sample 2k sits at source position k - 1/4 (taps k-2..k+1), 2k+1 at k + 1/4 (taps k-1..k+2).
_EVEN = np.array([-0.0234375, 0.2265625, 0.8671875, -0.0703125], dtype=np.float32)
_ODD = _EVEN[::-1].copy()


def _bicubic2(a: np.ndarray) -> np.ndarray:
    """``a`` enlarged 2x along both axes with the bicubic filter compose's raster ink is resampled
    with, so a level traced on it is the level a binariser finds in the raster page. Zeros beyond
    the edges; sample u lies at source position u/2 - 1/4."""
    for axis in (0, 1):
        a = np.moveaxis(a, axis, 0)
        n = a.shape[0]
        p = np.zeros((n + 4,) + a.shape[1:], dtype=np.float32)
        p[2:n + 2] = a  # p[i] = a[i - 2]
        out = np.empty((2 * n,) + a.shape[1:], dtype=np.float32)
        out[0::2] = sum(w * p[t:t + n] for t, w in enumerate(_EVEN))  # taps a[k-2..k+1]
        out[1::2] = sum(w * p[t + 1:t + 1 + n] for t, w in enumerate(_ODD))  # taps a[k-1..k+2]
        a = np.moveaxis(out, 0, axis)
    return a


# work items (images to trace, outlines to fill) from which a page's batch is split in two halves
# done at once on two threads (``in_two``)
PARALLEL_MIN = 32


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def in_two(fn: Callable[[Sequence], list[T]], items: Sequence) -> list[T]:
    """``fn(items)`` computed as ``fn(first half) + fn(second half)``, the first half on a second
    thread, when there are PARALLEL_MIN items or more and two CPUs. numpy lets go of the GIL in
    its array loops, so a page's trace or fill (almost all array operations) takes about 0.6x the
    time on 2 cores (benchmarks/bench_ink.py). ``fn`` must treat its items independently."""
    if len(items) < PARALLEL_MIN or _cpus() < 2:
        return fn(items)
    half = len(items) // 2
    box: list = []

    def first() -> None:
        try:
            box.append(fn(items[:half]))
        except BaseException as exc:  # noqa: BLE001 - raised again in the caller's thread
            box.append(exc)

    worker = threading.Thread(target=first, name="hwrender-ink", daemon=True)
    worker.start()
    try:
        second = fn(items[half:])
    finally:
        worker.join()
    if isinstance(box[0], BaseException):
        raise box[0]
    return box[0] + second


def trace_many(alphas: Sequence[np.ndarray], level: float | Sequence[float] = 0.5,
               tolerance: float | Sequence[float] = FIT_TOLERANCE,
               local_floor: float | None = None, upsample: int = 1) -> list[list[Contour]]:
    """``[trace(a) for a in alphas]``, done at once: the images are packed side by side in rows
    of one sheet (with blank samples between, so no contour joins two of them) and traced as one
    (a batch of PARALLEL_MIN or more as two sheets on two threads, ``in_two``).
    ``level`` and ``tolerance`` are one for all, or one per image (images of unlike levels are
    scaled to one; ``local_floor`` then applies below the lowest)."""
    if upsample not in (1, 2):
        raise ValueError(f"upsample must be 1 or 2, got {upsample!r}")
    n = len(alphas)
    levels = np.broadcast_to(np.asarray(level, dtype=np.float64), (n,))
    tols = np.broadcast_to(np.asarray(tolerance, dtype=np.float64), (n,))
    return in_two(lambda k: _trace_sheet([alphas[i] for i in k], levels[k], tols[k], local_floor, upsample),
                  np.arange(n))


def _trace_sheet(alphas: Sequence[np.ndarray], level: np.ndarray, tolerance: np.ndarray,
                 local_floor: float | None, upsample: int) -> list[list[Contour]]:
    """``trace_many`` of one sheet (``level`` and ``tolerance`` one per image)."""
    alphas = [np.asarray(a) for a in alphas]
    result: list[list[Contour]] = [[] for _ in alphas]
    live = [i for i, a in enumerate(alphas) if a.ndim == 2 and a.size > 0]
    if not live:
        return result
    # tallest first: a packed row is as tall as its tallest image, so rows of like heights leave
    # less blank sheet to enlarge and march (EMNIST's page of 1139 letters: 31 % less sheet)
    live.sort(key=lambda i: -alphas[i].shape[0])
    levels = np.broadcast_to(np.asarray(level, dtype=np.float64), (len(alphas),))[live]
    level = float(levels.min())
    gain = level / levels  # an image's own level lands on the common one (the interpolant is linear)
    # blank margin around each image: one sample for marching squares, three more for the
    # bicubic's reach (its 2-tap tail stays under any level above 0.23 across three blank rows)
    gap = 1 if upsample == 1 else 4
    x, y, sheet_w, sheet_h = _pack([alphas[i].shape for i in live], gap)
    stack = np.zeros((sheet_h, sheet_w), dtype=np.float32)
    for i, xi, yi, g in zip(live, x, y, gain):
        a = alphas[i]
        stack[yi:yi + a.shape[0], xi:xi + a.shape[1]] = a if g == 1.0 else a * np.float32(g)
    np.fmax(stack, 0.0, out=stack)  # NaN -> 0
    if local_floor is not None and local_floor < level:
        stack = _local_stretch(stack, level, local_floor)
    if upsample == 2:
        pts, nxt = _march(_bicubic2(stack), level)
        pts = pts / 2  # march's point for sample u is u - 1/2 (+ t); sample u sits at u/2 - 1/4
    else:
        pts, nxt = _march(stack, level)
        pts = pts + 0.5
    if len(pts) == 0:
        return result
    # pts are now positions in the sheet's samples (sample s at s): ink coordinates are the
    # position less the image's corner, plus 1/2
    order, starts = _order(nxt)
    pts = pts[order]
    # each ring to its image, by where its first point lies: an image's contours stay on its side
    # of the middle of the blank samples before it (at (gap + 1) / 2 before its first sample).
    # Images are numbered along each row, row after row.
    mid = (gap + 1) / 2
    row_tops = np.unique(y)
    first = pts[starts]
    row_of = np.searchsorted(row_tops - mid, first[:, 1], side="right") - 1
    key = np.searchsorted(row_tops, y) * (sheet_w + gap) + x  # increasing along the packing
    owner = np.searchsorted(key - mid, row_of * (sheet_w + gap) + first[:, 0], side="right") - 1
    ring = np.zeros(len(pts), dtype=np.int64)
    ring[starts[1:]] = 1
    rings = _Rings(pts, np.cumsum(ring), np.zeros(len(pts), dtype=bool))
    tol = np.broadcast_to(np.asarray(tolerance, dtype=np.float64), (len(alphas),))[live]
    segs, seg_ring = _fit(rings, tol[owner])
    seg_owner = owner[seg_ring]
    segs[..., 0] -= (x[seg_owner] - 0.5)[:, None]
    segs[..., 1] -= (y[seg_owner] - 0.5)[:, None]
    segs.flags.writeable = False  # the contours are views of it, cached and shared by the writers
    for image, contour in zip(owner, np.split(segs, np.flatnonzero(np.diff(seg_ring)) + 1)):
        result[live[image]].append(contour)
    return result


def _pack(shapes: Sequence[tuple[int, int]], gap: int) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Top-left corners (x, y) of images of ``shapes`` (h, w) laid in rows left to right, ``gap``
    blank samples around each, in a sheet about square (a page of words in one long column would
    march several times the blank area); and the sheet's width and height."""
    h = np.array([sh[0] for sh in shapes], dtype=np.int64) + gap
    w = np.array([sh[1] for sh in shapes], dtype=np.int64) + gap
    width = int(max(w.max(), math.sqrt(float((h * w).sum())) * 1.5)) + gap
    x = np.zeros(len(shapes), dtype=np.int64)
    y = np.zeros(len(shapes), dtype=np.int64)
    cx, cy, row_h = gap, gap, 0
    for k in range(len(shapes)):
        if cx + w[k] > width:
            cx, cy, row_h = gap, cy + row_h, 0
        x[k], y[k] = cx, cy
        cx += int(w[k])
        row_h = max(row_h, int(h[k]))
    return x, y, width, cy + row_h


def _corners(r: _Rings) -> np.ndarray:
    """Points where the outline turns by more than CORNER_DEGREES over two points each side."""
    p = r.pts
    back = p - p[r.prv[r.prv]]
    ahead = p[r.nxt[r.nxt]] - p
    cos = (back * ahead).sum(1) / np.maximum(np.hypot(*back.T) * np.hypot(*ahead.T), 1e-12)
    sharp = cos < math.cos(math.radians(CORNER_DEGREES))
    local_min = (cos <= cos[r.prv]) & (cos < cos[r.nxt])  # the sharpest of a run of sharp points
    return sharp & local_min & (r.size[r.ring] >= 8)


def _smooth(r: _Rings) -> np.ndarray:
    """One Taubin pass (shrink by 0.5, grow by 0.53): smooths the marching-squares ripple without
    the shrinking that thins strokes and dots. Corners stay put."""
    p = r.pts
    for w in (0.5, -0.53):
        lap = (p[r.prv] + p[r.nxt]) / 2 - p
        lap[r.corner] = 0.0
        p = p + w * lap
    return p


def _cubics(r: _Rings) -> np.ndarray:
    """Catmull-Rom cubics (m, 4, 2) through the rings' points; at a corner each side's tangent
    runs along its own chord, so the corner stays sharp."""
    p = r.pts
    nxt, prv = p[r.nxt], p[r.prv]
    out_t = (nxt - prv) / 2
    in_t = out_t.copy()
    out_t[r.corner] = (nxt - p)[r.corner]
    in_t[r.corner] = (p - prv)[r.corner]
    seg = np.empty((len(p), 4, 2))
    seg[:, 0] = p
    seg[:, 1] = p + out_t / 3
    seg[:, 2] = nxt - in_t[r.nxt] / 3
    seg[:, 3] = nxt
    return seg


def _fit(r: _Rings, tolerance: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cubics through the rings' points (``tolerance`` per ring), and each one's ring."""
    r.corner = _corners(r)
    r.pts = _smooth(r)
    # Halving passes: drop every other point where the curve through its neighbours passes
    # within ``tolerance`` of it. Corners and short rings stay; a ring that drops few stops.
    busy = r.size >= 8
    while busy.any():
        size = r.size[r.ring]
        odd = (r.rank % 2 == 1) & (r.rank < size - size % 2) & busy[r.ring]  # never two neighbours
        j = np.flatnonzero(odd)
        ok = (_mid_error(r, odd, j) <= tolerance[r.ring[j]]) & ~r.corner[j]
        drop = np.zeros(len(r.pts), dtype=bool)
        drop[j[ok]] = True
        dropped = np.bincount(r.ring[drop], minlength=len(r.size))
        enough = dropped >= np.maximum(2, r.size // 8)
        drop &= enough[r.ring]
        busy &= enough & (r.size - dropped >= 16)
        if not drop.any():
            break
        r = r.keep(~drop)
    return _cubics(r), r.ring


def _mid_error(r: _Rings, odd: np.ndarray, j: np.ndarray) -> np.ndarray:
    """How far each point ``j`` (marked ``odd``, its neighbours not) lies from the middle of the
    curve ``_cubics`` would draw between its neighbours were the ``odd`` points dropped: that
    curve's B(1/2) = (p0 + p3) / 2 + (t0 - t3) / 8, t0 and t3 the tangents there."""
    pts, nxt, prv, corner = r.pts, r.nxt, r.prv, r.corner
    a, b = prv[j], nxt[j]
    before = prv[a]
    before = np.where(odd[before], prv[before], before)  # a's neighbour once the odd ones go
    after = nxt[b]
    after = np.where(odd[after], nxt[after], after)
    p0, p3 = pts[a], pts[b]
    chord = p3 - p0
    t0 = np.where(corner[a][:, None], chord, (p3 - pts[before]) / 2)
    t3 = np.where(corner[b][:, None], chord, (pts[after] - p0) / 2)
    mid = (p0 + p3) / 2 + (t0 - t3) / 8
    return np.hypot(*(mid - pts[j]).T)


def _bezier(seg: np.ndarray, t) -> np.ndarray:
    """Points at parameter ``t`` (a number, or an array broadcast over the segments)."""
    t = np.asarray(t, dtype=np.float64)[..., None]
    u = 1 - t
    return (u**3 * seg[..., 0, :] + 3 * u * u * t * seg[..., 1, :] + 3 * u * t * t * seg[..., 2, :]
            + t**3 * seg[..., 3, :])


_outline_cache: dict[tuple[int, float], list[Contour]] = {}
_outline_lock = threading.Lock()


def fit_tolerance(scale: float | None) -> float:
    """Fit tolerance in ink px for an ink drawn ``scale`` points per ink px: FIT_TOLERANCE_PT on
    the page, so a font's large ink (an ink px a fraction of a page px) gets a coarse fit and few
    curves, a GAN's small ink (an ink px ~3 page px) a fine one; never finer than FIT_TOLERANCE.
    Rounded to a power of 2^(1/2) so an ink placed at nearby scales shares one trace."""
    if not scale or not math.isfinite(scale) or scale <= 0:
        return FIT_TOLERANCE
    tol = FIT_TOLERANCE_PT / float(scale)
    tol = 2.0 ** (round(2 * math.log2(max(tol, 1e-9))) / 2)
    return float(min(max(tol, FIT_TOLERANCE), MAX_TOLERANCE))


def ink_level(ink: "InkImage") -> float:
    """The alpha level ``ink``'s outline is traced at: INK_LEVEL, or the generator's own
    ``ink.meta["ink_level"]`` (MIN_LEVEL..0.5).

    Why a generator may ask: where the outline cuts its alpha depends on what lies just under
    INK_LEVEL, which differs by generator, not by the size an ink px is drawn (measured with
    Tesseract on lines that are not bench_ink's: the Latin GAN's faint webbing between strokes
    closes counters below 0.25, CER 0.02 -> 0.14 at 0.20 and 0.41 at 0.15 even drawn as small as
    EMNIST; EMNIST's strokes have faint breaks that 0.25 cuts into specks Tesseract reads as
    punctuation, and it reads best at 0.10 even drawn as large as Latin words).

    With KEEP_WIDTH, WIDTH_LEVEL for every ink (half of its local peak)."""
    if KEEP_WIDTH:
        return WIDTH_LEVEL
    level = getattr(ink, "meta", None) and ink.meta.get("ink_level")
    try:
        level = float(level) if level is not None else INK_LEVEL
    except (TypeError, ValueError):
        return INK_LEVEL
    return min(max(level, MIN_LEVEL), 0.5) if math.isfinite(level) else INK_LEVEL


def ink_outline(ink: "InkImage", scale: float | None = None) -> list[Contour]:
    """``trace(ink.alpha)`` at the level the generator's ink reads at (``ink_level``), fitted for
    ``scale`` points per ink px (``fit_tolerance``; None: the finest), kept while ``ink`` lives
    (the PDF, SVG and page fill share it)."""
    return ink_outlines([ink], None if scale is None else [scale])[0]


def ink_outlines(inks: Sequence["InkImage"], scales: Sequence[float] | None = None) -> list[list[Contour]]:
    """``[ink_outline(i, s) for i, s in zip(inks, scales)]``, tracing the ones not yet traced
    together (a page's inks in one batch is many times faster than one by one)."""
    tols = [fit_tolerance(s) for s in scales] if scales is not None else [FIT_TOLERANCE] * len(inks)
    keys = [(id(ink), t) for ink, t in zip(inks, tols)]
    with _outline_lock:
        found = [_outline_cache.get(k) for k in keys]
    todo: dict[tuple[int, float], "InkImage"] = {k: ink for k, ink, hit in zip(keys, inks, found) if hit is None}
    if todo:
        traced = {}
        coarse = fit_tolerance(UPSAMPLE_ABOVE_PT)  # the tolerance says how large an ink px is
        for upsample in (INK_UPSAMPLE, 1):
            group = [k for k in todo if (k[1] <= coarse) == (upsample == INK_UPSAMPLE)]
            if group and upsample == INK_UPSAMPLE:
                big = [k for k in group if _upscaled_size(todo[k])]
                if big and _upscaler_available():
                    traced.update(zip(big, _trace_upscaled([todo[k] for k in big], [k[1] for k in big])))
                    group = [k for k in group if k not in traced]
            if group:
                traced.update(zip(group, trace_many([todo[k].alpha for k in group],
                                                    [ink_level(todo[k]) for k in group],
                                                    [k[1] for k in group], local_floor=LOCAL_FLOOR,
                                                    upsample=upsample)))
        with _outline_lock:
            for key, ink in todo.items():
                if key not in _outline_cache:
                    _outline_cache[key] = traced[key]
                    weakref.finalize(ink, _outline_cache.pop, key, None)
            found = [_outline_cache[k] for k in keys]
    return found


def _upscaler_available() -> bool:
    from . import upscale

    return upscale.available()


def upscales(ink: "InkImage", scale: float | None) -> bool:
    """Whether vector ink (``ink_outlines``) draws ``ink`` placed ``scale`` points per ink px
    (None: the finest fit, as ``ink_outline`` without a scale) from the ink upscaler's enlarged alpha:
    its pixel is larger than UPSAMPLE_ABOVE_PT on the page, its writing is of the size the
    upscaler learnt (``upscale.serves``), and the upscaler is there."""
    return fit_tolerance(scale) <= fit_tolerance(UPSAMPLE_ABOVE_PT) and _upscaled_size(ink) \
        and _upscaler_available()


def _upscaled_size(ink: "InkImage") -> bool:
    from . import upscale

    return upscale.serves(ink)


def _trace_upscaled(inks: Sequence["InkImage"], tolerances: Sequence[float]) -> list[list[Contour]]:
    """The outlines of ``inks`` traced on the ink upscaler's redrawing of their alphas (2x)
    (``upscale``), at each ink's level, in the inks' own pixels. The fit tolerance is the same
    on the page (``tolerances`` are in ink px)."""
    from . import upscale

    net = upscale.load()
    big = upscale.upscale_many([ink.alpha for ink in inks], net)
    k = float(net.scale)
    traced = trace_many(big, [ink_level(ink) for ink in inks], [t * k for t in tolerances],
                        local_floor=LOCAL_FLOOR, upsample=1)
    return [[_scaled(c, 1.0 / k) for c in contours] for contours in traced]


def _scaled(contour: Contour, factor: float) -> Contour:
    out = contour * factor
    out.flags.writeable = False  # like trace_many's: cached and shared by the writers
    return out


# ----------------------------------------------------------------------------------------------
# placing and filling


def placement_matrix(p: "Placement", ink: "InkImage") -> tuple[float, float, float, float, float, float]:
    """(a, b, c, d, e, f): ink pixels to page points, y down: x' = a x + c y + e, y' = b x + d y + f.

    The same map as compose.ink_coverage: the origin (0, baseline) lands on (p.x, p.baseline),
    p.scale points per ink pixel, turned p.rotation degrees counter-clockwise about the origin."""
    s = float(p.scale)
    theta = math.radians(p.rotation)
    cos, sin = math.cos(theta) * s, math.sin(theta) * s
    base = float(ink.baseline)
    # counter-clockwise on a y-down page: x' = cos dx + sin dy, y' = -sin dx + cos dy
    return (cos, -sin, sin, cos, p.x - sin * base, p.baseline - cos * base)


def transform(contours: Sequence[Contour], matrix: Sequence[float]) -> list[Contour]:
    """The contours mapped by an affine ``matrix`` (a Bezier's image is the Bezier of its images)."""
    a, b, c, d, e, f = matrix
    m = np.array([[a, b], [c, d]], dtype=np.float64)
    shift = np.array([e, f], dtype=np.float64)
    return [np.asarray(ct, dtype=np.float64) @ m + shift for ct in contours]


def flatten(contours: Sequence[Contour], tolerance: float = FLATTEN_TOLERANCE) -> list[np.ndarray]:
    """Each contour as a closed polygon (m, 2) whose chords stray at most ``tolerance`` from the
    curve (the first point is not repeated at the end)."""
    contours = [np.asarray(c, dtype=np.float64) for c in contours if len(c)]
    if not contours:
        return []
    pts, owner = _flat(np.concatenate(contours), np.repeat(np.arange(len(contours)),
                                                           [len(c) for c in contours]), tolerance)
    return np.split(pts, np.flatnonzero(np.diff(owner)) + 1)


def _flat(segs: np.ndarray, seg_owner: np.ndarray, tolerance: float) -> tuple[np.ndarray, np.ndarray]:
    """Points along cubic segments (contour after contour), and the contour each belongs to."""
    # chord error of n uniform steps <= 3/4 max|second difference| / n^2
    dd = np.maximum(np.hypot(*(segs[:, 0] - 2 * segs[:, 1] + segs[:, 2]).T),
                    np.hypot(*(segs[:, 1] - 2 * segs[:, 2] + segs[:, 3]).T))
    steps = np.maximum(1, np.ceil(np.sqrt(0.75 * dd / tolerance))).astype(np.int64)
    seg = np.repeat(np.arange(len(segs)), steps)
    first = np.cumsum(steps) - steps
    t = (np.arange(len(seg)) - first[seg]) / steps[seg]
    return _bezier(segs[seg], t), seg_owner[seg]


def coverage(polygons: Sequence[np.ndarray], width: int, height: int) -> np.ndarray:
    """Even-odd area coverage (float32 (height, width), 0..1) of ``polygons`` in pixel
    coordinates, exact (see ``_coverage``)."""
    polys = [np.asarray(p, dtype=np.float64) for p in polygons if len(p) >= 3]
    out = np.zeros((max(height, 0), max(width, 0)), dtype=np.float32)
    if not polys or width <= 0 or height <= 0:
        return out
    pts = np.concatenate(polys)
    ring = np.repeat(np.arange(len(polys)), [len(p) for p in polys])
    box = np.array([[0, 0, width, height]])
    cov = _coverage(pts, ring, np.zeros(len(polys), dtype=np.int64), box)[0].astype(np.float32)
    cov[cov < 1e-9] = 0.0  # what rounding leaves of a row's sum (a page's fill rounds it to 0)
    return cov


def _split(ax, ay, bx, by, lo, hi):
    """Edges a -> b cut where ``y`` crosses a whole number within [lo, hi] (swap the axes to cut
    at whole ``x``): (x0, y0, x1, y1) of the pieces, in order along each edge, and each one's edge."""
    first = np.maximum(np.floor(np.minimum(ay, by)) + 1, lo)  # whole numbers strictly between
    last = np.minimum(np.ceil(np.maximum(ay, by)) - 1, hi)
    count = np.maximum(last - first + 2, 1).astype(np.int64)  # pieces: one more than the cuts
    at = np.cumsum(count) - count  # each edge's first piece
    up = by < ay
    step = np.where(up, -1.0, 1.0)
    # piece p of edge e starts at its (p - at)-th cut, k0 + step * (p - at); piece 0 at a
    e = np.repeat(np.arange(len(ay)), count)
    y0 = np.repeat(np.where(up, last + 1, first - 1) - step * at, count) + step[e] * np.arange(len(e))
    y0[at] = ay
    slope = (bx - ax) / np.where(by != ay, by - ay, 1.0)
    x0 = ax[e] + (y0 - ay[e]) * slope[e]
    # each piece ends where the next one starts, the last of an edge at b
    x1, y1 = np.empty_like(x0), np.empty_like(y0)
    x1[:-1], y1[:-1] = x0[1:], y0[1:]
    x1[at + count - 1], y1[at + count - 1] = bx, by
    return x0, y0, x1, y1, e


def _coverage(pts, ring, group, boxes) -> list[np.ndarray]:
    """Even-odd coverage of polygons (points ring after ring, ``group`` per ring) in each group's
    box (x0, y0, x1, y1) of whole pixels: one float array per group.

    Exact area coverage, as font rasterisers do it: every edge is cut at the pixel rows and columns
    it crosses, each piece adds its signed height to its pixel (the share right of it) and to the
    next (the rest), and a running sum along each row gives the winding number, folded even-odd."""
    size = np.bincount(ring)
    start = np.cumsum(size) - size
    rank = np.arange(len(pts)) - start[ring]
    nxt = np.where(rank == size[ring] - 1, start[ring], np.arange(len(pts)) + 1)
    g = group[ring]
    w = (boxes[:, 2] - boxes[:, 0]).astype(np.int64)
    h = (boxes[:, 3] - boxes[:, 1]).astype(np.int64)
    ax, ay = pts[:, 0] - boxes[g, 0], pts[:, 1] - boxes[g, 1]
    bx, by = ax[nxt], ay[nxt]
    # rows first (a piece above or below the box adds nothing), then columns (left of the box a
    # piece adds all its height to column 0, right of it to the spare column w)
    keep = np.flatnonzero((np.maximum(ay, by) > 0) & (np.minimum(ay, by) < h[g]) & (ay != by))
    x0, y0, x1, y1, e = _split(ax[keep], ay[keep], bx[keep], by[keep], 0, h[g[keep]])
    eg = g[keep][e]
    y0, x0, y1, x1, e = _split(y0, x0, y1, x1, 0, w[eg])
    eg = eg[e]
    x0 = np.clip(x0, 0.0, w[eg])
    x1 = np.clip(x1, 0.0, w[eg])
    y0 = np.clip(y0, 0.0, h[eg])
    y1 = np.clip(y1, 0.0, h[eg])
    dy = y1 - y0
    row = np.minimum(np.floor((y0 + y1) / 2), h[eg] - 1).astype(np.int64)
    xm = (x0 + x1) / 2
    col = np.minimum(np.floor(xm), w[eg]).astype(np.int64)
    frac = xm - col
    out_size = h * (w + 2)
    offset = np.cumsum(out_size) - out_size
    base = offset[eg] + row * (w[eg] + 2) + col
    acc = np.bincount(np.concatenate([base, base + 1]),
                      weights=np.concatenate([dy * (1 - frac), dy * frac]), minlength=int(out_size.sum()))
    # every row's pieces close within the row, so one running sum serves all the rows
    run = np.abs(np.cumsum(acc, out=acc), out=acc)
    over = np.flatnonzero(run > 1.0)  # rare: where outlines overlap; even-odd, winding 2 is paper again
    run[over] = np.abs(run[over] - 2 * np.round(run[over] / 2))
    return [run[o:o + n].reshape(hh, ww + 2)[:, :ww] for o, n, hh, ww in zip(offset, out_size, h, w)]


def fill(out: np.ndarray, contours: Sequence[Contour], matrix: Sequence[float],
         tolerance: float = FLATTEN_TOLERANCE) -> None:
    """Fill ``contours`` mapped by ``matrix`` (to ``out``'s pixels) into the uint8 coverage map
    ``out``, anti-aliased, combining "over" like compose's raster ink: 1 - (1 - r)(1 - a)."""
    fill_many(out, [(contours, matrix)], tolerance)


def fill_many(out: np.ndarray, items: Sequence[tuple[Sequence[Contour], Sequence[float]]],
              tolerance: float = FLATTEN_TOLERANCE) -> None:
    """``fill`` for each (contours, matrix) of ``items`` in turn: their coverage computed at once
    (a page of PARALLEL_MIN or more items in two halves on two threads, ``in_two``), then
    combined into ``out`` in order."""
    shape = out.shape
    for (x0, y0, x1, y1), a in in_two(lambda part: _coverages(part, shape, tolerance), list(items)):
        if x1 > x0 and y1 > y0:
            region = out[y0:y1, x0:x1]
            r = region.astype(np.float32)
            r += a.astype(np.float32) * (255.0 - r)
            region[...] = (r + 0.5).astype(np.uint8)


def _coverages(items: Sequence[tuple[Sequence[Contour], Sequence[float]]], shape: tuple[int, int],
               tolerance: float) -> list[tuple[tuple[int, int, int, int], np.ndarray]]:
    """Per item: its box (x0, y0, x1, y1) of whole pixels within a page of ``shape`` (h, w), and
    its outlines' coverage there."""
    segs, owner, group, mats = [], [], [], []
    n = 0
    for k, (contours, matrix) in enumerate(items):
        for c in contours:
            if len(c):
                segs.append(np.asarray(c, dtype=np.float64))
                owner.append(np.full(len(c), n))
                group.append(k)
                n += 1
        mats.append(matrix)
    if not segs:
        return []
    group = np.asarray(group, dtype=np.int64)
    owner = np.concatenate(owner)
    m = np.asarray(mats, dtype=np.float64)[group[owner]]  # (segments, 6)
    s = np.concatenate(segs)
    mapped = np.empty_like(s)
    mapped[..., 0] = m[:, None, 0] * s[..., 0] + m[:, None, 2] * s[..., 1] + m[:, None, 4]
    mapped[..., 1] = m[:, None, 1] * s[..., 0] + m[:, None, 3] * s[..., 1] + m[:, None, 5]
    pts, ring = _flat(mapped, owner, tolerance)
    # each item's box: the whole pixels its points touch, within the page
    g = group[ring]  # non-decreasing: items' points come in order
    count = len(items)
    lo = np.full((count, 2), np.inf)
    hi = np.full((count, 2), -np.inf)
    has = np.unique(g)
    at = np.searchsorted(g, has)
    lo[has] = np.minimum.reduceat(pts, at)
    hi[has] = np.maximum.reduceat(pts, at)
    page_h, page_w = shape
    with np.errstate(invalid="ignore"):
        boxes = np.stack([np.clip(np.floor(lo[:, 0]), 0, page_w), np.clip(np.floor(lo[:, 1]), 0, page_h),
                          np.clip(np.ceil(hi[:, 0]), 0, page_w), np.clip(np.ceil(hi[:, 1]), 0, page_h)], 1)
    boxes = np.nan_to_num(boxes).astype(np.int64)
    boxes[:, 2:] = np.maximum(boxes[:, 2:], boxes[:, :2])
    return [(tuple(int(v) for v in box), a) for box, a in zip(boxes, _coverage(pts, ring, group, boxes))]

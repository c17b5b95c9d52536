"""Trace a generator's alpha into smooth outlines, and fill outlines at page resolution.

A generator draws its ink small (a Latin word is 32 px high) and soft-edged; resampled to 300 dpi
its edges become a grey band several pixels wide. Tracing the alpha's 0.5 level into curves and
filling those at the page's resolution gives edges as sharp as a font's, at any dpi, and the same
curves serve the vector writers (SVG paths, PDF paths).

Coordinates are the ink's pixels: x right, y down, pixel (row i, column j) covers [j, j+1] x
[i, i+1], so its centre is (j + 0.5, i + 0.5). A ``Contour`` is an (n, 4, 2) float64 array of n
cubic Bezier segments [p0, c1, c2, p3], closed (each segment's p3 is the next one's p0, the last
joins the first). Outlines fill by the even-odd rule: a contour inside another is a hole.

The method is potrace's idea done with array operations so that a page's 250 words trace in a few
tens of milliseconds: marching squares with linear interpolation (sub-pixel contour points),
corners found from the turn over a few points, a light shrink-free (Taubin) smoothing of the rest,
Catmull-Rom cubics through the points (straight into and out of corners), and points dropped in
halving passes while the curve through the remaining ones stays within ``tolerance`` of them.
"""

from __future__ import annotations

import math
import threading
import weakref
from typing import TYPE_CHECKING, Sequence

import numpy as np

if TYPE_CHECKING:
    from ..ink import InkImage
    from ..layout.types import Placement

Contour = np.ndarray  # (n, 4, 2) float64 cubic segments, closed

FIT_TOLERANCE = 0.08  # ink px: how far the fitted curve may stray from the traced points
CORNER_DEGREES = 65.0  # a turn sharper than this over +-2 points is kept as a corner
FLATTEN_TOLERANCE = 0.15  # output px: chord error when filling
SUBROWS = 5  # samples per output pixel row when filling (edges are exact along x)


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
    """Contour points (m, 2) in ink pixels and ``nxt`` (m,): the index of each point's successor
    along its closed contour."""
    a = np.zeros((alpha.shape[0] + 2, alpha.shape[1] + 2), dtype=np.float64)
    a[1:-1, 1:-1] = np.nan_to_num(alpha, nan=0.0)
    hp, wp = a.shape
    ins = a >= level
    case = (ins[:-1, :-1] * 1 + ins[:-1, 1:] * 2 + ins[1:, 1:] * 4 + ins[1:, :-1] * 8)
    ci, cj = np.nonzero((case != 0) & (case != 15))
    if len(ci) == 0:
        return np.zeros((0, 2)), np.zeros(0, dtype=np.int64)
    c = case[ci, cj]
    saddle = (c == 5) | (c == 10)
    if saddle.any():
        centre = (a[ci, cj] + a[ci, cj + 1] + a[ci + 1, cj] + a[ci + 1, cj + 1]) / 4 >= level
        c = np.where(saddle & centre, np.where(c == 5, 16, 17), c)
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
    order = np.argsort(start, kind="stable")
    nxt = order[np.searchsorted(start[order], stop)]
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
    passes = max(1, math.ceil(math.log2(max(n, 2)))) + 1
    label = idx.copy()
    jump = nxt.copy()
    for _ in range(passes):
        label = np.minimum(label, label[jump])
        jump = jump[jump]
    # List ranking on each cycle opened just before its label: the element whose successor is
    # the label becomes the end. rank = steps from the label = length - 1 - steps to the end.
    end = nxt == label
    succ = np.where(end, idx, nxt)
    to_end = (~end).astype(np.int64)
    for _ in range(passes):
        to_end = to_end + to_end[succ]  # the end's own count is 0, so adding it past the end is harmless
        succ = succ[succ]
    length = np.bincount(label, minlength=n)[label]
    return label, length - 1 - to_end


# ----------------------------------------------------------------------------------------------
# tracing


def trace(alpha: np.ndarray, level: float = 0.5, tolerance: float = FIT_TOLERANCE) -> list[Contour]:
    """Closed cubic outlines of ``alpha >= level`` (see the module's docstring); [] when blank."""
    alpha = np.asarray(alpha, dtype=np.float64)
    if alpha.ndim != 2 or alpha.size == 0:
        return []
    pts, nxt = _march(alpha, level)
    if len(pts) == 0:
        return []
    order, starts = _order(nxt)
    pts = pts[order]
    bounds = np.r_[starts, len(pts)]
    # Per-contour arrays from here: a contour is a ring of points.
    out = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        ring = pts[a:b]
        if len(ring) < 3:
            continue
        out.append(_fit(ring, tolerance))
    return out


def _corners(ring: np.ndarray) -> np.ndarray:
    """Points where the outline turns by more than CORNER_DEGREES over two points each side."""
    n = len(ring)
    if n < 8:
        return np.zeros(n, dtype=bool)
    back = ring - np.roll(ring, 2, axis=0)
    ahead = np.roll(ring, -2, axis=0) - ring
    cos = (back * ahead).sum(1) / np.maximum(np.hypot(*back.T) * np.hypot(*ahead.T), 1e-12)
    sharp = cos < math.cos(math.radians(CORNER_DEGREES))
    # keep only the sharpest point of a run of sharp ones
    local_min = (cos <= np.roll(cos, 1)) & (cos < np.roll(cos, -1))
    return sharp & local_min


def _smooth(ring: np.ndarray, fixed: np.ndarray) -> np.ndarray:
    """One Taubin pass (shrink by 0.5, grow by 0.53): smooths the marching-squares ripple without
    the shrinking that thins strokes and dots."""
    for w in (0.5, -0.53):
        lap = (np.roll(ring, 1, axis=0) + np.roll(ring, -1, axis=0)) / 2 - ring
        lap[fixed] = 0.0
        ring = ring + w * lap
    return ring


def _cubics(ring: np.ndarray, corner: np.ndarray) -> Contour:
    """Catmull-Rom cubics through the ring's points; at a corner each side's tangent runs along
    its own chord, so the corner stays sharp."""
    nxt = np.roll(ring, -1, axis=0)
    prv = np.roll(ring, 1, axis=0)
    out_t = (nxt - prv) / 2
    in_t = out_t.copy()
    out_t[corner] = (nxt - ring)[corner]
    in_t[corner] = (ring - prv)[corner]
    seg = np.empty((len(ring), 4, 2))
    seg[:, 0] = ring
    seg[:, 1] = ring + out_t / 3
    seg[:, 2] = nxt - np.roll(in_t, -1, axis=0) / 3
    seg[:, 3] = nxt
    return seg


def _fit(ring: np.ndarray, tolerance: float) -> Contour:
    corner = _corners(ring)
    ring = _smooth(ring, corner)
    # Halving passes: drop every other point where the curve through its neighbours passes
    # within ``tolerance`` of it. Corners and short rings stay.
    while len(ring) >= 8:
        n = len(ring)
        odd = (np.arange(n) % 2 == 1) & (np.arange(n) < n - (n % 2))  # never two neighbours
        kept = ring[~odd]
        kept_corner = corner[~odd]
        curve = _cubics(kept, kept_corner)
        # where the curve is halfway between the kept neighbours of each dropped point
        mid = _bezier(curve[np.arange(n)[odd] // 2], 0.5)
        err = np.hypot(*(mid - ring[odd]).T)
        drop = np.zeros(n, dtype=bool)
        drop[odd] = (err <= tolerance) & ~corner[odd]
        if drop.sum() < max(2, n // 8):
            break
        ring, corner = ring[~drop], corner[~drop]
    return _cubics(ring, corner)


def _bezier(seg: np.ndarray, t) -> np.ndarray:
    """Points at parameter ``t`` (a number, or an array broadcast over the segments)."""
    t = np.asarray(t, dtype=np.float64)[..., None]
    u = 1 - t
    return (u**3 * seg[..., 0, :] + 3 * u * u * t * seg[..., 1, :] + 3 * u * t * t * seg[..., 2, :]
            + t**3 * seg[..., 3, :])


_outline_cache: dict[int, list[Contour]] = {}
_outline_lock = threading.Lock()


def ink_outline(ink: "InkImage") -> list[Contour]:
    """``trace(ink.alpha)``, kept while ``ink`` lives (the PDF, SVG and page fill share it)."""
    key = id(ink)
    with _outline_lock:
        hit = _outline_cache.get(key)
    if hit is not None:
        return hit
    contours = trace(ink.alpha)
    with _outline_lock:
        if key not in _outline_cache:
            _outline_cache[key] = contours
            weakref.finalize(ink, _outline_cache.pop, key, None)
    return contours


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
    polys = []
    for ct in contours:
        ct = np.asarray(ct, dtype=np.float64)
        if len(ct) == 0:
            continue
        # chord error of n uniform steps <= 3/4 max|second difference| / n^2
        dd = np.maximum(np.hypot(*(ct[:, 0] - 2 * ct[:, 1] + ct[:, 2]).T),
                        np.hypot(*(ct[:, 1] - 2 * ct[:, 2] + ct[:, 3]).T))
        steps = np.maximum(1, np.ceil(np.sqrt(0.75 * dd / tolerance))).astype(np.int64)
        seg = np.repeat(np.arange(len(ct)), steps)
        first = np.cumsum(steps) - steps
        t = (np.arange(len(seg)) - first[seg]) / steps[seg]
        polys.append(_bezier(ct[seg], t))
    return polys


def coverage(polygons: Sequence[np.ndarray], width: int, height: int,
             subrows: int = SUBROWS) -> np.ndarray:
    """Even-odd area coverage (float32 (height, width), 0..1) of ``polygons`` in pixel
    coordinates: exact along x, ``subrows`` samples per pixel row along y."""
    out = np.zeros((height, width), dtype=np.float32)
    polys = [p for p in polygons if len(p) >= 3]
    if not polys or width <= 0 or height <= 0:
        return out
    p0 = np.concatenate(polys)
    p1 = np.concatenate([np.roll(p, -1, axis=0) for p in polys])
    y0, y1 = p0[:, 1] * subrows - 0.5, p1[:, 1] * subrows - 0.5  # sub-row q's centre is at q
    lo = np.maximum(np.ceil(np.minimum(y0, y1)), 0)
    hi = np.minimum(np.ceil(np.maximum(y0, y1)), height * subrows)  # half-open [lo, hi)
    count = np.maximum(hi - lo, 0).astype(np.int64)
    keep = count > 0
    if not keep.any():
        return out
    p0, p1, y0, y1, lo, count = p0[keep], p1[keep], y0[keep], y1[keep], lo[keep], count[keep]
    edge = np.repeat(np.arange(len(count)), count)
    q = lo[edge] + (np.arange(len(edge)) - (np.cumsum(count) - count)[edge])
    slope = (p1[:, 0] - p0[:, 0]) / (y1 - y0)
    x = p0[edge, 0] + (q - y0[edge]) * slope[edge]
    # even-odd: in each sub-row, ink lies between crossings 1-2, 3-4, ...
    o = np.lexsort((x, q))
    q, x = q[o].astype(np.int64), np.clip(x[o], 0.0, float(width))
    sign = np.where(np.arange(len(x)) % 2 == 0, 1.0, -1.0) / subrows
    col = np.floor(x).astype(np.int64)
    frac = x - col
    row = q // subrows
    stride = width + 2
    idx = np.concatenate([row * stride + col, row * stride + col + 1])
    w = np.concatenate([sign * (1 - frac), sign * frac])
    acc = np.bincount(idx, weights=w, minlength=height * stride)[: height * stride]
    cov = np.cumsum(acc.reshape(height, stride), axis=1)[:, :width]
    np.clip(cov, 0.0, 1.0, out=out)
    return out


def fill(out: np.ndarray, contours: Sequence[Contour], matrix: Sequence[float],
         tolerance: float = FLATTEN_TOLERANCE) -> None:
    """Fill ``contours`` mapped by ``matrix`` (to ``out``'s pixels) into the uint8 coverage map
    ``out``, anti-aliased, combining "over" like compose's raster ink: 1 - (1 - r)(1 - a)."""
    polys = flatten(transform(contours, matrix), tolerance)
    if not polys:
        return
    pts = np.concatenate(polys)
    page_h, page_w = out.shape
    x0 = max(0, math.floor(pts[:, 0].min()))
    y0 = max(0, math.floor(pts[:, 1].min()))
    x1 = min(page_w, math.ceil(pts[:, 0].max()))
    y1 = min(page_h, math.ceil(pts[:, 1].max()))
    if x1 <= x0 or y1 <= y0:
        return
    shift = np.array([x0, y0], dtype=np.float64)
    a = coverage([p - shift for p in polys], x1 - x0, y1 - y0)
    region = out[y0:y1, x0:x1]
    r = region.astype(np.float32)
    r += a * (255.0 - r)
    region[...] = (r + 0.5).astype(np.uint8)

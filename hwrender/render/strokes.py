"""Single-line strokes for pen plotters: the centre lines of the ink, as ordered polylines.

Each ink image is binarised, thinned to a one-pixel skeleton, and the skeleton's graph is read
as strokes: chains of pixels between ends and junctions, short spurs (thinning artefacts at
corners and stroke ends) dropped, and at a junction the two branches that continue each other
most straightly joined so that an ``x`` is two strokes and a ``t`` two, not four. Specks much
thinner than the pen are dropped, a dot much wider than it becomes a small circle, and free ends
stop half a pen short of the tips (a round pen reaches that far). The strokes are smoothed,
simplified and their corners rounded, mapped to the page with the placement's matrix, and
ordered so that the pen travels little between them (greedy nearest neighbour, strokes may be
drawn backwards, then a windowed 2-opt).

The pen is the median stroke width: at each skeleton pixel, the chord across the outline the
vector ink fills (``LEVEL``), whose middle the centre line is moved to (thinning leaves it half a
pixel aside). Where vector ink draws an ink from the ink upscaler's enlarged alpha
(``trace.upscales``: the Latin GAN's words), the strokes are found in that alpha too. Neural ink
varies in width along a stroke, so a pen of one width cannot cover it exactly: drawn back, the
latin generator's words cover their filled ink with an IoU of about 0.8.

Coordinates: ink pixels as ``compose`` and ``trace`` use them (pixel (row i, column j) covers
[j, j+1] x [i, i+1], y down); page polylines are in points, y down. A dot is a polyline of two
equal points (a pen touch; SVG draws a zero-length line with round caps as a dot).
"""

from __future__ import annotations

import math
import threading
import weakref
from typing import Mapping, Sequence

import numpy as np
from PIL import Image

from ..ink import InkImage
from ..layout.types import PageLayout, Placement
from .skeleton import line_length, skeleton_strokes, thin, widths_at
from .trace import INK_LEVEL, ink_level

# The skeleton is taken at a resolution where strokes are about this many pixels wide: thinner
# strokes skeletonise into staircases and stubs, wider ones only cost time.
_TARGET_WIDTH_PX = 9.0
_MIN_UPSAMPLE, _MAX_UPSAMPLE = 2, 4
_SPUR = 0.6  # a branch from a junction to a free end shorter than this many stroke widths is an artefact
_SPECK = 0.5  # a mark shorter than the pen and everywhere thinner than this many pen widths is dropped
_BLOB = 1.5  # a dot this many pen widths wide is drawn as a small circle, not one touch of the pen
_SIMPLIFY = 0.08  # Ramer-Douglas-Peucker tolerance in ink pixels (about 0.1 px at 300 dpi for Latin words)
_ROUNDING = 2  # rounds of Chaikin corner cutting after simplifying: a small 'o' is a curve, not a hexagon
_TWO_OPT_WINDOW = 80  # 2-opt looks this many strokes ahead: greedy order is already local
# The strokes follow the outline the vector ink fills (trace.ink_level: INK_LEVEL of the alpha, the
# weight a reader sees in the raster page too, or the generator's own): drawn back they cover that ink, IoU 0.80 for latin words
# against 0.60 when they followed the thinner 0.5 outline.
LEVEL = INK_LEVEL  # unless the generator asks for its own

_lock = threading.Lock()
_cache: dict[tuple[int, bool], tuple] = {}  # (id of the ink, upscaled) -> (weakref, strokes)


# ----------------------------------------------------------------------------------------------
# public API


def ink_polylines(ink: InkImage, scale: float | None = None) -> list[np.ndarray]:
    """The centre lines of ``ink``'s strokes, each an (n, 2) float64 array of (x, y) in ink pixels,
    for the ink placed ``scale`` points per ink px (None: as ``trace.ink_outline`` without one).

    Cached per InkImage object (ink images are not changed once made); the arrays are read-only.
    """
    return list(_analyse(ink, scale)[0])


def stroke_widths(ink: InkImage, scale: float | None = None) -> np.ndarray:
    """The stroke width (ink pixels) at each skeleton pixel of ``ink`` (empty for blank ink)."""
    return _analyse(ink, scale)[1]


def median_stroke_width(source: InkImage | PageLayout, inks: Mapping[int, InkImage] | None = None) -> float:
    """The median stroke width: of an ink image in its pixels, or of a page (with its ``inks``) in
    points, weighted by stroke length. 0.0 when there is no ink."""
    if isinstance(source, InkImage):
        w = stroke_widths(source)
        return float(np.median(w)) if w.size else 0.0
    if inks is None:
        raise TypeError("median_stroke_width(page) needs the page's inks")
    parts = []
    _prefetch(source, inks)
    for p in source.placements:
        w = stroke_widths(inks[p.ink], p.scale)
        if w.size and _usable(p):
            parts.append(w * p.scale)
    return float(np.median(np.concatenate(parts))) if parts else 0.0


def page_polylines(page: PageLayout, inks: Mapping[int, InkImage], order: bool = True) -> list[np.ndarray]:
    """Every placement's centre lines in page points (y down), ordered for short pen-up travel.

    ``order=False`` keeps them as found (placement by placement, strokes in scan order), which
    is what ``pen_travel`` compares against.
    """
    from .trace import placement_matrix

    lines: list[np.ndarray] = []
    _prefetch(page, inks)
    for p in page.placements:
        try:
            ink = inks[p.ink]
        except KeyError:
            raise KeyError(f"placement {p.text!r} refers to ink {p.ink}, which is not among the inks given") from None
        if not _usable(p):
            continue
        polys = _analyse(ink, p.scale)[0]
        if not polys:
            continue
        a, b, c, d, e, f = placement_matrix(p, ink)
        m = np.array([[a, b], [c, d]], dtype=np.float64)
        off = np.array([e, f], dtype=np.float64)
        lines.extend(poly @ m + off for poly in polys)
    return order_polylines(lines) if order else lines


def pen_travel(polylines: Sequence[np.ndarray]) -> float:
    """Pen-up travel (in the polylines' units): from each polyline's end to the next one's start."""
    if len(polylines) < 2:
        return 0.0
    ends = np.array([pl[-1] for pl in polylines[:-1]])
    starts = np.array([pl[0] for pl in polylines[1:]])
    return float(np.hypot(*(starts - ends).T).sum())


def order_polylines(polylines: Sequence[np.ndarray], start: tuple[float, float] = (0.0, 0.0)) -> list[np.ndarray]:
    """``polylines`` reordered (and some reversed) so the pen travels little between them, from ``start``."""
    n = len(polylines)
    if n < 2:
        return list(polylines)
    heads = np.array([pl[0] for pl in polylines], dtype=np.float64)
    tails = np.array([pl[-1] for pl in polylines], dtype=np.float64)
    seq, rev = _greedy(heads, tails, np.asarray(start, dtype=np.float64))
    seq, rev = _two_opt(seq, rev, heads, tails)
    return [polylines[i][::-1] if r else polylines[i] for i, r in zip(seq, rev)]


def stroke_iou(ink: InkImage, scale: int = 4) -> float:
    """How well the centre lines, drawn back with a round pen of the median stroke width, cover the
    ink: the intersection over union with the filled ink (its traced outline, as the vector page
    fills it), both at ``scale`` x the ink's size. 1.0 for blank ink."""
    from .trace import coverage, flatten, ink_outline

    h, w = np.asarray(ink.alpha).shape
    outline = flatten([c * scale for c in ink_outline(ink)], 0.05)
    target = coverage(outline, w * scale, h * scale) >= 0.5
    drawn = draw_polylines(ink_polylines(ink), median_stroke_width(ink), target.shape, scale)
    union = np.logical_or(target, drawn).sum()
    return float(np.logical_and(target, drawn).sum() / union) if union else 1.0


def draw_polylines(polylines: Sequence[np.ndarray], width: float, shape: tuple[int, int],
                   scale: float = 1.0) -> np.ndarray:
    """A bool (H, W) image of ``polylines`` drawn with a round pen ``width`` wide, coordinates times
    ``scale`` (pixel (row i, column j) covers [j, j+1] x [i, i+1]): the pixels whose centre lies
    within half the pen of a line (a two-point line of one point is a dot)."""
    h, w = shape
    out = np.zeros((h, w), dtype=bool)
    r = max(width * scale / 2, 0.5)  # a pen finer than a pixel still marks the pixels it passes
    lines = [np.asarray(pl, dtype=np.float64) * scale for pl in polylines if len(pl)]
    if not lines or h <= 0 or w <= 0:
        return out
    # points along every segment at most half a pixel apart: their nearest one is within 1/32 px
    # of the line's true distance for any pen over a pixel wide
    a = np.concatenate([pl[:-1] for pl in lines if len(pl) > 1] + [pl[:1] for pl in lines])
    b = np.concatenate([pl[1:] for pl in lines if len(pl) > 1] + [pl[:1] for pl in lines])
    n = np.maximum(1, np.ceil(np.hypot(*(b - a).T) / 0.5)).astype(np.int64)
    seg = np.repeat(np.arange(len(a)), n + 1)
    t = (np.arange(len(seg)) - np.repeat(np.cumsum(n + 1) - (n + 1), n + 1)) / n[seg]
    pts = a[seg] + (b - a)[seg] * t[:, None]
    reach = int(math.ceil(r)) + 1
    dy, dx = np.mgrid[-reach:reach + 1, -reach:reach + 1]
    cell = np.floor(pts).astype(np.int64)  # (x, y) of the pixel holding each point
    for oy, ox in zip(dy.ravel(), dx.ravel()):
        if ox * ox + oy * oy > (r + 1.5) ** 2:
            continue
        x, y = cell[:, 0] + ox, cell[:, 1] + oy
        near = np.hypot(x + 0.5 - pts[:, 0], y + 0.5 - pts[:, 1]) <= r
        near &= (x >= 0) & (x < w) & (y >= 0) & (y < h)
        out[y[near], x[near]] = True
    return out


# ----------------------------------------------------------------------------------------------
# per-ink analysis (cached)


def _usable(p: Placement) -> bool:
    return p.scale > 0 and math.isfinite(p.scale) and math.isfinite(p.rotation)


def _analyse(ink: InkImage, scale: float | None = None,
             big: np.ndarray | None = None) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    """The strokes of ``ink`` (cached): of its alpha, or where vector ink draws it from the ink
    upscaler's enlarged alpha (``trace.upscales``), of that one (``big``, when already made), so the
    centre lines follow the outline the vector page fills."""
    from .trace import upscales

    up = upscales(ink, scale)
    key = (id(ink), up)
    with _lock:
        hit = _cache.get(key)
    if hit is not None and hit[0]() is ink:
        return hit[1]
    if up:
        from . import upscale

        net = upscale.load()
        if big is None:
            big = upscale.upscale_many([ink.alpha], net)[0]
        polys, widths = _strokes_of(big, ink_level(ink), min_factor=1)
        k = float(net.scale)
        result = tuple(_frozen(poly / k) for poly in polys), _frozen(widths / k)
    else:
        result = _strokes_of(ink.alpha, ink_level(ink))
    with _lock:
        _cache[key] = (weakref.ref(ink), result)
    weakref.finalize(ink, _forget, key)
    return result


def _frozen(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


def _prefetch(page: PageLayout, inks: Mapping[int, InkImage]) -> None:
    """Analyse the page's inks that need the upscaler with one batch through it (one by one is
    several times slower)."""
    from .trace import upscales

    todo: dict[int, tuple[InkImage, float]] = {}
    for p in page.placements:
        ink = inks.get(p.ink)
        if ink is None or not _usable(p) or id(ink) in todo or not upscales(ink, p.scale):
            continue
        with _lock:
            hit = _cache.get((id(ink), True))
        if hit is None or hit[0]() is not ink:
            todo[id(ink)] = (ink, p.scale)
    if todo:
        from . import upscale

        bigs = upscale.upscale_many([ink.alpha for ink, _ in todo.values()])
        for (ink, scale), big in zip(todo.values(), bigs):
            _analyse(ink, scale, big)


def _forget(key) -> None:
    with _lock:
        entry = _cache.get(key)
        if entry is not None and entry[0]() is None:
            del _cache[key]


def _strokes_of(alpha: np.ndarray, cut: float = LEVEL,
                min_factor: int = _MIN_UPSAMPLE) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    a = np.nan_to_num(np.asarray(alpha, dtype=np.float32), nan=0.0)
    if a.size == 0 or not (a >= cut).any():
        return (), np.zeros(0)
    factor = _upsample_factor(a >= cut, min_factor)
    pad = 2
    level = _upsample(a, factor, pad) - np.float32(cut)
    big = level >= 0
    if not big.any():  # a lone faint pixel can vanish when resampled; keep it as a dot
        spot = tuple((np.argwhere(a >= cut)[0] + pad) * factor + factor // 2)
        level[spot] = 0.5
        big[spot] = True
    skel = thin(big)
    widths_px, shift = widths_at(level, skel, centre=True)
    pen = float(np.median(widths_px)) if widths_px.size else float(factor)
    width_map = np.zeros(skel.shape)
    width_map[skel] = widths_px
    shift_map = np.zeros(skel.shape + (2,))
    shift_map[skel] = shift
    polys = []
    for pts, closed, free0, free1 in skeleton_strokes(skel, spur=_SPUR * pen):
        ij = (pts[:, 0].astype(int), pts[:, 1].astype(int))
        local = width_map[ij]
        pts = pts + shift_map[ij]  # on the middle of the stroke, not a thinning's half pixel aside
        if line_length(pts) < pen and local.max() < _SPECK * pen:
            continue  # a speck: the pen would draw it several times too big
        if len(pts) == 2 and (pts[0] == pts[1]).all() and local[0] > _BLOB * pen:
            # a dot wider than the pen (a heavy i-dot or full stop): a small circle fills it
            r = (local[0] - pen) / 2
            t = np.linspace(0.0, 2 * np.pi, 13)
            pts, closed = pts[0] + r * np.stack([np.sin(t), np.cos(t)], 1), True
            pts[-1] = pts[0]
        xy = _smooth(pts[:, ::-1], closed, passes=2, window=2 * (factor // 2) + 1)
        # The skeleton runs out to the tip of a stroke; a round pen reaches half its width beyond
        # its centre, so a free end stops that much short of the tip (less the tip's own width).
        xy = _trim(xy, max(0.0, (pen - local[0]) / 2) if free0 else 0.0,
                   max(0.0, (pen - local[-1]) / 2) if free1 else 0.0)
        polys.append((xy + 0.5) / factor - pad)  # (col, row) of the big image -> (x, y) of the ink
    polys = _simplify([_chaikin(xy, _ROUNDING) for xy in _simplify(polys, _SIMPLIFY)], _SIMPLIFY / 4)
    for xy in polys:
        xy.setflags(write=False)
    widths = widths_px / factor
    widths.setflags(write=False)
    return tuple(polys), widths


def _upsample_factor(binary: np.ndarray, lo: int = _MIN_UPSAMPLE) -> int:
    # Stroke width from area and outline length (a long stroke of width w has area w*L, outline 2L).
    area = binary.sum()
    edges = np.count_nonzero(np.diff(binary, axis=0)) + np.count_nonzero(np.diff(binary, axis=1))
    edges += binary[0].sum() + binary[-1].sum() + binary[:, 0].sum() + binary[:, -1].sum()
    width = 2.0 * area / max(edges, 1)
    return int(np.clip(round(_TARGET_WIDTH_PX / max(width, 0.5)), lo, _MAX_UPSAMPLE))


def _upsample(a: np.ndarray, factor: int, pad: int) -> np.ndarray:
    a = np.clip(np.nan_to_num(np.asarray(a, dtype=np.float32), nan=0.0), 0.0, 1.0)
    padded = np.pad(a, pad) if pad else a
    h, w = padded.shape
    img = Image.frombuffer("F", (w, h), np.ascontiguousarray(padded).tobytes(), "raw", "F", 0, 1)
    # bicubic like compose, so the binarised outline follows the ink the raster page shows
    return np.asarray(img.resize((w * factor, h * factor), Image.Resampling.BICUBIC))


# ----------------------------------------------------------------------------------------------
# smoothing, simplifying, ordering


def _smooth(xy: np.ndarray, closed: bool, passes: int, window: int) -> np.ndarray:
    """Moving average along the line (ends kept; a closed line wraps), to take the pixel steps out."""
    if len(xy) < 3 or window < 2:
        return xy
    half = window // 2
    kernel = np.full(window, 1.0 / window)
    out = xy
    for _ in range(passes):
        if closed:
            body = out[:-1]
            ext = np.concatenate([body[-half:], body, body[:half]])
        else:
            ext = np.concatenate([np.repeat(out[:1], half, 0), out, np.repeat(out[-1:], half, 0)])
        sm = np.stack([np.convolve(ext[:, k], kernel, mode="valid") for k in (0, 1)], 1)
        if closed:
            sm = np.vstack([sm, sm[:1]])
        else:
            sm[0], sm[-1] = out[0], out[-1]
        out = sm
    return out


def _chaikin(xy: np.ndarray, rounds: int) -> np.ndarray:
    """Chaikin's corner cutting: each round replaces every corner by two points a quarter along
    its segments, so the simplified line's corners become curves (ends kept; a closed line wraps)."""
    closed = len(xy) > 3 and np.array_equal(xy[0], xy[-1])
    for _ in range(rounds):
        if len(xy) < 3:
            return xy
        q = 0.75 * xy[:-1] + 0.25 * xy[1:]
        r = 0.25 * xy[:-1] + 0.75 * xy[1:]
        cut = np.empty((2 * len(q), 2))
        cut[0::2], cut[1::2] = q, r
        xy = np.vstack([cut, cut[:1]]) if closed else np.vstack([xy[:1], cut[1:-1], xy[-1:]])
    return xy


def _trim(xy: np.ndarray, head: float, tail: float) -> np.ndarray:
    """The open line ``xy`` shortened by ``head`` at its start and ``tail`` at its end (arc length);
    a line too short for both becomes a dot where the cuts meet."""
    if head <= 0 and tail <= 0 or len(xy) < 2:
        return xy
    along = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(xy, axis=0).T))])
    total = along[-1]
    if head + tail >= total:
        at = np.array([np.interp(total * head / (head + tail), along, xy[:, k]) for k in (0, 1)])
        return np.vstack([at, at])
    lo, hi = head, total - tail
    inside = (along > lo) & (along < hi)
    start = [np.interp(lo, along, xy[:, k]) for k in (0, 1)]
    end = [np.interp(hi, along, xy[:, k]) for k in (0, 1)]
    return np.vstack([start, xy[inside], end])


def _simplify(lines: list[np.ndarray], tolerance: float) -> list[np.ndarray]:
    """Ramer-Douglas-Peucker on each line: the fewest points that stay within ``tolerance`` of it.
    All lines' segments are split at once, round by round (each line's ends are kept, so no
    segment spans two lines): a word's few hundred points cost a few numpy calls per round."""
    if not lines:
        return []
    sizes = np.array([len(xy) for xy in lines])
    xy = np.concatenate(lines).astype(np.float64)
    n = len(xy)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    keep = np.zeros(n, dtype=bool)
    keep[starts] = keep[starts + sizes - 1] = True
    while True:
        kept = np.flatnonzero(keep)
        seg = np.minimum(np.cumsum(keep) - 1, len(kept) - 2)  # the kept point each point follows
        a, b = xy[kept[seg]], xy[kept[seg + 1]]
        chord = b - a
        rel = xy - a
        length = np.hypot(chord[:, 0], chord[:, 1])
        cross = np.abs(chord[:, 0] * rel[:, 1] - chord[:, 1] * rel[:, 0])
        # a closed loop's first chord has no length: distance to its point instead
        dist = np.where(length > 0, cross / np.where(length > 0, length, 1.0), np.hypot(rel[:, 0], rel[:, 1]))
        dist[keep] = 0.0
        far = np.maximum.reduceat(dist, kept[:-1])  # segments are runs of points: their farthest
        cand = np.flatnonzero((dist > tolerance) & (dist == far[seg]))
        if cand.size == 0:
            break
        lead = np.ones(cand.size, dtype=bool)
        lead[1:] = seg[cand][1:] != seg[cand][:-1]  # one split per segment, as RDP does
        keep[cand[lead]] = True
    return [np.ascontiguousarray(part) for part in np.split(xy[keep], np.cumsum(
        np.add.reduceat(keep, starts))[:-1])]


def _greedy(heads: np.ndarray, tails: np.ndarray, start: np.ndarray) -> tuple[list[int], list[bool]]:
    """Nearest neighbour: from the pen's place, the unvisited polyline with the nearest end next."""
    n = len(heads)
    ends = np.concatenate([heads, tails])  # end k < n: a head, drawn forwards; k >= n: a tail
    seq, rev = [], []
    here = start
    for _ in range(n):
        k = int(np.argmin(((ends - here) ** 2).sum(1)))  # a visited polyline's ends are at infinity
        i, r = k % n, k >= n
        ends[i] = ends[i + n] = np.inf
        seq.append(i)
        rev.append(r)
        here = heads[i] if r else tails[i]
    return seq, rev


def _two_opt(seq: list[int], rev: list[bool], heads: np.ndarray, tails: np.ndarray,
             rounds: int = 2) -> tuple[list[int], list[bool]]:
    """Reverse runs of the order (and each polyline in them) where that shortens pen travel.

    Between order positions i and i+1 the pen goes from end(i) to start(i+1); reversing the run
    i+1..j turns the two joins at its edges into end(i)->end(j) and start(i+1)->start(j+1).
    Only runs up to ``_TWO_OPT_WINDOW`` long are tried: the greedy order is already local.
    """
    seq = np.array(seq)
    rev = np.array(rev, dtype=bool)
    n = len(seq)
    for _ in range(rounds):
        improved = False
        s = np.where(rev[:, None], tails[seq], heads[seq])  # start of each drawn polyline
        e = np.where(rev[:, None], heads[seq], tails[seq])  # its end
        for i in range(n - 2):
            last = np.arange(i + 1, min(n, i + 1 + _TWO_OPT_WINDOW))  # reverse the run i+1..last
            old = np.hypot(*(s[i + 1] - e[i]))
            new = np.hypot(*(e[last] - e[i]).T)
            has_next = last + 1 < n  # the run is followed by last+1, or ends the order
            jn = np.minimum(last + 1, n - 1)
            old_next = np.where(has_next, np.hypot(*(s[jn] - e[last]).T), 0.0)
            new_next = np.where(has_next, np.hypot(*(s[jn] - s[i + 1]).T), 0.0)
            gain = old + old_next - new - new_next
            k = int(np.argmax(gain))
            if gain[k] > 1e-9:
                a, b = i + 1, int(last[k]) + 1
                seq[a:b] = seq[a:b][::-1].copy()
                rev[a:b] = ~rev[a:b][::-1]
                s[a:b], e[a:b] = e[a:b][::-1].copy(), s[a:b][::-1].copy()
                improved = True
        if not improved:
            break
    return seq.tolist(), rev.tolist()

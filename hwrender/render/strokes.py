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

The pen is the median stroke width: at each skeleton pixel, the chord across the ink's 0.5
outline. Neural ink varies in width along a stroke, so a pen of one width cannot cover it
exactly: drawn back, the latin generator's words cover their ink with an IoU of about 0.73.

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
from PIL import Image, ImageDraw

from ..ink import InkImage
from ..layout.types import PageLayout, Placement

# The skeleton is taken at a resolution where strokes are about this many pixels wide: thinner
# strokes skeletonise into staircases and stubs, wider ones only cost time.
_TARGET_WIDTH_PX = 9.0
_MIN_UPSAMPLE, _MAX_UPSAMPLE = 2, 4
_SPUR = 1.0  # a branch from a junction to a free end shorter than this many stroke widths is an artefact
_SPECK = 0.5  # a mark shorter than the pen and everywhere thinner than this many pen widths is dropped
_REACH = 24  # pixels the distance transform looks sideways: over twice the widest stroke it expects
_BLOB = 1.5  # a dot this many pen widths wide is drawn as a small circle, not one touch of the pen
_SIMPLIFY = 0.08  # Ramer-Douglas-Peucker tolerance in ink pixels (about 0.1 px at 300 dpi for Latin words)
_ROUNDING = 2  # rounds of Chaikin corner cutting after simplifying: a small 'o' is a curve, not a hexagon
_TWO_OPT_WINDOW = 80  # 2-opt looks this many strokes ahead: greedy order is already local

_lock = threading.Lock()
_cache: dict[int, tuple] = {}


# ----------------------------------------------------------------------------------------------
# public API


def ink_polylines(ink: InkImage) -> list[np.ndarray]:
    """The centre lines of ``ink``'s strokes, each an (n, 2) float64 array of (x, y) in ink pixels.

    Cached per InkImage object (ink images are not changed once made); the arrays are read-only.
    """
    return list(_analyse(ink)[0])


def stroke_widths(ink: InkImage) -> np.ndarray:
    """The stroke width (ink pixels) at each skeleton pixel of ``ink`` (empty for blank ink)."""
    return _analyse(ink)[1]


def median_stroke_width(source: InkImage | PageLayout, inks: Mapping[int, InkImage] | None = None) -> float:
    """The median stroke width: of an ink image in its pixels, or of a page (with its ``inks``) in
    points, weighted by stroke length. 0.0 when there is no ink."""
    if isinstance(source, InkImage):
        w = stroke_widths(source)
        return float(np.median(w)) if w.size else 0.0
    if inks is None:
        raise TypeError("median_stroke_width(page) needs the page's inks")
    parts = []
    for p in source.placements:
        w = stroke_widths(inks[p.ink])
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
    for p in page.placements:
        try:
            ink = inks[p.ink]
        except KeyError:
            raise KeyError(f"placement {p.text!r} refers to ink {p.ink}, which is not among the inks given") from None
        if not _usable(p):
            continue
        polys = _analyse(ink)[0]
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
    ink: the intersection over union with the ink binarised at 0.5, both at ``scale`` x the ink's
    size. 1.0 for blank ink."""
    target = _binary(_upsample(ink.alpha, scale, pad=0), 0.5)
    drawn = draw_polylines(ink_polylines(ink), median_stroke_width(ink), target.shape, scale)
    union = np.logical_or(target, drawn).sum()
    return float(np.logical_and(target, drawn).sum() / union) if union else 1.0


def draw_polylines(polylines: Sequence[np.ndarray], width: float, shape: tuple[int, int],
                   scale: float = 1.0) -> np.ndarray:
    """A bool (H, W) image of ``polylines`` drawn with a round pen ``width`` wide, coordinates times ``scale``."""
    img = Image.new("1", (shape[1], shape[0]), 0)
    draw = ImageDraw.Draw(img)
    w = width * scale
    r = w / 2
    for pl in polylines:
        pts = [(float(x) * scale, float(y) * scale) for x, y in pl]
        if len(pts) > 1 and w >= 1:
            draw.line(pts, fill=1, width=max(1, int(round(w))), joint="curve")
        for x, y in (pts[0], pts[-1]):  # round caps, and dots
            draw.ellipse((x - r, y - r, x + r, y + r), fill=1)
    return np.asarray(img, dtype=bool)


# ----------------------------------------------------------------------------------------------
# per-ink analysis (cached)


def _usable(p: Placement) -> bool:
    return p.scale > 0 and math.isfinite(p.scale) and math.isfinite(p.rotation)


def _analyse(ink: InkImage) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    key = id(ink)
    with _lock:
        hit = _cache.get(key)
    if hit is not None and hit[0]() is ink:
        return hit[1]
    result = _strokes_of(ink.alpha)
    with _lock:
        _cache[key] = (weakref.ref(ink), result)
    weakref.finalize(ink, _forget, key)
    return result


def _forget(key: int) -> None:
    with _lock:
        entry = _cache.get(key)
        if entry is not None and entry[0]() is None:
            del _cache[key]


def _strokes_of(alpha: np.ndarray) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    a = np.nan_to_num(np.asarray(alpha, dtype=np.float32), nan=0.0)
    if a.size == 0 or not (a >= 0.5).any():
        return (), np.zeros(0)
    factor = _upsample_factor(a >= 0.5)
    pad = 2
    level = _upsample(a, factor, pad) - np.float32(0.5)
    big = level >= 0
    if not big.any():  # a lone faint pixel can vanish when resampled; keep it as a dot
        spot = tuple((np.argwhere(a >= 0.5)[0] + pad) * factor + factor // 2)
        level[spot] = 0.5
        big[spot] = True
    skel = thin(big)
    widths_px = _widths_at(level, skel)
    pen = float(np.median(widths_px)) if widths_px.size else float(factor)
    width_map = np.zeros(skel.shape)
    width_map[skel] = widths_px
    polys = []
    for pts, closed, free0, free1 in _skeleton_strokes(skel, spur=_SPUR * pen):
        local = width_map[pts[:, 0].astype(int), pts[:, 1].astype(int)]
        if _length(pts) < pen and local.max() < _SPECK * pen:
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


def _upsample_factor(binary: np.ndarray) -> int:
    # Stroke width from area and outline length (a long stroke of width w has area w*L, outline 2L).
    area = binary.sum()
    edges = np.count_nonzero(np.diff(binary, axis=0)) + np.count_nonzero(np.diff(binary, axis=1))
    edges += binary[0].sum() + binary[-1].sum() + binary[:, 0].sum() + binary[:, -1].sum()
    width = 2.0 * area / max(edges, 1)
    return int(np.clip(round(_TARGET_WIDTH_PX / max(width, 0.5)), _MIN_UPSAMPLE, _MAX_UPSAMPLE))


def _upsample(a: np.ndarray, factor: int, pad: int) -> np.ndarray:
    a = np.clip(np.nan_to_num(np.asarray(a, dtype=np.float32), nan=0.0), 0.0, 1.0)
    padded = np.pad(a, pad) if pad else a
    h, w = padded.shape
    img = Image.frombuffer("F", (w, h), np.ascontiguousarray(padded).tobytes(), "raw", "F", 0, 1)
    # bicubic like compose, so the binarised outline follows the ink the raster page shows
    return np.asarray(img.resize((w * factor, h * factor), Image.Resampling.BICUBIC))


def _binary(a: np.ndarray, level: float) -> np.ndarray:
    return np.asarray(a) >= level


# ----------------------------------------------------------------------------------------------
# thinning


def _thinning_tables() -> tuple[np.ndarray, np.ndarray]:
    """Which neighbourhoods let a pixel go in each of the two sub-iterations (Guo and Hall 1989,
    algorithm A1): it joins exactly one 8-connected run of neighbours (C = 1), is not an end
    (N in 2..3), and lies on the sub-iteration's side."""
    first = np.zeros(256, dtype=bool)
    second = np.zeros(256, dtype=bool)
    for n in range(256):
        b = [(n >> i) & 1 for i in range(8)]
        c = sum(1 for i in (0, 2, 4, 6) if not b[i] and (b[i + 1] or b[(i + 2) % 8]))
        n1 = sum(1 for k in (1, 3, 5, 7) if b[k] or b[k - 1])
        n2 = sum(1 for k in (1, 3, 5, 7) if b[k] or b[(k + 1) % 8])
        ok = c == 1 and min(n1, n2) in (2, 3)
        first[n] = ok and not ((b[1] or b[2] or not b[7]) and b[0])
        second[n] = ok and not ((b[5] or b[6] or not b[3]) and b[4])
    return first, second


_TABLES = _thinning_tables()


def thin(binary: np.ndarray) -> np.ndarray:
    """A one-pixel-wide, 8-connected skeleton of a bool image (topology kept: holes stay holes)."""
    h, w = binary.shape
    padded = np.pad(np.asarray(binary, dtype=bool), 1).astype(np.uint8)
    flat = padded.ravel()
    stride = w + 2
    # each pixel's 8 neighbours as bits, counter-clockwise from east: E NE N NW W SW S SE
    offsets = [dy * stride + dx for dy, dx in ((0, 1), (-1, 1), (-1, 0), (-1, -1), (0, -1), (1, -1), (1, 0), (1, 1))]
    live = np.flatnonzero(flat)  # only ink pixels are looked at: far fewer than the image's
    while True:
        changed = False
        for table in _TABLES:
            code = flat[live + offsets[0]].copy()
            for k in range(1, 8):
                code |= flat[live + offsets[k]] << k
            gone = table[code]
            if gone.any():
                flat[live[gone]] = 0
                live = live[~gone]
                changed = True
        if not changed:
            return padded[1:-1, 1:-1].astype(bool)


def _widths_at(level: np.ndarray, skel: np.ndarray) -> np.ndarray:
    """Stroke width at each skeleton pixel, sub-pixel: the chord across the outline (where
    ``level`` = alpha - 0.5 changes sign) through the pixel, along the line to its nearest paper
    pixel (a separable distance transform, looking ``_REACH`` pixels sideways). A chord both ways
    does not mind the skeleton sitting a little off the middle, as a doubled distance would."""
    ys, xs = np.nonzero(skel)
    if ys.size == 0:
        return np.zeros(0)
    ink = level >= 0
    h, w = ink.shape
    far = np.float32(1e6)
    rows = np.arange(h, dtype=np.float32)[:, None]
    above = np.maximum.accumulate(np.where(ink, -far, rows), axis=0) - rows
    below = np.minimum.accumulate(np.where(ink, far, rows)[::-1], axis=0)[::-1] - rows
    gy = np.where(-above < below, above, below)  # row offset to the nearest paper in the column
    g2 = gy * gy
    g2 = np.pad(g2, ((0, 0), (_REACH, _REACH)), constant_values=np.inf)
    d2, dx_best = g2[ys, xs + _REACH], np.zeros(len(ys), dtype=np.int64)
    for dx in range(1, _REACH + 1):
        if dx * dx >= d2.max():
            break  # no column this far can hold a nearer paper pixel
        for step in (dx, -dx):
            cand = g2[ys, xs + _REACH + step] + dx * dx
            better = cand < d2
            d2[better] = cand[better]
            dx_best[better] = step
    uy = gy[ys, xs + dx_best].astype(np.float64)
    ux = dx_best.astype(np.float64)
    norm = np.hypot(uy, ux)
    norm[norm == 0] = 1.0
    uy, ux = uy / norm, ux / norm
    # Far enough for the strokes (the median's business), not for every blob and crossing.
    steps = np.arange(0.0, 3.0 * float(np.median(np.sqrt(d2))) + 2.0, 0.5)
    chord = np.zeros(len(ys))
    rows = np.arange(len(ys))
    for sign in (1.0, -1.0):
        py = ys[:, None] + sign * uy[:, None] * steps
        px = xs[:, None] + sign * ux[:, None] * steps
        near_y = np.clip(np.rint(py).astype(np.int64), 0, h - 1)
        near_x = np.clip(np.rint(px).astype(np.int64), 0, w - 1)
        inside = ink[near_y, near_x]
        k = np.maximum(np.argmin(inside, axis=1), 1)  # first sample off the ink
        a = _bilinear(level, py[rows, k - 1], px[rows, k - 1])
        b = _bilinear(level, py[rows, k], px[rows, k])
        frac = np.clip(a / np.where(a - b > 0, a - b, 1.0), 0.0, 1.0)
        chord += np.where(inside.all(1), steps[-1], steps[k - 1] + (steps[1] - steps[0]) * frac)
    return np.maximum(chord, 1.0)


def _bilinear(img: np.ndarray, y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``img`` at fractional (row, col) points, pixel centres at integers; outside counts as its edge."""
    h, w = img.shape
    y = np.clip(y, 0, h - 1)
    x = np.clip(x, 0, w - 1)
    y0 = np.minimum(np.floor(y).astype(np.int64), h - 2) if h > 1 else np.zeros_like(y, dtype=np.int64)
    x0 = np.minimum(np.floor(x).astype(np.int64), w - 2) if w > 1 else np.zeros_like(x, dtype=np.int64)
    fy, fx = y - y0, x - x0
    y1, x1 = np.minimum(y0 + 1, h - 1), np.minimum(x0 + 1, w - 1)
    top = img[y0, x0] * (1 - fx) + img[y0, x1] * fx
    bottom = img[y1, x0] * (1 - fx) + img[y1, x1] * fx
    return top * (1 - fy) + bottom * fy


# ----------------------------------------------------------------------------------------------
# skeleton graph -> strokes


# points (row, col), closed, first point is a free end, last point is
Stroke = tuple[np.ndarray, bool, bool, bool]

_OFFSETS = ((0, 1), (1, -1), (1, 0), (1, 1))  # half of the 8 neighbours; the other half by symmetry


def _skeleton_graph(skel: np.ndarray) -> tuple[np.ndarray, list[list[int]]]:
    """Pixels (row, col) and their links. A diagonal link is left out where a pixel beside both
    ends joins them anyway, so a staircase is a chain and not a row of triangles."""
    h, w = skel.shape
    ys, xs = np.nonzero(skel)
    index = np.full((h + 2, w + 2), -1, dtype=np.int64)
    index[ys + 1, xs + 1] = np.arange(len(ys))
    padded = np.pad(skel, 1)
    nbrs: list[list[int]] = [[] for _ in range(len(ys))]
    for dy, dx in _OFFSETS:
        other = index[ys + 1 + dy, xs + 1 + dx]
        keep = other >= 0
        if dy and dx:  # diagonal: dropped if (y+dy, x) or (y, x+dx) is ink
            keep &= ~padded[ys + 1 + dy, xs + 1] & ~padded[ys + 1, xs + 1 + dx]
        for a, b in zip(np.nonzero(keep)[0].tolist(), other[keep].tolist()):
            nbrs[a].append(b)
            nbrs[b].append(a)
    return np.stack([ys, xs], 1).astype(np.float64), nbrs


def _skeleton_strokes(skel: np.ndarray, spur: float) -> list[Stroke]:
    """The skeleton as strokes: (points (row, col), closed, first point free, last point free)."""
    pos, nbrs = _skeleton_graph(skel)
    n = len(pos)
    deg = np.array([len(v) for v in nbrs], dtype=np.int64)

    # Nodes: free ends (degree 1), lone pixels, and clusters of touching junction pixels.
    node_of = np.full(n, -1, dtype=np.int64)
    node_pos: list[np.ndarray] = []
    for k in np.flatnonzero(deg != 2).tolist():
        if node_of[k] >= 0:
            continue
        members, stack = [], [k]
        node_of[k] = len(node_pos)
        while stack:
            m = stack.pop()
            members.append(m)
            if deg[m] >= 3:
                for q in nbrs[m]:
                    if deg[q] >= 3 and node_of[q] < 0:
                        node_of[q] = node_of[k]
                        stack.append(q)
        node_pos.append(pos[members].mean(0))

    # Edges: walks from a node pixel through degree-2 pixels to the next node pixel.
    edges: list[list] = []  # [node_a, node_b, points]
    seen_link: set[tuple[int, int]] = set()
    on_edge = np.zeros(n, dtype=bool)
    for k in np.flatnonzero(node_of >= 0).tolist():
        for q in nbrs[k]:
            if (k, q) in seen_link or node_of[q] == node_of[k]:
                continue
            path, prev, cur = [k, q], k, q
            while node_of[cur] < 0:
                nxt = nbrs[cur][0] if nbrs[cur][0] != prev else nbrs[cur][1]
                path.append(nxt)
                prev, cur = cur, nxt
            seen_link.add((k, q))
            seen_link.add((path[-1], path[-2]))
            on_edge[path] = True
            a, b = int(node_of[k]), int(node_of[cur])
            edges.append([a, b, _with_node_ends(pos[path], node_pos[a], node_pos[b])])
    # What is left of degree 2 and unvisited are closed loops with no node ('o', '0').
    loops = []
    for k in np.flatnonzero((deg == 2) & ~on_edge).tolist():
        if on_edge[k]:  # walked as part of an earlier loop
            continue
        path, prev, cur = [k], -1, k
        while True:
            on_edge[cur] = True
            nxt = nbrs[cur][0] if nbrs[cur][0] != prev else nbrs[cur][1]
            if nxt == k:
                break
            path.append(nxt)
            prev, cur = cur, nxt
        loops.append((np.vstack([pos[path], pos[path[:1]]]), True, False, False))

    linked = {i for e in edges for i in e[:2]}
    dots = [(np.vstack([node_pos[i], node_pos[i]]), False, True, True) for i in range(len(node_pos)) if i not in linked]
    edges = _prune_spurs(edges, len(node_pos), spur)
    strokes = _join_at_junctions(edges, node_pos)
    return strokes + loops + dots


def _with_node_ends(points: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """A walk's points, its ends moved to the centres of the nodes they leave and reach."""
    pts = points.copy()
    pts[0], pts[-1] = start, end
    return pts


def _length(points: np.ndarray) -> float:
    return float(np.hypot(*np.diff(points, axis=0).T).sum()) if len(points) > 1 else 0.0


def _prune_spurs(edges: list[list], n_nodes: int, spur: float) -> list[list]:
    """Drop branches shorter than ``spur`` that run from a junction to a free end, shortest first,
    while the junction keeps two other branches (a real stroke end is never eaten away)."""
    while True:
        degree = np.zeros(n_nodes, dtype=np.int64)
        for a, b, _ in edges:
            degree[a] += 1
            degree[b] += 1
        lengths = [_length(pts) for _, _, pts in edges]
        candidates = sorted(
            (i for i, (a, b, _) in enumerate(edges)
             if a != b and (degree[a] == 1) != (degree[b] == 1) and lengths[i] < spur),
            key=lengths.__getitem__)
        dropped = set()
        for i in candidates:
            a, b, _ = edges[i]
            junction = a if degree[a] > 1 else b
            if degree[junction] >= 3:
                degree[junction] -= 1
                dropped.add(i)
        if not dropped:
            return edges
        edges = [e for i, e in enumerate(edges) if i not in dropped]


def _direction(points: np.ndarray, reach: float) -> np.ndarray:
    """Unit direction from points[0] towards the point ``reach`` along the walk (or its far end)."""
    steps = np.hypot(*np.diff(points, axis=0).T)
    along = np.concatenate([[0.0], np.cumsum(steps)])
    j = int(min(np.searchsorted(along, reach), len(points) - 1))
    v = points[j] - points[0]
    norm = math.hypot(*v)
    return v / norm if norm > 0 else v


def _join_at_junctions(edges: list[list], node_pos: list[np.ndarray]) -> list[Stroke]:
    """Chain edges into strokes: at every node the branches are paired, most nearly opposite first
    (the pen goes straight through a crossing), and each pair is drawn without lifting the pen."""
    ends_at: dict[int, list[tuple[int, int]]] = {}
    for i, (a, b, _) in enumerate(edges):
        ends_at.setdefault(a, []).append((i, 0))
        ends_at.setdefault(b, []).append((i, 1))
    partner: dict[tuple[int, int], tuple[int, int]] = {}
    for node, ends in ends_at.items():
        if len(ends) < 2:
            continue
        dirs = []
        for i, side in ends:
            pts = edges[i][2] if side == 0 else edges[i][2][::-1]
            dirs.append(_direction(pts, 6.0))
        d = np.array(dirs)
        cos = d @ d.T
        free = set(range(len(ends)))
        pairs = sorted((cos[u, v], u, v) for u in range(len(ends)) for v in range(u + 1, len(ends)))
        for _, u, v in pairs:
            if u in free and v in free:
                free -= {u, v}
                partner[ends[u]] = ends[v]
                partner[ends[v]] = ends[u]

    used = [False] * len(edges)
    strokes: list[Stroke] = []

    degree: dict[int, int] = {node: len(ends) for node, ends in ends_at.items()}

    def walk(i: int, side: int) -> Stroke:
        parts = []
        first = (i, side)
        free_start = degree[edges[i][side]] == 1
        while True:
            used[i] = True
            pts = edges[i][2] if side == 0 else edges[i][2][::-1]
            parts.append(pts if not parts else pts[1:])
            nxt = partner.get((i, 1 - side))
            if nxt == first:
                return np.vstack(parts), True, False, False
            if nxt is None or used[nxt[0]]:
                return np.vstack(parts), False, free_start, degree[edges[i][1 - side]] == 1
            i, side = nxt

    # Open strokes from their free ends first, then what is left are closed chains.
    for i in range(len(edges)):
        for side in (0, 1):
            if not used[i] and (i, side) not in partner:
                strokes.append(walk(i, side))
    for i in range(len(edges)):
        if not used[i]:
            strokes.append(walk(i, 0))
    return strokes


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
    left = np.ones(n, dtype=bool)
    seq, rev = [], []
    here = start
    for _ in range(n):
        dh = np.where(left, np.hypot(*(heads - here).T), np.inf)
        dt = np.where(left, np.hypot(*(tails - here).T), np.inf)
        ih, it = int(np.argmin(dh)), int(np.argmin(dt))
        if dt[it] < dh[ih]:
            i, r = it, True
        else:
            i, r = ih, False
        left[i] = False
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

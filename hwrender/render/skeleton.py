"""The skeleton of binary ink as strokes: thinning to one-pixel lines, the stroke width at each
skeleton pixel, and the skeleton's graph read as strokes (spurs pruned, the most nearly straight
branches joined at each junction). ``hwrender.render.strokes`` turns them into pen-plotter lines.

Coordinates are (row, column) pixels of the binary image.
"""

from __future__ import annotations

import math

import numpy as np

_REACH = 24  # pixels the distance transform looks sideways: over twice the widest stroke it expects


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


def widths_at(level: np.ndarray, skel: np.ndarray, centre: bool = False):
    """Stroke width at each skeleton pixel, sub-pixel: the chord across the outline (where
    ``level`` = alpha - level changes sign) through the pixel, along the line to its nearest paper
    pixel (a separable distance transform, looking ``_REACH`` pixels sideways). A chord both ways
    does not mind the skeleton sitting a little off the middle, as a doubled distance would.
    With ``centre``, also the (row, col) step from each pixel to its chord's middle: thinning
    leaves an even-width stroke's skeleton half a pixel to one side."""
    ys, xs = np.nonzero(skel)
    if ys.size == 0:
        return (np.zeros(0), np.zeros((0, 2))) if centre else np.zeros(0)
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
    reach = []
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
        reach.append(np.where(inside.all(1), steps[-1], steps[k - 1] + (steps[1] - steps[0]) * frac))
        chord += reach[-1]
    if not centre:
        return np.maximum(chord, 1.0)
    # a chord that ran out of samples one way says nothing of where the middle is
    half = np.where((reach[0] < steps[-1]) & (reach[1] < steps[-1]), (reach[0] - reach[1]) / 2, 0.0)
    return np.maximum(chord, 1.0), np.stack([uy * half, ux * half], 1)


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


def skeleton_strokes(skel: np.ndarray, spur: float) -> list[Stroke]:
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


def line_length(points: np.ndarray) -> float:
    return float(np.hypot(*np.diff(points, axis=0).T).sum()) if len(points) > 1 else 0.0


def _prune_spurs(edges: list[list], n_nodes: int, spur: float) -> list[list]:
    """Drop branches shorter than ``spur`` that run from a junction to a free end, shortest first,
    while the junction keeps two other branches (a real stroke end is never eaten away)."""
    while True:
        degree = np.zeros(n_nodes, dtype=np.int64)
        for a, b, _ in edges:
            degree[a] += 1
            degree[b] += 1
        lengths = [line_length(pts) for _, _, pts in edges]
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

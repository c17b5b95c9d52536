"""Compose a page raster: the paper, and every ink image resampled into place, coloured with the ink.

Coordinates: a page pixel (column c, row r) covers [c, c+1) × [r, r+1) in page pixels, and a page
point p sits at pixel coordinate p * dpi / 72. An ink image pixel covers [j, j+1) × [i, i+1) in its
own coordinates; its origin is (0, baseline). The PDF writer places the same raster over the whole
page, so PNG and PDF agree.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from typing import Mapping, Union

import numpy as np
from PIL import Image

from ..bounds import MAX_DPI, MAX_PAGE_PIXELS, MIN_DPI
from ..errors import UsageError
from ..ink import InkImage
from ..layout.types import PageGeometry, PageLayout, Placement
from .colors import ColorLike, parse_color
from .paper import PaperGeometry, PaperStyle, paper_geometry

DEFAULT_DPI = 300

_MIN_LINE_STRENGTH = 0.6  # a rule thinner than a pixel is drawn one pixel wide at least this strong
_paper_lock = threading.Lock()


def page_pixel_size(geometry: PageGeometry, dpi: float) -> tuple[int, int]:
    """(width, height) in pixels of a page at ``dpi``."""
    return (
        max(1, int(round(geometry.width * dpi / 72))),
        max(1, int(round(geometry.height * dpi / 72))),
    )


def check_dpi(dpi: float, geometry: PageGeometry | None = None) -> float:
    """Return ``dpi`` as a float; raise ``UsageError`` if it is not a number from ``MIN_DPI`` to ``MAX_DPI``, or
    makes a page (``geometry``, when given) larger than ``MAX_PAGE_PIXELS``."""
    try:
        # a bool is an int to Python, never a resolution
        value = math.nan if isinstance(dpi, bool) else float(dpi)
    except (TypeError, ValueError, OverflowError):
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise UsageError(f"--dpi must be a positive number, got {dpi!r}", "use 300 for print or 150 for screen")
    if value < MIN_DPI:
        raise UsageError(f"--dpi {value:g} is below the minimum of {MIN_DPI}", "use 300 for print or 150 for screen")
    if value > MAX_DPI:
        raise UsageError(f"--dpi {value:g} is above the limit of {MAX_DPI}", "use 300 for print or 600 for fine detail")
    if geometry is not None:
        w, h = page_pixel_size(geometry, value)
        if w * h > MAX_PAGE_PIXELS:
            raise UsageError(
                f"a page at {value:g} dpi would be {w}x{h} pixels ({w * h / 1e6:.0f} megapixels)",
                f"lower --dpi or choose a smaller page (the limit is {MAX_PAGE_PIXELS // 1_000_000} megapixels)",
            )
    return value


# ----------------------------------------------------------------------------------------------
# ink


def _padded_image(ink: InkImage, pad: int) -> Image.Image:
    a = np.asarray(ink.alpha, dtype=np.float32)
    out = np.zeros((a.shape[0] + 2 * pad, a.shape[1] + 2 * pad), dtype=np.float32)
    inner = out[pad:-pad, pad:-pad]
    np.fmax(a, 0.0, out=inner)  # fmax/fmin also turn NaN into 0
    np.fmin(inner, 1.0, out=inner)
    return Image.frombuffer("F", (out.shape[1], out.shape[0]), out.tobytes(), "raw", "F", 0, 1)


def ink_coverage(page: PageLayout, inks: Mapping[int, InkImage], dpi: float,
                 ink_render: str = "raster") -> np.ndarray:
    """The page's ink as a uint8 (H, W) coverage map (255 = full ink) at ``dpi``.

    ``ink_render="vector"`` fills each ink's traced outline (``trace.ink_outline``) at ``dpi``
    instead, placed by ``trace.placement_matrix``: edges as sharp as a font's at any resolution.

    Each ink image is rotated by ``placement.rotation`` degrees counter-clockwise about its
    origin, then scaled by ``placement.scale * dpi / 72`` page pixels per ink pixel with a bicubic
    filter (which also low-passes when shrinking) so that its origin lands on (x, baseline) with
    sub-pixel precision. Overlapping inks combine as ``1 - (1-a)(1-b)``; ink off the page is clipped.
    """
    check_dpi(dpi, page.geometry)
    width, height = page_pixel_size(page.geometry, dpi)
    out = np.zeros((height, width), dtype=np.uint8)
    k = dpi / 72.0
    cache: dict[tuple[int, int], Image.Image] = {}
    vector = ink_render == "vector"
    drawn: list[tuple[Placement, InkImage]] = []

    for p in page.placements:
        try:
            ink = inks[p.ink]
        except KeyError:
            raise KeyError(f"placement {p.text!r} refers to ink {p.ink}, which is not among the inks given") from None
        s = p.scale * k
        if not (s > 0 and math.isfinite(s)) or ink.width == 0 or ink.height == 0:
            continue
        if vector:
            drawn.append((p, ink))
            continue
        # Zero border wide enough for the filter's reach (2 px of the output) so edges fade smoothly.
        pad = max(2, math.ceil(2.0 / s))
        img = cache.get((p.ink, pad))
        if img is None:
            img = cache[(p.ink, pad)] = _padded_image(ink, pad)
        _place(out, img, float(pad), float(ink.baseline) + pad, s, p.rotation, p.x * k, p.baseline * k)
    if drawn:
        from .trace import fill_many, ink_outlines, placement_matrix

        # the whole page's inks traced and filled in one batch: ~20x faster than one by one
        outlines = ink_outlines([ink for _, ink in drawn], [p.scale for p, _ in drawn])
        fill_many(out, [(c, tuple(v * k for v in placement_matrix(p, ink)))
                        for c, (p, ink) in zip(outlines, drawn)])
    return out


def _rotate(img: Image.Image, qx: float, qy: float, degrees: float) -> tuple[Image.Image, float, float]:
    """Rotate ``img`` counter-clockwise about (qx, qy); return the image and where that point went."""
    theta = math.radians(degrees)
    c, sn = math.cos(theta), math.sin(theta)
    w, h = img.size
    # Forward map, y down, counter-clockwise on screen: P = q + R (Q - q), R = [[c, sn], [-sn, c]].
    xs, ys = [], []
    for x, y in ((0.0, 0.0), (w, 0.0), (0.0, h), (w, h)):
        xs.append(qx + c * (x - qx) + sn * (y - qy))
        ys.append(qy - sn * (x - qx) + c * (y - qy))
    bx, by = math.floor(min(xs)), math.floor(min(ys))
    size = (math.ceil(max(xs)) - bx, math.ceil(max(ys)) - by)
    # Pillow wants the inverse map (output pixel -> source); R^-1 = R^T.
    ex, ey = bx - qx, by - qy
    data = (c, -sn, qx + c * ex - sn * ey, sn, c, qy + sn * ex + c * ey)
    rotated = img.transform(size, Image.Transform.AFFINE, data, Image.Resampling.BICUBIC)
    return rotated, qx - bx, qy - by


def _place(out: np.ndarray, img: Image.Image, qx: float, qy: float, s: float, rotation: float,
           ox: float, oy: float) -> None:
    """Resample ``img`` (origin at (qx, qy)) scaled by ``s`` into ``out`` with the origin at (ox, oy)."""
    # Rotating at the ink's own resolution and then scaling with a separable resize is ~3x faster
    # than one affine resample at page resolution, and the resize filters properly when shrinking.
    if abs(rotation) > 1e-3:
        img, qx, qy = _rotate(img, qx, qy, rotation)
    w, h = img.size
    page_h, page_w = out.shape
    # The page pixels whose whole area lies over the (zero-bordered) source.
    x0 = max(0, math.ceil(ox - qx * s - 1e-6))
    y0 = max(0, math.ceil(oy - qy * s - 1e-6))
    x1 = min(page_w, math.floor(ox + (w - qx) * s + 1e-6))
    y1 = min(page_h, math.floor(oy + (h - qy) * s + 1e-6))
    if x1 <= x0 or y1 <= y0:
        return
    box = (
        max(0.0, qx + (x0 - ox) / s),
        max(0.0, qy + (y0 - oy) / s),
        min(float(w), qx + (x1 - ox) / s),
        min(float(h), qy + (y1 - oy) / s),
    )
    warped = img.resize((x1 - x0, y1 - y0), Image.Resampling.BICUBIC, box=box)
    a = np.clip(np.asarray(warped), 0.0, 1.0)  # bicubic over- and undershoots
    region = out[y0:y1, x0:x1]
    r = region.astype(np.float32)
    r += a * (255.0 - r)  # "over": 1 - (1 - r)(1 - a), in 0..255
    region[...] = (r + 0.5).astype(np.uint8)


# ----------------------------------------------------------------------------------------------
# paper


_paper_cache: "OrderedDict[tuple[PaperGeometry, float], Image.Image]" = OrderedDict()
_PAPER_CACHE_ENTRIES = 2
_PAPER_CACHE_MAX_BYTES = 64 << 20  # A4 at 300 dpi is 26 MB; huge sheets are drawn each time


def _paper_image(geom: PaperGeometry, dpi: float) -> Image.Image:
    """The drawn sheet (RGB), shared by the pages of a document: callers copy before drawing on it."""
    key = (geom, dpi)
    with _paper_lock:
        arr = _paper_cache.get(key)
        if arr is not None:
            _paper_cache.move_to_end(key)
            return arr
    arr = Image.fromarray(_draw_paper_array(geom, dpi))
    if arr.width * arr.height * 3 <= _PAPER_CACHE_MAX_BYTES:
        with _paper_lock:
            _paper_cache[key] = arr
            while len(_paper_cache) > _PAPER_CACHE_ENTRIES:
                _paper_cache.popitem(last=False)
    return arr


def _draw_paper_array(geom: PaperGeometry, dpi: float) -> np.ndarray:
    page_w, page_h = page_pixel_size(PageGeometry(geom.width, geom.height, 0, 0, 0, 0), dpi)
    arr = np.empty((page_h, page_w, 3), dtype=np.uint8)
    arr[...] = geom.background
    k = dpi / 72.0
    for line in geom.lines:
        color = np.asarray(line.color, dtype=np.float32)
        if line.horizontal:
            c0, c1 = _span(line.x0 * k, line.x1 * k, page_w)
            for row, cov in _profile(line.y0 * k, line.width * k, page_h):
                _blend(arr[row, c0:c1], color, cov)
        else:
            r0, r1 = _span(line.y0 * k, line.y1 * k, page_h)
            for col, cov in _profile(line.x0 * k, line.width * k, page_w):
                _blend(arr[r0:r1, col], color, cov)
    if geom.dot_xs and geom.dot_ys:
        _draw_dots(arr, geom, k)
    arr.setflags(write=False)
    return arr


def _span(a: float, b: float, limit: int) -> tuple[int, int]:
    return max(0, int(round(a))), min(limit, int(round(b)))


def _profile(center: float, width: float, limit: int) -> list[tuple[int, float]]:
    """Rows (or columns) a line of ``width`` px centred at ``center`` covers, with their coverage.

    A line thinner than a pixel goes whole into the pixel row holding its centre, at least
    ``_MIN_LINE_STRENGTH`` strong: spread over two rows it would all but vanish.
    """
    if width < 1.0:
        i = math.floor(center)
        return [(i, max(width, _MIN_LINE_STRENGTH))] if 0 <= i < limit else []
    lo, hi = center - width / 2, center + width / 2
    cells = []
    for i in range(math.floor(lo), math.ceil(hi)):
        cov = min(hi, i + 1) - max(lo, i)
        if 0 <= i < limit and cov > 1e-3:
            cells.append((i, cov))
    return cells


def _blend(view: np.ndarray, color: np.ndarray, cov) -> None:
    view[...] = (view * (1.0 - cov) + color * cov + 0.5).astype(np.uint8)


def _draw_dots(arr: np.ndarray, geom: PaperGeometry, k: float) -> None:
    page_h, page_w, _ = arr.shape
    radius = max(geom.dot_radius * k, 0.6)
    color = np.asarray(geom.dot_color, dtype=np.float32)
    # Distance from each column's centre to the nearest dot column, once for the whole page.
    dot_x = np.sort(np.asarray(geom.dot_xs, dtype=np.float64) * k)
    centers = np.arange(page_w) + 0.5
    idx = np.clip(np.searchsorted(dot_x, centers), 1, len(dot_x) - 1) if len(dot_x) > 1 else np.zeros(page_w, int)
    dx = np.abs(centers - dot_x[idx])
    if len(dot_x) > 1:
        dx = np.minimum(dx, np.abs(centers - dot_x[idx - 1]))
    cols = np.nonzero(dx < radius + 1)[0]
    if len(cols) == 0:
        return
    c0, c1 = cols[0], cols[-1] + 1
    dx2 = dx[c0:c1] ** 2
    for y in geom.dot_ys:
        cy = y * k
        r0, r1 = max(0, math.floor(cy - radius - 1)), min(page_h, math.ceil(cy + radius + 1))
        if r1 <= r0:
            continue
        dy = (np.arange(r0, r1) + 0.5 - cy)[:, None]
        # Coverage of a disk by a pixel, approximated by distance from the pixel centre to the rim.
        cov = np.clip(radius + 0.5 - np.sqrt(dx2[None, :] + dy**2), 0.0, 1.0)[..., None]
        band = arr[r0:r1, c0:c1]
        band[...] = (band * (1.0 - cov) + color * cov + 0.5).astype(np.uint8)


# ----------------------------------------------------------------------------------------------
# page


def compose_page(
    page: PageLayout,
    coverage: np.ndarray,
    paper: Union[PaperStyle, Image.Image],
    ink_color: ColorLike,
    dpi: float,
) -> Image.Image:
    """The finished page (RGB): ``paper × (1 − a) + ink × a`` with ``a = coverage / 255``.

    ``paper`` is a ``PaperStyle`` (drawn here) or an already drawn sheet of the page's size.
    """
    check_dpi(dpi, page.geometry)
    width, height = page_pixel_size(page.geometry, dpi)
    if coverage.shape != (height, width) or coverage.dtype != np.uint8:
        raise ValueError(
            f"coverage must be uint8 of shape {(height, width)} for this page at {dpi:g} dpi, "
            f"got {coverage.dtype} {coverage.shape}"
        )
    if isinstance(paper, PaperStyle):
        sheet = _paper_image(paper_geometry(page, paper), float(dpi))
    else:
        sheet = paper
        if sheet.size != (width, height):
            raise ValueError(f"paper image is {sheet.size}, the page is {(width, height)} pixels")
    result = sheet.convert("RGB") if sheet.mode != "RGB" else sheet.copy()
    ink = parse_color(ink_color)
    # Paste the ink colour through the coverage only over the bands of rows that hold ink:
    # the gaps between lines are most of a page and need no work.
    for top, bottom in _ink_row_bands(coverage):
        mask = Image.fromarray(coverage[top:bottom])
        result.paste(ink, (0, top, width, bottom), mask)
    return result


def _ink_row_bands(coverage: np.ndarray) -> list[tuple[int, int]]:
    """[top, bottom) row ranges where ``coverage`` has any ink."""
    rows = coverage.any(axis=1)
    if not rows.any():
        return []
    edges = np.flatnonzero(np.diff(np.concatenate(([False], rows, [False])).astype(np.int8)))
    return list(zip(edges[0::2].tolist(), edges[1::2].tolist()))

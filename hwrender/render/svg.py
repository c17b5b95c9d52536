"""One page as an SVG 1.1 document: paper, rules and ink all as vector paths.

The sheet is ``width``/``height`` in millimetres with a ``viewBox`` in points (y down, as layout
places everything), so every coordinate is the page point that layout, the PNG and the PDF use.
The paper comes from ``paper.paper_geometry``, the one source of the rules, grid, dots and margin
line. The ink is each placement's traced outline (``trace.ink_outlines``, cubic Beziers) mapped by
``trace.placement_matrix`` and filled even-odd (counters stay open), one ``<path>`` per placement
(two placements that overlap must not cut holes in each other), inside a ``<g>`` per word whose
text is its ``aria-label`` and ``<title>`` (searchable, read out by screen readers), inside a
``<g>`` per line. With ``strokes`` the ink is the pen-plotter centre lines instead: open paths,
no fill, in plotting order.

Coordinates are written in hundredths of a point, relative after each path's first point, with
``s`` (the first control mirrored) wherever the traced curve is smooth: exact to 0.01 pt (3.5 µm)
and about half the size of absolute ``C`` commands.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING, Mapping, Sequence
from xml.sax.saxutils import escape, quoteattr

import numpy as np

from ..layout.types import PageLayout, Placement, TextSpan
from .paper import paper_geometry

if TYPE_CHECKING:  # pragma: no cover
    from ..ink import InkImage
    from .writers import WriteContext

_MM_PER_PT = 25.4 / 72
_UNIT = 100  # coordinates are written as multiples of 1/_UNIT point
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # characters XML 1.0 cannot hold


def page_svg(page: PageLayout, inks: Mapping[int, "InkImage"], ctx: "WriteContext") -> bytes:
    """The SVG document (UTF-8 bytes) of ``page``, its ink images ``inks`` by ``Placement.ink``."""
    geo = page.geometry
    w, h = geo.width, geo.height
    out = ['<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n',
           f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{_dec(w * _MM_PER_PT, 4)}mm" '
           f'height="{_dec(h * _MM_PER_PT, 4)}mm" viewBox="0 0 {_dec(w, 4)} {_dec(h, 4)}">\n']
    creator = ctx.metadata.get("creator")
    if creator:
        out.append(f"<!-- {_text(creator).replace('--', '- -')} -->\n")
    title = ctx.metadata.get("title")
    if title:
        out.append(f"<title>{escape(_text(title))}</title>\n")
    out += _paper(page, ctx)
    if ctx.strokes:
        out += _strokes(page, inks, ctx)
    else:
        out += _outlines(page, inks, ctx)
    out.append("</svg>\n")
    return "".join(out).encode("utf-8")


# ----------------------------------------------------------------------------------------------
# paper


def _paper(page: PageLayout, ctx: "WriteContext") -> list[str]:
    geom = paper_geometry(page, ctx.paper)
    out = ['<g id="paper">\n',
           f'<rect width="{_dec(geom.width, 4)}" height="{_dec(geom.height, 4)}" fill="{_hex(geom.background)}"/>\n']
    groups: dict[tuple, list[str]] = {}
    for ln in geom.lines:
        x0, y0, x1, y1 = (_num(v) for v in _hundredths((ln.x0, ln.y0, ln.x1, ln.y1)))
        groups.setdefault((ln.width, ln.color), []).append(f"M{x0} {y0}L{x1} {y1}")
    for (width, color), segments in groups.items():
        out.append(f'<path d="{"".join(segments)}" fill="none" stroke="{_hex(color)}" '
                   f'stroke-width="{_dec(width, 3)}"/>\n')
    if geom.dot_xs and geom.dot_ys:
        # A zero-length segment with round caps is a dot of the stroke width's diameter (as in the PDF).
        xs = [_num(v) for v in _hundredths(geom.dot_xs)]
        dots = "".join(f"M{x} {y}h0" for y in (_num(v) for v in _hundredths(geom.dot_ys)) for x in xs)
        out.append(f'<path d="{dots}" fill="none" stroke="{_hex(geom.dot_color)}" '
                   f'stroke-width="{_dec(2 * geom.dot_radius, 3)}" stroke-linecap="round"/>\n')
    out.append("</g>\n")
    return out


# ----------------------------------------------------------------------------------------------
# ink


def _outlines(page: PageLayout, inks: Mapping[int, "InkImage"], ctx: "WriteContext") -> list[str]:
    from .trace import ink_outlines, placement_matrix

    # The page's inks traced in one batch (many times faster than one by one), then looked up.
    missing = [p for p in page.placements if p.ink not in inks]
    if missing:
        raise KeyError(f"placement {missing[0].text!r} refers to ink {missing[0].ink}, which is not among the inks given")
    # fitted as finely as the page fill fits them (at the size each is drawn), so both share one trace
    scale = {p.ink: p.scale for p in page.placements}
    page_inks = list({p.ink: inks[p.ink] for p in page.placements}.items())
    outline = dict(zip((k for k, _ in page_inks),
                       ink_outlines([ink for _, ink in page_inks], [scale[k] for k, _ in page_inks])))
    out = [f'<g id="ink" fill="{_hex(ctx.ink_rgb)}" fill-rule="evenodd">\n']
    for line, words in _lines(page):
        out.append(f'<g class="line" id="line-{line + 1}">\n')
        for span, placements in words:
            label = _text(span.text) if span is not None else ""
            out.append(f'<g class="word" aria-label={quoteattr(label)}><title>{escape(label)}</title>')
            for p in placements:
                ink = inks[p.ink]
                if not (p.scale > 0 and np.isfinite(p.scale)) or ink.width == 0 or ink.height == 0:
                    continue  # the raster draws nothing for these either
                d = _curves(outline[p.ink], placement_matrix(p, ink))
                if d:  # untraceable ink (blank, a speck) keeps its place and text, draws nothing
                    out.append(f'<path d="{d}"/>')
            out.append("</g>\n")
        out.append("</g>\n")
    out.append("</g>\n")
    return out


def _strokes(page: PageLayout, inks: Mapping[int, "InkImage"], ctx: "WriteContext") -> list[str]:
    from . import strokes

    polylines = strokes.page_polylines(page, inks)
    width = strokes.median_stroke_width(page, inks)
    out = [f'<g id="strokes" fill="none" stroke="{_hex(ctx.ink_rgb)}" stroke-width="{_dec(max(width, 0.01), 3)}" '
           'stroke-linecap="round" stroke-linejoin="round">\n']
    # The page's text, line by line, for search and screen readers (the strokes are in pen order).
    text = "\n".join(" ".join(_text(s.text) for s, _ in words if s is not None) for _, words in _lines(page))
    if text.strip():
        out.append(f"<desc>{escape(text)}</desc>\n")
    for line in polylines:
        pts = _hundredths(np.asarray(line, dtype=np.float64).reshape(-1, 2))
        if len(pts) == 0:
            continue
        rel = np.diff(pts, axis=0).ravel().tolist() if len(pts) > 1 else [0, 0]  # one point: a dot
        out.append(f'<path d="M{_num(int(pts[0, 0]))} {_num(int(pts[0, 1]))}l{_join(rel)}"/>\n')
    out.append("</g>\n")
    return out


def _curves(contours: Sequence[np.ndarray], matrix: Sequence[float]) -> str:
    """Path data of ``contours`` (ink pixels) mapped by ``matrix`` to page points."""
    a, b, c, d, e, f = matrix
    m = np.array([[a, b], [c, d]], dtype=np.float64)
    t = np.array([e, f], dtype=np.float64)
    parts = []
    for ct in contours:
        ct = np.asarray(ct, dtype=np.float64)
        if len(ct) == 0:
            continue
        pts = _hundredths(ct.reshape(-1, 2) @ m + t).reshape(len(ct), 4, 2)
        # Each segment's controls and end relative to the end of the one before (rounded first,
        # so the rounding never accumulates).
        prev = np.concatenate([pts[:1, 0], pts[:-1, 3]])
        rel = (pts[:, 1:] - prev[:, None, :]).reshape(len(ct), 6).tolist()
        # Where the first control mirrors the last one's second about the joint (the traced curve
        # is smooth there, to within 0.01 pt), ``s`` leaves it out: a third fewer numbers.
        smooth = np.zeros(len(ct), dtype=bool)
        smooth[1:] = np.abs(2 * pts[1:, 0] - pts[:-1, 2] - pts[1:, 1]).max(axis=1) <= 1
        out = [f"M{_num(int(pts[0, 0, 0]))} {_num(int(pts[0, 0, 1]))}"]
        command = ""
        for numbers, mirrored in zip(rel, smooth.tolist()):
            wanted = "s" if mirrored else "c"
            out.append(wanted if wanted != command else " ")  # a repeated command needs no letter
            command = wanted
            out.append(_join(numbers[2:] if mirrored else numbers))
        out.append("z")
        parts.append("".join(out).replace(" -", "-"))
    return "".join(parts)


# ----------------------------------------------------------------------------------------------
# lines and words


def _lines(page: PageLayout) -> list[tuple[int, list[tuple[TextSpan | None, list[Placement]]]]]:
    """The page's lines (by ``TextSpan.line``), each a list of words: (span, its placements).

    Layout appends a line's placements and spans in the same order, and a span's text is its
    placements' texts joined, so walking both together gives each word its ink. Placements
    left over (none, unless a layout was built by hand) form words without a span.
    """
    placements = iter(page.placements)
    lines: dict[int, list] = {}
    for span in page.spans:
        group: list[Placement] = []
        text = ""
        while not group or len(text) < len(span.text):
            p = next(placements, None)
            if p is None:
                break
            group.append(p)
            text += p.text
        lines.setdefault(span.line, []).append((span, group))
    rest = list(placements)
    if rest:
        last = max(lines, default=-1) + 1
        lines[last] = [(None, [p]) for p in rest]
    return sorted(lines.items())


# ----------------------------------------------------------------------------------------------
# numbers and text


def _hundredths(values) -> np.ndarray:
    return np.rint(np.asarray(values, dtype=np.float64) * _UNIT).astype(np.int64)


@functools.lru_cache(maxsize=1 << 16)
def _num(n: int) -> str:
    """``n`` hundredths as the shortest decimal: 1234 -> 12.34, -5 -> -.05, 120 -> 1.2."""
    sign = "-" if n < 0 else ""
    whole, frac = divmod(abs(n), _UNIT)
    if not frac:
        return f"{sign}{whole}"
    digits = f"{frac:02d}".rstrip("0")
    return f"{sign}{whole or ''}.{digits}"


def _join(numbers: list[int]) -> str:
    # A minus sign separates numbers by itself in path data.
    return " ".join(map(_num, numbers)).replace(" -", "-")


def _dec(value: float, places: int) -> str:
    text = f"{value:.{places}f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _hex(rgb: Sequence[int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def _text(text: str) -> str:
    return _NOT_XML.sub("", str(text))


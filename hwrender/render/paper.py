"""The paper a page is written on: its style, and the rules, grid and dots it carries, in points.

``paper_geometry`` is the single source of truth for where every rule, grid line and dot goes; the
raster renderer (``compose.compose_page``) and the PDF renderer both draw from it, so a PNG and a PDF
of the same page agree to the point.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import UsageError
from ..layout.types import PageLayout
from .colors import RGB, ColorLike, parse_color

PAPER_KINDS = ("plain", "ruled", "grid", "dotted")

# Line widths in points. Real notebook rules are about 0.1 mm; the margin line is a little bolder.
RULE_WIDTH = 0.3
GRID_WIDTH = 0.25
MARGIN_WIDTH = 0.5
DOT_RADIUS = 0.6
MARGIN_GAP = 6.0  # the margin line sits this far left of where the writing starts
DEFAULT_PITCH = 24.0  # used only when a page carries no line grid (line_pitch <= 0)


@dataclass(frozen=True)
class PaperStyle:
    """What the paper looks like. Colours may be given as names or hex; they are stored as (r, g, b)."""

    kind: str = "plain"
    margin_line: bool = False
    paper_color: RGB = (255, 255, 255)
    rule_color: RGB = (166, 196, 232)  # light blue
    margin_color: RGB = (225, 96, 96)  # notebook red

    def __post_init__(self) -> None:
        kind = str(self.kind).strip().lower()
        if kind not in PAPER_KINDS:
            raise UsageError(f"unknown paper {self.kind!r}", f"choose one of {', '.join(PAPER_KINDS)}")
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "margin_line", bool(self.margin_line))
        for name in ("paper_color", "rule_color", "margin_color"):
            object.__setattr__(self, name, parse_color(getattr(self, name)))


def paper_style(
    kind: str = "plain",
    margin_line: bool = False,
    paper_color: ColorLike = "white",
    rule_color: ColorLike = (166, 196, 232),
    margin_color: ColorLike = (225, 96, 96),
) -> PaperStyle:
    """Validate user-facing values (kind names, colour names or hex) into a ``PaperStyle``.

    Raises ``UsageError`` for an unknown kind (listing the kinds) or colour.
    """
    return PaperStyle(kind, margin_line, paper_color, rule_color, margin_color)  # type: ignore[arg-type]


@dataclass(frozen=True)
class PaperLine:
    """An axis-aligned line segment in page points (y from the top): horizontal when y0 == y1."""

    x0: float
    y0: float
    x1: float
    y1: float
    width: float
    color: RGB

    @property
    def horizontal(self) -> bool:
        return self.y0 == self.y1


@dataclass(frozen=True)
class PaperGeometry:
    """Everything printed on one sheet, in points from the top-left corner."""

    width: float
    height: float
    background: RGB
    lines: tuple[PaperLine, ...] = ()
    dot_xs: tuple[float, ...] = ()  # dots sit at every (x, y) of dot_xs × dot_ys
    dot_ys: tuple[float, ...] = ()
    dot_radius: float = DOT_RADIUS
    dot_color: RGB = (0, 0, 0)


def _steps(origin: float, step: float, lo: float, hi: float) -> list[float]:
    """Every ``origin + k*step`` (k any integer) with lo <= value <= hi."""
    k0 = math.ceil((lo - origin) / step - 1e-9)
    k1 = math.floor((hi - origin) / step + 1e-9)
    return [origin + k * step for k in range(k0, k1 + 1)]


def line_grid(page: PageLayout) -> tuple[float, float]:
    """(first baseline, pitch) of the page's line grid, with a default for pages that have none."""
    if page.line_pitch > 0:
        return page.first_baseline, page.line_pitch
    return page.geometry.margin_top + DEFAULT_PITCH, DEFAULT_PITCH


def rule_positions(page: PageLayout) -> list[float]:
    """Ruled paper: a rule under every baseline, continued at the same pitch down the page.

    Rules start at the first baseline (the band above it is the page's header, as on real
    notebook paper) and continue while they are at least half a pitch above the bottom edge, so
    the page looks like a ruled sheet even when the writing stops early.
    """
    first, pitch = line_grid(page)
    bottom = page.geometry.height - pitch / 2
    rules = [first + k * pitch for k in range(max(page.line_count, 0))]
    y = first + len(rules) * pitch
    while y <= bottom + 1e-9:
        rules.append(y)
        y += pitch
    return [y for y in rules if 0 <= y <= page.geometry.height]


def paper_geometry(page: PageLayout, paper: PaperStyle) -> PaperGeometry:
    """Where the rules, grid lines, dots and margin line of ``page`` go, for ``paper``."""
    geo = page.geometry
    w, h = geo.width, geo.height
    lines: list[PaperLine] = []
    dot_xs: tuple[float, ...] = ()
    dot_ys: tuple[float, ...] = ()

    if paper.kind == "ruled":
        lines += [PaperLine(0.0, y, w, y, RULE_WIDTH, paper.rule_color) for y in rule_positions(page)]
    elif paper.kind in ("grid", "dotted"):
        first, pitch = line_grid(page)
        cell = pitch / 2  # horizontal lines pass through every baseline
        ys = _steps(first, cell, 0.0, h)
        xs = _steps(geo.content_left, cell, 0.0, w)  # a vertical line where the writing starts
        if paper.kind == "grid":
            lines += [PaperLine(0.0, y, w, y, GRID_WIDTH, paper.rule_color) for y in ys]
            lines += [PaperLine(x, 0.0, x, h, GRID_WIDTH, paper.rule_color) for x in xs]
        else:
            dot_xs, dot_ys = tuple(xs), tuple(ys)

    if paper.margin_line:
        x = geo.margin_left - min(MARGIN_GAP, geo.margin_left / 2)
        if x > 0:
            lines.append(PaperLine(x, 0.0, x, h, MARGIN_WIDTH, paper.margin_color))

    return PaperGeometry(
        width=w,
        height=h,
        background=paper.paper_color,
        lines=tuple(lines),
        dot_xs=dot_xs,
        dot_ys=dot_ys,
        dot_radius=DOT_RADIUS,
        dot_color=_darker(paper.rule_color),
    )


def _darker(rgb: RGB, factor: float = 0.8) -> RGB:
    # Dots cover far less area than lines; a slightly darker tone keeps them as visible.
    return tuple(int(round(c * factor)) for c in rgb)  # type: ignore[return-value]

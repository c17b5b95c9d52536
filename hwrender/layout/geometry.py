"""Page geometry and writing size: parse the user's lengths, sizes and margins into points.

Also fixes the line grid (where baselines, and the rules of ruled paper, go) and checks that a
line of writing fits on the page before anything is laid out.
"""

from __future__ import annotations

import math
import re
from typing import Sequence, Union

from hwrender.bounds import ALIGNS, MAX_PAGE_SIDE, MAX_VARIATION, MIN_X_HEIGHT, ORIENTATIONS
from hwrender.errors import UsageError
from hwrender.layout.types import LayoutStyle, PageGeometry

Length = Union[str, float, int]

MM = 72.0 / 25.4
# Layout has no resolution, so pixels are deliberately not a unit (see parse_length).
UNITS = {"mm": MM, "cm": 10.0 * MM, "in": 72.0, "pt": 1.0}

# Named page sizes, portrait, in points.
PAGE_SIZES: dict[str, tuple[float, float]] = {
    "a3": (297 * MM, 420 * MM),
    "a4": (210 * MM, 297 * MM),
    "a5": (148 * MM, 210 * MM),
    "b5": (176 * MM, 250 * MM),
    "letter": (612.0, 792.0),
    "legal": (612.0, 1008.0),
}
_SIZE_NAMES = "A3, A4, A5, B5, Letter or Legal"

# The line grid, in line heights: the first baseline sits ASCENT_ROOM below the top margin (room
# for ascenders and capitals), and a baseline only counts if DESCENT_ROOM still fits between it
# and the bottom margin (room for descenders). Every box is kept inside that band (see flow).
ASCENT_ROOM = 0.8
DESCENT_ROOM = 0.45

DEFAULT_X_HEIGHT = 2.8 * MM
LINE_HEIGHT_PER_X_HEIGHT = 2.9  # 2.8 mm x-height -> ~8 mm, the pitch of wide-ruled paper
WORD_SPACE_PER_X_HEIGHT = 0.9
MIN_LINE_HEIGHT_PER_X_HEIGHT = 1.5  # below this, lines of writing run into each other
MIN_LINE_WIDTH_PER_X_HEIGHT = 3.0  # narrower columns would shrink every word to nothing
MIN_PAGE_NUMBER_MARGIN_PER_X_HEIGHT = 2.0

_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?"
_LENGTH_RE = re.compile(rf"^({_NUMBER})\s*([a-z]*)$")
_SIZE_RE = re.compile(rf"^({_NUMBER})\s*([a-z]*)\s*[x×*]\s*({_NUMBER})\s*([a-z]*)$")
_LENGTH_HINT = "use a number with a unit, e.g. 20mm, 0.75in or 12pt"


def _mm(points: float) -> str:
    """A length in points, written in millimetres for messages."""
    return f"{round(points / MM, 1):g}mm"


def _convert(number: float, unit: str, raw: object, what: str, positive: bool) -> float:
    if unit == "px":
        raise UsageError(
            f"invalid {what} {str(raw)!r}: layout has no pixels", "give it in mm, cm, in or pt"
        )
    if unit not in UNITS:
        raise UsageError(f"invalid {what} {str(raw)!r}: unknown unit {unit!r}", _LENGTH_HINT)
    if not math.isfinite(number):
        raise UsageError(f"invalid {what} {str(raw)!r}", _LENGTH_HINT)
    if number < 0 or (number == 0 and positive):
        need = "greater than zero" if positive else "zero or more"
        raise UsageError(f"invalid {what} {str(raw)!r}: it must be {need}", _LENGTH_HINT)
    return number * UNITS[unit]


def parse_length(
    value: Length, default_unit: str = "mm", *, positive: bool = False, what: str = "length"
) -> float:
    """A length in points from ``"20mm"``, ``"2 cm"``, ``"0.75in"``, ``"12pt"`` or a bare number.

    Bare numbers (strings or ints/floats) are in ``default_unit``. Negative lengths, and zero
    with ``positive=True`` (sizes), are a ``UsageError`` naming ``what``, as is anything unparsable.
    """
    if default_unit not in UNITS:
        raise ValueError(f"default_unit must be one of {sorted(UNITS)}, got {default_unit!r}")
    if isinstance(value, bool):
        raise UsageError(f"invalid {what} {str(value)!r}", _LENGTH_HINT)
    if isinstance(value, (int, float)):
        return _convert(float(value), default_unit, value, what, positive)
    if not isinstance(value, str):
        raise UsageError(f"invalid {what} {str(value)!r}", _LENGTH_HINT)
    match = _LENGTH_RE.match(value.strip().lower())
    if not match:
        raise UsageError(f"invalid {what} {value!r}", _LENGTH_HINT)
    return _convert(float(match[1]), match[2] or default_unit, value, what, positive)


def parse_page_size(name: str | Sequence[float]) -> tuple[float, float]:
    """(width, height) in points for a named size (A3, A4, A5, B5, Letter, Legal; any case) or a
    custom ``WxH<unit>`` such as ``210x297mm``, ``8.5x11in``, ``148 x 210 mm`` or ``20cmx25cm``.

    A custom size without a unit is in millimetres. A pair of numbers is taken as points.
    """
    hint = f"use {_SIZE_NAMES}, or a custom size like 210x297mm or 8.5x11in"
    if not isinstance(name, str):
        try:
            width, height = (float(v) for v in name)
        except (TypeError, ValueError):
            raise UsageError(f"unknown page size {str(name)!r}", hint) from None
        return _check_page_side(
            str(name),
            parse_length(width, "pt", positive=True, what="page width"),
            parse_length(height, "pt", positive=True, what="page height"),
        )
    key = name.strip().lower()
    if key in PAGE_SIZES:
        return PAGE_SIZES[key]
    match = _SIZE_RE.match(key)
    if not match:
        raise UsageError(f"unknown page size {name!r}", hint)
    w, w_unit, h, h_unit = match.groups()
    # "210x297mm": one unit for both; "8.5inx280mm" mixes them; no unit at all means mm.
    w_unit = w_unit or h_unit or "mm"
    h_unit = h_unit or w_unit
    for unit in (w_unit, h_unit):
        if unit not in UNITS:
            raise UsageError(f"unknown page size {name!r}: unknown unit {unit!r}", hint)
    return _check_page_side(
        name,
        parse_length(f"{w}{w_unit}", positive=True, what="page width"),
        parse_length(f"{h}{h_unit}", positive=True, what="page height"),
    )


def _check_page_side(name: str, width: float, height: float) -> tuple[float, float]:
    if max(width, height) > MAX_PAGE_SIDE:
        raise UsageError(
            f"page size {name!r} ({_mm(width)} x {_mm(height)}) is larger than a PDF page can be",
            f"keep each side at most {MAX_PAGE_SIDE / 72:g}in = {_mm(MAX_PAGE_SIDE)} = {MAX_PAGE_SIDE:,.0f}pt",
        )
    return width, height


def _margin_tokens(value: str) -> list[str]:
    if "," in value:
        return [part.strip() for part in value.split(",")]
    tokens: list[str] = []
    for token in value.split():
        if tokens and token.isalpha():  # "20 mm 10 mm": a unit belongs to the number before it
            tokens[-1] += token
        else:
            tokens.append(token)
    return tokens


def parse_margins(value: Length | Sequence[Length]) -> tuple[float, float, float, float]:
    """(top, right, bottom, left) in points, CSS style: one length for all sides, two for
    vertical and horizontal, three for top, horizontal and bottom, or four for top, right,
    bottom and left; comma or space separated (``"20mm"``, ``"25mm 20mm"``, ``"1in,0.75in"``).
    Bare numbers are millimetres. Zero is allowed.
    """
    hint = "give 1 to 4 lengths, as in CSS (all sides; vertical horizontal; top horizontal bottom; top right bottom left), e.g. 20mm or 25mm 20mm"
    if isinstance(value, str):
        tokens: list[Length] = list(_margin_tokens(value))
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        tokens = [value]
    else:
        try:
            tokens = list(value)  # type: ignore[arg-type]
        except TypeError:
            raise UsageError(f"invalid margins {str(value)!r}", hint) from None
    if not 1 <= len(tokens) <= 4 or any(t == "" for t in tokens):
        raise UsageError(f"invalid margins {str(value)!r}", hint)
    sides = [parse_length(t, "mm", what="margin") for t in tokens]
    if len(sides) == 1:
        return (sides[0],) * 4  # type: ignore[return-value]
    if len(sides) == 2:
        return (sides[0], sides[1], sides[0], sides[1])
    if len(sides) == 3:
        return (sides[0], sides[1], sides[2], sides[1])
    return (sides[0], sides[1], sides[2], sides[3])


def make_geometry(
    size: str | Sequence[float] = "A4",
    orientation: str | None = None,
    margins: Length | Sequence[Length] = "20mm",
) -> PageGeometry:
    """A ``PageGeometry`` from a page size, an orientation and margins.

    ``orientation``: ``"portrait"`` makes the page taller than wide, ``"landscape"`` wider than
    tall; ``None`` keeps the size as given (named sizes are portrait, a custom ``WxH`` is taken
    literally). Margins that leave no room for writing are a ``UsageError``; whether a line of
    writing fits is ``check_fits``'s job, since it depends on the writing size.
    """
    width, height = parse_page_size(size)
    if orientation is not None:
        kind = str(orientation).strip().lower()
        if kind not in ORIENTATIONS:
            raise UsageError(f"invalid orientation {orientation!r}", "use portrait or landscape")
        if (kind == "portrait") == (width > height):
            width, height = height, width
    top, right, bottom, left = parse_margins(margins)
    geometry = PageGeometry(width, height, top, right, bottom, left)
    if geometry.content_width <= 0 or geometry.content_height <= 0:
        shown = margins if isinstance(margins, str) else " ".join(_mm(m) for m in (top, right, bottom, left))
        raise UsageError(
            f"margins {shown} leave no room on a {_mm(width)} x {_mm(height)} page",
            "use smaller margins or a larger page size",
        )
    return geometry


def _writing_length(value: Length, what: str) -> float:
    # The Python API passes points; the CLI passes strings, where a bare number means mm.
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return parse_length(value, "pt", positive=True, what=what)
    return parse_length(value, "mm", positive=True, what=what)


def _factor(value: float | str, what: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not (math.isfinite(number) and number > 0):
        raise UsageError(f"invalid {what} {str(value)!r}: it must be a number greater than zero", "e.g. 1.0 or 1.5")
    return number


def writing_metrics(
    x_height: Length | None = None,
    line_height: Length | None = None,
    line_spacing: float | str = 1.0,
    word_spacing: float | str = 1.0,
) -> tuple[float, float, float]:
    """(x_height, line_height, word_space) in points for a writing size.

    Give the size as an x-height or as a line height (or both); numbers are points, strings take
    units (a bare number string is mm). Defaults: x-height 2.8 mm; line height = x-height × 2.9
    (about 8 mm, the pitch of wide-ruled paper); x-height = line height / 2.9 when only the line
    height is given. The line height is then multiplied by ``line_spacing``; the word space is
    0.9 × x-height × ``word_spacing``.
    """
    spacing = _factor(line_spacing, "line spacing")
    words = _factor(word_spacing, "word spacing")
    xh = None if x_height is None else _writing_length(x_height, "x-height")
    lh = None if line_height is None else _writing_length(line_height, "line height")
    if xh is None:
        xh = DEFAULT_X_HEIGHT if lh is None else lh / LINE_HEIGHT_PER_X_HEIGHT
    if lh is None:
        lh = xh * LINE_HEIGHT_PER_X_HEIGHT
    lh *= spacing
    if lh < MIN_LINE_HEIGHT_PER_X_HEIGHT * xh:
        raise UsageError(
            f"line height {_mm(lh)} is too small for the x-height {_mm(xh)}",
            f"use a line height of at least {MIN_LINE_HEIGHT_PER_X_HEIGHT:g} × the x-height, or a smaller x-height",
        )
    return xh, lh, WORD_SPACE_PER_X_HEIGHT * xh * words


def line_grid(geometry: PageGeometry, style: LayoutStyle) -> tuple[float, float, int]:
    """(first_baseline, pitch, count): the baselines every page writes on (and rules are drawn on).

    The first baseline is ``ASCENT_ROOM`` line heights below the top margin; the count is how many
    baselines, one line height apart, leave ``DESCENT_ROOM`` line heights above the bottom margin.
    """
    pitch = style.line_height
    first = geometry.content_top + ASCENT_ROOM * pitch
    last_allowed = geometry.content_bottom - DESCENT_ROOM * pitch
    if pitch <= 0 or last_allowed < first - 1e-9:
        return first, pitch, 0
    return first, pitch, int(math.floor((last_allowed - first) / pitch + 1e-9)) + 1


def check_fits(geometry: PageGeometry, style: LayoutStyle) -> None:
    """Raise ``UsageError`` unless the style is valid and a line of writing fits on the page."""
    for what, value in (("x-height", style.x_height), ("line height", style.line_height), ("word space", style.word_space)):
        if not (math.isfinite(value) and value > 0):
            raise UsageError(f"invalid {what} {value!r}pt: it must be greater than zero", "e.g. 2.8mm")
    if style.x_height < MIN_X_HEIGHT:
        raise UsageError(
            f"x-height {style.x_height / MM:.3g}mm is too small to write",
            f"use at least {_mm(MIN_X_HEIGHT)}; the default is {_mm(DEFAULT_X_HEIGHT)}",
        )
    if style.align not in ALIGNS:
        raise UsageError(f"invalid alignment {style.align!r}", "use left or justify")
    if not (math.isfinite(style.indent) and style.indent >= 0):
        raise UsageError(f"invalid indent {style.indent!r}pt: it must be zero or more", "e.g. 0 or 10mm")
    if not (math.isfinite(style.paragraph_gap) and style.paragraph_gap >= 0):
        raise UsageError(f"invalid paragraph gap {style.paragraph_gap!r}: it must be zero or more lines", "e.g. 0 or 1")
    if not (math.isfinite(style.variation) and 0 <= style.variation <= MAX_VARIATION):
        raise UsageError(
            f"variation {style.variation!r} is out of range", f"use a value from 0 to {MAX_VARIATION:g}: 0 is regular, 1 natural"
        )
    if style.line_height < MIN_LINE_HEIGHT_PER_X_HEIGHT * style.x_height:
        raise UsageError(
            f"line height {_mm(style.line_height)} is too small for the x-height {_mm(style.x_height)}",
            f"use a line height of at least {MIN_LINE_HEIGHT_PER_X_HEIGHT:g} × the x-height, or a smaller x-height",
        )
    page = f"{_mm(geometry.width)} x {_mm(geometry.height)} page"
    margins = " ".join(
        _mm(m) for m in (geometry.margin_top, geometry.margin_right, geometry.margin_bottom, geometry.margin_left)
    )
    if line_grid(geometry, style)[2] < 1:
        need = (ASCENT_ROOM + DESCENT_ROOM) * style.line_height
        raise UsageError(
            f"no line of writing fits: the {page} with margins {margins} leaves {_mm(geometry.content_height)}"
            f" of height and one line needs {_mm(need)}",
            "use smaller top/bottom margins, a larger page size or a smaller line height",
        )
    need = style.indent + MIN_LINE_WIDTH_PER_X_HEIGHT * style.x_height
    if geometry.content_width < need:
        raise UsageError(
            f"the writing does not fit across the page: the {page} with margins {margins} leaves"
            f" {_mm(geometry.content_width)} between the margins and at least {_mm(need)} is needed",
            "use smaller left/right margins or indent, a larger page size or a smaller x-height",
        )
    if style.page_numbers:
        need = MIN_PAGE_NUMBER_MARGIN_PER_X_HEIGHT * style.x_height
        if geometry.margin_bottom < need:
            raise UsageError(
                f"the bottom margin {_mm(geometry.margin_bottom)} is too small for page numbers",
                f"use a bottom margin of at least {_mm(need)} or turn page numbers off",
            )

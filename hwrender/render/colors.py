"""Colour names and hex values for ink, paper and rules, turned into (r, g, b) tuples."""

from __future__ import annotations

import difflib
import re
from typing import Sequence, Union

from PIL import ImageColor

from ..errors import UsageError

RGB = tuple[int, int, int]
ColorLike = Union[str, Sequence[int]]

# Inks and papers that Pillow's CSS names lack; these win over a CSS name of the same spelling.
NAMED_COLORS: dict[str, RGB] = {
    # inks
    "blue-black": (28, 43, 90),  # #1c2b5a: the classic school ink
    "ballpoint-blue": (30, 60, 150),
    "fountain-blue": (29, 79, 191),  # royal blue fountain-pen ink
    "iron-gall": (42, 38, 52),
    "pencil": (74, 74, 79),  # graphite grey
    "graphite": (74, 74, 79),
    "sepia": (112, 66, 20),
    "red-ink": (178, 34, 34),
    "green-ink": (24, 100, 60),
    "black": (0, 0, 0),
    # papers and rules
    "cream": (255, 253, 208),
    "legal-pad": (255, 249, 196),
    "recycled": (238, 234, 222),
    "rule-blue": (166, 196, 232),
    "margin-red": (225, 96, 96),
}

_HEX = re.compile(r"#?([0-9a-f]{3}|[0-9a-f]{6})")
_HINT = "use a name like blue-black or a hex value like #1c2b5a"


def _key(name: str) -> str:
    return re.sub(r"[\s_]+", "-", name.strip().lower())


def parse_color(value: ColorLike) -> RGB:
    """Return ``(r, g, b)`` for a colour name, a hex value (``#1c2b5a``, ``1c2b5a``, ``#abc``),
    a CSS ``rgb(...)``/``hsl(...)`` string, or an ``(r, g, b)`` sequence.

    Raises ``UsageError`` for anything else.
    """
    if not isinstance(value, str):
        try:
            parts = tuple(int(v) for v in value)
        except (TypeError, ValueError):
            raise UsageError(f"unknown colour {value!r}", _HINT) from None
        if len(parts) != 3 or not all(0 <= v <= 255 for v in parts):
            raise UsageError(f"a colour needs three values 0..255, got {value!r}", _HINT)
        return parts  # type: ignore[return-value]

    key = _key(value)
    if key in NAMED_COLORS:
        return NAMED_COLORS[key]
    css = key.replace("-", "")
    if css in ImageColor.colormap:
        return ImageColor.getrgb(css)[:3]
    m = _HEX.fullmatch(key)
    if m:
        digits = m.group(1)
        if len(digits) == 3:
            digits = "".join(c * 2 for c in digits)
        return tuple(int(digits[i : i + 2], 16) for i in (0, 2, 4))  # type: ignore[return-value]
    if key.startswith(("rgb", "hsl", "hsv")):
        try:
            return ImageColor.getrgb(value.strip().lower())[:3]
        except ValueError:
            pass
    close = difflib.get_close_matches(key, color_names(), n=1, cutoff=0.75)
    hint = f"did you mean {close[0]}? {_HINT}" if close else _HINT
    raise UsageError(f"unknown colour {value!r}", hint)


def color_names() -> list[str]:
    """Every colour name ``parse_color`` accepts (hwrender's inks and papers, then CSS names)."""
    return list(NAMED_COLORS) + sorted(n for n in ImageColor.colormap if n not in NAMED_COLORS)


def to_hex(rgb: RGB) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)

"""Layout (step 4): place ink boxes into lines and pages. Pure Python: no torch, numpy or PIL.

The caller measures each ink image as a ``Box`` (points), streams boxes and breaks through
``layout_pages`` and gets ``PageLayout`` pages saying where every ink image goes.
"""

from hwrender.layout.flow import ink_bounds, layout_pages, rotated_extent, set_page_number, word_parts
from hwrender.layout.geometry import (
    PAGE_SIZES, UNITS, check_fits, line_grid, make_geometry, parse_length, parse_margins, parse_page_size,
    writing_metrics,
)
from hwrender.layout.types import (
    Box, Item, Join, LayoutStyle, LineBreak, PageGeometry, PageLayout, ParagraphBreak, Placement, TextSpan,
)

__all__ = [
    "Box", "Item", "Join", "LayoutStyle", "LineBreak", "PAGE_SIZES", "PageGeometry", "PageLayout",
    "ParagraphBreak", "Placement", "TextSpan", "UNITS", "check_fits", "ink_bounds", "layout_pages",
    "line_grid", "make_geometry", "parse_length", "parse_margins", "parse_page_size", "rotated_extent",
    "set_page_number", "word_parts", "writing_metrics",
]

"""Compose pages (paper + ink) and write them as PNG, JPEG, PDF or SVG.

``ink_coverage`` resamples a page's ink images into one coverage map, ``compose_page`` lays it on
the paper in the ink colour, ``PdfWriter`` streams pages into a searchable PDF, and
``AtomicOutputs`` makes the files of a document appear together or not at all
(``hwrender.api.write`` puts these together). ``writers`` holds one writer per format.
"""

from .colors import color_names, parse_color
from .compose import (
    DEFAULT_DPI,
    MAX_DPI,
    check_dpi,
    compose_page,
    ink_coverage,
    page_pixel_size,
)
from .output import (
    FORMATS,
    AtomicOutputs,
    StreamOutputs,
    check_output_path,
    check_stdout_pages,
    page_paths,
    resolve_format,
    save_raster,
)
from .paper import PAPER_KINDS, PaperGeometry, PaperStyle, paper_geometry, paper_style
from .writers import WRITERS, WriteContext, Writer, writer_for

__all__ = [
    "AtomicOutputs", "DEFAULT_DPI", "FORMATS", "MAX_DPI", "PAPER_KINDS", "PaperGeometry", "PaperStyle",
    "PdfMetadata", "PdfWriter", "StreamOutputs", "WRITERS", "WriteContext", "Writer", "check_dpi",
    "check_output_path", "check_stdout_pages", "color_names", "compose_page", "ink_coverage",
    "page_paths", "page_pixel_size", "paper_geometry", "paper_style", "parse_color",
    "resolve_format", "save_raster", "writer_for",
]


def __getattr__(name: str):
    # reportlab takes ~0.1 s to import; load it only when a PDF is written.
    if name in ("PdfWriter", "PdfMetadata"):
        from . import pdf

        return getattr(pdf, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

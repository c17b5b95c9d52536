"""Output writers: one per format, behind one interface, chosen by format name.

A writer turns finished pages (``RenderedPage``: layout, coverage, inks) into the bytes of one
file. ``pages_per_file`` says how pages map to files: ``"all"`` (PDF) gets every page for one
file, ``"one"`` (PNG, JPEG, SVG) gets one page per file, named ``page.png``, ``page-2.png``, …
``hwrender.write`` opens every file through one atomic output (``AtomicOutputs`` for files,
``StreamOutputs`` for standard output or a file object), so no writer ever leaves half a file.

A new format is one ``Writer`` subclass with an entry in ``WRITERS``; the format names, suffixes
and help texts come from this table. Writers import their heavy modules (reportlab, the tracer)
only when they write, so this table costs nothing to import.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Iterable, Literal, Mapping, Optional

from ..errors import UsageError
from .colors import RGB
from .paper import PaperStyle

if TYPE_CHECKING:  # pragma: no cover
    from PIL import Image

    from ..pipeline import RenderedPage

JPEG_QUALITY = 92
PNG_COMPRESS_LEVEL = 3  # ~0.35 s for an A4 page at 300 dpi; level 6 is ~20% smaller but 1.6x slower


@dataclass(frozen=True)
class WriteContext:
    """What every writer needs besides the pages: how the page looks and the document's metadata."""

    paper: PaperStyle = PaperStyle()
    ink_rgb: RGB = (0, 0, 0)
    dpi: float = 300.0
    ink_render: str = "raster"  # "vector": vector formats draw traced outlines, not the raster
    strokes: bool = False  # vector formats draw single-line centre strokes (pen plotters)
    metadata: Mapping[str, Optional[str]] = field(default_factory=dict)  # title, author, subject, creator
    text_font: Optional[Path] = None  # the PDF text layer's font (a generator's text_font)


class Writer:
    """One output format. ``write(pages, file, ctx)`` writes ``pages`` (one page for a
    ``pages_per_file == "one"`` writer) as one file into the binary ``file``."""

    name: str = ""
    suffixes: tuple[str, ...] = ()  # the first is the one hints show
    aliases: tuple[str, ...] = ()  # more --format names
    pages_per_file: Literal["one", "all"] = "one"
    vector: bool = False  # can hold outlines and strokes (--strokes needs it)

    def uses_coverage(self, ctx: WriteContext) -> bool:
        """Whether this writer draws the pipeline's raster coverage (else it is not computed)."""
        return True

    def write(self, pages: Iterable["RenderedPage"], file: BinaryIO, ctx: WriteContext) -> None:
        raise NotImplementedError


class RasterWriter(Writer):
    """PNG and JPEG: the composed page raster, its DPI recorded so it prints at the real size."""

    def write(self, pages, file, ctx):
        from .compose import compose_page

        for page in pages:
            image = compose_page(page.layout, page.coverage, ctx.paper, ctx.ink_rgb, ctx.dpi)
            save_raster(image, file, self.name, ctx.dpi)


class PngWriter(RasterWriter):
    name, suffixes = "png", (".png",)


class JpegWriter(RasterWriter):
    name, suffixes, aliases = "jpeg", (".jpg", ".jpeg"), ("jpg",)


class PdfDocumentWriter(Writer):
    """PDF: every page in one searchable file (paper as vectors, ink as an image or as paths)."""

    name, suffixes, pages_per_file, vector = "pdf", (".pdf",), "all", True

    def uses_coverage(self, ctx):
        return not _vector_ink(ctx)

    def write(self, pages, file, ctx):
        from .pdf import PdfWriter

        # invariant: no timestamp or random id, so the same seed gives the same bytes
        pdf = PdfWriter(file, paper=ctx.paper, ink_color=ctx.ink_rgb, dpi=ctx.dpi,
                        metadata=dict(ctx.metadata), text_font=ctx.text_font, invariant=True)
        for page in pages:
            if ctx.strokes:
                lines, width = page_strokes(page)
                pdf.add_page(page.layout, None, strokes=lines, stroke_width=width)
            elif ctx.ink_render == "vector":
                pdf.add_page(page.layout, None, inks=page.inks)
            else:
                pdf.add_page(page.layout, page.coverage)
        pdf.close()


class SvgWriter(Writer):
    """SVG 1.1: paper, rules and ink as vector paths, a group per line and per word."""

    name, suffixes, vector = "svg", (".svg",), True

    def uses_coverage(self, ctx):
        return False

    def write(self, pages, file, ctx):
        from .svg import page_svg

        for page in pages:
            file.write(page_svg(page.layout, page.inks, ctx))


def _vector_ink(ctx: WriteContext) -> bool:
    return ctx.ink_render == "vector" or ctx.strokes


def page_strokes(page: "RenderedPage") -> tuple[list, float]:
    """The page's single-line strokes for pen plotters ((n, 2) polylines in page points, in
    plotting order) and the pen width that draws them as wide as the ink (points)."""
    from . import strokes

    return strokes.page_polylines(page.layout, page.inks), strokes.median_stroke_width(page.layout, page.inks)


WRITERS: dict[str, Writer] = {w.name: w for w in (PngWriter(), JpegWriter(), PdfDocumentWriter(), SvgWriter())}
FORMATS: tuple[str, ...] = tuple(WRITERS)
SUFFIXES: dict[str, str] = {s: w.name for w in WRITERS.values() for s in w.suffixes}
ALIASES: dict[str, str] = {a: w.name for w in WRITERS.values() for a in (w.name, *w.aliases)}


def writer_for(fmt: str) -> Writer:
    """The writer of a format name as ``resolve_format`` gives it."""
    return WRITERS[fmt]


def check_writer_options(writer: Writer, strokes: bool) -> None:
    """Raise ``UsageError`` for options ``writer`` cannot honour (checked before any work)."""
    if not strokes:
        return
    if not writer.vector:
        vector = [w.name.upper() for w in WRITERS.values() if w.vector]
        raise UsageError(f"--strokes draws pen-plotter lines, which {writer.name.upper()} cannot hold",
                         f"write {' or '.join(vector)}: -o page.svg or -o page.pdf")
    import importlib.util

    if importlib.util.find_spec(f"{__package__}.strokes") is None:
        raise UsageError("--strokes is not available yet", "leave out --strokes")


def save_raster(image: "Image.Image", file: BinaryIO, fmt: str, dpi: float) -> None:
    """Write one page as PNG or JPEG with its DPI recorded, so it prints at the real size."""
    if fmt == "png":
        image.save(file, format="PNG", dpi=(dpi, dpi), compress_level=PNG_COMPRESS_LEVEL)
    elif fmt == "jpeg":
        # 4:4:4 keeps thin coloured strokes from bleeding into the paper.
        image.convert("RGB").save(file, format="JPEG", quality=JPEG_QUALITY, subsampling=0, dpi=(dpi, dpi))
    else:
        raise ValueError(f"save_raster writes png or jpeg, not {fmt!r}")

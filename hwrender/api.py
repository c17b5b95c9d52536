"""The Python API: text in, handwritten pages out. The CLI is a thin layer over this module.

    import hwrender
    hwrender.write("Hello World", "page.pdf", paper="ruled", ink_color="blue-black")
    images = hwrender.render_pages("Hello World", dpi=150)   # list of PIL images

Every option of ``hwrender write`` is a keyword argument here (see ``RenderOptions``).
Pages stream: text is planned and checked first, then written page by page, so a long text
renders with bounded memory and a bad option or an unsupported character fails before any work.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Callable, Iterator

from .errors import UsageError
# Also the home of these names for callers (tests, the CLI, benchmarks) that import them from here.
from .options import _FIELD_KINDS, MAX_SEED, RenderOptions, _options, _shown, parse_style  # noqa: F401
from .pipeline import CHUNK_WORDS, RenderedPage, _prepare  # noqa: F401
from .registry import Registry

if TYPE_CHECKING:  # pragma: no cover
    from PIL import Image


def iter_pages(text: str, options: RenderOptions | None = None, *,
               registry: Registry | None = None, **kwargs) -> Iterator[RenderedPage]:
    """Lay out and ink ``text`` page by page (options are checked before the first page)."""
    return _prepare(text, options, registry, kwargs).pages()


def render_pages(text: str, options: RenderOptions | None = None, *,
                 registry: Registry | None = None, **kwargs) -> list["Image.Image"]:
    """Render ``text`` and return one RGB PIL image per page."""
    from .render import compose_page

    pipe = _prepare(text, options, registry, kwargs)
    return [compose_page(p.layout, p.coverage, pipe.res.paper, pipe.res.ink_rgb, pipe.res.dpi)
            for p in pipe.pages()]


def _counted(pages: Iterator[RenderedPage], on_page) -> Iterator[RenderedPage]:
    for page in pages:
        yield page
        if on_page is not None:
            on_page(page.layout.number)


def write(text: str, output: str | Path | BinaryIO, options: RenderOptions | None = None, *,
          registry: Registry | None = None, on_page: Callable[[int], None] | None = None,
          **kwargs) -> list[Path]:
    """Render ``text`` (a str, or UTF-8 bytes) and write it to ``output``: a path (``.pdf``,
    ``.png``, ``.jpg``; PNG and JPEG write one file per page: ``page.png``, ``page-2.png``, …),
    ``"-"`` for standard output, or an open binary file object (for images in memory, use
    ``render_pages``). Files appear only when everything succeeded. Returns the paths.
    ``on_page(n)`` is called as each page is done (for progress displays)."""
    from . import __version__
    from .render import (
        AtomicOutputs,
        PdfWriter,
        check_output_path,
        check_stdout_pages,
        compose_page,
        page_paths,
        resolve_format,
        save_raster,
    )
    from .render.output import StdoutSink

    # Where it goes is checked first: a bad -o fails before any planning or generation.
    output = _output(output)
    opts = _options(options, kwargs)
    to_stream = not isinstance(output, (str, Path)) or str(output) == "-"
    fmt = resolve_format(None if to_stream else str(output), opts.format)
    if not to_stream:
        check_output_path(output)
    pipe = _prepare(text, opts, registry, {})
    res = pipe.res
    pages = _counted(pipe.pages(), on_page)
    metadata = {"title": opts.title, "author": opts.author, "subject": opts.subject,
                "creator": f"hwrender {__version__}"}

    def write_pdf(fh):
        # invariant: no timestamp or random id, so the same seed gives the same bytes
        pdf = PdfWriter(fh, paper=res.paper, ink_color=res.ink_rgb, dpi=res.dpi,
                        metadata=metadata, text_font=_text_font(pipe.registry), invariant=True)
        for p in pages:
            pdf.add_page(p.layout, p.coverage)
        pdf.close()

    if to_stream:
        # StdoutSink writes every byte or fails: a pipe whose reader left must not end in exit 0
        stream = StdoutSink() if str(output) == "-" else output
        buf = io.BytesIO()
        if fmt == "pdf":
            write_pdf(buf)
        else:
            first = next(pages)
            check_stdout_pages(fmt, 1 + sum(1 for _ in pages))
            image = compose_page(first.layout, first.coverage, res.paper, res.ink_rgb, res.dpi)
            save_raster(image, buf, fmt, res.dpi)
        stream.write(buf.getvalue())
        stream.flush()
        return []

    path = Path(output)
    with AtomicOutputs(path) as outputs:
        if fmt == "pdf":
            with outputs.open(path) as fh:
                write_pdf(fh)
        else:
            for n, p in enumerate(pages, start=1):
                image = compose_page(p.layout, p.coverage, res.paper, res.ink_rgb, res.dpi)
                with outputs.open(page_paths(path, n)[-1]) as fh:
                    save_raster(image, fh, fmt, res.dpi)
    return outputs.paths


def _text_font(registry: Registry) -> Path | None:
    """The font the PDF text layer uses where it has the characters: the first one a generator
    declares (the ``font`` generator's), so the core knows no plugin's files."""
    for spec in registry.specs():
        if spec.text_font is not None and Path(spec.text_font).is_file():
            return Path(spec.text_font)
    return None


def _output(output: object) -> str | Path | BinaryIO:
    """``output`` as write() uses it: "-", a Path, or an open binary file object."""
    if isinstance(output, str):
        if not output.strip():
            raise UsageError("output is an empty path", "give a file name such as page.pdf, or '-'")
        return output if output == "-" else Path(output)
    if isinstance(output, os.PathLike):
        return Path(os.fspath(output))
    if output is None or not callable(getattr(output, "write", None)):
        raise UsageError(f"output must be a file path, '-' or a binary file object, "
                         f"got {_shown(output)}",
                         "for images in memory use hwrender.render_pages(text)")
    if getattr(output, "closed", False):
        raise UsageError("output is a closed file object", "pass an open one, e.g. open(path, 'wb')")
    if isinstance(output, io.TextIOBase):
        raise UsageError("output is a text stream; page data is binary",
                         "open the file with 'wb', or pass sys.stdout.buffer")
    return output  # type: ignore[return-value]

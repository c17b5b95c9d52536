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
import re
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Callable, Iterator

from .errors import HwrenderWarning, UsageError
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
    ``.png``, ``.jpg``, ``.svg``; PNG, JPEG and SVG write one file per page: ``page.png``,
    ``page-2.png``, …), ``"-"`` for standard output, or an open binary file object (for images
    in memory, use ``render_pages``). Files appear only when everything succeeded. Returns the
    paths. ``on_page(n)`` is called as each page is done (for progress displays)."""
    from . import __version__
    from .render.output import AtomicOutputs, StdoutSink, StreamOutputs, check_output_path, page_paths, resolve_format
    from .render.writers import WriteContext, check_writer_options, writer_for

    # Where it goes is checked first: a bad -o fails before any planning or generation.
    output = _output(output)
    opts = _options(options, kwargs)
    to_stream = not isinstance(output, (str, Path)) or str(output) == "-"
    fmt = resolve_format(None if to_stream else str(output), opts.format)
    writer = writer_for(fmt)
    check_writer_options(writer, opts.strokes)
    if not to_stream:
        check_output_path(output)
        if writer.pages_per_file == "all" and re.search(r"(?<!\{)\{n(:[^{}]*)?\}", output.name):
            # a page-number field in a one-file format's name made a file literally "scan-{n}.pdf"
            raise UsageError(f"{output.name}: a {fmt.upper()} holds every page in one file, so a "
                             "{n} page-number pattern does not apply", f"name it without braces, e.g. "
                             f"{output.with_name('pages' + output.suffix)}")
        _warn_if_suffix_differs(output, fmt)
    pipe = _prepare(text, opts, registry, {})
    res = pipe.res
    ctx = WriteContext(paper=res.paper, ink_rgb=res.ink_rgb, dpi=res.dpi, ink_render=opts.ink_render,
                       strokes=opts.strokes, text_font=_text_font(pipe.registry),
                       metadata={"title": opts.title, "author": opts.author, "subject": opts.subject,
                                 "creator": f"hwrender {__version__}"})
    pages = _counted(pipe.pages(coverage=writer.uses_coverage(ctx)), on_page)

    if to_stream:
        # StdoutSink writes every byte or fails: a pipe whose reader left must not end in exit 0
        outputs = StreamOutputs(StdoutSink() if str(output) == "-" else output)
        if writer.pages_per_file == "one":
            pages = _only_page(pages, fmt)
    else:
        outputs = AtomicOutputs(output)
    with outputs:
        if writer.pages_per_file == "all":
            with outputs.open(output) as fh:
                writer.write(pages, fh, ctx)
        else:
            for n, page in enumerate(pages, start=1):
                with outputs.open(None if to_stream else page_paths(output, n)[-1]) as fh:
                    writer.write([page], fh, ctx)
    return outputs.paths


def _warn_if_suffix_differs(output: Path, fmt: str) -> None:
    """``--format jpeg -o page.png`` writes JPEG bytes into ``page.png``: say so."""
    import warnings

    from .render.output import SUFFIXES

    named = SUFFIXES.get(output.suffix.lower())
    if named is not None and named != fmt:
        warnings.warn(HwrenderWarning(f"{output.name} is named as {named.upper()} but is written as "
                                      f"{fmt.upper()} (--format {fmt})"), stacklevel=3)


def _only_page(pages: Iterator[RenderedPage], fmt: str) -> Iterator[RenderedPage]:
    """The one page a one-page-per-file format can send to a stream (``UsageError`` for more)."""
    from .render.output import check_stdout_pages

    first = next(pages)
    if next(pages, None) is not None:  # stop at the second page: inking the rest is wasted work
        check_stdout_pages(fmt, 2, at_least=True)
    yield first


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
        if output != "-" and output.endswith(("/", os.sep)):  # Path() would drop the slash
            raise UsageError(f"output {output!r} ends in {output[-1]}, naming a folder",
                             f"give a file name, e.g. {os.path.join(output, 'page.png')}")
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

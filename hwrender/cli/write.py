"""``hwrender write``: text (argument, ``-``/stdin or ``--input FILE``) to handwritten pages."""

from __future__ import annotations

import contextlib
import os
import sys
import time
import warnings
from pathlib import Path
from typing import Annotated, Iterator, List, Optional

import typer

from ..errors import InputError, OutputError, UsageError
from . import app
from ._console import stdout_closed
from ._help import WriteCommand

_PAGE = "Page"
_WRITING = "Writing"
_PAPER = "Paper and ink"
_GEN = "Generators"
_OUT = "Output"


def _stdout_is_terminal() -> bool:
    return sys.stdout is not None and sys.stdout.isatty()


def read_input(text: str | None, input_file: Path | None) -> str:
    """The text to write, from the argument, a UTF-8 file, or standard input."""
    if text is not None and input_file is not None:
        raise UsageError("give the text either as an argument or with --input, not both",
                         "drop one of them")
    if input_file is not None:
        if str(input_file) == "-":
            if sys.stdin is None:
                raise InputError("standard input is closed", "pipe the text in or give --input FILE")
            return _read_stdin()
        if not input_file.exists():
            raise InputError(f"input file '{input_file}' does not exist", "check the path")
        if input_file.is_dir():
            raise InputError(f"input '{input_file}' is a directory", "give a text file")
        try:
            data = input_file.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read input file '{input_file}': {exc.strerror}",
                             "check its permissions") from None
        return _decode(data, f"input file '{input_file}'")
    if sys.stdin is None:  # started with stdin closed (<&-)
        if text == "-":
            raise InputError("standard input is closed", "pipe the text in or give it as an argument")
    elif text == "-" or (text is None and not sys.stdin.isatty()):
        return _read_stdin()
    if text is None:
        raise UsageError("no text to write",
                         "give it as an argument, with --input FILE, or pipe it to stdin")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:  # argv bytes that were not UTF-8 arrive as lone surrogates
        raise InputError(f"TEXT is not UTF-8 (at character {exc.start + 1})",
                         "give it in UTF-8, or in a file with --input FILE") from None
    return text


def _read_stdin() -> str:
    return _decode(sys.stdin.buffer.read(), "standard input")


def _decode(data: bytes, where: str) -> str:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16 with its byte-order mark (Windows Notepad)
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise InputError(f"{where} starts like UTF-16 but is not valid UTF-16",
                             "convert it first, e.g. iconv -f utf-16 -t utf-8") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{where} is not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})",
                         "convert it first, e.g. iconv -f latin1 -t utf-8") from None


@app.command("write", cls=WriteCommand)  # help lists read from the code's tables
def write_cmd(
    ctx: typer.Context,
    text: Annotated[Optional[str], typer.Argument(
        help="Text to write; '-' or nothing with piped input reads standard input.",
        show_default=False)] = None,
    output: Annotated[Optional[str], typer.Option(
        "-o", "--output", help="Output file (.pdf, .png, .jpg) or '-' for standard output.",
        rich_help_panel=_OUT)] = None,
    input_file: Annotated[Optional[Path], typer.Option(
        "-i", "--input", help="Read the text from a UTF-8 file.", rich_help_panel=_OUT)] = None,
    fmt: Annotated[Optional[str], typer.Option(
        "-f", "--format", help="png, jpeg or pdf (default: from the output's suffix).",
        rich_help_panel=_OUT)] = None,
    title: Annotated[Optional[str], typer.Option(help="PDF title.", rich_help_panel=_OUT)] = None,
    author: Annotated[Optional[str], typer.Option(help="PDF author.", rich_help_panel=_OUT)] = None,
    strokes: Annotated[bool, typer.Option(
        "--strokes", help="SVG/PDF: single-line strokes for pen plotters.",
        rich_help_panel=_OUT)] = False,
    clean: Annotated[bool, typer.Option(
        "--clean", help="Remove pages an earlier, longer run left (page-3.png, … past the new last page).",
        rich_help_panel=_OUT)] = False,
    # generators
    generator: Annotated[Optional[List[str]], typer.Option(
        "-g", "--generator", metavar="SCRIPT=NAME",
        help="Use generator NAME for a script, e.g. Latn=font (repeatable).",
        rich_help_panel=_GEN)] = None,
    missing: Annotated[str, typer.Option(
        help="Characters no generator writes: 'error' stops, 'fallback' uses the fallback font.",
        rich_help_panel=_GEN)] = "error",
    style: Annotated[Optional[str], typer.Option(
        help="A named style, or a number as a seed style.", rich_help_panel=_GEN)] = None,
    seed: Annotated[int, typer.Option(
        help="Random seed: the same seed gives the same output.", rich_help_panel=_GEN)] = 0,
    device: Annotated[str, typer.Option(
        help="auto, cpu or cuda for neural generators.", rich_help_panel=_GEN)] = "auto",
    weights: Annotated[Optional[str], typer.Option(
        help="Folder with model weights to use before the bundled ones.",
        rich_help_panel=_GEN)] = None,
    offline: Annotated[bool, typer.Option(
        help="Never download weights.", rich_help_panel=_GEN)] = False,
    # page
    page_size: Annotated[str, typer.Option(
        "-p", "--page-size", help="A4, A5, Letter, Legal or WxH with a unit (210x297mm, 8.5x11in).",
        rich_help_panel=_PAGE)] = "A4",
    landscape: Annotated[bool, typer.Option(
        help="Turn the page sideways.", rich_help_panel=_PAGE)] = False,
    margins: Annotated[str, typer.Option(
        help="One, two (vertical horizontal) or four (top right bottom left) lengths.",
        rich_help_panel=_PAGE)] = "20mm",
    page_numbers: Annotated[bool, typer.Option(
        help="Write page numbers at the bottom.", rich_help_panel=_PAGE)] = False,
    # writing
    x_height: Annotated[Optional[str], typer.Option(
        help="Writing size as the height of a lower-case x (default 2.8mm).",
        rich_help_panel=_WRITING)] = None,
    line_height: Annotated[Optional[str], typer.Option(
        help="Writing size as the distance between baselines (default x-height × 2.9).",
        rich_help_panel=_WRITING)] = None,
    line_spacing: Annotated[float, typer.Option(
        help="Multiplies the line height.", rich_help_panel=_WRITING)] = 1.0,
    word_spacing: Annotated[float, typer.Option(
        help="Multiplies the space between words.", rich_help_panel=_WRITING)] = 1.0,
    align: Annotated[str, typer.Option(help="left or justify.", rich_help_panel=_WRITING)] = "left",
    indent: Annotated[str, typer.Option(
        help="First-line indent of paragraphs.", rich_help_panel=_WRITING)] = "0mm",
    paragraph_gap: Annotated[float, typer.Option(
        help="Empty lines between paragraphs.", rich_help_panel=_WRITING)] = 1.0,
    variation: Annotated[float, typer.Option(
        help="Natural irregularity, 0 (none) to 2.", rich_help_panel=_WRITING)] = 1.0,
    # paper
    paper: Annotated[str, typer.Option(
        help="plain, ruled, grid or dotted.", rich_help_panel=_PAPER)] = "plain",
    margin_line: Annotated[bool, typer.Option(
        help="Draw a notebook's margin line.", rich_help_panel=_PAPER)] = False,
    paper_color: Annotated[str, typer.Option(
        help="Paper colour: a name or #rrggbb.", rich_help_panel=_PAPER)] = "white",
    ink: Annotated[str, typer.Option(
        "--ink", "--ink-color", help="Ink colour: blue-black, black, ballpoint-blue, a name or #rrggbb.",
        rich_help_panel=_PAPER)] = "blue-black",
    dpi: Annotated[int, typer.Option(
        help="Resolution of the writing (300 suits print).", rich_help_panel=_PAPER)] = 300,
    ink_render: Annotated[str, typer.Option(
        "--ink-render", metavar="raster|vector",
        help="raster resamples the generators' ink; vector traces it into outlines filled at the dpi.",
        rich_help_panel=_PAPER)] = "raster",
) -> None:
    """Write TEXT by hand onto pages and save them as PDF, PNG, JPEG or SVG."""
    from .. import api

    body = read_input(text, input_file)
    if output is None:
        if _stdout_is_terminal() or stdout_closed():
            raise UsageError("no output given", "use -o page.pdf, -o page.png, or -o - for stdout")
        output = "-"
    elif output == "-" and _stdout_is_terminal():
        raise UsageError("refusing to write binary page data to the terminal",
                         "redirect it (> page.pdf), pipe it, or give -o FILE")
    if output == "-" and stdout_closed():
        raise OutputError("cannot write to standard output: it is closed",
                          "give -o FILE, or run without >&-")
    options = api.RenderOptions(
        generators=generator, missing=missing, style=style, seed=seed, device=device,
        weights=weights, offline=offline, page_size=page_size,
        orientation="landscape" if landscape else None, margins=margins,
        x_height=x_height, line_height=line_height, line_spacing=line_spacing,
        word_spacing=word_spacing, align=align.lower(), indent=indent, paragraph_gap=paragraph_gap,
        page_numbers=page_numbers, variation=variation, dpi=dpi, paper=paper,
        margin_line=margin_line, paper_color=paper_color, ink_color=ink, format=fmt,
        title=title, author=author, ink_render=ink_render, strokes=strokes)
    obj = ctx.obj or {}
    quiet = obj.get("quiet", False)
    progress = _Progress(quiet=quiet, verbose=obj.get("verbose", False))
    from ..render.output import StdoutSink

    with _warnings_on_stderr(quiet):
        paths = api.write(body, StdoutSink() if output == "-" else output, options,
                          on_page=progress.page)
        progress.done(paths)
        if paths:
            _earlier_pages(output, fmt, len(paths), clean=clean, quiet=quiet)


def _earlier_pages(output: str, fmt: Optional[str], count: int, *, clean: bool, quiet: bool) -> None:
    """Pages an earlier, longer run left beside the new ones: removed with --clean, else a warning
    (a reader of page.png … page-2.png would otherwise take page-3.png for part of this text)."""
    from ..errors import HwrenderWarning
    from ..render.output import earlier_pages, resolve_format

    if resolve_format(output, fmt) == "pdf":
        return
    stale = earlier_pages(output, count)
    if not stale:
        return
    names = ", ".join(stale) if len(stale) <= 3 else f"{stale[0]} … {stale[-1]} ({len(stale)} files)"
    if not clean:
        verb, them = ("are", "them") if len(stale) > 1 else ("is", "it")
        warnings.warn(HwrenderWarning(f"{names} {verb} from an earlier run, not this text "
                                      f"(remove {them}, or add --clean)"))
        return
    for path in stale:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise OutputError(f"cannot remove {path}: {exc.strerror}",
                              "check the output directory's permissions") from None
    if not quiet:
        typer.echo(f"removed {names}: pages from an earlier run", err=True)


@contextlib.contextmanager
def _warnings_on_stderr(quiet: bool) -> Iterator[None]:
    """hwrender's warnings as one ``hwrender: warning: ...`` line each (none with -q)."""
    from ..errors import HwrenderWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore" if quiet else "always", HwrenderWarning)
        shown = warnings.showwarning

        def show(message, category, filename, lineno, file=None, line=None):
            if issubclass(category, HwrenderWarning):
                typer.echo(f"hwrender: warning: {message}", err=True)
            else:
                shown(message, category, filename, lineno, file, line)

        warnings.showwarning = show
        yield


class _Progress:
    """Progress on stderr: a live line on a terminal, a line per page with -v, nothing with -q."""

    def __init__(self, quiet: bool, verbose: bool):
        self.live = not quiet and not verbose and sys.stderr.isatty()
        self.verbose = verbose and not quiet
        self.quiet = quiet
        self.pages = 0
        self.started = time.perf_counter()

    def page(self, number: int) -> None:
        self.pages = number
        elapsed = time.perf_counter() - self.started
        if self.verbose:
            typer.echo(f"page {number} written ({elapsed:.2f} s)", err=True)
        elif self.live:
            typer.echo(f"\rwriting… page {number}", err=True, nl=False)

    def done(self, paths: list[Path]) -> None:
        if self.live:
            typer.echo("\r\033[K", err=True, nl=False)  # clear the live line
        if self.quiet or not paths:
            return  # stdout carried the data: say nothing more
        elapsed = time.perf_counter() - self.started
        pages = f"{self.pages} page{'s' if self.pages != 1 else ''}"
        where = str(paths[0]) if len(paths) == 1 else f"{paths[0]} … {paths[-1].name}"
        typer.echo(f"wrote {where} ({pages}, {elapsed:.1f} s)", err=True)

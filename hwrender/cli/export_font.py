"""``hwrender styles export-font NAME -o F.otf`` and ``hwrender export-font --style S -o F.otf``:
a hand as an installable font (hwrender.styles.font). Notes and progress go to stderr."""

from __future__ import annotations

import contextlib
import sys
import time
from pathlib import Path
from typing import Annotated, Iterator, Optional

import typer

from . import app
from .styles import _quiet, app as styles_app

Output = Annotated[Path, typer.Option("-o", "--output", help="The font to write: .otf, .ttf or .woff2.")]
Script = Annotated[Optional[str], typer.Option(
    help="Only this script's generators and the common characters they write (Latn, Hang, Hani).")]
Variants = Annotated[int, typer.Option(
    help="Drawings per character; an OpenType calt feature takes them in turn.")]
Chars = Annotated[Optional[str], typer.Option(help="The characters to put in the font (default: "
                                                   "every character the style's generators write).")]
CharsetFile = Annotated[Optional[Path], typer.Option(help="A UTF-8 text file of the characters.")]
Charset = Annotated[Optional[str], typer.Option(
    help="A named set: ascii, ksx1001 (2,350 Hangul syllables), gb2312 (6,763 hanzi).")]
Family = Annotated[Optional[str], typer.Option(help="Font family name (default: from the style).")]
Seed = Annotated[int, typer.Option(help="Random seed of the drawings.")]
Weights = Annotated[Optional[str], typer.Option(help="Folder with model weights, before the bundled ones.")]
Offline = Annotated[bool, typer.Option(help="Never download weights.")]
Device = Annotated[str, typer.Option(help="auto, cpu or cuda for the neural generators.")]


def _export(ctx: typer.Context, style, output, script, variants, chars, charset_file, family,
            seed, weights, offline, device, charset=None) -> None:
    from ..errors import UsageError
    from ..styles.font import charset_file as read_charset, export_font, named_charset

    if sum(x is not None for x in (chars, charset_file, charset)) > 1:
        raise UsageError("give one of --chars, --charset-file and --charset",
                         "put all the characters in one")
    if charset_file is not None:
        chars = read_charset(charset_file)
    if charset is not None:
        chars = named_charset(charset)
    quiet = _quiet(ctx)
    notes: list[str] = []
    state: dict = {}
    try:
        with _bar(quiet) as progress:
            report = export_font(output, style, script=script, variants=variants, chars=chars,
                                 seed=seed, family=family, weights=weights, offline=offline or None,
                                 device=device, progress=_tracking(progress, state), notes=notes)
    except KeyboardInterrupt:
        if not quiet and state.get("done"):
            typer.echo(f"hwrender: note: kept {state['done']:,} drawn glyphs in the cache; run the "
                       "same command again to go on from there", err=True)
        raise
    if quiet:
        return
    for line in notes:
        typer.echo(f"hwrender: note: {line}", err=True)
    size = report.path.stat().st_size
    by = ", ".join(f"{g} {n:,}" for g, n in report.generators.items())
    typer.echo(f"wrote {report.path} ({report.family}: {report.glyphs:,} glyphs, {report.chars:,} "
               f"characters x {report.variants} variant{'s' * (report.variants > 1)}, {by}; "
               f"{report.kern_pairs} kerning class pairs; {size / 1024:,.0f} KiB; "
               f"{report.seconds:.0f} s, {report.cached:,} drawings from the cache)", err=True)


def _tracking(progress, state):
    def update(done: int, total: int, message: str) -> None:
        state["done"] = done
        if progress is not None:
            progress(done, total, message)

    return update


@contextlib.contextmanager
def _bar(quiet: bool) -> Iterator:
    """A rich bar with the time left on a terminal; elsewhere a line at every tenth."""
    if quiet:
        yield None
        return
    if not sys.stderr.isatty():
        start = time.monotonic()
        said = [-1]

        def plain(done: int, total: int, message: str) -> None:
            tenth = int(10 * done / max(total, 1))
            if tenth > said[0] and done:
                said[0] = tenth
                spent = time.monotonic() - start
                left = spent * (total - done) / done
                typer.echo(f"drawn {done:,}/{total:,} glyphs ({message}), {spent:.0f} s, "
                           f"about {left:.0f} s left", err=True)

        yield plain
        return
    from rich.console import Console
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                               TimeElapsedColumn, TimeRemainingColumn)

    bars = Progress(TextColumn("[bold]glyphs[/]"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(),
                    TextColumn("{task.description}"), console=Console(stderr=True))
    task = bars.add_task("", total=None)

    def update(done: int, total: int, message: str) -> None:
        bars.update(task, completed=done, total=total, description=message[:50])

    with bars:
        yield update


@styles_app.command("export-font")
def styles_export_font_cmd(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="The stored style (or any --style value).")],
    output: Output,
    script: Script = None,
    variants: Variants = 1,
    chars: Chars = None,
    charset_file: CharsetFile = None,
    charset: Charset = None,
    family: Family = None,
    seed: Seed = 0,
    weights: Weights = None,
    offline: Offline = False,
    device: Device = "auto",
) -> None:
    """Write a style as an installable font: every character drawn by the generator that writes
    it, traced to outlines; --variants N drawings each, taken in turn (calt)."""
    _export(ctx, name, output, script, variants, chars, charset_file, family, seed, weights,
            offline, device, charset)


@app.command("export-font")
def export_font_cmd(
    ctx: typer.Context,
    output: Output,
    style: Annotated[Optional[str], typer.Option(
        help="A stored style, a named style, or a number (default: the default hands).")] = None,
    script: Script = None,
    variants: Variants = 1,
    chars: Chars = None,
    charset_file: CharsetFile = None,
    charset: Charset = None,
    family: Family = None,
    seed: Seed = 0,
    weights: Weights = None,
    offline: Offline = False,
    device: Device = "auto",
) -> None:
    """Write a hand as an installable font (.otf, .ttf, .woff2); see `hwrender styles export-font`."""
    _export(ctx, style, output, script, variants, chars, charset_file, family, seed, weights,
            offline, device, charset)

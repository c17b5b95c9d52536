"""``hwrender styles``: add your own handwriting as a style, and list, show, remove, export and import
stored styles (a thin layer over hwrender.styles). Data goes to stdout, notes to stderr."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import Annotated, Iterator, Optional

import typer

from ..errors import UsageError
from ._console import note, print_table

app = typer.Typer(
    name="styles",
    help="Your own handwriting as a style: add one from extracted samples, list, show, remove, "
         "export and import them.",
    no_args_is_help=True,
)

NameArg = Annotated[str, typer.Argument(metavar="NAME", help="Style name, e.g. my-hand.")]


def _quiet(ctx: typer.Context) -> bool:
    return bool((ctx.obj or {}).get("quiet"))


@app.command("add")
def add_cmd(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="Name for the new style, e.g. my-hand.")],
    samples: Annotated[Path, typer.Argument(
        metavar="DIR", help="The folder `hwrender extract IMG... -o DIR` wrote.")],
    force: Annotated[bool, typer.Option("--force", help="Replace a style of that name.")] = False,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda for the fits.")] = "auto",
    steps: Annotated[Optional[int], typer.Option(
        help="Fit steps per model (default: each model's own, sized for ~10 min on 2 CPU cores).")] = None,
    weights: Annotated[Optional[str], typer.Option(
        help="Folder with model weights to fit to, before the bundled ones.")] = None,
    offline: Annotated[bool, typer.Option(help="Never download weights.")] = False,
    seed: Annotated[int, typer.Option(help="Random seed of the fits.")] = 0,
) -> None:
    """Fit every installed model to the samples in DIR and store them as the style NAME."""
    from ..styles.fit import add

    quiet = _quiet(ctx)
    notes: list[str] = []
    with _bars(quiet) as progress:
        style = add(name, samples, force=force, device=device, steps=steps, weights=weights,
                    offline=offline, seed=seed, progress=progress, notes=notes)
    if quiet:
        return
    for line in notes:
        typer.echo(f"hwrender: note: {line}", err=True)
    data = json.loads((style.folder / "style.json").read_text(encoding="utf-8"))
    parts = ", ".join(f"{m} ({p.get('used')} samples, {p.get('fit_s', 0):.0f} s)"
                      for m, p in sorted(data["parts"].items()))
    typer.echo(f"added style {style.name}: {parts}; write with --style {style.name}", err=True)


@contextlib.contextmanager
def _bars(quiet: bool) -> Iterator:
    """A rich progress bar per model on a terminal (time spent and an estimate of what is
    left); elsewhere one line per model as it finishes."""
    if quiet:
        yield None
        return
    if not sys.stderr.isatty():
        finished: set[str] = set()

        def plain(model: str, fraction: float, message: str = "") -> None:
            if fraction >= 1.0 and model not in finished:  # a fitter may say 1.0 itself
                finished.add(model)
                typer.echo(f"{model}: {message}", err=True)

        yield plain
        return
    from rich.console import Console
    from rich.progress import (BarColumn, Progress, TaskProgressColumn, TextColumn,
                               TimeElapsedColumn, TimeRemainingColumn)

    bars = Progress(TextColumn("[bold]{task.fields[model]}[/]"), BarColumn(), TaskProgressColumn(),
                    TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(),
                    TextColumn("{task.description}"), console=Console(stderr=True))
    tasks: dict[str, int] = {}

    def update(model: str, fraction: float, message: str = "") -> None:
        if model not in tasks:
            tasks[model] = bars.add_task("", total=1.0, model=model)
        bars.update(tasks[model], completed=max(0.0, min(1.0, float(fraction))),
                    description=str(message)[:60])

    with bars:
        yield update


@app.command("list")
def list_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Show the stored styles: name, the models they have parts for, samples, when made."""
    from ..styles.store import list_styles, root

    styles = list_styles()
    if as_json:
        typer.echo(json.dumps([{"name": s.name, "models": list(s.models), "samples": s.samples,
                                "created": s.created, "folder": str(s.folder)} for s in styles],
                              indent=2))
        return
    if not styles:
        note(f"no stored styles in {root()} (add one with `hwrender styles add NAME DIR`)")
        return
    print_table(("NAME", "MODELS", "SAMPLES", "CREATED"),
                [(s.name, ", ".join(s.models) or "-", str(s.samples), s.created) for s in styles])


@app.command("show")
def show_cmd(name: NameArg) -> None:
    """Print the style's card: when it was made, from how many samples, what each fit measured."""
    from ..styles.store import card

    typer.echo(card(name).rstrip("\n"))


@app.command("remove")
def remove_cmd(ctx: typer.Context, name: NameArg) -> None:
    """Delete a stored style."""
    from ..styles.store import remove

    folder = remove(name)
    if not _quiet(ctx):
        typer.echo(f"removed style {name} ({folder})", err=True)


@app.command("export")
def export_cmd(
    ctx: typer.Context,
    name: NameArg,
    output: Annotated[str, typer.Option(
        "-o", "--output", help="The .hwstyle file to write, or '-' for standard output.")],
) -> None:
    """Pack a stored style into one .hwstyle file, to import on another machine."""
    from ..render.output import StdoutSink
    from ..styles.store import export

    if output == "-":
        if sys.stdout.isatty():
            raise UsageError("refusing to write a style file to the terminal",
                             "redirect it (> my-hand.hwstyle) or give -o FILE")
        export(name, StdoutSink())
        return
    path = export(name, output)
    if not _quiet(ctx):
        typer.echo(f"wrote {path}", err=True)


@app.command("import")
def import_cmd(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(
        metavar="FILE", help="A .hwstyle file `hwrender styles export` wrote ('-': standard input).")],
    name: Annotated[Optional[str], typer.Option(
        "--name", help="Store it under this name instead of its own.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace a style of that name.")] = False,
) -> None:
    """Install a style from a .hwstyle file (checked first; nothing but safetensors is read)."""
    from ..styles.store import import_

    style = import_(source, name, force=force)
    if not _quiet(ctx):
        typer.echo(f"imported style {style.name} ({', '.join(style.models)}); write with "
                   f"--style {style.name}", err=True)

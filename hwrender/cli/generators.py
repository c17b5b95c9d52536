"""``hwrender generators``: which generators are installed and what they write."""

from __future__ import annotations

import json
import sys
import textwrap
from typing import Annotated

import typer

from . import app

_COLUMNS = ("NAME", "SCRIPTS", "UNIT", "PRIORITY", "USED", "WEIGHTS")
_STYLES_TITLE = "Styles (--style NAME; without --style each writes its default):"
_INDENT = 2


@app.command("generators")
def generators_cmd(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List installed generators: name, scripts, unit, priority, weights status and styles."""
    from ..registry import default_registry
    from .write import _warnings_on_stderr

    with _warnings_on_stderr((ctx.obj or {}).get("quiet", False)):
        specs = default_registry().specs()
    rows = [{
        "name": s.name,
        "scripts": list(s.scripts),
        "unit": s.unit,
        "priority": s.priority,
        "default": s.auto,
        "fallback": s.fallback,
        "styles": list(s.styles),
        "default_style": s.default_style_name(),
        "weights": s.weights_status(),
        "description": s.description,
    } for s in specs]
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    from rich.console import Console  # rich loads only when a table is printed

    # A terminal gets lines that fit it; a pipe gets one unwrapped line per row, for grep.
    width = None if sys.stdout.isatty() else 100_000
    print_listing(rows, Console(width=width, markup=False, highlight=False))


def styles_text(row: dict) -> str:
    """``lxgw-wenkai (default), ar-pl-kaiti-gb, …``; a numbered default (a seeded hand) is named
    after the list."""
    names, default = list(row["styles"]), row["default_style"]
    if default in names:
        names.remove(default)
        names.insert(0, f"{default} (default)")
    if default is None or default in row["styles"]:
        return ", ".join(names) or "-"
    hands = "a number (a seeded hand)"
    return f"{', '.join(names)} or {hands}; default {default}" if names else \
        f"{hands}; default {default}"


def print_listing(rows: list[dict], console) -> None:
    """The generators as a table, then each one's styles, wrapped to the console's width.

    Styles are a section of their own, not a column: a glyph styler has 8-12 style names, which
    in a column would squeeze every other column (and break names mid-word) at 80 columns.
    """
    from rich.table import Table

    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    for column in _COLUMNS:
        table.add_column(column, overflow="fold")
    for r in rows:
        used = "fallback" if r["fallback"] else ("by default" if r["default"] else "when named")
        table.add_row(r["name"], ", ".join(r["scripts"]), r["unit"], str(r["priority"]), used,
                      r["weights"])
    console.print(table)
    if not rows:
        return
    console.print()
    console.print(_STYLES_TITLE, soft_wrap=True)
    label = max(len(r["name"]) for r in rows) + 2
    for r in rows:
        text = textwrap.fill(
            styles_text(r), width=max(console.width, label + _INDENT + 20),
            initial_indent=" " * _INDENT + r["name"].ljust(label),
            subsequent_indent=" " * (_INDENT + label),
            break_long_words=False, break_on_hyphens=False)
        console.print(text, soft_wrap=True)

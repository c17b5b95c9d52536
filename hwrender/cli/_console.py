"""Output helpers shared by the commands: tables on stdout, notes on stderr."""

from __future__ import annotations

import sys
from typing import Iterable, Sequence

import typer


def note(message: str) -> None:
    """A human note on stderr; kept off when stderr is not a terminal so pipelines stay clean."""
    if sys.stderr.isatty():
        typer.echo(message, err=True)


def print_table(columns: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """A table on stdout: fitted to a terminal, unwrapped (one row per line) for pipes."""
    from rich.console import Console  # rich loads only when a table is printed
    from rich.table import Table

    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*row)
    width = None if sys.stdout.isatty() else 100_000
    # markup off: statuses and paths may contain brackets that rich would otherwise eat.
    Console(width=width, markup=False, highlight=False).print(table)

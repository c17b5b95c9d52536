"""``hwrender generators``: which generators are installed and what they write."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from . import app


@app.command("generators")
def generators_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List installed generators: name, scripts, unit, priority, styles and weights status."""
    from ..registry import default_registry

    specs = default_registry().specs()
    rows = [{
        "name": s.name,
        "scripts": list(s.scripts),
        "unit": s.unit,
        "priority": s.priority,
        "default": s.auto,
        "fallback": s.fallback,
        "styles": list(s.styles),
        "weights": s.weights_status(),
        "description": s.description,
    } for s in specs]
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=None, show_edge=False, header_style="bold")
    for col in ("name", "scripts", "unit", "priority", "used", "styles", "weights"):
        table.add_column(col)
    for r in rows:
        used = "fallback" if r["fallback"] else ("by default" if r["default"] else "when named")
        table.add_row(r["name"], ", ".join(r["scripts"]), r["unit"], str(r["priority"]), used,
                      ", ".join(r["styles"]) or "-", r["weights"])
    Console(soft_wrap=True).print(table)

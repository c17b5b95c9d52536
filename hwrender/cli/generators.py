"""``hwrender generators``: which generators are installed and what they write."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from . import app
from ._console import print_table


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
    print_table(
        ("NAME", "SCRIPTS", "UNIT", "PRIORITY", "USED", "STYLES", "WEIGHTS"),
        [(r["name"], ", ".join(r["scripts"]), r["unit"], str(r["priority"]),
          "fallback" if r["fallback"] else ("by default" if r["default"] else "when named"),
          ", ".join(r["styles"]) or "-", r["weights"]) for r in rows])

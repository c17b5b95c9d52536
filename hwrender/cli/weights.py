"""``hwrender weights``: list, pull, verify and push model weights (a thin layer over hwrender.weights).

Data (tables, JSON, paths, commits) goes to stdout; notes go to stderr, only when it is a terminal.
Problems are raised as HwrenderError; the top-level ``main()`` turns them into one-line messages.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from .. import weights

if TYPE_CHECKING:  # pragma: no cover
    from rich.table import Table
from ..errors import WeightsError

app = typer.Typer(
    name="weights",
    help="List, download, check and publish the weights of neural generators.",
    no_args_is_help=True,
)

NameArg = Annotated[
    str, typer.Argument(metavar="NAME", help="Model name, as shown by `hwrender weights list`.")
]


def _note(message: str) -> None:
    """A human note on stderr; kept off when stderr is not a terminal so pipelines stay clean."""
    if sys.stderr.isatty():
        typer.echo(message, err=True)


def _table(*columns: str) -> "Table":
    from rich.table import Table  # rich loads only when a table is printed

    table = Table(box=None, pad_edge=False, show_edge=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def _print(table: "Table") -> None:
    """Print a table to stdout: fitted to a terminal, unwrapped (one row per line) for pipes."""
    from rich.console import Console

    width = None if sys.stdout.isatty() else 100_000
    # markup off: statuses and paths may contain brackets that rich would otherwise eat.
    Console(width=width, markup=False, highlight=False).print(table)


@app.command("list")
def list_models(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON (full revisions) instead of a table.")
    ] = False,
) -> None:
    """Show every model hwrender knows: its Hub repo, pinned revision and local status."""
    models = weights.list_models()
    if as_json:
        typer.echo(json.dumps([dataclasses.asdict(m) for m in models], indent=2))
        return
    if not models:
        _note("no models are installed (see HWRENDER_WEIGHTS_ROOT)")
        return
    table = _table("NAME", "REPO", "REVISION", "STATUS")
    for m in models:
        table.add_row(m.name, m.repo_id or "-", (m.revision or "-")[:7], m.status)
    _print(table)


@app.command()
def pull(
    name: NameArg,
    force: Annotated[
        bool, typer.Option("--force", help="Download again even if cached (repairs a damaged cache).")
    ] = False,
) -> None:
    """Download a model at its pinned revision into the Hugging Face cache and check it; prints its folder."""
    files = weights.pull(name, force=force)
    _note(f"{name}: {files.source}, all {len(files.manifest.files)} files match the manifest")
    typer.echo(str(files.folder))


@app.command()
def verify(
    name: NameArg,
    weights_dir: Annotated[
        Optional[Path],
        typer.Option("--weights", metavar="DIR", help="Check this folder instead of the store."),
    ] = None,
) -> None:
    """Hash every file of a model and compare it with the manifest; exits non-zero on any mismatch."""
    report = weights.verify(name, weights_dir)
    table = _table("FILE", "SIZE", "SHA256", "RESULT")
    for check in report.files:
        size = "-" if check.size is None else str(check.size)
        table.add_row(check.filename, size, (check.sha256 or "-")[:12], check.problem or "ok")
    _print(table)
    failed = [f"{c.filename}: {c.problem}" for c in report.files if c.problem]
    if failed:
        where = f" in {report.folder}" if report.folder else ""
        raise WeightsError(f"model {name!r} failed verification{where}: {'; '.join(failed)}", report.hint)
    _note(f"{name}: all {len(report.files)} files verified ({report.source})")


@app.command()
def push(
    folder: Annotated[
        Path, typer.Argument(metavar="FOLDER", help="A model folder written by save_model or a trainer.")
    ],
    repo: Annotated[str, typer.Option("--repo", metavar="ORG/NAME", help="The Hub repo to upload to.")],
    private: Annotated[bool, typer.Option("--private", help="Create the repo as private.")] = False,
    message: Annotated[Optional[str], typer.Option("--message", "-m", help="Commit message.")] = None,
) -> None:
    """Upload a model folder to the Hub and pin the new commit in its manifest.json; prints the commit."""
    commit = weights.push(folder, repo, private=private, commit_message=message)
    _note(f"pushed {folder} to {repo}; {folder / weights.MANIFEST_FILE} now pins {commit}")
    typer.echo(commit)

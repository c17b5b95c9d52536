"""``hwrender weights``: list, pull, verify and push model weights (a thin layer over hwrender.weights).

Data (tables, JSON, paths, commits) goes to stdout; notes go to stderr, only when it is a terminal.
Problems are raised as HwrenderError; the top-level ``main()`` turns them into one-line messages.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from .. import weights
from ._console import note as _note
from ._console import print_table

from ..errors import WeightsError

app = typer.Typer(
    name="weights",
    help="List, download, check and publish the weights of neural generators.",
    no_args_is_help=True,
)

_NOT_ON_HUB = "bundled (not on the Hub)"  # a manifest that pins no repo: the model ships only here

NameArg = Annotated[
    str, typer.Argument(metavar="NAME", help="Model name, as shown by `hwrender weights list`.")
]


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
    rows = []
    for m in models:
        # no repo in a good manifest: bundled only; in a bad one nothing is known, so "-"
        none = "-" if m.status.startswith("bad manifest") else _NOT_ON_HUB
        rows.append((m.name, m.repo_id or none, (m.revision or "")[:7] or none, m.status))
    print_table(("NAME", "REPO", "REVISION", "STATUS"), rows)


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
    """Hash every file of a model and compare it with the manifest; exits non-zero on any mismatch,
    and for a folder with no manifest.json (its files are then unverified)."""
    report = weights.verify(name, weights_dir)
    intact = "ok" if report.checked else f"unverified (no {weights.MANIFEST_FILE})"
    print_table(("FILE", "SIZE", "SHA256", "RESULT"),
                [(c.filename, "-" if c.size is None else str(c.size), (c.sha256 or "-")[:12],
                  c.problem or intact) for c in report.files])
    failed = [f"{c.filename}: {c.problem}" for c in report.files if c.problem]
    where = f" in {report.folder}" if report.folder else ""
    if failed:
        raise WeightsError(f"model {name!r} failed verification{where}: {'; '.join(failed)}", report.hint)
    if not report.checked:  # nothing to compare the hashes with: not a pass (exit 1)
        raise WeightsError(f"model {name!r}{where} is unverified: it has no {weights.MANIFEST_FILE}, "
                           "so nothing says what its files should hash to", weights.UNVERIFIED_FIX)
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

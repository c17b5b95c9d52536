"""``hwrender fonts``: list the training font corpus and install what is missing (over hwrender.fonts).

Data (the table, JSON, shell commands to run) goes to stdout; the summary and progress go to stderr.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from .. import fonts
from ..errors import HwrenderError, UsageError
from ._console import print_table

app = typer.Typer(
    name="fonts",
    help="List and install the open handwriting fonts the generators train on.",
    no_args_is_help=True,
)

ScriptOption = Annotated[Optional[str], typer.Option(
    "--script", metavar="|".join(fonts.SCRIPTS), help="Only fonts for this script (ISO 15924).")]


def _split(record: fonts.FontRecord) -> str:
    return "holdout" if record.holdout else "train"


@app.command("list")
def list_fonts(
    script: ScriptOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON records instead of a table.")] = False,
) -> None:
    """Show every corpus font: scripts, role, licence, split and whether it is installed here."""
    records = fonts.corpus(script)
    paths = {r.id: fonts.locate(r) for r in records}
    if as_json:
        typer.echo(json.dumps([{**dataclasses.asdict(r), "split": _split(r), "present": paths[r.id] is not None,
                                "path": None if paths[r.id] is None else str(paths[r.id])}
                               for r in records], indent=2, ensure_ascii=False))
    else:
        print_table(("ID", "SCRIPTS", "ROLE", "LICENSE", "SPLIT", "STATUS", "PATH"),
                    [(r.id, ",".join(r.scripts), r.role, r.license, _split(r),
                      "present" if paths[r.id] else "missing", str(paths[r.id] or "-")) for r in records])
    present = [r for r in records if paths[r.id]]
    summary = (f"{len(records)} fonts: {len(present)} present "
               f"({sum(not r.holdout for r in present)} train, {sum(r.holdout for r in present)} holdout), "
               f"{len(records) - len(present)} missing")
    commands = fonts.install_commands(records)
    if commands:
        summary += "; install them with: " + " && ".join(commands)
    typer.echo(summary, err=True)


@app.command()
def install(
    script: ScriptOption = None,
    model: Annotated[Optional[str], typer.Option(
        "--model", metavar="MODEL", help="Only what this trainable model needs (its fonts and "
                                         "Debian packages, e.g. word lists); see `hwrender train`.")] = None,
    dest: Annotated[Optional[Path], typer.Option(
        "--dest", metavar="DIR", help="Where converted npm fonts go (default: $HWRENDER_FONTS_DIR or "
                                      "~/.local/share/hwrender/fonts).")] = None,
    apt: Annotated[bool, typer.Option(
        "--apt/--no-apt", help="Run apt-get for the Debian packages (as root, or through sudo); "
                               "--no-apt prints the apt-get line instead.")] = True,
    force: Annotated[bool, typer.Option("--force", help="Rebuild npm fonts that are already there.")] = False,
) -> None:
    """Install what the models train on: Debian font and word-list packages (apt-get), and the
    npm fonts (downloaded, converted and merged). Without options: everything every model needs."""
    if model is not None and script is not None:
        raise UsageError("give --model or --script, not both", "--model covers the scripts it needs")
    if model is not None:
        records, packages = fonts.needs(model)
    elif script is not None:
        records, packages = fonts.corpus(script), {}
    else:
        records, packages = fonts.needs_all()
    todo = fonts.plan(records, packages, dest, force)
    present = len(records) - len(todo.npm) - sum(1 for r in records if r.apt_package in todo.apt)
    if not todo:
        typer.echo(f"everything is installed ({len(records)} fonts"
                   f"{f', {len(packages)} other packages' if packages else ''})", err=True)
        return
    typer.echo(f"installing {len(todo.apt)} Debian packages and {len(todo.npm)} npm fonts "
               f"({present} fonts already here)", err=True)
    blocked: HwrenderError | None = None
    if todo.apt and not apt:
        typer.echo(fonts.apt_command(todo.apt))
    elif todo.apt:
        try:
            fonts.install_apt(todo.apt)
        except fonts.NeedsRoot as exc:  # the npm fonts need no root: install them first
            blocked = exc
    done = [0]

    def progress(line: str) -> None:
        done[0] += 1
        typer.echo(f"[{done[0]}/{len(todo.npm)}] {line}", err=True)

    report = fonts.install_npm(todo.npm, dest, force=force, progress=progress)
    if dest is not None and dest.expanduser().resolve() != fonts.fonts_dir().resolve() and report.installed:
        typer.echo(f"note: set HWRENDER_FONTS_DIR={dest} so hwrender finds them", err=True)
    if blocked is not None:
        raise blocked
    if report.failed:
        reasons = "; ".join(f"{font_id}: {why}" for font_id, why in report.failed.items())
        offline = all(any(code in why for code in fonts.NETWORK_CODES) for why in report.failed.values())
        raise HwrenderError(f"{len(report.failed)} npm fonts failed: {reasons}",
                            "npm cannot reach its registry: check the network or npm's registry "
                            "setting, then rerun `hwrender fonts install`" if offline else
                            "rerun `hwrender fonts install`; fonts that keep failing need their fonts.json record fixed")

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
from ..errors import HwrenderError
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
    dest: Annotated[Optional[Path], typer.Option(
        "--dest", metavar="DIR", help="Where converted npm fonts go (default: $HWRENDER_FONTS_DIR or "
                                      "~/.local/share/hwrender/fonts).")] = None,
    apt: Annotated[bool, typer.Option(
        "--apt", help="Also run apt-get for the Debian fonts (needs root or sudo).")] = False,
    force: Annotated[bool, typer.Option("--force", help="Rebuild npm fonts that are already there.")] = False,
) -> None:
    """Download, convert and merge the npm fonts; print (or with --apt run) the apt-get line for the rest."""
    records = fonts.corpus(script)
    if apt:
        for package in fonts.install_apt(records):
            typer.echo(f"installed {package}", err=True)
    else:
        missing_apt = [r for r in records if r.apt_package and fonts.locate(r) is None]
        for command in fonts.install_commands(missing_apt):
            typer.echo(command)
    report = fonts.install_npm(records, dest, force=force, progress=lambda line: typer.echo(line, err=True))
    if report.present:
        typer.echo(f"{len(report.present)} npm fonts were already installed", err=True)
    if dest is not None and dest.expanduser().resolve() != fonts.fonts_dir().resolve() and report.installed:
        typer.echo(f"note: set HWRENDER_FONTS_DIR={dest} so hwrender finds them", err=True)
    if report.failed:
        reasons = "; ".join(f"{font_id}: {why}" for font_id, why in report.failed.items())
        raise HwrenderError(f"{len(report.failed)} npm fonts failed: {reasons}",
                            "rerun `hwrender fonts install`; fonts that keep failing need their fonts.json record fixed")

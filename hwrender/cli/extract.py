"""``hwrender extract IMG... -o DIR``: photos or scans of filled templates -> a samples folder.

The folder (one PNG per box, ``samples.json``, ``overview.png``) is what ``hwrender styles add``
reads. What was found on each sheet goes to stderr; the folder's path to stdout.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, List

import typer

from . import app


@app.command("extract")
def extract_cmd(
    ctx: typer.Context,
    images: Annotated[List[Path], typer.Argument(
        metavar="IMG", help="Photos or scans of filled templates: JPEG, PNG, HEIC (with "
                               "pillow-heif), TIFF, or a PDF with one sheet per page.")],
    output: Annotated[Path, typer.Option(
        "-o", "--output", metavar="DIR", help="The samples folder to write (replaced if it holds an "
                                              "earlier extraction).")],
    force: Annotated[bool, typer.Option(
        "--force", help="Replace DIR even if it holds something else.")] = False,
) -> None:
    """Cut the boxes of photographed or scanned templates into a samples folder.

    Finds each sheet's corner marks, straightens and flattens it, and writes one image per box,
    samples.json, and overview.png to check at a glance (flagged boxes are red)."""
    from ..sheets.extract import extract
    from .write import _warnings_on_stderr

    quiet = bool((ctx.obj or {}).get("quiet"))

    def progress(result) -> None:
        if not quiet:
            typer.echo(f"{result.source}: {result.summary()}", err=True)

    with _warnings_on_stderr(quiet):
        report = extract(images, output, force=force, progress=progress)
    if not quiet:
        flagged = sum(bool(c.flags) and "empty" not in c.flags for r in report.pages for c in r.cuts)
        typer.echo(f"{report.usable} samples from {len(report.pages)} "
                   f"sheet{'s' if len(report.pages) != 1 else ''} ({flagged} flagged); "
                   f"check them in {report.overview}, delete a bad sample's PNG, then run "
                   f"`hwrender styles add NAME {report.out}`", err=True)
    typer.echo(str(report.out))

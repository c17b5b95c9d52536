"""``hwrender template KIND -o sheet.pdf``: printable handwriting templates (or ``--list-chars``).

The PDF's path goes to stdout; with ``--list-chars`` the characters, one line, and nothing else.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from . import app


@app.command("template")
def template_cmd(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(
        metavar="KIND", help="latin, hangul, cjk or emnist: the model the sheet teaches your hand.",
        show_default=False)],
    output: Annotated[Optional[str], typer.Option(
        "-o", "--output", help="The PDF to write (- for standard output).", show_default=False)] = None,
    pages: Annotated[Optional[str], typer.Option(
        "--pages", metavar="N,M", help="Only these pages, e.g. 1,2 (default: all).")] = None,
    paper: Annotated[str, typer.Option("--paper", metavar="A4|Letter", help="Paper size.")] = "A4",
    fill_font: Annotated[Optional[str], typer.Option(
        "--fill-font", metavar="FONT", help="Fill every box with this font's glyphs, jittered: "
                                            "a sample of a filled sheet, or a test without a pen.")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Jitter of --fill-font.")] = 0,
    list_chars: Annotated[bool, typer.Option(
        "--list-chars", help="Print the characters the template holds, one line, and exit.")] = False,
) -> None:
    """Make a handwriting sheet to print, fill in and photograph (then `hwrender extract`).

    Corner marks, a box for each character and, for Latin, ruled lines for words and sentences."""
    from ..errors import UsageError
    from ..sheets import layout

    if list_chars:
        if pages is None:
            typer.echo(layout.charset(kind))
        else:  # the characters of the pages asked for (it listed the whole template's)
            from ..sheets.template import select_pages

            chosen = select_pages(kind, _parse_pages(pages), _paper(paper))
            typer.echo("".join(dict.fromkeys(ch for page in chosen for box in page.boxes
                                             for ch in box.text if not ch.isspace())))
        return
    if output is None:
        raise UsageError("missing -o FILE.pdf", f"e.g. hwrender template {kind} -o sheet.pdf")
    from ..sheets.template import write_template

    layout.charset(kind)  # an unknown kind is reported before the output path
    numbers = _parse_pages(pages) if pages is not None else None
    path = write_template(kind, output, pages=numbers, paper=_paper(paper), fill_font=fill_font,
                          seed=seed)
    if not (ctx.obj or {}).get("quiet"):
        count = len(set(numbers)) if numbers else len(layout.pages(kind, _paper(paper)))
        typer.echo(f"{count} page{'s' if count != 1 else ''} of the {kind} template: print, write in "
                   f"the boxes, photograph or scan, then `hwrender extract PHOTO... -o DIR`",
                   err=True)
    if path is not None:  # "-o -": the PDF went to stdout
        typer.echo(str(path))


def _parse_pages(text: str) -> list[int]:
    from ..errors import UsageError

    numbers = []
    for part in text.split(","):
        part = part.strip()
        lo, sep, hi = part.partition("-")
        if not (lo.isdigit() and (not sep or hi.isdigit())):
            raise UsageError(f"--pages {text!r} is not a list of page numbers", "e.g. --pages 1,2 or --pages 2-3")
        numbers += range(int(lo), int(hi) + 1) if sep else [int(lo)]
    return numbers


def _paper(name: str) -> str:
    """Paper names as people type them (a4, letter)."""
    from ..sheets.layout import PAPERS

    return next((p for p in PAPERS if p.lower() == name.lower()), name)

"""The ``hwrender`` command line: a thin Typer layer over the Python API.

Data goes to stdout, messages to stderr. Errors are one line (``hwrender: error: ...``) with exit
code 1 (runtime) or 2 (usage); ``HWRENDER_DEBUG=1`` shows the traceback instead.
Commands import their heavy modules inside the command so ``hwrender --help`` stays fast.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated, Optional

import typer
from typer.core import TyperGroup
from typer.exceptions import TyperException

from .. import __version__
from ..errors import HwrenderError


def debug_enabled() -> bool:
    return os.environ.get("HWRENDER_DEBUG", "") not in ("", "0")


class _Group(TyperGroup):
    """Turns errors from any subcommand into a one-line message and an exit code."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, TyperException):
            raise  # Typer's own exits and usage errors
        except HwrenderError as exc:
            if debug_enabled():
                raise
            typer.echo(f"hwrender: error: {exc.one_line()}", err=True)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            typer.echo("hwrender: interrupted", err=True)
            raise typer.Exit(130) from None
        except Exception as exc:  # a bug or an environment failure (disk full, ...)
            if debug_enabled():
                raise
            detail = " ".join(str(exc).split()) or "no details"
            typer.echo(f"hwrender: error: unexpected {type(exc).__name__}: {detail} (rerun with "
                       "HWRENDER_DEBUG=1 to see the traceback, and report it if it is a bug)",
                       err=True)
            raise typer.Exit(1) from None


app = typer.Typer(
    cls=_Group,
    name="hwrender",
    help="Turn text into realistic handwriting: pages written by neural generators, as PNG or PDF.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"hwrender {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    version: Annotated[Optional[bool], typer.Option(
        "--version", callback=_version, is_eager=True, help="Show the version and exit.")] = None,
    verbose: Annotated[bool, typer.Option("-v", "--verbose", help="Say more on stderr.")] = False,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="Say nothing on stderr but errors.")] = False,
) -> None:
    ctx.obj = {"verbose": verbose and not quiet, "quiet": quiet}


from . import generators as _generators  # noqa: E402,F401  (commands register on import)
from . import write as _write  # noqa: E402,F401
from . import train as _train  # noqa: E402,F401
from . import interpolate as _interpolate  # noqa: E402,F401
from . import weights as _weights  # noqa: E402
from . import fonts as _fonts  # noqa: E402

app.add_typer(_weights.app, name="weights")
app.add_typer(_fonts.app, name="fonts")


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    try:
        app(args=argv, prog_name="hwrender")
    except HwrenderError as exc:  # raised outside a command (e.g. while parsing)
        if debug_enabled():
            raise
        print(f"hwrender: error: {exc.one_line()}", file=sys.stderr)
        sys.exit(exc.exit_code)

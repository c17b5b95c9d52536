"""The ``hwrender`` command line: a thin Typer layer over the Python API.

Data goes to stdout, messages to stderr. Errors are one line (``hwrender: error: ...``) with exit
code 1 (runtime) or 2 (usage); ``HWRENDER_DEBUG=1`` shows the traceback instead.
Commands import their heavy modules inside the command so ``hwrender --help`` stays fast.
"""

from __future__ import annotations

import copy
import os
import re
import sys
from typing import Annotated, Optional

import typer
from typer.core import TyperGroup
from typer.exceptions import TyperException

from .. import __version__
from ..errors import HwrenderError, Terminated


def debug_enabled() -> bool:
    return os.environ.get("HWRENDER_DEBUG", "") not in ("", "0")


def _error(message: str, code: int) -> "typer.Exit":
    typer.echo(f"hwrender: error: {message}", err=True)
    return typer.Exit(code)


class _Group(TyperGroup):
    """Turns errors from any subcommand into a one-line message and an exit code."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        _share_level_options(self)
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
            _flush_stdout()
        except typer.Exit as exc:  # raised by our own handlers below, outside Typer's main
            code = exc.exit_code
        except TyperException as exc:  # Click's usage errors (Typer's vendored Click derives them)
            code = _usage_error(exc)
        except HwrenderError as exc:  # raised while parsing (an option's callback)
            if debug_enabled():
                raise
            typer.echo(f"hwrender: error: {exc.one_line()}", err=True)
            code = exc.exit_code
        except typer.Abort:
            typer.echo("hwrender: aborted", err=True)
            code = 1
        sys.exit(code if isinstance(code, int) else 0)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, TyperException):
            raise  # Typer's own exits and usage errors
        except HwrenderError as exc:
            if debug_enabled():
                raise
            raise _error(exc.one_line(), exc.exit_code) from None
        except KeyboardInterrupt:
            typer.echo("hwrender: interrupted", err=True)
            raise typer.Exit(130) from None
        except Terminated as exc:  # SIGTERM/SIGHUP, after output files were cleaned up
            raise typer.Exit(exc.exit_code) from None
        except BrokenPipeError:
            # The reader went away (`| head`): end quietly, exit 1 as Typer and rich do for their
            # own output (--help, tables), so every command answers a closed pipe the same way.
            _silence_stdout()
            raise typer.Exit(1) from None
        except Exception as exc:  # a bug or an environment failure (disk full, ...)
            if debug_enabled():
                raise
            if isinstance(exc, OSError) and _stdout_failing():  # echo() to a full disk, say
                _silence_stdout()
                raise _error(f"cannot write to standard output: {exc.strerror or exc}", 1) from None
            detail = " ".join(str(exc).split()) or "no details"
            raise _error(f"unexpected {type(exc).__name__}: {detail} (rerun with HWRENDER_DEBUG=1 "
                         "to see the traceback, and report it if it is a bug)", 1) from None


def _usage_error(exc: TyperException) -> int:
    """One line for Click's errors (instead of Typer's boxed panel), with where to find help."""
    code = getattr(exc, "exit_code", 2)
    if type(exc).__name__ == "NoArgsIsHelpError":
        return code  # the help itself was already printed
    message = " ".join(exc.format_message().split()).rstrip(".")
    message = re.sub(r"\s*\(Possible options?: (.*)\)$", r"; did you mean \1?", message)
    if message[:1].isupper() and message[1:2].islower():
        message = message[0].lower() + message[1:]
    ctx = getattr(exc, "ctx", None)
    hint = f" (see {ctx.command_path if ctx is not None else 'hwrender'} --help)"
    typer.echo(f"hwrender: error: {message}{hint}", err=True)
    return code


def _share_level_options(group) -> None:
    """Let every command take -q/-v after its name too (``hwrender write -q``), as people type them.

    The root's own options are copied onto each subcommand (nested ones included) and fold into
    the same ``ctx.obj`` the commands read, so no command has to declare them.
    """
    shared = [p for p in group.params if p.name in ("verbose", "quiet")]

    def add(command) -> None:
        for sub in getattr(command, "commands", {}).values():
            if not any(p.name in ("verbose", "quiet") for p in sub.params):
                for param in shared:
                    copy_ = copy.copy(param)
                    copy_.expose_value = False
                    copy_.callback = _merge_level
                    sub.params.append(copy_)
            add(sub)

    add(group)


def _merge_level(ctx, param, value: bool) -> bool:
    obj = ctx.ensure_object(dict)
    if value:
        obj[param.name] = True
    obj["verbose"] = bool(obj.get("verbose")) and not obj.get("quiet")
    return value


def _flush_stdout() -> None:
    """Flush what commands printed, so a full disk or closed pipe is reported, not ignored at exit."""
    if sys.stdout is None:
        return
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
        raise typer.Exit(1) from None
    except OSError as exc:
        _silence_stdout()
        raise _error(f"cannot write to standard output: {exc.strerror or exc}", 1) from None


def _stdout_failing() -> bool:
    """Whether stdout cannot take what it holds (what a failed write leaves is tried again)."""
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except OSError:
        return True
    return False


def _silence_stdout() -> None:
    """Point stdout at /dev/null so Python's own flush at exit finds nothing to complain about."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return  # not a real file (tests capture it)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, fd)
    os.close(null)


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
    # fontTools logs what it finds odd in a font ("1 extra bytes in post.stringData array") when
    # the fallback font is looked for among the system's fonts: not the user's to act on
    import logging

    logging.getLogger("fontTools").setLevel(logging.WARNING if verbose and not quiet else logging.ERROR)


from ._console import guard_std_streams  # noqa: E402
from . import generators as _generators  # noqa: E402,F401  (commands register on import)
from . import write as _write  # noqa: E402,F401
from . import train as _train  # noqa: E402,F401
from . import interpolate as _interpolate  # noqa: E402,F401
from . import extract as _extract  # noqa: E402,F401
from . import template as _template  # noqa: E402,F401
from . import weights as _weights  # noqa: E402
from . import fonts as _fonts  # noqa: E402

app.add_typer(_weights.app, name="weights")
app.add_typer(_fonts.app, name="fonts")
from . import styles as _styles  # noqa: E402
app.add_typer(_styles.app, name="styles")
from . import export_font as _export_font  # noqa: E402,F401  (styles export-font, export-font)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    guard_std_streams()
    app(args=argv, prog_name="hwrender")

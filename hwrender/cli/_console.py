"""Output helpers shared by the commands: tables on stdout, notes on stderr, the std streams."""

from __future__ import annotations

import io
import os
import sys
from typing import Iterable, Sequence

import typer

from ..errors import OutputError


def guard_std_streams() -> None:
    """Make closed standard streams (``<&-``, ``>&-``, ``2>&-``) safe before anything is opened.

    A closed descriptor 0, 1 or 2 would be handed to the next file opened (an output page, say),
    and then anything written to "stderr" would land in it; so each closed one is pointed at
    /dev/null. Python sets the stream itself to None; commands see instead: stdin still None
    (read_input says there is no text), stdout a stream whose writes fail with a one-line error,
    stderr /dev/null (the command works; an error still gives its exit code).
    """
    closed = []
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            closed.append(fd)
    for fd in closed:
        null = os.open(os.devnull, os.O_RDONLY if fd == 0 else os.O_WRONLY)
        if null != fd:
            os.dup2(null, fd)
            os.close(null)
    if sys.stdout is None:
        sys.stdout = ClosedStdout()
    else:
        sys.stdout = _ReportingStdout(sys.stdout)
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w")


class _ReportingStdout:
    """``sys.stdout`` whose write failures say they are stdout's (a full disk is then a one-line
    "cannot write to standard output", not "unexpected OSError"); all else is the stream's own."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text):
        try:
            return self._stream.write(text)
        except OSError as exc:
            raise _reported(exc) from None

    def flush(self):
        try:
            return self._stream.flush()
        except OSError as exc:
            raise _reported(exc) from None

    def __getattr__(self, name):
        return getattr(self._stream, name)


def _reported(exc: OSError) -> Exception:
    from ..render.output import stdout_write_error

    return stdout_write_error(exc)


def stdout_closed() -> bool:
    return sys.stdout is None or isinstance(sys.stdout, ClosedStdout)


class ClosedStdout(io.TextIOBase):
    """Standard output that was closed when hwrender started: writing to it is an error."""

    def __init__(self):
        super().__init__()
        self.buffer = _ClosedBinary()

    def write(self, text) -> int:
        raise _closed_error()

    def isatty(self) -> bool:
        return False


class _ClosedBinary(io.RawIOBase):
    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        raise _closed_error()


def _closed_error() -> OutputError:
    return OutputError("cannot write to standard output: it is closed",
                       "give -o FILE, or run without >&-")


def note(message: str) -> None:
    """A human note on stderr; kept off when stderr is not a terminal so pipelines stay clean."""
    if sys.stderr.isatty():
        typer.echo(message, err=True)


def print_table(columns: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """A table on stdout: fitted to a terminal, unwrapped (one row per line) for pipes."""
    from rich.console import Console  # rich loads only when a table is printed
    from rich.table import Table

    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*row)
    width = None if sys.stdout.isatty() else 100_000
    # markup off: statuses and paths may contain brackets that rich would otherwise eat.
    console = Console(width=width, markup=False, highlight=False)
    try:
        console.print(table)
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:  # a full disk: say so instead of "unexpected OSError"
        from ..render.output import stdout_write_error

        raise stdout_write_error(exc) from None

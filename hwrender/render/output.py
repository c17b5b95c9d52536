"""Where finished pages go: format from the path, one file per PNG page, atomic writes, stdout.

Every file is written to a temporary file beside its destination and renamed into place only
when the whole job has succeeded, so a failure leaves no output behind (not even page 1). Output
to stdout or a file object (``StreamOutputs``) is the same: it is assembled in full before the
first byte is written, and stdout goes through ``StdoutSink``, which writes every byte or fails.
What each format writes is ``hwrender.render.writers``.

Only regular files are written. A destination that is a device, FIFO, socket or symbolic link is
refused (``OutputError``), never replaced: renaming a file over ``/dev/full`` or a link would
destroy it. Links are refused rather than followed so that ``-o`` never writes somewhere other
than the path it names; the error gives the link's target to use instead.

Temporary files are named ``.<name>.hwrender-<pid>-<random>.tmp``. While they exist, SIGTERM and
SIGHUP remove them before the process ends (as Ctrl-C does), and a later run into the same folder
removes those whose writer has died (its pid is gone and it no longer holds the file's lock).
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import re
import signal
import stat
import sys
import tempfile
import threading
from pathlib import Path
from typing import BinaryIO, Optional, Union

from ..atomic import pid_alive, umask_mode
from ..errors import OutputError, Terminated, UsageError
# save_raster and the PNG/JPEG settings live with the writers; also importable from here.
from .writers import ALIASES, FORMATS, JPEG_QUALITY, PNG_COMPRESS_LEVEL, SUFFIXES, WRITERS, save_raster  # noqa: F401

Format = str  # a name in FORMATS
PathArg = Union[str, "os.PathLike[str]"]
STDOUT = "-"


def _or(items: list[str]) -> str:
    return f"{', '.join(items[:-1])} or {items[-1]}"


_FORMAT_HINT = (f"use --format {_or(list(FORMATS))}, or an output name ending in "
                f"{_or([w.suffixes[0] for w in WRITERS.values()])}")


def resolve_format(path: Optional[PathArg], fmt: Optional[str]) -> Format:
    """The output format: ``fmt`` (``--format``) when given, else the suffix of ``path``.

    ``-`` (stdout) without ``--format`` means PDF.
    """
    if fmt is not None:
        key = str(fmt).strip().lower().lstrip(".")
        if key not in ALIASES:
            raise UsageError(f"unknown format {fmt!r}", _FORMAT_HINT)
        return ALIASES[key]
    if path is None or os.fspath(path) == STDOUT:
        return "pdf"
    path = os.fspath(path)
    suffix = os.path.splitext(str(path))[1].lower()
    if suffix in SUFFIXES:
        return SUFFIXES[suffix]
    if not suffix and os.path.isdir(path):
        raise OutputError(f"output path {path!r} is a directory",
                          f"give a file name, e.g. {os.path.join(path, 'page.pdf')}")
    if not suffix:
        raise UsageError(f"cannot tell the output format of {str(path)!r}", _FORMAT_HINT)
    raise UsageError(f"unknown output suffix {suffix!r} in {str(path)!r}", _FORMAT_HINT)


def page_paths(path: PathArg, count: int) -> list:
    """One path per page: ``page.png``, ``page-2.png``, ``page-3.png``, … (the first keeps the name).

    A path with a ``{n}`` field (``scan-{n:03d}.png``) is a pattern filled in for every page, the
    first included. Returns ``str`` paths for a ``str``, ``Path`` objects for a ``Path``.
    """
    if count < 1:
        raise ValueError("page_paths needs count >= 1")
    text = os.fspath(path)
    if "{" in os.path.basename(text):
        try:
            names = [text.format(n=k) for k in range(1, count + 1)]
        except (KeyError, IndexError, ValueError) as exc:
            raise UsageError(
                f"bad output pattern {text!r} ({exc})", "use {n} for the page number, e.g. page-{n:02d}.png"
            ) from None
        if len(set(names)) != count:
            raise UsageError(f"output pattern {text!r} gives several pages the same name",
                             "put {n} in the name, e.g. page-{n}.png")
    else:
        stem, suffix = os.path.splitext(text)
        names = [text] + [f"{stem}-{k}{suffix}" for k in range(2, count + 1)]
    return names if isinstance(path, str) else [Path(n) for n in names]


def _nth_page(path: str, n: int) -> str:
    if "{" in os.path.basename(path):
        return path.format(n=n)
    stem, suffix = os.path.splitext(path)
    return path if n == 1 else f"{stem}-{n}{suffix}"


def check_output_path(path: PathArg) -> None:
    """Raise ``OutputError`` unless a file can be created at ``path`` (checked before any work)."""
    path = os.fspath(path)
    directory = os.path.dirname(path) or "."
    shown = os.path.dirname(path) or "."
    if not shown.endswith(os.sep):
        shown += os.sep
    if not os.path.isdir(directory):
        if os.path.exists(directory):
            raise OutputError(f"output directory {shown!r} is not a directory", "choose another -o path")
        raise OutputError(f"output directory {shown!r} does not exist", "create it first or choose another -o path")
    if os.path.isdir(path) and not os.path.islink(path):
        raise OutputError(f"output path {path!r} is a directory", f"give a file name, e.g. {os.path.join(path, 'page.png')}")
    check_destination(path)
    if not os.access(directory, os.W_OK | os.X_OK):
        raise OutputError(f"output directory {shown!r} is not writable", "choose another -o path or fix its permissions")


_KINDS = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def check_destination(path: PathArg) -> None:
    """Raise ``OutputError`` unless ``path`` is absent or a regular file (links are not followed)."""
    path = os.fspath(path)
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return  # absent (or its folder is, which check_output_path reports)
    if stat.S_ISREG(mode):
        return
    if stat.S_ISLNK(mode):
        target = os.path.realpath(path)
        raise OutputError(f"output path {path!r} is a symbolic link (to {target!r}); hwrender does "
                          "not write through links", f"give -o {target} or remove the link first")
    if stat.S_ISDIR(mode):
        raise OutputError(f"output path {path!r} is a directory", f"give a file name, e.g. {os.path.join(path, 'page.png')}")
    kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
    redirect = "" if stat.S_ISSOCK(mode) else f", e.g. -o - > {path}"
    raise OutputError(f"output path {path!r} is {kind}; hwrender writes only regular files",
                      f"use -o - for standard output{redirect}")


def earlier_pages(path: PathArg, count: int) -> list[str]:
    """Page files beyond ``count`` that an earlier, longer run left at ``path``'s page names.

    Only the exact names hwrender gives pages (``page-3.png``, … or the ``{n}`` pattern), counted
    on from ``count + 1`` while they exist as regular files and differ from every name before
    them (a name without a page number, ``a{{n}}.png``, names no other page: the page just
    written is never one).
    """
    found: list[str] = []
    seen = {_nth_page(os.fspath(path), n) for n in range(1, count + 1)}
    for n in range(count + 1, count + 100_000):
        name = _nth_page(os.fspath(path), n)
        if name in seen:
            break
        seen.add(name)
        try:
            if not stat.S_ISREG(os.lstat(name).st_mode):
                break
        except OSError:
            break
        found.append(name)
    return found


def check_stdout_pages(fmt: Format, count: int, at_least: bool = False) -> None:
    """A one-page-per-file format (PNG, JPEG, SVG) on stdout carries one page; raise ``UsageError``
    for more (``at_least``: the text needs ``count`` pages or more)."""
    writer = WRITERS[fmt]
    if writer.pages_per_file == "one" and count > 1:
        raise UsageError(
            f"{fmt.upper()} to stdout holds one page, this text needs "
            f"{'more than one' if at_least else count}",
            f"write a PDF with --format pdf or to a file with -o page{writer.suffixes[0]}",
        )


class StreamOutputs:
    """``AtomicOutputs`` for a stream (stdout's ``StdoutSink`` or an open binary file object):
    ``open()`` gives an in-memory file, and only a clean exit writes what they hold to the stream,
    in order, so a failure writes nothing. ``paths`` is empty: no file was named."""

    def __init__(self, stream: BinaryIO):
        self._stream = stream
        self._buffers: list[io.BytesIO] = []
        self.written: list[str] = []
        self.paths: list[Path] = []

    def __enter__(self) -> "StreamOutputs":
        return self

    def open(self, path: Optional[PathArg] = None) -> BinaryIO:
        self._buffers.append(_KeptBytes())
        return self._buffers[-1]

    def __exit__(self, exc_type, exc, tb) -> None:
        buffers, self._buffers = self._buffers, []
        if exc_type is None:
            for buf in buffers:
                self._stream.write(buf.getvalue())
            self._stream.flush()


class _KeptBytes(io.BytesIO):
    # A writer may close its file (``with outputs.open(...) as fh``); the bytes must outlive that.
    def close(self) -> None:
        self.flush()


# Errors of writing a file that are the disk's, not a bug: no space, over quota, too large for
# the file system, read-only, an I/O error.
_WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EIO}


class AtomicOutputs:
    """Open output files that appear together, or not at all.

    ``AtomicOutputs(path)`` checks up front that ``path`` can be written (``OutputError`` if not).
    ``open(path)`` returns a binary file. On a clean exit every temporary file is renamed to its
    destination; on an exception every temporary file is removed. ``written`` (str) and ``paths``
    (``Path``) list what was put in place.

    A destination that exists keeps its permission bits; a new one gets the umask's. Each
    destination is checked again just before the rename (see ``check_destination``).

    While temporary files exist, SIGTERM and SIGHUP (where they have their default action, and
    only in the main thread) raise ``Terminated`` so the ``with`` block removes them; the signal
    is then delivered again with its default action, so the process ends as it would have.
    """

    def __init__(self, path: Optional[PathArg] = None):
        if path is not None:
            check_output_path(path)
        self._pending: list[tuple[str, str, BinaryIO, Optional[int]]] = []  # (temp, final, file, lock fd)
        self._swept: set[str] = set()
        self._saved_handlers: dict[int, object] = {}
        self.written: list[str] = []

    @property
    def paths(self) -> list[Path]:
        return [Path(p) for p in self.written]

    def __enter__(self) -> "AtomicOutputs":
        return self

    def open(self, path: PathArg) -> BinaryIO:
        path = os.fspath(path)
        check_output_path(path)
        directory = os.path.dirname(path) or "."
        if directory not in self._swept:
            self._swept.add(directory)
            remove_stale_temp_files(directory)
        self._catch_signals()
        # Held back until the file is on the list abort() cleans up, so no moment leaves it behind.
        with _signals_blocked(self._saved_handlers):
            try:
                # The name is capped so a long destination name still leaves room for the suffix.
                fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)[:120]}.hwrender-{os.getpid()}-",
                                           suffix=".tmp", dir=directory)
            except OSError as exc:
                raise OutputError(f"cannot write to {directory + os.sep!r}: {exc.strerror}",
                                  "choose another -o path or fix its permissions") from None
            self._pending.append((tmp, path, os.fdopen(fd, "wb"), _hold_lock(fd)))
        return self._pending[-1][2]

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            installed = bool(self._saved_handlers)
            where = self._pending[-1][1] if self._pending else None
            self.abort()
            if installed and isinstance(exc, Terminated):
                signal.raise_signal(exc.signum)  # the default action again, now that all is clean
            if isinstance(exc, OSError) and exc.errno in _WRITE_ERRNOS and where is not None:
                # the disk filled while a page was written (or flushed on close): the user's to fix
                raise OutputError(f"cannot write {where}: {exc.strerror}",
                                  "free some disk space, or choose another -o path") from None
            return
        self.commit()

    def commit(self) -> None:
        default_mode = umask_mode()
        renamed: list[str] = []
        with _signals_blocked(self._saved_handlers):
            try:
                for tmp, final, fh, _lock in self._pending:
                    fh.close()
                    check_destination(final)  # again: something may have appeared since open()
                    try:
                        mode = stat.S_IMODE(os.stat(final).st_mode)  # keep an existing file's mode
                    except FileNotFoundError:
                        mode = default_mode  # mkstemp makes 0600; new outputs get the umask's mode
                    os.chmod(tmp, mode)
                for tmp, final, _fh, _lock in self._pending:
                    os.replace(tmp, final)
                    renamed.append(final)
            except (OSError, OutputError) as exc:
                # All or nothing: take back the files this commit already put in place.
                for path in renamed:
                    try:
                        os.unlink(path)
                    except OSError:
                        pass
                self.abort()
                if isinstance(exc, OutputError):
                    raise
                raise OutputError(f"cannot write {exc.filename or 'the output'}: {exc.strerror}",
                                  "check the disk space and permissions of the output directory") from None
            self._release()
        self.written += renamed

    def abort(self) -> None:
        with _signals_blocked(self._saved_handlers):  # a second SIGTERM must not stop the cleanup
            for tmp, _final, fh, _lock in self._pending:
                try:
                    fh.close()
                except OSError:
                    pass
                try:
                    os.unlink(tmp)
                except FileNotFoundError:
                    pass
            self._release()

    def _release(self) -> None:
        for _tmp, _final, _fh, lock in self._pending:
            if lock is not None:
                os.close(lock)
        self._pending = []
        for signum, handler in self._saved_handlers.items():
            signal.signal(signum, handler)
        self._saved_handlers = {}

    def _catch_signals(self) -> None:
        if self._saved_handlers or threading.current_thread() is not threading.main_thread():
            return
        for name in _CLEANUP_SIGNALS:
            signum = getattr(signal, name, None)
            # Only a default action is taken over: an ignored SIGHUP (nohup) stays ignored, and
            # a handler someone else installed stays theirs.
            if signum is not None and signal.getsignal(signum) is signal.SIG_DFL:
                self._saved_handlers[signum] = signal.signal(signum, _raise_terminated)


_CLEANUP_SIGNALS = ("SIGTERM", "SIGHUP")
_TEMP_NAME = re.compile(r"\..+\.hwrender-(\d+)-[a-z0-9_]{8}\.tmp")


def _raise_terminated(signum, frame) -> None:
    raise Terminated(signum)


@contextlib.contextmanager
def _signals_blocked(signums):
    """Hold back the given signals (delivered on exit) so renames are not cut in half."""
    if not signums or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, list(signums))
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _hold_lock(fd: int) -> Optional[int]:
    """A duplicate of ``fd`` holding a shared lock on the temporary file until commit or abort.

    The lock tells a later run that the writer is alive even where its pid means nothing (another
    PID namespace or machine); it goes away by itself when the process dies.
    """
    try:
        import fcntl
    except ImportError:
        return None
    try:
        lock = os.dup(fd)
        fcntl.flock(lock, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return None
    return lock


def remove_stale_temp_files(directory: PathArg) -> list[str]:
    """Remove hwrender's temporary files in ``directory`` left by processes that died.

    A file is stale when its writer's pid (in the name) no longer exists and nobody holds its
    lock; a live writer's files are never touched. Returns the removed paths.
    """
    try:
        import fcntl
        names = os.listdir(directory)
    except (ImportError, OSError):
        return []
    removed = []
    for name in names:
        match = _TEMP_NAME.fullmatch(name)
        if match is None or pid_alive(int(match.group(1))):
            continue
        full = os.path.join(os.fspath(directory), name)
        try:
            fd = os.open(full, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # fails while a writer holds it
            os.unlink(full)
            removed.append(full)
        except OSError:
            pass
        finally:
            os.close(fd)
    return removed


class StdoutSink:
    """Binary standard output for page data that reports every failure.

    Writes are repeated until every byte is out: a buffered write into a pipe whose reader left
    can return a short count with no error, which would end the command with exit 0 and half a
    PDF. A closed pipe raises ``BrokenPipeError`` (the CLI ends quietly); any other failure, such
    as a full disk, is a one-line ``OutputError``.
    """

    def __init__(self, stream=None):
        self._stream = stream

    @property
    def stream(self):
        if sys.stdout is None:
            raise OutputError("cannot write to standard output: it is closed", "give -o FILE")
        return self._stream if self._stream is not None else sys.stdout.buffer

    def writable(self) -> bool:
        return True

    @property
    def closed(self) -> bool:
        return False

    def write(self, data) -> int:
        view = memoryview(data).cast("B")
        stream = self.stream
        while view:
            try:
                n = stream.write(view)
            except BrokenPipeError:
                raise
            except OSError as exc:
                raise stdout_write_error(exc) from None
            if n is None:  # a non-blocking stream that took nothing
                raise OutputError("cannot write to standard output: it would block", _STDOUT_HINT)
            view = view[n:]
        return len(data)

    def flush(self) -> None:
        try:
            self.stream.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise stdout_write_error(exc) from None


def stdout_write_error(exc: OSError) -> Exception:
    """``exc`` from writing to stdout as hwrender reports it: a closed pipe stays BrokenPipeError."""
    if exc.errno == errno.EPIPE:
        return BrokenPipeError(*exc.args)
    return OutputError(f"cannot write to standard output: {exc.strerror or exc}", _STDOUT_HINT)


_STDOUT_HINT = "check where standard output goes, or write to a file with -o FILE"




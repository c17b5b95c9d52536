"""Where finished pages go: format from the path, one file per PNG page, atomic writes, stdout.

Every file is written to a temporary file beside its destination and renamed into place only
when the whole job has succeeded, so a failure leaves no output behind (not even page 1). Output
to stdout is assembled in full before the first byte is written.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
from pathlib import Path
from typing import BinaryIO, Literal, Optional, Union

from PIL import Image

from ..errors import OutputError, UsageError

Format = Literal["png", "jpeg", "pdf"]
PathArg = Union[str, "os.PathLike[str]"]
FORMATS: tuple[str, ...] = ("png", "jpeg", "pdf")
STDOUT = "-"
JPEG_QUALITY = 92
PNG_COMPRESS_LEVEL = 3  # ~0.35 s for an A4 page at 300 dpi; level 6 is ~20% smaller but 1.6x slower

_SUFFIXES = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".pdf": "pdf"}
_ALIASES = {"png": "png", "jpeg": "jpeg", "jpg": "jpeg", "pdf": "pdf"}
_FORMAT_HINT = "use --format png, jpeg or pdf, or an output name ending in .png, .jpg or .pdf"


def resolve_format(path: Optional[PathArg], fmt: Optional[str]) -> Format:
    """The output format: ``fmt`` (``--format``) when given, else the suffix of ``path``.

    ``-`` (stdout) without ``--format`` means PDF.
    """
    if fmt is not None:
        key = str(fmt).strip().lower().lstrip(".")
        if key not in _ALIASES:
            raise UsageError(f"unknown format {fmt!r}", _FORMAT_HINT)
        return _ALIASES[key]  # type: ignore[return-value]
    if path is None or os.fspath(path) == STDOUT:
        return "pdf"
    path = os.fspath(path)
    suffix = os.path.splitext(str(path))[1].lower()
    if suffix in _SUFFIXES:
        return _SUFFIXES[suffix]  # type: ignore[return-value]
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


def check_output_path(path: PathArg) -> None:
    """Raise ``OutputError`` unless a file can be created at ``path`` (checked before any work)."""
    path = os.fspath(path)
    if path == STDOUT:
        return
    directory = os.path.dirname(path) or "."
    shown = os.path.dirname(path) or "."
    if not shown.endswith(os.sep):
        shown += os.sep
    if not os.path.isdir(directory):
        if os.path.exists(directory):
            raise OutputError(f"output directory {shown!r} is not a directory", "choose another -o path")
        raise OutputError(f"output directory {shown!r} does not exist", "create it first or choose another -o path")
    if os.path.isdir(path):
        raise OutputError(f"output path {path!r} is a directory", f"give a file name, e.g. {os.path.join(path, 'page.png')}")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise OutputError(f"output directory {shown!r} is not writable", "choose another -o path or fix its permissions")


def check_stdout_pages(fmt: Format, count: int) -> None:
    """PNG and JPEG on stdout carry one page; raise ``UsageError`` for more."""
    if fmt != "pdf" and count > 1:
        raise UsageError(
            f"{fmt.upper()} to stdout holds one page, this text needs {count}",
            f"write a PDF with --format pdf or to a file with -o page.{'png' if fmt == 'png' else 'jpg'}",
        )


class AtomicOutputs:
    """Open output files that appear together, or not at all.

    ``AtomicOutputs(path)`` checks up front that ``path`` can be written (``OutputError`` if not).
    ``open(path)`` returns a binary file; for ``-`` the bytes are held in memory. On a clean exit
    every temporary file is renamed to its destination (and the held bytes go to stdout); on an
    exception every temporary file is removed and nothing reaches stdout. ``written`` (str) and
    ``paths`` (``Path``) list what was put in place.
    """

    def __init__(self, path: Optional[PathArg] = None, *, stdout: Optional[BinaryIO] = None):
        if path is not None:
            check_output_path(path)
        self._stdout = stdout
        self._pending: list[tuple[str, str, BinaryIO]] = []  # (temp path, final path, file)
        self._stdout_buffers: list[_HeldBytes] = []
        self.written: list[str] = []

    @property
    def paths(self) -> list[Path]:
        return [Path(p) for p in self.written if p != STDOUT]

    def __enter__(self) -> "AtomicOutputs":
        return self

    def open(self, path: PathArg) -> BinaryIO:
        path = os.fspath(path)
        if path == STDOUT:
            buf = _HeldBytes()
            self._stdout_buffers.append(buf)
            return buf
        check_output_path(path)
        directory = os.path.dirname(path) or "."
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
        except OSError as exc:
            raise OutputError(f"cannot write to {directory + os.sep!r}: {exc.strerror}",
                              "choose another -o path or fix its permissions") from None
        fh = os.fdopen(fd, "wb")
        self._pending.append((tmp, path, fh))
        return fh

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.abort()
            return
        self.commit()

    def commit(self) -> None:
        mode = _default_file_mode()
        renamed: list[str] = []
        try:
            for tmp, _final, fh in self._pending:
                fh.close()
                os.chmod(tmp, mode)  # mkstemp makes 0600; outputs get the usual umask-based mode
            for tmp, final, _fh in self._pending:
                os.replace(tmp, final)
                renamed.append(final)
        except OSError as exc:
            # All or nothing: take back the files this commit already put in place.
            for path in renamed:
                try:
                    os.unlink(path)
                except OSError:
                    pass
            self.abort()
            raise OutputError(f"cannot write {exc.filename or 'the output'}: {exc.strerror}",
                              "check the disk space and permissions of the output directory") from None
        self._pending = []
        self.written += renamed
        if self._stdout_buffers:
            stream = self._stdout if self._stdout is not None else sys.stdout.buffer
            for buf in self._stdout_buffers:
                stream.write(buf.getvalue())
            stream.flush()
            self.written.append(STDOUT)
            self._stdout_buffers = []

    def abort(self) -> None:
        for tmp, _final, fh in self._pending:
            try:
                fh.close()
            except OSError:
                pass
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
        self._pending = []
        self._stdout_buffers = []


class _HeldBytes(io.BytesIO):
    """Bytes bound for stdout: closing the file keeps them until the job commits."""

    def close(self) -> None:
        pass


def _default_file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def save_raster(image: Image.Image, file: BinaryIO, fmt: Format, dpi: float) -> None:
    """Write one page as PNG or JPEG with its DPI recorded, so it prints at the real size."""
    if fmt == "png":
        image.save(file, format="PNG", dpi=(dpi, dpi), compress_level=PNG_COMPRESS_LEVEL)
    elif fmt == "jpeg":
        # 4:4:4 keeps thin coloured strokes from bleeding into the paper.
        image.convert("RGB").save(file, format="JPEG", quality=JPEG_QUALITY, subsampling=0, dpi=(dpi, dpi))
    else:
        raise ValueError(f"save_raster writes png or jpeg, not {fmt!r}")

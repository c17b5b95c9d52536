"""Atomic file writes: write a temporary file beside the target, then rename it over the target,
so a crash or Ctrl-C mid-write leaves the old file (or none), never half of one.

For pages of output with signal handling and locks, see ``hwrender.render.output.AtomicOutputs``.
"""

from __future__ import annotations

import os
import secrets
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Union

Data = Union[bytes, str, Callable[[Path], object]]


def temporary_name(path: str | os.PathLike) -> Path:
    """A fresh hidden name beside ``path`` that keeps its suffix (writers such as ``np.savez``
    and Pillow go by it), unique per process and call so two writers never share one."""
    path = Path(path)
    return path.with_name(f".{path.stem}.tmp-{os.getpid()}-{secrets.token_hex(4)}{path.suffix}")


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path to write; on leaving the block it replaces ``path`` (an error
    inside the block removes it instead and leaves ``path`` as it was).

    The temporary file is created by the writer, so it gets the usual permissions (the umask's),
    as the file written directly would.
    """
    path = Path(path)
    tmp = temporary_name(path)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)


def write_atomic(path: str | os.PathLike, data: Data, *, encoding: str = "utf-8") -> Path:
    """Write ``data`` to ``path`` atomically and return ``path``.

    ``data`` is bytes, text (encoded with ``encoding``) or a callable that writes the file
    whose path it is given, e.g. ``write_atomic(p, lambda tmp: torch.save(state, tmp))``.
    """
    path = Path(path)
    with atomic_path(path) as tmp:
        if isinstance(data, bytes):
            tmp.write_bytes(data)
        elif isinstance(data, str):
            tmp.write_bytes(data.encode(encoding))
        else:
            data(tmp)
            if os.path.isfile(tmp) and not os.path.islink(tmp):
                # a library may create its file private (safetensors' save_file makes it 0600):
                # the umask's permissions, as every other file written here gets
                os.chmod(tmp, umask_mode())
    return path


def umask_mode() -> int:
    """The permissions a new file gets by the umask (0o666 less it)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` may still run (so its temp files are not stale): only a process
    known to be gone is dead; one we may not signal, or cannot ask about, counts as alive."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError, ValueError):
        return True
    return True

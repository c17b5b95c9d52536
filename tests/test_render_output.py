"""Output: format resolution, page names, atomic writes, stdout rules, image metadata."""

from __future__ import annotations

import os

import pytest
from signals_env import default_signals

from hwrender.errors import OutputError, UsageError
from hwrender.render import (
    AtomicOutputs,
    check_output_path,
    check_stdout_pages,
    page_paths,
    resolve_format,
)
from hwrender.render import output as outmod

def listing(path) -> list[str]:
    return sorted(os.listdir(path))


# ---------------------------------------------------------------------------------------------
# formats and names


@pytest.mark.parametrize("path, fmt, expected", [
    ("page.png", None, "png"), ("PAGE.PNG", None, "png"), ("a/b.jpg", None, "jpeg"), ("x.JPEG", None, "jpeg"),
    ("doc.pdf", None, "pdf"), ("-", None, "pdf"), (None, None, "pdf"), ("-", "png", "png"),
    ("doc.pdf", "PNG", "png"), ("out", "jpg", "jpeg"), ("x.png", ".pdf", "pdf"),
])
def test_resolve_format(path, fmt, expected):
    assert resolve_format(path, fmt) == expected


@pytest.mark.parametrize("path, fmt", [("page.gif", None), ("page", None), ("x.png", "tiff"), ("-", "gif")])
def test_resolve_format_errors_name_the_supported_formats(path, fmt):
    with pytest.raises(UsageError) as info:
        resolve_format(path, fmt)
    assert info.value.exit_code == 2
    assert all(f in info.value.hint for f in ("png", "jpeg", "pdf", "svg"))


def test_page_paths():
    assert page_paths("page.png", 1) == ["page.png"]
    assert page_paths("page.png", 3) == ["page.png", "page-2.png", "page-3.png"]
    assert page_paths("out/my.notes.jpg", 2) == ["out/my.notes.jpg", "out/my.notes-2.jpg"]
    assert page_paths("scan", 2) == ["scan", "scan-2"]
    assert page_paths("p-{n:02d}.png", 3) == ["p-01.png", "p-02.png", "p-03.png"]
    with pytest.raises(UsageError):
        page_paths("p-{page}.png", 2)
    with pytest.raises(UsageError):
        page_paths("p-{n:02d}{.png", 2)


# ---------------------------------------------------------------------------------------------
# checks up front


def test_missing_directory(tmp_path):
    target = tmp_path / "nope" / "page.png"
    with pytest.raises(OutputError) as info:
        check_output_path(str(target))
    assert info.value.message == f"output directory '{tmp_path / 'nope'}/' does not exist"
    assert info.value.hint == "create it first or choose another -o path"


def test_relative_missing_directory_message(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(OutputError) as info:
        check_output_path("x/page.png")
    assert info.value.message == "output directory 'x/' does not exist"


def test_not_writable_directory(tmp_path, monkeypatch):
    # Checked through os.access, so the test also holds when it runs as root.
    monkeypatch.setattr(outmod.os, "access", lambda path, mode: False)
    with pytest.raises(OutputError, match="not writable"):
        check_output_path(str(tmp_path / "page.png"))


def test_directory_as_output(tmp_path):
    with pytest.raises(OutputError, match="is a directory"):
        check_output_path(str(tmp_path))


def test_stdout_page_rules():
    check_stdout_pages("pdf", 5)
    check_stdout_pages("png", 1)
    with pytest.raises(UsageError) as info:
        check_stdout_pages("png", 3)
    assert info.value.message == "PNG to stdout holds one page, this text needs 3"
    assert "--format pdf" in info.value.hint and "-o page.png" in info.value.hint


# ---------------------------------------------------------------------------------------------
# atomic writes


def test_atomic_outputs_commit_together(tmp_path):
    with AtomicOutputs() as out:
        for name in ("a.png", "b.png"):
            with out.open(str(tmp_path / name)) as fh:
                fh.write(b"data")
            assert not (tmp_path / name).exists()  # nothing in place before the end
    assert listing(tmp_path) == ["a.png", "b.png"]
    assert out.written == [str(tmp_path / "a.png"), str(tmp_path / "b.png")]
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "a.png").stat().st_mode & 0o777 == 0o666 & ~umask


def test_atomic_outputs_leave_nothing_on_failure(tmp_path):
    (tmp_path / "b.png").write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with AtomicOutputs() as out:
            out.open(str(tmp_path / "a.png")).write(b"new")
            out.open(str(tmp_path / "b.png")).write(b"new")
            raise RuntimeError("boom")
    assert listing(tmp_path) == ["b.png"]
    assert (tmp_path / "b.png").read_bytes() == b"old"  # an existing file is untouched


def test_path_objects_work_too(tmp_path):
    from pathlib import Path

    assert resolve_format(tmp_path / "x.PDF", None) == "pdf"
    assert page_paths(Path("out/page.png"), 2) == [Path("out/page.png"), Path("out/page-2.png")]
    with pytest.raises(OutputError, match="does not exist"):
        AtomicOutputs(tmp_path / "missing" / "page.png")  # checked up front
    with AtomicOutputs(tmp_path / "page.png") as out:
        with out.open(tmp_path / "page.png") as fh:
            fh.write(b"x")
    assert out.paths == [tmp_path / "page.png"]


# ---------------------------------------------------------------------------------------------
# only regular files are written (issue 25, safety 1)


def _special_files(tmp_path):
    import socket

    fifo = tmp_path / "fifo.png"
    os.mkfifo(fifo)
    (tmp_path / "target.png").write_bytes(b"target")
    link = tmp_path / "link.png"
    link.symlink_to("target.png")
    dangling = tmp_path / "dangling.png"
    dangling.symlink_to("nowhere.png")
    sock_path = tmp_path / "sock.png"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(sock_path))
    sock.close()
    return {"a named pipe (FIFO)": fifo, "a symbolic link": link, "a socket": sock_path,
            "a symbolic link (to": dangling}


def test_special_destinations_are_refused_and_left_alone(tmp_path):
    for kind, path in _special_files(tmp_path).items():
        with pytest.raises(OutputError) as info:
            check_output_path(str(path))
        assert f"is {kind}" in info.value.message
        assert "-o" in info.value.hint
    assert (tmp_path / "fifo.png").is_fifo() and (tmp_path / "sock.png").is_socket()
    assert (tmp_path / "link.png").is_symlink() and (tmp_path / "target.png").read_bytes() == b"target"
    with pytest.raises(OutputError) as info:
        check_output_path(str(tmp_path / "link.png"))
    assert info.value.hint == f"give -o {tmp_path / 'target.png'} or remove the link first"


def test_character_device_is_refused():
    # /dev/null is only looked at here, never written to.
    with pytest.raises(OutputError) as info:
        check_output_path("/dev/null")
    assert info.value.message.startswith("output path '/dev/null' is a character device")
    assert info.value.hint == "use -o - for standard output, e.g. -o - > /dev/null"


def test_every_page_path_is_checked_and_again_at_commit(tmp_path):
    os.mkfifo(tmp_path / "page-2.png")
    with pytest.raises(OutputError, match="page-2.png' is a named pipe"):
        with AtomicOutputs(tmp_path / "page.png") as out:
            out.open(tmp_path / "page.png").write(b"1")
            out.open(tmp_path / "page-2.png").write(b"2")
    assert listing(tmp_path) == ["page-2.png"]

    # Something special appearing between open() and commit is caught before any rename.
    with pytest.raises(OutputError, match="page-3.png' is a named pipe"):
        with AtomicOutputs(tmp_path / "page.png") as out:
            out.open(tmp_path / "page.png").write(b"1")
            out.open(tmp_path / "page-3.png").write(b"3")
            os.mkfifo(tmp_path / "page-3.png")
    assert listing(tmp_path) == ["page-2.png", "page-3.png"]
    assert (tmp_path / "page-3.png").is_fifo()


# ---------------------------------------------------------------------------------------------
# permissions, earlier pages, signals, stale temporary files (issue 25, safety 2 and item 13)


def test_an_existing_file_keeps_its_mode(tmp_path):
    private = tmp_path / "private.pdf"
    private.write_bytes(b"old")
    private.chmod(0o600)
    with AtomicOutputs(private) as out:
        out.open(private).write(b"new")
    assert private.read_bytes() == b"new"
    assert private.stat().st_mode & 0o7777 == 0o600


def test_earlier_pages(tmp_path):
    for name in ("out.png", "out-2.png", "out-3.png", "out-4.png", "out-6.png", "out-x.png"):
        (tmp_path / name).write_bytes(b"")
    assert outmod.earlier_pages(str(tmp_path / "out.png"), 2) == [
        str(tmp_path / "out-3.png"), str(tmp_path / "out-4.png")]
    assert outmod.earlier_pages(str(tmp_path / "out.png"), 4) == []
    (tmp_path / "p-03.png").write_bytes(b"")
    assert outmod.earlier_pages(str(tmp_path / "p-{n:02d}.png"), 2) == [str(tmp_path / "p-03.png")]
    # a name with braces but no page number names every page alike: the page just written, never
    # "an earlier page" (--clean removed it)
    (tmp_path / "a{n}.png").write_bytes(b"")
    assert outmod.earlier_pages(str(tmp_path / "a{{n}}.png"), 1) == []


def test_signal_handlers_only_while_temporary_files_exist(tmp_path):
    import signal

    before = signal.getsignal(signal.SIGTERM)
    assert before is signal.SIG_DFL  # pytest leaves SIGTERM alone
    with AtomicOutputs() as out:
        out.open(str(tmp_path / "a.png")).write(b"x")
        assert signal.getsignal(signal.SIGTERM) is not before
    assert signal.getsignal(signal.SIGTERM) is before
    with pytest.raises(RuntimeError):
        with AtomicOutputs() as out:
            out.open(str(tmp_path / "b.png")).write(b"x")
            raise RuntimeError
    assert signal.getsignal(signal.SIGTERM) is before


_SIGNAL_SCRIPT = """
import os, signal, sys
from hwrender.render import AtomicOutputs
if sys.argv[2] == "ignore":
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
with AtomicOutputs() as out:
    for name in ("a.png", "a-2.png"):
        out.open(os.path.join(sys.argv[1], name)).write(b"x")
    os.kill(os.getpid(), getattr(signal, sys.argv[3]))
    out.open(os.path.join(sys.argv[1], "a-3.png")).write(b"x")
"""


@pytest.mark.parametrize("name", ["SIGTERM", "SIGHUP"])
def test_sigterm_and_sighup_remove_temporary_files_and_still_end_the_process(tmp_path, name):
    import signal
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", _SIGNAL_SCRIPT, str(tmp_path), "-", name],
                          capture_output=True, text=True, timeout=60, preexec_fn=default_signals)
    assert done.returncode == -getattr(signal, name), done.stderr
    assert done.stderr == ""
    assert listing(tmp_path) == []


def test_an_ignored_sighup_stays_ignored(tmp_path):
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", _SIGNAL_SCRIPT, str(tmp_path), "ignore", "SIGHUP"],
                          capture_output=True, text=True, timeout=60, preexec_fn=default_signals)
    assert done.returncode == 0, done.stderr
    assert listing(tmp_path) == ["a-2.png", "a-3.png", "a.png"]


def test_stale_temporary_files_of_dead_writers_are_removed(tmp_path):
    import fcntl
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead_pid = int(dead.stdout)
    stale = tmp_path / f".page-3.png.hwrender-{dead_pid}-abcd_123.tmp"
    live = tmp_path / f".page.png.hwrender-{os.getpid()}-abcd_123.tmp"  # this process: alive
    locked = tmp_path / f".page-2.png.hwrender-{dead_pid}-zzzz_999.tmp"  # pid gone, lock held
    other = tmp_path / ".page.png.abcd_123.tmp"  # not hwrender's naming: never touched
    for path in (stale, live, locked, other):
        path.write_bytes(b"half")
    with open(locked, "rb") as holder:
        fcntl.flock(holder, fcntl.LOCK_SH)
        with AtomicOutputs(tmp_path / "page.png") as out:
            out.open(tmp_path / "page.png").write(b"new")
    assert listing(tmp_path) == sorted([live.name, locked.name, other.name, "page.png"])


def test_temporary_files_name_their_writer_and_are_locked(tmp_path):
    import fcntl

    with AtomicOutputs() as out:
        out.open(str(tmp_path / "a.png")).close()  # closed by the caller, still pending
        (name,) = [n for n in listing(tmp_path) if n.endswith(".tmp")]
        assert outmod._TEMP_NAME.fullmatch(name).group(1) == str(os.getpid())
        fd = os.open(tmp_path / name, os.O_RDONLY)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(fd)
    assert listing(tmp_path) == ["a.png"]


def test_a_full_disk_is_an_output_error_and_leaves_nothing(tmp_path):
    """The disk filling as a page is flushed on close was an "unexpected OSError" (a bug report)."""
    import errno

    from hwrender.errors import OutputError

    out = tmp_path / "x.png"
    with pytest.raises(OutputError, match=r"cannot write .*x.png: No space left on device") as err:
        with AtomicOutputs(out) as outputs:
            with outputs.open(out) as fh:
                fh.write(b"half a page")
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    assert "free some disk space" in err.value.hint and os.listdir(tmp_path) == []
    with pytest.raises(FileNotFoundError):  # any other OSError is not the disk's: left as it is
        with AtomicOutputs(out) as outputs:
            outputs.open(out).write(b"x")
            raise FileNotFoundError(errno.ENOENT, "a font went missing")
    assert os.listdir(tmp_path) == []

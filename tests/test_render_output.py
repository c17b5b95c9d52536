"""Output: format resolution, page names, atomic writes, stdout rules, image metadata."""

from __future__ import annotations

import os

import pytest

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


@pytest.mark.parametrize("path, fmt", [("page.gif", None), ("page", None), ("x.png", "tiff"), ("-", "svg")])
def test_resolve_format_errors_name_the_supported_formats(path, fmt):
    with pytest.raises(UsageError) as info:
        resolve_format(path, fmt)
    assert info.value.exit_code == 2
    assert all(f in info.value.hint for f in ("png", "jpeg", "pdf"))


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

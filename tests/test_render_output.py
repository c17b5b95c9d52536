"""Output: format resolution, page names, atomic writes, stdout rules, image metadata."""

from __future__ import annotations

import io
import os

import numpy as np
import pypdf
import pytest
from PIL import Image

from hwrender.errors import OutputError, UsageError
from hwrender.ink import InkImage
from hwrender.layout.types import PageGeometry, PageLayout, Placement, TextSpan
from hwrender.render import (
    AtomicOutputs,
    PaperStyle,
    check_output_path,
    check_stdout_pages,
    page_paths,
    resolve_format,
    write_document,
)
from hwrender.render import output as outmod

GEO = PageGeometry(width=144, height=200, margin_top=20, margin_right=20, margin_bottom=20, margin_left=30)
INKS = {0: InkImage(np.ones((10, 20), np.float32), baseline=8, x_height=5)}


def pages(n: int) -> list[PageLayout]:
    out = []
    for k in range(1, n + 1):
        word = f"page{k}"
        out.append(PageLayout(
            number=k, geometry=GEO,
            placements=[Placement(0, 30, 50, 1.0, 0.0, word, 0)],
            spans=[TextSpan(word, 30, 50, 50, 8, 2, 0)],
            first_baseline=50, line_pitch=20, line_count=6,
        ))
    return out


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
    with pytest.raises(OutputError, match="does not exist"):
        write_document(pages(1), INKS, str(target), dpi=30)


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
    with pytest.raises(OutputError, match="not writable"):
        write_document(pages(1), INKS, str(tmp_path / "page.png"), dpi=30)
    assert listing(tmp_path) == []


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


def failing_inks(fail_on: int):
    def inks(page: PageLayout):
        if page.number == fail_on:
            raise RuntimeError("generator failed")
        return INKS
    return inks


@pytest.mark.parametrize("name", ["page.png", "page.jpg", "doc.pdf"])
def test_a_page_failing_mid_way_leaves_no_output(tmp_path, name):
    with pytest.raises(RuntimeError, match="generator failed"):
        write_document(pages(3), failing_inks(3), str(tmp_path / name), dpi=30)
    assert listing(tmp_path) == []  # not even page 1, and no temporary files


def test_write_pngs(tmp_path):
    seen = []
    written = write_document(pages(3), INKS, str(tmp_path / "page.png"), dpi=60,
                             paper=PaperStyle("ruled"), ink_color="red", on_page=lambda d, t: seen.append((d, t)))
    assert written == [str(tmp_path / n) for n in ("page.png", "page-2.png", "page-3.png")]
    assert listing(tmp_path) == ["page-2.png", "page-3.png", "page.png"]
    assert seen == [(1, 3), (2, 3), (3, 3)]
    with Image.open(tmp_path / "page-2.png") as img:
        assert img.format == "PNG" and img.mode == "RGB" and img.size == (120, 167)
        assert img.info["dpi"] == pytest.approx((60, 60), abs=0.01)
        assert img.getpixel((33, 39)) == (255, 0, 0)


def test_write_jpeg_with_dpi(tmp_path):
    write_document(pages(1), INKS, str(tmp_path / "p.jpg"), dpi=72)
    with Image.open(tmp_path / "p.jpg") as img:
        assert img.format == "JPEG" and img.info["dpi"] == pytest.approx((72, 72), abs=0.01)


def test_write_pdf_file(tmp_path):
    written = write_document(pages(2), INKS, str(tmp_path / "notes.pdf"), dpi=40, metadata={"title": "Notes"})
    assert written == [str(tmp_path / "notes.pdf")]
    reader = pypdf.PdfReader(str(tmp_path / "notes.pdf"))
    assert len(reader.pages) == 2 and reader.metadata.title == "Notes"
    assert [p.extract_text().strip() for p in reader.pages] == ["page1", "page2"]


def test_format_overrides_suffix(tmp_path):
    write_document(pages(1), INKS, str(tmp_path / "out.png"), fmt="pdf", dpi=30)
    assert (tmp_path / "out.png").read_bytes().startswith(b"%PDF-")


# ---------------------------------------------------------------------------------------------
# stdout


def test_pdf_to_stdout():
    stream = io.BytesIO()
    assert write_document(pages(2), INKS, "-", dpi=30, stdout=stream) == ["-"]
    assert len(pypdf.PdfReader(io.BytesIO(stream.getvalue())).pages) == 2


def test_png_to_stdout_one_page_only():
    stream = io.BytesIO()
    write_document(pages(1), INKS, "-", fmt="png", dpi=30, stdout=stream)
    assert stream.getvalue().startswith(b"\x89PNG")
    stream = io.BytesIO()
    with pytest.raises(UsageError, match="this text needs 2"):
        write_document(pages(2), INKS, "-", fmt="png", dpi=30, stdout=stream)
    assert stream.getvalue() == b""


def test_nothing_reaches_stdout_when_a_page_fails():
    stream = io.BytesIO()
    with pytest.raises(RuntimeError):
        write_document(pages(3), failing_inks(2), "-", dpi=30, stdout=stream)
    assert stream.getvalue() == b""


def test_bad_dpi_is_refused_before_anything_is_written(tmp_path):
    with pytest.raises(UsageError):
        write_document(pages(1), INKS, str(tmp_path / "p.png"), dpi=0)
    assert listing(tmp_path) == []


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
    write_document(pages(1), INKS, tmp_path / "p.pdf", dpi=30)
    assert (tmp_path / "p.pdf").exists()

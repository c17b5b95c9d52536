"""``hwrender write`` and ``hwrender generators`` through Typer's CliRunner and a real subprocess.

Bad input: each case gives a one-line message, a non-zero exit and no output file.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest
from PIL import Image
from pypdf import PdfReader
from typer.testing import CliRunner

from hwrender.cli import app

FAST = ["--dpi", "40"]


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HWRENDER_DEBUG", raising=False)
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(app, list(args), input=input)

    return invoke


def assert_one_line_error(result, code, *needles):
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("hwrender: error: ")
    for needle in needles:
        assert needle in lines[0], lines[0]
    assert result.stdout == ""


def test_write_pdf_hello_world(run, tmp_path):
    r = run("write", "Hello World", "-o", "page.pdf", *FAST)
    assert r.exit_code == 0, r.stderr
    reader = PdfReader(tmp_path / "page.pdf")
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    assert reader.pages[0].extract_text().split() == ["Hello", "World"]
    assert r.stdout == ""  # data only goes to stdout when asked for


def test_write_png_ruled_letter(run, tmp_path):
    r = run("write", "Hello World", "-o", "page.png", "--paper", "ruled", "--margin-line",
            "-p", "Letter", "--dpi", "72", "--ink", "#aa0000")
    assert r.exit_code == 0, r.stderr
    img = Image.open(tmp_path / "page.png").convert("RGB")
    assert img.size == (612, 792)
    colours = {c for _, c in img.getcolors(1 << 20)}
    assert any(c[0] > 120 and c[1] < 80 and c[2] < 80 for c in colours)  # red ink somewhere


def test_text_from_stdin_and_pdf_to_stdout(run):
    r = run("write", "-", "-o", "-", *FAST, input="Piped text here\n")
    assert r.exit_code == 0, r.stderr
    assert r.stdout_bytes.startswith(b"%PDF")
    text = PdfReader(io.BytesIO(r.stdout_bytes)).pages[0].extract_text()
    assert text.split() == ["Piped", "text", "here"]


def test_binary_output_is_never_sent_to_a_terminal(run, monkeypatch):
    from hwrender.cli import write as write_module

    monkeypatch.setattr(write_module, "_stdout_is_terminal", lambda: True)
    assert_one_line_error(run("write", "Hi", "-o", "-", *FAST), 2, "terminal", "-o FILE")
    assert_one_line_error(run("write", "Hi", *FAST), 2, "no output given")


def test_png_to_stdout_single_page(run):
    r = run("write", "Hi", "-o", "-", "-f", "png", *FAST)
    assert r.exit_code == 0, r.stderr
    assert r.stdout_bytes.startswith(b"\x89PNG")


def test_png_to_stdout_refuses_several_pages(run):
    r = run("write", "word " * 3000, "-o", "-", "-f", "png", *FAST)
    assert_one_line_error(r, 2, "one page")


def test_input_file_and_several_png_pages(run, tmp_path):
    (tmp_path / "in.txt").write_text("lorem ipsum dolor " * 600, encoding="utf-8")
    r = run("write", "--input", "in.txt", "-o", "out.png", *FAST)
    assert r.exit_code == 0, r.stderr
    assert (tmp_path / "out.png").exists() and (tmp_path / "out-2.png").exists()


def test_verbose_reports_pages_quiet_says_nothing(run, tmp_path):
    r = run("-v", "write", "word " * 800, "-o", "v.pdf", *FAST)
    assert r.exit_code == 0, r.stderr
    lines = r.stderr.strip().splitlines()
    assert lines[0].startswith("page 1 written") and lines[1].startswith("page 2 written")
    assert lines[-1].startswith("wrote v.pdf (") and "pages" in lines[-1]
    r = run("-q", "write", "word", "-o", "q.pdf", *FAST)
    assert r.exit_code == 0 and r.stderr == "" and (tmp_path / "q.pdf").exists()


def test_named_generator_lacking_characters_is_a_warning_not_silence(run, tmp_path):
    r = run("write", "café", "-g", "Latn=emnist", "-o", "x.png", *FAST)
    assert r.exit_code == 0, r.stderr
    assert ("hwrender: warning: -g Latn=emnist: that generator does not have é; "
            "written with latin instead") in r.stderr.splitlines()
    assert (tmp_path / "x.png").exists()
    quiet = run("-q", "write", "café", "-g", "Latn=emnist", "-o", "y.png", *FAST)
    assert quiet.exit_code == 0 and quiet.stderr == ""
    plain = run("write", "cafe", "-g", "Latn=emnist", "-o", "z.png", *FAST)
    assert "warning" not in plain.stderr


def test_unexpected_exception_is_one_line_without_traceback(run, monkeypatch):
    from hwrender_plugins.font.generator import FontGenerator

    def boom(*a, **k):
        raise RuntimeError("pen ran dry\non two lines")

    monkeypatch.setattr(FontGenerator, "generate", boom)
    r = run("write", "Hi", "-g", "Latn=font", "-o", "x.pdf", *FAST)
    assert_one_line_error(r, 1, "unexpected RuntimeError: pen ran dry on two lines",
                          "HWRENDER_DEBUG=1")


def test_generators_listing(run):
    r = run("generators")
    assert r.exit_code == 0
    assert "font" in r.stdout and "emnist" in r.stdout
    rows = json.loads(run("generators", "--json").stdout)
    font = next(x for x in rows if x["name"] == "font")
    assert font["fallback"] and font["scripts"] == ["*"] and font["unit"] == "word"


@pytest.mark.parametrize("args, code, needles", [
    (["write", "", "-o", "x.pdf"], 2, ["empty"]),
    (["write", "   \n  ", "-o", "x.pdf"], 2, ["empty"]),
    # only marks with no letter: was an "unexpected ValueError" (a PDF of no page)
    (["write", "\u0301 \u0308", "-o", "x.pdf"], 2, ["no letters, only combining marks"]),
    (["write", "\u0301", "-o", "x.png"], 2, ["no letters"]),
    (["write", "--input", "nope.txt", "-o", "x.pdf"], 2, ["nope.txt", "does not exist"]),
    (["write", "Hi ☃", "-o", "x.pdf"], 1, ["'☃' (U+2603", "1:4", "--missing fallback"]),
    (["write", "Hi", "-g", "Latn=nope", "-o", "x.pdf"], 2, ["unknown generator 'nope'", "font"]),
    (["write", "Hi", "-g", "Xyzw=font", "-o", "x.pdf"], 2, ["unknown script 'Xyzw'"]),
    (["write", "Hi", "-p", "A9000", "-o", "x.pdf"], 2, ["A9000"]),
    (["write", "Hi", "--paper", "napkin", "-o", "x.pdf"], 2, ["napkin"]),
    (["write", "Hi", "--ink", "blu", "-o", "x.pdf"], 2, ["blu"]),
    (["write", "Hi", "--margins", "120mm", "-o", "x.pdf"], 2, ["margin"]),
    (["write", "Hi", "--x-height", "-2mm", "-o", "x.pdf"], 2, ["-2mm"]),
    (["write", "Hi", "--dpi", "0", "-o", "x.pdf"], 2, ["0"]),
    (["write", "Hi", "-o", "missing-dir/x.pdf"], 1, ["missing-dir", "does not exist"]),
    (["write", "Hi", "-o", "x.docx"], 2, [".docx"]),
    (["write", "Hi", "-o", "x.pdf", "-f", "tiff"], 2, ["tiff"]),
])
def test_bad_input_one_line_error_no_file(run, tmp_path, args, code, needles):
    r = run(*args, *([] if "--dpi" in args else FAST))
    assert_one_line_error(r, code, *needles)
    assert not list(tmp_path.glob("x*")), list(tmp_path.iterdir())


def test_utf16_input_file_with_its_bom_is_read(run, tmp_path):
    """A UTF-16 file (Windows Notepad) was refused with advice to convert from latin1."""
    (tmp_path / "u16.txt").write_bytes("Hi there".encode("utf-16"))
    r = run("write", "--input", "u16.txt", "-g", "Latn=font", "-o", "x.png", *FAST)
    assert r.exit_code == 0, r.stderr
    (tmp_path / "bad16.txt").write_bytes(b"\xff\xfeH\x00\x00\xd8")  # a lone high surrogate
    r = run("write", "--input", "bad16.txt", "-o", "y.pdf", *FAST)
    assert_one_line_error(r, 2, "not valid UTF-16", "iconv -f utf-16")


def test_text_argument_that_is_not_utf8(run):
    """argv bytes that are not UTF-8 arrive as lone surrogates: was "no generator writes '\\udcff'"."""
    r = run("write", "caf\udce9", "-o", "x.pdf", *FAST)
    assert_one_line_error(r, 2, "TEXT is not UTF-8 (at character 4)", "--input FILE")


def test_a_directory_as_output_is_named_so(run, tmp_path):
    (tmp_path / "pages").mkdir()
    r = run("write", "Hi", "-o", "pages", *FAST)
    assert_one_line_error(r, 1, "is a directory", "pages/page.pdf")


def test_align_takes_any_case(run, tmp_path):
    r = run("write", "Hi there", "-g", "Latn=font", "--align", "JUSTIFY", "-o", "x.png", *FAST)
    assert r.exit_code == 0, r.stderr


def test_non_utf8_input_file(run, tmp_path):
    (tmp_path / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    r = run("write", "--input", "latin1.txt", "-o", "x.pdf", *FAST)
    assert_one_line_error(r, 2, "not UTF-8", "0xe9")
    assert not (tmp_path / "x.pdf").exists()


def test_unreadable_input_file(run, tmp_path):
    if os.geteuid() == 0:
        # root reads anything: a directory stands in for an unreadable path
        (tmp_path / "d").mkdir()
        r = run("write", "--input", "d", "-o", "x.pdf", *FAST)
        assert_one_line_error(r, 2, "is a directory")
        return
    p = tmp_path / "secret.txt"
    p.write_text("x")
    p.chmod(0)
    r = run("write", "--input", "secret.txt", "-o", "x.pdf", *FAST)
    assert_one_line_error(r, 2, "cannot read")


def test_output_directory_not_writable(run, tmp_path, monkeypatch):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    if os.access(ro, os.W_OK):
        # running as root, where every directory is writable: let the check see what a user would
        real_access = os.access
        monkeypatch.setattr(os, "access", lambda p, mode, **kw: False
                            if os.path.abspath(p) == str(ro) else real_access(p, mode, **kw))
    try:
        r = run("write", "Hi", "-o", "ro/x.pdf", *FAST)
        assert_one_line_error(r, 1, "not writable")
    finally:
        ro.chmod(0o700)
    assert list(ro.iterdir()) == []


def test_output_path_under_a_file(run, tmp_path):
    (tmp_path / "afile").write_text("")
    r = run("write", "Hi", "-o", "afile/x.pdf", *FAST)
    assert_one_line_error(r, 1, "not a directory")


def test_bad_output_fails_before_any_generation(run, monkeypatch):
    from hwrender_plugins.font.generator import FontGenerator

    def boom(*a, **k):
        raise AssertionError("generated before checking the output path")

    monkeypatch.setattr(FontGenerator, "generate", boom)
    r = run("write", "Hi", "-o", "nowhere/x.png", *FAST)
    assert_one_line_error(r, 1, "does not exist")


def test_missing_fallback_writes_uncovered_characters(run, tmp_path):
    r = run("write", "Hi ☃ 한", "--missing", "fallback", "-o", "x.pdf", *FAST)
    assert r.exit_code == 0, r.stderr
    assert PdfReader(tmp_path / "x.pdf").pages[0].extract_text().split() == ["Hi", "☃", "한"]


def test_debug_env_shows_traceback(run, monkeypatch):
    monkeypatch.setenv("HWRENDER_DEBUG", "1")
    r = run("write", "", "-o", "x.pdf")
    assert r.exit_code != 0 and r.exception is not None


def test_console_script_end_to_end(tmp_path):
    """A real process: `python -m hwrender write ... -o page.pdf` offline."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    out = subprocess.run([sys.executable, "-m", "hwrender", "write", "Hello World", "-o",
                          str(tmp_path / "page.pdf"), "--dpi", "100"],
                         capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert PdfReader(tmp_path / "page.pdf").pages[0].extract_text().split() == ["Hello", "World"]
    bad = subprocess.run([sys.executable, "-m", "hwrender", "write", "Hi", "--paper", "napkin",
                          "-o", str(tmp_path / "bad.pdf")], capture_output=True, text=True)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "bad.pdf").exists()

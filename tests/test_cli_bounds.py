"""Numeric options are bounded before any work: `interpolate --steps/--frame-ms/--seed`, a style
number, `write --seed` and page sizes past PDF's limit are one-line usage errors (exit 2)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from hwrender.api import MAX_SEED
from hwrender.cli import app
from hwrender.cli.interpolate import MAX_FRAME_MS, MAX_GLYPHS, MAX_STEPS, MIN_FRAME_MS


@pytest.fixture
def run(tmp_path, monkeypatch, with_test_generator):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HWRENDER_DEBUG", raising=False)
    with_test_generator(only=["font"])

    def no_work(*args, **kwargs):
        raise AssertionError("a bad option must fail before any drawing")

    monkeypatch.setattr("hwrender.cli.interpolate.interpolate_rows", no_work)
    return lambda *args: CliRunner().invoke(app, list(args))


def usage_error(result, *needles):
    assert result.exit_code == 2, (result.exit_code, result.output)
    line = result.stderr.strip()
    assert "\n" not in line and line.startswith("hwrender: error: ")
    for needle in needles:
        assert needle in line, line
    return line


@pytest.mark.parametrize("args, needles", [
    (["--steps", "100000"], ["--steps", f"2 to {MAX_STEPS}"]),
    (["--steps", "1"], ["--steps"]),
    (["--steps", str(MAX_STEPS), "--text", "가" * (MAX_GLYPHS // MAX_STEPS + 1)],
     ["glyphs", "steps or a shorter phrase"]),
    (["--frame-ms", "-5", "-o", "a.gif"], ["--frame-ms", f"{MIN_FRAME_MS} to {MAX_FRAME_MS}"]),
    (["--frame-ms", "10", "-o", "a.gif"], ["--frame-ms"]),
    (["--frame-ms", str(MAX_FRAME_MS + 1), "-o", "a.gif"], ["--frame-ms"]),
    (["--seed", "-1"], ["--seed", str(MAX_SEED)]),
    (["--seed", str(MAX_SEED + 1)], ["--seed"]),
])
def test_interpolate_bounds(run, args, needles):
    usage_error(run("interpolate", "0", "1", "-o", "strip.png", *args), *needles)


@pytest.mark.parametrize("style, needles", [
    ("99999999999999999999999", ["STYLE_B", str(MAX_SEED), "hwrender generators"]),
    ("²", ["STYLE_B", "0-9"]),
    ("-1", ["STYLE_B", "out of range"]),
])
def test_interpolate_style_numbers(run, style, needles):
    usage_error(run("interpolate", "-o", "strip.png", "--", "0", style), *needles)


@pytest.mark.parametrize("style, needles", [
    ("99999999999999999999999", ["--style", str(MAX_SEED), "hwrender generators"]),
    ("²", ["--style", "0-9"]),
    ("-1", ["--style", "out of range"]),
    ("nobody", ["unknown style", "--style", "hwrender generators"]),
])
def test_write_style_numbers(run, style, needles):
    usage_error(run("write", "hi", "-g", "Latn=test", "--style", style, "-o", "page.pdf"), *needles)


def test_write_seed_and_page_size_bounds(run, tmp_path):
    usage_error(run("write", "hi", "-g", "Latn=test", "--seed", str(MAX_SEED + 1), "-o", "p.pdf"),
                "--seed")
    usage_error(run("write", "hi", "-g", "Latn=test", "-p", "210x5100mm", "-o", "p.pdf"),
                "larger than a PDF page", "200in")
    assert not list(tmp_path.iterdir())


def test_a_named_generator_that_cannot_interpolate(tmp_path, monkeypatch, with_test_generator):
    """``-g font`` (or ``-g emnist``) was an AttributeError ("unexpected") once drawing began."""
    monkeypatch.chdir(tmp_path)
    with_test_generator(only=["font"])
    r = CliRunner().invoke(app, ["interpolate", "0", "1", "-t", "hi", "-g", "font", "-o", "strip.png"])
    line = usage_error(r, "generator 'font' cannot interpolate styles", "--generator")
    assert "unexpected" not in line and not (tmp_path / "strip.png").exists()

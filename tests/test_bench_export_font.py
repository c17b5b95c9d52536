"""The export-font benchmark's HarfBuzz measure (benchmarks/bench_export_font.py): words shaped in
an exported font and their outlines filled, crop-and-fit L1 against hwrender's own writing."""

from __future__ import annotations

import dataclasses
import importlib.util
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("uharfbuzz")

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_export_font.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_export_font", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def reg():
    from hwrender_plugins.testing import register

    from hwrender.registry import Registry

    tmp = Registry()
    register(tmp.register)
    return Registry([dataclasses.replace(tmp.get("test"), auto=True)])


@pytest.fixture
def font(tmp_path, reg):
    from hwrender.styles.font import export_font

    path = tmp_path / "tiny.ttf"
    export_font(path, "bold", chars="abcdehlo", registry=reg, cache_dir=tmp_path / "cache")
    return path


def test_shaping_fills_each_glyph_at_its_advance(bench, font):
    from fontTools.ttLib import TTFont

    from hwrender.styles.evaluate import ink_bbox

    tt = TTFont(font)
    px = 0.05  # px per font unit
    one = bench.shaped_alpha(font, "l", px)
    two = bench.shaped_alpha(font, "ll", px)
    assert one.max() > 0.9 and one.min() == 0.0
    # the second 'l' sits one advance right of the first: the ink box grows by the advance
    w1 = ink_bbox(one)[3] - ink_bbox(one)[1]
    w2 = ink_bbox(two)[3] - ink_bbox(two)[1]
    assert abs((w2 - w1) - tt["hmtx"]["l"][0] * px) <= 2
    assert bench.shaped_alpha(font, "", px).sum() == 0


def test_the_font_comes_near_hwrenders_writing_and_a_plain_font_does_not(bench, font, reg):
    """The test hand's font against its own writing: nearer than another word, and nearer than
    a plain font (DejaVu or Caveat), with the seed reference measured too."""
    from hwrender.styles.evaluate import fit_l1

    figures = bench.l1_figures(font, ["hello", "bead", "coda"], "bold", 0, bench.plain_font("latin"),
                               registry=reg)
    assert figures["words"] == 3
    assert figures["font_vs_write"] < figures["plain_font_vs_write"]
    assert figures["write_vs_other_seed"] > 0  # the test hand's seeded jitter
    px = 33.07 / 450
    shaped = bench.shaped_alpha(font, "hello", px)
    same = fit_l1(shaped, bench.written_alpha("hello", "bold", 0, reg))
    other = fit_l1(shaped, bench.written_alpha("dab", "bold", 0, reg))
    assert same < 0.5 * other

"""The ``test`` generator, and both bundled plugins found through their entry points."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwrender.errors import UsageError
from hwrender.registry import ENTRY_POINT_GROUP, Registry

from hwrender_plugins.testing import BASELINE, DESCENT, X_HEIGHT, TestGenerator, register

gen = TestGenerator()


def ink_rows(ink) -> np.ndarray:
    return np.flatnonzero(ink.alpha.max(axis=1) > 0)


def test_spec_is_never_picked_automatically():
    reg = Registry()
    register(reg.register)
    spec = reg.get("test")
    assert spec.scripts == ("*",) and spec.unit == "word"
    assert spec.charset is None and spec.covers("한") and spec.covers("😀")
    assert spec.auto is False and spec.fallback is False
    assert spec.priority == -1000
    assert reg.scripts() == []  # not part of the default plan
    assert reg.fallback() is None
    assert isinstance(reg.instance("test"), TestGenerator)


def test_same_seed_same_ink_in_a_fresh_process():
    words = ["Hello,", "wörld", "한국어", "e\u0301"]
    here = [i.alpha.tobytes().hex() for i in gen.generate(words, None, 42)]
    code = ("from hwrender_plugins.testing import TestGenerator\n"
            f"for i in TestGenerator().generate({words!r}, None, 42): print(i.alpha.tobytes().hex())")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == here  # no per-process hash salt anywhere


def test_seed_and_position_matter():
    a = gen.generate(["handwriting", "handwriting"], None, 1)
    b = gen.generate(["handwriting"], None, 2)
    assert a[0].alpha.tobytes() != a[1].alpha.tobytes()
    assert a[0].alpha.tobytes() != b[0].alpha.tobytes()
    # the glyph shapes themselves do not depend on the seed
    assert a[0].alpha.shape[0] == b[0].alpha.shape[0]


def test_metrics_on_the_fixed_grid():
    x, d, g, A, wide = gen.generate(["x", "d", "g", "A", "한"], None, 0)
    for ink in (x, d, g, A, wide):
        assert ink.baseline == BASELINE and ink.x_height == X_HEIGHT
        assert ink.alpha.dtype == np.float32 and ink.alpha.max() == 1.0
    assert BASELINE - ink_rows(x).min() in (X_HEIGHT - 1, X_HEIGHT, X_HEIGHT + 1)  # +-1 jitter
    assert BASELINE - ink_rows(d).min() > BASELINE - ink_rows(x).min() + 3  # ascender
    assert BASELINE - ink_rows(A).min() > X_HEIGHT + 3
    assert ink_rows(g).max() >= BASELINE + DESCENT - 2  # descender
    assert ink_rows(x).max() <= BASELINE
    assert wide.width > x.width  # width follows the character


def test_widths_and_advances():
    i, m, word = gen.generate(["i", "m", "minimum"], None, 0)
    assert m.width > i.width
    assert word.advance > m.advance
    assert all(ink.advance <= ink.width for ink in (i, m, word))


def test_styles():
    plain, thin, bold = (gen.generate(["word"], s, 0)[0] for s in (None, "thin", "bold"))
    assert thin.alpha.max() < plain.alpha.max()
    assert bold.alpha.sum() > plain.alpha.sum()
    with pytest.raises(UsageError, match="thin"):
        gen.generate(["word"], "fancy", 0)


@pytest.mark.parametrize("word", ["", " ", "a b", "😀👍🏽🇩🇪", "e\u0301\u0302", "\u0301", "\ufeff",
                                  "\x00", "\ud800", "ﷺ", "𝔘𝔫𝔦"])
def test_awkward_units(word):
    ink = gen.generate([word], None, 0)[0]
    assert ink.text == word and ink.alpha.ndim == 2 and ink.advance >= 0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=12), max_size=5), st.integers())
def test_any_unicode_any_seed(words, seed):
    inks = gen.generate(words, None, seed)
    assert [i.text for i in inks] == words
    for ink, word in zip(inks, words):
        assert ink.height == inks[0].height
        if any(not c.isspace() for c in word):
            assert ink.alpha.max() > 0


# -- both bundled plugins through the installed entry points ---------------------------------

def _installed_entry_points() -> set[str]:
    try:
        metadata.distribution("hwrender")
    except metadata.PackageNotFoundError:
        return set()
    return {ep.name for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)}


@pytest.mark.skipif("font" not in _installed_entry_points(),
                    reason="hwrender is not installed (pip install -e .): no entry points to load")
def test_the_test_generator_is_registered_by_tests_not_installed(monkeypatch, with_test_generator):
    monkeypatch.delenv("HWRENDER_PLUGINS", raising=False)
    assert "test" not in _installed_entry_points()
    reg = with_test_generator()
    assert "font" in reg and "test" in reg
    assert reg.fallback().name == "font"
    assert "test" not in {s.name for s in reg.specs() if s.auto}
    only = with_test_generator(only=["font"])
    assert "test" in only and [s.name for s in only.specs()] == ["font", "test"]

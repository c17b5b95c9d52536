"""The ``font`` fallback generator: spec, determinism, metrics, missing characters, styles."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hwrender.errors import UsageError
from hwrender.ink import InkImage
from hwrender.registry import Registry

import hwrender_plugins.font as font_plugin
from hwrender_plugins.font.generator import FontGenerator, clusters


@pytest.fixture(scope="module")
def registry() -> Registry:
    reg = Registry()
    font_plugin.register(reg.register)
    return reg


@pytest.fixture(scope="module")
def spec(registry):
    return registry.get("font")


@pytest.fixture(scope="module")
def gen(registry) -> FontGenerator:
    return registry.instance("font")


@pytest.fixture(scope="module")
def gen_no_system_fonts() -> FontGenerator:
    """Sees no installed fonts, so every missing character becomes a placeholder box."""
    return FontGenerator(font_dirs=())


def ink_rows(ink: InkImage) -> np.ndarray:
    return np.flatnonzero(ink.alpha.max(axis=1) > 0.2)


# -- spec ------------------------------------------------------------------------------------

def test_spec_is_the_lowest_priority_fallback_for_every_script(spec, registry):
    assert spec.name == "font"
    assert spec.scripts == ("*",) and spec.serves("Latn") and spec.serves("Hang")
    assert spec.unit == "word"
    assert spec.priority == -100
    assert spec.fallback and spec.auto
    assert spec.weights is None
    assert registry.fallback() is spec
    assert spec.weights_status() == "bundled font Caveat (OFL-1.1)"
    assert set(spec.styles) == {"natural", "neat", "hurried"}


def test_charset_covers_latin_digits_punctuation_and_cyrillic(spec):
    needed = ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
              ".,;:!?'\"()-–—…«»/&@#%+=*" "éèàçñüöäßøåœ" "ЖжЩщЁёЫыПривет")
    missing = [c for c in needed if not spec.covers(c)]
    assert not missing
    for c in ("한", "中", "☃", "\x00"):
        assert not spec.covers(c)


def test_registering_does_not_open_the_font():
    code = (
        "import sys\n"
        "from hwrender.registry import Registry\n"
        "import hwrender_plugins.font as f\n"
        "reg = Registry(); f.register(reg.register)\n"
        "assert f.charset.cache_info().currsize == 0, 'charset read eagerly'\n"
        "assert 'hwrender_plugins.font.generator' not in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


# -- determinism -----------------------------------------------------------------------------

WORDS = ["Hello,", "world!", "gypsy", "Straße", "Привет", "ToAV"]


@pytest.mark.parametrize("style", [None, "neat", "hurried"])
def test_same_seed_gives_identical_ink(gen, style):
    a = gen.generate(WORDS, style, 7)
    b = FontGenerator().generate(WORDS, style, 7)  # a fresh instance: caches change nothing
    for x, y in zip(a, b):
        assert x.alpha.tobytes() == y.alpha.tobytes()
        assert (x.baseline, x.x_height, x.advance) == (y.baseline, y.x_height, y.advance)


def test_different_seeds_differ(gen):
    a = gen.generate(WORDS, None, 1)
    b = gen.generate(WORDS, None, 2)
    assert all(x.alpha.tobytes() != y.alpha.tobytes() for x, y in zip(a, b))


def test_same_word_twice_in_a_batch_is_not_a_copy(gen):
    a, b = gen.generate(["minimum", "minimum"], None, 3)
    assert a.alpha.tobytes() != b.alpha.tobytes()


def test_styles_differ_and_negative_or_huge_seeds_work(gen):
    natural, neat, hurried = (gen.generate(["handwriting"], s, 5)[0] for s in (None, "neat", "hurried"))
    assert natural.alpha.tobytes() != neat.alpha.tobytes() != hurried.alpha.tobytes()
    assert gen.generate(["x"], "natural", 5)[0].alpha.tobytes() == \
        gen.generate(["x"], None, 5)[0].alpha.tobytes()
    for seed in (-1, 2**70):
        assert gen.generate(["seed"], None, seed)[0].alpha.max() > 0.5


def test_unknown_style_is_a_usage_error_naming_the_known_ones(gen):
    with pytest.raises(UsageError) as err:
        gen.generate(["word"], "cursive", 0)
    assert "cursive" in str(err.value)
    for name in ("natural", "neat", "hurried"):
        assert name in str(err.value)
    assert err.value.exit_code == 2


# -- metrics ---------------------------------------------------------------------------------

def test_ink_images_share_one_frame_and_sane_metrics(gen):
    inks = gen.generate(["a", "Ag", "jumping", "."], None, 0)
    heights = {i.height for i in inks}
    baselines = {i.baseline for i in inks}
    assert len(heights) == 1 and len(baselines) == 1
    for ink in inks:
        assert ink.alpha.dtype == np.float32
        assert 0.0 <= ink.alpha.min() and ink.alpha.max() <= 1.0
        assert not np.isnan(ink.alpha).any()
        assert 0 < ink.baseline < ink.height
        assert 15 < ink.x_height < 40  # 64 px em, Caveat's x-height is 0.4 em
        assert 0 < ink.advance <= ink.width + 1
    assert inks[0].text == "a" and inks[2].text == "jumping"


def test_descender_goes_below_and_capital_above_the_x_height(gen):
    a, A, g, x = gen.generate(["a", "A", "g", "x"], "neat", 0)
    base = a.baseline
    assert ink_rows(g).max() > base + 5  # the tail of the g
    assert ink_rows(a).max() < base + 3
    a_height = base - ink_rows(a).min()
    A_height = base - ink_rows(A).min()
    assert A_height > 1.3 * a_height
    x_measured = base - ink_rows(x).min()
    assert abs(x_measured - x.x_height) < 0.35 * x.x_height


def test_longer_words_are_wider_and_advance_further(gen):
    short, long = gen.generate(["hand", "handwriting"], None, 0)
    assert long.width > short.width and long.advance > short.advance


def test_spaces_inside_a_unit_and_empty_units(gen):
    space, empty, spaced = gen.generate([" ", "", "a b"], None, 0)
    assert space.alpha.max() == 0 and space.advance > 0
    assert empty.alpha.max() == 0 and empty.advance == 0 and empty.width >= 1
    ab = gen.generate(["ab"], None, 0)[0]
    assert spaced.advance > ab.advance


# -- missing characters ----------------------------------------------------------------------

@pytest.mark.parametrize("word", ["☃", "한국어", "a☃b"])
def test_missing_characters_are_written_and_recorded(gen, gen_no_system_fonts, word):
    for g in (gen, gen_no_system_fonts):
        ink = g.generate([word], None, 0)[0]
        assert ink.alpha.max() > 0.5
        missing = [c for c in word if c not in font_plugin.charset()]
        assert ink.meta["substituted"] == missing
        assert set(ink.meta["substitutes"]) == set(missing)
        assert ink.text == word


def test_placeholder_box_when_no_font_has_it(gen_no_system_fonts):
    ink = gen_no_system_fonts.generate(["\U0010fffd"], None, 0)[0]
    assert ink.meta["substitutes"] == {"\U0010fffd": "placeholder"}
    rows = ink_rows(ink)
    assert rows.max() <= ink.baseline + 4  # sits on the line
    assert ink.baseline - rows.min() > ink.x_height  # about capital height


def test_known_characters_are_not_substituted(gen):
    ink = gen.generate(["Zoë"], None, 0)[0]
    assert ink.meta["substituted"] == []


def test_combining_marks_stay_with_their_letter():
    assert clusters("e\u0301te\u0301") == ["e\u0301", "t", "e\u0301"]
    assert clusters("\u0301a") == ["\u0301", "a"]
    assert clusters("👍🏽x") == ["👍🏽", "x"]
    assert clusters("a\u200db") == ["a\u200db"]


@pytest.mark.parametrize("word", [
    "e\u0301", "\u0301", "👍🏽🇩🇪", "x\u200dy", "\ufeff", "\x00", "tab\there", "line\nbreak",
    "\ud800", "\U000e0041", "ﷺ", "a\u0332b", "   ",
])
def test_awkward_units_never_crash(gen_no_system_fonts, word):
    ink = gen_no_system_fonts.generate([word], None, 0)[0]
    assert ink.text == word and ink.alpha.ndim == 2 and ink.advance >= 0
    assert not np.isnan(ink.alpha).any()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=8))
def test_any_unicode_string(gen_no_system_fonts, text):
    ink = gen_no_system_fonts.generate([text], "hurried", 0)[0]
    assert ink.text == text and ink.advance >= 0
    assert 0.0 <= ink.alpha.min() and ink.alpha.max() <= 1.0
    visible = [c for c in text if not c.isspace() and c.isprintable()]
    if visible:
        assert ink.alpha.max() > 0  # something is drawn for every unit with visible characters

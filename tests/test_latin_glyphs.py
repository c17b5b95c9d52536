"""Single Latin characters for a font, cut from context words (``plugins/latin/glyphs.py``), and
the font exporter's use of a generator's ``glyphs`` hook."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hwrender_plugins.latin import glyphs as G
from hwrender_plugins.latin import punctuation
from hwrender_plugins.latin import words as W
from latin_tiny import save_tiny_latin

CHARS = "aqĽ\";(x"  # one of each class cut from context words (none drawn in code; Ľ: the one capital the GAN writes)


def _tiny(folder, recognizer=True):
    return save_tiny_latin(folder / "latin", recognizer)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    """An untrained tiny latin model and its recognizer, as ``hwrender train latin`` exports one."""
    return _tiny(tmp_path_factory.mktemp("latin-tiny"))


@pytest.fixture(scope="module")
def gen(tiny_model):
    from hwrender_plugins.latin.generator import LatinGenerator

    return LatinGenerator(weights_dir=str(tiny_model))


def test_the_hook_returns_one_ink_per_character_with_the_generators_metrics(gen):
    inks = gen.glyphs(CHARS, None, seed=3)
    assert [i.text for i in inks] == list(CHARS)
    for ink in inks:
        assert ink.x_height == W.X_HEIGHT
        assert 0 < ink.baseline <= ink.height  # the baseline inside the image, as _ink keeps it
        assert ink.advance == ink.width > 0
        assert np.isfinite(ink.alpha).all() and 0 <= ink.alpha.min() and ink.alpha.max() <= 1


def test_the_same_seed_gives_the_same_glyphs_and_another_seed_others(gen):
    a, b, c = (gen.glyphs("aB!", None, seed=s) for s in (3, 3, 4))
    assert all(np.array_equal(x.alpha, y.alpha) for x, y in zip(a, b))
    assert any(x.alpha.shape != y.alpha.shape or not np.array_equal(x.alpha, y.alpha)
               for x, y in zip(a, c))


def test_the_cut_keeps_the_characters_slot(gen, monkeypatch):
    """Cuts made to win (the recognizer's loss forced): each glyph is its context words' slot,
    at most a stray blot's reach wider, and not the lone drawing."""
    tried = sum(map(G.cuttable, CHARS))  # scored first: the lone drawings, then the cuts
    monkeypatch.setattr(G, "losses", lambda g, inks, ratio, device="cpu":
                        [1.0] * tried + [0.0] * (len(inks) - tried))
    inks = gen.glyphs(CHARS, None, seed=3)
    alone = gen.generate(list(CHARS), None, 3)
    ratio = gen.style_width_ratio(None)
    for ch, ink, lone in zip(CHARS, inks, alone):
        slot = gen.net_config.width(ch) * ratio
        stray = 2 * (punctuation.REACH + punctuation.FRINGE + 1) + 2  # both edges, 1 px margins
        assert ink.width <= slot + stray, (ch, ink.width, slot)
        assert ink.alpha.shape != lone.alpha.shape or not np.array_equal(ink.alpha, lone.alpha)


def _forced(monkeypatch, cut_wins: bool, calls: list):
    """``losses`` made to prefer the cut (scored first) or the lone drawing, recording its texts."""
    def losses(g, inks, ratio, device="cpu"):
        calls.append([i.text for i in inks])
        half = len(inks) // 2
        return ([0.0] * half + [1.0] * half) if cut_wins else ([1.0] * half + [0.0] * half)
    monkeypatch.setattr(G, "losses", losses)


def test_a_one_letter_word_is_written_both_ways_and_the_recognizer_keeps_one(gen, monkeypatch):
    """``q`` as a word: cut from its context word (``nqn``) or written alone with other word
    variations, whichever the model's recognizer reads better; longer words are not tried."""
    words = ["q", "ü", "ab", "4"]  # the tried words first: they keep their word variations
    calls: list = []
    _forced(monkeypatch, True, calls)
    cut = gen.generate(words, None, 5)
    assert calls == [["q", "ü", "q", "ü"]]  # the cuts, then the lone drawings: letters only
    _forced(monkeypatch, False, calls)
    alone = gen.generate(words, None, 5)
    monkeypatch.setattr(G, "WORDS", False)  # as before: the letter written alone
    before = gen.generate(words, None, 5)
    again = gen.generate(words, None, 5 + G.SEED_STEP)
    assert len(calls) == 2  # WORDS off: nothing tried
    slot = gen.net_config.width("q") * gen.style_width_ratio(None)
    assert cut[0].width <= slot + 2 * (punctuation.REACH + punctuation.FRINGE + 1) + 2
    assert not np.array_equal(cut[0].alpha, before[0].alpha)
    # the lone drawing the recognizer kept: the letter alone, with the other word variations
    assert np.array_equal(alone[0].alpha, again[0].alpha)
    assert np.array_equal(alone[1].alpha, again[1].alpha)
    for inks in (cut, alone):  # "ab" as it was (the drawn 4 takes the pen of all the words)
        assert np.array_equal(inks[2].alpha, before[2].alpha)


def test_a_letter_between_drawn_characters_is_always_cut(gen, monkeypatch):
    """``x-ray``'s x stands between drawn characters: cut from context as before (measured
    better there), not weighed against a lone drawing."""
    calls: list = []
    _forced(monkeypatch, False, calls)
    gen.generate(["x-ray", "a<b"], None, 5)
    assert calls == []


def test_cut_slot_keeps_the_slots_ink_and_cuts_joins_at_its_edges():
    """Three 10 px slots joined by a stroke along the baseline: the middle one keeps its stem, its
    dot straying 1 px past its right edge, and the join up to its edges; the neighbours go."""
    alpha = np.zeros((W.HEIGHT, 30), np.float32)
    alpha[W.BASELINE - 1, 2:28] = 1.0  # the join running through all three
    for x in (4, 14, 24):
        alpha[W.BASELINE - 10:W.BASELINE, x] = 1.0  # each slot's stem
    alpha[5:7, 17:21] = 0.9  # the middle letter's dot, leaning 1 px past its edge
    out = G.cut_slot(alpha, 10.0, 20.0, 0.06)
    assert out[:, 14].sum() == alpha[:, 14].sum()  # the stem
    assert out[5:7, 17:21].sum() == alpha[5:7, 17:21].sum()  # the stray dot, whole
    assert out[:, :10].sum() == 0 and out[W.HEIGHT // 2:, 20:].sum() == 0  # neighbours and joins
    assert out[W.BASELINE - 1, 10:20].min() == 1.0  # the join inside the slot


def test_contexts_put_each_class_where_it_is_written():
    assert ("n" + "q" + "n", 1) in G.contexts("q")
    assert all(k == 0 for _, k in G.contexts("B"))  # capitals at a word's start
    assert all(w.replace("7", "").isdigit() for w, _ in G.contexts("7"))  # digits among digits
    assert (punctuation.CONTEXT + ";", len(punctuation.CONTEXT)) in G.contexts(";")
    assert not G.cuttable("-") and not G.cuttable("ö")  # drawn in code by generate
    assert not any(map(G.cuttable, "#!4$"))  # symbols.DRAWN
    assert G.cuttable("\"") and G.cuttable(".")  # the GAN writes them, points beside letters too


def test_a_model_without_a_recognizer_draws_alone(tmp_path):
    from hwrender_plugins.latin.generator import LatinGenerator

    plain = LatinGenerator(weights_dir=str(_tiny(tmp_path, recognizer=False)))
    inks, alone = plain.glyphs(CHARS, None, seed=3), plain.generate(list(CHARS), None, 3)
    assert all(np.array_equal(a.alpha, b.alpha) for a, b in zip(inks, alone))


def test_the_font_exporter_uses_a_generators_glyph_hook(tmp_path, monkeypatch):
    from fontTools.ttLib import TTFont
    from hwrender_plugins.testing import TestGenerator, register

    from hwrender.registry import Registry
    from hwrender.styles.font import export_font

    tmp = Registry()
    register(tmp.register)
    reg = Registry([dataclasses.replace(tmp.get("test"), auto=True)])
    calls = []

    def glyphs(self, chars, style, seed, device="cpu"):
        calls.append("".join(chars))
        return TestGenerator.generate(self, list(chars), style, seed, device)

    monkeypatch.setattr(TestGenerator, "glyphs", glyphs, raising=False)
    export_font(tmp_path / "f.otf", None, registry=reg, chars="abc", cache_dir=tmp_path / "c")
    assert calls == ["abc"]
    assert {"a", "b", "c"} <= set(TTFont(tmp_path / "f.otf").getGlyphOrder())


def test_a_font_from_the_tiny_latin_model_holds_its_glyphs(tiny_model, tmp_path, monkeypatch):
    from fontTools.ttLib import TTFont
    from hwrender_plugins.latin.generator import LatinGenerator

    from hwrender.registry import Registry, default_registry
    from hwrender.styles.font import export_font

    seen = []
    real = LatinGenerator.glyphs
    monkeypatch.setattr(LatinGenerator, "glyphs",
                        lambda self, *a, **k: seen.append(a[0]) or real(self, *a, **k))
    reg = Registry([default_registry().get("latin")])
    export_font(tmp_path / "f.ttf", None, registry=reg, chars="ab7", weights=str(tiny_model),
                cache_dir=tmp_path / "c")
    assert seen == [["a", "b", "7"]]
    assert set(TTFont(tmp_path / "f.ttf").getBestCmap()) == {32, ord("a"), ord("b"), ord("7")}

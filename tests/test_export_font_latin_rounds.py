"""More candidates for a font's Latin letters (``glyphs.ROUNDS``): each context word drawn again
with another seed, the recognizer choosing among them all."""

from __future__ import annotations

import numpy as np
import pytest
from hwrender_plugins.latin import glyphs as G
from test_latin_glyphs import _tiny

CHARS = "aB3!"


@pytest.fixture(scope="module")
def gen(tmp_path_factory):
    from hwrender_plugins.latin.generator import LatinGenerator

    return LatinGenerator(weights_dir=str(_tiny(tmp_path_factory.mktemp("latin-tiny"))))


def _scored(monkeypatch, winner=None):
    """Record how many inks the recognizer scores; ``winner``: the index (among the cuts) made
    to win, the others scoring 1."""
    seen = []

    def losses(g, inks, ratio, device="cpu"):
        seen.append(len(inks))
        out = [1.0] * len(inks)
        if winner is not None:
            out[len(inks) + winner] = 0.0
        return out

    monkeypatch.setattr(G, "losses", losses)
    return seen


def test_one_round_is_todays_default(gen):
    assert G.ROUNDS == 1
    today = gen.glyphs(CHARS, None, seed=3)
    again = G.draw(gen, CHARS, None, 3, rounds=1)
    assert all(np.array_equal(a.alpha, b.alpha) for a, b in zip(today, again))


def test_each_round_adds_every_context_word_as_a_candidate(gen, monkeypatch):
    jobs = sum(len(G.contexts(c)) for c in CHARS if G.cuttable(c))
    tried = sum(map(G.cuttable, CHARS))
    seen = _scored(monkeypatch)
    for rounds in (1, 2, 3):
        G.draw(gen, CHARS, None, 3, rounds=rounds)
    assert seen == [tried + r * jobs for r in (1, 2, 3)]


def test_a_later_rounds_cut_is_taken_where_it_reads_best(gen, monkeypatch):
    """The last cut of round 2 (the last context word of the last character, drawn with the
    second round's seed) made to win: the glyph is that word's slot, not round 1's."""
    _scored(monkeypatch, winner=-1)
    two = G.draw(gen, CHARS, None, 3, rounds=2)
    one = G.draw(gen, CHARS, None, 3, rounds=1)  # its own last cut wins there
    jobs = [(i, w, k) for i, c in enumerate(CHARS) if G.cuttable(c) for w, k in G.contexts(c)]
    ratio = gen.style_width_ratio(None)
    words = [w for _, w, _ in jobs]
    second = G._cuts(gen, CHARS, jobs, words, None, 3 + 2 * G.SEED_STEP, ratio, "cpu")[-1]
    last = jobs[-1][0]
    assert np.array_equal(two[last].alpha, second.alpha)
    assert two[last].alpha.shape != one[last].alpha.shape or \
        not np.array_equal(two[last].alpha, one[last].alpha)

"""Token words for the Latin evaluation (``plugins/latin/tokens.py``), recognizer-guided
sampling of rare words (``plugins/latin/rerank.py``) and the evaluation's token section."""

from __future__ import annotations


import numpy as np
import pytest
import torch
from hwrender_plugins.latin import rerank as R
from hwrender_plugins.latin import tokens as T
from hwrender_plugins.latin import words as W
from latin_tiny import save_tiny_latin

pytestmark = pytest.mark.usefixtures("one_torch_thread")


# ------------------------------------------------------------------------------ tokens
def test_char_classes_and_groups():
    assert T.char_class("4") == "digit 4" and T.group("digit 4") == "digits"
    assert T.char_class("&") == "mark &" and T.group("mark &") == "symbols"
    assert T.group(T.char_class(",")) == "punctuation"
    assert T.char_class("ï") == "diaeresis" and T.char_class("Ó") == "acute"
    assert T.char_class("ź") == "acute" and T.char_class("ż") == "dot above"
    assert T.char_class("Ł") == "other letter" and T.group("other letter") == "accents"
    assert T.char_class("a") == "lowercase" and T.char_class("Q") == "capital"
    assert T.rare("#3") and T.rare("naïve") and T.rare("it's") and not T.rare("Hello")


def test_hits_align_a_reading_with_its_truth():
    assert T.hits("07:15", "07:15") == [True] * 5
    assert T.hits("07:15", "07.15") == [True, True, False, True, True]
    assert T.hits("abc", "ac") == [True, False, True]
    assert T.hits("$3", "x$3") == [True, True]  # an inserted character costs no truth character
    assert T.hits("ab", "") == [False, False]


def test_class_accuracy_counts_each_character_once():
    table = T.class_accuracy([("$3,907.25", "$3907.25"), ("naïve", "naive"), ("4", "4")])
    assert table["mark ,"] == (0, 1) and table["mark $"] == (1, 1) and table["digit 4"] == (1, 1)
    assert table["diaeresis"] == (0, 1) and table["lowercase"] == (4, 4)
    groups = T.group_accuracy(table)
    assert groups["digits"] == (7, 7) and groups["accents"] == (0, 1)
    assert sum(t for _, t in groups.values()) == len("$3,907.25naïve4")


def test_token_words_come_from_every_template_and_fit():
    words = T.token_words(70)
    assert words == T.token_words(70) and words != T.token_words(70, seed=T.TUNE_SEED)
    assert all(W.writable(w) and len(w) <= W.MAX_CHARS for w in words)
    for mark in "@:$#%/.-,":
        assert any(mark in w for w in words), mark
    assert sum(T.rare(w) for w in words) == len(words)


def test_accented_words_are_held_out_and_lead_with_the_issues():
    from hwrender_plugins.latin.vocabulary import is_heldout

    pool = [f"caf{c}{i}{j}" for c in "éèü" for i in "abcdefgh" for j in "abcdefgh"] + ["plain"]
    words = T.accented_words(6, pool=pool)
    assert words[:2] == ["naïve", "Łódź"] and len(words) == 6
    assert all(is_heldout(w) and not w.isascii() for w in words[2:])


def test_singles_are_every_rare_character():
    singles = T.singles()
    assert set(singles) == {c for c in W.CHARSET if T.rare(c)}
    assert "4" in singles and "&" in singles and "Ł" in singles and "a" not in singles


def test_touches_frame_and_frame_classes():
    alpha = np.zeros((W.HEIGHT, 10), np.float32)
    assert T.touches_frame(alpha) == (False, False)
    alpha[-1, 3] = 0.8
    assert T.touches_frame(alpha) == (False, True)
    assert T.frame_classes("Éjà") == ["accents", "descenders", "capitals"]
    assert T.frame_classes("moon") == []


# ------------------------------------------------------------------------------ rerank
def _tiny(folder):
    return save_tiny_latin(folder / "latin")


@pytest.fixture(scope="module")
def tiny_gen(tmp_path_factory):
    from hwrender_plugins.latin.generator import LatinGenerator

    return LatinGenerator(weights_dir=str(_tiny(tmp_path_factory.mktemp("latin-rerank"))))


def _reader(gen):
    from hwrender_plugins.latin import glyphs

    return glyphs.reader(gen, "cpu")


WORDS = ["4", "hello", "a&b", "07:15", "world,"]


def test_choose_keeps_the_candidate_the_recognizer_reads_best(tiny_gen):
    from hwrender_plugins.latin.generator import WORD_SPREAD

    net, rec = tiny_gen.net, _reader(tiny_gen)
    z = tiny_gen.latents(len(WORDS), None, 3)
    k = 5
    out = R.choose(net, rec, WORDS, z, k, seed=3)
    style_dim = z.shape[1] - net.cfg.word_dim
    for i, word in enumerate(WORDS):
        assert torch.equal(out[i, :style_dim], z[i, :style_dim])  # the hand is the page's
        if not R.needs(word):
            assert torch.equal(out[i], z[i])
            continue
        # every candidate scored alone: the own latent and k - 1 seeded word variations
        cands = [z[i]] + [torch.cat([z[i, :style_dim], w]) for w in
                          R._candidates(net.cfg.word_dim, k - 1, 3, i, word, WORD_SPREAD)]
        scores = [float(R.losses(net, rec, [word], c[None])[0]) for c in cands]
        chosen = float(R.losses(net, rec, [word], out[i:i + 1])[0])
        assert chosen == pytest.approx(min(scores), rel=1e-4, abs=1e-5)
        assert chosen <= scores[0] + 1e-5


def test_prose_punctuation_is_not_drawn_again():
    assert R.needs("#3") and R.needs("4") and R.needs("Málaga") and R.needs("a&b")
    assert not R.needs("dog,") and not R.needs("(yes!)") and not R.needs("it's")


def test_choose_changes_nothing_without_rare_words_k_or_a_recognizer(tiny_gen):
    net, rec = tiny_gen.net, _reader(tiny_gen)
    z = tiny_gen.latents(len(WORDS), None, 3)
    assert R.choose(net, rec, WORDS, z, 1, seed=3) is z
    assert R.choose(net, None, WORDS, z, 8, seed=3) is z
    common = z[:2]
    assert R.choose(net, rec, ["hello", "world"], common, 8, seed=3) is common
    a, b = R.choose(net, rec, WORDS, z, 6, seed=3), R.choose(net, rec, WORDS, z, 6, seed=3)
    assert torch.equal(a, b)  # same page, same ink


def test_enable_redraws_only_rare_words(tiny_gen):
    import copy

    plain = copy.copy(tiny_gen)
    plain._batches = type(tiny_gen)._batches.__get__(plain)
    guided = copy.copy(tiny_gen)
    R.enable(guided, 6)
    words = ["hello", "ła$", "world", "ďo"]  # rare letters the GAN still writes (digits, þ, ŋ are drawn)
    before = plain.generate(words, "2", seed=5)
    after = guided.generate(words, "2", seed=5)
    again = guided.generate(words, "2", seed=5)
    for w, b, a, a2 in zip(words, before, after, again):
        assert np.array_equal(a.alpha, a2.alpha)
        if not R.needs(w):
            assert np.array_equal(a.alpha, b.alpha)
    assert any(not np.array_equal(a.alpha, b.alpha) for a, b in zip(after[1::2], before[1::2]))


# ------------------------------------------------------------------------------ the eval section
def test_the_token_section_reports_per_class_figures(tiny_gen, monkeypatch):
    from hwrender_plugins.latin import evaluate as E

    cfg = E.EvalConfig(token_hands=1, token_words=8, accented_words=3, token_lines=1,
                       frame_words=4, judge_width=4)
    torch.manual_seed(0)
    judge = E._judge_net(cfg).eval()
    monkeypatch.setattr(E, "_holdout_fonts", lambda: [])
    accented = T.accented_words  # the word lists' held-out words: a small pool is quicker
    monkeypatch.setattr(T, "accented_words", lambda n, seed=T.EVAL_SEED: accented(
        n, seed, pool=["Éjà", "garçon", "Straße", "año"]))
    train = W.WordData.from_images([np.zeros((W.HEIGHT, 32), np.uint8)] * 2, ["Ab", "gy"],
                                   [0, 0], ["f"], [20.0, 20.0])
    figures = E._token_figures(tiny_gen, judge, train, cfg, "cpu", [], lambda m: None)
    names = [f["name"] for f in figures]
    for g in ("digits", "punctuation", "symbols", "accents"):
        value = next(f["value"] for f in figures if f["name"].startswith(
            f"recognizer accuracy on token words, {g} "))
        assert 0.0 <= value <= 1.0
    assert any(n == "recognizer accuracy, class 'digit 4'" for n in names)
    assert any(n.startswith("token classes read under") for n in names)
    assert any(n.startswith("words with ink at the frame's top / bottom row, accents") for n in names)

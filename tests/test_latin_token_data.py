"""Token words in the Latin training vocabulary (``LatinConfig.token_share``, ``_token``): e-mail
addresses, numbers, dates, times, prices, symbols and apostrophes inside and around words."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from hwrender_plugins.latin import dataset
from hwrender_plugins.latin import vocabulary as V
from hwrender_plugins.latin.words import MAX_CHARS, writable

CAVEAT = Path(__file__).resolve().parents[1] / "plugins" / "font" / "fonts" / "Caveat-Regular.ttf"
BASE = [f"{a}{b}{c}{d}" for a in "bcdfgkm" for b in "aeiou" for c in "lmnrst" for d in "aeoy"]
SYMBOLS = "&@#*+=<>~^_|\\/%`"


def test_no_token_share_keeps_todays_vocabulary():
    from hwrender_plugins.latin.config import LatinConfig

    assert LatinConfig().token_share == 0.0  # the shipped model's words
    plain = V.vocabulary(0, size=600, words=BASE, token_share=0.0)
    assert V.vocabulary(0, size=600, words=BASE) == plain
    assert V.vocabulary(0, size=600, words=BASE, token_share=0.1) != plain


def test_token_words_hold_numbers_symbols_and_addresses():
    plain = V.vocabulary(0, size=20000, words=BASE, token_share=0.0)["train"]
    vocab = V.vocabulary(0, size=20000, words=BASE, token_share=0.1)
    train = vocab["train"]
    assert vocab["heldout"] == V.vocabulary(0, size=20000, words=BASE)["heldout"]
    heldout = {w.casefold() for w in vocab["heldout"]}
    for word in train:
        assert writable(word) and len(word) <= MAX_CHARS, word
        assert not any(run.casefold() in heldout for run in re.findall(r"[^\W\d_]+", word)), word

    def share(words, test):
        return sum(map(test, words)) / len(words)

    def digits(w):
        return any(c.isdigit() for c in w)

    assert share(train, digits) > 1.5 * share(plain, digits)
    counts = Counter(ch for w in train for ch in set(w))
    before = Counter(ch for w in plain for ch in set(w))
    for sym in SYMBOLS:  # every symbol in many more words than the top-up's minimum
        assert counts[sym] > before[sym] and counts[sym] >= 1.5 * V.MIN_CHAR_WORDS, (sym, counts[sym])
    assert any(re.fullmatch(r"[a-z._0-9]+@[a-z]+\.[a-z.]+", w) for w in train)  # e-mail
    assert any(re.fullmatch(r"\d{1,2}:\d\d(am|pm)?", w) for w in train)  # time
    assert any(re.fullmatch(r"\$?\d{1,3}(,\d{3})+(\.\d\d)?", w) for w in train)  # price
    assert any(re.fullmatch(r"[a-z]+n't", w) for w in train)  # apostrophe inside


def test_a_token_share_builds_its_own_cached_word_sets(tmp_path, monkeypatch):
    from hwrender import fonts

    monkeypatch.setenv("HWRENDER_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(fonts, "available", lambda script, role, split: (
        {"caveat-a": CAVEAT} if split == "train" else {}))
    vocabulary = V.vocabulary
    monkeypatch.setattr(dataset, "vocabulary", lambda seed, token_share=0.0: vocabulary(
        seed, size=100, words=BASE, token_share=token_share))
    plain, _ = dataset.training_set(None, per_font=5, log=lambda m: None, min_fonts=1)
    given, _ = dataset.training_set(None, per_font=5, log=lambda m: None, min_fonts=1,
                                    token_share=0.1)
    assert len(list(tmp_path.iterdir())) == 2  # not the sets without token words
    assert given.texts != plain.texts
    again, _ = dataset.training_set(None, per_font=5, log=lambda m: None, min_fonts=1,
                                    token_share=0.1)
    assert len(list(tmp_path.iterdir())) == 2 and again.texts == given.texts  # cached
    plain_again, _ = dataset.training_set(None, per_font=5, log=lambda m: None, min_fonts=1,
                                          token_share=0.0)
    assert plain_again.texts == plain.texts


def test_the_training_run_and_the_eval_build_the_models_token_share(monkeypatch):
    """``hwrender train latin --set token_share=X`` trains on token words, and ``hwrender eval
    latin`` builds the words (and its judge) with the share the model was trained with, or the
    one ``--set token_share=`` gives."""
    import pytest

    from hwrender_plugins.latin import evaluate as E
    from hwrender_plugins.latin.config import LatinConfig
    from hwrender_plugins.latin.task import LatinTask

    asked = []

    class Stop(Exception):
        pass

    def fake(data, per_font=1000, seed=0, log=print, min_fonts=1, augment="full",
             token_share=0.0):
        asked.append(token_share)
        raise Stop

    monkeypatch.setattr(dataset, "training_set", fake)

    class Ctx:
        device, data, finetune = "cpu", None, None

        @staticmethod
        def log(message):
            pass

    with pytest.raises(Stop):
        LatinTask(LatinConfig(variant="tiny", token_share=0.08)).setup(Ctx())
    assert asked == [0.08]

    class Gen:
        def __init__(self, weights_dir=None):
            self.config = {"train": {"token_share": 0.05, "per_font": 10}}

    from hwrender_plugins.latin import generator

    monkeypatch.setattr(generator, "LatinGenerator", Gen)
    for options, share in (([], 0.05), (["token_share=0.08"], 0.08), (["token_share=0"], 0.0)):
        with pytest.raises(Stop):
            E.evaluate(options=options)
        assert asked[-1] == share

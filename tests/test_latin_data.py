"""Latin word data: charset and encoding, the WordData store, font rendering and its geometry,
seeded builds, the vocabulary split, the IAM loader and training_set's data folders.

Offline and small: the bundled Caveat font, word lists and IAM fixtures the tests write
themselves (no /usr/share/dict, no installed font corpus).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hwrender_plugins.latin import dataset, iam, render
from hwrender_plugins.latin import vocabulary as V
from hwrender_plugins.latin.words import (
    BASELINE,
    CHAR_WIDTH,
    CHARSET,
    HEIGHT,
    MAX_CHARS,
    X_HEIGHT,
    WordData,
    canonical,
    char_index,
    decode,
    encode,
    writable,
)
from PIL import Image, ImageDraw

from hwrender.errors import UsageError

CAVEAT = Path(__file__).resolve().parents[1] / "plugins" / "font" / "fonts" / "Caveat-Regular.ttf"
WORDS = ["apple", "banana", "cherry", "date", "elder", "fig", "grape", "hazel", "kiwi", "lemon",
         "mango", "nectar", "olive", "peach", "quince", "raisin", "sloe", "tomato", "ugli", "vanilla",
         "walnut", "yam", "zest", "almond", "basil", "clove", "dill", "endive", "fennel", "garlic",
         "ginger", "hops", "kale", "leek", "mint", "nutmeg", "onion", "parsley", "radish", "sage",
         "thyme", "Paris", "London", "café", "straße", "łódź", "don't", "apple's"]


@pytest.fixture(scope="module")
def caveat() -> render.WordFont:
    return render.WordFont(CAVEAT)


def _data(texts, font=0, fonts=("a",)) -> WordData:
    """A WordData whose word i is filled with the value i + 1 (exact round trips are visible)."""
    images = [np.full((HEIGHT, CHAR_WIDTH * len(t)), i + 1, np.uint8) for i, t in enumerate(texts)]
    return WordData.from_images(images, texts, [font] * len(texts), list(fonts),
                                [7.5 * len(t) for t in texts], {"note": "ü"})


# --- charset and encoding ------------------------------------------------------------------------

def test_charset_properties():
    assert " " not in CHARSET
    assert all(ch in CHARSET for ch in "Az0!éłŁßÿ~")
    assert "×" not in CHARSET and "÷" not in CHARSET
    assert list(CHARSET) == sorted(set(CHARSET))
    assert len(CHARSET) == 94 + 62 + 128
    assert min(char_index().values()) == 1 and max(char_index().values()) == len(CHARSET)


def test_encode_decode_round_trip():
    words = ["é", "Straße", "łódź!", "x"]
    indices, lengths = encode(words)
    assert indices.shape == (4, 6) and lengths.tolist() == [1, 6, 5, 1]
    assert indices[0, 1:].eq(0).all()  # zero padding
    assert [decode(row.tolist()) for row in indices] == words
    assert writable("łódź") and not writable("") and not writable("a b") and not writable("€")


def test_encode_unknown_character_names_it():
    with pytest.raises(ValueError, match="€"):
        encode(["ok", "5€"])


# --- WordData ------------------------------------------------------------------------------------

def test_worddata_save_load_round_trip(tmp_path):
    data = _data(["ab", "cde", "f", "gh"])
    data.save(tmp_path / "set.npz")
    back = WordData.load(tmp_path / "set.npz")
    for name in ("pixels", "offsets", "font_ids", "natural_widths"):
        np.testing.assert_array_equal(getattr(back, name), getattr(data, name))
        assert getattr(back, name).dtype == getattr(data, name).dtype
    assert back.texts == data.texts and back.fonts == data.fonts and back.meta == data.meta
    data.save(tmp_path / "no-suffix")  # written as named (numpy adds .npz to a bare name)
    assert WordData.load(tmp_path / "no-suffix").texts == data.texts
    assert sorted(p.name for p in tmp_path.iterdir()) == ["no-suffix", "set.npz"]  # no temporaries


def test_worddata_access_batch_subset_concat():
    data = _data(["ab", "cd", "efg", "hi"])
    assert len(data) == 4 and data.lengths().tolist() == [2, 2, 3, 2]
    assert data.image(2).shape == (HEIGHT, 3 * CHAR_WIDTH) and (data.image(2) == 3).all()
    batch = data.batch([3, 0])
    assert batch.shape == (2, HEIGHT, 2 * CHAR_WIDTH) and (batch[0] == 4).all() and (batch[1] == 1).all()
    with pytest.raises(ValueError):
        data.batch([0, 2])

    sub = data.subset([2, 0])
    assert sub.texts == ["efg", "ab"] and (sub.image(0) == 3).all() and (sub.image(1) == 1).all()
    np.testing.assert_array_equal(sub.natural_widths, data.natural_widths[[2, 0]])

    other = _data(["xyz"], font=1, fonts=("b", "a"))
    joined = WordData.concat([data, other])
    assert joined.texts == data.texts + ["xyz"] and joined.fonts == ["a", "b"]
    assert joined.font_ids.tolist() == [0, 0, 0, 0, 0]  # "a" in both parts
    np.testing.assert_array_equal(joined.image(4), other.image(0))


def test_load_rejects_other_npz(tmp_path):
    np.savez(tmp_path / "other.npz", x=np.zeros(3))
    with pytest.raises(UsageError):
        WordData.load(tmp_path / "other.npz")


# --- rendering -----------------------------------------------------------------------------------

def _ink_rows(alpha: np.ndarray) -> np.ndarray:
    return np.flatnonzero(alpha.max(axis=1) >= 0.5)


def test_render_geometry(caveat):
    alpha, width = render.render_word(caveat, "x")
    assert alpha.dtype == np.float32 and alpha.shape[0] == HEIGHT
    rows = _ink_rows(alpha)
    assert abs(rows[-1] - (BASELINE - 1)) <= 1  # sits on the baseline
    assert abs(len(rows) - X_HEIGHT) <= 1
    assert alpha.shape[1] == width + 2  # ink plus 1 px each side

    _, long_width = render.render_word(caveat, "xxxxxx")
    assert long_width > 4 * width
    tall, _ = render.render_word(caveat, "dl")
    assert _ink_rows(tall)[-1] == rows[-1]  # same baseline
    assert len(_ink_rows(tall)) > 1.5 * X_HEIGHT  # ascenders rise above the x-height

    image = canonical(alpha, 3)
    assert image.dtype == np.uint8 and image.shape == (HEIGHT, 3 * CHAR_WIDTH)
    np.testing.assert_array_equal(_ink_rows(image / 255.0), rows)  # vertical geometry unchanged


def test_augmentation_keeps_the_baseline(caveat):
    rng = np.random.default_rng(3)
    bottoms = [_ink_rows(render.render_word(caveat, "women", render.Augment(), rng)[0])[-1]
               for _ in range(8)]
    assert all(abs(b - (BASELINE - 1)) <= 2 for b in bottoms)
    clean, _ = render.render_word(caveat, "women")
    augmented, _ = render.render_word(caveat, "women", render.Augment(), np.random.default_rng(0))
    assert clean.shape != augmented.shape or not np.allclose(clean, augmented)


def test_build_words_is_seeded():
    fonts = {"caveat-test": CAVEAT}
    logs = []

    def build(seed, augment=None):
        return dataset.build_words(fonts, WORDS, per_font=12, seed=seed,
                                  augment=augment or render.Augment(), log=logs.append)

    first, again, other = build(1), build(1), build(2)
    np.testing.assert_array_equal(first.pixels, again.pixels)
    assert first.texts == again.texts and len(first) == 12
    assert first.texts != other.texts
    assert not np.array_equal(build(1, render.Augment.none()).pixels, first.pixels)
    assert all(first.image(i).shape[1] == CHAR_WIDTH * len(t) for i, t in enumerate(first.texts))
    assert first.fonts == ["caveat-test"] and first.meta["fonts"][0]["words"] == 12
    assert set(first.texts) <= set(WORDS) and logs


# --- vocabulary ----------------------------------------------------------------------------------

def _letter_runs(token: str) -> list[str]:
    runs, run = [], ""
    for ch in token:
        if ch.isalpha():
            run += ch
        else:
            runs, run = runs + [run] * bool(run), ""
    return runs + [run] * bool(run)


def test_vocabulary_split():
    base = [f"{a}{b}{c}" for a in "bcdfg" for b in "aeiou" for c in "lmnrst"] + WORDS
    vocab = V.vocabulary(seed=0, size=400, words=base)
    assert vocab == V.vocabulary(seed=0, size=400, words=base)
    assert vocab["train"] != V.vocabulary(seed=1, size=400, words=base)["train"]
    heldout = {w.casefold() for w in vocab["heldout"]}
    assert heldout and all(V.is_heldout(w) for w in vocab["heldout"])
    for token in vocab["train"]:
        assert all(run.casefold() not in heldout for run in _letter_runs(token)), token
        assert writable(token) and len(token) <= MAX_CHARS
    assert "apple's" not in vocab["train"] + vocab["heldout"]  # possessives dropped
    train_chars = set("".join(vocab["train"]))
    assert set(CHARSET) <= train_chars  # every character is seen, pseudo-words where needed


def test_vocabulary_needs_word_lists(tmp_path):
    with pytest.raises(UsageError) as info:
        V.vocabulary(dict_dir=tmp_path)
    assert "wamerican" in info.value.hint


# --- IAM -----------------------------------------------------------------------------------------

def _iam_fixture(folder: Path) -> None:
    lines = ["# IAM words.txt fixture", "#",
             "a01-000u-00-00 ok 154 408 768 27 51 AT A",
             "a01-000u-00-01 ok 154 507 766 213 48 NN MOVE",
             "a01-000u-00-02 err 154 796 764 70 50 TO to",
             "a01-000u-00-03 ok 154 919 757 166 78 VB stop",
             "b02-001x-01-00 ok 160 100 100 50 40 NN gone"]  # its image is missing
    (folder / "words.txt").write_text("\n".join(lines) + "\n")
    for word_id, text in (("a01-000u-00-00", "A"), ("a01-000u-00-01", "MOVE"),
                          ("a01-000u-00-02", "to"), ("a01-000u-00-03", "stop")):
        image = Image.new("L", (20 + 18 * len(text), 60), 235)
        draw = ImageDraw.Draw(image)
        for k in range(len(text)):  # a dark block per letter, one with a descender
            draw.rectangle((10 + 18 * k, 20, 22 + 18 * k, 40), fill=30)
        draw.rectangle((12, 40, 14, 52), fill=30)
        path = folder / "words" / "a01" / "a01-000u" / f"{word_id}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        image.save(path)


def test_iam_loader(tmp_path):
    _iam_fixture(tmp_path)
    data = iam.load_iam(tmp_path, log=lambda m: None)
    assert data.texts == ["A", "MOVE", "stop"]
    assert data.fonts == ["iam:a01-000u"]
    assert data.meta["skipped"] == {"segmentation err": 1, "image missing": 1}
    for i, text in enumerate(data.texts):
        image = data.image(i)
        assert image.shape == (HEIGHT, CHAR_WIDTH * len(text))
        rows = np.flatnonzero(image.max(axis=1) >= 128)
        assert abs(rows[-1] - BASELINE) <= 5 and rows[-1] > BASELINE  # the descender goes below
    assert iam.load_iam(tmp_path, skip_err=False, log=lambda m: None).texts == ["A", "MOVE", "to", "stop"]


def test_iam_errors(tmp_path):
    with pytest.raises(UsageError, match="words.txt"):
        iam.load_iam(tmp_path)
    (tmp_path / "words.txt").write_text("a01-000u-00-00 ok 154 408 768 27 51 AT A\n")
    with pytest.raises(UsageError, match="image missing"):
        iam.load_iam(tmp_path)


# --- training_set's data folders -----------------------------------------------------------------

def test_training_set_from_npz(tmp_path):
    texts = [f"w{i:03d}" for i in range(200)]
    data = _data(texts)
    data.save(tmp_path / "mine.npz")
    for where in (tmp_path / "mine.npz", tmp_path):
        train, heldout = dataset.training_set(where, log=lambda m: None)
        assert sorted(train.texts + heldout.texts) == texts
        assert 0 < len(heldout) < 30 and not set(train.texts) & set(heldout.texts)
    with pytest.raises(UsageError):
        dataset.training_set(tmp_path / "empty", log=lambda m: None)


def test_training_set_from_iam(tmp_path):
    _iam_fixture(tmp_path)
    train, heldout = dataset.training_set(tmp_path, log=lambda m: None)
    assert sorted(train.texts + heldout.texts) == ["A", "MOVE", "stop"]


def test_training_set_builds_and_caches(tmp_path, monkeypatch):
    from hwrender import fonts

    monkeypatch.setenv("HWRENDER_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(fonts, "available", lambda script, role, split: (
        {"caveat-train": CAVEAT} if split == "train" else {"caveat-holdout": CAVEAT}))
    base = [f"{a}{b}{c}{d}" for a in "bcdfg" for b in "aeiou" for c in "lmnrst" for d in "aeo"]
    vocabulary = V.vocabulary
    monkeypatch.setattr(dataset, "vocabulary", lambda seed, token_share=0.0: vocabulary(
        seed, size=300, words=base, token_share=token_share))
    with pytest.raises(UsageError, match="fonts install"):
        dataset.training_set(None, per_font=20, log=lambda m: None)

    logs = []
    train, heldout = dataset.training_set(None, per_font=20, log=logs.append, min_fonts=1)
    assert len(train) == 20 and train.fonts == ["caveat-train"]
    assert set(heldout.fonts) == {"caveat-train", "caveat-holdout"}
    assert heldout.meta["holdout_fonts"] == ["caveat-holdout"]
    assert not {t.casefold() for t in train.texts} & {t.casefold() for t in heldout.texts}
    assert train.meta["fonts"][0]["license"] is None  # not a corpus record
    again, _ = dataset.training_set(None, per_font=20, log=logs.append, min_fonts=1)
    assert "using cached" in logs[-1] and again.texts == train.texts
    (folder,) = tmp_path.iterdir()  # no temporary folder left behind
    assert folder.name.startswith("latin-words-")
    assert sorted(p.name for p in folder.iterdir()) == ["eval.npz", "train.npz"]


def test_ocr_hard_fonts_are_skipped_and_rebuild_the_cache(tmp_path, monkeypatch):
    """A font flagged latin_ocr_hard leaves the word data, and the cached sets built with it go."""
    from hwrender import fonts

    monkeypatch.setenv("HWRENDER_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(fonts, "available", lambda script, role, split: (
        {"caveat-a": CAVEAT, "caveat-b": CAVEAT} if split == "train" else {}))
    base = [f"{a}{b}{c}" for a in "bcdfg" for b in "aeiou" for c in "lmnrst"]
    vocabulary = V.vocabulary
    monkeypatch.setattr(dataset, "vocabulary", lambda seed, token_share=0.0: vocabulary(
        seed, size=100, words=base, token_share=token_share))
    train, _ = dataset.training_set(None, per_font=5, log=lambda m: None, min_fonts=1)
    assert train.fonts == ["caveat-a", "caveat-b"]

    monkeypatch.setattr(dataset, "skip_reason",
                        lambda fid: "latin_ocr_hard" if fid == "caveat-b" else None)
    train, _ = dataset.training_set(None, per_font=5, log=lambda m: None, min_fonts=1)
    assert train.fonts == ["caveat-a"]
    assert train.meta["skipped_fonts"] == {"caveat-b": "latin_ocr_hard"}
    assert len(list(tmp_path.iterdir())) == 2  # a second cache entry, not the first reused


def test_the_training_augmentation_is_a_choice_with_its_own_cache(tmp_path, monkeypatch):
    from hwrender import fonts

    monkeypatch.setenv("HWRENDER_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(fonts, "available", lambda script, role, split: (
        {"caveat-a": CAVEAT} if split == "train" else {}))
    base = [f"{a}{b}{c}" for a in "bcdfg" for b in "aeiou" for c in "lmnrst"]
    vocabulary = V.vocabulary
    monkeypatch.setattr(dataset, "vocabulary", lambda seed, token_share=0.0: vocabulary(
        seed, size=100, words=base, token_share=token_share))
    full, held_full = dataset.training_set(None, per_font=5, log=lambda m: None, min_fonts=1)
    light, held_light = dataset.training_set(None, per_font=5, log=lambda m: None, min_fonts=1,
                                            augment="light")
    assert full.meta["augment"]["slant"] == render.Augment().slant
    assert light.meta["augment"]["slant"] == render.Augment.light().slant < render.Augment().slant
    assert light.texts == full.texts and not np.array_equal(light.pixels, full.pixels)
    assert held_light.meta["augment"] == held_full.meta["augment"]  # evaluation words: mild
    assert len(list(tmp_path.iterdir())) == 2
    with pytest.raises(UsageError, match="unknown word augmentation 'heavy'"):
        dataset.training_set(None, per_font=5, log=lambda m: None, min_fonts=1, augment="heavy")


def test_manifest_ocr_hard_flag_is_a_skip_reason():
    from hwrender import fonts

    flagged = [r.id for r in fonts.corpus() if r.latin_ocr_hard]
    assert "homemade-apple" in flagged
    assert all(dataset.skip_reason(fid) == "latin_ocr_hard" for fid in flagged)
    assert dataset.skip_reason("caveat") is None


def test_font_line_writes_covered_words_and_refuses_the_rest(caveat):
    from hwrender_plugins.latin.evaluate import font_line

    one = font_line(caveat, ["apple"])
    two = font_line(caveat, ["apple", "banana"])
    assert one.dtype == np.uint8 and one.min() < 128 and one.max() == 255  # dark ink on white
    assert two.shape[0] == one.shape[0] and two.shape[1] > one.shape[1]
    assert font_line(caveat, ["apple", "\u732bx"]) is None  # a Han character: not in Caveat

"""``hwrender eval latin``'s independent recognizer: trained once, cached, and a cached file that
does not fit its network (damaged, or made for another one) is trained again with a warning."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from hwrender_plugins.latin import evaluate as E
from hwrender_plugins.latin.render import WordFont
from hwrender_plugins.latin.words import CHAR_WIDTH, HEIGHT, WordData
from safetensors.torch import save_file

from hwrender.errors import HwrenderWarning


def _words() -> WordData:
    texts = ["ab", "cd", "ef", "gh"]
    images = [np.full((HEIGHT, CHAR_WIDTH * 2), 40 * i, np.uint8) for i in range(len(texts))]
    return WordData.from_images(images, texts, [0] * 4, ["f"], [20.0] * 4)


def test_the_judge_is_cached_and_a_stale_file_is_trained_again(tmp_path, monkeypatch):
    monkeypatch.setenv("HWRENDER_DATA_DIR", str(tmp_path))
    cfg = E.EvalConfig(judge_steps=1, judge_batch=2, judge_width=4)
    logs: list[str] = []
    E.judge_for(_words(), cfg, "cpu", logs.append)
    (path,) = Path(tmp_path).glob("latin-judge-*.safetensors")
    good = path.read_bytes()
    E.judge_for(_words(), cfg, "cpu", logs.append)
    assert "training" in logs[0] and "using the cached recognizer" in logs[-1]

    for stale in ({"head.weight": torch.zeros(2, 2)}, b"not a safetensors file"):
        if isinstance(stale, dict):
            save_file(stale, str(path))  # another network's tensors
        else:
            path.write_bytes(stale)
        with pytest.warns(HwrenderWarning, match="does not fit its network.*training it again"):
            judge = E.judge_for(_words(), cfg, "cpu", logs.append)
        assert isinstance(judge, torch.nn.Module)
        assert path.read_bytes() == good  # trained again (same seed, same data) and replaced


CAVEAT = Path(__file__).resolve().parents[1] / "plugins" / "font" / "fonts" / "Caveat-Regular.ttf"


def test_the_judge_also_reads_lone_characters_of_the_training_fonts(tmp_path, monkeypatch):
    """Trained on words only, the judge read a lone accented letter poorly even in a real font;
    with ``judge_singles`` it also reads every charset character alone, rendered in the training
    words' fonts, and that judge is cached apart from the words-only one."""
    from hwrender import fonts
    from hwrender_plugins.latin import words as W

    monkeypatch.setenv("HWRENDER_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(fonts, "available", lambda script=None, **kw: {"caveat": CAVEAT})
    cfg = E.EvalConfig(judge_steps=4, judge_batch=3, judge_width=4, judge_draws=2, judge_singles=0.5)
    base = _words()
    words = WordData.from_images([base.image(i) for i in range(4)], base.texts, [0] * 4, ["caveat"],
                                 [20.0] * 4)
    singles = E.lone_characters(words, "light", cfg, lambda m: None)
    caveat = {c for c in W.CHARSET if c in WordFont(CAVEAT).chars}
    assert set(singles.texts) == caveat and len(singles) == 2 * len(caveat)
    assert (singles.lengths() == 1).all() and singles.pixels.max() > 200  # ink, one slot each
    # the same font, seed and draws give the same pixels
    again = E.lone_characters(words, "light", cfg, lambda m: None)
    assert np.array_equal(again.pixels, singles.pixels)

    read: list[int] = []
    real_batch = WordData.batch

    def batch(self, idx):
        read.append(int(self.lengths()[idx[0]]))
        return real_batch(self, idx)

    monkeypatch.setattr(WordData, "batch", batch)
    E.judge_for(words, cfg, "cpu", lambda m: None, singles)
    assert 1 in read and 2 in read  # steps on lone characters and on words
    read.clear()
    E.judge_for(words, cfg, "cpu", lambda m: None)  # words only: another judge, trained apart
    assert read and set(read) == {2}
    assert len(list(Path(tmp_path).glob("latin-judge-*.safetensors"))) == 2
    # IAM words (not corpus fonts): the judge reads words only
    iam = WordData.from_images([words.image(0)], ["ab"], [0], ["iam:a01"], [20.0])
    assert E.lone_characters(iam, "light", cfg, lambda m: None) is None

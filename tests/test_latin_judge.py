"""``hwrender eval latin``'s independent recognizer: trained once, cached, and a cached file that
does not fit its network (damaged, or made for another one) is trained again with a warning."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from hwrender_plugins.latin import evaluate as E
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

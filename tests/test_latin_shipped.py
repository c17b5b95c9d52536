"""The shipped ``latin`` weights (weights/latin): they verify, load, write the default page and read
back through the model's own recognizer."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

WORDS = ["the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "hello", "world",
         "paper", "little", "garden", "window", "yellow", "summer"]


@pytest.fixture(scope="module")
def shipped():
    from hwrender_plugins.latin.generator import LatinGenerator

    return LatinGenerator()  # no folder: the bundled copy, no network


def test_the_bundled_weights_verify_against_their_manifest():
    from hwrender.weights import local_folder, verify

    folder = local_folder("latin")
    assert folder is not None and (folder / "README.md").is_file()
    report = verify("latin")
    assert report.ok and report.source == "bundled", report.hint
    card = (folder / "README.md").read_text()
    assert "Tesseract" in card and "licence" in card


def test_latin_is_the_default_generator_for_latin_text():
    from hwrender.plan import Planner
    from hwrender.registry import default_registry

    planner = Planner(default_registry())
    assert planner.candidates("Latn")[0].name == "latin"
    assert planner.candidates("Zyyy")[0].name == "latin"


def test_shipped_words_are_deterministic_and_longer_ones_wider(shipped):
    short, long = shipped.generate(["cat", "encyclopedia"], None, seed=0)
    assert long.width > 2.5 * short.width
    again = shipped.generate(["cat", "encyclopedia"], None, seed=0)
    assert np.array_equal(short.alpha, again[0].alpha) and np.array_equal(long.alpha, again[1].alpha)
    other = shipped.generate(["cat", "encyclopedia"], "5", seed=0)
    assert not np.array_equal(long.alpha, other[1].alpha)  # another hand


def test_shipped_words_read_back_through_the_models_recognizer(shipped):
    """A broken export (wrong tensors, a lost ink curve, untrained weights) fails this: the
    recognizer shipped with the generator reads most of its words letter for letter."""
    from hwrender_plugins.latin import words as W
    from hwrender_plugins.latin.model import Recognizer, greedy_decode

    from hwrender.weights import load_state_dict

    state = load_state_dict(shipped.folder / "model.safetensors")
    reader = Recognizer(shipped.net_config)
    reader.load_state_dict({k[len("recognizer."):]: v.float() for k, v in state.items()
                            if k.startswith("recognizer.")})
    reader.eval()
    right = total = 0
    for style in ("0", "1", "2"):
        for alpha, word in zip(shipped.raw(WORDS, style, seed=1), WORDS):
            x = torch.from_numpy(alpha)[None, None] * 2 - 1
            with torch.no_grad():
                seq = greedy_decode(reader(x))[0]
            right += W.decode(seq) == word
            total += 1
    assert right / total >= 0.8, f"{right}/{total} words read back"


def test_the_default_write_uses_the_shipped_model(tmp_path):
    import hwrender

    out = tmp_path / "page.png"
    pages = hwrender.write("Hello World, a page in the shipped hand.", out, seed=0)
    assert len(pages) == 1
    page = np.asarray(Image.open(out).convert("L"))
    assert (page < 128).mean() > 0.001  # dark ink


def test_named_styles_are_distinct_hands_and_listed_without_torch(shipped):
    import subprocess
    import sys

    assert list(shipped.styles)[:3] == ["neat", "fine", "bold"]  # then the profiled hands
    words = ["quick", "brown", "foxes"]
    drawn = {s: shipped.raw(words, s, seed=2) for s in ("neat", "fine", "bold")}
    ink = {s: float(np.mean([(a > 0.5).mean() for a in v])) for s, v in drawn.items()}
    assert ink["bold"] > 1.3 * ink["fine"]  # chosen as the heaviest and the lightest legible hand
    assert not np.array_equal(drawn["neat"][0], shipped.raw(words, None, seed=2)[0])
    assert all(np.array_equal(a, b) for a, b in zip(drawn["bold"], shipped.raw(words, "bold", seed=2)))
    # `hwrender generators` names them, read from config.json without importing torch
    code = ("import sys; from hwrender.registry import default_registry; "
            "print(','.join(default_registry().get('latin').styles)); print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == [",".join(shipped.styles), "False"]


def test_malformed_named_styles_are_a_one_line_error(tmp_path):
    import json
    import shutil

    from hwrender_plugins.latin.generator import LatinGenerator

    from hwrender.errors import GeneratorError
    from hwrender.weights import local_folder

    folder = tmp_path / "latin"
    shutil.copytree(local_folder("latin"), folder)
    (folder / "manifest.json").unlink()  # an explicit folder without a manifest is taken as is
    config = json.loads((folder / "config.json").read_text())
    config["styles"] = {"neat": {"spread": 0.5}}  # no seed
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(GeneratorError, match="malformed named styles"):
        LatinGenerator(weights_dir=str(folder))


def test_shipped_words_report_their_inks_extent(shipped):
    from hwrender_plugins.latin import words as W
    from hwrender_plugins.latin.generator import framed

    low, tall = shipped.generate(["acorn", "Hello"], None, seed=0)
    assert low.ascent < 1.6 * low.x_height < tall.ascent  # no ascender against capitals and ll
    assert tall.ascent < W.BASELINE  # trimmed: not the 32 px frame's 23 px
    for ink in (low, tall):  # back in the training frame, nothing lost
        frame = framed(ink)
        assert frame.shape == (W.HEIGHT, ink.width)
        assert frame.sum() == pytest.approx(ink.alpha.sum())

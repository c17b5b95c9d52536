"""The shipped ``glyph-styler`` weights (weights/glyph-styler): they verify, are the default for
Hangul and Han, draw the character they are asked for, vary between copies and write a page."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

HANG = "가나다라마바사아자차카타파하글씨봄꽃"
HANI = "天地人你好我们学书山水火中国大小"


@pytest.fixture(scope="module")
def shipped():
    from hwrender_plugins.glyph_styler.styler import GlyphStyler

    return GlyphStyler.load(None)  # the bundled copy, no network


def test_the_bundled_weights_verify_and_their_card_rebuilds_byte_for_byte():
    """The card is checksummed in the manifest: writing it again from config.json and eval.json
    must give the shipped bytes (a refactor of the card code keeps this)."""
    import json

    from hwrender.weights import local_folder, verify
    from hwrender_plugins.glyph_styler.card import card_for

    folder = local_folder("glyph-styler")
    report = verify("glyph-styler")
    assert folder is not None and report.ok and report.source == "bundled", report.hint
    card = (folder / "README.md").read_text(encoding="utf-8")
    assert "Tesseract" in card and "licence" in card
    figures = json.loads((folder / "eval.json").read_text(encoding="utf-8"))
    assert card_for(folder, figures) == card


def test_the_styler_is_the_default_for_hangul_and_han():
    from hwrender.plan import Planner
    from hwrender.registry import default_registry

    planner = Planner(default_registry())
    assert planner.candidates("Hang")[0].name == "hangul"
    assert planner.candidates("Hani")[0].name == "cjk"


def _identified(gen: np.ndarray, src: np.ndarray) -> int:
    """How many glyphs are most like their own source glyph: cosine similarity of the two, blurred
    (sigma 2.5 px) so that a style's shifted, resized strokes still meet the source's."""
    import torch
    import torch.nn.functional as F

    k = torch.exp(-((torch.arange(13) - 6.0) ** 2) / (2 * 2.5 ** 2))
    k = k / k.sum()

    def blur(x: np.ndarray) -> torch.Tensor:
        t = torch.from_numpy(x.astype(np.float32))[:, None]
        t = F.conv2d(t, k[None, None, :, None], padding=(6, 0))
        return F.normalize(F.conv2d(t, k[None, None, None, :], padding=(0, 6)).flatten(1))

    sim = blur(gen) @ blur(src).T
    return int((sim.argmax(1) == torch.arange(len(gen))).sum())


@pytest.mark.parametrize("chars", [HANG, HANI])
def test_each_glyph_is_its_own_character(shipped, chars):
    """An untrained or scrambled export fails this: in the default style, each generated glyph is
    most like its own source glyph among these characters' (an untrained model: 1-3 of 18)."""
    script = "Hang" if chars is HANG else "Hani"
    src = shipped.sources(list(chars)).astype(np.float32) / 255
    vec = shipped.style_vector(None, script).expand(len(chars), -1)
    gen = shipped.run(list(chars), vec, None, "cpu")
    right = _identified(gen, src)
    assert right >= len(chars) - 2, f"{right}/{len(chars)} glyphs most like their own character"
    assert float(np.abs(gen - src).mean()) > 0.01  # restyled, not the source copied through


def test_the_default_glyphs_have_no_speckle(shipped):
    """The network leaves 1-2 px dots and faint blots beside its strokes (some 17 a Hangul glyph
    before the styler dropped them): none is left in what it writes."""
    import torch

    from hwrender_plugins.glyph_styler.styler import HAZE_LINK, HAZE_PEAK, HAZE_PX, SPECK_PX, drop_haze

    for chars in (HANG, HANI):
        script = "Hang" if chars is HANG else "Hani"
        vec = shipped.style_vector(None, script).expand(len(chars), -1)
        gen = torch.from_numpy(shipped.run(list(chars), vec, 0, "cpu"))
        assert torch.equal(drop_haze(gen.clone()), gen)  # nothing left to drop
        assert float((gen > HAZE_PEAK).float().mean()) > 0.05  # and the strokes are there
    assert SPECK_PX < HAZE_PX and HAZE_LINK < HAZE_PEAK


def test_copies_of_a_character_vary_and_a_seed_repeats(shipped):
    a, b = shipped.write(["가", "가"], None, seed=3)
    assert not np.array_equal(a.alpha, b.alpha)  # the same character twice is not one stamp
    again = shipped.write(["가", "가"], None, seed=3)
    assert np.array_equal(a.alpha, again[0].alpha) and np.array_equal(b.alpha, again[1].alpha)
    assert shipped.variation > 0


def test_the_default_write_uses_the_shipped_model(tmp_path, with_test_generator):
    """``hwrender write "안녕하세요 你好"`` with no generator named: the page is the styler's (the
    same as naming hangul and cjk), not another generator's."""
    import hwrender

    def page(name: str, **kw) -> np.ndarray:
        out = tmp_path / f"{name}.png"
        assert len(hwrender.write("안녕하세요 你好", out, seed=0, dpi=100, **kw)) == 1
        return np.asarray(Image.open(out).convert("L"))

    default = page("default")
    assert (default < 128).sum() > 200  # dark ink
    assert np.array_equal(default, page("named", generators=["Hang=hangul", "Hani=cjk"]))
    with_test_generator()  # the default plan stays the same: `test` is chosen only when named
    assert not np.array_equal(default, page("test", generators=["Hang=test", "Hani=test"]))


def test_styles_are_listed_without_torch(shipped):
    import subprocess
    import sys

    code = ("import sys; from hwrender.registry import default_registry; r = default_registry(); "
            "print(','.join(r.get('hangul').styles)); print(','.join(r.get('cjk').styles)); "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    hang, hani, torch_loaded = out.stdout.split()
    assert torch_loaded == "False"
    assert shipped.default_styles["Hang"] in hang.split(",")
    assert shipped.default_styles["Hani"] in hani.split(",")

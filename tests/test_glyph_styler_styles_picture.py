"""The model card's picture of every style (scripts/glyph_styler_styles.py) and the card's link."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _script():
    spec = importlib.util.spec_from_file_location("glyph_styler_styles",
                                                  ROOT / "scripts" / "glyph_styler_styles.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_picture_has_a_row_per_style_with_ink(monkeypatch, tmp_path):
    from hwrender_plugins.glyph_styler.styler import GlyphStyler

    script = _script()
    monkeypatch.setattr(script, "SENTENCES", {"Hang": "한글", "Hani": "中文"})  # quick: two glyphs
    styler = GlyphStyler.load()
    picture = script.styles_picture()
    a = 255 - np.asarray(picture, dtype=np.int32)
    height = picture.height // (len(styler.styles) + 1)
    rows = a[height:].reshape(len(styler.styles), height, -1)
    drawn = rows[:, :, script.LABEL_W:script.LABEL_W + 2 * styler.size]
    assert bool((drawn.reshape(len(rows), -1).max(1) > 128).all())  # every style writes ink
    out = tmp_path / "styles.png"
    assert script.main(["--out", str(out)]) == 0 and out.stat().st_size > 0


def test_the_card_links_the_picture():
    from hwrender_plugins.glyph_styler.card import model_card

    config = json.loads((ROOT / "weights" / "glyph-styler" / "config.json").read_text(encoding="utf-8"))
    assert "[styles.png](styles.png)" in model_card(config)

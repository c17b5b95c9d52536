"""Fitting the Latin word GAN to a hand (``plugins/latin/fit.py``) and writing with the fitted style."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from hwrender_plugins.latin import fit as latin_fit
from hwrender_plugins.latin import words as W
from latin_tiny import save_tiny_latin
from PIL import Image, ImageDraw, ImageFont

from hwrender.errors import WeightsError
from hwrender.styles.types import FitRequest, StylePart, UserStyle, load_samples

CAVEAT = Path(__file__).resolve().parents[1] / "plugins" / "font" / "fonts" / "Caveat-Regular.ttf"
PX_PER_MM = 200 / 25.4
SHEET_WORDS = ["minimum", "hello", "world", "quick", "brown", "jumps", "over", "lazy", "dogs",
               "river", "sun", "moon", "window", "paper", "winter", "summer", "apple", "little",
               "Garden", "Letter", "seven", "north", "house", "music"]
SHEET_LINES = ["the quick fox", "we wrote home"]
SHEET_CHARS = "aemnoxrsBk"


def render_sample(font: ImageFont.FreeTypeFont, text: str, x_height_px: float, slant: float,
                  bold: int, height: int, baseline: int | None, rng) -> Image.Image:
    """``text`` in dark ink on white paper, slanted (shear about the baseline) and emboldened."""
    width = int(font.getlength(text) + 2 * height)
    image = Image.new("L", (width, height), 255)
    y = baseline if baseline is not None else int(height * 0.7)
    ImageDraw.Draw(image).text((height // 2, y), text, font=font, fill=int(rng.integers(10, 40)),
                               anchor="ls", stroke_width=bold, stroke_fill=0)
    # x' = x + slant * (baseline - y): the tops lean right
    image = image.transform(image.size, Image.Transform.AFFINE, (1, slant, -slant * y, 0, 1, 0),
                            resample=Image.Resampling.BILINEAR, fillcolor=255)
    return image


def font_for_x_height(path: Path, x_height_px: float) -> ImageFont.FreeTypeFont:
    from hwrender_plugins.latin.render import WordFont

    per_em = WordFont(path).x_height_per_em
    return ImageFont.truetype(str(path), max(4, round(x_height_px / per_em)))


def write_sheet(folder: Path, font_path: Path = CAVEAT, words=SHEET_WORDS, lines=SHEET_LINES,
                chars=SHEET_CHARS, slant: float = 0.35, bold: int = 1, x_height_mm: float = 2.6,
                seed: int = 0, template: str = "latin") -> Path:
    """A samples folder as ``hwrender extract`` writes it: word and line boxes (12 mm high, the
    ruled line 8.5 mm down) and character boxes (10 mm), filled with ``font_path``."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    x_px = x_height_mm * PX_PER_MM
    font = font_for_x_height(font_path, x_px)
    rows = []
    boxes = [("word", t) for t in words] + [("line", t) for t in lines] + \
        [("char", c) for c in chars]
    for i, (kind, text) in enumerate(boxes):
        if kind == "char":
            height, baseline = round(10 * PX_PER_MM), None
        else:
            height, baseline = round(12 * PX_PER_MM), round(8.5 * PX_PER_MM)
        image = render_sample(font, text, x_px, slant, bold, height, baseline, rng)
        name = f"{kind}-{i:03d}.png"
        image.save(folder / name)
        rows.append({"file": name, "text": text, "kind": kind, "template": template, "page": 1,
                     "box": f"b{i}", "px_per_mm": PX_PER_MM, "baseline": baseline, "flags": []})
    (folder / "samples.json").write_text(json.dumps(
        {"format": "hwrender-samples", "version": 1, "px_per_mm": PX_PER_MM, "sources": [],
         "samples": rows}))
    return folder


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    """A tiny latin model (untrained: the fit needs no good hand to move towards the writer's),
    exported as ``hwrender train latin`` exports one: generator and recognizer, config, manifest."""
    return save_tiny_latin(tmp_path_factory.mktemp("latin-tiny") / "latin")


@pytest.fixture(scope="module")
def sheet(tmp_path_factory):
    return load_samples(write_sheet(tmp_path_factory.mktemp("sheet")))


def _fit(samples, model, tmp_path, seed=0, steps=4, **kw):
    seen = []
    request = FitRequest(model="latin", samples=samples, weights_dir=model, seed=seed,
                         steps=steps, work_dir=tmp_path, progress=lambda f, m="": seen.append(f),
                         **kw)
    return latin_fit.fit(request), seen


def test_samples_are_brought_into_the_word_frame(sheet):
    words, chars, notes = latin_fit.normalise(sheet)
    texts = [w.text for w in words]
    # the lines are cut into their words; every word and line sample is used
    assert len(words) == len(SHEET_WORDS) + sum(len(t.split()) for t in SHEET_LINES)
    assert "fox" in texts and "home" in texts
    assert notes["x_height_px"] == pytest.approx(2.6 * PX_PER_MM, rel=0.2)
    for w in words:
        assert w.image.shape[0] == W.HEIGHT
        if w.text in ("summer", "moon", "over"):  # x-height letters only: rows 13..22
            rows = np.flatnonzero(w.image.max(1) > 0.5)
            assert abs(rows[0] - (W.BASELINE - W.X_HEIGHT)) <= 2 and abs(rows[-1] + 1 - W.BASELINE) <= 2
    # descending letters are left out of the character samples; the others are words of one
    assert sorted(c.text for c in chars) == sorted(c for c in SHEET_CHARS)
    assert all(c.weight < 1 for c in chars)


def test_shape_features_see_slant_stroke_and_width(tmp_path):
    upright = latin_fit.normalise(load_samples(write_sheet(tmp_path / "a", slant=0.0, bold=0,
                                                           chars="")))[0]
    leaning = latin_fit.normalise(load_samples(write_sheet(tmp_path / "b", slant=0.4, bold=2,
                                                           chars="")))[0]
    a, b = latin_fit._features(upright), latin_fit._features(leaning)
    assert b["slant"] - a["slant"] == pytest.approx(0.4, abs=0.12)
    assert b["stroke"] > a["stroke"] * 1.3
    closer = latin_fit.closer(a, b, a)
    assert closer["all"] == 1.0 and latin_fit.closer(a, b, b)["all"] == 0.0


@pytest.fixture(scope="module")
def fitted(sheet, tiny_model, tmp_path_factory):
    return _fit(sheet, tiny_model, tmp_path_factory.mktemp("fit"))


def test_fit_moves_the_hand_towards_the_writer(sheet, tiny_model, fitted, tmp_path):
    result, seen = fitted
    fig = result.figures
    assert result.used >= len(SHEET_WORDS)
    assert set(result.tensors) >= {"style"} and result.tensors["style"].shape == (8,)
    # the fitted hand reconstructs the held-back words better than the default hand
    chosen = fig["l1"]["finetune" if fig["method"] == "inversion+finetune" else "inversion"]
    assert chosen < fig["l1"]["default"]
    assert fig["samples"]["held_back"] >= 3 and fig["fit_s"] > 0
    assert set(fig["features"]["writer"]) == {"slant", "stroke", "width"}
    # the width per letter is measured from the writer's words (natural over generator width)
    words = latin_fit.normalise(sheet)[0]
    from hwrender_plugins.latin.generator import LatinGenerator

    cfg = LatinGenerator(weights_dir=str(tiny_model)).net_config
    ratios = [w.natural / cfg.width(w.text) for w in words]
    assert min(ratios) <= result.config["width_ratio"] <= max(ratios)
    assert result.config["base_sha256"] and result.config["width_ratio"] != 0.6
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)
    if fig["method"] == "inversion+finetune":  # only what moved: the conditional norms
        assert all(".n1." in k or ".n2." in k for k in result.tensors if k != "style")
    # deterministic for a seed
    again, _ = _fit(sheet, tiny_model, tmp_path)
    assert again.tensors.keys() == result.tensors.keys()
    assert all(torch.equal(again.tensors[k], result.tensors[k]) for k in result.tensors)


def test_nothing_to_fit_gives_none(tmp_path, tiny_model):
    hangul = load_samples(write_sheet(tmp_path / "h", words=[], lines=[], chars="ab",
                                      template="hangul"))
    assert _fit(hangul, tiny_model, tmp_path)[0] is None
    assert _fit([], tiny_model, tmp_path)[0] is None
    # a sheet of single characters (the emnist template) teaches the word GAN nothing: was a crash
    chars_only = load_samples(write_sheet(tmp_path / "e", words=[], lines=[], chars="abcdefgh" * 3,
                                          template="emnist"))
    assert chars_only and _fit(chars_only, tiny_model, tmp_path)[0] is None


def _store(result, folder: Path, name="mine") -> UserStyle:
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in result.tensors.items()}, str(folder / "latin.safetensors"))
    return UserStyle(name, folder, (StylePart("latin", folder, json.dumps(result.config,
                                                                          sort_keys=True)),))


def test_the_generator_writes_in_the_fitted_style(fitted, tiny_model, tmp_path):
    from hwrender_plugins.latin.generator import LatinGenerator

    result, _ = fitted
    style = _store(result, tmp_path / "style")
    gen = LatinGenerator(weights_dir=str(tiny_model))
    words = ["hello", "world", "zebra"]
    mine = gen.generate(words, style, seed=4)
    default = gen.generate(words, None, seed=4)
    assert [i.text for i in mine] == words
    assert any(a.alpha.shape != b.alpha.shape or not np.allclose(a.alpha, b.alpha)
               for a, b in zip(mine, default))
    again = gen.generate(words, style, seed=4)
    assert all(np.array_equal(a.alpha, b.alpha) for a, b in zip(mine, again))
    # the writer's width per letter: the style's width ratio squeezes the words
    widths = [gen.net_config.width(w) for w in words]
    assert all(i.width <= max(1, round(w * result.config["width_ratio"])) + 2
               for i, w in zip(mine, widths))
    # a fine-tuned part is built once per style and does not touch the model's own net
    if result.config["tuned"]:
        assert gen._user(style)[1] is not gen.net
    assert np.array_equal(gen.generate(words, None, seed=4)[0].alpha, default[0].alpha)


def test_a_style_fitted_to_another_model_is_refused(fitted, tiny_model, tmp_path):
    import dataclasses

    from hwrender_plugins.latin.generator import LatinGenerator

    result = dataclasses.replace(fitted[0], config={**fitted[0].config, "base_sha256": "0" * 64})
    style = _store(result, tmp_path / "other", name="elsewhere")
    gen = LatinGenerator(weights_dir=str(tiny_model))
    with pytest.raises(WeightsError, match="style elsewhere was fitted to another latin model") as err:
        gen.generate(["hello"], style, seed=0)
    assert "hwrender styles add elsewhere DIR --force" in str(err.value)
    assert "\n" not in str(err.value)


def test_a_blend_mixes_the_hands_vectors(tiny_model):
    from hwrender_plugins.latin.generator import LatinGenerator

    from hwrender.styles.types import Blend

    gen = LatinGenerator(weights_dir=str(tiny_model))
    mixed = gen.style_vector(Blend((("1", 0.7), ("2", 0.3))))
    assert torch.allclose(mixed, 0.7 * gen.style_vector("1") + 0.3 * gen.style_vector("2"))
    assert gen.generate(["hello"], Blend((("1", 0.7), ("2", 0.3))), seed=1)[0].text == "hello"

"""Fitting the glyph styler to a person's hand (plugins/glyph_styler/fit.py) and writing with it.

Offline, CPU, seconds: a tiny model (16 px) is trained for a few steps on tiny bar fonts (see
test_glyph_styler), and a font it never saw, with heavier, slanted bars, plays the writer: its
glyphs are drawn into box-sized PNGs with a samples.json, as ``hwrender extract`` writes them.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from hwrender_plugins.glyph_styler import data as gdata
from hwrender_plugins.glyph_styler import fit as gfit
from hwrender_plugins.glyph_styler.styler import GlyphStyler
from hwrender_plugins.glyph_styler.task import build_task
from test_glyph_styler import make_font

from hwrender.errors import WeightsError
from hwrender.styles.types import Blend, FitRequest, UserStyle, load_samples
from hwrender.train.loop import LoopOptions, train

HANG = gdata.ksx1001_hangul()[:40]
HANI = gdata.gb2312_hanzi(1)[:20]


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    """A tiny model trained for a few steps on two Hangul fonts and one Han font: its folder."""
    root = tmp_path_factory.mktemp("fit-fonts")
    corpus = root / "corpus"
    make_font(corpus / "Hang" / "hand-a.ttf", HANG, 1)
    make_font(corpus / "Hang" / "hand-b.ttf", HANG, 2)
    make_font(corpus / "Hani" / "brush-c.ttf", HANI, 3)
    source = make_font(root / "source.ttf", HANG + HANI, 0)
    out = root / "run"
    task = build_task(["variant=tiny", f"source_font={source}"])
    train(task, LoopOptions(out=out, batch_size=8, max_steps=6, data=corpus, checkpoint_every=100,
                            log_every=1), progress=False)
    return out / "model"


def write_samples(folder: Path, chars, font: Path, side: int = 60, template: str = "hangul",
                  extra: list[dict] | None = None) -> Path:
    """Box interiors as extraction writes them: grey PNGs, white paper, dark ink, a little
    off-centre (a hand does not hit the middle of the box)."""
    from PIL import Image, ImageDraw, ImageFont

    folder.mkdir(parents=True, exist_ok=True)
    f = ImageFont.truetype(str(font), int(side * 0.7))
    rows = []
    for k, ch in enumerate(chars):
        im = Image.new("L", (side, side), 255)
        ImageDraw.Draw(im).text((side / 2 + k % 5 - 2, side / 2 + k % 3 - 1), ch, font=f,
                                fill=20, anchor="mm")
        name = f"s{k:03d}.png"
        im.save(folder / name)
        rows.append({"file": name, "text": ch, "kind": "char", "template": template, "page": 1,
                     "box": f"b{k}", "px_per_mm": 7.874, "baseline": None, "flags": []})
    rows += extra or []
    (folder / "samples.json").write_text(json.dumps(
        {"format": "hwrender-samples", "version": 1, "px_per_mm": 7.874, "sources": [],
         "samples": rows}, ensure_ascii=False), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def writer(tmp_path_factory) -> Path:
    """The writer's font: bars like the corpus fonts', heavier and slanted more."""
    return make_font(tmp_path_factory.mktemp("writer") / "writer.ttf", HANG + HANI, 4)


@pytest.fixture(scope="module")
def hangul_sheet(tmp_path_factory, writer) -> Path:
    return write_samples(tmp_path_factory.mktemp("hangul") / "s", HANG, writer)


def request(model: Path, folder: Path, steps: int = 40, seed: int = 0, **kw) -> FitRequest:
    return FitRequest(model="glyph-styler", samples=load_samples(folder), weights_dir=model,
                      steps=steps, seed=seed, **kw)


@pytest.fixture(scope="module")
def fitted(model, hangul_sheet):
    return gfit.fit(request(model, hangul_sheet))


def store_style(folder: Path, name: str, result) -> UserStyle:
    from hwrender.styles.store import write_style

    folder.mkdir(parents=True, exist_ok=True)
    index = {"format": "hwrender-style", "version": 1, "name": name, "samples": result.used,
             "parts": {"glyph-styler": {"config": result.config, "used": result.used,
                                        "figures": result.figures, "notes": result.notes}}}
    write_style(folder, index, {"glyph-styler": result.tensors})
    return UserStyle.load(folder)


def test_fitted_style_moves_held_back_glyphs_toward_the_writer(model, fitted):
    held = fitted.figures["held_back"]["Hang"]
    assert held["chars"] == round(0.15 * len(HANG))  # characters the fit never saw
    assert held["l1_fitted"] < held["l1_default"]
    assert {"l1_nearest", "l1_source", "default_style", "nearest_style"} <= set(held)
    assert fitted.figures["samples_fitted"] == {"Hang": len(HANG) - held["chars"]}
    assert fitted.used == len(HANG) - held["chars"]
    assert fitted.figures["steps"] == 40
    # the style vector and only the decoder tensors that moved, small
    styler = GlyphStyler.load(model)
    assert set(fitted.tensors) >= {"style.Hang"} and "style.Hani" not in fitted.tensors
    moved = {k.removeprefix("delta.") for k in fitted.tensors if k.startswith("delta.")}
    assert moved and all(k.startswith("decoder.") for k in moved)
    assert moved < set(styler.model.state_dict())
    assert fitted.config["base"]["sha256"] == styler.identity()
    assert fitted.figures["part_bytes"] == sum(t.numel() * t.element_size()
                                               for t in fitted.tensors.values())
    json.dumps(fitted.config), json.dumps(fitted.figures)  # what style.json keeps


def test_fit_is_deterministic_reports_progress_and_honours_steps(model, hangul_sheet, fitted):
    seen = []
    again = gfit.fit(request(model, hangul_sheet, progress=lambda f, m="": seen.append(f)))
    assert set(again.tensors) == set(fitted.tensors)
    assert all(torch.equal(again.tensors[k], fitted.tensors[k]) for k in fitted.tensors)
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)
    other = gfit.fit(request(model, hangul_sheet, steps=3, seed=1))
    assert other.figures["steps"] == 3
    assert not torch.equal(other.tensors["style.Hang"], fitted.tensors["style.Hang"])


def test_no_serving_samples_gives_none(model, tmp_path, writer):
    # Latin characters, a word, and Hangul the source font does not cover
    latin = write_samples(tmp_path / "latin", "abc", writer, template="latin")
    assert gfit.fit(request(model, latin)) is None
    outside = write_samples(tmp_path / "outside", gdata.ksx1001_hangul()[100:104], writer)
    assert gfit.fit(request(model, outside)) is None


def test_glyphs_are_placed_as_training_placed_a_font(model, tmp_path, writer):
    """The same glyph written small in a corner and large in the middle of its box is placed
    at the same spot; a speck left by the box line does not count as ink."""
    from PIL import Image

    styler = GlyphStyler.load(model)
    folder = write_samples(tmp_path / "p", HANG[:2], writer, side=60)
    small = Image.open(folder / "s000.png").resize((30, 30))
    corner = Image.new("L", (80, 80), 255)
    corner.paste(small, (2, 44))
    corner.putpixel((78, 1), 0)  # a speck at the far edge
    corner.save(folder / "s000.png")
    picked = gfit._serving(load_samples(folder), styler, [])
    ink = picked[0][2]
    assert ink.shape[0] < 30 and ink.shape[1] < 30  # the speck is trimmed away
    placed = gfit._place(picked, styler)["Hang"]
    chars, src, tgt = placed
    for k in range(2):
        ys, xs = np.nonzero(tgt[k] > 50)
        sy, sx = np.nonzero(src[k] > 50)
        assert abs(xs.mean() - sx.mean()) < 2.5 and abs(ys.mean() - sy.mean()) < 2.5


def test_generator_applies_the_part_and_caches_it(model, fitted, tmp_path):
    from hwrender.registry import Registry

    style = store_style(tmp_path / "mine", "mine", fitted)
    reg = Registry.from_entry_points(only=["glyph_styler"])
    gen = reg.instance("hangul", weights_dir=str(model))
    units = list(HANG[:6])
    mine = gen.generate(units, style, seed=3)
    again = gen.generate(units, style, seed=3)
    default = gen.generate(units, None, seed=3)
    assert all(np.array_equal(a.alpha, b.alpha) for a, b in zip(mine, again))
    assert any(not np.array_equal(a.alpha, b.alpha) for a, b in zip(mine, default))
    assert mine[0].meta["style"] == "mine"
    built = gen.styler.user_style(style)
    assert gen.styler.user_style(style) is built  # the fitted network is built once per style
    assert built[0].model is not gen.styler.model  # and the loaded one is left as it was
    # blends of named styles still go through the styler's own blend
    blend = gen.generate(units, Blend((("hand-a", 0.5), ("hand-b", 0.5))), seed=3)
    spelled = gen.generate(units, "hand-a*0.5+hand-b*0.5", seed=3)
    assert all(np.array_equal(a.alpha, b.alpha) for a, b in zip(blend, spelled))


def test_a_hangul_only_part_leaves_han_in_its_default(model, fitted, tmp_path):
    from hwrender.registry import Registry

    style = store_style(tmp_path / "hangul-only", "hangul-only", fitted)
    reg = Registry.from_entry_points(only=["glyph_styler"])
    cjk = reg.instance("cjk", weights_dir=str(model))
    units = list(HANI[:5])
    mine = cjk.generate(units, style, seed=2)
    default = cjk.generate(units, None, seed=2)
    assert all(np.array_equal(a.alpha, b.alpha) for a, b in zip(mine, default))
    # a mixed call draws each script its own way
    mixed = cjk.styler.write([HANG[0], HANI[0]], style, seed=2)
    assert np.array_equal(mixed[1].alpha, cjk.styler.write([HANI[0]], None, seed=2)[0].alpha)
    assert np.array_equal(mixed[0].alpha, cjk.styler.write([HANG[0]], style, seed=2)[0].alpha)


def test_both_scripts_get_their_own_vector(model, tmp_path, writer):
    folder = write_samples(tmp_path / "both", HANG[:12] + HANI[:12], writer)
    result = gfit.fit(request(model, folder, steps=4))
    assert {"style.Hang", "style.Hani"} <= set(result.tensors)
    assert set(result.config["scripts"]) == {"Hang", "Hani"}
    assert result.figures["samples_fitted"]["Hani"] + result.figures["samples_held_back"]["Hani"] == 12


def test_a_part_fitted_to_another_model_is_refused(model, fitted, tmp_path):
    from hwrender.registry import Registry

    bad = gfit.FitResult(tensors=fitted.tensors, used=fitted.used, figures={},
                         config={**fitted.config, "base": {"model": "glyph-styler", "sha256": "0" * 64}})
    style = store_style(tmp_path / "other", "other", bad)
    gen = Registry.from_entry_points(only=["glyph_styler"]).instance("hangul", weights_dir=str(model))
    with pytest.raises(WeightsError, match="style other was fitted to another glyph-styler model") as err:
        gen.generate(["가"], style, seed=0)
    assert "hwrender styles add other DIR --force" in err.value.hint
    # a damaged part: a tensor of the wrong shape
    broken = gfit.FitResult(tensors={**fitted.tensors, "style.Hang": torch.zeros(3)}, used=1,
                            config=fitted.config)
    with pytest.raises(WeightsError, match="damaged"):
        gen.generate(["가"], store_style(tmp_path / "broken", "broken", broken), seed=0)
    lost = store_style(tmp_path / "lost", "lost", fitted)
    (tmp_path / "lost" / "glyph-styler.safetensors").unlink()
    with pytest.raises(WeightsError, match="lost.*glyph-styler part glyph-styler.safetensors is missing"):
        gen.generate(["가"], lost, seed=0)


def test_a_photographed_strokes_grey_edge_counts_as_ink(model, tmp_path, writer):
    """A pen stroke in a photo is black only in its core; levelled, its blurred edges would
    teach the network grey, thin strokes (the fitted hand came out lighter than the writer's)."""
    from PIL import Image, ImageFilter

    styler = GlyphStyler.load(model)
    folder = write_samples(tmp_path / "grey", HANG[:1], writer, side=60)
    im = Image.new("L", (60, 60), 255)
    im.paste(0, (20, 10, 28, 50))  # a black bar ...
    im.filter(ImageFilter.GaussianBlur(2)).save(folder / "s000.png")  # ... blurred as a photo blurs
    ink = gfit._serving(load_samples(folder), styler, [])[0][2]
    levelled = gdata.load_ink(folder / "s000.png")
    assert (ink >= 0.99).sum() > 1.3 * (levelled >= 0.99).sum()
    assert ink.max() == 1.0 and ink.min() == 0.0


def test_the_part_carries_the_cleanup_that_draws_the_writers_strokes_best(model, hangul_sheet,
                                                                         fitted, monkeypatch):
    from hwrender_plugins.glyph_styler.styler import Cleanup

    chosen = fitted.config["cleanup"]["Hang"]
    own = Cleanup.per_script(GlyphStyler.load(model).config.get("cleanup"))["Hang"]
    assert (chosen["blur"], chosen["lo"], chosen["hi"]) in gfit.CLEANUPS or chosen == own.to_config()
    held = fitted.figures["held_back"]["Hang"]
    assert held["fit_l1_fitted"] < held["fit_l1_default"]
    # the fitted network draws with it; the loaded one keeps the model's own
    styler = GlyphStyler.load(model)
    drawn, _ = gfit.apply_part(styler, "mine", fitted.config, fitted.tensors)
    assert drawn.cleanups["Hang"].to_config() == Cleanup.from_config(chosen).to_config()
    assert styler.cleanups["Hang"].to_config() == \
        Cleanup.per_script(styler.config.get("cleanup"))["Hang"].to_config()
    # of a cleanup that turns every grey pixel into ink (blots) and none, none is chosen
    monkeypatch.setattr(gfit, "CLEANUPS", [(3.0, 0.0, 0.02), (0.0, 0.0, 1.0)])
    again = gfit.fit(request(model, hangul_sheet, steps=2))
    assert again.config["cleanup"]["Hang"] == Cleanup().to_config()
    monkeypatch.setattr(gfit, "CLEANUPS", [(0.0, 0.0, 1.0), (3.0, 0.0, 0.02)])
    assert gfit.fit(request(model, hangul_sheet, steps=2)).config["cleanup"]["Hang"] == \
        Cleanup().to_config()
    # cleanup settings out of range: a damaged part
    bad = {**fitted.config, "cleanup": {"Hang": {"median": 0, "blur": 0.0, "lo": 0.9, "hi": 0.1}}}
    with pytest.raises(WeightsError, match="damaged"):
        gfit.apply_part(styler, "mine", bad, fitted.tensors)

"""Fitting the EMNIST AC-GAN to a writer (plugins/emnist/fit.py) and writing with the fitted style.

The writer is a font (Caveat, bold and slanted so it is not the hand the model starts from)
rendered into character boxes as ``hwrender extract`` writes them; the model is a tiny, seeded,
untrained one, so the tests run in seconds."""

from __future__ import annotations

import json
import string
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw, ImageFont

from hwrender.errors import WeightsError
from hwrender.styles.types import FitRequest, UserStyle, load_samples
from hwrender_plugins.emnist import fit as emnist_fit
from hwrender_plugins.emnist.generator import EmnistGenerator
from hwrender_plugins.emnist.model import Discriminator, Encoder, Generator, NetConfig, init_weights

ROOT = Path(__file__).resolve().parents[1]
CAVEAT = ROOT / "plugins" / "font" / "fonts" / "Caveat-Regular.ttf"
SHIPPED = ROOT / "weights" / "emnist"
CHARS = string.digits + string.ascii_uppercase + string.ascii_lowercase


def write_sheet(folder: Path, chars: str = CHARS, copies: int = 2, *, px_per_mm: float = 7.874,
                cap_mm: float = 5.5, bold: int = 2, slant: float = 0.3, template: str = "emnist",
                kind: str = "char") -> Path:
    """A samples folder as extraction writes it: one grey PNG per box interior (white paper,
    dark ink), jittered in size, place and darkness, and samples.json."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(5)
    w, h = round(9 * px_per_mm), round(11 * px_per_mm)
    probe = ImageFont.truetype(str(CAVEAT), 100)
    top, bottom = probe.getbbox("H", anchor="ls")[1::2]
    size = 100 * cap_mm * px_per_mm / (bottom - top)
    rows = []
    for copy in range(copies):
        for i, ch in enumerate(chars):
            font = ImageFont.truetype(str(CAVEAT), round(size * rng.uniform(0.92, 1.08)))
            im = Image.new("L", (w, h), 255)
            ink = int(rng.uniform(10, 60))
            ImageDraw.Draw(im).text((w / 2 + rng.uniform(-3, 3), h * 0.72), ch, font=font, fill=ink,
                                    anchor="ms", stroke_width=bold, stroke_fill=ink)
            # slant: x' = x + slant * (y - h/2), as a hand leaning right
            im = im.transform(im.size, Image.Transform.AFFINE, (1, slant, -slant * h / 2, 0, 1, 0),
                              resample=Image.Resampling.BILINEAR, fillcolor=255)
            name = f"p1-{copy}-{i:02d}.png"
            im.save(folder / name)
            rows.append({"file": name, "text": ch, "kind": kind, "template": template, "page": 1,
                         "box": f"{copy}-{i}", "px_per_mm": px_per_mm, "baseline": None, "flags": []})
    (folder / "samples.json").write_text(json.dumps(
        {"format": "hwrender-samples", "version": 1, "px_per_mm": px_per_mm, "sources": ["test"],
         "samples": rows}))
    return folder


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    """A tiny seeded (untrained) emnist model folder: generator, discriminator and encoder."""
    from hwrender.weights import save_model

    folder = tmp_path_factory.mktemp("tiny-emnist")
    shipped = json.loads((SHIPPED / "config.json").read_text())
    net = NetConfig(62, 8, 4, 8, 8, 0.3)
    torch.manual_seed(0)
    state = {}
    for prefix, module in (("generator.", Generator(net)), ("discriminator.", Discriminator(net)),
                           ("encoder.", Encoder(net))):
        init_weights(module)
        state.update({prefix + k: v for k, v in module.state_dict().items()})
    config = {"model": "emnist", "classes": "byclass", "chars": shipped["chars"],
              "net": {"num_classes": 62, "latent_dim": 8, "class_dim": 4, "g_width": 8,
                      "d_width": 8, "dropout": 0.3},
              "placement": shipped["placement"], "default_style_seed": 3}
    save_model(folder, state, config, "tiny test model\n", name="emnist")
    return folder


@pytest.fixture(scope="module")
def sheet(tmp_path_factory) -> Path:
    return write_sheet(tmp_path_factory.mktemp("sheet"))


def _request(tiny_model, samples, **kw) -> FitRequest:
    return FitRequest(model="emnist", samples=samples, weights_dir=tiny_model, steps=kw.pop("steps", 20),
                      **kw)


@pytest.fixture(scope="module")
def fitted(tiny_model, sheet):
    return emnist_fit.fit(_request(tiny_model, load_samples(sheet)))


def _store(result, folder: Path, name: str = "my-hand") -> UserStyle:
    """The style folder the store would write (style.json + emnist.safetensors)."""
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    save_file(dict(result.tensors), str(folder / "emnist.safetensors"))
    (folder / "style.json").write_text(json.dumps(
        {"format": "hwrender-style", "version": 1, "name": name,
         "parts": {"emnist": {"config": result.config, "used": result.used}}}))
    return UserStyle.load(folder)


def test_writer_characters_look_like_training_samples_at_any_scale(tmp_path):
    """The same hand written at 7.9 and at 15.7 px/mm (and 40 % bigger) gives the same 28x28
    EMNIST characters: one scale for the sheet from its capitals, then EMNIST's processing."""
    small = load_samples(write_sheet(tmp_path / "a", "AHag0", copies=1))
    large = load_samples(write_sheet(tmp_path / "b", "AHag0", copies=1, px_per_mm=15.748,
                                     cap_mm=7.7, bold=4))
    a, texts = emnist_fit.normalise_samples(small)
    b, _ = emnist_fit.normalise_samples(large)
    assert texts == list("AHag0") and a.shape == (5, 28, 28) and a.dtype == np.uint8
    assert a.max() == 255 and a[:, 0].max() == 0  # ink bright, the EMNIST border left clear
    assert np.abs(a.astype(float) - b).mean() / 255 < 0.06
    # strokes outside the training range are brought into it: a hairline hand gets thicker
    thin, _ = emnist_fit.normalise_samples(load_samples(write_sheet(tmp_path / "c", "AHag0", copies=1,
                                                                   bold=0, px_per_mm=23.6)))
    assert thin.mean() > 0.6 * a.mean()


def test_fit_moves_the_hand_towards_the_writer(tiny_model, sheet, fitted):
    figures = fitted.figures
    assert fitted.used == 2 * len(CHARS)
    assert figures["method"] in emnist_fit.METHODS
    assert figures["l1_held_back_" + figures["method"]] < figures["l1_held_back_default"]
    assert figures["l1_left_out_" + figures["method"]] < figures["l1_left_out_default"]
    assert len(figures["left_out_classes"]) == 6 and figures["held_back"] == 17
    assert "recognised_fitted" in figures and figures["fit_s"] > 0
    assert fitted.config["base_sha256"] == json.loads(
        (tiny_model / "manifest.json").read_text())["files"]["model.safetensors"]["sha256"]
    assert fitted.tensors["style"].shape == (8,)


def test_fit_is_deterministic_and_honours_steps(tiny_model, sheet, fitted):
    again = emnist_fit.fit(_request(tiny_model, load_samples(sheet)))
    assert again.config == fitted.config and again.tensors.keys() == fitted.tensors.keys()
    assert all(torch.equal(again.tensors[k], fitted.tensors[k]) for k in fitted.tensors)
    other_seed = emnist_fit.fit(_request(tiny_model, load_samples(sheet), seed=1))
    assert other_seed.figures["left_out_classes"] != fitted.figures["left_out_classes"]
    seen = []
    encoder_only = emnist_fit.fit(_request(tiny_model, load_samples(sheet), steps=0,
                                           progress=lambda f, m: seen.append(f)))
    assert encoder_only.figures["method"] == "encoder" and "generator.up.6.weight" not in encoder_only.tensors
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)


def test_no_serving_sample_gives_none(tiny_model, tmp_path):
    words = load_samples(write_sheet(tmp_path / "w", "ab", kind="word"))
    hangul = load_samples(write_sheet(tmp_path / "h", "ab", template="hangul"))
    assert emnist_fit.fit(_request(tiny_model, words + hangul)) is None
    assert emnist_fit.fit(_request(tiny_model, [])) is None
    # characters of the latin sheet serve it too
    latin = load_samples(write_sheet(tmp_path / "l", "aB3", copies=1, template="latin"))
    assert emnist_fit.fit(_request(tiny_model, latin, steps=2)).used == 3


def test_generator_writes_with_the_fitted_style(tiny_model, sheet, fitted, tmp_path):
    style = _store(fitted, tmp_path / "my-hand")
    gen = EmnistGenerator(weights_dir=str(tiny_model))
    chars = list(CHARS)
    mine = gen.samples(chars, style, seed=4)
    assert np.array_equal(mine, gen.samples(chars, style, seed=4))
    assert not np.array_equal(mine, gen.samples(chars, style, seed=5))  # per-character variation
    default = gen.samples(chars, None, seed=4)
    writer, texts = emnist_fit.normalise_samples(load_samples(sheet))
    target = writer[[texts.index(c) for c in chars]] / 255.0
    assert np.abs(mine - target).mean() < np.abs(default - target).mean()
    inks = gen.generate(list("Hag"), style, seed=1)
    assert [i.text for i in inks] == list("Hag")


def test_generator_applies_fine_tuned_tensors(tiny_model, sheet, tmp_path):
    """A part holding generator tensors writes through a tuned copy; the loaded model is untouched."""
    result = emnist_fit.fit(_request(tiny_model, load_samples(sheet), steps=3))
    gen = EmnistGenerator(weights_dir=str(tiny_model))
    before = gen.samples(list("ab"), None, seed=0)
    tensors = dict(result.tensors)
    tensors["generator.up.6.bias"] = torch.full((4,), 3.0)  # all ink: unmistakable
    result.tensors = tensors
    style = _store(result, tmp_path / "tuned")
    assert gen.samples(list("ab"), style, seed=0).min() > 0.9
    assert np.array_equal(gen.samples(list("ab"), None, seed=0), before)


def test_style_fitted_to_another_model_is_refused(tiny_model, fitted, tmp_path):
    result = emnist_fit.FitResult(tensors=fitted.tensors, used=fitted.used,
                                  config={**fitted.config, "base_sha256": "0" * 64})
    style = _store(result, tmp_path / "other", name="other")
    gen = EmnistGenerator(weights_dir=str(tiny_model))
    with pytest.raises(WeightsError, match="style other was fitted to another emnist model") as err:
        gen.generate(list("ab"), style, seed=0)
    assert "hwrender styles add other DIR --force" in err.value.hint


def test_none_and_number_styles_are_unchanged(tiny_model):
    """The seeded hands are as before the fitter existed: latent = 0.75 N(0, 1) from the style's
    seed, plus the page seed's variation."""
    gen = EmnistGenerator(weights_dir=str(tiny_model))
    g = torch.Generator().manual_seed(9)
    z = 0.75 * torch.randn(8, generator=torch.Generator().manual_seed(12)) + \
        0.25 * torch.randn(3, 8, generator=g)
    labels = torch.tensor([gen.classes.label(c) for c in "a1Z"])
    with torch.no_grad():
        expected = ((gen.net(z, labels).squeeze(1) + 1) / 2).clamp(0, 1).numpy()
    assert np.array_equal(gen.samples(list("a1Z"), "12", seed=9), expected)

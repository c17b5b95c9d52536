"""The ink upscaler (hwrender/render/upscale.py, plugins/upscaler): alignment and batching of the
network, what vector ink does with it (outlines in the ink's own pixels, counters and dots kept,
a fallback when its weights cannot be loaded) and its training command end to end."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from hwrender.ink import InkImage
from hwrender.render import trace, upscale

ROOT = Path(__file__).resolve().parents[1]
CAVEAT = ROOT / "plugins" / "font" / "fonts" / "Caveat-Regular.ttf"


def _tiny(seed: int = 0):
    torch.manual_seed(seed)
    return upscale.build_network(upscale.UpscalerConfig(channels=4, blocks=1)).eval()


def _blurred(mask: np.ndarray) -> np.ndarray:
    """A soft alpha like a GAN's: the mask box-blurred over 3x3."""
    a = np.pad(mask.astype(np.float32), 1)
    return sum(a[i:i + mask.shape[0], j:j + mask.shape[1]] for i in range(3) for j in range(3)) / 9


@pytest.mark.parametrize("scale,blocks", [(2, 1), (4, 1), (2, 12)])  # 12: a reach past PAD
def test_upscale_many_enlarges_and_batching_changes_nothing(scale, blocks):
    torch.manual_seed(0)
    net = upscale.build_network(upscale.UpscalerConfig(channels=4, blocks=blocks, scale=scale)).eval()
    rng = np.random.default_rng(0)
    alphas = [rng.random((12, w)).astype(np.float32) for w in (5, 9, 7)] + [rng.random((8, 6)).astype(np.float32)]
    together = upscale.upscale_many(alphas, net)
    for a, out in zip(alphas, together):
        assert out.shape == (scale * a.shape[0], scale * a.shape[1])
        alone = upscale.upscale_many([a], net)[0]
        np.testing.assert_allclose(out, alone, atol=1e-5)
    empty = upscale.upscale_many([np.zeros((3, 0), np.float32)], net)[0]
    assert empty.shape == (3 * scale, 0)


@pytest.mark.parametrize("scale,blocks", [(2, 2), (4, 1), (3, 1)])
def test_inference_at_1x_is_the_trained_network(scale, blocks):
    """``upscale_many`` runs the network's 1x form (the tail, pixel shuffle and bilinear base
    folded into one convolution, channels-last): it must give what ``forward``, the form that is
    trained, gives on the same image with blank paper around it."""
    torch.manual_seed(scale)
    net = upscale.build_network(upscale.UpscalerConfig(channels=4, blocks=blocks, scale=scale)).eval()
    with torch.no_grad():
        for p in net.parameters():  # a trained network's weights are not PyTorch's init
            p.add_(0.3 * torch.randn_like(p))
    rng = np.random.default_rng(scale)
    a = _blurred(rng.random((14, 11)) > 0.6)
    pad = max(upscale.PAD, net.reach)
    with torch.no_grad():
        full = net(torch.from_numpy(np.pad(a, pad)[None, None])).numpy()[0, 0]
    trained = full[pad * scale:(pad + 14) * scale, pad * scale:(pad + 11) * scale]
    out = upscale.upscale_many([a], net)[0]
    assert trained.std() > 0.1  # not a flat image, where any alignment would agree
    np.testing.assert_allclose(out, trained, atol=1e-5)
    # a changed tail is seen (the fold is cached until the weights change)
    with torch.no_grad():
        net.tail.weight.mul_(-1.0)
    assert np.abs(upscale.upscale_many([a], net)[0] - out).max() > 0.05


def test_output_pixels_lie_inside_their_input_pixel():
    """With the learned part silenced the output is the bilinear enlargement's contrast curve, and
    one ink pixel's output peaks inside its own 4x4 block: the grid trace divides by the scale."""
    torch.manual_seed(0)
    net = upscale.build_network(upscale.UpscalerConfig(channels=4, blocks=1, scale=4)).eval()
    with torch.no_grad():
        net.tail.weight.zero_()
        net.tail.bias.zero_()
    a = np.zeros((10, 10), np.float32)
    a[3, 6] = 1.0
    out = upscale.upscale_many([a], net)[0]
    y, x = np.unravel_index(np.argmax(out), out.shape)
    assert 12 <= y <= 15 and 24 <= x <= 27
    assert out[0, 0] < 0.05


def _o_and_dot() -> np.ndarray:
    yy, xx = np.mgrid[0:32, 0:40]
    r = np.hypot(yy - 16, xx - 12)
    ring = (r <= 5.5) & (r >= 2.5)
    dot = np.hypot(yy - 16, xx - 30) <= 1.2
    return _blurred(ring | dot)


def test_shipped_upscaler_keeps_counters_and_dots_in_vector_ink():
    assert upscale.available(), "the shipped weights/ink-upscaler must load"
    ink = InkImage(_o_and_dot(), baseline=24, x_height=10)
    contours = trace.ink_outlines([ink], [0.8])[0]  # 0.8 pt per ink px: a GAN word's size
    assert len(contours) == 3  # the o's outline, its counter, the dot
    boxes = [(c[..., 0].min(), c[..., 0].max(), c[..., 1].min(), c[..., 1].max()) for c in contours]
    for x0, x1, y0, y1 in boxes:  # in the ink's own pixels, not the 4x ones
        assert -0.5 <= x0 and x1 <= 40.5 and -0.5 <= y0 and y1 <= 32.5
    assert any(x0 > 25 for x0, _, _, _ in boxes)  # the dot, where it was drawn


def test_vector_ink_of_large_pixels_goes_through_the_upscaler(monkeypatch):
    alpha = _o_and_dot()
    used = []
    real = upscale.upscale_many

    def spy(alphas, net=None):
        used.append(len(alphas))
        return real(alphas, net)

    monkeypatch.setattr(upscale, "upscale_many", spy)
    big = InkImage(alpha, baseline=24, x_height=10)
    trace.ink_outlines([big], [0.8])
    assert used == [1]
    fine = InkImage(alpha.copy(), baseline=24, x_height=10)
    trace.ink_outlines([fine], [0.2])  # a font's fine ink: traced as it is
    assert used == [1]
    large = InkImage(alpha.copy(), baseline=24, x_height=16)
    trace.ink_outlines([large], [0.8])  # larger writing than it learnt (EMNIST's): as it is
    assert used == [1] and not trace.upscales(large, 0.8) and trace.upscales(big, 0.8)
    monkeypatch.setattr(upscale, "ENABLED", False)
    off = InkImage(alpha.copy(), baseline=24, x_height=10)
    trace.ink_outlines([off], [0.8])
    assert used == [1]


def test_an_upscaler_that_cannot_load_is_said_once_and_vector_ink_still_works(monkeypatch, capsys):
    from hwrender.errors import WeightsError

    def broken(weights_dir=None):
        raise WeightsError("model.safetensors is damaged", "run `hwrender weights pull ink-upscaler`")

    monkeypatch.setattr(upscale, "load", broken)
    monkeypatch.setattr(upscale, "_warned", [])
    inks = [InkImage(_o_and_dot(), baseline=24, x_height=10) for _ in range(2)]
    first = trace.ink_outlines([inks[0]], [0.8])[0]
    second = trace.ink_outlines([inks[1]], [0.8])[0]
    assert len(first) == len(second) == 3
    err = capsys.readouterr().err
    assert err.count("ink upscaler could not be loaded") == 1 and "damaged" in err


@pytest.fixture
def font_dir(tmp_path):
    folder = tmp_path / "fonts"
    folder.mkdir()
    shutil.copy(CAVEAT, folder / CAVEAT.name)
    return folder


def test_train_tiny_upscaler_exports_a_model_vector_ink_can_use(tmp_path, font_dir):
    from typer.testing import CliRunner

    from hwrender.cli import app

    out = tmp_path / "run"
    args = ["train", "ink-upscaler", "--data", str(font_dir), "--set", "variant=tiny", "--device", "cpu",
            "-o", str(out), "-q"]
    result = CliRunner().invoke(app, [*args, "--max-steps", "3"])
    assert result.exit_code == 0, result.output
    resumed = CliRunner().invoke(app, [*args, "--max-steps", "5", "--resume"])
    assert resumed.exit_code == 0, resumed.output
    model = out / "model"
    config = json.loads((model / "config.json").read_text())
    assert config["run"]["steps"] == 5
    assert config["net"] == {"channels": 4, "blocks": 1, "scale": 2}
    assert 0 < config["eval"]["val_l1"] < 1 and 0 < config["eval"]["val_l1_bilinear"] < 1
    card = (model / "README.md").read_text()
    assert "## Data" in card and "## Training" in card and "## Evaluation" in card and "Licence" in card
    net = upscale.load(str(model))
    out4 = upscale.upscale_many([_o_and_dot()], net)[0]  # 2x: the default scale
    assert out4.shape == (64, 80) and 0 <= out4.min() and out4.max() <= 1
    assert list((out / "samples").glob("*.png"))


@pytest.mark.parametrize("extra,message", [
    (["--set", "blur=[2,1]"], "blur"),
    (["--set", "channels=0"], "channels"),
    (["--set", "scale=3"], "scale"),
    (["--set", "elastic=5"], "elastic"),
])
def test_bad_upscaler_settings_are_usage_errors(tmp_path, font_dir, extra, message):
    from typer.testing import CliRunner

    from hwrender.cli import app

    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["train", "ink-upscaler", "--data", str(font_dir), "-o", str(out),
                                      "--device", "cpu", "--max-steps", "1", *extra])
    assert result.exit_code == 2 and message in result.output
    assert not out.exists()


def test_a_data_folder_without_fonts_is_a_usage_error(tmp_path):
    from typer.testing import CliRunner

    from hwrender.cli import app

    empty = tmp_path / "empty"
    empty.mkdir()
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["train", "ink-upscaler", "--data", str(empty), "-o", str(out),
                                      "--set", "variant=tiny", "--device", "cpu", "--max-steps", "1"])
    assert result.exit_code == 2 and "no font files" in result.output
    assert not out.exists()


@pytest.mark.parametrize("elastic,wobble", [(0.0, 0.0), (0.35, 0.5)])
def test_training_inputs_are_their_targets_box_reduced(elastic, wobble):
    """With blur, gamma, darkening and noise off, each input crop is its target crop averaged over
    scale x scale blocks: the pairs stay aligned, the word warp (elastic, wobble) included."""
    from hwrender_plugins.upscaler.data import Degrade, build_pairs

    deg = Degrade(blur=(0.0, 0.0), gamma=(1.0, 1.0), intensity=(1.0, 1.0), noise=0.0,
                  elastic=elastic, wobble=wobble)
    x, y = build_pairs({"caveat": CAVEAT}, ["handwriting", "minimum", "quay"], 6, seed=3, crop=24,
                       scale=2, deg=deg)
    reduced = y.astype(np.float32).reshape(6, 1, 32, 2, 24, 2).mean(axis=(3, 5)) / 255
    assert np.abs(x - reduced).max() < 2.5 / 255
    assert x.max() > 0.5


def test_warped_pairs_differ_from_unwarped_ones():
    from hwrender_plugins.upscaler.data import Degrade, build_pairs

    plain = build_pairs({"caveat": CAVEAT}, ["handwriting"], 4, seed=1, crop=24, scale=2, deg=Degrade())
    warped = build_pairs({"caveat": CAVEAT}, ["handwriting"], 4, seed=1, crop=24, scale=2,
                         deg=Degrade(elastic=0.35, wobble=0.5))
    assert not np.array_equal(plain[1], warped[1])

"""The EMNIST AC-GAN: shapes, a training step, resume, export/load, the adapter, the shipped model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from hwrender_plugins.emnist.classes import BALANCED, BYCLASS
from hwrender_plugins.emnist.model import Discriminator, Encoder, Generator, NetConfig
from hwrender_plugins.emnist.task import EmnistConfig, EmnistTask, build_task
from hwrender.train.loop import LoopOptions, TrainingInterrupted, train

CAVEAT = Path(__file__).resolve().parents[1] / "plugins" / "font" / "fonts" / "Caveat-Regular.ttf"
WEIGHTS = Path(__file__).resolve().parents[1] / "weights" / "emnist"


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory) -> Path:
    """A font-built EMNIST-format set: Caveat twice (one copy held out), 3 samples per class."""
    from hwrender_plugins.emnist.synth import build_synthetic

    out = tmp_path_factory.mktemp("emnist-data")
    build_synthetic({"caveat": CAVEAT, "caveat-copy": CAVEAT}, out, 3, "byclass", seed=0,
                    holdout={"caveat-copy"})
    return out


@pytest.mark.parametrize("classes", [BYCLASS, BALANCED])
def test_shapes_for_both_class_sets(classes):
    cfg = NetConfig(num_classes=len(classes))
    g, d, e = Generator(cfg), Discriminator(cfg), Encoder(cfg)
    z = torch.randn(5, cfg.latent_dim)
    y = torch.arange(5) % len(classes)
    x = g(z, y)
    assert x.shape == (5, 1, 28, 28) and x.min() >= -1 and x.max() <= 1
    rf, cls = d(x)
    assert rf.shape == (5,) and cls.shape == (5, len(classes))
    assert e(x).shape == (5, cfg.latent_dim)


def _opts(tmp_path, data, **kw):
    base = dict(out=tmp_path / "run", data=data, batch_size=16, max_steps=6, checkpoint_every=3,
                log_every=1)
    base.update(kw)
    return LoopOptions(**base)


def test_one_step_changes_weights_and_losses_are_finite(tiny_data, tmp_path):
    from hwrender.train import RunContext

    task = build_task(["variant=tiny"])
    task.setup(RunContext(out=tmp_path, device="cpu", seed=0, batch_size=16, data=tiny_data))
    before = {k: v.clone() for k, v in task.G.state_dict().items()}
    d_before = {k: v.clone() for k, v in task.D.state_dict().items()}
    e_before = {k: v.clone() for k, v in task.E.state_dict().items()}
    losses = task.train_step(torch.arange(16), 0)
    assert set(losses) >= {"d_adv", "d_cls", "g_adv", "g_cls", "recon_l1"}
    assert all(np.isfinite(v) for v in losses.values())
    for old, module in ((before, task.G), (d_before, task.D), (e_before, task.E)):
        changed = [k for k, v in module.state_dict().items()
                   if v.is_floating_point() and not torch.equal(v, old[k])]
        assert changed, f"{type(module).__name__} did not change"


def test_plain_acgan_has_no_autoencoder_step(tiny_data, tmp_path):
    from hwrender.train import RunContext

    task = build_task(["variant=tiny", "autoencoder=false"])
    task.setup(RunContext(out=tmp_path, device="cpu", seed=0, batch_size=16, data=tiny_data))
    e_before = {k: v.clone() for k, v in task.E.state_dict().items()}
    losses = task.train_step(torch.arange(16), 0)
    assert "recon_l1" not in losses
    assert all(torch.equal(v, e_before[k]) for k, v in task.E.state_dict().items())


def test_resume_continues_the_same_run(tiny_data, tmp_path):
    straight = _opts(tmp_path, tiny_data, out=tmp_path / "a")
    train(build_task(["variant=tiny"]), straight, progress=False)

    def stop(step, losses):
        if step == 4:
            import os
            import signal

            os.kill(os.getpid(), signal.SIGINT)

    broken = _opts(tmp_path, tiny_data, out=tmp_path / "b")
    with pytest.raises(TrainingInterrupted):
        train(build_task(["variant=tiny"]), broken, progress=False, on_step=stop)
    broken.resume = True
    train(build_task(["variant=tiny"]), broken, progress=False)
    from safetensors.torch import load_file

    a = load_file(str(tmp_path / "a" / "model" / "model.safetensors"))
    b = load_file(str(tmp_path / "b" / "model" / "model.safetensors"))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_export_loads_back_and_writes_on_a_baseline(tiny_data, tmp_path):
    from hwrender_plugins.emnist.generator import EmnistGenerator

    summary = train(build_task(["variant=tiny"]), _opts(tmp_path, tiny_data), progress=False)
    folder = Path(summary.model)
    config = json.loads((folder / "config.json").read_text())
    assert config["placement"]["g"]["bottom"]["median"] < 0 < config["placement"]["a"]["top"]["median"]
    assert (tmp_path / "run" / "samples" / "final.png").is_file()

    gen = EmnistGenerator(weights_dir=str(folder))
    # the exported (float16) generator reproduces the trained EMA generator's samples
    task_ema = torch.load(tmp_path / "run" / "checkpoint.pt", weights_only=True)["task_state"]["G_ema"]
    net = Generator(gen.net_config)
    net.load_state_dict(task_ema)
    net.eval()
    z = torch.randn(4, gen.net_config.latent_dim)
    y = torch.tensor([1, 2, 3, 4])
    with torch.no_grad():
        assert torch.allclose(net(z, y), gen.net(z, y), atol=2e-2)

    inks = gen.generate(list("agA"), None, seed=3)
    a, g, cap = inks
    assert g.descent > a.descent + 2  # g hangs below the line
    assert cap.ascent > a.ascent + 2  # A stands taller than a
    assert all(ink.x_height == a.x_height for ink in inks)
    again = gen.generate(list("agA"), None, seed=3)
    assert all(np.array_equal(p.alpha, q.alpha) for p, q in zip(inks, again))
    other = gen.generate(list("agA"), "5", seed=3)
    assert not all(np.array_equal(p.alpha, q.alpha) for p, q in zip(inks, other))


def test_bad_settings_are_one_line_usage_errors():
    from hwrender.errors import UsageError

    with pytest.raises(UsageError, match="unknown class set"):
        build_task(["classes=letters"])
    with pytest.raises(UsageError, match="unknown setting"):
        build_task(["depth=3"])


def test_shipped_model_places_characters_on_the_baseline():
    """The shipped weights: a 'g' sits lower than an 'a', an 'A' is taller than an 'a'."""
    from hwrender_plugins.emnist.generator import EmnistGenerator

    gen = EmnistGenerator()
    for seed in range(3):
        a, g, cap, y, b = gen.generate(list("agAyb"), None, seed=seed)
        assert g.descent > a.descent + 0.2 * a.x_height
        assert y.descent > a.descent + 0.2 * a.x_height
        assert cap.ascent > a.ascent + 0.2 * a.x_height
        assert b.ascent > a.ascent + 0.2 * a.x_height


def test_eval_reports_figures_and_writes_them_into_the_card(tiny_data, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from hwrender.cli import app
    from hwrender.weights import verify

    monkeypatch.setenv("HWRENDER_DATA_DIR", str(tmp_path / "cache"))
    summary = train(build_task(["variant=tiny"]), _opts(tmp_path, tiny_data), progress=False)
    folder = Path(summary.model)
    assert "Not evaluated yet" in (folder / "README.md").read_text()
    result = CliRunner().invoke(app, [
        "eval", "emnist", "--weights", str(folder), "--data", str(tiny_data), "--device", "cpu",
        "--set", "samples_per_class=4", "--set", "real_per_class=3", "--set", "classifier_epochs=1",
        "--json", "--write-card"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    names = [f["name"] for f in report["figures"]]
    assert any("generated characters" in n for n in names)
    assert any("diversity" in n for n in names) and any("FID" in n for n in names)
    assert all(np.isfinite(f["value"]) for f in report["figures"])
    assert len(report["per_class"]) == 62
    card = (folder / "README.md").read_text()
    assert "judge accuracy on generated characters" in card and "Not evaluated yet" not in card
    assert verify("emnist", folder).ok  # the manifest was re-pinned to the new card
    # the judge was cached: a second run does not train it again
    assert list((tmp_path / "cache").glob("emnist-judge-*.safetensors"))


def test_weights_option_accepts_a_folder_of_model_folders(tiny_data, tmp_path):
    from hwrender.weights import resolve

    summary = train(build_task(["variant=tiny"]), _opts(tmp_path, tiny_data), progress=False)
    root = Path(summary.model).parent.parent / "models"
    root.mkdir()
    Path(summary.model).rename(root / "emnist")
    assert resolve("emnist", weights_dir=root).folder == root / "emnist"


def test_finetune_starts_from_the_model_and_rejects_another_size(tiny_data, tmp_path):
    from hwrender.errors import WeightsError
    from hwrender.train import RunContext

    summary = train(build_task(["variant=tiny"]), _opts(tmp_path, tiny_data), progress=False)
    ctx = dict(out=tmp_path, device="cpu", seed=0, batch_size=16, data=tiny_data,
               finetune=summary.model)
    task = build_task(["variant=tiny"])
    task.setup(RunContext(**ctx))
    from safetensors.torch import load_file

    shipped = load_file(str(Path(summary.model) / "model.safetensors"))
    for prefix, module in (("generator.", task.G), ("discriminator.", task.D), ("encoder.", task.E)):
        for key, value in module.state_dict().items():
            assert torch.equal(value, shipped[prefix + key].to(value.dtype)), prefix + key
    # the default variant's networks are larger: one line naming the file, not a torch traceback
    with pytest.raises(WeightsError, match="model.safetensors"):
        build_task([]).setup(RunContext(**ctx))

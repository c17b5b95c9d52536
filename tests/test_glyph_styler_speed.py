"""Glyph styler training speed changes that must leave what the model computes alone: dense
channels-last gradients out of the skip concatenations, and the optional bf16 autocast step."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hwrender_plugins.glyph_styler import model
from hwrender_plugins.glyph_styler.data import PairSet
from hwrender_plugins.glyph_styler.styler import bf16_fast
from hwrender_plugins.glyph_styler.task import build_task

from hwrender.train import RunContext

pytestmark = pytest.mark.usefixtures("one_torch_thread")
CL = torch.channels_last


def _grad_seen(dense: bool, monkeypatch) -> tuple[torch.Tensor, torch.Tensor]:
    """The gradient that reaches a channels-last tensor through cat_channels, and torch.cat's."""
    monkeypatch.setattr(model, "DENSE_GRADS", dense)
    torch.manual_seed(0)
    a = torch.randn(2, 3, 4, 5).contiguous(memory_format=CL).requires_grad_()
    b = torch.randn(2, 6, 4, 5).contiguous(memory_format=CL)
    x = a * 2  # not a leaf: what a layer's backward is handed
    out = model.cat_channels([x, b])
    seen = []
    x.register_hook(lambda g: seen.append(g))  # runs after cat_channels' own hook
    w = torch.randn(out.shape).contiguous(memory_format=CL)
    (out * w).sum().backward()
    return seen[0], w[:, :3]


def test_cat_channels_hands_its_inputs_dense_channels_last_gradients(monkeypatch):
    plain, expected = _grad_seen(False, monkeypatch)
    assert not plain.is_contiguous(memory_format=CL)  # torch.cat's: a channel slice
    dense, _ = _grad_seen(True, monkeypatch)
    assert dense.is_contiguous(memory_format=CL)
    assert torch.equal(dense, expected) and torch.equal(plain, expected)


def _task(tmp_path, *options):
    task = build_task(["variant=tiny", "cpu_bf16=false", *options])  # fp32 unless asked
    n, s = 16, task.config.image_size
    rng = np.random.default_rng(0)
    pairs = PairSet(chars=[chr(0xAC00 + i) for i in range(n)],
                    sources=rng.integers(0, 256, (n, s, s), dtype=np.uint8),
                    targets=rng.integers(0, 256, (n, s, s), dtype=np.uint8),
                    char_index=np.arange(n, dtype=np.int32),
                    style_index=(np.arange(n) % 2).astype(np.int32),
                    styles=["a", "b"], style_scripts=["Hang", "Hang"])
    torch.manual_seed(0)
    task.use_pairs(RunContext(out=tmp_path, device="cpu", seed=0, batch_size=8), pairs)
    return task


def _steps(task, n=3):
    torch.manual_seed(1)
    return [task.train_step(torch.arange(8) + 8 * (k % 2), k) for k in range(n)]


def test_dense_gradients_train_the_same_weights(tmp_path, monkeypatch):
    monkeypatch.setattr(model, "DENSE_GRADS", False)
    plain = _task(tmp_path / "a")
    plain_losses = _steps(plain)
    monkeypatch.setattr(model, "DENSE_GRADS", True)
    dense = _task(tmp_path / "b")
    dense_losses = _steps(dense)
    for a, b in zip(plain_losses, dense_losses):
        assert a == pytest.approx(b, rel=1e-5, abs=1e-6)
    for (k, a), b in zip(plain.G.state_dict().items(), dense.G.state_dict().values()):
        assert torch.allclose(a.float(), b.float(), rtol=1e-5, atol=1e-6), k


@pytest.mark.skipif(not bf16_fast(), reason="this CPU has no native bfloat16")
def test_cpu_bf16_step_runs_in_bf16_and_takes_float32_losses(tmp_path):
    fp32 = _steps(_task(tmp_path / "a"), 1)[0]
    task = _task(tmp_path / "b", "cpu_bf16=true")
    dtypes = set()
    hook = task.G.decoder.deconvs[0].register_forward_hook(lambda m, i, o: dtypes.add(o.dtype))
    bf16 = _steps(task, 1)[0]
    hook.remove()
    assert dtypes == {torch.bfloat16}
    assert all(np.isfinite(v) for v in bf16.values())
    assert bf16["l1"] == pytest.approx(fp32["l1"], rel=0.05)
    assert all(p.dtype == torch.float32 for p in task.G.parameters())


def test_cpu_bf16_off_keeps_the_run_key_of_earlier_runs():
    """A checkpoint written before the setting existed has no cpu_bf16 in its run key; off, the
    key is left out, so `--resume` still finds the same run. On is the default now."""
    assert "cpu_bf16" not in build_task(["cpu_bf16=false"]).config_dict()
    assert build_task([]).config_dict()["cpu_bf16"] is True
    assert build_task(["cpu_bf16=true"]).config_dict()["cpu_bf16"] is True

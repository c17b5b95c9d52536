"""The generic training loop: metrics, checkpoints, bit-exact resume, Ctrl-C, divergence, export."""

from __future__ import annotations

import json
import os
import signal
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch

from hwrender.errors import UsageError
from hwrender.train import TrainTask, apply_overrides
from hwrender.train.loop import (LoopOptions, TrainingDiverged, TrainingInterrupted,
                                 load_checkpoint, train)


@dataclass
class ToyConfig:
    lr: float = 0.05
    width: int = 4
    noise: float = 0.1
    explode_at: int = -1  # step at which the loss becomes NaN (tests the guard)


class ToyTask(TrainTask):
    """Linear regression with dropout-like noise drawn from torch's global RNG each step."""

    name = "toy"

    def __init__(self, config: ToyConfig | None = None):
        self.config = config or ToyConfig()

    def setup(self, ctx):
        g = torch.Generator().manual_seed(123)
        self.x = torch.randn(40, self.config.width, generator=g)
        self.y = self.x @ torch.arange(1.0, self.config.width + 1)
        self.model = torch.nn.Linear(self.config.width, 1)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=self.config.lr)

    def num_examples(self):
        return len(self.x)

    def train_step(self, batch, step):
        x = self.x[batch] + self.config.noise * torch.randn(len(batch), self.config.width)
        loss = ((self.model(x).squeeze(1) - self.y[batch]) ** 2).mean()
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        value = float("nan") if step == self.config.explode_at else loss.item()
        return {"loss": value}

    def state_dict(self):
        return {"model": self.model.state_dict(), "opt": self.opt.state_dict()}

    def load_state_dict(self, state):
        self.model.load_state_dict(state["model"])
        self.opt.load_state_dict(state["opt"])

    def sample_grid(self, step):
        from PIL import Image

        return Image.new("L", (4, 4), 255)

    def export(self, folder, summary):
        from hwrender.weights import save_model

        save_model(folder, self.model.state_dict(), self.config_dict(), "# toy\n", name="toy")


def _opts(tmp_path: Path, **kw) -> LoopOptions:
    base = dict(out=tmp_path / "run", batch_size=8, max_steps=12, checkpoint_every=4, log_every=1)
    base.update(kw)
    return LoopOptions(**base)


def _params(out: Path) -> torch.Tensor:
    from safetensors.torch import load_file

    sd = load_file(str(out / "model" / "model.safetensors"))
    return torch.cat([sd["weight"].flatten(), sd["bias"]])


def test_run_writes_metrics_samples_checkpoint_and_model(tmp_path):
    summary = train(ToyTask(), _opts(tmp_path), progress=False)
    out = tmp_path / "run"
    lines = [json.loads(s) for s in (out / "metrics.jsonl").read_text().splitlines()]
    assert [m["step"] for m in lines] == list(range(1, 13))
    assert lines[-1]["loss"] < lines[0]["loss"]  # it learns
    assert summary.steps == 12 and summary.examples == 12 * 8
    # 40 examples / batch 8 = 5 steps per epoch: grids after epochs 1 and 2, and a final one
    assert sorted(p.name for p in (out / "samples").iterdir()) == ["epoch-001.png", "epoch-002.png",
                                                                   "final.png"]
    assert load_checkpoint(out / "checkpoint.pt")["step"] == 12
    assert set(os.listdir(out / "model")) >= {"model.safetensors", "config.json", "README.md",
                                               "manifest.json"}


def test_interrupted_run_resumes_bit_for_bit(tmp_path):
    straight = tmp_path / "straight"
    train(ToyTask(), _opts(tmp_path, out=straight), progress=False)

    broken = tmp_path / "broken"

    def ctrl_c(step, losses):
        if step == 7:  # mid-epoch, between checkpoints: the loop must save this very step
            os.kill(os.getpid(), signal.SIGINT)

    with pytest.raises(TrainingInterrupted, match="stopped at step 7"):
        train(ToyTask(), _opts(tmp_path, out=broken), progress=False, on_step=ctrl_c)
    assert load_checkpoint(broken / "checkpoint.pt")["step"] == 7
    assert not (broken / "model").exists()

    train(ToyTask(), _opts(tmp_path, out=broken, resume=True), progress=False)
    assert torch.equal(_params(straight), _params(broken))
    a = (straight / "metrics.jsonl").read_text().splitlines()
    b = (broken / "metrics.jsonl").read_text().splitlines()
    strip = lambda lines: [{k: v for k, v in json.loads(s).items() if k != "seconds"} for s in lines]
    assert strip(a) == strip(b)


def test_resume_after_crash_drops_metrics_past_the_checkpoint(tmp_path):
    out = tmp_path / "run"

    def crash(step, losses):
        if step == 6:
            raise RuntimeError("power cut")

    with pytest.raises(RuntimeError):
        train(ToyTask(), _opts(tmp_path), progress=False, on_step=crash)
    assert load_checkpoint(out / "checkpoint.pt")["step"] == 4
    train(ToyTask(), _opts(tmp_path, resume=True), progress=False)
    steps = [json.loads(s)["step"] for s in (out / "metrics.jsonl").read_text().splitlines()]
    assert steps == list(range(1, 13))


def test_divergence_keeps_the_last_good_checkpoint(tmp_path):
    out = tmp_path / "run"
    with pytest.raises(TrainingDiverged, match="step 7: loss is not finite"):
        train(ToyTask(ToyConfig(explode_at=6)), _opts(tmp_path), progress=False)
    assert load_checkpoint(out / "checkpoint.pt")["step"] == 4


def test_existing_run_needs_resume_and_the_same_settings(tmp_path):
    train(ToyTask(), _opts(tmp_path, max_steps=4), progress=False)
    with pytest.raises(UsageError, match="already holds a training run"):
        train(ToyTask(), _opts(tmp_path), progress=False)
    with pytest.raises(UsageError, match="different run"):
        train(ToyTask(ToyConfig(lr=0.1)), _opts(tmp_path, resume=True), progress=False)
    with pytest.raises(UsageError, match="nothing to resume"):
        train(ToyTask(), _opts(tmp_path, out=tmp_path / "new", resume=True), progress=False)


class ScheduledToyTask(ToyTask):
    """Sets its learning rate every step from the config, as the real tasks' schedules do."""

    resume_may_change = frozenset({"lr"})

    def train_step(self, batch, step):
        for group in self.opt.param_groups:
            group["lr"] = self.config.lr
        return super().train_step(batch, step)


def test_resume_may_change_only_the_settings_a_task_allows(tmp_path):
    out = tmp_path / "run"
    train(ScheduledToyTask(), _opts(tmp_path, max_steps=4), progress=False)
    with pytest.raises(UsageError, match="different run"):  # width is not a schedule setting
        train(ScheduledToyTask(ToyConfig(lr=0.01, width=5)), _opts(tmp_path, resume=True),
              progress=False)
    with pytest.raises(UsageError, match="different run"):  # a task that allows no change
        train(ToyTask(ToyConfig(lr=0.01)), _opts(tmp_path, resume=True), progress=False)
    messages: list[str] = []
    train(ScheduledToyTask(ToyConfig(lr=0.01)), _opts(tmp_path, max_steps=8, resume=True),
          progress=False, log=messages.append)
    assert "resumed with changed settings: lr 0.05 -> 0.01" in messages
    # the resumed steps trained at the new rate, and the checkpoint records the new settings
    payload = load_checkpoint(out / "checkpoint.pt")
    assert payload["step"] == 8 and payload["run"]["config"]["lr"] == 0.01
    assert payload["task_state"]["opt"]["param_groups"][0]["lr"] == 0.01
    # the phase is recorded (checkpoint and summary) so a model card can say how to reproduce it
    phase = {"step": 4, "set": {"lr": 0.01}, "was": {"lr": 0.05}}
    assert payload["phases"] == [phase]
    # resuming with the settings it now has is no change
    messages.clear()
    summary = train(ScheduledToyTask(ToyConfig(lr=0.01)), _opts(tmp_path, max_steps=9,
                                                                 resume=True),
                    progress=False, log=messages.append)
    assert not any("changed settings" in m for m in messages)
    assert summary.phases == [phase]  # kept across resumes, not added to


def test_epochs_set_the_length(tmp_path):
    summary = train(ToyTask(), _opts(tmp_path, max_steps=None, epochs=1.5), progress=False)
    assert summary.steps == 8  # ceil(1.5 * 5)


def test_apply_overrides_types_and_errors():
    cfg = apply_overrides(ToyConfig(), ["lr=0.5", "width=3", "noise=1"])
    assert cfg == ToyConfig(lr=0.5, width=3, noise=1.0)
    with pytest.raises(UsageError, match="unknown setting 'depth'.*known: explode_at, lr"):
        apply_overrides(ToyConfig(), ["depth=3"])
    with pytest.raises(UsageError, match="expected int"):
        apply_overrides(ToyConfig(), ["width=wide"])
    with pytest.raises(UsageError, match="KEY=VALUE"):
        apply_overrides(ToyConfig(), ["width"])

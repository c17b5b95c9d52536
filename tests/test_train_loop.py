"""The generic training loop: metrics, checkpoints, bit-exact resume, Ctrl-C, divergence, export."""

from __future__ import annotations

import json
import os
import signal
from dataclasses import dataclass
from pathlib import Path

import re

import pytest
import torch

from hwrender.errors import HwrenderError, UsageError
from hwrender.train import TrainerSpec, TrainTask, apply_overrides
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
    stateful = ("model", "opt", "seen")  # the base class saves and restores these

    def __init__(self, config: ToyConfig | None = None):
        self.config = config or ToyConfig()
        self.seen = 0  # a plain counter: saved as is

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
        self.seen += len(batch)
        value = float("nan") if step == self.config.explode_at else loss.item()
        return {"loss": value}

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

    resumed = ToyTask()
    train(resumed, _opts(tmp_path, out=broken, resume=True), progress=False)
    assert torch.equal(_params(straight), _params(broken))
    assert resumed.seen == 12 * 8  # the counter came back from the checkpoint
    a = (straight / "metrics.jsonl").read_text().splitlines()
    b = (broken / "metrics.jsonl").read_text().splitlines()
    strip = lambda lines: [{k: v for k, v in json.loads(s).items() if k != "seconds"} for s in lines]
    assert strip(a) == strip(b)


class OverridingToyTask(ToyTask):
    """A task written before ``stateful``: its own state_dict and load_state_dict, and a tensor
    an optimiser holds (restored in place)."""

    def setup(self, ctx):
        super().setup(ctx)
        self.shift = torch.zeros(1, requires_grad=True)
        self.opt.add_param_group({"params": [self.shift]})

    def state_dict(self):
        return {"model": self.model.state_dict(), "opt": self.opt.state_dict(), "n": self.seen}

    def load_state_dict(self, state):
        self.model.load_state_dict(state["model"])
        self.opt.load_state_dict(state["opt"])
        self.seen = state["n"]


def test_tasks_that_override_state_dict_still_resume(tmp_path):
    train(OverridingToyTask(), _opts(tmp_path, max_steps=4), progress=False)
    assert set(load_checkpoint(tmp_path / "run" / "checkpoint.pt")["task_state"]) == {"model", "opt", "n"}
    task = OverridingToyTask()
    train(task, _opts(tmp_path, max_steps=6, resume=True), progress=False)
    assert task.seen == 6 * 8


def test_default_state_is_strict_and_copies_tensors_in_place(tmp_path):
    task = ToyTask()
    task.setup(None)
    task.stateful = ("model", "opt", "seen", "scale")
    task.scale = torch.ones(2)
    task.seen = 3
    state = task.state_dict()
    assert state["seen"] == 3 and state["scale"] is not task.scale
    held = task.scale
    task.load_state_dict({**state, "scale": torch.full((2,), 5.0)})
    assert task.scale is held and held.tolist() == [5.0, 5.0]
    with pytest.raises(HwrenderError, match="state lacks seen and has unexpected extra"):
        task.load_state_dict({**{k: v for k, v in state.items() if k != "seen"}, "extra": 1})

    class Undeclared(ToyTask):
        stateful = ()

    with pytest.raises(NotImplementedError, match="stateful"):
        Undeclared().state_dict()


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


def test_an_out_that_cannot_be_a_folder_is_named(tmp_path):
    """A file as --out was an "unexpected FileExistsError", a path under a file NotADirectoryError."""
    from hwrender.errors import OutputError

    (tmp_path / "file").write_text("x")
    with pytest.raises(UsageError, match="is a file"):
        train(ToyTask(), _opts(tmp_path, out=tmp_path / "file"), progress=False)
    with pytest.raises(OutputError, match="cannot write the run folder"):
        train(ToyTask(), _opts(tmp_path, out=tmp_path / "file" / "run"), progress=False)
    assert (tmp_path / "file").read_text() == "x"


def test_a_resume_learns_from_the_same_data(tmp_path):
    """--resume with another --data went on (its epochs counted on another set)."""
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    out = tmp_path / "run"
    train(ToyTask(), _opts(tmp_path, out=out, max_steps=4, data=tmp_path / "a"), progress=False)
    with pytest.raises(UsageError, match="different run.*--data"):
        train(ToyTask(), _opts(tmp_path, out=out, max_steps=8, data=tmp_path / "b", resume=True),
              progress=False)
    with pytest.raises(UsageError, match="different run"):
        train(ToyTask(), _opts(tmp_path, out=out, max_steps=8, resume=True), progress=False)
    assert train(ToyTask(), _opts(tmp_path, out=out, max_steps=8, data=tmp_path / "a", resume=True),
                 progress=False).steps == 8
    # a fine-tune resumes without --finetune (documented), not with another base
    tuned = tmp_path / "tuned"
    train(ToyTask(), _opts(tmp_path, out=tuned, max_steps=4, finetune=str(tmp_path / "a")), progress=False)
    with pytest.raises(UsageError, match="different run"):
        train(ToyTask(), _opts(tmp_path, out=tuned, max_steps=8, finetune=str(tmp_path / "b"),
                               resume=True), progress=False)
    assert train(ToyTask(), _opts(tmp_path, out=tuned, max_steps=8, resume=True), progress=False).steps == 8


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
    for bad, needle in (("lr=NaN", "finite"), ("lr=Infinity", "finite"), ("lr=-1", "0 or more"),
                        ("width=-3", "0 or more")):  # were "unexpected ValueError" mid-run
        with pytest.raises(UsageError, match=needle):
            apply_overrides(ToyConfig(), [bad])


@pytest.mark.parametrize("model, setting, needle", [
    ("glyph-styler", "export_dtype=int8", "float16 or float32"),  # failed at export, after every step
    ("glyph-styler", 'scripts=["Latn"]', "one or both of Hang, Hani"),
    ("glyph-styler", "scripts=[]", "one or both"),
    ("glyph-styler", "image_size=7", "power of two"),
    ("glyph-styler", "dropout=1", "[0, 1)"),
    ("emnist", "latent_dim=0", "at least 1"),
    ("emnist", "lr_g=0", "more than 0"),
    ("emnist", "real_label=7", "(0, 1]"),
    ("latin", "token_share=2", "[0, 1]"),
    ("latin", "per_font=0", "at least 1"),
])
def test_settings_a_run_cannot_use_are_refused_when_the_task_is_built(model, setting, needle):
    from hwrender.registry import Registry

    spec = Registry.from_entry_points().trainer(model)
    with pytest.raises(UsageError, match=re.escape(needle)):
        spec.build([setting])


# ------------------------------------------------------------- what a person sees (issue 25)


class _CtrlCTask(ToyTask):
    """Presses Ctrl-C during step 3."""

    def train_step(self, batch, step):
        if step == 2:
            os.kill(os.getpid(), signal.SIGINT)
        return super().train_step(batch, step)


@pytest.fixture
def toy_cli(monkeypatch):
    """The CLI with only the toy model and the one that presses Ctrl-C."""
    import hwrender.registry as registry
    from hwrender.train import TrainerSpec

    reg = registry.Registry()
    reg.register(TrainerSpec(name="toy", description="toy", defaults={"max_steps": 5},
                             build=lambda options: ToyTask(apply_overrides(ToyConfig(), options))))
    reg.register(TrainerSpec(name="ctrl-c", description="toy", defaults={"max_steps": 5},
                             build=lambda options: _CtrlCTask(apply_overrides(ToyConfig(), options))))
    monkeypatch.setattr(registry, "_default", reg)
    return reg


def test_ctrl_c_in_the_cli_says_how_to_continue_without_error(toy_cli, tmp_path):
    from typer.testing import CliRunner

    from hwrender.cli import app

    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["train", "ctrl-c", "-o", str(out), "--batch-size", "8",
                                      "--set", "lr=0.01", "--device", "cpu"])
    assert result.exit_code == 130, result.output
    assert "error" not in result.stderr.lower()
    assert (f"hwrender: stopped at step 3; checkpoint saved; continue with `hwrender train ctrl-c "
            f"-o {out} --resume --batch-size 8 --device cpu --set lr=0.01`") in result.stderr
    assert load_checkpoint(out / "checkpoint.pt")["step"] == 3


class _TermTask(ToyTask):
    """Is sent SIGTERM (`timeout`, `kill`, a batch scheduler) during step 3."""

    def train_step(self, batch, step):
        if step == 2:
            os.kill(os.getpid(), signal.SIGTERM)
        return super().train_step(batch, step)


def test_sigterm_saves_a_checkpoint_like_ctrl_c(tmp_path):
    """In one process SIGTERM killed the run: every step since the last checkpoint was lost."""
    out = tmp_path / "run"
    with pytest.raises(TrainingInterrupted):
        train(_TermTask(), _opts(tmp_path, out=out, checkpoint_every=1000), progress=False)
    assert load_checkpoint(out / "checkpoint.pt")["step"] == 3
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # handed back


def test_a_fresh_run_starts_its_metrics_log_afresh(tmp_path):
    """A failed run's metrics.jsonl was continued by the next fresh run into the same folder."""
    out = tmp_path / "run"
    out.mkdir()
    (out / "metrics.jsonl").write_text('{"step": 630}\n')
    train(ToyTask(), _opts(tmp_path, out=out, max_steps=3, log_every=1), progress=False)
    steps = [json.loads(line)["step"] for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert steps == [1, 2, 3]


def test_sample_every_below_zero_is_refused(toy_cli, tmp_path):
    from typer.testing import CliRunner

    from hwrender.cli import app

    r = CliRunner().invoke(app, ["train", "toy", "-o", str(tmp_path / "r"), "--sample-every", "-1"])
    assert r.exit_code == 2 and "--sample-every must be 0 or more" in r.stderr
    assert not (tmp_path / "r").exists()


def test_a_run_that_fails_before_training_leaves_no_folder(toy_cli, tmp_path):
    from typer.testing import CliRunner

    from hwrender.cli import app

    class Broken(ToyTask):
        def setup(self, ctx):
            raise UsageError("no data", "give some")

    out = tmp_path / "runs" / "toy"
    with pytest.raises(UsageError):
        train(Broken(), _opts(tmp_path, out=out), progress=False)
    assert not (tmp_path / "runs").exists()
    bad = CliRunner().invoke(app, ["train", "toy", "-o", str(out), "--set", "nope=1"])
    assert bad.exit_code == 2 and not (tmp_path / "runs").exists()
    kept = tmp_path / "kept"
    kept.mkdir()
    with pytest.raises(UsageError):
        train(Broken(), _opts(tmp_path, out=kept), progress=False)
    assert kept.is_dir()  # a folder that was there before stays


def test_progress_keeps_bar_steps_and_time_left_at_80_columns():
    import io

    from rich.console import Console

    from hwrender.train.loop import _Progress

    console = Console(width=80, file=io.StringIO(), record=True, color_system=None)
    bar = _Progress(12000, 0, "glyph-styler", console=console)
    bar.update(3000, {"l1": 0.1234, "const": 0.00123, "g_adv": 1.25, "d_adv": 0.7, "g_cat": 0.3,
                      "d_cat": 0.4, "g": 12.3, "d": 1.1, "lr": 0.001})
    bar._progress.stop()
    console.export_text()  # drop what the live display drew
    for renderable in bar._progress.get_renderables():
        console.print(renderable)
    lines = console.export_text().splitlines()
    assert len(lines) == 2 and all(len(line) <= 80 for line in lines), lines
    assert "3000/12000" in lines[0] and "━" in lines[0] and "left" in lines[0]
    assert lines[1].startswith("l1 0.123  const 0.00123") and lines[1].endswith("…")


def test_eval_progress_shows_on_a_terminal_and_stays_off_pipes(monkeypatch):
    import io
    import sys

    from hwrender.cli import train as train_cli

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    screen = Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    with train_cli._activity("evaluating toy", quiet=False) as log:
        log("fidelity: 3 styles")
    assert "fidelity: 3 styles" in screen.getvalue() and "evaluating toy" in screen.getvalue()
    pipe = io.StringIO()
    monkeypatch.setattr(sys, "stderr", pipe)
    with train_cli._activity("evaluating toy", quiet=False) as log:
        log("fidelity: 3 styles")
    assert pipe.getvalue() == ""


@pytest.mark.parametrize("command", ["train", "eval"])
def test_an_unknown_model_is_a_usage_error(command):
    """A model name the user typed wrong exits 2 (usage), naming the models there are."""
    from typer.testing import CliRunner

    from hwrender.cli import app

    result = CliRunner().invoke(app, [command, "nosuchmodel"])
    assert result.exit_code == 2
    assert "no trainable model named 'nosuchmodel'" in result.stderr
    assert "latin" in result.stderr


def _toy_report(**kwargs):
    return {"figures": [{"name": "CER", "value": 0.0123456, "target": "<= 0.05", "pass": True},
                        {"name": "accuracy", "value": 97, "target": ">= 99", "pass": False},
                        {"name": "FID", "value": 1.5, "target": None, "pass": None}]}


def test_eval_prints_the_figures_table(toy_cli):
    from typer.testing import CliRunner

    from hwrender.cli import app

    toy_cli.register(TrainerSpec(name="judged", description="toy", build="tests.test_train_loop:ToyTask",
                                 evaluate="tests.test_train_loop:_toy_report"))
    result = CliRunner().invoke(app, ["eval", "judged", "--device", "cpu"])
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.stdout.splitlines()]
    assert ["CER", "0.01235", "<=", "0.05", "ok"] in rows
    assert ["accuracy", "97", ">=", "99", "MISSED"] in rows and ["FID", "1.5"] in rows


def test_a_finetune_source_that_is_nothing_is_named_before_any_work(toy_cli, tmp_path):
    """`--finetune bogus` built the training data (minutes) and then said `--weights bogus`."""
    from typer.testing import CliRunner

    from hwrender.cli import app

    for ref in ("bogus", str(tmp_path / "nowhere")):
        r = CliRunner().invoke(app, ["train", "toy", "-o", str(tmp_path / "r"), "--finetune", ref])
        assert r.exit_code == 2 and f"--finetune {ref}: no such model folder or shipped model" in r.stderr
        assert "latin" in r.stderr and not (tmp_path / "r").exists()


def test_eval_write_card_checks_the_folder_before_evaluating(tmp_path, monkeypatch):
    """A read-only model folder failed only after the whole evaluation (minutes)."""
    import os as _os

    from typer.testing import CliRunner

    import hwrender.cli.train as cli_train
    import hwrender.registry as registry
    from hwrender.cli import app
    from hwrender.train import TrainerSpec

    reg = registry.Registry()
    reg.register(TrainerSpec(name="toy", description="toy", defaults={"max_steps": 5},
                             build=lambda options: ToyTask(apply_overrides(ToyConfig(), options)),
                             evaluate=lambda **kw: pytest.fail("evaluated first"),
                             card=lambda folder, report: "# card\n"))
    monkeypatch.setattr(registry, "_default", reg)
    model = tmp_path / "model"
    model.mkdir()
    (model / "README.md").write_text("# card\n")
    real = _os.access  # root may write anything: a read-only card is stood in for
    monkeypatch.setattr(cli_train.os, "access",
                        lambda p, mode, **kw: False if str(p).endswith("README.md") else real(p, mode, **kw))
    r = CliRunner().invoke(app, ["eval", "toy", "--weights", str(model), "--write-card"])
    assert r.exit_code == 1 and "README.md is not writable" in r.stderr, r.output

"""``hwrender train --threads`` (issue 31): the run trains with that many torch threads, its
hardware line says so, and a library caller's thread count is left as it was."""

from __future__ import annotations

import json

import pytest
import torch
from test_train_loop import ToyTask, _opts, toy_cli  # noqa: F401  (toy_cli: a fixture)

from hwrender.errors import UsageError
from hwrender.train import loop
from hwrender.train.loop import auto_threads, train


class CountingTask(ToyTask):
    """Records torch's thread count at each step."""

    def train_step(self, batch, step):
        self.counts = getattr(self, "counts", []) + [torch.get_num_threads()]
        return super().train_step(batch, step)


@pytest.fixture
def two_threads():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


def test_the_run_trains_with_its_threads_and_says_so(tmp_path, two_threads):
    task = CountingTask()
    messages: list[str] = []
    summary = train(task, _opts(tmp_path, max_steps=3, threads=1), progress=False,
                    log=messages.append)
    assert task.counts == [1, 1, 1]
    assert summary.hardware.endswith(", 1 thread")
    assert "training on cpu with 1 thread" in messages
    assert torch.get_num_threads() == 2  # the caller's setting is back
    # left out, the loop keeps the process's setting
    task = CountingTask()
    summary = train(task, _opts(tmp_path, out=tmp_path / "other", max_steps=2), progress=False)
    assert task.counts == [2, 2] and summary.hardware.endswith(", 2 threads")


def test_threads_below_one_are_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="--threads must be at least 1"):
        train(ToyTask(), _opts(tmp_path, threads=0), progress=False)
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("cpus, load, env, want", [
    (2, 0.3, {}, 2),  # an idle machine: every CPU
    (2, 1.4, {}, 1),  # one core busy with other work
    (2, 7.9, {}, 1),  # oversubscribed: still one
    (16, 0.0, {"LOCAL_WORLD_SIZE": "4"}, 4),  # torchrun: the CPUs shared by the processes
    (16, 0.0, {"OMP_NUM_THREADS": "3"}, None),  # the environment already says
])
def test_auto_threads_take_the_free_cpus(monkeypatch, cpus, load, env, want):
    for name in ("OMP_NUM_THREADS", "LOCAL_WORLD_SIZE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(loop.os, "sched_getaffinity", lambda pid: set(range(cpus)), raising=False)
    monkeypatch.setattr(loop.os, "getloadavg", lambda: (load, load, load), raising=False)
    assert auto_threads() == want


def test_cli_threads_reach_the_run_and_its_summary(toy_cli, tmp_path, two_threads):  # noqa: F811
    from typer.testing import CliRunner

    from hwrender.cli import app

    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["train", "toy", "-o", str(out), "--batch-size", "8",
                                      "--threads", "1", "--device", "cpu"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout[result.stdout.index("{"):])
    assert summary["hardware"].endswith(", 1 thread")
    bad = CliRunner().invoke(app, ["train", "toy", "-o", str(tmp_path / "b"), "--threads", "x"])
    assert bad.exit_code == 2 and "--threads must be a count" in bad.stderr


def test_help_documents_threads():
    from typer.testing import CliRunner

    from hwrender.cli import app

    result = CliRunner().invoke(app, ["train", "--help"], env={"COLUMNS": "200"})
    assert "--threads" in result.stdout and "free CPUs" in result.stdout


def test_ctrl_c_says_to_continue_with_the_same_threads(toy_cli, tmp_path):  # noqa: F811
    from typer.testing import CliRunner

    from hwrender.cli import app

    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["train", "ctrl-c", "-o", str(out), "--batch-size", "8",
                                      "--threads", "1", "--device", "cpu"])
    assert result.exit_code == 130, result.output
    assert f"`hwrender train ctrl-c -o {out} --resume --batch-size 8 --device cpu --threads 1`" in result.stderr

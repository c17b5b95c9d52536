"""The training loop on several processes (torchrun + DistributedDataParallel), on CPU with gloo.

Two processes on a global batch of B train what one process trains on B: the toy task (no batch
norm) to float precision; the glyph styler (batch norms everywhere) to float precision too when
both shares of each batch hold the same examples, so that each rank's batch statistics are the
whole batch's (torch's SyncBatchNorm, which the loop uses on GPUs, runs on GPUs only). Ctrl-C on
one rank stops both at the same step with a checkpoint, and the resumed run is the straight one.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from hwrender.errors import UsageError
from hwrender.train.loop import LoopOptions, TrainingInterrupted, load_checkpoint, train
from tests.test_train_loop import ToyConfig, ToyTask, _params


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _glyph_fonts(root: Path) -> Path:
    from tests.test_glyph_styler import HANG, HANI, make_font

    make_font(root / "corpus" / "Hang" / "hand-a.ttf", HANG, 1)
    make_font(root / "corpus" / "Hang" / "hand-b.ttf", HANG[:10], 2)
    make_font(root / "corpus" / "Hani" / "brush-c.ttf", HANI, 3)
    make_font(root / "source.ttf", HANG + HANI, 0)
    return root


def _paired_glyph_task(root: Path):
    """The tiny glyph styler, no dropout, each batch its first half twice: [a a b b ...], so
    that either rank's share [a b ...] has the batch statistics of the whole batch."""
    from hwrender_plugins.glyph_styler.task import GlyphStylerTask, build_task

    class Paired(GlyphStylerTask):
        def batches(self, epoch, generator, batch_size):
            return [b[:batch_size // 2].repeat_interleave(2)
                    for b in super().batches(epoch, generator, batch_size)]

    # fp32: bf16 autocast rounds a half batch's sums otherwise than the whole batch's
    config = build_task(["variant=tiny", f"source_font={root / 'source.ttf'}", "dropout=0",
                         "cpu_bf16=false"]).config
    return Paired(config)


def _opts(out: Path, **kw) -> LoopOptions:
    return LoopOptions(**{"out": out, "batch_size": 8, "max_steps": 6, "checkpoint_every": 4,
                          "log_every": 1, **kw})


def _worker(rank: int, port: int, root: Path) -> None:
    """One of two ranks: the same runs the parent makes in one process, and an interrupted one."""
    import torch.distributed as dist

    torch.set_num_threads(1)  # two processes share the test machine's few cores
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank),
                      WORLD_SIZE="2", LOCAL_RANK=str(rank))
    dist.init_process_group("gloo")  # the loop uses a group it finds, and leaves it open
    try:
        train(ToyTask(ToyConfig(noise=0.0)), _opts(root / "toy"), progress=False)
        glyph = _paired_glyph_task(root)
        train(glyph, _opts(root / "glyph", data=root / "corpus"), progress=False)
        torch.save(glyph.G.state_dict(), root / f"glyph-G-rank{rank}.pt")
        # random draws (the toy's noise) differ per rank; a resume must restore each rank's
        train(ToyTask(), _opts(root / "straight", max_steps=12), progress=False)

        def ctrl_c(step, losses):
            if step == 7 and rank == 1:  # one rank only: both must stop, at the same step
                os.kill(os.getpid(), signal.SIGINT)

        broken = ToyTask()
        try:
            train(broken, _opts(root / "broken", max_steps=12), progress=False, on_step=ctrl_c)
        except TrainingInterrupted as exc:
            (root / f"stopped-rank{rank}").write_text(str(exc.step))
        # a stopped run hands its modules back unwrapped, as a finished one does (a module still
        # routed through DDP outlives the process group and can abort the process at exit)
        (root / f"routed-rank{rank}").write_text(str("forward" in vars(broken.model)))
        train(ToyTask(), _opts(root / "broken", max_steps=12, resume=True), progress=False)
        # no DDP wrapper is left for a garbage collection after the process group is gone (at
        # interpreter exit, where freeing its gloo work can abort the process)
        from torch.nn.parallel import DistributedDataParallel

        left = sum(isinstance(o, DistributedDataParallel) for o in gc.get_objects())
        (root / f"wrappers-rank{rank}").write_text(str(left))
    finally:
        dist.destroy_process_group()


def _metrics(out: Path, key: str) -> list[float]:
    return [json.loads(line)[key] for line in (out / "metrics.jsonl").read_text().splitlines()]


def test_two_processes_train_what_one_process_trains_on_the_same_global_batch(tmp_path):
    import torch.multiprocessing as mp

    root = _glyph_fonts(tmp_path)
    mp.spawn(_worker, args=(_free_port(), root), nprocs=2)

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        train(ToyTask(ToyConfig(noise=0.0)), _opts(tmp_path / "toy-one"), progress=False)
        one = _paired_glyph_task(root)
        train(one, _opts(tmp_path / "glyph-one", data=root / "corpus"), progress=False)
    finally:
        torch.set_num_threads(before)

    # the toy: the same losses (averaged over the ranks) and the same weights
    torch.testing.assert_close(_params(root / "toy"), _params(tmp_path / "toy-one"))
    assert _metrics(root / "toy", "loss") == pytest.approx(_metrics(tmp_path / "toy-one", "loss"),
                                                           rel=1e-5)
    assert _metrics(root / "toy", "examples") == [8 * s for s in range(1, 7)]  # global examples

    # the glyph styler: both ranks hold the same weights, and they are one process's
    ranks = [torch.load(root / f"glyph-G-rank{r}.pt") for r in (0, 1)]
    for name, value in one.G.state_dict().items():
        assert torch.equal(ranks[0][name], ranks[1][name]), name
        if not name.endswith("running_var"):  # unbiased: n / (n - 1) of a share's n, not the batch's
            torch.testing.assert_close(ranks[0][name], value, rtol=1e-4, atol=1e-5,
                                       msg=lambda m, name=name: f"{name}: {m}")
    assert _metrics(root / "glyph", "l1") == pytest.approx(_metrics(tmp_path / "glyph-one", "l1"),
                                                           rel=1e-4)
    # rank 0 alone wrote the run: one metrics line per step, one model, sample grids
    assert len(_metrics(root / "glyph", "step")) == 6
    assert (root / "glyph" / "model" / "config.json").is_file()
    assert (root / "glyph" / "samples" / "final.png").is_file()
    assert load_checkpoint(root / "glyph" / "checkpoint.pt")["step"] == 6

    # Ctrl-C on rank 1 stopped both ranks at one step, saved, and the resumed run is the straight
    # one, bit for bit (each rank's random state came back from the checkpoint)
    stopped = {(root / f"stopped-rank{r}").read_text() for r in (0, 1)}
    assert len(stopped) == 1 and int(stopped.pop()) in (7, 8)
    assert [(root / f"routed-rank{r}").read_text() for r in (0, 1)] == ["False", "False"]
    assert [(root / f"wrappers-rank{r}").read_text() for r in (0, 1)] == ["0", "0"]
    assert torch.equal(_params(root / "straight"), _params(root / "broken"))
    assert _metrics(root / "straight", "loss") == _metrics(root / "broken", "loss")
    assert len(load_checkpoint(root / "broken" / "checkpoint.pt")["rng_ranks"]) == 2


def test_a_batch_that_does_not_split_over_the_processes_is_a_usage_error(tmp_path, monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "4")
    monkeypatch.setenv("RANK", "0")
    with pytest.raises(UsageError, match="--batch-size 10 does not split evenly over 4 processes"):
        train(ToyTask(), _opts(tmp_path / "run", batch_size=10), progress=False)
    assert not (tmp_path / "run").exists()
    with pytest.raises(UsageError, match="names one GPU"):
        train(ToyTask(), _opts(tmp_path / "run", device="cuda:1"), progress=False)


def test_one_process_without_torchrun_never_starts_a_process_group(tmp_path, monkeypatch):
    import torch.distributed as dist

    monkeypatch.delenv("WORLD_SIZE", raising=False)
    task = ToyTask()
    train(task, _opts(tmp_path / "run", max_steps=2), progress=False)
    assert not dist.is_initialized()
    assert "forward" not in vars(task.model)  # the module was never routed through DDP
    assert "rng_ranks" not in load_checkpoint(tmp_path / "run" / "checkpoint.pt")
    # --bf16 is for GPUs: on CPU the run is the same, bit for bit
    train(ToyTask(), _opts(tmp_path / "bf16", max_steps=2, bf16=True), progress=False)
    assert torch.equal(_params(tmp_path / "run"), _params(tmp_path / "bf16"))


def test_tensors_trained_outside_modules_are_found_before_ddp_would_miss_them():
    from hwrender.train.distributed import loose_tensors, trainable_modules
    from tests.test_train_loop import OverridingToyTask

    plain, loose = ToyTask(), OverridingToyTask()
    plain.setup(None)
    loose.setup(None)
    assert list(trainable_modules(plain)) == ["model"]
    assert loose_tensors(plain, trainable_modules(plain)) == []
    assert [t is loose.shift for t in loose_tensors(loose, trainable_modules(loose))] == [True]


def test_torchrun_trains_a_real_model_from_the_command_line(tmp_path):
    """`torchrun --nproc_per_node 2 hwrender train hangul ...`: rank 0 prints one summary and
    writes one run folder; the model is exported and loads."""
    root = _glyph_fonts(tmp_path)
    out = tmp_path / "run"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HWRENDER_DEBUG": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
         "-m", "hwrender", "train", "hangul", "-o", str(out), "--data", str(root / "corpus"),
         "--device", "cpu", "--batch-size", "8", "--max-steps", "3",
         "--set", "variant=tiny", "--set", f"source_font={root / 'source.ttf'}"],
        capture_output=True, text=True, env=env, timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout)  # one JSON document: rank 1 printed nothing
    assert summary["steps"] == 3 and summary["examples"] == 24
    assert summary["hardware"].startswith("2 processes (gloo)")
    assert _metrics(out, "step") == [3]  # logged every 10 steps and at the end, once
    assert (out / "model" / "model.safetensors").is_file()


SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "train_gpu.sh"


def test_train_gpu_script_runs_torchrun_for_several_gpus_and_says_when_there_is_none():
    env = {**os.environ, "PYTHON": sys.executable}
    shown = subprocess.run(["bash", str(SCRIPT), "glyph-styler", "--gpus", "4", "--dry-run",
                            "--batch-size", "128"], capture_output=True, text=True, env=env)
    assert shown.returncode == 0, shown.stderr
    assert "torch.distributed.run --standalone --nproc_per_node 4 -m hwrender train " \
           "glyph-styler --out runs/glyph-styler-gpu --device cuda --bf16 --batch-size 128" \
           in shown.stdout
    one = subprocess.run(["bash", str(SCRIPT), "hangul", "--gpus", "1", "--dry-run", "--no-bf16"],
                         capture_output=True, text=True, env=env)
    assert "-m hwrender train hangul --out runs/hangul-gpu --device cuda --no-bf16" in one.stdout
    assert "torch.distributed.run" not in one.stdout
    if not torch.cuda.is_available():
        none = subprocess.run(["bash", str(SCRIPT), "glyph-styler"], capture_output=True,
                              text=True, env=env)
        assert none.returncode == 1 and "sees no CUDA GPU" in none.stderr

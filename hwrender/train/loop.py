"""The one training loop every model family shares.

It seeds the run, orders the data, calls the family's ``train_step``, logs metrics as JSON lines,
writes sample grids, checkpoints atomically, stops cleanly on Ctrl-C (saving first), resumes bit
for bit, and exports the trained model. Everything model-specific lives in the ``TrainTask``.

A run folder holds::

    checkpoint.pt      the last checkpoint (model, optimisers, RNG states, data position)
    metrics.jsonl      one JSON object per logged step
    samples/           sample grids (step-000500.png, epoch-003.png)
    model/             the exported model (safetensors + config.json + README.md + manifest.json)

Under ``torchrun --nproc_per_node N`` the same loop trains on N processes (``distributed.py``):
each takes its share of every batch, DDP averages the gradients, rank 0 writes the run folder.
"""

from __future__ import annotations

import json
import math
import os
import platform
import random
import signal
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..atomic import write_atomic
from ..errors import HwrenderError, OutputError, UsageError
from .task import RunContext, TrainTask

CHECKPOINT = "checkpoint.pt"
METRICS = "metrics.jsonl"
CHECKPOINT_FORMAT = 1


class TrainingInterrupted(HwrenderError):
    """Ctrl-C during training: the checkpoint was saved first (exit 130). ``step`` and ``out``
    let the command line say how to continue."""

    exit_code = 130

    def __init__(self, message: str, hint: str | None = None, step: int = 0,
                 out: Path | None = None):
        super().__init__(message, hint)
        self.step, self.out = step, out


class TrainingDiverged(HwrenderError):
    """A loss became NaN or infinite; the last good checkpoint is left untouched."""


@dataclass
class LoopOptions:
    out: Path
    device: str = "cpu"
    seed: int = 0
    batch_size: int = 64
    epochs: float | None = None
    max_steps: int | None = None
    resume: bool = False
    data: Path | None = None
    finetune: str | None = None
    name: str | None = None
    checkpoint_every: int = 500
    sample_every: int = 0  # steps; 0 = only at the end of each epoch
    log_every: int = 10
    # bf16 autocast of each step on CUDA: None = the task's choice (``TrainTask.cuda_bf16``);
    # never on CPU, where a task's own settings decide (CPU results stay as they were)
    bf16: bool | None = None
    # torch's intra- and inter-op threads for the run; None leaves them as they are
    # (``auto_threads`` is the command line's default)
    threads: int | None = None


@dataclass
class RunSummary:
    task: str
    steps: int
    epochs: float
    examples: int
    seconds: float
    examples_per_second: float
    device: str
    hardware: str
    out: str
    model: str
    last_metrics: dict[str, float]
    # the run's later phases, one per resume that changed settings: {"step": S, "set": {setting:
    # new value}, "was": {setting: old value}} (the first phase ran with every "was" put back)
    phases: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def hardware_name(device: str) -> str:
    """A short description of what trained the model, for model cards."""
    import torch

    if device.startswith("cuda") and torch.cuda.is_available():
        return torch.cuda.get_device_name(torch.device(device))
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {_threads_text()}"


def _threads_text() -> str:
    import torch

    n = torch.get_num_threads()
    return f"{n} thread{'s' if n != 1 else ''}"


def auto_threads() -> int | None:
    """Threads for a training process: the CPUs it may use, shared by the processes of a torchrun
    run, less those other work keeps busy (the 1-minute load average); None where
    ``OMP_NUM_THREADS`` already says. On a shared 2-core machine, threads that wait on each other
    at every barrier lose: the glyph styler trained at 11.5 img/s with 2 threads, 26.2 with 1."""
    if os.environ.get("OMP_NUM_THREADS"):
        return None
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    busy = round(os.getloadavg()[0]) if hasattr(os, "getloadavg") else 0
    share = max(1, int(os.environ.get("LOCAL_WORLD_SIZE", "1") or 1))
    return max(1, ((cpus or 1) - busy) // share)


def _use_threads(n: int) -> None:
    import torch

    torch.set_num_threads(n)
    try:  # possible only before the process's first parallel work
        torch.set_num_interop_threads(n)
    except RuntimeError:
        pass


def _epoch_generator(seed: int, epoch: int):
    import torch

    g = torch.Generator()
    g.manual_seed((seed * 1_000_003 + epoch) & 0x7FFF_FFFF_FFFF_FFFF)
    return g


def _rng_state() -> dict[str, Any]:
    import torch

    state = {"torch": torch.get_rng_state(), "python": random.getstate()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict[str, Any]) -> None:
    import torch

    torch.set_rng_state(state["torch"])
    random.setstate(_as_tuple(state["python"]))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _as_tuple(value):
    """random.setstate wants nested tuples; a saved state may come back with lists."""
    return tuple(_as_tuple(v) for v in value) if isinstance(value, (list, tuple)) else value


def _save_checkpoint(path: Path, payload: dict[str, Any]) -> None:
    import torch

    # a crash mid-write never replaces the last good checkpoint
    write_atomic(path, lambda tmp: torch.save(payload, tmp))


def load_checkpoint(path: Path) -> dict[str, Any]:
    """A checkpoint, loaded without unpickling arbitrary objects (``weights_only``)."""
    import torch

    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise UsageError(f"no checkpoint at {path}", "drop --resume to start a new run") from None
    except Exception as exc:
        raise HwrenderError(f"checkpoint {path} cannot be read ({type(exc).__name__}: {exc})",
                            "delete it to start over, or restore a good copy") from None
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        raise HwrenderError(f"{path} is not a hwrender checkpoint",
                            "point --out at a run folder made by `hwrender train`")
    return payload


def _truncate_metrics(path: Path, step: int) -> None:
    """Drop metric lines logged after the checkpoint a resumed run restarts from."""
    if not path.exists():
        return
    kept = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            if json.loads(line).get("step", 0) <= step:
                kept.append(line)
        except json.JSONDecodeError:
            break  # a line cut short by a crash ends the usable log
    path.write_text("".join(k + "\n" for k in kept), encoding="utf-8")


class _StopFlag:
    """SIGINT or SIGTERM sets a flag so the step in flight finishes and the loop saves before
    leaving.

    ``several``: a process of a torchrun run (torchrun passes SIGTERM on when it is stopped): a
    second signal does not abort it: a Ctrl-C reaches it twice (from the terminal and again from
    torchrun), and the ranks must stop together to save. In one process a second signal stops at
    once.
    """

    def __init__(self, several: bool = False) -> None:
        self.raised = False
        self.several = several
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> "_StopFlag":
        # SIGTERM too in one process: what `timeout`, `kill`, docker and Slurm send; it lost every
        # step since the last checkpoint, without a word
        for signum in (signal.SIGINT, signal.SIGTERM):
            try:
                self._previous[signum] = signal.signal(signum, self._handle)
            except ValueError:  # not the main thread: leave the signals alone
                pass
        return self

    def _handle(self, signum, frame) -> None:
        if self.raised and not self.several:  # a second Ctrl-C: stop at once
            raise KeyboardInterrupt
        self.raised = True

    def __exit__(self, *exc) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)


def _finite(values: dict[str, float]) -> bool:
    return all(math.isfinite(v) for v in values.values())


def _config_defaults(task: TrainTask) -> dict[str, Any]:
    """What a run key without a setting means: the value the setting had before it existed
    (``task.settings_before``), else the default of the task's config (a dataclass),
    JSON-normalised as a run key is."""
    import dataclasses

    config = getattr(task, "config", None)
    defaults: dict[str, Any] = {}
    for f in dataclasses.fields(config) if dataclasses.is_dataclass(config) else ():
        if f.default is not dataclasses.MISSING:
            value = f.default
        elif f.default_factory is not dataclasses.MISSING:
            value = f.default_factory()
        else:
            continue
        try:
            defaults[f.name] = json.loads(json.dumps(value))
        except (TypeError, ValueError):  # cannot be in a run key either
            pass
    defaults.update(json.loads(json.dumps(dict(getattr(task, "settings_before", {})))))
    return defaults


def _changed_settings(saved: dict, fresh: dict, may_change: frozenset[str],
                      defaults: dict[str, Any] | None = None) -> dict[str, tuple] | None:
    """The settings in ``may_change`` that differ between a checkpoint's run key and this run's,
    as {setting: (old, new)}, or None when anything else differs (another task, setting, seed or
    batch size).

    A setting only one side has (added to the task's config after the checkpoint was written, or
    left out of a run key at its default) counts as its ``defaults`` value on the other side: the
    old run behaved as the default does, so resuming with the default is no change, and a setting
    in ``may_change`` can be switched on for the rest of the run."""
    defaults = defaults or {}
    config_saved, config_fresh = dict(saved.get("config", {})), dict(fresh.get("config", {}))
    for mine, other in ((config_saved, config_fresh), (config_fresh, config_saved)):
        for k in other.keys() - mine.keys():
            if k in defaults:
                mine[k] = defaults[k]
    allowed = may_change & config_saved.keys() & config_fresh.keys()
    def strip(key: dict, config: dict) -> dict:
        return {**key, "config": {k: v for k, v in config.items() if k not in allowed}}
    if strip(saved, config_saved) != strip(fresh, config_fresh):
        return None
    return {k: (config_saved[k], config_fresh[k]) for k in sorted(allowed)
            if config_saved[k] != config_fresh[k]}


def train(task: TrainTask, opts: LoopOptions, *, progress: bool | None = None,
          log: Callable[[str], None] | None = None,
          on_step: Callable[[int, dict[str, float]], None] | None = None) -> RunSummary:
    """Run (or resume) training of ``task`` into ``opts.out`` and export the model.

    ``progress``: show a progress bar on stderr (default: when stderr is a terminal).
    ``on_step(step, losses)`` is called after every step (tests use it to stop a run early).
    """
    out = Path(opts.out)
    ckpt_path = out / CHECKPOINT
    if opts.epochs is None and opts.max_steps is None:
        raise UsageError("training needs a length", "give --epochs or --max-steps")
    if opts.batch_size < 1:
        raise UsageError(f"--batch-size must be at least 1, got {opts.batch_size}", "use e.g. 64")
    if opts.threads is not None and opts.threads < 1:
        raise UsageError(f"--threads must be at least 1, got {opts.threads}",
                         "give a count, or leave it out to use the free CPUs")
    from .distributed import from_env

    dist = from_env(opts.device)
    if dist is not None and opts.batch_size % dist.world_size:
        raise UsageError(f"--batch-size {opts.batch_size} does not split evenly over "
                         f"{dist.world_size} processes",
                         f"give a multiple of {dist.world_size} (the batch is the global one)")
    if ckpt_path.exists() and not opts.resume:
        raise UsageError(f"{out} already holds a training run",
                         "pass --resume to continue it, or choose another --out")
    if opts.resume and not ckpt_path.exists():
        raise UsageError(f"nothing to resume: {ckpt_path} does not exist",
                         "drop --resume to start a new run")
    # a run that fails before it saves anything (bad settings, missing fonts) leaves no folder
    created = _missing_parents(out) if dist is None or dist.main else []
    if dist is None or dist.main:
        if out.exists() and not out.is_dir():
            raise UsageError(f"--out {out} is a file", "give a folder for the run")
        try:
            out.mkdir(parents=True, exist_ok=True)
            if not os.access(out, os.W_OK | os.X_OK):
                raise PermissionError(13, "Permission denied")
        except OSError as exc:  # a file on the way, no permission, a read-only disk
            raise OutputError(f"cannot write the run folder {out}: {exc.strerror or exc}",
                              "choose another --out") from None
    import torch

    threads_before = torch.get_num_threads()
    if opts.threads is not None:
        _use_threads(opts.threads)
    try:
        if dist is not None:
            dist.start()
        return _train(task, opts, out, progress=progress, log=log, on_step=on_step, dist=dist)
    except BaseException:
        for folder in created:  # innermost first; a folder holding anything stays
            try:
                folder.rmdir()
            except OSError:
                break
        raise
    finally:
        if dist is not None:
            dist.close()
        torch.set_num_threads(threads_before)  # a library caller's process goes on as it was


def _missing_parents(folder: Path) -> list[Path]:
    """``folder`` and those of its parents that do not exist yet, innermost first."""
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    return missing


def _train(task: TrainTask, opts: LoopOptions, out: Path, *, progress: bool | None,
           log: Callable[[str], None] | None,
           on_step: Callable[[int, dict[str, float]], None] | None,
           dist=None) -> RunSummary:
    import torch

    ckpt_path = out / CHECKPOINT
    metrics_path = out / METRICS
    main = dist is None or dist.main
    log = log if log and main else (lambda message: None)
    device = dist.device if dist is not None else opts.device

    if device.startswith("cpu") or opts.threads is not None:
        log(f"training on {device} with {_threads_text()}")
    random.seed(opts.seed)
    torch.manual_seed(opts.seed)
    ctx = RunContext(out=out, device=device, seed=opts.seed, batch_size=opts.batch_size,
                     data=opts.data, finetune=opts.finetune, resume=opts.resume, name=opts.name, log=log,
                     rank=dist.rank if dist else 0, world_size=dist.world_size if dist else 1)
    task = task.for_run(ctx)
    if dist is None:
        task.setup(ctx)
    else:
        with dist.main_first():
            task.setup(ctx)
    n = task.num_examples()
    steps_per_epoch = max(1, n // opts.batch_size) if n >= opts.batch_size else 1
    total = opts.max_steps if opts.max_steps is not None else \
        max(1, math.ceil(opts.epochs * steps_per_epoch))

    step = epoch = in_epoch = examples = 0
    elapsed = 0.0
    phases: list[dict[str, Any]] = []
    # JSON-normalised (tuples become lists) so a saved key compares equal to a fresh one
    run_key = json.loads(json.dumps({"task": task.name, "config": task.config_dict(),
                                     "seed": opts.seed, "batch_size": opts.batch_size}))
    # what it learns from: a resume with other --data or --finetune is another run
    for key, value in (("data", opts.data), ("finetune", opts.finetune)):
        run_key[key] = None if value is None else (
            os.path.abspath(os.fspath(value)) if key == "data" or Path(os.fspath(value)).exists()
            else str(value))
    if opts.resume:
        payload = load_checkpoint(ckpt_path)
        # a checkpoint from before --data and --finetune were part of the key resumes as before,
        # and a fine-tune resumes without --finetune (its checkpoint holds every module)
        fresh = {k: v for k, v in run_key.items() if k in payload["run"] or k not in ("data", "finetune")}
        if opts.finetune is None and "finetune" in payload["run"]:
            fresh["finetune"] = payload["run"]["finetune"]
        changed = _changed_settings(payload["run"], fresh, task.resume_may_change,
                                    _config_defaults(task))
        if changed is None:
            raise UsageError(f"{out} holds a different run (task, settings, seed, batch size, --data "
                             "or --finetune)",
                             "resume with the settings it was started with, or choose another --out")
        phases = list(payload.get("phases", []))
        if changed:
            log("resumed with changed settings: " + ", ".join(
                f"{k} {old!r} -> {new!r}" for k, (old, new) in changed.items()))
            phases.append({"step": payload["step"],
                           "set": {k: new for k, (_, new) in changed.items()},
                           "was": {k: old for k, (old, _) in changed.items()}})
        task.load_state_dict(payload["task_state"])
        step, epoch, in_epoch = payload["step"], payload["epoch"], payload["in_epoch"]
        examples, elapsed = payload["examples"], payload["elapsed"]
        _set_rng_state(payload["rng"])
        if main:
            _truncate_metrics(metrics_path, step)
        log(f"resumed {task.name} at step {step} (epoch {epoch})")

    wrappers: list = []
    if dist is not None:
        from .distributed import route_through_ddp

        ranks_rng = payload.get("rng_ranks") if opts.resume else None
        if ranks_rng is not None and len(ranks_rng) == dist.world_size:
            _set_rng_state(ranks_rng[dist.rank])
        elif dist.rank:
            # the ranks built the same task from one seed; their random draws (noise, dropout,
            # latents) must differ from here on, or each share of the batch repeats rank 0's
            torch.manual_seed((opts.seed * 1_000_003 + 7919 * dist.rank + step) & 0x7FFF_FFFF)
            random.seed(opts.seed * 1_000_003 + 7919 * dist.rank + step)
        wrappers = route_through_ddp(task, dist, sync_batchnorm=device.startswith("cuda"))

    bf16 = task.cuda_bf16 if opts.bf16 is None else opts.bf16
    if bf16 and device.startswith("cuda") and torch.cuda.is_bf16_supported():
        step_context = lambda: torch.autocast("cuda", dtype=torch.bfloat16)  # noqa: E731
    else:
        import contextlib

        step_context = contextlib.nullcontext

    def checkpoint() -> None:
        rng = _rng_state()
        ranks = dist.gather(rng) if dist is not None else None  # every rank takes part
        if not main:
            return
        _save_checkpoint(ckpt_path, {
            "format": CHECKPOINT_FORMAT, "run": run_key, "task_state": task.state_dict(),
            "step": step, "epoch": epoch, "in_epoch": in_epoch, "examples": examples,
            "elapsed": elapsed, "rng": rng, "phases": phases,
            **({"rng_ranks": ranks} if ranks is not None else {}),
        })

    samples = out / "samples"
    show = (sys.stderr.isatty() if progress is None else progress) and main
    bar = _Progress(total, step, task.name) if show else None
    last: dict[str, float] = {}
    started = time.perf_counter() - elapsed
    # a fresh run starts its log afresh (a failed run's lines were continued by the next one)
    metrics_file = (metrics_path.open("a" if opts.resume else "w", encoding="utf-8") if main
                    else open(os.devnull, "w"))
    try:
        with _StopFlag(several=dist is not None) as stop, metrics_file as metrics:
            while step < total:
                batches = task.batches(epoch, _epoch_generator(opts.seed, epoch), opts.batch_size)
                for batch in batches[in_epoch:]:
                    with step_context():
                        last = task.train_step(batch if dist is None else dist.share(batch), step)
                    stopping = stop.raised
                    if dist is not None:
                        last, stopping = dist.agree(last, stopping)
                    if not _finite(last):
                        bad = ", ".join(k for k, v in last.items() if not math.isfinite(v))
                        raise TrainingDiverged(
                            f"training diverged at step {step + 1}: {bad} is not finite",
                            "lower the learning rate with --set, then --resume from the last "
                            "checkpoint (it was not overwritten)" if ckpt_path.exists() else
                            "lower the learning rate with --set and start again (no checkpoint "
                            "was saved yet)")
                    step += 1
                    in_epoch += 1
                    examples += len(batch)
                    elapsed = time.perf_counter() - started
                    if step % opts.log_every == 0 or step == total:
                        metrics.write(json.dumps({
                            "step": step, "epoch": round(epoch + in_epoch / len(batches), 4),
                            "examples": examples, "seconds": round(elapsed, 3),
                            **{k: round(float(v), 6) for k, v in last.items()}}) + "\n")
                        metrics.flush()
                    if bar is not None:
                        bar.update(step, last)
                    if on_step is not None:
                        on_step(step, last)
                    if opts.sample_every and step % opts.sample_every == 0 and main:
                        _save_grid(task, step, samples / f"step-{step:07d}.png")
                    if stopping or (dist is None and stop.raised):
                        checkpoint()
                        raise TrainingInterrupted(
                            f"training stopped at step {step}; checkpoint saved in {ckpt_path}",
                            f"continue with the same command and --resume --out {out}",
                            step=step, out=out)
                    if step % opts.checkpoint_every == 0:
                        checkpoint()
                    if step >= total:
                        break
                else:
                    if main:
                        _save_grid(task, step, samples / f"epoch-{epoch + 1:03d}.png")
                    epoch += 1
                    in_epoch = 0
                    continue
                break
        checkpoint()
    finally:
        if bar is not None:
            bar.close()
        if wrappers:
            from .distributed import unroute

            # also when the run stops or fails: a routed module refers to itself (its forward),
            # so it and its DDP wrapper would live until a garbage collection, which may come
            # after the process group is gone
            unroute(wrappers)
    elapsed = time.perf_counter() - started
    hardware = hardware_name(device)
    if dist is not None:
        hardware = f"{dist.world_size} processes ({dist.backend}), each {hardware}"
    summary = RunSummary(
        task=task.name, steps=step, epochs=round(epoch + in_epoch / max(1, steps_per_epoch), 3),
        examples=examples, seconds=round(elapsed, 1),
        examples_per_second=round(examples / elapsed, 1) if elapsed > 0 else 0.0,
        device=opts.device, hardware=hardware, out=str(out),
        model=str(out / "model"), last_metrics={k: float(v) for k, v in last.items()},
        phases=phases)
    if main:
        _save_grid(task, step, samples / "final.png")
        task.export(out / "model", summary.to_dict())
    return summary


def _save_grid(task: TrainTask, step: int, path: Path) -> None:
    from .distributed import local_calls

    with local_calls():  # rank 0 alone draws it: no module call may wait for the other ranks
        image = task.sample_grid(step)
    if image is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, lambda tmp: image.save(tmp, format="PNG"))


class _Progress:
    """A rich progress bar on stderr: step count, time spent and left, and the latest losses on
    a line of their own (cut to the terminal's width), so an 80-column terminal keeps the bar."""

    def __init__(self, total: int, done: int, name: str, console=None):
        from rich.console import Console, Group
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.text import Text

        class _WithLosses(Progress):
            def get_renderables(inner):
                task = inner.tasks[0] if inner.tasks else None
                losses = task.fields.get("losses", "") if task else ""
                table = inner.make_tasks_table(inner.tasks)
                yield Group(table, Text(losses, no_wrap=True, overflow="ellipsis")) if losses \
                    else table

        self._progress = _WithLosses(
            TextColumn(f"[bold]{name}[/]"), BarColumn(bar_width=None), MofNCompleteColumn(),
            TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(),
            console=console or Console(stderr=True), transient=False, expand=True)
        self._progress.start()
        self._id = self._progress.add_task(name, total=total, completed=done, losses="")

    def update(self, step: int, losses: dict[str, float]) -> None:
        text = "  ".join(f"{k} {v:.3g}" for k, v in losses.items())
        self._progress.update(self._id, completed=step, losses=text)

    def close(self) -> None:
        self._progress.stop()

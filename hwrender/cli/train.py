"""``hwrender train`` and ``hwrender eval``: reproduce a shipped model, and measure one.

Both find the model family through the plugin registry (``TrainerSpec``), so a third-party plugin
is trained the same way. The run's figures go to stdout as JSON; the progress bar to stderr.
"""

from __future__ import annotations

import json
import math
import os
import shlex
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, List, Optional

import typer
from typer.core import TyperCommand

from ..device import check_device_name
from ..errors import UsageError
from ..fonts import NotInstalled
from . import app
from ._console import note, print_table

ModelArg = Annotated[Optional[str], typer.Argument(
    metavar="MODEL", help="Model to train; leave out to list the trainable models. "
                          "`hwrender train MODEL --help` lists its --set settings.")]
EvalModelArg = Annotated[Optional[str], typer.Argument(
    metavar="MODEL", help="Model to evaluate; leave out to list the trainable models.")]
SetOpt = Annotated[Optional[List[str]], typer.Option(
    "--set", metavar="KEY=VALUE", help="Model setting (repeatable), e.g. --set autoencoder=false.")]
DeviceOpt = Annotated[str, typer.Option(
    "--device", help="auto (GPU when there is one), cpu, cuda or cuda:N.")]


def _trainer(model: str | None):
    from ..registry import default_registry

    registry = default_registry()
    if model is None:
        specs = registry.trainers()
        print_table(("MODEL", "DESCRIPTION"), [(s.name, s.description) for s in specs])
        raise typer.Exit(0)
    return registry.trainer(model)


class _ModelHelp(TyperCommand):
    """``train MODEL --help``: the command's help, then the settings of that model."""

    def parse_args(self, ctx, args):
        # --help is eager: it prints before MODEL is parsed, so keep the raw words to find it
        ctx.meta["hwrender.words"] = list(args)
        return super().parse_args(ctx, args)

    def format_help(self, ctx, formatter) -> None:
        from typer.core import HAS_RICH

        rich = HAS_RICH and self.rich_markup_mode is not None
        result = super().format_help(ctx, formatter)
        text = _settings_text(ctx.meta.get("hwrender.words", []))
        if text and rich:
            typer.echo(text)  # rich printed the help itself; this goes under it
        elif text:
            formatter.write("\n" + text)
        return result


def _settings_text(words: list[str]) -> str:
    """The ``--set`` settings of the first trainable model named in ``words``, as a table."""
    from ..registry import default_registry
    from ..train.task import settings_help

    registry = default_registry()
    names = {spec.name for spec in registry.trainers()}
    model = next((w for w in words if w in names), None)
    if model is None:
        return ""
    spec = registry.trainer(model)
    rows = settings_help(spec.build([]).config)
    width = max(len(k) for k, _, _ in rows)
    dwidth = min(24, max(len(d) for _, d, _ in rows))
    lines = [f"{model}: {spec.description}",
             "Loop defaults: " + ", ".join(f"{k} {v}" for k, v in spec.defaults.items()),
             f"Settings (--set KEY=VALUE):"]
    lines += [f"  {k:<{width}}  {d:<{dwidth}}  {m}".rstrip() for k, d, m in rows]
    return "\n".join(lines)


@app.command("train", cls=_ModelHelp)
def train_cmd(
    ctx: typer.Context,
    model: ModelArg = None,
    data: Annotated[Optional[Path], typer.Option(
        "--data", help="Training data (format depends on the model); default: built from fonts.")] = None,
    out: Annotated[Optional[Path], typer.Option(
        "--out", "-o", help="Run folder (checkpoint, metrics, samples, model). Default: runs/MODEL.")] = None,
    epochs: Annotated[Optional[float], typer.Option("--epochs", help="Epochs to train.")] = None,
    max_steps: Annotated[Optional[int], typer.Option("--max-steps", help="Steps to train.")] = None,
    batch_size: Annotated[Optional[int], typer.Option("--batch-size", help="Examples per step.")] = None,
    device: DeviceOpt = "auto",
    resume: Annotated[bool, typer.Option("--resume", help=(
        "Continue the run in --out, with its settings (a model may let --set change its "
        "schedule: learning rate, loss weights)."))] = False,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the whole run.")] = 0,
    finetune: Annotated[Optional[str], typer.Option(
        "--finetune", metavar="FROM", help="Start from a model (store name or folder).")] = None,
    name: Annotated[Optional[str], typer.Option("--name", help="Name of the exported model.")] = None,
    checkpoint_every: Annotated[Optional[int], typer.Option(
        "--checkpoint-every", help="Steps between checkpoints.")] = None,
    sample_every: Annotated[Optional[int], typer.Option(
        "--sample-every", help="Steps between sample grids (0: at each epoch end).")] = None,
    bf16: Annotated[Optional[bool], typer.Option(
        "--bf16/--no-bf16", help="bf16 autocast on a GPU that has it (default: the model's "
                                 "choice; never changes CPU training).")] = None,
    threads: Annotated[str, typer.Option(
        "--threads", metavar="N", help=(
            "CPU threads of torch (intra- and inter-op). auto: the free CPUs (the CPUs less the "
            "1-minute load average, at least 1; OMP_NUM_THREADS when set). On a shared machine "
            "1 thread can train faster than 2; the model card's hardware line records it."))] = "auto",
    settings: SetOpt = None,
) -> None:
    """Train a model (reproduces a shipped one by default). Ctrl-C saves; --resume continues.
    Several GPUs: `torchrun --nproc_per_node N $(which hwrender) train MODEL --device cuda`."""
    spec = _trainer(model)
    device = check_device_name(device)
    defaults = dict(spec.defaults)
    if epochs is None and max_steps is None:
        epochs, max_steps = defaults.get("epochs"), defaults.get("max_steps")
    for value, flag in ((epochs, "--epochs"), (max_steps, "--max-steps"), (batch_size, "--batch-size"),
                        (checkpoint_every, "--checkpoint-every")):
        if value is not None and (value <= 0 or not math.isfinite(value)):
            raise UsageError(f"{flag} must be a positive number, got {value}", f"give {flag} a value above 0")
    if sample_every is not None and sample_every < 0:  # was a grid at every step (step % -1 == 0)
        raise UsageError(f"--sample-every must be 0 or more, got {sample_every}",
                         "give the steps between grids, or 0 for one at each epoch's end")
    if data is not None and not data.exists():
        raise UsageError(f"--data {data} does not exist", "give a folder or file that holds the data")
    if finetune is not None:
        _check_finetune(str(finetune))
    n_threads = _threads(threads)

    from ..device import resolve_device
    from ..train.loop import LoopOptions, TrainingInterrupted, auto_threads, train

    if n_threads is None:
        n_threads = auto_threads()

    opts = LoopOptions(
        out=out or Path("runs") / spec.name, device=resolve_device(device), seed=seed,
        batch_size=batch_size or defaults.get("batch_size", 64), epochs=epochs,
        max_steps=max_steps, resume=resume, data=data, finetune=finetune, name=name,
        checkpoint_every=checkpoint_every or defaults.get("checkpoint_every", 500),
        sample_every=defaults.get("sample_every", 0) if sample_every is None else sample_every,
        bf16=bf16, threads=n_threads)
    # under torchrun, rank 0 speaks for the run (the others would repeat each line)
    speaks = os.environ.get("RANK", "0") == "0"
    quiet = bool(ctx.obj and ctx.obj.get("quiet")) or not speaks
    task = spec.build(list(settings or []))
    try:
        summary = train(task, opts, progress=None if not quiet else False,
                        log=(lambda message: None) if quiet else note)
    except NotInstalled as exc:
        raise _install_hint(exc, spec.name) from None
    except TrainingInterrupted as exc:
        # stopping on purpose is no error: say where it stopped and the command that goes on
        again = ["hwrender", "train", spec.name, "-o", str(exc.out or opts.out), "--resume"]
        for flag, value in (("--data", data), ("--batch-size", batch_size), ("--epochs", epochs),
                            ("--max-steps", max_steps), ("--finetune", finetune), ("--name", name),
                            ("--checkpoint-every", checkpoint_every), ("--sample-every", sample_every),
                            ("--device", None if device == "auto" else device)):
            if value is not None and (flag not in ("--epochs", "--max-steps")
                                      or value != defaults.get(flag[2:].replace("-", "_"))):
                again += [flag, str(value)]
        if seed:
            again += ["--seed", str(seed)]
        if threads != "auto":
            again += ["--threads", threads]
        if bf16 is not None:
            again += ["--bf16" if bf16 else "--no-bf16"]
        for item in settings or []:
            again += ["--set", item]
        if speaks:
            typer.echo(f"hwrender: stopped at step {exc.step}; checkpoint saved; continue with "
                       f"`{shlex.join(again)}`", err=True)
        raise typer.Exit(130) from None
    if not speaks:
        return
    note(f"trained {summary.steps} steps in {summary.seconds:.0f} s "
         f"({summary.examples_per_second:.0f} examples/s); model in {summary.model}")
    typer.echo(json.dumps(summary.to_dict(), indent=2))


def _check_finetune(ref: str) -> None:
    """``--finetune`` names a model folder (or a run folder) or a shipped model: checked before
    the data is built (a wrong name failed minutes later, calling it ``--weights``)."""
    from pathlib import Path

    from ..weights import list_models
    from ..weights.store import looks_like_path

    if Path(ref).expanduser().is_dir():
        return
    names = [m.name for m in list_models()]
    if looks_like_path(ref) or ref not in names:
        raise UsageError(f"--finetune {ref}: no such model folder or shipped model",
                         f"give a model folder (e.g. runs/latin/model) or one of: {', '.join(names)}")


def _threads(value: str) -> int | None:
    """``--threads``: a count, or None for auto."""
    if value.strip().lower() == "auto":
        return None
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise UsageError(f"--threads must be a count of 1 or more, or auto, got {value!r}",
                         "e.g. --threads 1 on a machine others share")
    return n


def _install_hint(exc: NotInstalled, model: str) -> NotInstalled:
    """The same error, its hint the one command that installs what ``model`` needs."""
    return NotInstalled(exc.message, f"install what {model} needs with "
                                     f"`hwrender fonts install --model {model}`")


@contextmanager
def _activity(title: str, quiet: bool):
    """Progress for a long command: on a terminal, a spinner, the time spent and the step it is
    at (its log lines stay above); elsewhere the log lines only (``note``)."""
    if quiet or not sys.stderr.isatty():
        yield (lambda message: None) if quiet else note
        return
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
    from rich.table import Column

    progress = Progress(SpinnerColumn(), TextColumn(f"[bold]{title}[/]"), TimeElapsedColumn(),
                        TextColumn("{task.description}", table_column=Column(
                            no_wrap=True, overflow="ellipsis")),
                        console=Console(stderr=True), transient=True)
    with progress:
        task = progress.add_task("starting")

        def log(message: str) -> None:
            progress.console.print(message, markup=False, highlight=False)
            progress.update(task, description=message)

        yield log


@app.command("eval")
def eval_cmd(
    ctx: typer.Context,
    model: EvalModelArg = None,
    weights: Annotated[Optional[Path], typer.Option(
        "--weights", help="Model folder to evaluate (default: the shipped model).")] = None,
    data: Annotated[Optional[Path], typer.Option(
        "--data", help="Evaluation data (default: the held-out set the model family builds).")] = None,
    device: DeviceOpt = "auto",
    settings: SetOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the full report as JSON.")] = False,
    write_card: Annotated[bool, typer.Option(
        "--write-card", help="Put the figures into the model card of --weights.")] = False,
) -> None:
    """Measure a model: legibility, fidelity, diversity and FID, next to their targets.
    `hwrender eval own-hand` plays a writer with held-out fonts (template, photo, extract, fit)."""
    if model == "own-hand":
        from ..device import resolve_device
        from ..styles.evaluate import evaluate, parse_settings

        own = parse_settings([f"device={resolve_device(check_device_name(device))}",
                              *(settings or [])])
        with _activity("own hand", bool(ctx.obj and ctx.obj.get("quiet"))) as log:
            report = evaluate(own, log=log)
        if as_json:
            typer.echo(json.dumps(report, indent=2, ensure_ascii=False))
        else:
            from ..train.card import figure_rows

            print_table(("FIGURE", "VALUE", "TARGET", ""), figure_rows(report, float_format=".4g",
                                                                       marks=("ok", "MISSED")))
        return
    spec = _trainer(model)
    if spec.evaluate is None:
        raise UsageError(f"model {spec.name!r} has no evaluation", "see `hwrender train` for the list")
    device = check_device_name(device)
    if weights is not None and not weights.is_dir():
        raise UsageError(f"--weights {weights} is not a folder", "give a model folder")
    from ..device import resolve_device

    if write_card and (weights is None or spec.card is None):
        raise UsageError("--write-card needs --weights FOLDER (and a model family with a card)",
                         "point --weights at the exported model folder")
    if write_card:  # checked before the evaluation (minutes), not after it
        unwritable = [f for f in (weights, weights / "README.md", weights / "manifest.json", weights / "eval.json")
                      if f.exists() and not os.access(f, os.W_OK)]
        if unwritable:
            from ..errors import OutputError

            raise OutputError(f"--write-card: {unwritable[0]} is not writable",
                              "evaluate a copy of the model folder, or fix its permissions")
    quiet = bool(ctx.obj and ctx.obj.get("quiet"))
    try:
        with _activity(f"evaluating {spec.name}", quiet) as log:
            report = spec.evaluate(weights=weights, data=data, device=resolve_device(device),
                                   options=list(settings or []), log=log)
    except NotInstalled as exc:
        raise _install_hint(exc, spec.name) from None
    if write_card:
        from ..weights import update_card

        update_card(weights, spec.card(weights, report))
        from ..atomic import write_atomic

        write_atomic(weights / "eval.json", json.dumps(report, indent=2, ensure_ascii=False) + "\n")
        note(f"wrote the figures into {weights / 'README.md'}")
    if as_json:
        typer.echo(json.dumps(report, indent=2, ensure_ascii=False))
        return
    from ..train.card import figure_rows

    print_table(("FIGURE", "VALUE", "TARGET", ""),
                figure_rows(report, float_format=".4g", marks=("ok", "MISSED")))

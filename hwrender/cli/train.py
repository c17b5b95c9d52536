"""``hwrender train`` and ``hwrender eval``: reproduce a shipped model, and measure one.

Both find the model family through the plugin registry (``TrainerSpec``), so a third-party plugin
is trained the same way. The run's figures go to stdout as JSON; the progress bar to stderr.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, List, Optional

import typer

from ..device import check_device_name
from ..errors import UsageError
from . import app
from ._console import note, print_table

ModelArg = Annotated[Optional[str], typer.Argument(
    metavar="MODEL", help="Model to train; leave out to list the trainable models.")]
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


@app.command("train")
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
    settings: SetOpt = None,
) -> None:
    """Train a model (reproduces a shipped one by default). Ctrl-C saves; --resume continues."""
    spec = _trainer(model)
    device = check_device_name(device)
    defaults = dict(spec.defaults)
    if epochs is None and max_steps is None:
        epochs, max_steps = defaults.get("epochs"), defaults.get("max_steps")
    for value, flag in ((epochs, "--epochs"), (max_steps, "--max-steps"), (batch_size, "--batch-size"),
                        (checkpoint_every, "--checkpoint-every")):
        if value is not None and value <= 0:
            raise UsageError(f"{flag} must be positive, got {value}", f"give {flag} a value above 0")
    if data is not None and not data.exists():
        raise UsageError(f"--data {data} does not exist", "give a folder or file that holds the data")

    from ..device import resolve_device
    from ..train.loop import LoopOptions, train

    opts = LoopOptions(
        out=out or Path("runs") / spec.name, device=resolve_device(device), seed=seed,
        batch_size=batch_size or defaults.get("batch_size", 64), epochs=epochs,
        max_steps=max_steps, resume=resume, data=data, finetune=finetune, name=name,
        checkpoint_every=checkpoint_every or defaults.get("checkpoint_every", 500),
        sample_every=defaults.get("sample_every", 0) if sample_every is None else sample_every)
    quiet = bool(ctx.obj and ctx.obj.get("quiet"))
    task = spec.build(list(settings or []))
    summary = train(task, opts, progress=None if not quiet else False,
                    log=(lambda message: None) if quiet else note)
    note(f"trained {summary.steps} steps in {summary.seconds:.0f} s "
         f"({summary.examples_per_second:.0f} examples/s); model in {summary.model}")
    typer.echo(json.dumps(summary.to_dict(), indent=2))


@app.command("eval")
def eval_cmd(
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
    """Measure a model: legibility, fidelity, diversity and FID, next to their targets."""
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
    report = spec.evaluate(weights=weights, data=data, device=resolve_device(device),
                           options=list(settings or []), log=note)
    if write_card:
        from ..weights import update_card

        update_card(weights, spec.card(weights, report))
        (weights / "eval.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n",
                                           encoding="utf-8")
        note(f"wrote the figures into {weights / 'README.md'}")
    if as_json:
        typer.echo(json.dumps(report, indent=2, ensure_ascii=False))
        return
    rows = []
    for figure in report.get("figures", []):
        target = figure.get("target") or ""
        passed = figure.get("pass")
        rows.append((figure["name"], f"{figure['value']:.4g}" if isinstance(figure["value"], float)
                     else str(figure["value"]), target,
                     "" if passed is None else ("ok" if passed else "MISSED")))
    print_table(("FIGURE", "VALUE", "TARGET", ""), rows)

"""What a model family gives the training loop: a ``TrainTask`` and its ``TrainerSpec``.

The loop (``hwrender.train.loop``) owns everything generic: seeds, data order, checkpoints,
resume, metrics, sample grids, SIGINT, export. A task owns what is specific: its modules and
optimisers, its data, the losses of one step, what a sample grid shows and how the trained model
is written out. Tasks draw randomness from torch's global generator (the loop saves and restores
it) so that a resumed run continues bit for bit.
"""

from __future__ import annotations

import abc
import dataclasses
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

from ..errors import HwrenderError, UsageError

if TYPE_CHECKING:  # pragma: no cover
    import torch
    from PIL import Image


@dataclass
class RunContext:
    """What the loop tells a task about the run it is part of."""

    out: Path
    device: str
    seed: int
    batch_size: int
    data: Path | None = None
    finetune: str | None = None  # a model folder or store name to start from
    resume: bool = False  # the run continues from its checkpoint (setup's weights are replaced)
    name: str | None = None  # the name the exported model (or style) gets
    log: Callable[[str], None] = field(default=lambda message: None)
    # under torchrun: this process's rank and the number of processes (``batch_size`` is the
    # global batch; each train_step gets this rank's share of it)
    rank: int = 0
    world_size: int = 1


class TrainTask(abc.ABC):
    """One model family's training. Subclasses set ``name``, ``config`` (a dataclass) and
    ``stateful`` (what a checkpoint holds)."""

    name: str
    config: Any
    # settings a ``--resume`` may change to start a new phase (a learning-rate schedule, loss
    # weights); every other setting must match the run's, so a resumed run stays the run it was
    resume_may_change: frozenset[str] = frozenset()
    # the value a setting had in runs from before it existed, where that is not its default today
    # (a setting whose default changed): a checkpoint without the setting is read as this value,
    # so a resume with today's default is a change (allowed, and recorded as a phase, only when
    # ``resume_may_change`` holds it)
    settings_before: Mapping[str, Any] = {}
    # the attributes a checkpoint saves and a resume restores (modules, optimisers, EMA copies,
    # counters), e.g. ("generator", "ema", "optimizer_g", "step_scale"); an instance may set its
    # own in ``setup`` (a fine-tuning mode saves less). The default state_dict() reads it.
    stateful: tuple[str, ...] = ()
    # under torchrun, the modules DistributedDataParallel wraps; None: each ``stateful`` module
    # with a parameter that trains (an EMA copy has none). ``find_unused_parameters``: DDP's
    # setting, for a task whose step leaves some of a wrapped module's parameters without grads
    distributed_modules: tuple[str, ...] | None = None
    find_unused_parameters: bool = False
    # the task's step may run under bf16 autocast on a GPU that has it (``--bf16`` overrides)
    cuda_bf16: bool = False

    def for_run(self, ctx: RunContext) -> "TrainTask":
        """The task that trains this run: ``self``, or another task with the same settings when
        the run asks for a different kind of training (``--finetune``). The loop calls it once,
        before ``setup``; a task's settings (``--set``) are parsed before the run is known."""
        return self

    @abc.abstractmethod
    def setup(self, ctx: RunContext) -> None:
        """Build data, modules and optimisers on ``ctx.device``; may load ``ctx.finetune``."""

    @abc.abstractmethod
    def num_examples(self) -> int:
        """Training examples in one epoch."""

    def batches(self, epoch: int, generator: "torch.Generator", batch_size: int) -> list["torch.Tensor"]:
        """The example indices of each batch of ``epoch``: a shuffle, last partial batch dropped.

        ``generator`` is seeded from the run's seed and the epoch, so the order is the same when
        a run resumes mid-epoch. Override to bucket examples (e.g. words by width).
        """
        import torch

        n = self.num_examples()
        perm = torch.randperm(n, generator=generator)
        full = max(1, n // batch_size) if n >= batch_size else 1
        return [perm[i * batch_size:(i + 1) * batch_size] for i in range(full)]

    @abc.abstractmethod
    def train_step(self, batch: "torch.Tensor", step: int) -> dict[str, float]:
        """One optimisation step on the examples ``batch``; returns named scalar losses/metrics."""

    def state_dict(self) -> dict[str, Any]:
        """Everything a resume needs: module and optimiser states, EMA copies, counters.

        By default, one entry per attribute named in ``stateful``: what has a ``state_dict()``
        (modules, optimisers, schedulers) gives that, a tensor a detached copy, anything else
        (a counter, a float) itself. Override for anything else.
        """
        names = self._stateful()
        import torch

        state: dict[str, Any] = {}
        for name in names:
            value = getattr(self, name)
            if hasattr(value, "state_dict"):
                value = value.state_dict()
            elif isinstance(value, torch.Tensor):
                value = value.detach().clone()
            state[name] = value
        return state

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what ``state_dict`` returned (by default the ``stateful`` attributes, strictly:
        a checkpoint with a missing or an extra entry is an error, not a half-restored run).

        Tensors are copied into the attribute's tensor, so an optimiser holding it keeps working.
        """
        names = self._stateful()
        missing = [n for n in names if n not in state]
        extra = sorted(set(state) - set(names))
        if missing or extra:
            problems = ([f"lacks {', '.join(missing)}"] if missing else []) + \
                       ([f"has unexpected {', '.join(extra)}"] if extra else [])
            raise HwrenderError(f"the checkpoint's {self.name} state {' and '.join(problems)}",
                                "it was saved by another version or mode of this model; "
                                "start a new run (another --out)")
        import torch

        for name in names:
            target = getattr(self, name)
            if hasattr(target, "load_state_dict"):
                target.load_state_dict(state[name])
            elif isinstance(target, torch.Tensor):
                with torch.no_grad():
                    target.copy_(state[name])
            else:
                setattr(self, name, state[name])

    def _stateful(self) -> tuple[str, ...]:
        names = tuple(self.stateful)
        if not names:
            raise NotImplementedError(f"{type(self).__name__} must list its state in `stateful` "
                                      "or override state_dict() and load_state_dict()")
        return names

    def sample_grid(self, step: int) -> "Image.Image | None":
        """An image showing what the model makes now (fixed inputs, so grids compare over time)."""
        return None

    @abc.abstractmethod
    def export(self, folder: Path, summary: Mapping[str, Any]) -> None:
        """Write the trained model (safetensors + config + card) into ``folder``.

        ``summary`` holds the run's figures: steps, epochs, examples, seconds, device, hardware.
        """

    def config_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self.config)


@dataclass(frozen=True)
class TrainerSpec:
    """A trainable model family, registered through the same entry-point hook as generators.

    - ``build(options)`` returns a ``TrainTask`` for the ``--set key=value`` options given.
    - ``evaluate(weights, data, device, options)`` returns a report dict (figures and their
      targets) for ``hwrender eval``; ``None`` when the family has no evaluation.
    - ``card(folder, report)`` returns the model card text for an exported model and its
      evaluation report (``hwrender eval --write-card``).
    - ``defaults``: loop settings the family prefers (``batch_size``, ``epochs``, ``max_steps``,
      ``checkpoint_every``, ``sample_every``) when the user gives none.
    - ``fonts``: the scripts whose corpus handwriting fonts (``hwrender.fonts``) it trains and
      evaluates on; ``packages``: other Debian packages it reads, each with a file it installs
      (how ``hwrender fonts install --model NAME`` knows what to install and what is there).

    ``build``, ``evaluate`` and ``card`` may be ``"package.module:attr"`` strings, imported on
    their first call (``hwrender.registry.Ref``).
    """

    name: str
    description: str
    build: Callable[[list[str]], TrainTask] | str
    evaluate: Callable[..., dict[str, Any]] | str | None = None
    card: Callable[[Path, dict[str, Any]], str] | str | None = None
    defaults: Mapping[str, Any] = field(default_factory=dict)
    fonts: tuple[str, ...] = ()
    packages: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from ..registry import lazy  # torch-free

        for name in ("build", "evaluate", "card"):
            object.__setattr__(self, name, lazy(getattr(self, name)))


def settings_help(config: Any) -> list[tuple[str, str, str]]:
    """(key, default as --set takes it, one-line meaning) of every field of the dataclass ``config``.

    The meaning is the class's ``HELP[key]`` where it has one, else the field's comment in its
    class's source (on its line, else the first sentence of the block above it).
    """
    comments = {**_field_comments(type(config)), **getattr(type(config), "HELP", {})}
    return [(f.name, json.dumps(getattr(config, f.name), ensure_ascii=False),
             comments.get(f.name, "")) for f in dataclasses.fields(config)]


def _field_comments(cls: type) -> dict[str, str]:
    import inspect

    try:
        source = inspect.getsource(cls)
    except (OSError, TypeError):  # no source installed: the table shows keys and defaults only
        return {}
    found: dict[str, str] = {}
    block: list[str] = []
    for line in source.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            block.append(stripped.lstrip("#").strip())
            continue
        field_line = re.match(r"    (\w+)\s*:[^=]*=", line)
        if field_line:
            trailing = _trailing_comment(line)
            if trailing or block:
                found[field_line[1]] = _first_sentence(trailing or " ".join(block))
        block = []
    return found


def _trailing_comment(line: str) -> str:
    import io
    import tokenize

    try:
        for tok in tokenize.generate_tokens(io.StringIO(line.strip() + "\n").readline):
            if tok.type == tokenize.COMMENT:
                return tok.string.lstrip("#").strip()
    except (tokenize.TokenError, SyntaxError):  # a line that opens a bracket closed further down
        head, sep, tail = line.partition("  # ")
        return tail.strip() if sep else ""
    return ""


def _first_sentence(text: str, limit: int = 90) -> str:
    """Up to the first '.', ':' or ';' outside brackets, cut to ``limit`` characters."""
    depth = 0
    for i, ch in enumerate(text):
        depth += ch in "([{"
        depth -= ch in ")]}"
        if depth == 0 and ch in ".:;" and (i + 1 == len(text) or text[i + 1] == " "):
            text = text[:i]
            break
    text = text.replace("``", "")
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def apply_overrides(config: Any, overrides: list[str] | tuple[str, ...]) -> Any:
    """A copy of the dataclass ``config`` with ``key=value`` strings applied, typed by its fields.

    Values are parsed as JSON when they can be (numbers, true/false, lists) and taken as strings
    otherwise; a value's type must fit its field. Unknown keys are a UsageError listing the known.
    """
    fields = {f.name: f for f in dataclasses.fields(config)}
    changes: dict[str, Any] = {}
    for item in overrides:
        key, sep, raw = item.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key:
            raise UsageError(f"bad --set {item!r}", "use --set KEY=VALUE")
        if key not in fields:
            raise UsageError(f"unknown setting {key!r} for {type(config).__name__}",
                             f"known: {', '.join(sorted(fields))}")
        current = getattr(config, key)
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        if isinstance(current, bool):
            if isinstance(value, str) and value.lower() in ("yes", "no", "on", "off"):
                value = value.lower() in ("yes", "on")
            ok = isinstance(value, bool)
        elif isinstance(current, float):
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
            value = float(value) if ok else value
        elif isinstance(current, int):
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif isinstance(current, (list, tuple)):
            ok = isinstance(value, list)
            value = type(current)(value) if ok else value
        elif isinstance(current, str):
            value, ok = str(raw), True
        else:
            ok = True
        if not ok:
            raise UsageError(f"--set {key}={raw}: expected {type(current).__name__}",
                             f"the default is {json.dumps(current)}")
        if isinstance(value, float) and not math.isfinite(value):
            raise UsageError(f"--set {key}={raw}: expected a finite number",
                             f"the default is {json.dumps(current)}")
        if isinstance(current, (int, float)) and not isinstance(current, bool) and current >= 0 \
                and value < 0:  # sizes, rates, weights, counts: none of them is negative
            raise UsageError(f"--set {key}={raw}: expected 0 or more", f"the default is {json.dumps(current)}")
        changes[key] = value
    return dataclasses.replace(config, **changes)


def check_ranges(config: Any, ranges: dict[str, tuple[float | None, float | None, str]]) -> None:
    """UsageError for the first setting out of its range: ``ranges`` maps a setting to (lowest,
    highest, kind): kind "[]" includes both ends, "(]" excludes the lowest, "[)" the highest,
    "()" both; ``None`` leaves that end open. Checked when the task is built, before any data is
    made (a value a run cannot use must not fail hours later, at export)."""
    for key, (lo, hi, kind) in ranges.items():
        value = getattr(config, key)
        below = lo is not None and (value <= lo if kind[0] == "(" else value < lo)
        above = hi is not None and (value >= hi if kind[1] == ")" else value > hi)
        if below or above:
            default = getattr(type(config)(), key) if dataclasses.is_dataclass(config) else None
            if hi is None:
                span = f"{'more than' if kind[0] == '(' else 'at least'} {lo}"
            elif lo is None:
                span = f"{'less than' if kind[1] == ')' else 'at most'} {hi}"
            else:
                span = f"a value in {kind[0]}{lo}, {hi}{kind[1]}"
            raise UsageError(f"--set {key}={value}: expected {span}",
                             f"the default is {json.dumps(default)}")

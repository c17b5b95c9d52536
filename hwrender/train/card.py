"""The parts of a model card every family writes the same way: the evaluation figures (a markdown
table, or rows for a terminal table), the settings that differ from the defaults, the phases of a
run and the command lines that reproduce it. Torch-free: a card is text from config.json.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

OK_MISSED = ("ok", "missed")


def figure_row(figure: Mapping[str, Any], *, float_format: str = "",
               marks: Sequence[str] = OK_MISSED) -> tuple[str, str, str, str]:
    """(name, value, target, verdict) of one report figure, as text.

    ``float_format`` (e.g. ``".4g"``) formats float values; other values are shown as ``str``.
    ``marks`` are the verdicts for a met and a missed target; a figure without a target
    (``pass`` None) gets none.
    """
    value = figure.get("value")
    shown = format(value, float_format) if float_format and isinstance(value, float) else str(value)
    passed = figure.get("pass")
    verdict = "" if passed is None else (marks[0] if passed else marks[1])
    return str(figure.get("name")), shown, str(figure.get("target") or ""), verdict


def figure_rows(report: Mapping[str, Any], *, float_format: str = "",
                marks: Sequence[str] = OK_MISSED) -> list[tuple[str, str, str, str]]:
    """:func:`figure_row` of every figure of an evaluation report, in order."""
    return [figure_row(f, float_format=float_format, marks=marks)
            for f in report.get("figures", [])]


def figures_table(report: Mapping[str, Any], *, verdict: str = "", float_format: str = "",
                  marks: Sequence[str] = OK_MISSED, spaced_rule: bool = False) -> list[str]:
    """The markdown lines of a report's figures table: figure | value | target | ``verdict``.

    ``spaced_rule`` writes the rule row as ``| --- |`` rather than ``|---|``. The cards shipped
    so far differ only in these options, and their checksums pin them:

    - latin: ``verdict="met", float_format=".4g", marks=("yes", "**no**")``
    - emnist: the defaults
    - glyph styler: ``spaced_rule=True``
    """
    rule = "| --- | --- | --- | --- |" if spaced_rule else "|---|---|---|---|"
    header = f"| figure | value | target | {verdict} |" if verdict else "| figure | value | target | |"
    lines = [header, rule]
    lines += [f"| {name} | {value} | {target} | {mark} |"
              for name, value, target, mark in figure_rows(report, float_format=float_format,
                                                          marks=marks)]
    return lines


def defaults_of(config: Any) -> dict[str, Any]:
    """A dataclass's (or instance's) settings as a dict: an instance's values, or the values a
    class's instance gets by default; a mapping is returned as a dict."""
    if isinstance(config, Mapping):
        return dict(config)
    if isinstance(config, type):
        config = config()
    return {f.name: getattr(config, f.name) for f in dataclasses.fields(config)}


def changed_settings(settings: Mapping[str, Any], defaults: Any, *,
                     template: str = "`{key}={value}`", skip: Iterable[str] = (),
                     none: str = "none") -> str:
    """The ``settings`` that differ from ``defaults`` (a mapping or a config dataclass), in their
    order, each as ``template`` gives it (``{key}``, ``{value}``), joined by ", "; ``none`` when
    none differ. Keys the defaults lack and keys in ``skip`` are left out.

    >>> changed_settings({"lr": 0.1, "steps": 5}, {"lr": 0.1, "steps": 9})
    '`steps=5`'
    """
    base, skipped = defaults_of(defaults), set(skip)
    changed = [template.format(key=k, value=_as_set(v)) for k, v in settings.items()
               if k in base and base[k] != v and k not in skipped]
    return ", ".join(changed) or none


def _as_set(value: Any) -> Any:
    """A setting's value as ``--set`` takes it back (``true``, not Python's ``True``)."""
    return str(value).lower() if isinstance(value, bool) else value


@dataclass(frozen=True)
class Phase:
    """One phase of a training run: from step ``start`` to step ``end`` with ``settings``.

    A run gets a new phase at each ``--resume`` that changed settings; ``changes`` holds
    ``{key: (was, now)}`` against the phase before (empty for the first).
    """

    start: int
    end: Any
    settings: dict[str, Any]
    changes: dict[str, tuple[Any, Any]]

    def changes_text(self) -> str:
        """``key was -> now`` of each change, joined by ", "."""
        return ", ".join(f"{k} {was} -> {now}" for k, (was, now) in self.changes.items())


def run_phases(train: Mapping[str, Any], run: Mapping[str, Any]) -> list[Phase]:
    """The phases of a run from an exported config's ``train`` (the settings at the end) and
    ``run`` (the loop's summary: ``steps`` and ``phases``, see ``RunSummary``)."""
    phases = list(run.get("phases") or [])
    first = dict(train)
    for phase in reversed(phases):
        first.update(phase.get("was", {}))
    ends = [p["step"] for p in phases] + [run.get("steps")]
    out = [Phase(0, ends[0], first, {})]
    settings = first
    for phase, end in zip(phases, ends[1:]):
        settings = {**settings, **phase["set"]}
        out.append(Phase(phase["step"], end, settings,
                         {k: (phase.get("was", {}).get(k), v) for k, v in phase["set"].items()}))
    return out


def train_command(model: str, *flags: str, **options: Any) -> str:
    """``hwrender train MODEL`` with ``flags`` (``"--resume"``) and ``--option value`` pairs
    (underscores become dashes), as a card's reproduce line shows it.

    >>> train_command("emnist", "--resume", max_steps=500)
    'hwrender train emnist --resume --max-steps 500'
    """
    words = ["hwrender", "train", model, *flags]
    for key, value in options.items():
        words += [f"--{key.replace('_', '-')}", str(value)]
    return " ".join(words)

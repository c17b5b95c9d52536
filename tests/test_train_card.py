"""hwrender.train.card: the one figures table, changed settings and run phases of model cards.

Each family's card must come out byte for byte as before (cards are checksummed), so the table
of every family's card is compared with ``figures_table`` under that family's options, for the
shipped model's own evaluation report and for a report with every kind of figure.
"""

import json
from pathlib import Path

import pytest

from hwrender.train.card import (changed_settings, figure_rows, figures_table, run_phases,
                                 train_command)

WEIGHTS = Path(__file__).resolve().parents[1] / "weights"
# every kind of figure: float, int and string values; met, missed and no target
MIXED = {"figures": [
    {"name": "CER", "value": 0.0123456, "target": "<= 0.05", "pass": True},
    {"name": "FID", "value": 12.5, "target": "reference", "pass": None},
    {"name": "accuracy (%)", "value": 97, "target": ">= 95", "pass": False},
    {"name": "note", "value": "n/a", "target": "", "pass": None},
], "notes": [], "samples_per_class": 3, "real_test_characters": 9}
STYLES = {
    "latin": dict(verdict="met", float_format=".4g", marks=("yes", "**no**")),
    "emnist": dict(),
    "glyph-styler": dict(spaced_rule=True),
}


def _card(family: str, config: dict, report: dict) -> str:
    if family == "latin":
        from hwrender_plugins.latin.card import model_card
    elif family == "emnist":
        from hwrender_plugins.emnist.card import model_card
    else:
        from hwrender_plugins.glyph_styler.card import model_card
    return model_card(config, report)


def _table(card: str) -> list[str]:
    """The first markdown table after the card's Evaluation heading."""
    lines = card.split("## Evaluation", 1)[1].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| figure"))
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith("|")), len(lines))
    return lines[start:end]


@pytest.mark.parametrize("family", sorted(STYLES))
@pytest.mark.parametrize("which", ["shipped", "mixed"])
def test_figures_table_is_each_familys_card_table(family, which):
    config = json.loads((WEIGHTS / family / "config.json").read_text(encoding="utf-8"))
    report = json.loads((WEIGHTS / family / "eval.json").read_text(encoding="utf-8")) \
        if which == "shipped" else MIXED
    table = figures_table(report, **STYLES[family])
    assert len(table) == 2 + len(report["figures"])
    assert _table(_card(family, config, report)) == table


def test_figure_rows_for_a_terminal():
    rows = figure_rows(MIXED, float_format=".4g", marks=("ok", "MISSED"))
    assert rows[0] == ("CER", "0.01235", "<= 0.05", "ok")
    assert rows[1][3] == "" and rows[2] == ("accuracy (%)", "97", ">= 95", "MISSED")
    assert figure_rows({"figures": [{"name": "x", "value": 1.5, "target": None}]}) == \
        [("x", "1.5", "", "")]


def test_changed_settings_against_a_dataclass_or_a_mapping():
    from dataclasses import dataclass, field

    @dataclass
    class Config:
        lr: float = 0.1
        steps: int = 9
        scripts: list = field(default_factory=lambda: ["Hang", "Hani"])

    assert changed_settings({"lr": 0.1, "steps": 5, "unknown": 1}, Config) == "`steps=5`"
    assert changed_settings({"scripts": ["Hang", "Hani"]}, Config()) == "none"  # factory defaults
    assert changed_settings({"lr": 0.2, "scripts": ["Hang"]}, {"lr": 0.1, "scripts": []},
                            template="`--set {key}={value}`", skip={"scripts"}) == "`--set lr=0.2`"


def test_run_phases_undo_the_later_changes_for_the_first_phase():
    train = {"lr": 0.01, "l1": 50, "seed": 0}
    run = {"steps": 900, "phases": [{"step": 300, "set": {"lr": 0.05}, "was": {"lr": 0.1}},
                                    {"step": 600, "set": {"lr": 0.01, "l1": 50},
                                     "was": {"lr": 0.05, "l1": 100}}]}
    first, second, third = run_phases(train, run)
    assert (first.start, first.end, first.settings) == (0, 300, {"lr": 0.1, "l1": 100, "seed": 0})
    assert (second.start, second.end, second.settings["lr"]) == (300, 600, 0.05)
    assert third.settings == train and third.end == 900
    assert third.changes_text() == "lr 0.05 -> 0.01, l1 100 -> 50"
    assert run_phases(train, {"steps": 5}) == [type(first)(0, 5, train, {})]
    assert train_command("cjk", "--resume", max_steps=600) == \
        "hwrender train cjk --resume --max-steps 600"


def test_changed_settings_write_values_as_set_takes_them_back():
    """A bool setting prints as ``--set`` parses it (``false``, not ``False``), and a glyph-styler
    run from before ``cpu_bf16`` (no key in its "train") reproduces as the fp32 run it was."""
    from hwrender_plugins.glyph_styler.card import _changed
    from hwrender_plugins.glyph_styler.task import build_task

    assert changed_settings({"on": True, "off": False}, {"on": False, "off": True}) == \
        "`on=true`, `off=false`"
    text = _changed({"lr": 0.001})
    assert "`--set cpu_bf16=false`" in text
    options = [part.strip("` ").removeprefix("--set ") for part in text.split(",")]
    config = build_task(options).config
    assert config.cpu_bf16 is False
    assert "cpu_bf16" not in _changed({"lr": 0.001, "cpu_bf16": True})  # today's default

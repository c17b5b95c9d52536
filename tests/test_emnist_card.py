"""The emnist family's registration and model card: lazy specs, and the shipped card rebuilt exactly."""

from __future__ import annotations

import json
from pathlib import Path

from hwrender.registry import Ref

WEIGHTS = Path(__file__).resolve().parents[1] / "weights" / "emnist"


def _specs():
    from hwrender_plugins import emnist

    specs = []
    emnist.register(specs.append)
    return {type(s).__name__: s for s in specs}


def test_registering_names_the_callables_lazily():
    specs = _specs()
    gen, trainer = specs["GeneratorSpec"], specs["TrainerSpec"]
    from hwrender_plugins.emnist.card import card_for
    from hwrender_plugins.emnist.evaluate import evaluate
    from hwrender_plugins.emnist.generator import EmnistGenerator
    from hwrender_plugins.emnist.task import build_task

    for ref, target in ((gen.factory, EmnistGenerator), (trainer.build, build_task),
                        (trainer.evaluate, evaluate), (trainer.card, card_for)):
        assert isinstance(ref, Ref) and ref.resolve() is target


def test_card_for_rebuilds_the_shipped_card_byte_for_byte():
    """weights/emnist/README.md is checksummed by its manifest: the card code must still write it."""
    from hwrender_plugins.emnist.card import card_for

    report = json.loads((WEIGHTS / "eval.json").read_text(encoding="utf-8"))
    assert card_for(WEIGHTS, report) == (WEIGHTS / "README.md").read_text(encoding="utf-8")


def test_a_font_the_corpus_no_longer_lists_has_an_unknown_licence():
    from hwrender_plugins.emnist.card import model_card

    config = json.loads((WEIGHTS / "config.json").read_text(encoding="utf-8"))
    config["data"] = {"generator": "x", "splits": {"train": {"images": 3, "fonts": [
        {"id": "no-such-font", "images": 3}]}}}
    assert "| no-such-font | 3 | ? |" in model_card(config).splitlines()

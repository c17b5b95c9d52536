"""An untrained tiny latin model, exported as ``hwrender train latin`` exports one (generator,
recognizer, config, manifest): what the Latin tests that need real weights write for themselves."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import torch


def save_tiny_latin(folder: Path, recognizer: bool = True) -> Path:
    """Write the tiny model into ``folder`` (a model folder named ``latin``) and return it."""
    from hwrender_plugins.latin import words as W
    from hwrender_plugins.latin.config import LatinConfig
    from hwrender_plugins.latin.model import Recognizer, WordGenerator
    from hwrender_plugins.latin.task import net_config

    from hwrender.weights import save_model

    torch.manual_seed(0)
    cfg = net_config(LatinConfig(variant="tiny"), len(W.CHARSET) + 1)
    state = {f"generator.{k}": v for k, v in WordGenerator(cfg).state_dict().items()}
    if recognizer:
        state.update({f"recognizer.{k}": v for k, v in Recognizer(cfg).state_dict().items()})
    config = {"model": "latin", "charset": W.CHARSET, "net": dataclasses.asdict(cfg),
              "width_ratio": 0.6, "ink_curve": [0.0, 0.3, 0.6, 1.0]}
    save_model(folder, state, config, "tiny latin model for tests\n", name="latin")
    return folder

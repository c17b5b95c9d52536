"""EMNIST-style characters: an AC-GAN with the auto-encoder variant over the EMNIST classes.

``model`` holds the networks, ``task`` the training step, ``generator`` the adapter that writes
text with it, ``data``/``synth``/``dataset`` the real and font-built EMNIST sets, ``evaluate``
the judge, ``card`` the model card. Registering imports none of them (no torch until the
generator is used).
"""

from __future__ import annotations

import string

MODEL_NAME = "emnist"
CHARSET = string.digits + string.ascii_uppercase + string.ascii_lowercase


def default_style() -> str:
    """The hand written without --style: a number, as --style takes it (no torch)."""
    import json

    from hwrender.weights import local_folder

    folder = local_folder(MODEL_NAME)
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8")) if folder else {}
    except (OSError, ValueError):
        config = {}
    return str(config.get("default_style_seed", 7))  # 7: generator.DEFAULT_STYLE_SEED (torch)


def register(register) -> None:
    """The ``hwrender.generators`` entry-point hook."""
    from hwrender.registry import GeneratorSpec
    from hwrender.train import TrainerSpec

    here = __name__
    register(GeneratorSpec(
        name=MODEL_NAME,
        scripts=("Latn", "Zyyy"),
        unit="char",
        factory=f"{here}.generator:EmnistGenerator",
        charset=CHARSET,
        priority=10,
        description="EMNIST-style characters, one by one (AC-GAN + auto-encoder); "
                    "use with --generator Latn=emnist",
        weights=MODEL_NAME,
        auto=False,
        style_kinds={"seed", "user"},  # numbered hands only; no named styles
        fitter=f"{here}.fit:fit",
        default_style=default_style,
    ))
    register(TrainerSpec(
        name=MODEL_NAME,
        description="EMNIST AC-GAN (auto-encoder variant), 62 or 47 classes; "
                    "data: real EMNIST (--data) or built from the Latin handwriting fonts",
        build=f"{here}.task:build_task",
        evaluate=f"{here}.evaluate:evaluate",
        card=f"{here}.card:card_for",
        defaults={"batch_size": 128, "epochs": 4, "checkpoint_every": 500},
        fonts=("Latn",),
    ))

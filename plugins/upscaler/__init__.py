"""The ink upscaler's training (``hwrender train ink-upscaler``).

The network and its use live in the core (``hwrender.render.upscale``): vector ink of every
generator goes through it. This package holds what only training needs: the pairs of word
renders it learns from (``data``), the training step and export (``task``) and the model card
(``card``). Registering imports none of them.
"""

from __future__ import annotations

MODEL_NAME = "ink-upscaler"


def register(register) -> None:
    """The ``hwrender.generators`` entry-point hook: a trainer only (no generator)."""
    from hwrender.train import TrainerSpec

    from ..latin import DICT_DIR, WORD_LISTS

    here = __name__
    register(TrainerSpec(
        name=MODEL_NAME,
        description="ink upscaler for vector ink: a word's soft 1x alpha -> a sharp 2x one; data: "
                    "words rendered from the Latin handwriting fonts (or the fonts in --data DIR)",
        build=f"{here}.task:build_task",
        card=f"{here}.card:card_for",
        defaults={"batch_size": 32, "max_steps": 3000, "checkpoint_every": 500,
                  "sample_every": 500},
        fonts=("Latn",),
        packages={package: f"{DICT_DIR}/{name}" for package, name in WORD_LISTS.items()},
    ))

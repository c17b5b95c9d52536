"""The glyph styler: Hangul and Han written by a zi2zi-style U-Net that redraws a plain Gothic
glyph in a learned handwriting style (after kaonashi-tyc/zi2zi and jeina7/Handwriting_styler).

**One network for both scripts.** Its style categories are the handwriting fonts of both scripts
(14 Hangul, 10 Chinese in the corpus); Hangul and Han are drawn with the same brush strokes (dots,
ticks, hooks, the same pen on the same square em box), so one encoder-decoder learns that stroke
knowledge from twice the data, and one training run (~an hour of CPU) serves both instead of two
half-trained models. It is exposed as two generators, ``hangul`` (Hang: the 11,172 syllables and
the jamo) and ``cjk`` (Hani: the 6,763 GB 2312 ideographs and CJK punctuation; not Kana, which no
training font here has), sharing the loaded network, so that each script has its own default and
named styles: ``--style zcool-kuaile`` restyles the Han of a mixed text and leaves its Hangul in
the Hangul default. Any style vector can draw any character, which ``hwrender interpolate`` uses.

Registering is cheap: no torch, no weights. The generators are part of the default plan (and,
with priority 50, win over the ``font`` fallback for Hang and Hani) only when the trained weights
are present locally (bundled or in the Hugging Face cache: a cheap manifest and size check);
otherwise ``hwrender generators`` says how to get them, and naming one (``--generator
Hang=hangul``) fails with a one-line hint. A fresh clone without weights writes as before.

Modules: ``model`` (the networks), ``data`` (character sets, glyph frames, pairs), ``styler`` (the
loaded model: styles, source glyphs, ink images), ``generator`` (the adapter and its factories),
``config`` (the training settings), ``task`` (pre-training), ``finetune`` (adding a style),
``base`` (what those two share), ``card`` (the model card), ``evaluate`` (``hwrender eval
glyph-styler``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

SOURCE_FONT = Path(__file__).resolve().parent / "fonts" / "NotoSansCJKsc-Regular-subset.otf"
SOURCE_LICENSE = "OFL-1.1"
WEIGHTS_NAME = "glyph-styler"
TRAINER_NAME = "glyph-styler"
PRIORITY = 50  # above the font fallback (-100): the default for Hang and Hani once weights exist
GENERATORS = {"hangul": "Hang", "cjk": "Hani"}


def _local_model_folder() -> Path | None:
    """The folder of the shipped model when it is on this machine (bundled or cached), else None."""
    from hwrender.weights import local_folder

    return local_folder(WEIGHTS_NAME)


@lru_cache(maxsize=1)
def _local_config() -> dict | None:
    folder = _local_model_folder()
    if folder is None:
        return None
    try:
        import json

        return json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def styles(script: str, config: dict | None = None) -> tuple[str, ...]:
    """The named styles of ``script`` in a model's config (default: the shipped model; empty
    until its weights are here)."""
    config = _local_config() if config is None else config
    if not config:
        return ()
    withheld = config.get("withheld", {})
    return tuple(s for s, sc in zip(config.get("styles", ()), config.get("style_scripts", ()))
                 if sc in (script, "*") and s not in withheld)


def default_style(script: str) -> str | None:
    """The style written without --style (as ``styler.style_vector`` picks it), for listings."""
    names = styles(script)
    return (_local_config() or {}).get("default_styles", {}).get(script) or \
        (names[0] if names else None)


@lru_cache(maxsize=None)
def charset(script: str) -> frozenset[str]:
    """What the styler writes for ``script``: the served set the bundled source font covers."""
    from .data import font_cmap, served

    if not SOURCE_FONT.is_file():
        return frozenset()
    cmap = font_cmap(SOURCE_FONT)
    return frozenset(c for c in served(script) if c in cmap)


def status() -> str:
    from hwrender import weights as store

    if not SOURCE_FONT.is_file():
        return f"broken: the source font {SOURCE_FONT.name} is missing (reinstall hwrender)"
    state = store.model_status(WEIGHTS_NAME)
    if state == "unknown model":
        return (f"not trained yet: no {WEIGHTS_NAME!r} weights (train with `hwrender train "
                f"{TRAINER_NAME}`, then use --weights RUN/model)")
    if state.startswith("not downloaded"):
        return f"{state}; until then the fallback writes Hangul and Han"
    return state


def register(register) -> None:
    """The ``hwrender.generators`` entry-point hook: metadata only, the callables are
    ``"module:attr"`` strings imported on first use."""
    from hwrender.registry import GeneratorSpec
    from hwrender.train import TrainerSpec

    ready = _local_model_folder() is not None
    for name, script in GENERATORS.items():
        what = "Hangul" if script == "Hang" else "Han (Chinese)"
        register(GeneratorSpec(
            name=name,
            scripts=(script,),
            unit="glyph",
            factory=f"{__name__}.generator:{name}",  # generator.hangul / generator.cjk
            charset=lambda script=script: charset(script),
            priority=PRIORITY,
            styles=styles(script),
            config_styles=lambda config, script=script: styles(script, config),
            # a number is a seeded blend of the script's styles (styler.style_vector)
            style_kinds={"seed", "name", "blend", "user"},
            fitter=f"{__name__}.fit:fit",  # one fitter for the model both generators share
            default_style=lambda script=script: default_style(script),
            description=f"{what} glyphs restyled by the U-Net glyph styler (zi2zi), one network "
                        "for Hangul and Han",
            weights=WEIGHTS_NAME,
            auto=ready,
            status=status,
        ))
    defaults = {"batch_size": 64, "epochs": 5, "checkpoint_every": 500, "sample_every": 1000}
    # each trainer measures the scripts the model at --weights was trained on
    common = dict(evaluate=f"{__name__}.evaluate:evaluate", card=f"{__name__}.card:card_for",
                  defaults=defaults)
    register(TrainerSpec(
        name=TRAINER_NAME,
        description="U-Net glyph styler for Hangul and Han (zi2zi): pairs from the font corpus, "
                    "--finetune FROM --data GLYPHS adds a style",
        build=f"{__name__}.task:build_task",
        fonts=tuple(GENERATORS.values()),
        **common,
    ))
    # `hwrender train hangul` / `cjk`: the same network on one script's fonts; its model loads
    # as the `hangul` / `cjk` generator with --weights RUN/model
    for name, script in GENERATORS.items():
        what = "Hangul" if script == "Hang" else "Han (Chinese)"
        register(TrainerSpec(
            name=name,
            description=f"the glyph styler trained on the {what} fonts only "
                        f"(= glyph-styler --set scripts=[\"{script}\"])",
            build=f"{__name__}.task:build_{name}_task",  # build_hangul_task / build_cjk_task
            fonts=(script,),
            **common,
        ))

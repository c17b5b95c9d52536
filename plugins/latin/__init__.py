"""Latin handwriting: a word GAN conditioned on the text by a BiLSTM, with a CTC recognizer.

``model`` holds the networks, ``task`` the two training phases, ``generator`` the adapter that
writes words, ``words``/``corpus``/``iam`` the data (word images rendered from the Latin
handwriting fonts, or IAM-format data), ``evaluate`` ``hwrender eval latin``, ``card`` the model
card. Registering imports none of them (no torch until the generator is used).

The ``latin`` generator joins the default plan for Latin (and, with the script-neutral digits and
punctuation, ``Zyyy``) only when its trained weights are on this machine; until then the font
fallback writes Latin and ``hwrender generators`` says how to get them.
"""

from __future__ import annotations

from functools import lru_cache

MODEL_NAME = "latin"
PRIORITY = 50  # above the font fallback (-100) and the emnist generator (10)
# The Debian word lists the training vocabulary comes from: package → the list it installs
# (``hwrender fonts install --model latin`` installs them; ``corpus`` reads them)
WORD_LISTS = {"wamerican": "american-english", "wbritish": "british-english", "wfrench": "french",
              "wngerman": "ngerman", "wspanish": "spanish", "witalian": "italian",
              "wportuguese": "portuguese", "wpolish": "polish"}
DICT_DIR = "/usr/share/dict"


@lru_cache(maxsize=1)
def charset() -> str:
    from .words import CHARSET

    return CHARSET


def style_names() -> tuple[str, ...]:
    """The named styles of the weights on this machine (their config.json; no torch)."""
    import json

    from hwrender.weights import local_folder

    folder = local_folder(MODEL_NAME)
    if folder is None:
        return ()
    try:
        styles = json.loads((folder / "config.json").read_text(encoding="utf-8")).get("styles")
    except (OSError, ValueError):
        return ()
    return tuple(styles) if isinstance(styles, dict) else ()


def default_style() -> str:
    """The hand written without --style: a number, as --style takes it (no torch)."""
    import json

    from hwrender.weights import local_folder

    folder = local_folder(MODEL_NAME)
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8")) if folder else {}
    except (OSError, ValueError):
        config = {}
    return str(config.get("default_style_seed", 0))  # 0: generator.DEFAULT_STYLE_SEED (torch)


def status() -> str:
    from hwrender import weights as store

    state = store.model_status(MODEL_NAME)
    if state == "unknown model":
        return ("not trained yet: no 'latin' weights (train with `hwrender train latin`, then "
                "use --weights RUN/model)")
    return state


def _build(weights_dir=None, offline=None):
    from .generator import LatinGenerator

    return LatinGenerator(weights_dir=weights_dir, offline=offline)


def _task(options):
    from .task import build_task

    return build_task(options)


def _evaluate(**kwargs):
    from .evaluate import evaluate

    return evaluate(**kwargs)


def _card(folder, report):
    from hwrender.weights import load_config

    from .card import model_card

    return model_card(load_config(folder), report)


def register(register) -> None:
    """The ``hwrender.generators`` entry-point hook."""
    from hwrender.registry import GeneratorSpec
    from hwrender.train import TrainerSpec
    from hwrender.weights import local_folder

    register(GeneratorSpec(
        name="latin",
        scripts=("Latn", "Zyyy"),
        unit="word",
        factory=_build,
        charset=charset,
        priority=PRIORITY,
        description="Latin words from a BiLSTM-conditioned GAN trained with a CTC recognizer",
        weights=MODEL_NAME,
        auto=local_folder(MODEL_NAME) is not None,
        styles=style_names(),
        default_style=default_style,
        status=status,
    ))
    register(TrainerSpec(
        name="latin",
        description="Latin word GAN (BiLSTM text encoder, CTC recognizer); data: words rendered "
                    "from the Latin handwriting fonts, or IAM-format data (--data)",
        build=_task,
        evaluate=_evaluate,
        card=_card,
        defaults={"batch_size": 32, "max_steps": 12000, "checkpoint_every": 500,
                  "sample_every": 500},
        fonts=("Latn",),
        packages={package: f"{DICT_DIR}/{name}" for package, name in WORD_LISTS.items()},
    ))

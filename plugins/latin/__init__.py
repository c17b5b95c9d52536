"""Latin handwriting: a word GAN conditioned on the text by a BiLSTM, with a CTC recognizer.

``model`` holds the networks, ``config`` the training settings, ``task`` the two training
phases, ``generator`` the adapter that writes words (``marks``, ``hyphens``, ``punctuation``
make good what the GAN draws badly), ``words`` the word images and character set,
``vocabulary``/``render``/``dataset``/``iam`` the data (words from the Debian lists rendered
from the Latin handwriting fonts, or IAM-format data), ``evaluate`` ``hwrender eval latin``,
``card`` the model card. Registering imports none of them (no torch until the generator is used).

The ``latin`` generator joins the default plan for Latin (and, with the script-neutral digits and
punctuation, ``Zyyy``) only when its trained weights are on this machine; until then the font
fallback writes Latin and ``hwrender generators`` says how to get them.
"""

from __future__ import annotations

MODEL_NAME = "latin"
PRIORITY = 50  # above the font fallback (-100) and the emnist generator (10)
# The Debian word lists the training vocabulary comes from: package → the list it installs
# (``hwrender fonts install --model latin`` installs them; ``vocabulary`` reads them)
WORD_LISTS = {"wamerican": "american-english", "wbritish": "british-english", "wfrench": "french",
              "wngerman": "ngerman", "wspanish": "spanish", "witalian": "italian",
              "wportuguese": "portuguese", "wpolish": "polish"}
DICT_DIR = "/usr/share/dict"


def charset() -> str:
    """The characters it writes (the spec resolves this once, on first use)."""
    from .words import CHARSET

    return CHARSET


def _local_config() -> dict:
    """config.json of the weights on this machine, or {} (no torch: listings read it)."""
    import json

    from hwrender.weights import local_folder

    folder = local_folder(MODEL_NAME)
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8")) if folder else {}
    except (OSError, ValueError):
        return {}
    return config if isinstance(config, dict) else {}


def style_names(config: dict | None = None) -> tuple[str, ...]:
    """The named styles of a model's config (default: the weights on this machine)."""
    styles = (_local_config() if config is None else config).get("styles")
    return tuple(styles) if isinstance(styles, dict) else ()


def default_style() -> str:
    """The hand written without --style: a number, as --style takes it."""
    return str(_local_config().get("default_style_seed", 0))  # 0: generator.DEFAULT_STYLE_SEED


def status() -> str:
    from hwrender import weights as store

    state = store.model_status(MODEL_NAME)
    if state == "unknown model":
        return ("not trained yet: no 'latin' weights (train with `hwrender train latin`, then "
                "use --weights RUN/model)")
    return state


def register(register) -> None:
    """The ``hwrender.generators`` entry-point hook."""
    from hwrender.registry import GeneratorSpec
    from hwrender.train import TrainerSpec
    from hwrender.weights import local_folder

    here = __name__
    register(GeneratorSpec(
        name=MODEL_NAME,
        scripts=("Latn", "Zyyy"),
        unit="word",
        factory=f"{here}.generator:LatinGenerator",
        charset=charset,
        priority=PRIORITY,
        description="Latin words from a BiLSTM-conditioned GAN trained with a CTC recognizer",
        weights=MODEL_NAME,
        auto=local_folder(MODEL_NAME) is not None,
        styles=style_names(),
        config_styles=style_names,
        # a blend mixes the named hands' style vectors (generator.style_vector)
        style_kinds={"seed", "name", "blend", "user"},
        fitter=f"{here}.fit:fit",
        default_style=default_style,
        status=status,
    ))
    register(TrainerSpec(
        name=MODEL_NAME,
        description="Latin word GAN (BiLSTM text encoder, CTC recognizer); data: words rendered "
                    "from the Latin handwriting fonts, or IAM-format data (--data)",
        build=f"{here}.task:build_task",
        evaluate=f"{here}.evaluate:evaluate",
        card=f"{here}.card:card_for",
        defaults={"batch_size": 32, "max_steps": 12000, "checkpoint_every": 500,
                  "sample_every": 500},
        fonts=("Latn",),
        packages={package: f"{DICT_DIR}/{name}" for package, name in WORD_LISTS.items()},
    ))

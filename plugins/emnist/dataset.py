"""Where the trainer and the evaluation get their characters: real EMNIST, or the font-built set.

With ``--data DIR`` the real release (IDX, CSV or .mat; ``data.load``) is used. Without it, an
EMNIST-format set is built once from the Latin handwriting fonts of the corpus
(``hwrender fonts list --script Latn``) into the data cache and reused by later runs and by
``hwrender eval emnist``. The fonts the corpus marks ``holdout`` make its test split.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

from hwrender.train.cache import data_cache

from . import data as emnist_data

DATA_SEED = 0  # the synthetic set does not change with the training seed
MIN_FONTS = 4
PLACEMENT = "placement.json"


def synthetic_dir(classes: str, per_class_per_font: int) -> Path:
    return data_cache() / f"emnist-fonts-{classes}-{per_class_per_font}"


def ensure_synthetic(classes: str, per_class_per_font: int,
                     log: Callable[[str], None] = lambda m: None) -> Path:
    """The font-built set's folder, building it first if it is not in the cache."""
    folder = synthetic_dir(classes, per_class_per_font)
    if (folder / PLACEMENT).is_file():
        return folder
    from hwrender import fonts

    train = fonts.available(script="Latn", role="handwriting", split="train")
    holdout = fonts.available(script="Latn", role="handwriting", split="holdout")
    if len(train) < MIN_FONTS or not holdout:
        raise fonts.NotInstalled(
            f"only {len(train)} training and {len(holdout)} held-out Latin handwriting fonts are "
            "installed: too few to build the EMNIST-format set",
            "install them with `hwrender fonts install --model emnist`, or pass --data with real EMNIST")
    caps_only = {r.id for r in fonts.corpus(script="Latn") if r.caps_only or r.no_lowercase}
    log(f"building the EMNIST-format set from {len(train)} + {len(holdout)} fonts into {folder}")
    from .synth import build_synthetic

    summary = build_synthetic({**train, **holdout}, folder, per_class_per_font, classes,
                              seed=DATA_SEED, holdout=set(holdout), caps_only=caps_only)
    log(f"built {summary.counts} images in {summary.seconds:.0f} s")
    return folder


def read_placement(folder: Path) -> tuple[dict, dict]:
    """(placement table, provenance) from a font-built set; empty for real EMNIST folders."""
    path = folder / PLACEMENT
    if not path.is_file():
        return {}, {"source": str(folder)}
    raw = json.loads(path.read_text(encoding="utf-8"))
    return raw.get("placement", {}), raw.get("provenance", {})


def resolve_folder(data: Path | None, classes: str, per_class_per_font: int,
                   log: Callable[[str], None] = lambda m: None) -> Path:
    if data is not None:
        return Path(data)
    return ensure_synthetic(classes, per_class_per_font, log)


def training_set(data: Path | None, classes: str, per_class_per_font: int,
                 log: Callable[[str], None]) -> tuple[Any, Any, dict, dict]:
    """(uint8 images N x 28 x 28, labels, placement, provenance) for the trainer."""
    import torch

    folder = resolve_folder(data, classes, per_class_per_font, log)
    dataset = emnist_data.load(folder, "train", classes)
    placement, provenance = read_placement(folder if folder.is_dir() else folder.parent)
    provenance = {**provenance, "train_images": len(dataset), "files": dataset.source}
    return (torch.from_numpy(dataset.images), torch.from_numpy(dataset.labels), placement,
            provenance)

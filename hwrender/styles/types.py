"""The contract between extraction, the styles store, the fitters and the generators (torch-free).

- ``hwrender extract`` writes a samples folder: one PNG per sample (8-bit grey, white paper, dark
  ink) and ``samples.json`` (:data:`SAMPLES_FORMAT`); :func:`load_samples` reads it back.
- ``hwrender styles add`` hands every model family's fitter a :class:`FitRequest` with all usable
  samples; the fitter picks those it can learn from and returns a :class:`FitResult` (or ``None``
  when no sample serves it). The store keeps each result as one *part* of the style:
  ``<model>.safetensors`` plus its ``config`` in ``style.json``.
- ``write --style NAME`` with a stored style gives each generator whose model has a part the
  :class:`UserStyle`; the generator applies ``style.part(model)``. Other style kinds reach the
  generators as before: ``None`` (default), a number or a name as ``str``, a :class:`Blend`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

SAMPLES_FORMAT = "hwrender-samples"
SAMPLES_VERSION = 1
STYLE_FORMAT = "hwrender-style"
STYLE_VERSION = 1

# What a generator spec may accept in ``style_kinds``: "seed" (a number is a seeded hand),
# "name" (the loaded model's named styles), "blend" (``a:0.7,b:0.3`` of named styles),
# "user" (a stored style with a part for the generator's model).
STYLE_KINDS = frozenset({"seed", "name", "blend", "user"})

# Sample kinds: "char" (one character in a box), "word" (a word on a ruled line), "line" (a whole
# sentence on a ruled line; ``text`` holds it, words separated by single spaces).
SAMPLE_KINDS = ("char", "word", "line")
# Flags extraction may set; "empty" samples are never handed to a fitter.
SAMPLE_FLAGS = ("empty", "overfilled", "faint")


@dataclass(frozen=True)
class Sample:
    """One extracted sample: ``path`` is an 8-bit grey PNG (255 = paper, 0 = full ink) of the
    inside of the writing box, box lines and printed guides removed; ``px_per_mm`` its scale;
    ``baseline`` the row (pixels from the top) of the printed writing line for word and line
    samples, ``None`` for character boxes."""

    path: Path
    text: str
    kind: str
    template: str  # the sheet kind: "latin", "hangul", "cjk", "emnist"
    page: int
    box: str
    px_per_mm: float
    baseline: float | None = None
    flags: tuple[str, ...] = ()

    def ink(self):
        """Ink as a float32 array in [0, 1] (1 = full ink), shape (height, width)."""
        import numpy as np
        from PIL import Image

        from ..errors import InputError

        try:
            with Image.open(self.path) as im:
                grey = np.asarray(im.convert("L"), dtype=np.float32)
        except (OSError, ValueError, Image.DecompressionBombError) as exc:
            raise InputError(f"sample {self.path} is unreadable ({exc})",
                             "delete it (its box is then left out) or run `hwrender extract` again") from None
        return 1.0 - grey / 255.0


def load_samples(folder: str | Path) -> list[Sample]:
    """The usable samples of an extracted folder, in ``samples.json`` order.

    A sample whose file a person deleted is left out (that is how a bad sample is dropped), and
    so are ``empty`` ones; ``overfilled``/``faint`` ones stay (the fitter decides). Raises :class:`~hwrender.errors.InputError` for a folder without a
    readable ``samples.json``."""
    from ..errors import InputError

    folder = Path(folder)
    index = folder / "samples.json"
    if folder.exists() and not folder.is_dir():  # a photo given where the folder goes
        raise InputError(f"{folder} is a file, not a samples folder",
                         f"run `hwrender extract {folder} -o FOLDER` first and give FOLDER")
    try:
        data = json.loads(index.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{folder} has no samples.json",
                         "give the folder `hwrender extract ... -o FOLDER` wrote") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read {index}: {exc}",
                         "run `hwrender extract` again to rewrite it") from None
    if not isinstance(data, dict) or data.get("format") != SAMPLES_FORMAT:
        raise InputError(f"{index} is not an hwrender samples index",
                         "give the folder `hwrender extract ... -o FOLDER` wrote")
    if int(data.get("version", 0)) > SAMPLES_VERSION:
        raise InputError(f"{index} is samples format {data.get('version')}, newer than this "
                         f"hwrender reads ({SAMPLES_VERSION})", "upgrade hwrender")
    out = []
    for row in data.get("samples", []):
        try:
            path = folder / row["file"]
            flags = tuple(row.get("flags") or ())
            sample = Sample(path=path, text=str(row["text"]), kind=str(row["kind"]),
                            template=str(row["template"]), page=int(row["page"]),
                            box=str(row["box"]), px_per_mm=float(row["px_per_mm"]),
                            baseline=None if row.get("baseline") is None else float(row["baseline"]),
                            flags=flags)
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"{index} has a malformed sample ({exc!r})",
                             "run `hwrender extract` again to rewrite it") from None
        if "empty" in flags or not path.is_file():
            continue
        out.append(sample)
    return out


@dataclass(frozen=True)
class Blend:
    """``--style a:0.7,b:0.3``: named styles and their weights (summing to 1)."""

    parts: tuple[tuple[str, float], ...]

    def __str__(self) -> str:
        return ",".join(f"{name}:{weight:g}" for name, weight in self.parts)


@dataclass(frozen=True)
class StylePart:
    """What one model learned of a stored style: ``config`` (JSON, as the fitter returned it)
    and the tensors in ``<folder>/<model>.safetensors``."""

    model: str
    folder: Path
    config_json: str = "{}"

    @property
    def config(self) -> dict:
        return json.loads(self.config_json)

    @property
    def tensors_path(self) -> Path:
        return self.folder / f"{self.model}.safetensors"

    def tensors(self) -> dict:
        """The part's tensors (CPU), read strictly with safetensors (never pickle)."""
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        from ..errors import WeightsError

        try:
            return load_file(str(self.tensors_path))
        except (OSError, SafetensorError) as exc:
            why = "missing" if isinstance(exc, FileNotFoundError) else f"damaged: {exc}"
            raise WeightsError(f"style {self.folder.name!r}: its {self.model} part "
                               f"{self.tensors_path.name} is {why}",
                               f"remove it with `hwrender styles remove {self.folder.name}` "
                               "and add it again") from None


@dataclass(frozen=True)
class UserStyle:
    """A stored style (``hwrender styles add``) as a generator receives it. Hashable, so a
    generator may cache what it builds from it."""

    name: str
    folder: Path
    parts: tuple[StylePart, ...] = ()

    def part(self, model: str) -> StylePart | None:
        return next((p for p in self.parts if p.model == model), None)

    @property
    def models(self) -> tuple[str, ...]:
        return tuple(p.model for p in self.parts)

    def __str__(self) -> str:  # error messages name the style as the user typed it
        return self.name

    @classmethod
    def load(cls, folder: str | Path) -> "UserStyle":
        from ..errors import WeightsError

        folder = Path(folder)
        try:
            data = json.loads((folder / "style.json").read_text(encoding="utf-8"))
            if data.get("format") != STYLE_FORMAT:
                raise ValueError("not an hwrender style")
            parts = tuple(StylePart(model, folder, json.dumps(entry.get("config", {}),
                                                               sort_keys=True))
                          for model, entry in sorted(data.get("parts", {}).items()))
            return cls(str(data["name"]), folder, parts)
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise WeightsError(f"style folder {folder} is unreadable ({exc})",
                               f"remove it with `hwrender styles remove {folder.name}` and add it "
                               "again") from None


def _no_progress(fraction: float, message: str = "") -> None:
    return None


@dataclass
class FitRequest:
    """What ``styles add`` asks a model family's fitter.

    ``samples``: every usable sample of the folder (all sheets); the fitter picks those it
    serves. ``weights_dir``: the model to fit to (``None``: the default one, bundled or from the
    Hub). ``steps``: ``None`` for the fitter's default (sized to finish within ``budget_s`` on 2
    CPU cores); tests pass a few. ``progress(fraction, message)`` drives the progress bar.
    ``work_dir``: scratch space, removed afterwards."""

    model: str
    samples: list[Sample]
    weights_dir: Path | None = None
    device: str = "cpu"
    seed: int = 0
    steps: int | None = None
    budget_s: float = 600.0
    offline: bool = False
    work_dir: Path | None = None
    progress: Callable[[float, str], None] = _no_progress


@dataclass
class FitResult:
    """A fitter's answer: ``tensors`` (name -> torch.Tensor, saved as ``<model>.safetensors``),
    ``config`` (JSON-able: what the generator needs to apply them), ``used`` (samples learned
    from), ``figures`` (JSON-able measurements for the style's card) and ``notes`` (lines for it)."""

    tensors: Mapping
    config: dict
    used: int
    figures: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)

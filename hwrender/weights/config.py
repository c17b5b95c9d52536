"""A model's config.json: reading it, checking it against a family's schema, and the files it names
(which must stay inside the model folder)."""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any, Mapping

from ..errors import WeightsError
from .manifest import CONFIG_FILE

CONFIG_FIX = "re-export the model, or restore the config.json saved with its weights"


def load_config(folder: str | os.PathLike) -> dict[str, Any]:
    """The model's config.json, as a dict."""
    path = Path(folder) / CONFIG_FILE
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise WeightsError(
            f"{path} is missing", "every model folder needs the config.json it was trained with"
        ) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WeightsError(
            f"{path} is not valid JSON ({exc})", "restore the config.json saved with the weights"
        ) from None
    if not isinstance(config, dict):
        raise WeightsError(
            f"{path} holds a JSON {type(config).__name__}, not an object",
            "restore the config.json saved with the weights",
        )
    return config


@dataclass(frozen=True)
class Setting:
    """One key of a model family's config.json schema: its type, bounds and allowed values.

    ``kind`` is int, float (an int is accepted), str, bool, list or dict. Sizes get bounds so a
    config never asks for an absurd network: the bounds are what a sane model of the family could
    use, far above the shipped one, far below what would exhaust memory.
    """

    kind: type
    low: float | None = None
    high: float | None = None
    choices: tuple[Any, ...] = ()
    optional: bool = False


_KIND_NAMES = {int: "an integer", float: "a number", str: "a string", bool: "true or false",
               list: "a list", dict: "an object"}


def validate_config(
    config: Mapping[str, Any],
    schema: Mapping[str, Setting],
    folder: str | os.PathLike,
    closed: tuple[str, ...] = (),
) -> None:
    """Check a model's config.json against its family's schema before anything is built.

    ``schema`` maps dotted keys (``net.embed_dim``) to :class:`Setting`; a key under an absent
    optional object is not required. Every key of an object named in ``closed`` must be in the
    schema (the model's constructor takes exactly those). The first problem is a one-line
    WeightsError naming config.json, the key and the fix.
    """
    where = Path(folder) / CONFIG_FILE

    def bad(key: str, problem: str) -> WeightsError:
        return WeightsError(f"{where}: {key} {problem}", CONFIG_FIX)

    def shown(value: Any) -> str:
        text = json.dumps(value, ensure_ascii=False, default=str)
        return text if len(text) <= 40 else text[:37] + "..."

    for key, setting in schema.items():
        value: Any = config
        parts = key.split(".")
        for depth, part in enumerate(parts):
            parent = ".".join(parts[:depth])
            if not isinstance(value, Mapping):
                raise bad(parent, f"is {shown(value)}, not an object")
            if part not in value:
                absent = ".".join(parts[:depth + 1])
                if schema.get(absent, setting).optional:
                    value = None
                    break
                raise bad(absent, "is missing")
            value = value[part]
        else:
            _check_setting(key, value, setting, bad, shown)
    for key in closed:
        value = config.get(key) if "." not in key else None
        for extra in sorted(set(value or ()) - {k[len(key) + 1:] for k in schema if k.startswith(key + ".")}):
            raise bad(f"{key}.{extra}", "is not a setting this hwrender knows")


def _check_setting(key: str, value: Any, setting: Setting, bad, shown) -> None:
    kind = setting.kind
    ok = isinstance(value, kind) and not (isinstance(value, bool) and kind is not bool)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        ok = True
    if not ok:
        raise bad(key, f"is {shown(value)}, not {_KIND_NAMES.get(kind, kind.__name__)}")
    if kind is float and not math.isfinite(value):
        raise bad(key, f"is {shown(value)}, not a finite number")
    if setting.choices and value not in setting.choices:
        raise bad(key, f"is {shown(value)}, not one of {', '.join(map(str, setting.choices))}")
    size = len(value) if kind in (str, list, dict) else value
    what = "has length " if kind in (str, list, dict) else "is "
    if setting.low is not None and size < setting.low or setting.high is not None and size > setting.high:
        low = "" if setting.low is None else f"{setting.low:g}"
        high = "" if setting.high is None else f"{setting.high:g}"
        raise bad(key, f"{what}{shown(size)}, outside the range {low}..{high} a model of this kind can use")


def config_file(folder: str | os.PathLike, key: str, value: Any, shipped: Path | None = None) -> Path:
    """The file config.json's ``key`` names (its value ``value``), which must lie in the model folder.

    A config travels with the weights, from anywhere: a name that leaves the folder (absolute,
    ``..``, or a symlink pointing out) would let a model make hwrender read any file on the
    machine. The name is relative to the folder and, resolved with symlinks, must stay inside it
    (a Hub cache snapshot may point into its repo's blob store). A bare file name not in the
    folder may name a file that ships with the plugin, in ``shipped``.
    """
    folder = Path(folder)
    where = folder / CONFIG_FILE
    inside = f"put the file in {folder} and name it by its path there, or {CONFIG_FIX}"
    if not isinstance(value, str) or not value.strip():
        raise WeightsError(f"{where}: {key} is {value!r}, not a file name", CONFIG_FIX)
    name = PurePosixPath(value.replace("\\", "/"))
    if name.is_absolute() or PureWindowsPath(value).anchor or ".." in name.parts:
        raise WeightsError(f"{where}: {key} = {value!r} names a file outside the model folder", inside)
    places = [(folder, [folder])]
    if folder.parent.name == "snapshots":  # the Hub cache: snapshot files link to ../../blobs
        places[0][1].append(folder.parent.parent / "blobs")
    if shipped is not None and len(name.parts) == 1:
        places.append((shipped, [shipped]))
    for base, allowed in places:
        path = base / name
        if not os.path.lexists(path):
            continue
        real = path.resolve()
        if not any(real.is_relative_to(a.resolve()) for a in allowed):
            raise WeightsError(
                f"{where}: {key} = {value!r} leads outside the model folder (a symlink to {real})", inside)
        if not real.is_file():
            raise WeightsError(f"{where}: {key} = {value!r} is not a file in {base}", inside)
        return real
    raise WeightsError(f"{where}: {key} names {value!r}, which is not in {folder}",
                       f"copy the file into {folder}, or {CONFIG_FIX}")

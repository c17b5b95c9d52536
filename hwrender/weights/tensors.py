"""Safetensors files read strictly: the header validated in pure Python, keys and shapes compared with
the built model, never pickle."""

from __future__ import annotations

import json
import math
import os
import struct
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

from ..errors import WeightsError
from .config import CONFIG_FIX
from .manifest import CONFIG_FILE

if TYPE_CHECKING:  # pragma: no cover
    import torch

# Bytes per element of the dtypes safetensors.torch can load.
_DTYPE_SIZES = {
    **dict.fromkeys(("BOOL", "U8", "I8", "F8_E4M3", "F8_E4M3FNUZ", "F8_E5M2", "F8_E5M2FNUZ"), 1),
    **dict.fromkeys(("I16", "U16", "F16", "BF16"), 2),
    **dict.fromkeys(("I32", "U32", "F32"), 4),
    **dict.fromkeys(("I64", "U64", "F64", "C64"), 8),
}


_MAX_HEADER = 100_000_000  # the limit safetensors itself enforces


def load_state_dict(
    path: str | os.PathLike,
    expected_shapes: Mapping[str, tuple[int, ...]] | None = None,
    *,
    hint: str | None = None,
    prefix: str = "",
) -> dict[str, "torch.Tensor"]:
    """Load a safetensors file (never pickle) on the CPU, with strict key and shape checks.

    The header is validated in pure Python first, so a damaged file is a one-line WeightsError, not
    a crash inside the loader. ``expected_shapes`` (name → shape of the model built from
    config.json) must match the file exactly: missing keys, unexpected keys and shape mismatches
    are all reported, before any tensor is read. With ``prefix``, only the file's tensors under it
    are compared and loaded, and returned without it. ``hint`` is the fix for a damaged file.
    """
    path = Path(path)
    header = _read_header(path, hint=hint or "replace the file with a good copy")
    if prefix:
        header = {k: v for k, v in header.items() if k.startswith(prefix)}
    if expected_shapes is not None:
        _check_shapes(path, header, {prefix + k: s for k, s in expected_shapes.items()})
    if not prefix:
        from safetensors.torch import load_file

        return load_file(str(path), device="cpu")
    from safetensors import safe_open

    with safe_open(str(path), framework="pt", device="cpu") as fh:
        return {k[len(prefix):]: fh.get_tensor(k) for k in header}


def _read_header(path: Path, hint: str) -> dict[str, tuple[str, tuple[int, ...]]]:
    """Validate a safetensors file's layout in pure Python; returns tensor name → (dtype, shape).

    Checks what safetensors checks before trusting a file: an 8-byte little-endian header length, a
    JSON object header, known dtypes, offsets that tile the data exactly (each tensor's byte length
    = elements × dtype size), and data ending exactly at the end of the file.
    """

    def bad(problem: str) -> WeightsError:
        return WeightsError(f"{path}: {problem}", hint)

    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            prefix = fh.read(8)
            if len(prefix) < 8:
                raise bad(f"not a safetensors file ({size} bytes, too short for a header)")
            (length,) = struct.unpack("<Q", prefix)
            if length > min(_MAX_HEADER, size - 8):
                raise bad(f"corrupt or truncated safetensors: header claims {length} bytes, file has {size}")
            raw = fh.read(length)
    except OSError as exc:
        raise bad(f"cannot be read ({exc.strerror or exc})") from None
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise bad("corrupt safetensors: the header is not valid JSON") from None
    if not isinstance(header, dict):
        raise bad("corrupt safetensors: the header is not a JSON object")
    metadata = header.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise bad("corrupt safetensors: __metadata__ is not a map of strings")
    tensors: dict[str, tuple[str, tuple[int, ...]]] = {}
    spans = []
    for key, info in header.items():
        if not isinstance(info, dict):
            raise bad(f"corrupt safetensors: entry {key!r} is not an object")
        dtype, shape, offsets = info.get("dtype"), info.get("shape"), info.get("data_offsets")
        if dtype not in _DTYPE_SIZES:
            raise bad(f"corrupt safetensors: tensor {key!r} has unknown dtype {dtype!r}")
        if not isinstance(shape, list) or not all(
            isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape
        ):
            raise bad(f"corrupt safetensors: tensor {key!r} has invalid shape {shape!r}")
        if (
            not isinstance(offsets, list)
            or len(offsets) != 2
            or not all(isinstance(o, int) and not isinstance(o, bool) for o in offsets)
            or not 0 <= offsets[0] <= offsets[1]
        ):
            raise bad(f"corrupt safetensors: tensor {key!r} has invalid data_offsets {offsets!r}")
        nbytes = math.prod(shape) * _DTYPE_SIZES[dtype]
        if offsets[1] - offsets[0] != nbytes:
            raise bad(
                f"corrupt safetensors: tensor {key!r} ({dtype} {tuple(shape)}) needs {nbytes} bytes, "
                f"data_offsets give {offsets[1] - offsets[0]}"
            )
        tensors[key] = (dtype, tuple(shape))
        spans.append((offsets[0], offsets[1], key))
    end = 0
    for begin, stop, key in sorted(spans):
        if begin != end:
            raise bad(f"corrupt safetensors: tensor {key!r} starts at byte {begin}, expected {end}")
        end = stop
    data_size = size - 8 - length
    if end != data_size:
        what = "truncated" if end > data_size else "corrupt"
        raise bad(f"{what} safetensors: tensors need {end} bytes of data, the file holds {data_size}")
    return tensors


def _check_shapes(
    path: Path, header: dict[str, tuple[str, tuple[int, ...]]], expected: Mapping[str, tuple[int, ...]]
) -> None:
    """Raise one WeightsError naming every key and shape where the file and the config's model disagree."""

    def some(items: list[str]) -> str:
        return ", ".join(items[:5]) + (f" (+{len(items) - 5} more)" if len(items) > 5 else "")

    problems = []
    missing = sorted(set(expected) - set(header))
    unexpected = sorted(set(header) - set(expected))
    if missing:
        problems.append(f"missing keys {some(missing)}")
    if unexpected:
        problems.append(f"unexpected keys {some(unexpected)}")
    mismatched = [
        f"{key} is {header[key][1]} in the file but {tuple(expected[key])} in the model"
        for key in sorted(set(header) & set(expected))
        if header[key][1] != tuple(expected[key])
    ]
    if mismatched:
        problems.append(f"shape mismatch: {some(mismatched)}")
    if problems:
        config = path.with_name(CONFIG_FILE)
        raise WeightsError(
            f"{path} does not fit the model built from {config}: {'; '.join(problems)}",
            CONFIG_FIX,
        )

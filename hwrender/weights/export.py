"""Writing a model folder for the store: the weights, config.json, the card and the manifest, each
atomically, the manifest last."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from ..atomic import write_atomic
from ..errors import UsageError
from .manifest import (
    CARD_FILE, CONFIG_FILE, MANIFEST_FILE, MODEL_FILES, Manifest, WEIGHTS_FILE, _COMMIT, _NAME, _REPO_ID,
    _read_manifest, _record,
)

if TYPE_CHECKING:  # pragma: no cover
    import torch

def save_model(
    folder: str | os.PathLike,
    state_dict: Mapping[str, "torch.Tensor"],
    config: Mapping[str, Any],
    card_text: str,
    name: str,
    repo_id: str | None = None,
    revision: str | None = None,
) -> Manifest:
    """Export a model folder (safetensors + config.json + README.md + manifest.json) for the store.

    Each file is written atomically and the manifest last, so a crash never leaves a manifest that
    vouches for half-written files. ``repo_id``/``revision`` stay ``None`` until ``push`` sets them.
    """
    if not _NAME.fullmatch(name):
        raise UsageError(f"bad model name {name!r}", "use letters, digits, '.', '_' and '-'")
    if repo_id is not None and not _REPO_ID.fullmatch(repo_id):
        raise UsageError(f"bad repo id {repo_id!r}", "use the form ORG/NAME")
    if revision is not None and not _COMMIT.fullmatch(revision):
        raise UsageError(f"bad revision {revision!r}", "use the full 40-character commit hash")
    from safetensors.torch import save_file

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tensors = {key: tensor.detach().cpu().contiguous() for key, tensor in state_dict.items()}
    write_atomic(folder / WEIGHTS_FILE, lambda tmp: save_file(tensors, str(tmp), metadata={"format": "pt"}))
    write_atomic(folder / CONFIG_FILE, (json.dumps(dict(config), indent=2, sort_keys=True) + "\n").encode())
    write_atomic(folder / CARD_FILE, card_text.encode("utf-8"))
    manifest = Manifest(name, repo_id, revision, {f: _record(folder / f) for f in MODEL_FILES})
    write_atomic(folder / MANIFEST_FILE, manifest.to_json().encode())
    return manifest


def update_card(folder: str | os.PathLike, card_text: str) -> Manifest | None:
    """Replace a model folder's card (e.g. with evaluation figures) and re-pin its manifest.

    The Hub pin (repo, revision) is kept only if the card did not change: a new card means a
    new revision that ``push`` has to publish.
    """
    folder = Path(folder)
    write_atomic(folder / CARD_FILE, card_text.encode("utf-8"))
    path = folder / MANIFEST_FILE
    if not path.is_file():
        return None
    old = _read_manifest(path)
    files = {f: _record(folder / f) for f in MODEL_FILES}
    same = files == old.files
    manifest = Manifest(old.name, old.repo_id if same else None, old.revision if same else None,
                        files)
    write_atomic(path, manifest.to_json().encode())
    return manifest

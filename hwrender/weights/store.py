"""Finding a model: an explicit folder, the bundled copy, the Hub cache or a download, and the cheap
status and full verification that listings and ``hwrender weights verify`` show."""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import HwrenderWarning, UsageError, WeightsError
from .config import load_config
from .hub import _download, _refuse_if_offline, _snapshot_folder
from .manifest import (
    CONFIG_FILE, MANIFEST_FILE, Manifest, WEIGHTS_FILE, _NAME, _bundled_folder, _known_manifest,
    _known_names, _read_manifest,
)
from .model import FileCheck, ModelFiles, _check_file, _checked, _complete, _repair_hint
from .tensors import _read_header

UNVERIFIED_FIX = ("restore the manifest.json that came with the model, or re-export it: save_model "
                  "and `hwrender train` write one")


_warned_unverified: set[str] = set()  # folders already warned about, so a run warns once


@dataclass(frozen=True)
class ModelInfo:
    """One line of ``hwrender weights list``."""

    name: str
    repo_id: str | None
    revision: str | None
    status: str


@dataclass(frozen=True)
class VerifyReport:
    """What ``verify`` found: where it looked, one check per file, and the fix if any failed."""

    name: str
    source: str
    folder: Path | None
    files: list[FileCheck] = field(default_factory=list)
    hint: str = ""
    checked: bool = True  # False: no manifest.json, so the hashes were compared with nothing

    @property
    def ok(self) -> bool:
        """Every file is what the manifest says; never true without a manifest."""
        return self.checked and all(f.problem is None for f in self.files)


def resolve(
    name: str, weights_dir: str | os.PathLike | None = None, offline: bool | None = None
) -> ModelFiles:
    """Find the files of model ``name``, checked against its manifest, downloading them if needed.

    ``weights_dir`` (``--weights DIR``) wins over everything and is checked against its own
    manifest.json if it has one. ``offline=None`` means: offline if HF_HUB_OFFLINE or
    HWRENDER_OFFLINE is set. With a bundled copy present this makes no network call at all.
    """
    if weights_dir is not None:
        return _resolve_explicit(name, Path(weights_dir))
    manifest = _known_manifest(name)
    local = _local_copy(name, manifest)
    if local is not None:
        return local
    _refuse_if_offline(name, offline)
    return _download(name, manifest, force=False)


def _local_copy(name: str, manifest: "Manifest") -> "ModelFiles | None":
    """The bundled copy, else the cached snapshot at the pinned revision (checked), else None."""
    bundled = _bundled_folder(name)
    if _complete(bundled, manifest):
        return _checked(name, bundled, manifest, "bundled")
    cached = _snapshot_folder(manifest)
    if _complete(cached, manifest):
        return _checked(name, cached, manifest, "cache")
    return None


def model_files(name: str, source: str | os.PathLike | None = None,
                offline: bool | None = None) -> ModelFiles:
    """Model ``name`` from ``source``: a model folder, another store name, or (``None``) the
    shipped copy, resolved like :func:`resolve`."""
    if source is not None and (Path(source).is_dir() or looks_like_path(source)):
        return resolve(name, weights_dir=source, offline=offline)  # a missing folder: "no such folder"
    if not source:
        return resolve(name, offline=offline)
    try:
        return resolve(str(source), offline=offline)
    except UsageError as exc:  # neither a folder nor a model: say both, it may be a mistyped folder
        raise UsageError(f"--weights {source}: no such folder, and {exc.message}", exc.hint) from None


def looks_like_path(source: str | os.PathLike) -> bool:
    """Whether ``--weights`` was given a path (to a folder) rather than a store name: a model name
    never holds a path separator or starts with ``~`` or ``.``."""
    return isinstance(source, os.PathLike) or not _NAME.fullmatch(os.fspath(source))


def pull(name: str, force: bool = False) -> ModelFiles:
    """Put model ``name`` in the Hugging Face cache at its pinned revision and check it.

    Without ``force`` a bundled or already cached (and intact) copy is returned as is, with no
    network call. ``force`` downloads every file again, which repairs a damaged cache.
    """
    manifest = _known_manifest(name)
    published = bool(manifest.repo_id and manifest.revision)
    if not force or not published:
        local = _local_copy(name, manifest)
        if local is not None:
            if force:  # was "its bundled copy is missing or incomplete", of an intact copy
                warnings.warn(f"model {name!r} is not published on the Hub, so there is nothing to "
                              "download again; its bundled copy checks out", HwrenderWarning, stacklevel=2)
            return local
    _refuse_if_offline(name, None)
    return _download(name, manifest, force=force)


def model_status(name: str) -> str:
    """A short phrase for listings: cheap (sizes and the safetensors header, no hashing), no network.

    Never raises: a listing must show every model, broken ones included.
    """
    try:
        manifest = _known_manifest(name)
    except UsageError:
        return "unknown model"
    except WeightsError as exc:
        return f"bad manifest: {exc.message}"
    return _status(name, manifest)


def local_folder(name: str) -> Path | None:
    """The folder of model ``name`` when its files are on this machine (bundled or cached), else None.

    Cheap enough for plugin registration (file sizes and the safetensors header, no hashing, no
    network); never raises. Plugins use it to join the default plan only when their weights are here.
    """
    try:
        if model_status(name) not in ("bundled", "cached"):
            return None
        manifest = _known_manifest(name)
        bundled = _bundled_folder(name)
        if _complete(bundled, manifest):
            return bundled
        return _snapshot_folder(manifest)
    except Exception:  # a listing must never break over a broken model: it shows in the status
        return None


def list_models() -> list[ModelInfo]:
    """Every model whose manifest ships with hwrender, by name."""
    infos = []
    for name in _known_names():
        try:
            manifest = _known_manifest(name)
        except WeightsError as exc:
            infos.append(ModelInfo(name, None, None, f"bad manifest: {exc.message}"))
        else:
            infos.append(ModelInfo(name, manifest.repo_id, manifest.revision, _status(name, manifest)))
    return infos


def verify(name: str, weights_dir: str | os.PathLike | None = None) -> VerifyReport:
    """Hash every file of model ``name`` where ``resolve`` would take it from (no network).

    Looks at ``weights_dir`` if given, else the bundled copy if complete, else the cache.
    """
    if weights_dir is not None:
        folder = Path(weights_dir)
        if not folder.is_dir():
            raise UsageError(
                f"--weights {folder}: no such folder", "pass the folder that holds the model files"
            )
        folder = _model_folder(name, folder)
        if not (folder / MANIFEST_FILE).is_file():
            checks = [_check_file(folder, f, None) for f in (WEIGHTS_FILE, CONFIG_FILE)]
            return VerifyReport(name, "explicit", folder, checks, _repair_hint(name, "explicit", folder),
                                checked=False)
        manifest, source = _other_model(name, folder, _read_manifest(folder / MANIFEST_FILE)), "explicit"
    else:
        manifest = _known_manifest(name)
        folder, source = _bundled_folder(name), "bundled"
        if not _complete(folder, manifest):
            folder, source = _snapshot_folder(manifest), "cache"
            if folder is None or not folder.is_dir():
                checks = [FileCheck(f, None, None, None, "not downloaded") for f in sorted(manifest.files)]
                return VerifyReport(name, source, None, checks, f"run `hwrender weights pull {name}`")
    checks = [_check_file(folder, f, manifest.files[f]) for f in sorted(manifest.files)]
    return VerifyReport(name, source, folder, checks, _repair_hint(name, source, folder))


def _model_folder(name: str, folder: Path) -> Path:
    """``folder``, or its ``name`` subfolder when it is a folder of model folders (as weights/
    itself is)."""
    if not (folder / WEIGHTS_FILE).exists() and (folder / name).is_dir():
        return folder / name
    return folder


def _other_model(name: str, folder: Path, manifest):
    """``manifest``, unless it pins another model than ``name`` (a latin folder given for emnist
    failed later over a missing config key, or passed ``weights verify``)."""
    if manifest.name != name:
        raise WeightsError(f"{folder} holds the {manifest.name!r} model, not {name!r}",
                           f"pass the {name} model's folder, or a folder holding a {name}/ folder")
    return manifest


def _resolve_explicit(name: str, folder: Path) -> ModelFiles:
    if not folder.is_dir():
        raise UsageError(
            f"--weights {folder}: no such folder",
            f"pass the folder that holds {WEIGHTS_FILE} and {CONFIG_FILE}",
        )
    folder = _model_folder(name, folder)
    manifest_path = folder / MANIFEST_FILE
    if manifest_path.is_file():
        return _checked(name, folder, _other_model(name, folder, _read_manifest(manifest_path)), "explicit")
    if not (folder / WEIGHTS_FILE).is_file():
        raise WeightsError(
            f"{folder} has no {WEIGHTS_FILE}", f"pass the folder that holds {WEIGHTS_FILE} and {CONFIG_FILE}"
        )
    _read_header(folder / WEIGHTS_FILE, hint=_repair_hint(name, "explicit", folder))
    files = ModelFiles(name, folder, "explicit", load_config(folder), None)
    _warn_unverified(folder)
    return files


def _warn_unverified(folder: Path) -> None:
    """Say once per folder that nothing vouches for its files: without a manifest a damaged or
    swapped file is only caught if it no longer parses."""
    key = str(folder.resolve())
    if key in _warned_unverified:
        return
    _warned_unverified.add(key)
    warnings.warn(
        f"{folder} has no {MANIFEST_FILE}; its files are not checked ({UNVERIFIED_FIX})",
        HwrenderWarning, stacklevel=4)


def _cheap_problem(folder: Path, manifest: Manifest) -> str | None:
    """What is visibly wrong without hashing: sizes, and the safetensors header."""
    for filename, record in sorted(manifest.files.items()):
        size = (folder / filename).stat().st_size
        if size != record.size:
            return f"{filename} is {size} bytes, manifest says {record.size}"
    try:
        _read_header(folder / WEIGHTS_FILE, hint="")
    except WeightsError as exc:
        return exc.message
    return None


def _status(name: str, manifest: Manifest) -> str:
    for folder, label, source in (
        (_bundled_folder(name), "bundled", "bundled"),
        (_snapshot_folder(manifest), "cached", "cache"),
    ):
        if _complete(folder, manifest):
            problem = _cheap_problem(folder, manifest)
            return f"corrupt: {problem} ({_repair_hint(name, source, folder)})" if problem else label
    if not (manifest.repo_id and manifest.revision):
        return "missing (bundled only, not on the Hub: reinstall hwrender)"
    return f"not downloaded (hwrender weights pull {name})"

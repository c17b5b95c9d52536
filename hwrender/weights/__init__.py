"""The weights store: finds a model's files, checks them against its manifest, and loads them strictly.

A model is a folder ``<name>/`` holding ``model.safetensors``, ``config.json``, ``README.md`` (the
model card) and ``manifest.json`` (Hub repo, pinned commit, sha256 and size of every file). The
manifests ship in the ``hwrender_weights`` package (overridable with ``HWRENDER_WEIGHTS_ROOT``) even
when the big files do not, so what a model *should* be is always known offline.

Resolution order: an explicit folder (``--weights DIR``) → the bundled copy → the Hugging Face cache →
a download at the pinned revision. Only the last step touches the network, and never when offline
(``offline=True``, ``HF_HUB_OFFLINE=1`` or ``HWRENDER_OFFLINE=1``). torch and huggingface_hub are
imported only by the functions that need them, so listings stay fast.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import struct
import warnings
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING, Any, Callable, Mapping

from ..errors import HwrenderWarning, UsageError, WeightsError

if TYPE_CHECKING:  # pragma: no cover
    import torch

WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
CARD_FILE = "README.md"
MANIFEST_FILE = "manifest.json"
MODEL_FILES = (WEIGHTS_FILE, CONFIG_FILE, CARD_FILE)

_COMMIT = re.compile(r"[0-9a-f]{40}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_REPO_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_TRUE = {"1", "true", "yes", "on"}

# Bytes per element of the dtypes safetensors.torch can load.
_DTYPE_SIZES = {
    **dict.fromkeys(("BOOL", "U8", "I8", "F8_E4M3", "F8_E4M3FNUZ", "F8_E5M2", "F8_E5M2FNUZ"), 1),
    **dict.fromkeys(("I16", "U16", "F16", "BF16"), 2),
    **dict.fromkeys(("I32", "U32", "F32"), 4),
    **dict.fromkeys(("I64", "U64", "F64", "C64"), 8),
}
_MAX_HEADER = 100_000_000  # the limit safetensors itself enforces
UNVERIFIED_FIX = ("restore the manifest.json that came with the model, or re-export it: save_model "
                  "and `hwrender train` write one")
CONFIG_FIX = "re-export the model, or restore the config.json saved with its weights"
_warned_unverified: set[str] = set()  # folders already warned about, so a run warns once


# ----------------------------------------------------------------------------------------- records


@dataclass(frozen=True)
class FileRecord:
    """What one file of a model must be: its sha256 (hex) and size in bytes."""

    sha256: str
    size: int


@dataclass(frozen=True)
class Manifest:
    """A model's pin: where it lives on the Hub and what each of its files must hash to.

    ``repo_id`` and ``revision`` are ``None`` for a model exported but not pushed yet.
    """

    name: str
    repo_id: str | None
    revision: str | None
    files: dict[str, FileRecord]

    def to_json(self) -> str:
        data = {
            "name": self.name,
            "repo_id": self.repo_id,
            "revision": self.revision,
            "files": {f: {"sha256": r.sha256, "size": r.size} for f, r in sorted(self.files.items())},
        }
        return json.dumps(data, indent=2) + "\n"


@dataclass(frozen=True)
class ModelFiles:
    """A resolved model: the folder its files are in (all checked), its config and its manifest.

    ``source`` is where it was found: ``explicit``, ``bundled``, ``cache`` or ``download``.
    ``manifest`` is ``None`` only for an explicit folder that has none.
    """

    name: str
    folder: Path
    source: str
    config: dict[str, Any]
    manifest: Manifest | None

    @property
    def weights(self) -> Path:
        return self.folder / WEIGHTS_FILE

    def load_state_dict(
        self, expected_shapes: Mapping[str, tuple[int, ...]] | None = None, prefix: str = ""
    ) -> dict[str, "torch.Tensor"]:
        """The tensors, strictly checked; errors carry the fix that fits where the files came from.

        With ``prefix`` only the tensors named ``prefix + key`` are checked and loaded (keys returned
        without it): a file may hold more networks (a discriminator) than inference builds.
        """
        return load_state_dict(
            self.weights, expected_shapes, hint=_repair_hint(self.name, self.source, self.folder),
            prefix=prefix,
        )

    def validate(self, schema: Mapping[str, "Setting"], closed: tuple[str, ...] = ()) -> None:
        """Check config.json against a model family's schema (see :func:`validate_config`)."""
        validate_config(self.config, schema, self.folder, closed)

    def module_shapes(self, build: Callable[[], Any]) -> dict[str, tuple[int, ...]]:
        """The tensor shapes of the module ``build()`` makes from config.json, found on the meta
        device: nothing is allocated, so a config that asks for a huge network costs nothing
        before :meth:`load_state_dict` compares these shapes with the file's."""
        import torch

        try:
            with torch.device("meta"):
                return {k: tuple(v.shape) for k, v in build().state_dict().items()}
        except (ArithmeticError, LookupError, TypeError, ValueError, RuntimeError) as exc:
            raise WeightsError(
                f"{self.folder / CONFIG_FILE} does not describe a model this hwrender can build "
                f"({type(exc).__name__}: {' '.join(str(exc).split())[:200]})", CONFIG_FIX) from None

    def file(self, key: str, shipped: Path | None = None) -> Path | None:
        """The file config.json's ``key`` (dotted) names, inside the model folder (see
        :func:`config_file`); ``None`` when the key is absent or empty."""
        value: Any = self.config
        for part in key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value is None or value == "":
            return None
        return config_file(self.folder, key, value, shipped)


@dataclass(frozen=True)
class ModelInfo:
    """One line of ``hwrender weights list``."""

    name: str
    repo_id: str | None
    revision: str | None
    status: str


@dataclass(frozen=True)
class FileCheck:
    """The verdict on one file: ``problem`` is ``None`` when it is what the manifest says."""

    filename: str
    path: Path | None
    size: int | None
    sha256: str | None
    problem: str | None


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


# ------------------------------------------------------------------------------- public functions


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
    if not force:
        local = _local_copy(name, manifest)
        if local is not None:
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
        if not (folder / MANIFEST_FILE).is_file():
            checks = [_check_file(folder, f, None) for f in (WEIGHTS_FILE, CONFIG_FILE)]
            return VerifyReport(name, "explicit", folder, checks, _repair_hint(name, "explicit", folder),
                                checked=False)
        manifest, source = _read_manifest(folder / MANIFEST_FILE), "explicit"
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


def push(
    folder: str | os.PathLike,
    repo_id: str,
    *,
    private: bool = False,
    commit_message: str | None = None,
    api: Any = None,
) -> str:
    """Upload a model folder to the Hub and pin the new commit in its manifest.json; returns the commit.

    The folder is checked first (valid safetensors, valid config, a model card). The manifest is
    written only after the upload succeeds, so it never pins checksums to a commit that lacks
    them; it is not uploaded itself (it names the commit it belongs to). ``api`` defaults to
    ``huggingface_hub.HfApi()`` (tests pass a fake).
    """
    folder = Path(folder)
    if not _REPO_ID.fullmatch(repo_id):
        raise UsageError(f"bad repo id {repo_id!r}", "use the form ORG/NAME, e.g. my-name/hangul-styler")
    for filename in MODEL_FILES:
        if not (folder / filename).is_file():
            raise WeightsError(
                f"{folder / filename} is missing, so {folder} cannot be pushed",
                "export the model with save_model (it writes all three files)",
            )
    _read_header(folder / WEIGHTS_FILE, hint=f"re-export the model into {folder}")
    load_config(folder)
    old = _read_manifest(folder / MANIFEST_FILE) if (folder / MANIFEST_FILE).is_file() else None
    name = old.name if old else folder.name
    if not _NAME.fullmatch(name):
        raise UsageError(
            f"{folder} is not a usable model name", "rename the folder to letters, digits, '.', '_' and '-'"
        )
    records = {f: _record(folder / f) for f in MODEL_FILES}
    reason = _offline_reason(None)
    if reason:
        raise WeightsError(
            f"cannot push {folder} while offline ({reason})", "unset HF_HUB_OFFLINE and HWRENDER_OFFLINE"
        )
    if api is None:
        from huggingface_hub import HfApi

        api = HfApi()
    from huggingface_hub.errors import HfHubHTTPError

    try:
        api.create_repo(repo_id, private=private, exist_ok=True)
        commit = api.upload_folder(
            repo_id=repo_id,
            folder_path=str(folder),
            allow_patterns=list(MODEL_FILES),
            commit_message=commit_message or f"Upload {name} with hwrender",
        )
    except HfHubHTTPError as exc:
        status = exc.response.status_code if exc.response is not None else "?"
        raise WeightsError(
            f"pushing {folder} to {repo_id} failed (HTTP {status})",
            "log in with `hf auth login` or set HF_TOKEN, and check you may write to the repo",
        ) from exc
    revision = str(commit.oid)
    if not _COMMIT.fullmatch(revision):
        raise WeightsError(
            f"the Hub answered the push to {repo_id} with {revision!r}, not a commit hash",
            "check HF_ENDPOINT points at a Hugging Face Hub",
        )
    _write_atomic(folder / MANIFEST_FILE, Manifest(name, repo_id, revision, records).to_json().encode())
    return revision


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
    tmp = folder / f".{WEIGHTS_FILE}.tmp"
    save_file(tensors, str(tmp), metadata={"format": "pt"})
    os.replace(tmp, folder / WEIGHTS_FILE)
    _write_atomic(folder / CONFIG_FILE, (json.dumps(dict(config), indent=2, sort_keys=True) + "\n").encode())
    _write_atomic(folder / CARD_FILE, card_text.encode("utf-8"))
    manifest = Manifest(name, repo_id, revision, {f: _record(folder / f) for f in MODEL_FILES})
    _write_atomic(folder / MANIFEST_FILE, manifest.to_json().encode())
    return manifest


def update_card(folder: str | os.PathLike, card_text: str) -> Manifest | None:
    """Replace a model folder's card (e.g. with evaluation figures) and re-pin its manifest.

    The Hub pin (repo, revision) is kept only if the card did not change: a new card means a
    new revision that ``push`` has to publish.
    """
    folder = Path(folder)
    _write_atomic(folder / CARD_FILE, card_text.encode("utf-8"))
    path = folder / MANIFEST_FILE
    if not path.is_file():
        return None
    old = _read_manifest(path)
    files = {f: _record(folder / f) for f in MODEL_FILES}
    same = files == old.files
    manifest = Manifest(old.name, old.repo_id if same else None, old.revision if same else None,
                        files)
    _write_atomic(path, manifest.to_json().encode())
    return manifest


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


# ------------------------------------------------------------------------------ config.json checks


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


# ------------------------------------------------------------------------------------- resolution


def _resolve_explicit(name: str, folder: Path) -> ModelFiles:
    if not folder.is_dir():
        raise UsageError(
            f"--weights {folder}: no such folder",
            f"pass the folder that holds {WEIGHTS_FILE} and {CONFIG_FILE}",
        )
    if not (folder / WEIGHTS_FILE).exists() and (folder / name).is_dir():
        folder = folder / name  # a folder of model folders, as weights/ itself is
    manifest_path = folder / MANIFEST_FILE
    if manifest_path.is_file():
        return _checked(name, folder, _read_manifest(manifest_path), "explicit")
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


def _checked(name: str, folder: Path, manifest: Manifest, source: str) -> ModelFiles:
    """The model in ``folder``, every file checked against the manifest (raises on the first problem)."""
    for filename, record in sorted(manifest.files.items()):
        check = _check_file(folder, filename, record)
        if check.problem:
            raise WeightsError(f"{folder / filename}: {check.problem}", _repair_hint(name, source, folder))
    return ModelFiles(name, folder, source, load_config(folder), manifest)


def _check_file(folder: Path, filename: str, record: FileRecord | None) -> FileCheck:
    """Check one file: present, the right size, a valid safetensors header (weights), the right sha256."""
    path = folder / filename
    if not path.is_file():
        return FileCheck(filename, path, None, None, "missing")
    size = path.stat().st_size
    if filename == WEIGHTS_FILE:
        try:
            _read_header(path, hint="")
        except WeightsError as exc:
            return FileCheck(filename, path, size, None, exc.message.removeprefix(f"{path}: "))
    elif filename == CONFIG_FILE and record is None:
        try:
            load_config(folder)
        except WeightsError as exc:
            return FileCheck(filename, path, size, None, exc.message)
    if record is not None and size != record.size:
        return FileCheck(
            filename,
            path,
            size,
            None,
            f"size {size} bytes, manifest says {record.size} (truncated or replaced)",
        )
    digest = _sha256(path)
    if record is not None and digest != record.sha256:
        return FileCheck(
            filename,
            path,
            size,
            digest,
            f"checksum mismatch: sha256 {digest[:12]}…, manifest says {record.sha256[:12]}…",
        )
    return FileCheck(filename, path, size, digest, None)


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


def _complete(folder: Path | None, manifest: Manifest) -> bool:
    return folder is not None and all((folder / f).is_file() for f in manifest.files)


def _repair_hint(name: str, source: str, folder: Path | None) -> str:
    """The fix for a damaged file, which depends on where it came from."""
    if source == "explicit":
        return f"replace the files in {folder} with a good copy, or re-export the model"
    if source == "bundled":
        return "reinstall hwrender (pip install --force-reinstall hwrender), or pass --weights DIR"
    return f"run `hwrender weights pull {name} --force`"


def _offline_reason(offline: bool | None) -> str | None:
    """Why we are offline (for the message), or None when the network may be used."""
    if offline is not None:
        return "--offline" if offline else None
    for var in ("HWRENDER_OFFLINE", "HF_HUB_OFFLINE"):
        if os.environ.get(var, "").strip().lower() in _TRUE:
            return f"{var}={os.environ[var]}"
    return None


def _refuse_if_offline(name: str, offline: bool | None) -> None:
    reason = _offline_reason(offline)
    if reason is None:
        return
    raise WeightsError(
        f"model {name!r} is not downloaded and hwrender is offline ({reason})",
        f"run `hwrender weights pull {name}` while online, or pass --weights DIR",
    )


# --------------------------------------------------------------------------------- the Hub cache


def _hub_cache() -> Path:
    """The Hugging Face cache folder, by huggingface_hub's own rules, read now rather than at import.

    Reading the environment here keeps listings free of the huggingface_hub import and lets the
    caller (or a test) redirect the cache at any time.
    """
    env = os.environ
    if env.get("HF_HUB_CACHE"):
        return Path(os.path.expandvars(env["HF_HUB_CACHE"])).expanduser()
    if env.get("HF_HOME"):
        return Path(os.path.expandvars(env["HF_HOME"])).expanduser() / "hub"
    base = env.get("XDG_CACHE_HOME") or os.path.join("~", ".cache")
    return Path(base).expanduser() / "huggingface" / "hub"


def _snapshot_folder(manifest: Manifest) -> Path | None:
    """Where the cache keeps the pinned revision's files (the cache's documented layout).

    Looked up directly rather than with ``hf_hub_download(local_files_only=True)``: in
    huggingface_hub 2.4 that call still builds request headers, which can GET
    ``/api/agent-harnesses`` from the Hub, and offline must mean no network at all.
    """
    if not (manifest.repo_id and manifest.revision):
        return None  # not published: the bundled copy is the only one
    repo_folder = "models--" + manifest.repo_id.replace("/", "--")
    return _hub_cache() / repo_folder / "snapshots" / manifest.revision


def _download(name: str, manifest: Manifest, force: bool) -> ModelFiles:
    """Download every file at the pinned revision into the cache, and check it; a bad file is removed."""
    if not (manifest.repo_id and manifest.revision):
        raise WeightsError(
            f"model {name!r} is not published on the Hub (its manifest pins no repo and revision) "
            "and its bundled copy is missing or incomplete",
            "reinstall hwrender (pip install --force-reinstall hwrender), or pass --weights DIR")
    from huggingface_hub import constants, hf_hub_download
    from huggingface_hub.errors import (
        HfHubHTTPError,
        LocalEntryNotFoundError,
        OfflineModeIsEnabled,
        RemoteEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    where = f"{manifest.repo_id}@{manifest.revision[:7]}"
    paths = {}
    for filename in sorted(manifest.files):
        try:
            paths[filename] = Path(
                hf_hub_download(
                    manifest.repo_id,
                    filename,
                    revision=manifest.revision,
                    cache_dir=_hub_cache(),
                    force_download=force,
                    local_files_only=False,
                )
            )
        except RemoteEntryNotFoundError:
            raise WeightsError(
                f"{filename} of model {name!r} is missing on the Hub ({where})",
                "the pinned revision lacks it: reinstall hwrender, or pass --weights DIR",
            ) from None
        except RevisionNotFoundError:
            raise WeightsError(
                f"the Hub repo {manifest.repo_id} has no revision {manifest.revision}",
                "reinstall hwrender, or pass --weights DIR",
            ) from None
        except RepositoryNotFoundError:
            raise WeightsError(
                f"the Hub repo {manifest.repo_id} of model {name!r} was not found or is private",
                "log in with `hf auth login` if it is private, or pass --weights DIR",
            ) from None
        except (LocalEntryNotFoundError, OfflineModeIsEnabled, ValueError) as exc:
            # No answer from the Hub. With force_download, huggingface_hub reports this as ValueError.
            cause = exc.__cause__ or exc
            raise WeightsError(
                f"cannot download {filename} of model {name!r} from {constants.ENDPOINT} "
                f"({type(cause).__name__})",
                "check the connection and HF_ENDPOINT, or pass --weights DIR",
            ) from None
        except HfHubHTTPError as exc:
            status = exc.response.status_code if exc.response is not None else "?"
            raise WeightsError(
                f"downloading {filename} of model {name!r} from {where} failed (HTTP {status})",
                "try again later, or pass --weights DIR",
            ) from None
        except OSError as exc:
            raise WeightsError(
                f"cannot store {filename} of model {name!r} in {_hub_cache()} "
                f"({exc.strerror or type(exc).__name__})",
                "check the free space and permissions of the cache (HF_HOME)",
            ) from None
    for filename, path in paths.items():
        check = _check_file(path.parent, filename, manifest.files[filename])
        if check.problem:
            _evict(path)
            raise WeightsError(
                f"{filename} of model {name!r} from {where}: {check.problem}",
                "the bad copy was removed from the cache, so try again; if it persists, the Hub "
                "copy differs from the one this hwrender pins: pass --weights DIR",
            )
    folder = paths[WEIGHTS_FILE].parent
    return ModelFiles(name, folder, "download", load_config(folder), manifest)


def _evict(pointer: Path) -> None:
    """Remove a bad download from the cache: the snapshot entry and the blob it points to."""
    blob = pointer.resolve()
    pointer.unlink(missing_ok=True)
    if blob != pointer:
        blob.unlink(missing_ok=True)


# ------------------------------------------------------------------------------ bundled manifests


def _bundled_root() -> Path | None:
    """The folder holding one sub-folder per model: HWRENDER_WEIGHTS_ROOT, else the hwrender_weights package.

    Found with ``find_spec`` (not ``importlib.resources.files``) so it works whether or not the
    package has an ``__init__.py``, and without importing it.
    """
    if os.environ.get("HWRENDER_WEIGHTS_ROOT"):
        return Path(os.environ["HWRENDER_WEIGHTS_ROOT"])
    from importlib.util import find_spec

    spec = find_spec("hwrender_weights")
    if spec is None or not spec.submodule_search_locations:  # a source checkout that is not pip-installed
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _bundled_folder(name: str) -> Path | None:
    root = _bundled_root()
    return None if root is None else root / name


def _known_names() -> list[str]:
    root = _bundled_root()
    if root is None or not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir()
                  if (p / MANIFEST_FILE).is_file() or (p / WEIGHTS_FILE).is_file())


def _known_manifest(name: str) -> Manifest:
    folder = _bundled_folder(name)
    if _NAME.fullmatch(name) and folder is not None and not (folder / MANIFEST_FILE).is_file() \
            and (folder / WEIGHTS_FILE).is_file():
        # Every bundled model ships its manifest; without it nothing could be checked, so refuse
        # rather than load unchecked files or quietly treat the model as unknown.
        raise WeightsError(
            f"the bundled model folder {folder} has no {MANIFEST_FILE}, so its files cannot be checked",
            "reinstall hwrender (pip install --force-reinstall hwrender), or pass --weights DIR")
    if not _NAME.fullmatch(name) or folder is None or not (folder / MANIFEST_FILE).is_file():
        known = ", ".join(_known_names()) or f"none (no manifests in {_bundled_root()})"
        raise UsageError(
            f"unknown model {name!r}; known models: {known}",
            "see `hwrender weights list`, or pass --weights DIR",
        )
    manifest = _read_manifest(folder / MANIFEST_FILE)
    if manifest.name != name:
        raise WeightsError(
            f"bad manifest {folder / MANIFEST_FILE}: it names model {manifest.name!r}, not {name!r}",
            "reinstall hwrender",
        )
    if (manifest.repo_id is None) != (manifest.revision is None):
        raise WeightsError(
            f"bad manifest {folder / MANIFEST_FILE}: it pins a repo without a revision or the reverse",
            "push the model (hwrender weights push) and ship the manifest it writes",
        )
    return manifest  # neither pinned: bundled only, not published on the Hub yet


def _read_manifest(path: Path) -> Manifest:
    """Parse and validate a manifest.json; any flaw is a one-line WeightsError naming the file."""

    def bad(problem: str) -> WeightsError:
        return WeightsError(
            f"bad manifest {path}: {problem}",
            "restore it (reinstall hwrender, or re-run save_model/push for your own model)",
        )

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise bad(f"unreadable ({exc})") from None
    if not isinstance(data, dict):
        raise bad("not a JSON object")
    name, repo_id, revision, files = (data.get(k) for k in ("name", "repo_id", "revision", "files"))
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise bad(f"name {name!r} is not a model name")
    if repo_id is not None and (not isinstance(repo_id, str) or not _REPO_ID.fullmatch(repo_id)):
        raise bad(f"repo_id {repo_id!r} is not of the form ORG/NAME")
    if revision is not None and (not isinstance(revision, str) or not _COMMIT.fullmatch(revision)):
        raise bad(f"revision {revision!r} is not a 40-character commit hash")
    if not isinstance(files, dict) or WEIGHTS_FILE not in files or CONFIG_FILE not in files:
        raise bad(f"files must list at least {WEIGHTS_FILE} and {CONFIG_FILE}")
    records = {}
    for filename, entry in files.items():
        if not _NAME.fullmatch(filename):  # also rules out paths escaping the folder
            raise bad(f"file name {filename!r} is not a plain file name")
        sha, size = (entry.get("sha256"), entry.get("size")) if isinstance(entry, dict) else (None, None)
        if not isinstance(sha, str) or not _SHA256.fullmatch(sha):
            raise bad(f"{filename}: sha256 {sha!r} is not 64 hex digits")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise bad(f"{filename}: size {size!r} is not a byte count")
        records[filename] = FileRecord(sha, size)
    return Manifest(name, repo_id, revision, records)


# ------------------------------------------------------------------------------------ safetensors


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


# ---------------------------------------------------------------------------------------- files


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _record(path: Path) -> FileRecord:
    return FileRecord(_sha256(path), path.stat().st_size)


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)

"""What a model should be: its file names, the manifest that pins its Hub revision and the sha256 of
each file, and the manifests bundled in ``hwrender_weights``."""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError, WeightsError

WEIGHTS_FILE = "model.safetensors"


CONFIG_FILE = "config.json"


CARD_FILE = "README.md"


MANIFEST_FILE = "manifest.json"


MODEL_FILES = (WEIGHTS_FILE, CONFIG_FILE, CARD_FILE)


_COMMIT = re.compile(r"[0-9a-f]{40}")


_SHA256 = re.compile(r"[0-9a-f]{64}")


_REPO_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*")


_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


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


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _record(path: Path) -> FileRecord:
    return FileRecord(_sha256(path), path.stat().st_size)

"""The Hugging Face Hub: where its cache keeps a pinned revision, downloading one, pushing a model, and
when the network may not be used."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..atomic import write_atomic
from ..errors import UsageError, WeightsError
from .config import load_config
from .manifest import (
    MANIFEST_FILE, MODEL_FILES, Manifest, WEIGHTS_FILE, _COMMIT, _NAME, _REPO_ID, _read_manifest, _record,
)
from .model import ModelFiles, _check_file
from .tensors import _read_header

_TRUE = {"1", "true", "yes", "on"}


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
            raise WeightsError(f"downloading {filename} of model {name!r} from {where} failed "
                               f"(HTTP {_http_status(exc)})", "try again later, or pass --weights DIR") from None
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


def _http_status(exc) -> object:
    """The HTTP status of a failed Hub call, or "?" when no response came back."""
    return exc.response.status_code if exc.response is not None else "?"


def _evict(pointer: Path) -> None:
    """Remove a bad download from the cache: the snapshot entry and the blob it points to."""
    blob = pointer.resolve()
    pointer.unlink(missing_ok=True)
    if blob != pointer:
        blob.unlink(missing_ok=True)


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
        raise WeightsError(
            f"pushing {folder} to {repo_id} failed (HTTP {_http_status(exc)})",
            "log in with `hf auth login` or set HF_TOKEN, and check you may write to the repo",
        ) from exc
    revision = str(commit.oid)
    if not _COMMIT.fullmatch(revision):
        raise WeightsError(
            f"the Hub answered the push to {repo_id} with {revision!r}, not a commit hash",
            "check HF_ENDPOINT points at a Hugging Face Hub",
        )
    write_atomic(folder / MANIFEST_FILE, Manifest(name, repo_id, revision, records).to_json().encode())
    return revision

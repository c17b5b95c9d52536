"""A resolved model folder (``ModelFiles``) and the checks of its files against a manifest."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

from ..errors import WeightsError
from .config import CONFIG_FIX, Setting, config_file, load_config, validate_config
from .manifest import CONFIG_FILE, FileRecord, Manifest, WEIGHTS_FILE, _sha256
from .tensors import _read_header, load_state_dict

if TYPE_CHECKING:  # pragma: no cover
    import torch

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
class FileCheck:
    """The verdict on one file: ``problem`` is ``None`` when it is what the manifest says."""

    filename: str
    path: Path | None
    size: int | None
    sha256: str | None
    problem: str | None


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
        return FileCheck(filename, path, size, None,
                         f"size {size} bytes, manifest says {record.size} (truncated or replaced)")
    digest = _sha256(path)
    if record is not None and digest != record.sha256:
        return FileCheck(filename, path, size, digest,
                         f"checksum mismatch: sha256 {digest[:12]}…, manifest says {record.sha256[:12]}…")
    return FileCheck(filename, path, size, digest, None)


def _complete(folder: Path | None, manifest: Manifest) -> bool:
    return folder is not None and all((folder / f).is_file() for f in manifest.files)


def _repair_hint(name: str, source: str, folder: Path | None) -> str:
    """The fix for a damaged file, which depends on where it came from."""
    if source == "explicit":
        return f"replace the files in {folder} with a good copy, or re-export the model"
    if source == "bundled":
        return "reinstall hwrender (pip install --force-reinstall hwrender), or pass --weights DIR"
    return f"run `hwrender weights pull {name} --force`"

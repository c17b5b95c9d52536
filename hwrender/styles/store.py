"""The styles store: one folder per stored style under the user's data folder (torch-free).

``<root>/<name>/`` holds ``style.json`` (:data:`~hwrender.styles.types.STYLE_FORMAT`), one
``<model>.safetensors`` per part and ``card.md``. The root is ``$HWRENDER_STYLES_DIR`` or
``platformdirs.user_data_dir("hwrender")/styles``. A style is written into a hidden temporary folder
in the root and renamed into place only when complete (``install``), so an error or Ctrl-C leaves
the previous state; what a killed process left is swept on the next write. ``export`` packs a style
into one ``.hwstyle`` file (a zip of those files); ``import_`` checks one thoroughly before
installing it (names, no paths, safetensors headers, sizes; never pickle).
"""

from __future__ import annotations

import io
import json
import os
import re
import secrets
import shutil
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable

from ..atomic import pid_alive
from ..errors import InputError, OutputError, UsageError
from .types import STYLE_FORMAT, STYLE_VERSION, UserStyle

ENV = "HWRENDER_STYLES_DIR"
NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_NUMBER = re.compile(r"[0-9]+")
STYLE_FILE = "style.json"
CARD_FILE = "card.md"
PART_SUFFIX = ".safetensors"
EXPORT_SUFFIX = ".hwstyle"
# What an imported file may hold: generous for a fine-tuned network, small for the text files.
MAX_PART_BYTES = 1 << 30
MAX_TOTAL_BYTES = 2 << 30
MAX_TEXT_BYTES = 1 << 20
MAX_ENTRIES = 64
_TEMP = (".tmp-", ".old-")
STALE_S = 2 * 24 * 3600  # a temp folder of a process that is gone, or older than this, is swept
_LISTS = "`hwrender styles list` lists the stored styles"


def root() -> Path:
    """Where styles are stored (not created here)."""
    env = os.environ.get(ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("hwrender")) / "styles"


def shipped_style_names(registry=None) -> set[str]:
    """Every named style of the installed generators' shipped models (a stored style may not
    shadow one: ``--style NAME`` would never reach it)."""
    from ..registry import default_registry

    registry = registry or default_registry()
    return {name for spec in registry.specs() for name in spec.styles}


def check_name(name: object, registry=None, what: str = "style name") -> str:
    """``name`` if a new style may take it, else a UsageError saying why."""
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise UsageError(f"{what} {name!r} is not allowed",
                         "use 1-64 of a-z 0-9 . _ - starting with a letter or digit, e.g. my-hand")
    if _NUMBER.fullmatch(name):
        raise UsageError(f"{what} {name!r} is a number, which --style takes as a seeded hand",
                         "give it a name with a letter, e.g. my-hand")
    if name in shipped_style_names(registry):
        raise UsageError(f"{what} {name!r} is a shipped model's named style",
                         "choose another name, e.g. my-" + name)
    return name


def find(name: str) -> UserStyle | None:
    """The stored style ``name``, or ``None`` when there is none (a name no style can have
    included)."""
    folder = _stored_folder(name)
    return None if folder is None else UserStyle.load(folder)


def _stored_folder(name: object) -> Path | None:
    """The folder of the stored style ``name`` (not read), or ``None``."""
    if not isinstance(name, str) or not NAME.fullmatch(name):
        return None
    folder = root() / name
    return folder if (folder / STYLE_FILE).is_file() else None


def get(name: str) -> UserStyle:
    style = find(name)
    if style is None:
        raise UsageError(f"no stored style named {name!r}", _LISTS)
    return style


@dataclass(frozen=True)
class StyleInfo:
    """One line of ``hwrender styles list``."""

    name: str
    models: tuple[str, ...]
    samples: int
    created: str
    folder: Path


def _read_index(folder: Path) -> dict:
    from ..errors import WeightsError

    try:
        data = json.loads((folder / STYLE_FILE).read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("format") != STYLE_FORMAT:
            raise ValueError("not an hwrender style")
        return data
    except (OSError, ValueError) as exc:
        raise WeightsError(f"style folder {folder} is unreadable ({exc})",
                           f"remove it with `hwrender styles remove {folder.name}` and add it again") \
            from None


def list_styles() -> list[StyleInfo]:
    """The stored styles, by name (an unreadable one is listed with what is known)."""
    base = root()
    out = []
    for folder in sorted(base.iterdir()) if base.is_dir() else []:
        if not NAME.fullmatch(folder.name) or not (folder / STYLE_FILE).is_file():
            continue
        try:
            data = _read_index(folder)
            if not isinstance(data.get("parts") or {}, dict):
                raise ValueError("parts is not a table")
            info = StyleInfo(folder.name, tuple(sorted(str(m) for m in data.get("parts") or {})),
                             int(data.get("samples") or 0), str(data.get("created", "")), folder)
        except Exception:  # a listing never breaks over one bad style
            info = StyleInfo(folder.name, (), 0, "unreadable", folder)
        out.append(info)
    return out


def card(name: str) -> str:
    """The style's card (``card.md``)."""
    folder = get(name).folder
    try:
        return (folder / CARD_FILE).read_text(encoding="utf-8")
    except OSError:
        return make_card(_read_index(folder))


def remove(name: str) -> Path:
    """Delete the stored style ``name``; returns where it was. A damaged style is removed too
    (its folder is not read: removing it is what its errors advise)."""
    folder = _stored_folder(name)
    if folder is None:
        raise UsageError(f"no stored style named {name!r}", _LISTS)
    doomed = _temp_path(".old-")
    os.replace(folder, doomed)  # gone from the store at once, however long deleting takes
    shutil.rmtree(doomed, ignore_errors=True)
    return folder


# -- writing ---------------------------------------------------------------------------------------
def _temp_path(prefix: str) -> Path:
    return root() / f"{prefix}{os.getpid()}-{secrets.token_hex(4)}"



def sweep() -> list[Path]:
    """Remove the temporary folders that interrupted or killed writes left; returns them."""
    base = root()
    swept = []
    for path in base.iterdir() if base.is_dir() else []:
        if not path.name.startswith(_TEMP):
            continue
        pid = path.name[5:].partition("-")[0]
        try:
            age = time.time() - path.stat().st_mtime
        except OSError:
            continue
        if (pid.isdigit() and not pid_alive(int(pid))) or age > STALE_S:
            shutil.rmtree(path, ignore_errors=True)
            swept.append(path)
    return swept


def check_free(name: str, force: bool) -> None:
    if not force and (root() / name).exists():
        raise UsageError(f"a style named {name!r} exists",
                         "add --force to replace it, or choose another name")


def writable_root() -> Path:
    """The styles folder, created if need be; ``OutputError`` when no style can be written there
    (checked before a fit of minutes, not after)."""
    base = root()
    try:
        base.mkdir(parents=True, exist_ok=True)
        if not os.access(base, os.W_OK | os.X_OK):
            raise PermissionError(13, "Permission denied")
    except OSError as exc:
        raise OutputError(f"cannot create the styles folder {base}: {exc.strerror}"
                          if not base.is_dir() else f"cannot write in the styles folder {base}: {exc.strerror}",
                          f"check its permissions, or set {ENV} to another folder") from None
    return base


def install(name: str, build: Callable[[Path], object], *, force: bool = False) -> UserStyle:
    """Make the style ``name``: ``build(folder)`` fills a temporary folder in the store, which
    replaces ``<root>/<name>`` only when ``build`` returned. Any error (or Ctrl-C) inside leaves
    the store as it was."""
    check_free(name, force)
    base = writable_root()
    sweep()
    tmp = _temp_path(".tmp-")
    tmp.mkdir()
    try:
        build(tmp)
        UserStyle.load(tmp)  # what was written reads back
        check_free(name, force)  # another process may have added it meanwhile
        target = base / name
        old = None
        if target.exists():
            old = _temp_path(".old-")
            os.replace(target, old)
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return UserStyle.load(target)


def write_style(folder: Path, index: dict, tensors: dict) -> None:
    """Write a style's files into ``folder``: ``style.json`` (``index``), one safetensors file per
    part (``tensors``: model -> {name: torch.Tensor}) and ``card.md``."""
    from safetensors.torch import save_file

    for model, part in tensors.items():
        save_file({k: v.detach().cpu().contiguous() for k, v in dict(part).items()},
                  str(folder / f"{model}{PART_SUFFIX}"))
    (folder / STYLE_FILE).write_text(json.dumps(index, indent=2, sort_keys=True) + "\n",
                                     encoding="utf-8")
    (folder / CARD_FILE).write_text(make_card(index), encoding="utf-8")


def make_card(index: dict) -> str:
    """The style's card: when and from what it was made, and per model what the fit measured."""
    parts = index.get("parts") or {}
    lines = [f"# Style {index.get('name')}", "",
             f"Made {index.get('created', '?')} with hwrender {index.get('hwrender', '?')} from "
             f"{index.get('samples', '?')} samples; parts for {', '.join(sorted(parts)) or 'no model'}.",
             ""]
    if parts:
        lines += ["| model | samples used | fit time | base model |", "| --- | --- | --- | --- |"]
        for model, entry in sorted(parts.items()):
            lines.append(f"| {model} | {entry.get('used', '?')} | {float(entry.get('fit_s', 0)):.1f} s "
                         f"| {_base(entry.get('config') or {})} |")
        lines.append("")
    for model, entry in sorted(parts.items()):
        figures, notes = entry.get("figures") or {}, entry.get("notes") or []
        if not figures and not notes:
            continue
        lines += [f"## {model}", ""]
        lines += [f"- {key}: {_figure(value)}" for key, value in sorted(figures.items())]
        lines += [f"- {note}" for note in notes]
        lines.append("")
    return "\n".join(lines)


def _base(config: dict) -> str:
    """The base model the part was fitted to, as the fitter recorded it."""
    for key in sorted(config):
        value = config[key]
        if key.startswith("base") and isinstance(value, dict):  # {"model": ..., "sha256": ...}
            key, value = "base_sha256", value.get("sha256")
        if key.startswith("base") and isinstance(value, (str, int, float)):
            value = str(value)
            return f"{key} {value[:16]}{'…' if len(value) > 16 else ''}"
    return "not recorded"


def _figure(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return json.dumps(value) if isinstance(value, (dict, list)) else str(value)


# -- export and import -----------------------------------------------------------------------------
def export(name: str, output: str | os.PathLike | BinaryIO) -> Path | None:
    """Pack the stored style ``name`` into one ``.hwstyle`` file at ``output`` (a path, written
    atomically; ``"-"`` for standard output; or a binary file object). Returns the path."""
    style = get(name)
    data = _pack(style.folder)
    if isinstance(output, (str, os.PathLike)) and os.fspath(output) != "-":
        from ..atomic import write_atomic

        path = Path(output)
        if path.is_dir():
            raise UsageError(f"{path} is a folder", f"give a file name such as {name}{EXPORT_SUFFIX}")
        try:
            return write_atomic(path, data)
        except OSError as exc:
            raise OutputError(f"cannot write {path}: {exc.strerror}",
                              "check the folder exists and is writable") from None
    stream = sys.stdout.buffer if not hasattr(output, "write") else output
    stream.write(data)  # type: ignore[union-attr]
    stream.flush()  # type: ignore[union-attr]
    return None


def _pack(folder: Path) -> bytes:
    """The ``.hwstyle`` bytes of a stored style, each part checked first: a missing or damaged
    part is an error here, not a file that ``styles import`` refuses later."""
    from ..errors import WeightsError
    from ..weights.tensors import _read_header

    index = _read_index(folder)
    for model in sorted(index.get("parts") or {}):
        path = folder / f"{model}{PART_SUFFIX}"
        try:
            if not path.is_file():
                raise WeightsError(f"{path}: missing")
            _read_header(path, hint="")
        except WeightsError as exc:
            problem = exc.message.removeprefix(f"{path}: ")
            raise WeightsError(f"style {folder.name!r}: its {model} part {path.name} is {problem}",
                               f"remove it with `hwrender styles remove {folder.name}` and add it "
                               "again") from None
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.write(folder / STYLE_FILE, STYLE_FILE, compress_type=zipfile.ZIP_DEFLATED)
        if (folder / CARD_FILE).is_file():
            zf.write(folder / CARD_FILE, CARD_FILE, compress_type=zipfile.ZIP_DEFLATED)
        for model in sorted(index.get("parts") or {}):
            zf.write(folder / f"{model}{PART_SUFFIX}", f"{model}{PART_SUFFIX}")
    return buf.getvalue()


def import_(source: str | os.PathLike | BinaryIO, name: str | None = None, *,
            force: bool = False, registry=None) -> UserStyle:
    """Install the style packed in ``source`` (a ``.hwstyle`` path, ``"-"`` for standard input,
    or a binary file object), as ``name`` if given. Everything is checked before anything is
    written: a zip of only ``style.json``, ``card.md`` and the parts' safetensors files, flat
    names, sizes within limits, valid safetensors headers (never pickle)."""
    where = str(source) if isinstance(source, (str, os.PathLike)) else "the style file"
    if isinstance(source, (str, os.PathLike)) and os.fspath(source) == "-":
        source = io.BytesIO(sys.stdin.buffer.read())
    elif isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise InputError(f"{path} does not exist" if not path.exists() else f"{path} is not a file",
                             f"give a {EXPORT_SUFFIX} file `hwrender styles export` wrote")
    try:
        with zipfile.ZipFile(source) as zf:
            index, files = _checked_zip(zf, where)
            new = index["name"] if name is None else name
            check_name(new, registry)
            check_free(new, force)
            index = {**index, "name": new}

            def build(folder: Path) -> None:
                for entry in files:
                    _extract(zf, entry, folder / entry.filename, where)
                (folder / STYLE_FILE).write_text(json.dumps(index, indent=2, sort_keys=True) + "\n",
                                                 encoding="utf-8")
                _check_parts(folder, index, where)

            return install(new, build, force=force)
    except zipfile.BadZipFile as exc:
        raise InputError(f"{where} is not a style file ({exc})",
                         f"give a {EXPORT_SUFFIX} file `hwrender styles export` wrote") from None


def _bad(where: str, problem: str) -> InputError:
    return InputError(f"{where}: {problem}",
                      "export the style again with `hwrender styles export`; only such files are read")


def _checked_zip(zf: zipfile.ZipFile, where: str) -> tuple[dict, list[zipfile.ZipInfo]]:
    """The style's index and the zip entries to extract, after every check that needs no
    extraction."""
    entries = zf.infolist()
    if len(entries) > MAX_ENTRIES:
        raise _bad(where, f"{len(entries)} files, more than a style has")
    names = [e.filename for e in entries]
    if len(set(names)) != len(names):
        raise _bad(where, "a file name appears twice")
    for e in entries:
        n = e.filename
        if "/" in n or "\\" in n or n in (".", "..") or ":" in n or n.startswith(".") or not n:
            raise _bad(where, f"{n!r} is not a plain file name (paths are refused)")
        if (e.external_attr >> 16) & 0o170000 not in (0, 0o100000):
            raise _bad(where, f"{n} is not a regular file (links are refused)")
    by_name = {e.filename: e for e in entries}
    if STYLE_FILE not in by_name:
        raise _bad(where, f"no {STYLE_FILE}")
    if by_name[STYLE_FILE].file_size > MAX_TEXT_BYTES:
        raise _bad(where, f"{STYLE_FILE} is too large")
    try:
        index = json.loads(_read_limited(zf, by_name[STYLE_FILE], MAX_TEXT_BYTES).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _bad(where, f"{STYLE_FILE} is unreadable ({exc})") from None
    if not isinstance(index, dict) or index.get("format") != STYLE_FORMAT:
        raise _bad(where, "not an hwrender style")
    version = index.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _bad(where, f"bad style format version {version!r}")
    if version > STYLE_VERSION:
        raise InputError(f"{where} is style format {version}, newer than this hwrender reads "
                         f"({STYLE_VERSION})", "upgrade hwrender")
    if not isinstance(index.get("name"), str) or not NAME.fullmatch(index["name"]):
        raise _bad(where, f"bad style name {index.get('name')!r}")
    parts = index.get("parts")
    if not isinstance(parts, dict) or not parts:
        raise _bad(where, "no parts")
    for model, entry in parts.items():
        if not isinstance(model, str) or not NAME.fullmatch(model) or not isinstance(entry, dict) \
                or not isinstance(entry.get("config", {}), dict):
            raise _bad(where, f"bad part {model!r}")
    wanted = {f"{m}{PART_SUFFIX}" for m in parts}
    allowed = wanted | {STYLE_FILE, CARD_FILE}
    for n in names:
        if n not in allowed:
            raise _bad(where, f"unexpected file {n} (a style holds only {STYLE_FILE}, {CARD_FILE} "
                              f"and its parts' {PART_SUFFIX} files; pickle is never read)")
    missing = sorted(wanted - set(names))
    if missing:
        raise _bad(where, f"{missing[0]} is missing")
    if CARD_FILE in by_name and by_name[CARD_FILE].file_size > MAX_TEXT_BYTES:
        raise _bad(where, f"{CARD_FILE} is too large")
    total = 0
    for e in entries:
        if e.file_size > MAX_PART_BYTES:
            raise _bad(where, f"{e.filename} is {e.file_size:,} bytes, more than a style part may be")
        total += e.file_size
    if total > MAX_TOTAL_BYTES:
        raise _bad(where, f"{total:,} bytes unpacked, more than a style may be")
    return index, [e for e in entries if e.filename != STYLE_FILE]


def _read_limited(zf: zipfile.ZipFile, entry: zipfile.ZipInfo, limit: int) -> bytes:
    with zf.open(entry) as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise _bad("the style file", f"{entry.filename} is larger than it says")
    return data


def _extract(zf: zipfile.ZipFile, entry: zipfile.ZipInfo, target: Path, where: str) -> None:
    """Copy one entry, never more bytes than its header declares (a zip bomb stops there)."""
    left = entry.file_size
    with zf.open(entry) as src, target.open("wb") as dst:
        while True:
            chunk = src.read(min(1 << 20, left + 1))
            if not chunk:
                break
            left -= len(chunk)
            if left < 0:
                raise _bad(where, f"{entry.filename} is larger than it says")
            dst.write(chunk)


def _check_parts(folder: Path, index: dict, where: str) -> None:
    """Each part is a valid safetensors file (checked in pure Python: pickle is never touched)."""
    from ..errors import WeightsError
    from ..weights.tensors import _read_header

    for model in index["parts"]:
        path = folder / f"{model}{PART_SUFFIX}"
        try:
            _read_header(path, hint="")
        except WeightsError as exc:
            problem = exc.message.removeprefix(f"{path}: ")
            raise _bad(where, f"{path.name} is not a valid safetensors file ({problem})") from None

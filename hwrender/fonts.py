"""The font corpus: the open handwriting fonts the generators train on, and the plain source fonts.

``fonts.json`` (shipped with the package) lists one record per face: where it comes from (a Debian
package, or an npm ``@fontsource`` package converted and merged to one TTF here), its licence, and the
flags training needs. Faces marked ``holdout`` are kept for evaluation and never trained on; a family is
never split between the two. Debian fonts are found under ``/usr/share/fonts``, converted npm fonts in
``fonts_dir()``. Pure Python and fontTools (imported only where a font is read or written): no torch.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from .atomic import atomic_path
from .errors import HwrenderError, InputError, UsageError

MANIFEST = Path(__file__).with_name("fonts.json")
SCRIPTS = ("Latn", "Hang", "Hani")
ROLES = ("handwriting", "source")
SPLITS = ("train", "holdout", "all")
LICENSES = frozenset({"OFL-1.1", "OFL-1.0", "Apache-2.0", "GPL-2.0", "GPL-3.0", "LGPL-2.0",
                      "CC-BY-SA-3.0", "Artistic", "Arphic-PL"})
# Where Debian font packages install; a module constant so tests can point it elsewhere.
SYSTEM_FONT_DIRS: tuple[Path, ...] = (Path("/usr/share/fonts"),)
# Slices of fontsource packages: <name>-<subset>-<weight>-<style>.woff[2], subset a name or a number.
_SLICE = re.compile(r"(?P<subset>[a-z0-9-]+?)-(?P<weight>\d{3})-(?P<style>normal|italic)\.(?P<ext>woff2?)")
_LAYOUT_TABLES = ("GSUB", "GPOS", "GDEF")


# ----------------------------------------------------------------------------------------- records


@dataclass(frozen=True)
class FontRecord:
    """One face of the corpus, as fonts.json describes it.

    ``source`` is ``{"apt": package, "file": installed file name}`` or ``{"npm": "@fontsource/<name>",
    "weight": 400, "subsets": [...] | "all", "drop_layout": bool}`` (the slices merged into one TTF).
    """

    id: str
    family: str
    scripts: tuple[str, ...]
    role: str
    source: Mapping[str, Any] = field(hash=False)
    license: str
    url: str
    holdout: bool = False
    caps_only: bool = False       # lower-case code points draw capitals
    no_lowercase: bool = False    # lower-case code points are missing or blank
    outlined_caps: bool = False   # capitals (and digits) are drawn as outlines, not strokes
    hard_to_read: bool = False    # barely legible even to people: keep out of legibility metrics
    # joined or ornate Latin that Tesseract reads at CER > 0.125 on 40 lines of training words
    # (scripts/latin_font_legibility.py): kept out of the Latin word data
    latin_ocr_hard: bool = False
    bundle_ok: bool = False       # the licence allows shipping the file in the wheel
    ttc_index: int = 0            # face number inside a .ttc collection

    @property
    def apt_package(self) -> str | None:
        return self.source.get("apt")

    @property
    def npm_package(self) -> str | None:
        return self.source.get("npm")

    @property
    def file_name(self) -> str:
        """The file's name on disk: as Debian installs it, or ``<id>.ttf`` for converted npm fonts."""
        return self.source["file"] if self.apt_package else f"{self.id}.ttf"


_FIELDS = {f.name for f in dataclasses.fields(FontRecord)}


def _record(raw: Mapping[str, Any]) -> FontRecord:
    unknown = set(raw) - _FIELDS
    missing = {"id", "family", "scripts", "role", "source", "license", "url"} - set(raw)
    if unknown or missing:
        raise InputError(f"font record {raw.get('id', '?')!r} in {MANIFEST.name}: unknown fields "
                         f"{sorted(unknown)}, missing fields {sorted(missing)}",
                         "fix the record to match hwrender.fonts.FontRecord")
    return FontRecord(**{**raw, "scripts": tuple(raw["scripts"]), "source": dict(raw["source"])})


@lru_cache(maxsize=1)
def _manifest() -> tuple[FontRecord, ...]:
    return tuple(_record(raw) for raw in json.loads(MANIFEST.read_text(encoding="utf-8"))["fonts"])


def _check_choice(name: str, value: str | None, choices: Iterable[str]) -> None:
    choices = tuple(choices)
    if value is not None and value not in choices:
        raise UsageError(f"unknown {name} {value!r}", f"use one of: {', '.join(choices)}")


def corpus(script: str | None = None, role: str | None = None,
           include_holdout: bool = True) -> list[FontRecord]:
    """The manifest's records, in manifest order, optionally only one script / role / the train split."""
    _check_choice("script", script, SCRIPTS)
    _check_choice("role", role, ROLES)
    return [r for r in _manifest()
            if (script is None or script in r.scripts) and (role is None or r.role == role)
            and (include_holdout or not r.holdout)]


def get(font_id: str) -> FontRecord:
    """The record with this id (for its ``ttc_index``, flags and licence)."""
    for record in _manifest():
        if record.id == font_id:
            return record
    raise UsageError(f"unknown font {font_id!r}", "see `hwrender fonts list`")


# ----------------------------------------------------------------------------------------- finding


def fonts_dir() -> Path:
    """Where converted npm fonts live: ``$HWRENDER_FONTS_DIR``, else ``~/.local/share/hwrender/fonts``."""
    configured = os.environ.get("HWRENDER_FONTS_DIR")
    return Path(configured).expanduser() if configured else Path.home() / ".local/share/hwrender/fonts"


def _system_index() -> dict[str, Path]:
    """File name → path of every font file under ``SYSTEM_FONT_DIRS`` (first found wins).

    Not cached: a walk takes under a millisecond, and a cache would miss fonts apt installs meanwhile.
    """
    index: dict[str, Path] = {}
    for root in SYSTEM_FONT_DIRS:
        for folder, subfolders, files in os.walk(root):
            subfolders.sort()
            for name in sorted(files):
                if name.lower().endswith((".ttf", ".otf", ".ttc")):
                    index.setdefault(name, Path(folder) / name)
    return index


def _locate(record: FontRecord, system_index: Mapping[str, Path]) -> Path | None:
    local = fonts_dir() / record.file_name
    if local.is_file():
        return local
    return system_index.get(record.file_name) if record.apt_package else None


def locate(record: FontRecord) -> Path | None:
    """The font file of ``record`` on this machine, or None.

    The fonts dir comes first (it also serves Debian fonts copied there on other systems); Debian fonts
    are then looked up by file name under ``SYSTEM_FONT_DIRS``, without asking dpkg.
    """
    return _locate(record, _system_index())


def available(script: str | None = None, role: str | None = None,
              split: str = "train") -> dict[str, Path]:
    """id → path of the corpus fonts present here: the ``train`` split (default), ``holdout`` or ``all``."""
    _check_choice("split", split, SPLITS)
    system_index = _system_index()
    found = {}
    for record in corpus(script, role):
        if split == "all" or record.holdout == (split == "holdout"):
            path = _locate(record, system_index)
            if path is not None:
                found[record.id] = path
    return found


def coverage(path: str | os.PathLike, ttc_index: int = 0) -> frozenset[str]:
    """The characters a font draws: its cmap less code points mapped to empty glyphs; cached per file.

    Some fonts map what they do not draw to blank glyphs (NanumPen every hanja, the BM fonts about
    8,700 Hangul syllables), which would otherwise become blank training targets. Whitespace stays.
    """
    path = Path(path)
    stat = path.stat()
    # mtime and size in the key: a font reinstalled in place is read again.
    return _coverage(str(path.resolve()), ttc_index, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=256)
def _coverage(path: str, ttc_index: int, _mtime_ns: int, _size: int) -> frozenset[str]:
    from fontTools.ttLib import TTFont

    with TTFont(path, fontNumber=ttc_index, lazy=True) as font:
        blank = _blank_glyphs(font)
        return frozenset(chr(code) for code, glyph in (font.getBestCmap() or {}).items()
                         if glyph not in blank or chr(code).isspace())


def _blank_glyphs(font) -> set[str]:
    """Names of glyphs without an outline, found without drawing them (that takes 20 s for a CJK font).

    TrueType: zero-length entries in loca. CFF: charstrings short enough to hold nothing but an
    advance width and ``endchar`` (an outline needs a moveto or a subroutine call; a 4-operand
    ``endchar`` is an accented composite).
    """
    order = font.getGlyphOrder()
    if "glyf" in font:
        loca = font["loca"]
        return {name for i, name in enumerate(order) if loca[i] == loca[i + 1]}
    if "CFF " in font:
        index = font["CFF "].cff.topDictIndex[0].CharStrings.charStringsIndex
        blank = set()
        for i, (start, end) in enumerate(zip(index.offsets, index.offsets[1:])):
            if end - start <= 6:
                charstring = index[i]
                charstring.decompile()
                operators = [t for t in charstring.program if isinstance(t, str)]
                if operators in ([], ["endchar"]) and len(charstring.program) <= 2:
                    blank.add(order[i])
        return blank
    return set()


# ------------------------------------------------------------------------------------- installing


class NotInstalled(UsageError):
    """Fonts or other data a model trains on are not installed here.

    ``hwrender train`` / ``eval`` replace the hint with the one command that installs what that
    model needs (``hwrender fonts install --model NAME``).
    """

    def __init__(self, message: str, hint: str = "install them with `hwrender fonts install`"):
        super().__init__(message, hint)


def _sudo() -> list[str]:
    return [] if os.geteuid() == 0 else ["sudo"]


def _apt_argvs(packages: Iterable[str]) -> list[list[str]]:
    """The apt-get runs that install ``packages`` (fontconfig so the packages' font caches update)."""
    packages = sorted(set(packages))
    if not packages:
        return []
    return [_sudo() + ["apt-get", "update"],
            _sudo() + ["apt-get", "install", "-y", "--no-install-recommends", "fontconfig", *packages]]


def apt_command(packages: Iterable[str]) -> str:
    """The shell line that installs the Debian ``packages`` (with sudo when not root)."""
    return " && ".join(map(shlex.join, _apt_argvs(packages)))


def install_commands(records: Iterable[FontRecord]) -> list[str]:
    """Shell lines that install the missing ones among ``records``: apt-get, then ``hwrender fonts install``."""
    missing = [r for r in records if locate(r) is None]
    commands = [apt_command(r.apt_package for r in missing if r.apt_package)]
    if any(r.npm_package for r in missing):
        commands.append("hwrender fonts install")
    return [c for c in commands if c]


@dataclass
class InstallPlan:
    """What ``hwrender fonts install`` has left to do: Debian packages, and npm fonts to build."""

    apt: list[str] = field(default_factory=list)
    npm: list[FontRecord] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.apt or self.npm)


def plan(records: Iterable[FontRecord], packages: Mapping[str, str] | None = None,
         dest: Path | None = None, force: bool = False) -> InstallPlan:
    """The install of ``records`` and of the Debian ``packages`` (name → a file it installs; a
    package whose file is there is not installed again). npm fonts go to ``dest`` (fonts_dir())."""
    dest = Path(dest).expanduser() if dest is not None else fonts_dir()
    system_index = _system_index()
    apt, npm = set(), []
    for record in records:
        if record.npm_package:
            if force or not (dest / record.file_name).is_file():
                npm.append(record)
        elif _locate(record, system_index) is None:
            apt.add(record.apt_package)
    apt |= {package for package, path in (packages or {}).items() if not Path(path).exists()}
    return InstallPlan(sorted(apt), npm)


def needs(model: str, registry=None) -> tuple[list[FontRecord], dict[str, str]]:
    """The corpus fonts (handwriting, both splits) and other Debian packages the trainable
    ``model`` uses, from its ``TrainerSpec`` (``fonts``: scripts, ``packages``)."""
    if registry is None:
        from .registry import default_registry

        registry = default_registry()
    spec = registry.trainer(model)
    records = [r for r in _manifest() if r.role == "handwriting"
               and any(script in r.scripts for script in spec.fonts)]
    return records, dict(spec.packages)


def needs_all(registry=None) -> tuple[list[FontRecord], dict[str, str]]:
    """Every corpus font, and every trainable model's other Debian packages."""
    if registry is None:
        from .registry import default_registry

        registry = default_registry()
    packages: dict[str, str] = {}
    for spec in registry.trainers():
        packages.update(spec.packages)
    return list(_manifest()), packages


class NeedsRoot(HwrenderError):
    """apt-get must run as root, and neither root nor sudo is at hand."""


def install_apt(packages: Iterable[str], run: Callable[[list[str]], int] | None = None) -> list[str]:
    """Run apt-get for the Debian ``packages``; returns them. ``run(argv) -> exit code`` runs one
    command (tests pass a fake). Raises ``NeedsRoot`` naming the command when it cannot run."""
    packages = sorted(set(packages))
    if not packages:
        return []
    command = apt_command(packages)
    if shutil.which("apt-get") is None:
        raise NeedsRoot("apt-get is not available on this system",
                        "install these Debian packages another way: " + " ".join(packages))
    if _sudo() and shutil.which("sudo") is None:
        raise NeedsRoot(f"installing {len(packages)} Debian packages needs root",
                        f"run as root: {command.replace('sudo ', '')}")
    run = run or (lambda argv: subprocess.run(argv).returncode)
    for argv in _apt_argvs(packages):
        if run(argv) != 0:
            raise HwrenderError(f"`{shlex.join(argv)}` failed",
                                f"see apt-get's message above; the whole command: {command}")
    return packages


@dataclass
class InstallReport:
    """What ``install_npm`` did, per font id."""

    installed: dict[str, Path] = field(default_factory=dict)
    present: dict[str, Path] = field(default_factory=dict)  # already there, left alone
    failed: dict[str, str] = field(default_factory=dict)    # id → why


def convert_webfont(src: Path, dst: Path, drop_layout: bool = False) -> Path:
    """Write a WOFF/WOFF2 (or any sfnt) font as plain TTF/OTF, optionally without its layout tables."""
    from fontTools.ttLib import TTFont

    with TTFont(src) as font:
        font.flavor = None
        for tag in _LAYOUT_TABLES if drop_layout else ():
            if tag in font:
                del font[tag]
        font.save(dst)
    return dst


def merge_slices(slices: list[Path], dst: Path, drop_layout: bool = False) -> Path:
    """Merge the unicode-range slices of one face into one font file.

    ``drop_layout`` removes GSUB/GPOS/GDEF from every slice first: the merger cannot combine the
    layout tables of some fontsource CJK packages (DATA.md), and the ideographs do not need them.
    """
    from fontTools.merge import Merger

    with tempfile.TemporaryDirectory(prefix="hwrender-slices-") as tmp:
        plain = [convert_webfont(s, Path(tmp) / f"{i}.ttf", drop_layout) for i, s in enumerate(slices)]
        if len(plain) == 1:
            shutil.copyfile(plain[0], dst)
        else:
            Merger().merge([str(p) for p in plain]).save(dst)
    return dst


def _slices(record: FontRecord, package_dir: Path) -> list[Path]:
    """The slice files of ``record`` in an installed fontsource package.

    WOFF is preferred over WOFF2: its tables are only zlib-compressed and copy straight into a TTF,
    while WOFF2's transformed glyf table must be rebuilt glyph by glyph (a minute for a CJK font).
    """
    name = record.npm_package.split("/", 1)[1]
    weight, subsets = str(record.source.get("weight", 400)), record.source.get("subsets", ["latin"])
    chosen: dict[str, Path] = {}
    for path in sorted((package_dir / "files").glob(f"{name}-*")):
        match = _SLICE.fullmatch(path.name[len(name) + 1:])
        if (match and match["weight"] == weight and match["style"] == "normal"
                and (subsets == "all" or match["subset"] in subsets)
                and (match["ext"] == "woff" or match["subset"] not in chosen)):
            chosen[match["subset"]] = path
    wanted = [s for s in subsets if s not in chosen] if subsets != "all" else []
    if not chosen or wanted:
        raise InputError(f"{record.npm_package} has no weight-{weight} slices for "
                         f"{', '.join(wanted) or 'any subset'}",
                         f"check the 'source' of {record.id!r} in fonts.json")
    # Named subsets in the manifest's order (the first slice gives the merged font its names).
    order = list(chosen) if subsets == "all" else subsets
    return [chosen[s] for s in order]


def build_npm_font(record: FontRecord, package_dir: Path, dest: Path) -> Path:
    """Turn an installed fontsource package into ``<dest>/<id>.ttf``, written atomically."""
    dest.mkdir(parents=True, exist_ok=True)
    target = dest / record.file_name
    with atomic_path(target) as tmp:
        merge_slices(_slices(record, package_dir), tmp, bool(record.source.get("drop_layout")))
    return target


def _npm_install(npm: str, prefix: Path, packages: list[str]) -> str | None:
    """Run ``npm install``; returns npm's last error line on failure."""
    result = subprocess.run([npm, "install", "--prefix", str(prefix), "--no-audit", "--no-fund",
                             "--no-save", *packages], capture_output=True, text=True)
    if result.returncode == 0:
        return None
    return npm_error(result.stderr, result.returncode)


# npm's codes for a registry it cannot reach
NETWORK_CODES = ("ECONNREFUSED", "ENOTFOUND", "ETIMEDOUT", "EAI_AGAIN", "ECONNRESET", "ENETUNREACH")


def npm_error(stderr: str, returncode: int) -> str:
    """npm's error in one line: its code and the line that says what failed (npm 6-9 print
    ``npm ERR!``, npm 10 ``npm error``; the last line, which was all that was shown, only says
    where the log is)."""
    import re

    errors = [re.sub(r"^npm (ERR!|error)\s*", "", line, flags=re.I).strip()
              for line in stderr.splitlines() if re.match(r"npm (ERR!|error)", line, re.I)]
    errors = [e for e in errors if e and "complete log" not in e.lower()
              and not e.lower().startswith(("syscall", "errno", "log files", "a complete log"))]
    code = next((e[5:].strip() for e in errors if e.lower().startswith("code ")), None)
    detail = next((e for e in errors if not e.lower().startswith("code ")), None)
    if code and detail:
        return f"{code}: {detail}"
    if code or detail:
        return code or detail  # type: ignore[return-value]
    lines = stderr.strip().splitlines()
    return lines[-1].strip() if lines else f"npm exited with {returncode}"


def install_npm(records: Iterable[FontRecord], dest: Path | None = None, npm: str = "npm",
                force: bool = False, progress: Callable[[str], None] | None = None) -> InstallReport:
    """Download the npm fonts among ``records`` and write each as ``<dest>/<id>.ttf`` (dest: fonts_dir()).

    Debian records are ignored (see ``install_commands``); fonts already in ``dest`` are kept unless
    ``force``. One failing font does not stop the others: see ``InstallReport.failed``. ``progress``
    gets a one-line message per font as it is done (a CJK font takes several seconds).
    """
    say = progress or (lambda message: None)
    dest = Path(dest).expanduser() if dest is not None else fonts_dir()
    report = InstallReport()
    todo = []
    for record in records:
        if not record.npm_package:
            continue
        if not force and (dest / record.file_name).is_file():
            report.present[record.id] = dest / record.file_name
        else:
            todo.append(record)
    if not todo:
        return report
    executable = shutil.which(npm)
    if executable is None:
        raise UsageError(f"{npm!r} is not on PATH; it downloads the @fontsource fonts",
                         "install Node.js and npm (e.g. apt-get install npm), then run this again")
    with tempfile.TemporaryDirectory(prefix="hwrender-npm-") as tmp:
        prefix = Path(tmp)
        packages = sorted({r.npm_package for r in todo})
        npm_errors: dict[str, str] = {}
        if _npm_install(executable, prefix, packages) is not None:
            # One bad package fails the whole batch: retry one by one to keep the good ones.
            for package in packages:
                error = _npm_install(executable, prefix, [package])
                if error is not None:
                    npm_errors[package] = f"npm install failed: {error}"
        for record in todo:
            if record.npm_package in npm_errors:
                report.failed[record.id] = npm_errors[record.npm_package]
            else:
                try:
                    report.installed[record.id] = build_npm_font(
                        record, prefix / "node_modules" / record.npm_package, dest)
                except InputError as exc:
                    report.failed[record.id] = exc.message
                except Exception as exc:  # a slice fontTools cannot read or merge: report it, go on
                    report.failed[record.id] = f"{type(exc).__name__}: {' '.join(str(exc).split())}"
            if record.id in report.failed:
                say(f"{record.id}: failed: {report.failed[record.id]}")
            else:
                say(f"{record.id}: {report.installed[record.id]}")
    return report

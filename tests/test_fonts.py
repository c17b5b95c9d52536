"""The font corpus: manifest rules, finding fonts, webfont conversion and slice merging, ``hwrender fonts``.

Offline: npm is replaced by a script that lays out a fake fontsource package of tiny fonts built here.
"""

from __future__ import annotations

import json
import re
import shutil
import stat
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.t2CharStringPen import T2CharStringPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont
from typer.testing import CliRunner

from hwrender import fonts
from hwrender.cli import app as root_app
from hwrender.errors import InputError, UsageError

CAVEAT = Path(__file__).resolve().parents[1] / "plugins/font/fonts/Caveat-Regular.ttf"
MANIFEST = json.loads(fonts.MANIFEST.read_text(encoding="utf-8"))


def tiny_font(path: Path, chars: str, flavor: str | None = None, liga: bool = False, blank: str = "",
              cff: bool = False) -> Path:
    """A font drawing every character of ``chars`` as a square and those of ``blank`` as nothing.

    TrueType outlines, or CFF with ``cff``; WOFF/WOFF2 with ``flavor``; a ``liga`` GSUB feature on request.
    """
    glyph = {c: f"u{ord(c):04X}" for c in chars + blank}
    names = [".notdef", *glyph.values()]
    fb = FontBuilder(1000, isTTF=not cff)
    fb.setupGlyphOrder(names)
    fb.setupCharacterMap({ord(c): name for c, name in glyph.items()})
    pens = {}
    for name in names:
        pen = T2CharStringPen(600, None) if cff else TTGlyphPen(None)
        if name not in {glyph[c] for c in blank}:
            pen.moveTo((100, 0)); pen.lineTo((100, 700)); pen.lineTo((500, 700)); pen.lineTo((500, 0))
            pen.closePath()
        pens[name] = pen
    if cff:
        fb.setupCFF("Tiny", {}, {name: pen.getCharString() for name, pen in pens.items()}, {})
    else:
        fb.setupGlyf({name: pen.glyph() for name, pen in pens.items()})
    fb.setupHorizontalMetrics({name: (600, 100) for name in names})
    fb.setupHorizontalHeader(ascent=800, descent=-200)
    fb.setupNameTable({"familyName": "Tiny", "styleName": "Regular"})
    fb.setupOS2()
    fb.setupPost()
    if liga:
        a, b = (glyph[c] for c in chars[:2])
        fb.addOpenTypeFeatures(f"feature liga {{ sub {a} {b} by {a}; }} liga;")
    fb.font.flavor = flavor
    fb.save(str(path))
    return path


@pytest.fixture
def font_dirs(tmp_path, monkeypatch):
    """An empty fonts dir and an empty stand-in for /usr/share/fonts."""
    local, system = tmp_path / "fonts", tmp_path / "usr-share-fonts"
    local.mkdir()
    system.mkdir()
    monkeypatch.setenv("HWRENDER_FONTS_DIR", str(local))
    monkeypatch.setattr(fonts, "SYSTEM_FONT_DIRS", (system,))
    return local, system


# -------------------------------------------------------------------------------------- manifest


def test_manifest_records_are_well_formed():
    records = fonts.corpus()
    ids = [r.id for r in records]
    assert len(ids) == len(set(ids))
    for r in records:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", r.id), r.id
        assert r.scripts and set(r.scripts) <= set(fonts.SCRIPTS), r.id
        assert r.role in fonts.ROLES and r.license in fonts.LICENSES, r.id
        assert r.url.startswith("https://"), r.id
        assert (r.apt_package is None) != (r.npm_package is None), r.id
        if r.apt_package:
            assert r.apt_package.startswith("fonts-") and r.source["file"].endswith((".ttf", ".otf", ".ttc"))
        else:
            assert r.npm_package.startswith("@fontsource/")
            assert r.source["subsets"] == "all" or isinstance(r.source["subsets"], list)
        if r.bundle_ok:  # GPL, Artistic, Arphic and CC-BY-SA fonts are for training only
            assert r.license in {"OFL-1.1", "OFL-1.0", "Apache-2.0"}, r.id
        assert not (r.holdout and r.role == "source"), r.id
    files = [(r.apt_package, r.file_name, r.ttc_index) for r in records if r.apt_package]
    assert len(files) == len(set(files))


def test_every_script_has_handwriting_source_and_holdout_fonts():
    for script in fonts.SCRIPTS:
        hand = fonts.corpus(script, "handwriting")
        assert len(hand) >= 8 and fonts.corpus(script, "source"), script
        held = [r for r in hand if r.holdout]
        assert len(held) >= {"Latn": 1, "Hang": 2, "Hani": 1}[script], script
        assert fonts.corpus(script, "handwriting", include_holdout=False) == [r for r in hand if not r.holdout]
    latin = fonts.corpus("Latn", "handwriting")
    assert 1 / 11 <= sum(r.holdout for r in latin) / len(latin) <= 1 / 6


def test_a_family_is_never_split_between_train_and_holdout():
    splits = defaultdict(set)
    for r in fonts.corpus():
        splits[r.family].add(r.holdout)
    assert all(len(s) == 1 for s in splits.values()), {f: s for f, s in splits.items() if len(s) > 1}


def test_excluded_fonts_stay_out():
    sources = [r.source for r in fonts.corpus()]
    for excluded in MANIFEST["excluded"]:
        assert excluded["reason"]
        assert not any(all(s.get(k) == v for k, v in excluded["source"].items()) for s in sources), excluded


def test_bad_filters_are_usage_errors():
    with pytest.raises(UsageError, match="script"):
        fonts.corpus("Cyrl")
    with pytest.raises(UsageError, match="split"):
        fonts.available(split="test")
    with pytest.raises(UsageError, match="nope"):
        fonts.get("nope")


# ----------------------------------------------------------------------------------------- finding


def test_locate_and_available_find_fonts_in_the_fonts_dir_and_system_dirs(font_dirs):
    local, system = font_dirs
    assert fonts.available(split="all") == {}
    shutil.copy(CAVEAT, local / "caveat.ttf")  # an npm font, as `fonts install` writes it
    kristi = system / "truetype/kristi/Kristi.ttf"  # a Debian font, where its package puts it
    kristi.parent.mkdir(parents=True)
    shutil.copy(CAVEAT, kristi)

    assert fonts.locate(fonts.get("caveat")) == local / "caveat.ttf"
    assert fonts.locate(fonts.get("kristi")) == kristi
    assert fonts.locate(fonts.get("indie-flower")) is None
    assert fonts.available("Latn") == {"caveat": local / "caveat.ttf"}  # kristi is held out
    assert fonts.available("Latn", split="holdout") == {"kristi": kristi}
    assert set(fonts.available(split="all")) == {"caveat", "kristi"}
    assert fonts.available("Hang", split="all") == {}


def test_coverage_is_the_cmap(tmp_path):
    chars = fonts.coverage(CAVEAT)
    assert set("AZaz09?") <= chars and "가" not in chars
    path = tiny_font(tmp_path / "t.ttf", "AB가")
    assert fonts.coverage(path) == frozenset("AB가")
    tiny_font(path, "C")  # rewritten in place: read again, not served from the cache
    assert fonts.coverage(path) == frozenset("C")


@pytest.mark.parametrize("cff", [False, True], ids=["glyf", "cff"])
def test_coverage_leaves_out_characters_mapped_to_blank_glyphs_but_keeps_whitespace(tmp_path, cff):
    path = tiny_font(tmp_path / ("t.otf" if cff else "t.ttf"), "AB", blank=" 漢字", cff=cff)
    assert fonts.coverage(path) == frozenset("AB ")


def test_install_commands_name_the_missing_packages(font_dirs):
    commands = fonts.install_commands([fonts.get("kristi"), fonts.get("un-pen"), fonts.get("caveat")])
    assert len(commands) == 2 and commands[1] == "hwrender fonts install"
    assert "apt-get install -y --no-install-recommends fontconfig fonts-kristi fonts-unfonts-extra" in commands[0]
    assert fonts.install_commands([]) == []


# ---------------------------------------------------------------------------- converting, merging


def test_woff2_converts_to_plain_ttf(tmp_path):
    src = tiny_font(tmp_path / "t.woff2", "AB", flavor="woff2", liga=True)
    out = fonts.convert_webfont(src, tmp_path / "t.ttf")
    with TTFont(out) as font:
        assert font.flavor is None and "GSUB" in font
        assert set(font.getBestCmap()) == {ord("A"), ord("B")}
    fonts.convert_webfont(src, out, drop_layout=True)
    with TTFont(out) as font:
        assert not {"GSUB", "GPOS", "GDEF"} & set(font.keys())


def test_slices_merge_into_one_font(tmp_path):
    slices = [tiny_font(tmp_path / "a.woff2", "AB", "woff2", liga=True),
              tiny_font(tmp_path / "b.woff", "가나", "woff"), tiny_font(tmp_path / "c.woff2", "中", "woff2")]
    out = fonts.merge_slices(slices, tmp_path / "m.ttf", drop_layout=True)
    assert fonts.coverage(out) == frozenset("AB가나中")


def fake_fontsource(root: Path, name: str, files: dict[str, str]) -> Path:
    """``root/node_modules/@fontsource/<name>/files/<name>-<file>`` holding tiny fonts with these chars."""
    folder = root / "node_modules/@fontsource" / name / "files"
    folder.mkdir(parents=True)
    for file, chars in files.items():
        tiny_font(folder / f"{name}-{file}", chars, "woff2" if file.endswith("woff2") else "woff")
    return folder.parent


def record(font_id: str, **source) -> fonts.FontRecord:
    return fonts.FontRecord(id=font_id, family=font_id, scripts=("Hani",), role="handwriting",
                            source={"npm": f"@fontsource/{font_id}", **source}, license="OFL-1.1",
                            url="https://example.org")


def test_fontsource_package_becomes_one_ttf(tmp_path):
    package = fake_fontsource(tmp_path, "brush", {
        "0-400-normal.woff2": "中", "1-400-normal.woff2": "文", "1-400-normal.woff": "文",
        "latin-400-normal.woff2": "AB", "latin-700-normal.woff2": "XYZ", "korean-400-normal.woff2": "가"})
    dest = tmp_path / "out"
    every = fonts.build_npm_font(record("brush", subsets="all", drop_layout=True), package, dest)
    assert every == dest / "brush.ttf" and fonts.coverage(every) == frozenset("中文AB가")
    named = fonts.build_npm_font(record("brush", subsets=["korean", "latin"]), package, dest)
    assert fonts.coverage(named) == frozenset("가AB")
    assert sorted(p.name for p in dest.iterdir()) == ["brush.ttf"]  # no temporary files left
    with pytest.raises(InputError, match="latin-ext"):
        fonts.build_npm_font(record("brush", subsets=["latin", "latin-ext"]), package, dest)


FAKE_NPM = """#!{python}
# Stands in for `npm install --prefix DIR ... @fontsource/<name>...`: copies prepared packages.
import shutil, sys
args = sys.argv[1:]
prefix = args[args.index("--prefix") + 1]
for package in (a for a in args if a.startswith("@")):
    source = {store!r} + "/node_modules/" + package
    try:
        shutil.copytree(source, prefix + "/node_modules/" + package, dirs_exist_ok=True)
    except FileNotFoundError:
        sys.exit("npm ERR! 404 Not Found - " + package)
"""


def test_install_npm_builds_each_font_and_reports_failures(tmp_path):
    store = tmp_path / "registry"
    fake_fontsource(store, "brush", {"latin-400-normal.woff2": "AB", "korean-400-normal.woff2": "가"})
    npm = tmp_path / "npm"
    npm.write_text(FAKE_NPM.format(python=sys.executable, store=str(store)))
    npm.chmod(npm.stat().st_mode | stat.S_IEXEC)
    good, gone = record("brush", subsets=["korean", "latin"]), record("gone", subsets=["latin"])
    apt_font = fonts.get("kristi")
    dest = tmp_path / "fonts"

    report = fonts.install_npm([good, gone, apt_font], dest, npm=str(npm))
    assert report.installed == {"brush": dest / "brush.ttf"} and fonts.coverage(dest / "brush.ttf") == frozenset("가AB")
    assert list(report.failed) == ["gone"] and "404" in report.failed["gone"]
    again = fonts.install_npm([good], dest, npm=str(npm))
    assert again.present == {"brush": dest / "brush.ttf"} and not again.installed
    with pytest.raises(UsageError, match="not on PATH"):
        fonts.install_npm([good], tmp_path / "elsewhere", npm="no-such-npm")


# ---------------------------------------------------------------------------------------------- CLI


def test_cli_fonts_list_json(font_dirs):
    local, _ = font_dirs
    shutil.copy(CAVEAT, local / "caveat.ttf")
    result = CliRunner().invoke(root_app, ["fonts", "list", "--script", "Latn", "--json"])
    assert result.exit_code == 0, result.output
    rows = {row["id"]: row for row in json.loads(result.stdout)}
    assert set(rows) == {r.id for r in fonts.corpus("Latn")}
    assert rows["caveat"]["present"] and rows["caveat"]["path"] == str(local / "caveat.ttf")
    assert rows["kristi"] == {**rows["kristi"], "split": "holdout", "present": False, "path": None,
                              "source": {"apt": "fonts-kristi", "file": "Kristi.ttf"}}
    assert f"1 present (1 train, 0 holdout), {len(rows) - 1} missing" in result.stderr
    assert "apt-get install" in result.stderr and "hwrender fonts install" in result.stderr


def test_cli_fonts_list_rejects_unknown_script(font_dirs):
    result = CliRunner().invoke(root_app, ["fonts", "list", "--script", "Klingon"])
    assert result.exit_code == 2 and "unknown script 'Klingon'" in result.stderr


# ------------------------------------------------------- what a model needs (issue 25), no network


def test_each_model_needs_its_scripts_fonts_and_latin_its_word_lists():
    latin, packages = fonts.needs("latin")
    assert {r.id for r in latin} == {r.id for r in fonts.corpus("Latn", "handwriting")}
    assert packages["wamerican"].endswith("/american-english")
    hangul, packages = fonts.needs("hangul")
    assert {r.id for r in hangul} == {r.id for r in fonts.corpus("Hang", "handwriting")}
    assert packages == {}
    styler = {r.id for r in fonts.needs("glyph-styler")[0]}
    assert styler == {r.id for r in fonts.corpus("Hang", "handwriting") + fonts.corpus("Hani", "handwriting")}
    everything, packages = fonts.needs_all()
    assert len(everything) == len(fonts.corpus()) and "wpolish" in packages


def test_latin_reads_the_word_lists_it_declares():
    from hwrender_plugins.latin import WORD_LISTS
    from hwrender_plugins.latin.vocabulary import ACCENT_LISTS, BASE_LISTS

    assert set(BASE_LISTS + ACCENT_LISTS) == set(WORD_LISTS.values())


def test_plan_leaves_out_what_is_there(font_dirs, tmp_path):
    local, system = font_dirs
    shutil.copy(CAVEAT, local / "caveat.ttf")
    (system / "Kristi.ttf").write_bytes(CAVEAT.read_bytes())
    present = tmp_path / "american-english"
    present.write_text("word\n")
    records = [fonts.get(i) for i in ("caveat", "kalam", "kristi", "un-pen")]
    todo = fonts.plan(records, {"wamerican": str(present), "wbritish": str(tmp_path / "gone")})
    assert todo.apt == ["fonts-unfonts-extra", "wbritish"] and [r.id for r in todo.npm] == ["kalam"]
    assert [r.id for r in fonts.plan(records, force=True).npm] == ["caveat", "kalam"]
    assert not fonts.plan([fonts.get("caveat")])


@pytest.fixture
def fake_installers(monkeypatch):
    """apt-get and npm stand-ins: record what would run, install nothing."""
    ran: dict[str, list] = {"apt": [], "npm": []}
    monkeypatch.setattr(fonts.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(fonts.subprocess, "run",
                        lambda argv, **kw: ran["apt"].append(argv) or type("R", (), {"returncode": 0}))

    def install_npm(records, dest=None, npm="npm", force=False, progress=None):
        ran["npm"].extend(r.id for r in records)
        for r in records:
            progress(f"{r.id}: done")
        return fonts.InstallReport()

    monkeypatch.setattr(fonts, "install_npm", install_npm)
    return ran


def test_cli_install_model_runs_apt_and_npm_for_that_model_only(font_dirs, fake_installers, monkeypatch,
                                                               tmp_path):
    monkeypatch.setattr(fonts.os, "geteuid", lambda: 0)
    real = fonts.needs  # word lists missing, whatever this machine has in /usr/share/dict
    monkeypatch.setattr(fonts, "needs", lambda model: (
        real(model)[0], {package: str(tmp_path / package) for package in real(model)[1]}))
    result = CliRunner().invoke(root_app, ["fonts", "install", "--model", "latin"])
    assert result.exit_code == 0, result.output
    update, install = fake_installers["apt"]
    assert update == ["apt-get", "update"] and install[:4] == ["apt-get", "install", "-y", "--no-install-recommends"]
    assert {"fonts-kristi", "fonts-bwht", "wamerican", "wpolish"} <= set(install)
    assert "fonts-alee" not in install and "fonts-arphic-ukai" not in install  # Hangul, Han only
    assert "caveat" in fake_installers["npm"] and "ma-shan-zheng" not in fake_installers["npm"]
    assert f"/{len(fake_installers['npm'])}] caveat: done" in result.stderr


def test_cli_install_without_root_names_the_apt_command_and_still_installs_npm(font_dirs, fake_installers,
                                                                              monkeypatch):
    monkeypatch.setattr(fonts.os, "geteuid", lambda: 1000)
    monkeypatch.setattr(fonts.shutil, "which", lambda name: None if name == "sudo" else f"/usr/bin/{name}")
    result = CliRunner().invoke(root_app, ["fonts", "install", "--model", "hangul"])
    assert result.exit_code == 1 and not fake_installers["apt"]
    assert "needs root" in result.stderr
    assert "apt-get update && apt-get install -y --no-install-recommends fontconfig fonts-alee" in result.stderr
    assert "sudo apt-get" not in result.stderr and "poor-story" in fake_installers["npm"]
    printed = CliRunner().invoke(root_app, ["fonts", "install", "--script", "Hang", "--no-apt"])
    assert printed.exit_code == 0 and "apt-get install" in printed.stdout


def test_cli_install_rejects_model_and_script_together_and_unknown_models(font_dirs):
    both = CliRunner().invoke(root_app, ["fonts", "install", "--model", "latin", "--script", "Latn"])
    assert both.exit_code == 2 and "not both" in both.stderr
    unknown = CliRunner().invoke(root_app, ["fonts", "install", "--model", "nope"])
    assert unknown.exit_code != 0 and "no trainable model named 'nope'" in unknown.stderr


@pytest.mark.parametrize("model", ["latin", "emnist", "hangul", "cjk", "glyph-styler"])
def test_train_without_fonts_names_the_one_install_command_and_leaves_no_folder(font_dirs, model, tmp_path):
    out = tmp_path / "runs" / model
    result = CliRunner().invoke(root_app, ["train", model, "-o", str(out), "--max-steps", "1",
                                           "--set", "variant=tiny"])
    assert result.exit_code == 2, result.output
    assert f"(install what {model} needs with `hwrender fonts install --model {model}`)" in result.stderr
    assert not (tmp_path / "runs").exists()


def test_npm_errors_are_read_in_both_spellings():
    """npm 10 writes "npm error", not "npm ERR!": the one line shown was where its log is, and
    the hint blamed the font's record for a network that was down."""
    npm10 = ("npm error code ECONNREFUSED\nnpm error syscall connect\nnpm error errno ECONNREFUSED\n"
             "npm error FetchError: request to http://127.0.0.1:9/@fontsource%2fgaegu failed, reason: "
             "connect ECONNREFUSED 127.0.0.1:9\n"
             "npm error A complete log of this run can be found in: /root/.npm/_logs/x-debug-0.log\n")
    line = fonts.npm_error(npm10, 1)
    assert line.startswith("ECONNREFUSED: FetchError: request to") and "complete log" not in line
    npm9 = "npm ERR! code E404\nnpm ERR! 404 Not Found - GET https://registry.npmjs.org/@fontsource%2fnope\n"
    assert fonts.npm_error(npm9, 1) == "E404: 404 Not Found - GET https://registry.npmjs.org/@fontsource%2fnope"
    assert fonts.npm_error("", 7) == "npm exited with 7"
    assert any(code in line for code in fonts.NETWORK_CODES)

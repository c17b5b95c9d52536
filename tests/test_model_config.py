"""A model folder's config.json is untrusted input: the files it names stay inside the folder, and
it is checked against its family's schema and the safetensors shapes before a network is built.

Each neural family (latin, emnist, glyph-styler) is loaded from a copy of its shipped folder in
tmp_path (the weights file linked, not copied) with one thing in config.json broken.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

from hwrender import weights
from hwrender.errors import HwrenderWarning, WeightsError

REPO_ROOT = Path(__file__).resolve().parents[1]
FAMILIES = ("latin", "emnist", "glyph-styler")


def load(family: str, folder: Path):
    """Build the generator (or styler) of ``family`` from ``folder``, as `--weights DIR` does."""
    if family == "latin":
        from hwrender_plugins.latin.generator import LatinGenerator

        return LatinGenerator(weights_dir=str(folder))
    if family == "emnist":
        from hwrender_plugins.emnist.generator import EmnistGenerator

        return EmnistGenerator(weights_dir=str(folder))
    from hwrender_plugins.glyph_styler.styler import GlyphStyler

    return GlyphStyler.load(str(folder))


def copy_model(family: str, tmp_path: Path) -> Path:
    """The shipped model of ``family`` as an explicit folder without a manifest (so config.json may
    change); the big file is a link to the shipped one."""
    shipped = weights.local_folder(family)
    if shipped is None:
        pytest.skip(f"the {family} weights are not on this machine")
    folder = tmp_path / family
    folder.mkdir()
    for name in ("config.json", "README.md"):
        (folder / name).write_bytes((shipped / name).read_bytes())
    (folder / "model.safetensors").symlink_to(shipped / "model.safetensors")
    return folder


def edit(folder: Path, change) -> None:
    path = folder / "config.json"
    config = json.loads(path.read_text(encoding="utf-8"))
    change(config)
    path.write_text(json.dumps(config), encoding="utf-8")


def load_error(family: str, folder: Path) -> str:
    """The one-line WeightsError loading ``folder`` gives (its manifest warning ignored)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HwrenderWarning)
        with pytest.raises(WeightsError) as exc:
            load(family, folder)
    text = str(exc.value)
    assert "\n" not in text and text == exc.value.one_line()
    return text


# ------------------------------------------------------------------------ files a config names


def test_config_file_stays_inside_the_model_folder(tmp_path):
    folder = tmp_path / "model"
    (folder / "fonts").mkdir(parents=True)
    (folder / "fonts" / "mine.otf").write_bytes(b"font")
    (tmp_path / "x").write_bytes(b"outside")
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    (shipped / "bundled.otf").write_bytes(b"font")

    assert weights.config_file(folder, "k", "fonts/mine.otf") == (folder / "fonts" / "mine.otf").resolve()
    assert weights.config_file(folder, "k", "bundled.otf", shipped) == (shipped / "bundled.otf").resolve()
    for value in ("../x", "/etc/passwd", str(tmp_path / "x"), "fonts/../../x", "..\\x"):
        with pytest.raises(WeightsError, match="names a file outside the model folder"):
            weights.config_file(folder, "k", value, shipped)
    (folder / "link.otf").symlink_to(tmp_path / "x")
    (folder / "fonts" / "dir").symlink_to(tmp_path, target_is_directory=True)
    for value in ("link.otf", "fonts/dir/x"):
        with pytest.raises(WeightsError, match="leads outside the model folder"):
            weights.config_file(folder, "k", value, shipped)
    with pytest.raises(WeightsError, match="which is not in"):
        weights.config_file(folder, "k", "fonts/bundled.otf", shipped)  # shipped: bare names only
    with pytest.raises(WeightsError, match="not a file name"):
        weights.config_file(folder, "k", 3)


def test_a_cached_snapshot_may_name_its_own_blobs(tmp_path):
    repo = tmp_path / "models--me--m"
    (repo / "blobs").mkdir(parents=True)
    (repo / "blobs" / "abc").write_bytes(b"font")
    snapshot = repo / "snapshots" / ("0" * 40)
    snapshot.mkdir(parents=True)
    (snapshot / "font.otf").symlink_to(repo / "blobs" / "abc")
    assert weights.config_file(snapshot, "k", "font.otf") == (repo / "blobs" / "abc").resolve()


@pytest.mark.parametrize("value", ["../x", "/etc/passwd", "link.otf"])
def test_glyph_styler_source_font_outside_the_folder_is_refused(tmp_path, value):
    folder = copy_model("glyph-styler", tmp_path)
    (tmp_path / "x").write_bytes(b"not a font")
    (folder / "link.otf").symlink_to("/etc/passwd")
    edit(folder, lambda c: c["source_font"].update(file=value))
    text = load_error("glyph-styler", folder)
    assert f"{folder / 'config.json'}: source_font.file" in text and "outside the model folder" in text


def test_a_missing_weights_folder_is_no_such_folder_for_every_family(tmp_path):
    from hwrender.errors import UsageError

    for family in FAMILIES:
        with pytest.raises(UsageError, match=r"^--weights \S+/nowhere: no such folder"):
            load(family, tmp_path / "nowhere")


def test_glyph_styler_source_font_in_the_folder_is_used(tmp_path):
    from hwrender_plugins.glyph_styler import SOURCE_FONT

    folder = copy_model("glyph-styler", tmp_path)
    (folder / "src.otf").write_bytes(SOURCE_FONT.read_bytes())
    edit(folder, lambda c: c["source_font"].update(file="src.otf"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HwrenderWarning)
        styler = load("glyph-styler", folder)
    assert styler.source_font == (folder / "src.otf").resolve()


# ------------------------------------------------------------------------ the schema, per family

# family -> (a required key to delete, a key to give the wrong type, an absurd size,
#            a size in range that the file's tensors do not have)
BREAKS = {
    "latin": (("net", "vocab"), ("net", "embed_dim"), ("net", "embed_dim"), ("net", "g_ch")),
    "emnist": (("net", "num_classes"), ("net", "latent_dim"), ("net", "g_width"), ("net", "class_dim")),
    "glyph-styler": (("model", "ngf"), ("model", "embed_dim"), ("model", "embed_dim"), ("model", "ngf")),
}


@pytest.mark.parametrize("family", FAMILIES)
def test_a_missing_key_is_named(tmp_path, family):
    folder = copy_model(family, tmp_path)
    (section, key), *_ = BREAKS[family]
    if family == "emnist":  # optional in NetConfig; the family's required top-level key instead
        section, key = None, "placement"
    edit(folder, lambda c: (c[section] if section else c).pop(key))
    name = f"{section}.{key}" if section else key
    text = load_error(family, folder)
    assert f"{folder / 'config.json'}: {name} is missing" in text and "restore the config.json" in text


@pytest.mark.parametrize("family", FAMILIES)
def test_a_wrong_type_is_named(tmp_path, family):
    folder = copy_model(family, tmp_path)
    section, key = BREAKS[family][1]
    edit(folder, lambda c: c[section].update({key: "64"}))
    assert f'{section}.{key} is "64", not an integer' in load_error(family, folder)


@pytest.mark.parametrize("family", FAMILIES)
def test_an_absurd_size_is_refused_at_once(tmp_path, family):
    folder = copy_model(family, tmp_path)
    section, key = BREAKS[family][2]
    edit(folder, lambda c: c[section].update({key: 10 ** 9}))
    start = time.perf_counter()
    text = load_error(family, folder)
    assert time.perf_counter() - start < 5
    assert f"{section}.{key} is 1000000000, outside the range" in text


@pytest.mark.parametrize("family", FAMILIES)
def test_a_size_the_file_does_not_have_is_a_shape_mismatch(tmp_path, family):
    folder = copy_model(family, tmp_path)
    section, key = BREAKS[family][3]
    edit(folder, lambda c: c[section].update({key: c[section][key] * 2}))
    text = load_error(family, folder)
    assert "model.safetensors does not fit the model built from" in text
    assert "shape mismatch" in text and str(folder / "config.json") in text


@pytest.mark.parametrize("family", FAMILIES)
def test_unknown_choices_and_bad_tables_are_named(tmp_path, family):
    folder = copy_model(family, tmp_path)
    change, expected = {
        "latin": (lambda c: c["net"].update(colour=1), "net.colour is not a setting"),
        "emnist": (lambda c: c.update(classes="letters"), "classes is \"letters\", not one of"),
        "glyph-styler": (lambda c: c["styles"].pop(), "must be as many"),
    }[family]
    edit(folder, change)
    assert expected in load_error(family, folder)


def test_sizes_far_over_memory_are_caught_before_any_allocation(tmp_path):
    """In-range sizes that the file lacks, whose networks need tens of GB: caught on the meta
    device, so a process limited to 4 GB of address space fails with the one-line error."""
    cases = {"latin": ("net", {"g_ch": 1024, "r_hidden": 4096}),
             "emnist": ("net", {"g_width": 1024, "latent_dim": 4096}),
             "glyph-styler": ("model", {"ngf": 512, "max_mult": 64})}
    folders = []
    for family, (section, sizes) in cases.items():
        folder = copy_model(family, tmp_path)
        edit(folder, lambda c: c[section].update(sizes))
        folders.append((family, str(folder)))
    code = (
        "import resource, sys, warnings\n"
        "resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))\n"
        "warnings.simplefilter('ignore')\n"
        "sys.path.insert(0, 'tests')\n"
        "from hwrender.errors import WeightsError\n"
        "from test_model_config import load\n"
        f"for family, folder in {folders!r}:\n"
        "    try:\n"
        "        load(family, __import__('pathlib').Path(folder))\n"
        "    except WeightsError as exc:\n"
        "        print(family, 'shape mismatch' in str(exc))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True,
                         timeout=120, env={**os.environ, "HWRENDER_WEIGHTS_ROOT": str(REPO_ROOT / "weights")})
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split() == [w for f in cases for w in (f, "True")]


@pytest.mark.parametrize("family", FAMILIES)
def test_the_shipped_configs_pass_their_schema(family):
    folder = weights.local_folder(family)
    if folder is None:
        pytest.skip(f"the {family} weights are not on this machine")
    from hwrender_plugins.emnist.generator import config_schema as emnist
    from hwrender_plugins.glyph_styler.styler import config_schema as glyph
    from hwrender_plugins.latin.generator import config_schema as latin

    schema, closed = {"latin": (latin, ("net",)), "emnist": (emnist, ("net",)),
                      "glyph-styler": (glyph, ())}[family]
    weights.validate_config(weights.load_config(folder), schema(), folder, closed)

"""The styles store and ``styles add``: round trips (add, list, show, export, remove, import), the
checks on imported files (paths, pickle, bad zips, sizes), names, --force, and that an interrupted
or failed add leaves the store as it was. Fitters are fakes (the testing plugin's ``fit``)."""

from __future__ import annotations

import io
import json
import os
import zipfile

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

import hwrender.styles as styles
from hwrender.errors import GeneratorError, InputError, UsageError
from hwrender.registry import GeneratorSpec, Registry
from hwrender.styles import store
from hwrender.styles.types import SAMPLES_FORMAT


def _spec(name="test", model="latin", fitter="hwrender_plugins.testing:fit", styles=()):
    from hwrender_plugins.testing import TestGenerator

    return GeneratorSpec(name=name, scripts=("*",), unit="word",
                         factory=lambda **kw: TestGenerator(), weights=model, styles=styles,
                         style_kinds={"name", "user"}, fitter=fitter, auto=False)


@pytest.fixture
def registry(monkeypatch):
    reg = Registry([_spec(styles=("neat",))])
    monkeypatch.setattr("hwrender.registry._default", reg)
    return reg


def make_samples(folder, texts="abc", template="latin", kind="char", empty=()):
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for i, text in enumerate(texts):
        ink = np.full((20, 16), 255, np.uint8)
        ink[4:16, 4 + i % 6:8 + i % 6] = 30
        Image.fromarray(ink, "L").save(folder / f"s{i}.png")
        rows.append({"file": f"s{i}.png", "text": text, "kind": kind, "template": template,
                     "page": 1, "box": f"b{i}", "px_per_mm": 7.874, "baseline": None,
                     "flags": ["empty"] if i in empty else []})
    (folder / "samples.json").write_text(json.dumps(
        {"format": SAMPLES_FORMAT, "version": 1, "px_per_mm": 7.874, "sources": [], "samples": rows}))
    return folder


def files_of(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def leftovers():
    return sorted(p.name for p in store.root().iterdir() if p.name.startswith("."))


# -- add -------------------------------------------------------------------------------------------
def test_add_stores_a_part_per_fitted_model_and_a_card(registry, tmp_path):
    seen = []
    style = styles.add("my-hand", make_samples(tmp_path / "s", "abcd", empty=(3,)), steps=2,
                       progress=lambda model, fraction, message="": seen.append((model, fraction)))
    assert style.folder == store.root() / "my-hand" and style.models == ("latin",)
    data = json.loads((style.folder / "style.json").read_text())
    part = data["parts"]["latin"]
    assert data["samples"] == 3 and part["used"] == 3 and part["config"]["chars"] == "abc"
    assert part["fit_s"] >= 0 and data["format"] == "hwrender-style"
    assert style.part("latin").tensors()["mean_ink"].shape == (3,)
    assert ("latin", 0.5) in seen and seen[-1] == ("latin", 1.0)
    card = styles.show("my-hand")
    assert "from 3 samples" in card and "| latin | 3 |" in card and "base_model test" in card
    assert "mean_ink" in card and "test fitter" in card
    (info,) = styles.list()
    assert (info.name, info.models, info.samples) == ("my-hand", ("latin",), 3)
    assert leftovers() == []


def test_add_runs_each_model_familys_fitter_once(monkeypatch, tmp_path):
    calls = []

    def fitter(request):
        calls.append(request.model)
        return None if request.model == "other" else \
            __import__("hwrender_plugins.testing", fromlist=["fit"]).fit(request)

    monkeypatch.setattr("hwrender.registry._default", Registry([
        _spec("one", "shared", fitter), _spec("two", "shared", fitter), _spec("three", "other", fitter),
        GeneratorSpec(name="plain", scripts=("*",), unit="word", factory=lambda: None)]))
    style = styles.add("my-hand", make_samples(tmp_path / "s"))
    assert sorted(calls) == ["other", "shared"] and style.models == ("shared",)


def test_add_with_no_sample_serving_any_model(registry, tmp_path):
    with pytest.raises(InputError, match="no sample in .* serves any installed generator"):
        styles.add("my-hand", make_samples(tmp_path / "s", kind="word"))
    assert not (store.root() / "my-hand").exists()


def test_add_names_a_sheet_for_a_model_that_is_not_installed(registry, tmp_path):
    with pytest.raises(GeneratorError, match="the hangul samples serve glyph-styler, which is not "
                                             "installed"):
        styles.add("my-hand", make_samples(tmp_path / "s", "가나", template="hangul"))


def test_add_without_usable_samples(registry, tmp_path):
    with pytest.raises(InputError, match="no usable sample"):
        styles.add("my-hand", make_samples(tmp_path / "s", "ab", empty=(0, 1)))
    with pytest.raises(InputError, match="has no samples.json"):
        styles.add("my-hand", tmp_path)


@pytest.mark.parametrize("name, needle", [
    ("My-Hand", "not allowed"), ("-x", "not allowed"), ("a/b", "not allowed"), ("", "not allowed"),
    ("x" * 65, "not allowed"), ("..", "not allowed"), ("12", "is a number"),
    ("neat", "shipped model's named style"),
])
def test_style_names(registry, tmp_path, name, needle):
    with pytest.raises(UsageError, match=needle):
        styles.add(name, make_samples(tmp_path / "s"))


def test_an_existing_name_needs_force(registry, tmp_path):
    first = styles.add("my-hand", make_samples(tmp_path / "a", "ab"))
    with pytest.raises(UsageError, match="exists.*--force"):
        styles.add("my-hand", make_samples(tmp_path / "b", "abcde"))
    assert json.loads((first.folder / "style.json").read_text())["samples"] == 2
    styles.add("my-hand", make_samples(tmp_path / "b", "abcde"), force=True)
    assert json.loads((first.folder / "style.json").read_text())["samples"] == 5
    assert leftovers() == []


@pytest.mark.parametrize("error", [KeyboardInterrupt, RuntimeError])
def test_an_interrupted_add_leaves_the_previous_style(monkeypatch, tmp_path, error):
    from hwrender_plugins.testing import fit

    def failing(request):
        request.progress(0.3, "half way")
        raise error("stop")

    monkeypatch.setattr("hwrender.registry._default", Registry([_spec("a", "first", fit)]))
    before = files_of(styles.add("my-hand", make_samples(tmp_path / "s")).folder)
    # the first family fits, the second fails: nothing of the new style may land
    monkeypatch.setattr("hwrender.registry._default",
                        Registry([_spec("a", "first", fit), _spec("b", "second", failing)]))
    with pytest.raises(error):
        styles.add("my-hand", make_samples(tmp_path / "s2", "abcdef"), force=True)
    assert files_of(store.root() / "my-hand") == before
    assert leftovers() == []


def test_a_failure_while_writing_leaves_no_half_style(registry, tmp_path, monkeypatch):
    def broken(folder, index, tensors):
        (folder / "style.json").write_text("{}")
        raise OSError("disk full")

    monkeypatch.setattr(store, "write_style", broken)
    with pytest.raises(OSError):
        styles.add("my-hand", make_samples(tmp_path / "s"))
    assert styles.list() == [] and leftovers() == []


def test_stale_temp_folders_are_swept(registry, tmp_path):
    store.root().mkdir(parents=True, exist_ok=True)
    dead = store.root() / ".tmp-999999999-abcd"  # no such process
    (dead / "x").mkdir(parents=True)
    mine = store.root() / f".tmp-{os.getpid()}-beef"  # a write in progress: kept
    mine.mkdir()
    styles.add("my-hand", make_samples(tmp_path / "s"))
    assert not dead.exists() and mine.exists()


def test_bad_steps(registry, tmp_path):
    with pytest.raises(UsageError, match="--steps"):
        styles.add("my-hand", make_samples(tmp_path / "s"), steps=0)


# -- export and import -----------------------------------------------------------------------------
def test_export_remove_import_round_trip(registry, tmp_path):
    made = styles.add("my-hand", make_samples(tmp_path / "s"))
    before = files_of(made.folder)
    out = tmp_path / "my-hand.hwstyle"
    assert styles.export("my-hand", out) == out
    styles.remove("my-hand")
    assert styles.list() == [] and store.find("my-hand") is None
    back = styles.import_(out)
    assert files_of(back.folder) == before
    with pytest.raises(UsageError, match="exists.*--force"):
        styles.import_(out)
    renamed = styles.import_(out, "copy")
    assert json.loads((renamed.folder / "style.json").read_text())["name"] == "copy"
    assert renamed.part("latin").tensors()["mean_ink"].shape == (3,)
    styles.import_(out, "copy", force=True)
    assert [s.name for s in styles.list()] == ["copy", "my-hand"] and leftovers() == []


def test_remove_unknown(registry):
    with pytest.raises(UsageError, match="no stored style named 'nobody'.*styles list"):
        styles.remove("nobody")


def test_a_damaged_style_is_listed_and_removed(registry, tmp_path):
    """Its errors say to remove it with ``styles remove``: that must work without reading it,
    and a listing names it without breaking over the others."""
    styles.add("good", make_samples(tmp_path / "s"))
    for name, index in (("broken", "{broken"), ("odd-parts", None), ("odd-count", None)):
        folder = styles.add(name, make_samples(tmp_path / f"s-{name}")).folder
        data = json.loads((folder / "style.json").read_text())
        if name == "odd-parts":
            data["parts"] = [1, 2]
        elif name == "odd-count":
            data["samples"] = "many"
        (folder / "style.json").write_text(index or json.dumps(data))
    listed = {i.name: i.created for i in styles.list()}
    assert set(listed) == {"good", "broken", "odd-parts", "odd-count"}
    assert listed["broken"] == listed["odd-parts"] == listed["odd-count"] == "unreadable"
    with pytest.raises(Exception, match="styles remove broken"):
        store.get("broken")
    for name in ("broken", "odd-parts", "odd-count"):
        styles.remove(name)
    assert [i.name for i in styles.list()] == ["good"] and leftovers() == []


def test_a_damaged_part_is_named_not_a_crash(registry, tmp_path):
    from hwrender.errors import WeightsError

    style = styles.add("hurt", make_samples(tmp_path / "s"))
    part = style.folder / "latin.safetensors"
    for damage in ("truncate", "delete"):
        if damage == "truncate":
            part.write_bytes(b"")
        else:
            part.unlink()
        with pytest.raises(WeightsError, match="hurt.*latin part latin.safetensors is "
                                               + ("missing" if damage == "delete" else "damaged")):
            store.get("hurt").part("latin").tensors()
        with pytest.raises(WeightsError, match="styles remove hurt"):  # no .hwstyle that import refuses
            styles.export("hurt", tmp_path / "hurt.hwstyle")
        assert not (tmp_path / "hurt.hwstyle").exists()


def test_a_damaged_sample_is_named(registry, tmp_path):
    folder = make_samples(tmp_path / "s")
    (folder / "s1.png").write_bytes(b"not a png")
    with pytest.raises(InputError, match=r"sample .*s1.png is unreadable.*extract"):
        styles.add("my-hand", folder)
    assert store.find("my-hand") is None


def test_a_styles_folder_that_cannot_be_made_fails_before_fitting(registry, tmp_path, monkeypatch):
    """The fit (minutes at the default steps) ran first and the store's error came after."""
    from hwrender.errors import OutputError

    (tmp_path / "blocker").write_text("a file where the styles folder goes")
    monkeypatch.setenv("HWRENDER_STYLES_DIR", str(tmp_path / "blocker" / "styles"))
    fitted = []
    monkeypatch.setattr("hwrender_plugins.testing.fit", lambda request: fitted.append(1))
    with pytest.raises(OutputError, match="cannot create the styles folder"):
        styles.add("my-hand", make_samples(tmp_path / "s"))
    assert fitted == []


def test_a_photo_given_for_the_samples_folder(registry, tmp_path):
    (tmp_path / "IMG_1.png").write_bytes(b"\x89PNG")
    with pytest.raises(InputError, match="IMG_1.png is a file, not a samples folder.*hwrender extract"):
        styles.add("my-hand", tmp_path / "IMG_1.png")


def _packed(tmp_path, registry, edit=None, extra=()):
    """The zip export wrote, rewritten: ``edit(index)`` changes style.json, ``extra`` adds
    (name, bytes) entries."""
    if store.find("base") is None:
        styles.add("base", make_samples(tmp_path / "s"))
    data = zipfile.ZipFile(io.BytesIO(store._pack(store.root() / "base")))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for info in data.infolist():
            body = data.read(info)
            if info.filename == "style.json" and edit is not None:
                index = json.loads(body)
                edit(index)
                body = json.dumps(index).encode()
            zf.writestr(info.filename, body)
        for name, body in extra:
            zf.writestr(name, body)
    path = tmp_path / "x.hwstyle"
    path.write_bytes(out.getvalue())
    return path


@pytest.mark.parametrize("extra, needle", [
    ([("../evil.safetensors", b"x")], "not a plain file name"),
    ([("/etc/evil", b"x")], "not a plain file name"),
    ([("sub/latin.safetensors", b"x")], "not a plain file name"),
    ([("data.pkl", b"\x80\x04K\x01.")], "unexpected file data.pkl.*pickle is never read"),
    ([("latin.pt", b"\x80\x04K\x01.")], "unexpected file"),
])
def test_import_refuses_paths_and_pickle(registry, tmp_path, extra, needle):
    with pytest.raises(InputError, match=needle):
        styles.import_(_packed(tmp_path, registry, extra=extra), "other")
    assert store.find("other") is None and leftovers() == []


@pytest.mark.parametrize("edit, needle", [
    (lambda d: d.update(format="zip"), "not an hwrender style"),
    (lambda d: d.update(version=99), "style format 99, newer"),
    (lambda d: d.update(version="1"), "bad style format version"),
    (lambda d: d.update(name="../up"), "bad style name"),
    (lambda d: d.update(parts={}), "no parts"),
    (lambda d: d["parts"].update({"../x": {}}), "bad part"),
    (lambda d: d["parts"].update({"missing": {}}), "missing.safetensors is missing"),
])
def test_import_checks_the_index(registry, tmp_path, edit, needle):
    with pytest.raises(InputError, match=needle):
        styles.import_(_packed(tmp_path, registry, edit=edit), "other")
    assert store.find("other") is None


def test_import_refuses_a_pickle_posing_as_safetensors(registry, tmp_path):
    import pickle

    path = tmp_path / "evil.hwstyle"
    index = {"format": "hwrender-style", "version": 1, "name": "evil",
             "parts": {"latin": {"config": {}}}}
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("style.json", json.dumps(index))
        zf.writestr("latin.safetensors", pickle.dumps({"a": list(range(100))}))
    with pytest.raises(InputError, match="latin.safetensors is not a valid safetensors file"):
        styles.import_(path)
    assert store.find("evil") is None and leftovers() == []


def test_import_refuses_what_is_not_a_style_file(registry, tmp_path):
    junk = tmp_path / "junk.hwstyle"
    junk.write_bytes(b"not a zip at all" * 10)
    with pytest.raises(InputError, match="is not a style file"):
        styles.import_(junk)
    with pytest.raises(InputError, match="does not exist"):
        styles.import_(tmp_path / "nothing.hwstyle")


def test_import_size_limits(registry, tmp_path, monkeypatch):
    path = _packed(tmp_path, registry)
    monkeypatch.setattr(store, "MAX_PART_BYTES", 10)
    with pytest.raises(InputError, match="more than a style part may be"):
        styles.import_(path, "other")


def test_import_refuses_a_shipped_name(registry, tmp_path):
    with pytest.raises(UsageError, match="shipped model's named style"):
        styles.import_(_packed(tmp_path, registry), "neat")


# -- command line ----------------------------------------------------------------------------------
def test_cli_round_trip(registry, tmp_path, monkeypatch):
    from hwrender.cli import app

    monkeypatch.chdir(tmp_path)
    run = lambda *args: CliRunner().invoke(app, list(args))  # noqa: E731
    make_samples(tmp_path / "s")
    result = run("styles", "add", "my-hand", "s", "--steps", "3", "--device", "cpu")
    assert result.exit_code == 0, result.output
    assert "added style my-hand: latin (3 samples" in result.stderr
    again = run("styles", "add", "my-hand", "s")
    assert again.exit_code == 2 and "exists" in again.stderr and "--force" in again.stderr
    listed = run("styles", "list")
    assert listed.exit_code == 0 and "my-hand" in listed.stdout and "latin" in listed.stdout
    assert json.loads(run("styles", "list", "--json").stdout)[0]["samples"] == 3
    assert "from 3 samples" in run("styles", "show", "my-hand").stdout
    assert run("styles", "export", "my-hand", "-o", "a.hwstyle").exit_code == 0
    piped = run("styles", "export", "my-hand", "-o", "-")
    assert piped.exit_code == 0 and piped.stdout_bytes == (tmp_path / "a.hwstyle").read_bytes()
    assert run("styles", "remove", "my-hand").exit_code == 0
    assert run("styles", "import", "a.hwstyle", "--name", "copy").exit_code == 0
    assert [s.name for s in styles.list()] == ["copy"]
    missing = run("styles", "show", "my-hand")
    assert missing.exit_code == 2 and missing.stderr.startswith("hwrender: error: no stored style")


def test_styles_dir_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("HWRENDER_STYLES_DIR", str(tmp_path / "here"))
    assert store.root() == tmp_path / "here"
    monkeypatch.delenv("HWRENDER_STYLES_DIR")
    assert store.root().name == "styles" and "hwrender" in str(store.root())


def test_weights_folder_goes_only_to_the_family_it_holds(tmp_path):
    """`styles add --weights DIR` with one model's folder: the other families fit to their shipped
    model (a glyph-styler run's folder made the emnist fitter fail on its config)."""
    from hwrender.styles.fit import _weights_for

    glyphs = tmp_path / "run" / "model"
    glyphs.mkdir(parents=True)
    (glyphs / "config.json").write_text(json.dumps({"family": "glyph-styler"}))
    assert _weights_for("glyph-styler", glyphs) == glyphs
    assert _weights_for("emnist", glyphs) is None
    emnist = tmp_path / "emnist-run"
    emnist.mkdir()
    (emnist / "config.json").write_text(json.dumps({"model": "emnist"}))
    assert _weights_for("emnist", emnist) == emnist and _weights_for("latin", emnist) is None
    store = tmp_path / "store"  # a folder of model folders, as the weights store lays them out
    (store / "latin").mkdir(parents=True)
    assert _weights_for("latin", store) == store / "latin"
    assert _weights_for("latin", None) is None


def test_card_names_the_base_model_however_the_fitter_recorded_it():
    """latin/emnist keep `base_sha256`, the glyph styler `base: {model, sha256}`: both show (the
    glyph styler's card said "not recorded")."""
    from hwrender.styles.store import _base

    assert _base({"base_sha256": "ab" * 32}) == "base_sha256 " + "ab" * 8 + "…"
    assert _base({"base": {"model": "glyph-styler", "sha256": "cd" * 32}}) == \
        "base_sha256 " + "cd" * 8 + "…"
    assert _base({"method": "inversion"}) == "not recorded"

"""One --style contract: parsed once (none, number, name, blend, stored style) and routed to each
generator of the text by what its spec accepts (``style_kinds``), with named styles read from the
model actually loaded (``--weights DIR`` included)."""

from __future__ import annotations

import json
import math
import warnings

import pytest

import hwrender
from hwrender.api import render_pages
from hwrender.errors import HwrenderWarning, UsageError
from hwrender.registry import GeneratorSpec, Registry
from hwrender.styles import store
from hwrender.styles.route import StyleChoice, parse_blend, parse_choice
from hwrender.styles.types import Blend, UserStyle

FAST = dict(dpi=30)


def _recorder(name, seen):
    from hwrender_plugins.testing import TestGenerator

    class Rec(TestGenerator):
        def __init__(self, **kwargs):  # weights_dir=, offline= for specs with weights
            super().__init__()

        def generate(self, units, style, seed, device="cpu"):
            seen.setdefault(name, set()).add(style)
            return super().generate(units, None, seed, device)

    return Rec


def _spec(name, seen, *, charset, kinds, styles=(), weights=None, priority=0, **kw):
    return GeneratorSpec(name=name, scripts=("*",), unit="word", factory=_recorder(name, seen),
                         charset=charset, priority=priority, styles=styles, weights=weights,
                         style_kinds=kinds, **kw)


@pytest.fixture
def two():
    """``hand`` (a model with seeds, names, blends and stored parts) writes a-z; ``pen`` (names
    only, no model) writes the rest, as the font fallback does."""
    seen: dict = {}
    reg = Registry([
        _spec("hand", seen, charset="abcdefghijklmnopqrstuvwxyz ", priority=10,
              kinds={"seed", "name", "blend", "user"}, styles=("neat", "fine"), weights="handmodel",
              config_styles=lambda config: tuple(config.get("styles", ()))),
        _spec("pen", seen, charset=None, kinds={"name"}, styles=("natural", "hurried")),
    ])
    return reg, seen


# -- parsing ---------------------------------------------------------------------------------------
def test_parse_choice_kinds():
    assert parse_choice(None) == StyleChoice("none")
    assert parse_choice("12") == StyleChoice("seed", "12")
    assert parse_choice("neat") == StyleChoice("name", "neat")
    assert parse_choice("a:3,b:1") == StyleChoice("blend", Blend((("a", 0.75), ("b", 0.25))))


def test_blend_weights_are_normalised_and_default_to_one():
    blend = parse_blend("a, b:3")
    assert blend.parts == (("a", 0.25), ("b", 0.75))
    assert math.isclose(sum(w for _, w in parse_blend("x:0.7,y:0.7,z:0.1").parts), 1.0)
    assert parse_blend("a:0,b:2").parts == (("a", 0.0), ("b", 1.0))


@pytest.mark.parametrize("text, needle", [
    ("a:-1,b:1", "0 or more"), ("a:nan,b:1", "0 or more"), ("a:inf,b:1", "0 or more"),
    ("a:x,b:1", "not a weight"), ("a:1,,b:1", "empty"), ("a:0,b:0", "every weight is 0"),
    ("a:1,a:2", "twice"), ("3:1,b:1", "numbered"),
])
def test_bad_blends_are_one_line_usage_errors(text, needle):
    with pytest.raises(UsageError, match=needle) as err:
        parse_blend(text)
    assert "\n" not in err.value.one_line()


# -- numbers ---------------------------------------------------------------------------------------
def test_a_number_goes_only_to_generators_with_seeded_hands(two):
    reg, seen = two
    render_pages("ab €", registry=reg, style=12, **FAST)
    assert seen == {"hand": {"12"}, "pen": {None}}


def test_style_number_with_the_font_fallback_writing_a_euro_sign():
    """The issue's case: `--style 12` failed when the font fallback wrote `€` (the font has no
    seeded hands); now the font writes its default."""
    from hwrender_plugins import font

    seen: dict = {}
    reg = Registry()
    font.register(reg.register)
    reg.register(_spec("hand", seen, charset="abc ", priority=10, kinds={"seed", "name"}))
    with pytest.warns(HwrenderWarning, match="written with the fallback font"):
        pages = render_pages("abc €", registry=reg, style="12", missing="fallback", **FAST)
    assert len(pages) == 1 and seen == {"hand": {"12"}}


def test_a_number_nobody_takes_is_an_error_naming_the_generators(two):
    reg, _ = two
    with pytest.raises(UsageError, match="no generator writing this text has seeded hands "
                                         r"\(pen: hurried, natural\)"):
        render_pages("€", registry=reg, style=3, **FAST)


# -- names -----------------------------------------------------------------------------------------
def test_a_name_goes_to_the_generators_that_know_it(two):
    reg, seen = two
    render_pages("ab €", registry=reg, style="hurried", **FAST)
    assert seen == {"hand": {None}, "pen": {"hurried"}}


def test_an_unknown_name_lists_each_generators_styles(two):
    reg, _ = two
    with pytest.raises(UsageError) as err:
        render_pages("ab €", registry=reg, style="nobody", **FAST)
    line = err.value.one_line()
    assert "unknown style 'nobody'" in line
    assert "hand: fine, neat or a number; pen: hurried, natural" in line
    assert "hwrender generators" in line and "hwrender styles list" in line


def test_a_name_only_a_generator_outside_the_text_knows_is_unknown(two):
    reg, _ = two
    with pytest.raises(UsageError, match="unknown style 'neat' .pen: hurried, natural.$|"
                                         "unknown style 'neat' \\(pen: hurried, natural\\)"):
        render_pages("€ €", registry=reg, style="neat", **FAST)


def _model_dir(tmp_path, name, config):
    folder = tmp_path / name
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(config))
    return folder


def test_named_styles_come_from_the_model_given_by_weights(two, tmp_path):
    reg, seen = two
    folder = _model_dir(tmp_path, "mine", {"styles": ["dir-style"]})
    with pytest.raises(UsageError, match="unknown style 'dir-style'"):
        render_pages("ab", registry=reg, style="dir-style", **FAST)
    render_pages("ab", registry=reg, style="dir-style", weights=str(folder), **FAST)
    assert seen["hand"] == {"dir-style"}
    # and the shipped model's names are not offered for a model that lacks them
    with pytest.raises(UsageError, match=r"hand: dir-style or a number"):
        render_pages("ab", registry=reg, style="neat", weights=str(folder), **FAST)


def test_weights_folder_of_model_folders(two, tmp_path):
    reg, seen = two
    _model_dir(tmp_path, "handmodel", {"styles": ["nested"]})
    render_pages("ab", registry=reg, style="nested", weights=str(tmp_path), **FAST)
    assert seen["hand"] == {"nested"}


def test_shipped_plugins_read_named_styles_from_a_weights_folder(tmp_path):
    """latin's named styles are a dict in config.json, the glyph styler's a list per script."""
    from hwrender_plugins import glyph_styler, latin

    reg = Registry()
    latin.register(reg.register)
    glyph_styler.register(reg.register)
    folder = _model_dir(tmp_path, "latin", {"styles": {"mine": 5, "other": {"seed": 2}}})
    assert reg.get("latin").named_styles(folder) == ("mine", "other")
    folder = _model_dir(tmp_path, "glyph-styler",
                        {"styles": ["k1", "c1", "k2"], "style_scripts": ["Hang", "Hani", "Hang"]})
    assert reg.get("hangul").named_styles(folder) == ("k1", "k2")
    assert reg.get("cjk").named_styles(folder) == ("c1",)


def test_a_weights_folder_without_a_config_is_the_stores_error(two, tmp_path):
    from hwrender.errors import HwrenderError

    reg, _ = two
    with pytest.raises(HwrenderError, match="model.safetensors"):
        render_pages("ab", registry=reg, style="x", weights=str(tmp_path), **FAST)


def test_shipped_specs_declare_their_style_kinds():
    from hwrender_plugins import emnist, font, glyph_styler, latin

    reg = Registry()
    for plugin in (emnist, font, glyph_styler, latin):
        plugin.register(reg.register)
    kinds = {s.name: s.style_kinds for s in reg.specs()}
    assert kinds["font"] == {"name"}
    assert kinds["emnist"] == {"seed", "user"}
    assert {"seed", "name", "user"} <= kinds["latin"]
    assert kinds["hangul"] == kinds["cjk"] == {"seed", "name", "blend", "user"}
    assert {s.fitter.ref for s in reg.specs() if s.fitter} == {
        "hwrender_plugins.latin.fit:fit", "hwrender_plugins.emnist.fit:fit",
        "hwrender_plugins.glyph_styler.fit:fit"}


def test_style_kinds_are_checked():
    with pytest.raises(ValueError, match="style_kinds"):
        GeneratorSpec(name="x", scripts=("*",), unit="word", factory=lambda: None,
                      style_kinds={"seed", "colour"})


# -- blends ----------------------------------------------------------------------------------------
def test_a_blend_goes_to_generators_that_blend_and_know_every_name(two):
    reg, seen = two
    render_pages("ab €", registry=reg, style="neat:0.7,fine:0.3", **FAST)
    assert seen["hand"] == {Blend((("neat", 0.7), ("fine", 0.3)))}
    assert seen["pen"] == {None}


def test_a_blend_nobody_can_make_is_an_error(two):
    reg, _ = two
    with pytest.raises(UsageError, match=r"no generator writing this text blends neat, natural "
                                         r"\(hand: fine, neat or a number; pen: no blends\)"):
        render_pages("ab €", registry=reg, style="neat:1,natural:1", **FAST)


# -- stored styles ---------------------------------------------------------------------------------
def _stored(name, models):
    import torch

    index = {"format": "hwrender-style", "version": 1, "name": name, "created": "now",
             "hwrender": "test", "samples": 3,
             "parts": {m: {"config": {"k": m}, "used": 3, "fit_s": 0.1} for m in models}}
    return store.install(name, lambda f: store.write_style(
        f, index, {m: {"t": torch.zeros(2)} for m in models}))


def test_a_stored_style_goes_to_generators_whose_model_has_a_part(two):
    reg, seen = two
    style = _stored("my-hand", ["handmodel"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        render_pages("ab €", registry=reg, style="my-hand", **FAST)
    assert seen == {"hand": {style}, "pen": {None}}
    (got,) = seen["hand"]
    assert isinstance(got, UserStyle) and got.part("handmodel").config == {"k": "handmodel"}
    assert not caught  # pen has no model, so no part to miss


def test_a_stored_style_notes_the_generators_it_has_no_part_for():
    seen: dict = {}
    reg = Registry([
        _spec("hand", seen, charset="ab ", priority=10, kinds={"seed", "name", "user"},
              weights="handmodel"),
        _spec("other", seen, charset="xy", priority=10, kinds={"seed", "name", "user"},
              weights="othermodel"),
    ])
    _stored("my-hand", ["handmodel"])
    with pytest.warns(HwrenderWarning, match="style my-hand has no other part; other writes its "
                                             "default"):
        render_pages("ab xy", registry=reg, style="my-hand", **FAST)
    assert seen["other"] == {None} and isinstance(next(iter(seen["hand"])), UserStyle)


def test_a_stored_style_without_a_part_for_the_text_is_an_error(two):
    reg, _ = two
    _stored("their-hand", ["elsewhere"])
    with pytest.raises(UsageError, match="style their-hand has no part for the generators writing "
                                         r"this text \(hand\); it has elsewhere"):
        render_pages("ab", registry=reg, style="their-hand", **FAST)


def test_a_models_own_name_wins_over_a_stored_style(two):
    reg, seen = two
    _stored("neat", ["handmodel"])  # `add` refuses such a name; made here behind its back
    render_pages("ab", registry=reg, style="neat", **FAST)
    assert seen["hand"] == {"neat"}


def test_hwrender_write_with_a_stored_style(two, tmp_path):
    reg, seen = two
    _stored("my-hand", ["handmodel"])
    paths = hwrender.write("ab", tmp_path / "page.png", registry=reg, style="my-hand", **FAST)
    assert paths and isinstance(next(iter(seen["hand"])), UserStyle)


def test_cli_write_notes_a_missing_part_once(monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from hwrender.cli import app

    seen: dict = {}
    reg = Registry([
        _spec("hand", seen, charset="ab ", priority=10, kinds={"user"}, weights="handmodel"),
        _spec("other", seen, charset="xy", priority=10, kinds={"user"}, weights="othermodel"),
    ])
    monkeypatch.setattr("hwrender.registry._default", reg)
    monkeypatch.chdir(tmp_path)
    _stored("my-hand", ["handmodel"])
    result = CliRunner().invoke(app, ["write", "ab xy " * 300, "--style", "my-hand",
                                      "--dpi", "30", "-o", "page.png"])
    assert result.exit_code == 0, result.output
    notes = [line for line in result.stderr.splitlines() if "no other part" in line]
    assert notes == ["hwrender: warning: style my-hand has no other part; other writes its default"]


def test_the_latin_model_in_a_weights_folder_writes_its_own_named_style(tmp_path):
    """The issue's case with the real Latin model: a style only the model in --weights DIR has."""
    import shutil

    from hwrender.registry import default_registry
    from hwrender.weights import local_folder

    shipped = local_folder("latin")
    if shipped is None or "latin" not in default_registry():
        pytest.skip("needs the bundled latin weights")
    folder = tmp_path / "latin"
    shutil.copytree(shipped, folder)
    (folder / "manifest.json").unlink()  # the config changes, so its checksum would not match
    config = json.loads((folder / "config.json").read_text())
    config["styles"]["mine"] = config["styles"]["neat"]
    (folder / "config.json").write_text(json.dumps(config))
    options = dict(generators={"Latn": "latin"}, dpi=40)
    with pytest.raises(UsageError, match="unknown style 'mine' .latin: airy, bold, compact, fine, heavy, .*neat"):
        render_pages("Hi", style="mine", **options)
    with pytest.warns(HwrenderWarning, match="no manifest.json"):
        mine = render_pages("Hi", style="mine", weights=str(folder), **options)
    assert mine[0].tobytes() == render_pages("Hi", style="neat", weights=str(folder),
                                             **options)[0].tobytes()

"""``hwrender generators`` (fits 80 columns, marks default styles) and HWRENDER_PLUGINS checks."""

from __future__ import annotations

import io
import json
import warnings

import pytest
from rich.console import Console
from typer.testing import CliRunner

from hwrender.cli import app
from hwrender.cli.generators import print_listing, styles_text
from hwrender.errors import HwrenderWarning
from hwrender.registry import Registry


def _rows():
    return json.loads(CliRunner().invoke(app, ["generators", "--json"]).stdout)


def test_listing_fits_80_columns_and_keeps_every_style_whole():
    rows = _rows()
    out = io.StringIO()
    print_listing(rows, Console(file=out, width=80, markup=False, highlight=False))
    lines = out.getvalue().splitlines()
    assert max(len(line) for line in lines) <= 80, "\n".join(lines)
    words = out.getvalue().replace(",", " ").replace(";", " ").split()
    for r in rows:
        for style in r["styles"]:  # wrapped between names, never inside one
            assert style in words, (style, lines)


def test_default_style_is_marked():
    rows = {r["name"]: r for r in _rows()}
    assert rows["font"]["default_style"] == "natural"
    assert styles_text(rows["font"]).startswith("natural (default), ")
    assert styles_text({"styles": ["a", "b"], "default_style": "b"}) == "b (default), a"
    assert styles_text({"styles": ["neat"], "default_style": "7"}).endswith("; default 7")
    assert styles_text({"styles": [], "default_style": None}) == "-"
    out = CliRunner().invoke(app, ["generators"]).stdout
    assert "natural (default)" in out


def test_shipped_defaults_are_what_the_generators_write():
    """The listing's defaults come from the plugins' cheap config reads; check them against the
    generators' own choice (which needs torch and the weights)."""
    pytest.importorskip("torch")
    from hwrender.registry import default_registry

    registry = default_registry()
    listed = {s.name: s.default_style_name() for s in registry.specs()}
    for name in ("latin", "emnist"):
        if registry.get(name).weights_status().startswith("bundled"):
            assert listed[name] == str(registry.instance(name).default_style_seed), name
    for name, script in (("hangul", "Hang"), ("cjk", "Hani")):
        if registry.get(name).weights_status().startswith("bundled"):
            styler = registry.instance(name)
            chosen = getattr(styler, "styler", styler)
            assert listed[name] == chosen.default_styles.get(script), name


def test_unknown_plugin_in_env_warns(monkeypatch):
    monkeypatch.setenv("HWRENDER_PLUGINS", "font,nosuchplugin")
    with pytest.warns(HwrenderWarning, match=r"HWRENDER_PLUGINS names 'nosuchplugin', which is "
                                             r"not installed; installed: .*\bfont\b"):
        registry = Registry.from_entry_points()
    assert [s.name for s in registry.specs()] == ["font"]


def test_known_plugins_do_not_warn(monkeypatch):
    monkeypatch.setenv("HWRENDER_PLUGINS", "font, emnist")
    with warnings.catch_warnings():
        warnings.simplefilter("error", HwrenderWarning)
        registry = Registry.from_entry_points()
    assert {s.name for s in registry.specs()} == {"font", "emnist"}


def test_unknown_plugin_warning_on_the_command_line(monkeypatch):
    import hwrender.registry as reg

    monkeypatch.setattr(reg, "_default", None)  # load the plugins again, under the env var
    monkeypatch.setenv("HWRENDER_PLUGINS", "font,nosuchplugin")
    r = CliRunner().invoke(app, ["generators"])
    assert r.exit_code == 0
    assert ("hwrender: warning: HWRENDER_PLUGINS names 'nosuchplugin', which is not installed"
            in r.stderr)
    monkeypatch.setattr(reg, "_default", None)

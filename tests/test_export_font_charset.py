"""Named character sets for fonts (``--charset``): enumerated from Python's codecs."""

from __future__ import annotations

import dataclasses
import unicodedata

import pytest
from fontTools.ttLib import TTFont
from typer.testing import CliRunner

from hwrender.errors import UsageError
from hwrender.styles.font import CHARSETS, named_charset
from hwrender.text.scripts import glyph_script


def test_gb2312_is_its_6763_hanzi_in_code_order():
    chars = named_charset("gb2312")
    assert len(chars) == len(set(chars)) == 6763
    assert {glyph_script(c) for c in chars} == {"Hani"}
    assert list(chars) == sorted(chars)
    # first and last hanzi of the GB 2312 levels: 啊 (0xB0A1) and 齄 (0xF7FE)
    assert "啊" in chars and "齄" in chars and all(c.encode("gb2312")[0] >= 0xB0 for c in chars)


def test_ksx1001_and_ascii():
    hangul = named_charset("KS X 1001")
    assert len(hangul) == 2350 and all(unicodedata.name(c).startswith("HANGUL SYLLABLE") for c in hangul)
    assert named_charset("ascii") == "".join(chr(c) for c in range(33, 127))


def test_an_unknown_set_names_the_known_ones():
    with pytest.raises(UsageError, match="unknown character set 'big5'") as err:
        named_charset("big5")
    assert all(name in err.value.hint for name in CHARSETS)


def test_cli_charset_and_its_conflicts(tmp_path, monkeypatch):
    from hwrender_plugins.testing import register

    from hwrender.cli import app
    from hwrender.registry import Registry

    tmp = Registry()
    register(tmp.register)
    monkeypatch.setattr("hwrender.registry._default",
                        Registry([dataclasses.replace(tmp.get("test"), auto=True)]))
    runner = CliRunner()
    out = tmp_path / "a.ttf"
    res = runner.invoke(app, ["export-font", "-o", str(out), "--charset", "ascii"])
    assert res.exit_code == 0, res.output
    assert set(map(chr, TTFont(out).getBestCmap())) == set(named_charset("ascii")) | {" "}
    res = runner.invoke(app, ["export-font", "-o", str(out), "--charset", "ascii", "--chars", "a"])
    assert res.exit_code == 2 and "give one of --chars, --charset-file and --charset" in res.output
    res = runner.invoke(app, ["export-font", "-o", str(out), "--charset", "latin9"])
    assert res.exit_code == 2 and "unknown character set 'latin9'" in res.output

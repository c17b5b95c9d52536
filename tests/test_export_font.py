"""A hand as an installable font (hwrender.styles.font): small fonts from the procedural test
generator, reopened with fontTools; shaping with uharfbuzz where it is installed."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from typer.testing import CliRunner

from hwrender.errors import UsageError
from hwrender.registry import Registry
from hwrender.styles.font import UPM, export_font

CHARS = "abcTo.,H0"


@pytest.fixture
def reg():
    """The test generator, in the default plan (auto), serving every script."""
    from hwrender_plugins.testing import register

    tmp = Registry()
    register(tmp.register)
    return Registry([dataclasses.replace(tmp.get("test"), auto=True)])


def _font(tmp_path, reg, name="f.otf", **kw) -> tuple[TTFont, object]:
    kw.setdefault("chars", CHARS)
    report = export_font(tmp_path / name, kw.pop("style", "bold"), registry=reg,
                         cache_dir=tmp_path / "cache", **kw)
    return TTFont(tmp_path / name), report


@pytest.mark.parametrize("suffix", [".otf", ".ttf", ".woff2"])
def test_font_reopens_with_cmap_metrics_and_names(tmp_path, reg, suffix):
    font, report = _font(tmp_path, reg, "f" + suffix)
    cmap = font.getBestCmap()
    assert set(map(chr, cmap)) == set(CHARS) | {" "}
    assert font["head"].unitsPerEm == UPM
    assert ("CFF " in font) == (suffix == ".otf") and ("glyf" in font) == (suffix != ".otf")
    assert font.getGlyphOrder()[0] == ".notdef" and report.glyphs == len(font.getGlyphOrder())
    # the test hand's x-height is 10 px, its ascenders 16 px: 450 units and 720 above the baseline
    xh = font["OS/2"].sxHeight
    assert xh == 450
    gs = font.getGlyphSet()
    from fontTools.pens.boundsPen import BoundsPen

    pen = BoundsPen(gs)
    gs[cmap[ord("T")]].draw(pen)
    assert abs(pen.bounds[3] - 16 / 10 * xh) < 0.15 * xh  # cap top, jitter +-1 px
    assert font["hhea"].ascent >= pen.bounds[3]
    # advances as the generator spaces its ink: 7 px + 1 px gap (+ seeded 0-1 px) for 'a'
    adv = font["hmtx"][cmap[ord("a")]][0]
    assert 8 * 45 <= adv <= 9 * 45
    assert font["hmtx"]["space"][0] == round(0.9 * xh)  # write's word space
    assert font["name"].getDebugName(1) == "hwrender Bold"
    assert "test" in font["name"].getDebugName(13)


def test_variants_cycle_through_calt(tmp_path, reg):
    font, report = _font(tmp_path, reg, variants=3)
    assert report.glyphs == 2 + 3 * len(CHARS)
    assert {"a", "a.alt1", "a.alt2"} <= set(font.getGlyphOrder())
    gsub = font["GSUB"].table
    assert [f.FeatureTag for f in gsub.FeatureList.FeatureRecord][:1] == ["calt"]
    # the contextual lookup hands each default glyph on to the next variant
    singles = [st.mapping for lk in gsub.LookupList.Lookup if lk.LookupType == 1
               for st in lk.SubTable]
    assert any(m.get("a") == "a.alt1" for m in singles)
    assert any(m.get("a") == "a.alt2" for m in singles)
    # the drawings differ (other seeds), not copies
    gs = font.getGlyphSet()
    from fontTools.pens.recordingPen import RecordingPen

    drawn = []
    for name in ("a", "a.alt1", "a.alt2"):
        pen = RecordingPen()
        gs[name].draw(pen)
        drawn.append(pen.value)
    assert drawn[0] != drawn[1] or drawn[1] != drawn[2]


def test_shaping_aaaa_takes_the_variants_in_turn(tmp_path, reg):
    hb = pytest.importorskip("uharfbuzz")
    font, _ = _font(tmp_path, reg, "f.ttf", variants=3)
    face = hb.Face(hb.Blob.from_file_path(str(tmp_path / "f.ttf")))
    buf = hb.Buffer()
    buf.add_str("aaaa")
    buf.guess_segment_properties()
    hb.shape(hb.Font(face), buf, {})
    names = [font.getGlyphName(g.codepoint) for g in buf.glyph_infos]
    assert names == ["a", "a.alt1", "a.alt2", "a"]


def test_one_variant_has_no_calt(tmp_path, reg):
    font, _ = _font(tmp_path, reg)
    tags = [f.FeatureTag for f in font["GSUB"].table.FeatureList.FeatureRecord] if "GSUB" in font else []
    assert "calt" not in tags


def test_kerning_pulls_in_a_wide_gap(tmp_path, reg):
    font, report = _font(tmp_path, reg, chars="abcdefghijklmnopqrstuvwxyzTL.,")
    assert report.kern_pairs > 0
    pairs = [st for lk in font["GPOS"].table.LookupList.Lookup for st in lk.SubTable]
    assert pairs and all(st.Format == 2 for st in pairs)  # class kerning
    values = [r.Class2Record[j].Value1.XAdvance for st in pairs for r in st.Class1Record
              for j in range(len(r.Class2Record)) if r.Class2Record[j].Value1 is not None]
    assert values and max(values) <= 0  # never pushed apart


def test_cache_resumes_and_interrupt_leaves_no_output(tmp_path, reg, monkeypatch):
    from hwrender_plugins.testing import TestGenerator

    calls = []
    real = TestGenerator.generate

    def counting(self, units, style, seed, device="cpu"):
        calls.append(len(units))
        if os.environ.get("H8_INTERRUPT") and len(calls) == 2:
            raise KeyboardInterrupt
        return real(self, units, style, seed, device)

    monkeypatch.setattr(TestGenerator, "generate", counting)
    monkeypatch.setattr("hwrender.styles.font.CHUNK", 3)
    monkeypatch.setenv("H8_INTERRUPT", "1")
    with pytest.raises(KeyboardInterrupt):
        _font(tmp_path, reg)
    assert not (tmp_path / "f.otf").exists() and not list(tmp_path.glob(".f*"))
    monkeypatch.delenv("H8_INTERRUPT")
    calls.clear()
    font, report = _font(tmp_path, reg)
    assert report.cached == 3 and report.drawn == len(CHARS) - 3 and sum(calls) == len(CHARS) - 3
    # a second export draws nothing, and gives the same outlines
    first = _outlines(font)
    calls.clear()
    again_font, again = _font(tmp_path, reg)
    assert calls == [] and again.cached == len(CHARS)
    assert _outlines(again_font) == first


def _outlines(font: TTFont) -> dict:
    from fontTools.pens.recordingPen import RecordingPen

    gs = font.getGlyphSet()
    out = {}
    for name in font.getGlyphOrder():
        pen = RecordingPen()
        gs[name].draw(pen)
        out[name] = pen.value
    return out


@pytest.mark.parametrize("kw, words", [
    (dict(name="f.pdf"), "cannot tell the font format"),
    (dict(variants=0), "--variants 0"),
    (dict(variants=9), "--variants 9"),
    (dict(script="Klingonish"), "unknown script"),
    (dict(chars=" \n"), "no characters"),
    (dict(seed=-1), "--seed -1 is out of range"),
    (dict(seed=2 ** 40), "out of range"),
    (dict(device="gpu"), "unknown device"),
    (dict(script="Latn", chars="ab가"), "--chars holds 가, not of --script Latn"),  # was written regardless
])
def test_bad_input(tmp_path, reg, kw, words):
    with pytest.raises(UsageError, match=words):
        _font(tmp_path, reg, **kw)


def test_an_output_folder_that_is_missing_fails_before_drawing(tmp_path, reg, monkeypatch):
    """It drew every glyph (minutes for a large set), then failed at the write."""
    from hwrender.errors import OutputError
    from hwrender.styles import font as fontmod

    monkeypatch.setattr(fontmod._Drawer, "__init__", lambda *a, **k: pytest.fail("drew first"))
    with pytest.raises(OutputError, match="does not exist"):
        export_font(tmp_path / "nodir" / "f.otf", registry=reg, chars="ab")


def test_too_many_glyphs_is_refused_with_the_count(tmp_path, reg):
    chars = "".join(chr(c) for c in range(0x4E00, 0x4E00 + 9000))
    with pytest.raises(UsageError, match=r"72,002 glyphs \(9,000 characters x 8 variants\)"):
        _font(tmp_path, reg, chars=chars, variants=8)


def test_a_script_the_style_has_no_generator_for_names_those_it_has(tmp_path):
    """A stored style with only a latin part asked for Hangul."""
    from hwrender.registry import GeneratorSpec
    from hwrender.styles.store import root
    from hwrender_plugins.testing import TestGenerator

    folder = root() / "my-hand"
    folder.mkdir(parents=True)
    (folder / "style.json").write_text('{"format": "hwrender-style", "version": 1, "name": "my-hand",'
                                       ' "parts": {"latin": {"config": {}}}}')
    specs = [GeneratorSpec(name="lat", scripts=("Latn", "Zyyy"), unit="word", factory=TestGenerator,
                           charset="abc", weights="latin", style_kinds={"user"}),
             GeneratorSpec(name="han", scripts=("Hang",), unit="glyph", factory=TestGenerator,
                           charset="한", weights="glyph-styler", style_kinds={"user"})]
    with pytest.raises(UsageError, match="style my-hand has no generator for Hang; it writes Latn, Zyyy"):
        export_font(tmp_path / "f.otf", "my-hand", script="Hang", registry=Registry(specs))


def test_cli_export_font_and_its_errors(tmp_path, reg, monkeypatch):
    from hwrender.cli import app

    monkeypatch.setattr("hwrender.registry._default", reg)
    runner = CliRunner()
    out = tmp_path / "hand.ttf"
    res = runner.invoke(app, ["styles", "export-font", "bold", "-o", str(out), "--chars", "abc",
                              "--variants", "2"])
    assert res.exit_code == 0, res.output
    assert "wrote" in res.output and TTFont(out).getBestCmap()[ord("b")] == "b"
    res = runner.invoke(app, ["export-font", "--style", "thin", "-o", str(tmp_path / "x.svg"),
                              "--chars", "abc"])
    assert res.exit_code == 2 and "hwrender: error: cannot tell the font format" in res.output
    chars = tmp_path / "chars.txt"
    chars.write_text("xyz\n", encoding="utf-8")
    res = runner.invoke(app, ["export-font", "-o", str(out), "--charset-file", str(chars)])
    assert res.exit_code == 0, res.output
    assert set(map(chr, TTFont(out).getBestCmap())) == set("xyz ")


def test_glyphs_keep_the_hands_weight_not_the_bolder_page_vector_level():
    """A font's outline sits where the alpha crosses FONT_LEVEL (the hand's weight on a raster
    page), not at the page tracer's lower INK_LEVEL, which would embolden every glyph."""
    import numpy as np

    from hwrender.ink import InkImage
    from hwrender.render import trace
    from hwrender.styles import font as F

    assert trace.INK_LEVEL < F.FONT_LEVEL  # else this test proves nothing
    xs = np.arange(40, dtype=np.float32)
    # a vertical bar: alpha 1 for 11 px, edges falling linearly to 0 over 3 px
    ramp = np.clip(1.0 - (np.abs(xs - 20.0) - 5.0) / 3.0, 0, 1)
    alpha = np.tile(ramp, (30, 1))
    ink = InkImage(alpha, baseline=30.0, x_height=30.0, advance=40.0, text="|")
    glyph = F._glyph(ink, 300.0)  # 10 font units per ink px
    pts = np.concatenate([c.reshape(-1, 2) for c in glyph.contours])
    width_px = (pts[:, 0].max() - pts[:, 0].min()) / 10.0
    expected = 2 * (5.0 + 3.0 * (1 - F.FONT_LEVEL))  # where the edges cross the level
    assert abs(width_px - expected) < 0.4, (width_px, expected)  # 0.25 would give 1.5 px more

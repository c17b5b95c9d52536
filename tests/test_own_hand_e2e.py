"""Own handwriting, the whole round trip on tiny models, through the public CLI and API:
template page filled with a font (``render_page(..., fill_font=)``, what ``--fill-font`` draws) →
simulated phone photo → ``hwrender extract`` → ``hwrender styles add`` → ``hwrender write --style``.

The writer is a bundled font made different from anything the tiny models saw (sheared right and
widened), so "the fitted style moves the output toward the font" is a measurable claim: the
crop-and-fit L1 (``hwrender.styles.evaluate.fit_l1``) to the font's own glyphs, on characters the
template did not hold, is lower with the fitted style than with the model's default.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("cv2")  # the extract extra; the test extra installs it
torch = pytest.importorskip("torch")

from typer.testing import CliRunner  # noqa: E402

from hwrender.cli import app  # noqa: E402
from hwrender.styles.evaluate import FontInk, fit_l1  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CAVEAT = ROOT / "plugins" / "font" / "fonts" / "Caveat-Regular.ttf"
NOTO = ROOT / "plugins" / "glyph_styler" / "fonts" / "NotoSansCJKsc-Regular-subset.otf"
SHEAR = (1.3, 0, 0.35, 1, 0, 0)  # wider and leaning right: a hand no tiny model was trained on


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def slanted_font(src: Path, dst: Path, chars: str, matrix=SHEAR) -> Path:
    """``src``'s glyphs for ``chars`` under the affine ``matrix``, as a small TrueType font."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.transformPen import TransformPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import TTFont

    font = TTFont(src)
    cmap, glyphs = font.getBestCmap(), font.getGlyphSet()
    upem = font["head"].unitsPerEm
    names, outlines, metrics, mapping = [".notdef"], {".notdef": TTGlyphPen(None).glyph()}, \
        {".notdef": (upem // 2, 0)}, {}
    for ch in dict.fromkeys(chars):
        if ord(ch) not in cmap:
            continue
        name = f"g{ord(ch):05X}"
        pen = TTGlyphPen(None)
        glyphs[cmap[ord(ch)]].draw(TransformPen(Cu2QuPen(pen, 1.0, reverse_direction=src.suffix
                                                         == ".otf"), matrix))
        glyph = pen.glyph()
        width = round(glyphs[cmap[ord(ch)]].width * matrix[0])
        names.append(name)
        outlines[name], metrics[name], mapping[ord(ch)] = glyph, (width, 0), name
    fb = FontBuilder(upem, isTTF=True)
    fb.setupGlyphOrder(names)
    fb.setupCharacterMap(mapping)
    fb.setupGlyf(outlines)
    for name, glyph in outlines.items():
        glyph.recalcBounds(fb.font["glyf"])
        metrics[name] = (metrics[name][0], getattr(glyph, "xMin", 0))
    fb.setupHorizontalMetrics(metrics)
    fb.setupHorizontalHeader(ascent=font["hhea"].ascent, descent=font["hhea"].descent)
    fb.setupNameTable({"familyName": f"Slanted {src.stem}", "styleName": "Regular"})
    fb.setupOS2(sTypoAscender=font["hhea"].ascent, sTypoDescender=font["hhea"].descent,
                usWinAscent=font["hhea"].ascent, usWinDescent=-font["hhea"].descent)
    fb.setupPost()
    fb.save(str(dst))
    return dst


@pytest.fixture(scope="module")
def tiny_glyph_styler(tmp_path_factory) -> Path:
    """A tiny glyph styler on the bundled source font, trained a few steps on that font itself
    (one "plain" style per script): its default hand is nothing like the slanted writer."""
    from hwrender_plugins.glyph_styler.task import build_task

    from hwrender.train.loop import LoopOptions, train

    root = tmp_path_factory.mktemp("glyph-styler")
    for script in ("Hang", "Hani"):
        (root / "corpus" / script).mkdir(parents=True)
        shutil.copy(NOTO, root / "corpus" / script / f"plain-{script.lower()}.otf")
    task = build_task(["variant=tiny", "hangul_per_font=40", "han_per_font=40",
                       "heldout_per_script=4"])
    summary = train(task, LoopOptions(out=root / "run", batch_size=8, max_steps=4,
                                      data=root / "corpus", checkpoint_every=100, log_every=1),
                    progress=False)
    return Path(summary.model)


@pytest.fixture(scope="module")
def tiny_emnist(tmp_path_factory) -> Path:
    """A tiny EMNIST AC-GAN trained a few steps on Caveat."""
    from hwrender_plugins.emnist.synth import build_synthetic
    from hwrender_plugins.emnist.task import build_task

    from hwrender.train.loop import LoopOptions, train

    root = tmp_path_factory.mktemp("emnist")
    build_synthetic({"caveat": CAVEAT, "caveat-copy": CAVEAT}, root / "data", 2, "byclass",
                    seed=0, holdout={"caveat-copy"})
    summary = train(build_task(["variant=tiny"]), LoopOptions(
        out=root / "run", data=root / "data", batch_size=16, max_steps=4, checkpoint_every=100,
        log_every=1), progress=False)
    return Path(summary.model)


@pytest.fixture
def cli(tmp_path, monkeypatch):
    """The CLI in this process, on the installed plugins the test names (no shipped-model fits)."""
    from hwrender.registry import Registry

    monkeypatch.setenv("HWRENDER_STYLES_DIR", str(tmp_path / "styles"))
    runner = CliRunner()

    def invoke(*args, plugins=("font", "glyph_styler")):
        monkeypatch.setattr("hwrender.registry._default", Registry.from_entry_points(plugins))
        result = runner.invoke(app, [str(a) for a in args])
        assert result.exit_code == 0, f"hwrender {' '.join(map(str, args))}:\n{result.output}"
        return result

    return invoke


def _photograph(kind: str, number: int, font: Path, folder: Path) -> tuple[Path, object]:
    """Page ``number`` of ``kind`` filled with ``font`` at 200 dpi, as a phone photo."""
    from hwrender.sheets import layout
    from hwrender.sheets.photo import simulate_photo
    from hwrender.sheets.template import render_page

    page = layout.page(kind, number)
    image = render_page(page, 200, fill_font=str(font), seed=1)
    path = folder / f"{kind}-{number}.png"
    simulate_photo(image, seed=3).save(path)
    return path, page


def _extracted(out: Path, page) -> dict[str, dict]:
    index = json.loads((out / "samples.json").read_text(encoding="utf-8"))
    rows = {row["box"]: row for row in index["samples"]}
    # every box found, read as the right template kind and page (the page code survived)
    assert set(rows) == {box.id for box in page.boxes}
    assert {(r["template"], r["page"]) for r in rows.values()} == {(page.kind, page.number)}
    assert all(rows[b.id]["text"] == b.text for b in page.boxes)
    assert sum("empty" in r["flags"] for r in rows.values()) <= len(rows) // 50
    return rows


def _page_alpha(text: str, script: str, model: str, weights: Path, style) -> np.ndarray:
    """``text`` written through the public API as a page's ink coverage (alpha)."""
    from hwrender import iter_pages
    from hwrender.options import RenderOptions

    opts = RenderOptions(generators={script: model}, weights=str(weights), style=style,
                         variation=0.0)
    page = next(iter_pages(text, opts))
    return np.asarray(page.coverage, np.float32) / 255.0


def _unseen(chars: str, on_sheet: set[str], n: int) -> list[str]:
    return [c for c in chars if c not in on_sheet][:n]


def test_hangul_round_trip_moves_the_glyph_styler_toward_the_writer(tiny_glyph_styler, cli,
                                                                    tmp_path):
    from hwrender_plugins.glyph_styler.data import ksx1001_hangul

    from hwrender.sheets import layout

    result = cli("template", "hangul", "--list-chars")
    on_sheet = set(result.output.strip())
    assert on_sheet == set(layout.charset("hangul"))
    unseen = _unseen(ksx1001_hangul(), on_sheet, 6)
    writer = slanted_font(NOTO, tmp_path / "writer.ttf", "".join(sorted(on_sheet)) + "".join(unseen))

    photo, page = _photograph("hangul", 1, writer, tmp_path)
    cli("extract", photo, "-o", tmp_path / "samples")
    _extracted(tmp_path / "samples", page)

    cli("styles", "add", "mine", tmp_path / "samples", "--steps", "30",
        "--weights", tiny_glyph_styler, "--device", "cpu", plugins=("font", "glyph_styler"))
    listed = cli("styles", "list").output
    assert "mine" in listed

    cli("write", "".join(unseen), "-g", "Hang=hangul", "--weights", tiny_glyph_styler,
        "--style", "mine", "-o", tmp_path / "mine.png")
    assert (tmp_path / "mine.png").stat().st_size > 0

    truth = FontInk(writer)
    fitted = np.mean([fit_l1(_page_alpha(c, "Hang", "hangul", tiny_glyph_styler, "mine"),
                             truth.alpha(c)) for c in unseen])
    default = np.mean([fit_l1(_page_alpha(c, "Hang", "hangul", tiny_glyph_styler, None),
                              truth.alpha(c)) for c in unseen])
    assert fitted < default, (fitted, default)


def test_emnist_round_trip_moves_the_characters_toward_the_writer(tiny_emnist, cli, tmp_path):
    from hwrender.sheets import layout

    writer = slanted_font(CAVEAT, tmp_path / "writer.ttf", layout.charset("emnist"))
    photo, page = _photograph("emnist", 1, writer, tmp_path)
    cli("extract", photo, "-o", tmp_path / "samples")
    rows = _extracted(tmp_path / "samples", page)

    cli("styles", "add", "mine", tmp_path / "samples", "--steps", "30",
        "--weights", tiny_emnist, "--device", "cpu", plugins=("font", "emnist"))
    style = json.loads((tmp_path / "styles" / "mine" / "style.json").read_text(encoding="utf-8"))
    assert "emnist" in style["parts"] and style["parts"]["emnist"]["used"] > 0
    assert style["samples"] == sum("empty" not in r["flags"] for r in rows.values())

    cli("write", "Hello", "-g", "Latn=emnist", "--weights", tiny_emnist, "--style", "mine",
        "-o", tmp_path / "mine.png", plugins=("font", "emnist"))
    assert (tmp_path / "mine.png").stat().st_size > 0

    truth = FontInk(writer)
    letters = "kQhTb"  # single letters (a digit is not Latn: the font would write it)
    fitted = np.mean([fit_l1(_page_alpha(c, "Latn", "emnist", tiny_emnist, "mine"), truth.alpha(c))
                      for c in letters])
    default = np.mean([fit_l1(_page_alpha(c, "Latn", "emnist", tiny_emnist, None), truth.alpha(c))
                       for c in letters])
    assert fitted < default, (fitted, default)


# ------------------------------------------------------------------------- the eval's measures


def test_crop_and_fit_ignores_size_and_place_but_not_shape(tmp_path):
    from PIL import Image

    from hwrender.styles.evaluate import crop_and_fit

    glyph = FontInk(NOTO).alpha("한")
    big = np.asarray(Image.fromarray(glyph).resize((glyph.shape[1] * 2, glyph.shape[0] * 2)),
                     np.float32)
    assert fit_l1(glyph, np.pad(big, ((30, 5), (2, 40)))) < 0.04  # resampling only
    slanted = FontInk(slanted_font(NOTO, tmp_path / "s.ttf", "한")).alpha("한")
    assert fit_l1(glyph, slanted) > 0.1
    assert crop_and_fit(np.zeros((5, 5))).sum() == 0


def test_shape_features_see_the_slant_and_the_width(tmp_path):
    from hwrender.styles.evaluate import feature_distance, mean_features, shape_features

    plain, slanted = FontInk(CAVEAT), FontInk(slanted_font(CAVEAT, tmp_path / "s.ttf",
                                                           "abcdefghijklmnopqrstuvwxyz"))
    words = ("garden", "mellow", "bishop", "hockey")
    f = {name: mean_features(shape_features(font.alpha(w), font.x_height, len(w)) for w in words)
         for name, font in (("plain", plain), ("slanted", slanted))}
    assert f["slanted"]["slant"] > f["plain"]["slant"] + 0.2  # SHEAR leans by 0.35
    assert f["slanted"]["width"] > f["plain"]["width"] * 1.15  # and widens by 1.3
    assert feature_distance(f["plain"], f["plain"]) == 0
    assert feature_distance(f["plain"], f["slanted"]) > 0.3


def test_own_hand_settings_are_checked():
    from hwrender.errors import UsageError
    from hwrender.styles.evaluate import parse_settings

    s = parse_settings(["models=hangul,cjk", "quick=1", "weights=cjk:/tmp/x"])
    assert s.models == ("hangul", "cjk") and s.seeds == 1 and s.weights == {"cjk": "/tmp/x"}
    with pytest.raises(UsageError, match="unknown model"):
        parse_settings(["models=klingon"])
    with pytest.raises(UsageError, match="unknown setting"):
        parse_settings(["bogus=1"])

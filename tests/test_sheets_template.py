"""Handwriting templates: what they ask for, where everything sits, the PDF and its raster twin."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from hwrender.cli import app
from hwrender.errors import HwrenderError, UsageError
from hwrender.sheets import charsets, layout, template

ROOT = Path(__file__).resolve().parents[1]
CAVEAT = ROOT / "plugins" / "font" / "fonts" / "Caveat-Regular.ttf"
NOTO = ROOT / "plugins" / "glyph_styler" / "fonts" / "NotoSansCJKsc-Regular-subset.otf"
SQUARE = ("hangul", "cjk")


# --- what the sheets ask for -------------------------------------------------------------------

def test_latin_sheet_has_the_word_gans_charset_twice():
    config = json.loads((ROOT / "weights" / "latin" / "config.json").read_text(encoding="utf-8"))
    from hwrender_plugins.latin import charset as latin_charset

    assert charsets.LATIN_CHARSET == config["charset"] == latin_charset()
    counts = Counter(charsets.box_sequence("latin"))
    assert {c for c in counts} == set(charsets.LATIN_CHARSET)
    assert min(counts[c] for c in charsets.LATIN_CHARSET) >= 2
    assert set(layout.charset("latin")) == set(charsets.LATIN_CHARSET)
    # words and lines only use characters the model writes (and spaces between the words)
    ruled = "".join(charsets.LATIN_WORDS + charsets.LATIN_LINES).replace(" ", "")
    assert set(ruled) <= set(config["charset"])


def test_emnist_sheet_has_the_62_classes_at_least_twice():
    from hwrender_plugins.emnist.classes import BYCLASS

    assert charsets.EMNIST_CHARSET == BYCLASS.chars and len(BYCLASS.chars) == 62
    counts = Counter(charsets.box_sequence("emnist"))
    assert set(counts) == set(BYCLASS.chars)
    assert min(counts.values()) >= 2
    assert layout.charset("emnist") == BYCLASS.chars


def test_hangul_sheet_shows_every_jamo_in_every_shape_it_takes():
    every = charsets.ksx1001_hangul()
    assert len(every) == 2350 and all(c.encode("euc_kr") for c in every)
    chosen = charsets.HANGUL
    assert len(chosen) == len(set(chosen)) == 210 and set(chosen) <= set(every)
    assert chosen == charsets.choose_hangul()  # the frozen sheet is what the method gives
    shapes = set().union(*map(charsets.jamo_elements, every))
    covered = set().union(*map(charsets.jamo_elements, chosen))
    assert covered == shapes and len(shapes) == 212  # every shape KS X 1001 has
    initials, medials, finals = (set(x) for x in zip(*map(charsets.jamo, chosen)))
    assert len(initials) == 19 and len(medials) == 21 and len(finals) == 28  # 27 + none
    for initial in range(19):  # each initial in each layout class (where a syllable has it)
        for shape in "vhc":
            for with_final in (False, True):
                if ("initial", initial, shape, with_final) in shapes:
                    assert ("initial", initial, shape, with_final) in covered
    common = set(charsets.HANGUL_COMMON)
    assert sum(c in common for c in chosen) >= 140  # common syllables preferred


def test_cjk_sheet_is_frequent_characters_covering_common_components():
    chosen = charsets.CJK
    assert len(chosen) == len(set(chosen)) == charsets.CJK_SIZE
    assert chosen == charsets.choose_cjk()
    frequent = list(dict.fromkeys(charsets.CJK_FREQUENT))
    assert set(frequent[:charsets.CJK_TOP]) <= set(chosen)
    for component, examples in charsets.CJK_COMPONENTS.items():
        assert any(c in chosen for c in examples), component


def test_every_character_is_one_its_generator_writes():
    from fontTools.ttLib import TTFont
    from hwrender_plugins.emnist import CHARSET as EMNIST
    from hwrender_plugins.glyph_styler import charset as styler_charset

    cmap = {chr(c) for c in TTFont(NOTO).getBestCmap()}
    assert set(charsets.HANGUL) <= cmap and set(charsets.HANGUL) <= styler_charset("Hang")
    assert set(charsets.CJK) <= cmap and set(charsets.CJK) <= styler_charset("Hani")
    assert set(charsets.EMNIST_CHARSET) <= set(EMNIST)


def test_prompt_fonts_draw_every_printed_character():
    latin = template.face(str(template.PROMPT_LATIN))
    cjk = template.face(str(template.PROMPT_CJK))
    for kind in layout.KINDS:
        face = template.prompt_face(kind)
        for page in layout.pages(kind):
            for box in page.boxes:
                assert all(face.has(c) for c in box.text), (kind, box)
    assert all(latin.has(c) for c in template.printed_text())
    assert cjk.has("가") and cjk.has("的")


# --- codes and marks ---------------------------------------------------------------------------

def test_page_codes_and_marker_ids_round_trip():
    seen = set()
    for version in (1, 2, 3):
        for kind in layout.KINDS:
            for number in (1, 2, 16):
                code = layout.page_code(kind, version, number)
                assert layout.parse_page_code(code) == (kind, version, number)
                for corner in layout.CORNERS:
                    marker = layout.marker_id(code, corner)
                    assert layout.split_marker_id(marker) == (code, corner)
                    assert marker < 1000 and marker not in seen
                    seen.add(marker)
    assert layout.page("latin", 2).code == layout.page_code("latin", 1, 2)
    with pytest.raises(UsageError):
        layout.page_code("latin", 1, 17)
    with pytest.raises(HwrenderError, match="version 2"):
        layout.page("latin", 1, version=2)
    with pytest.raises(UsageError, match="no page 5"):
        layout.page("latin", 5)
    with pytest.raises(UsageError, match="unknown template kind"):
        layout.pages("klingon")


def test_marker_table_is_opencvs_dictionary():
    cv2 = pytest.importorskip("cv2")
    dictionary = cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_5X5_1000)
    assert layout.ARUCO_DICT == "DICT_5X5_1000"
    for marker in range(1000):
        image = cv2.aruco.generateImageMarker(dictionary, marker, 7, borderBits=1)
        assert np.array_equal(np.array(layout.marker_cells(marker)), image < 128), marker


# --- geometry ----------------------------------------------------------------------------------

def _overlap(a, b) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


@pytest.mark.parametrize("paper", list(layout.PAPERS))
@pytest.mark.parametrize("kind", layout.KINDS)
def test_boxes_sit_in_the_printable_area_clear_of_marks_and_each_other(kind, paper):
    pages = layout.pages(kind, paper)
    assert [p.number for p in pages] == list(range(1, len(pages) + 1))
    grid = layout.GRIDS[kind]
    for page in pages:
        w, h = page.size_mm
        assert page.size_mm == layout.PAPERS[paper] and page.total == len(pages)
        for mark in page.marks:
            assert 5 <= mark.x and mark.x + mark.size <= w - 5 and 5 <= mark.y
            assert mark.y + mark.size <= h - 5 and mark.size == 14
        zones = [(m.x - layout.QUIET_MM, m.y - layout.QUIET_MM, m.size + 2 * layout.QUIET_MM,
                  m.size + 2 * layout.QUIET_MM) for m in page.marks]
        assert len({b.id for b in page.boxes}) == len(page.boxes)
        # a box with its prompt band above it
        areas = []
        for box in page.boxes:
            band = grid.prompt if box.kind == "char" else layout.RULED_PROMPT
            area = (box.x, box.y - band, box.w, box.h + band)
            assert 5 <= area[0] and area[0] + area[2] <= w - 5, box
            assert 5 <= area[1] and area[1] + area[3] <= h - 5, box
            assert not any(_overlap(area, z) for z in zones), box
            if box.kind == "char":
                assert box.baseline is None and len(box.text) == 1
            else:
                assert box.y < box.baseline < box.y + box.h
            areas.append(area)
        for i, a in enumerate(areas):
            assert not any(_overlap(a, b) for b in areas[i + 1:])


def test_geometry_relative_to_the_marks_is_the_same_on_every_paper():
    for kind in layout.KINDS:
        a4, letter = layout.pages(kind, "A4"), layout.pages(kind, "Letter")
        assert len(a4) == len(letter)
        for p, q in zip(a4, letter):
            (ax, ay), (bx, by) = p.origin, q.origin
            assert [m.corner for m in p.marks] == [m.corner for m in q.marks]
            assert [v for m in p.marks for v in (m.x - ax, m.y - ay)] == pytest.approx(
                [v for m in q.marks for v in (m.x - bx, m.y - by)])
            for b, c in zip(p.boxes, q.boxes):
                assert (b.id, b.text, b.kind) == (c.id, c.text, c.kind)
                assert (b.x - ax, b.y - ay, b.w, b.h) == pytest.approx((c.x - bx, c.y - by, c.w, c.h))


# --- the PDF and the raster --------------------------------------------------------------------

def test_pdf_has_the_pages_asked_for_at_the_papers_size(tmp_path):
    pypdf = pytest.importorskip("pypdf")
    out = tmp_path / "sheet.pdf"
    template.write_template("latin", out)
    reader = pypdf.PdfReader(out)
    assert len(reader.pages) == len(layout.pages("latin"))
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx((210 / 25.4 * 72, 297 / 25.4 * 72), abs=0.01)
    template.write_template("hangul", out, pages=[2], paper="Letter")
    reader = pypdf.PdfReader(out)
    assert len(reader.pages) == 1
    assert float(reader.pages[0].mediabox.height) == pytest.approx(279.4 / 25.4 * 72, abs=0.01)
    assert not [p for p in tmp_path.iterdir() if p.name != "sheet.pdf"]  # no temporary left


def test_pdf_draws_what_render_page_draws(tmp_path):
    pdfium = pytest.importorskip("pypdfium2")
    from scipy.ndimage import binary_dilation

    out = tmp_path / "sheet.pdf"
    template.write_template("cjk", out, pages=[1], fill_font=NOTO, seed=3)
    page = layout.page("cjk", 1)
    pdf = pdfium.PdfDocument(str(out))
    from_pdf = np.asarray(pdf[0].render(scale=100 / 72).to_pil().convert("L"), dtype=np.float32)
    pdf.close()
    drawn = np.asarray(template.render_page(page, 100, fill_font=NOTO, seed=3).convert("L"),
                       dtype=np.float32)
    h, w = min(from_pdf.shape[0], drawn.shape[0]), min(from_pdf.shape[1], drawn.shape[1])
    a, b = from_pdf[:h, :w] < 128, drawn[:h, :w] < 128
    assert a.sum() > 10000
    # the same ink, to a pixel of anti-aliasing and hinting (measured: 99.5 % both ways)
    assert (a & binary_dilation(b)).sum() / a.sum() > 0.98
    assert (b & binary_dilation(a)).sum() / b.sum() > 0.98


def test_rendered_marks_are_found_by_opencv_where_the_layout_puts_them():
    cv2 = pytest.importorskip("cv2")
    dpi = 100
    ppm = dpi / 25.4
    for kind, number, paper in (("latin", 2, "A4"), ("hangul", 1, "Letter")):
        page = layout.page(kind, number, paper)
        grey = np.asarray(template.render_page(page, dpi).convert("L"))
        detector = cv2.aruco.ArucoDetector(cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_5X5_1000))
        corners, ids, _ = detector.detectMarkers(grey)
        assert ids is not None and len(ids) == 4
        for quad, marker in zip(corners, ids.ravel()):
            code, corner = layout.split_marker_id(int(marker))
            assert layout.parse_page_code(code) == (kind, 1, number)
            mark = page.mark(corner)
            top_left = quad[0][0] / ppm  # OpenCV's first corner: the marker's top-left
            assert top_left == pytest.approx((mark.x, mark.y), abs=1.5 / ppm * 1.01 + 0.3)


@pytest.mark.parametrize("kind,number,font", [("latin", 1, CAVEAT), ("latin", 2, CAVEAT),
                                               ("hangul", 2, NOTO), ("emnist", 1, CAVEAT)])
def test_fill_font_writes_in_every_box_and_never_outside(kind, number, font):
    dpi = 120
    ppm = dpi / 25.4
    page = layout.page(kind, number)
    blank = np.asarray(template.render_page(page, dpi).convert("L"), dtype=np.int16)
    filled = np.asarray(template.render_page(page, dpi, fill_font=font, seed=1).convert("L"),
                        dtype=np.int16)
    ink = (blank - filled) > 40
    inside = np.zeros_like(ink)
    for box in page.boxes:
        y0, y1 = int(box.y * ppm) + 1, int((box.y + box.h) * ppm)
        x0, x1 = int(box.x * ppm) + 1, int((box.x + box.w) * ppm)
        inside[y0:y1, x0:x1] = True
        assert ink[y0:y1, x0:x1].sum() > 10, box  # something written in each box
    assert not (ink & ~inside).any()
    again = np.asarray(template.render_page(page, dpi, fill_font=font, seed=1).convert("L"))
    assert np.array_equal(again, filled.astype(np.uint8))  # seeded
    other = np.asarray(template.render_page(page, dpi, fill_font=font, seed=2).convert("L"))
    assert not np.array_equal(other, again)


def test_templates_import_neither_torch_nor_opencv():
    code = ("import sys; from hwrender.sheets import layout, template; "
            "template.render_page(layout.page('hangul', 1), 30); "
            "template.pdf_bytes(layout.pages('emnist')); "
            "assert 'torch' not in sys.modules and 'cv2' not in sys.modules, sorted(sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


# --- the command line --------------------------------------------------------------------------

def _run(*args):
    return CliRunner().invoke(app, list(args))


def test_list_chars_prints_only_the_characters():
    for kind in layout.KINDS:
        result = _run("template", kind, "--list-chars")
        assert result.exit_code == 0
        assert result.stdout == layout.charset(kind) + "\n"


def test_list_chars_of_the_pages_asked_for():
    """--list-chars listed the whole template whatever --pages said."""
    whole = _run("template", "latin", "--list-chars").stdout.strip()
    first = _run("template", "latin", "--list-chars", "--pages", "1").stdout.strip()
    page = layout.pages("latin")[0]
    assert set(first) == {ch for box in page.boxes for ch in box.text if not ch.isspace()}
    assert set(first) < set(whole) and len(first) == len(set(first))


def test_cli_writes_the_pages_asked_for(tmp_path):
    pypdf = pytest.importorskip("pypdf")
    out = tmp_path / "sheet.pdf"
    out.write_bytes(b"old")
    result = _run("template", "latin", "-o", str(out), "--pages", "1,2", "--paper", "letter",
                  "--fill-font", str(CAVEAT))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(out)
    reader = pypdf.PdfReader(out)
    assert len(reader.pages) == 2
    assert float(reader.pages[0].mediabox.width) == pytest.approx(215.9 / 25.4 * 72, abs=0.01)


@pytest.mark.parametrize("args,code,words", [
    (["template", "latn", "-o", "{out}"], 2, "unknown template kind 'latn'"),
    (["template", "latin", "-o", "{out}", "--paper", "A5"], 2, "unknown paper 'A5'"),
    (["template", "latin", "-o", "{out}", "--pages", "9"], 2, "no page 9"),
    (["template", "latin", "-o", "{out}", "--pages", "x"], 2, "not a list of page numbers"),
    (["template", "latin", "-o", "{tmp}"], 1, "is a directory"),
    (["template", "latin", "-o", "{tmp}/missing/sheet.pdf"], 1, "does not exist"),
    (["template", "latin", "-o", "{out}", "--fill-font", "{readme}"], 2, "is not a font"),
    (["template", "latin", "-o", "{out}", "--fill-font", "{caveat}"], 2, "lacks 1 of the characters to fill: ſ"),
    (["template", "hangul", "-o", "{out}", "--fill-font", "{caveat}"], 2, "lacks 210"),
    (["template", "latin"], 2, "missing -o"),
    (["template", "latin", "-o", "{tmp}/sheet.png"], 2, "does not end in .pdf"),
    (["template", "latin", "-o", "{tmp}/sheet"], 2, "does not end in .pdf"),
])
def test_cli_errors_are_one_line_and_write_nothing(tmp_path, args, code, words):
    (tmp_path / "not-a-font.ttf").write_text("hello")
    fill = {"out": str(tmp_path / "sheet.pdf"), "tmp": str(tmp_path), "caveat": str(CAVEAT),
            "readme": str(tmp_path / "not-a-font.ttf")}
    result = _run(*[a.format(**fill) for a in args])
    assert result.exit_code == code
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hwrender: error:") and words in lines[0], lines
    assert result.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not-a-font.ttf"]


def test_skip_missing_leaves_only_the_boxes_the_font_lacks_empty():
    dpi, ppm = 60, 60 / 25.4
    page = layout.page("latin", 4)
    with pytest.raises(UsageError, match="lacks 1 of the characters to fill: ſ"):
        template.render_page(page, dpi, fill_font=CAVEAT)
    blank = np.asarray(template.render_page(page, dpi).convert("L"), dtype=np.int16)
    filled = np.asarray(template.render_page(page, dpi, fill_font=CAVEAT, skip_missing=True)
                        .convert("L"), dtype=np.int16)
    ink = (blank - filled) > 40
    empty = [b.text for b in page.boxes
             if not ink[int(b.y * ppm) + 1:int((b.y + b.h) * ppm), int(b.x * ppm) + 1:int((b.x + b.w) * ppm)].any()]
    assert empty == ["ſ"]


def test_a_name_that_is_not_a_pdf_is_refused_and_the_file_kept(tmp_path):
    photo = tmp_path / "IMG_1.jpg"
    photo.write_bytes(b"\xff\xd8\xff my photo")
    result = _run("template", "latin", "-o", str(photo))
    assert result.exit_code == 2 and "sheet.pdf" in result.stderr
    assert photo.read_bytes() == b"\xff\xd8\xff my photo"  # not overwritten with a PDF


def test_dash_writes_the_pdf_to_stdout(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = _run("template", "emnist", "-o", "-", "--pages", "1,1")
    assert result.exit_code == 0, result.stderr
    assert result.stdout_bytes.startswith(b"%PDF-") and not (tmp_path / "-").exists()
    assert "1 page of the emnist template" in result.stderr

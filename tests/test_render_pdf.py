"""The PDF: real page sizes, vector paper, the ink as a soft-masked image, a text layer that extracts."""

from __future__ import annotations

import io
import unicodedata
import zlib

import numpy as np
import pypdf
import pytest

from hwrender.ink import InkImage
from hwrender.layout.types import PageGeometry, PageLayout, Placement, TextSpan
from hwrender.render import PaperStyle, ink_coverage, paper_geometry, parse_color
from hwrender.render.pdf import PdfMetadata, PdfWriter
from hwrender_plugins.font import FONT_PATH

A5 = PageGeometry(width=419.53, height=595.28, margin_top=40, margin_right=30, margin_bottom=40, margin_left=50)
A5_LANDSCAPE = PageGeometry(width=595.28, height=419.53, margin_top=30, margin_right=40, margin_bottom=30, margin_left=60)
DPI = 50


def build_page(text: str, geometry=A5, number=1, char_width=7.0, drift=0.0) -> PageLayout:
    """Lay ``text`` out by hand: one line per source line, words (or Han/Kana characters) as spans.

    Spans carry their real offsets in ``text``, their line and the space before them, as the
    layout engine's do.
    """
    spans, placements = [], []
    pitch, first = 24.0, geometry.margin_top + 24.0
    offset = 0
    for row, line in enumerate(text.split("\n")):
        baseline = first + row * pitch
        x = geometry.margin_left
        pos = 0
        for i, word in enumerate(line.split(" ")):
            start = line.index(word, pos)
            pos = start + len(word)
            units = list(word) if all(_cjk(c) for c in word) else [word]
            unit_start = offset + start
            for k, unit in enumerate(units):
                width = char_width * len(unit) * (2 if _cjk(unit[0]) else 1)
                b = baseline + (drift if i % 2 else -drift)
                spans.append(TextSpan(unit, x, x + width, b, 9.0, 3.0, unit_start, row, i > 0 and k == 0))
                placements.append(Placement(0, x, b, 0.5, 0.0, unit, unit_start))
                unit_start += len(unit)
                x += width
            x += char_width
        offset += len(line) + 1
    return PageLayout(number=number, geometry=geometry, placements=placements, spans=spans,
                      first_baseline=first, line_pitch=pitch, line_count=10)


def _cjk(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in "WF"


INKS = {0: InkImage(np.pad(np.ones((12, 20), np.float32), 2), baseline=14, x_height=8)}


def write(pages, **kw) -> bytes:
    buf = io.BytesIO()
    dpi = kw.pop("dpi", DPI)
    writer = PdfWriter(buf, dpi=dpi, **{"text_font": FONT_PATH, **kw})
    for page in pages:
        writer.add_page(page, ink_coverage(page, INKS, dpi))
    writer.close()
    return buf.getvalue()


def read(data: bytes) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(data))


def test_pages_and_sizes():
    pages = [build_page("one page", A5, 1), build_page("two", A5_LANDSCAPE, 2), build_page("three", A5, 3)]
    reader = read(write(pages))
    assert len(reader.pages) == 3
    for page, geo in zip(reader.pages, (A5, A5_LANDSCAPE, A5)):
        assert float(page.mediabox.width) == pytest.approx(geo.width, abs=0.01)
        assert float(page.mediabox.height) == pytest.approx(geo.height, abs=0.01)


@pytest.mark.parametrize("text", [
    "The quick brown fox\njumps over the lazy dog.",
    "café naïve façade\nÆsir Øresund straße",
    "привет мир\nΑθήνα",
    "한국어 문장입니다\n안녕하세요 세계",
    "你好世界\n中文文本，测试。",
    "日本語のテキスト\nカタカナ",
    "mixed café 한국어 你好 end",
])
def test_text_layer_extracts_the_words_in_order(text):
    reader = read(write([build_page(text)]))
    assert reader.pages[0].extract_text().strip() == text


def test_text_layer_takes_lines_and_spaces_from_the_spans():
    """The writer rebuilds nothing: a line is the spans with one line number, a space is where a
    span says one comes before it (whatever the offsets, gaps or scripts say)."""
    page = build_page("hello world")
    hello, world = page.spans
    page.spans = [hello, TextSpan("wide", world.x0, world.x1, hello.baseline, 9.0, 3.0, 0, 0, False),
                  TextSpan("next", hello.x0, hello.x1, hello.baseline + 24, 9.0, 3.0, 0, 1, False)]
    assert read(write([page])).pages[0].extract_text().strip() == "hellowide\nnext"


def test_text_layer_survives_baseline_drift():
    page = build_page("a line whose words drift up and down\nsecond line", drift=1.5)
    assert read(write([page])).pages[0].extract_text().strip() == "a line whose words drift up and down\nsecond line"


def test_text_layer_without_a_text_font():
    text = "café naïve\n한국어 你好"
    data = write([build_page(text)], text_font=None)
    assert read(data).pages[0].extract_text().strip() == text
    assert b"Caveat" not in data


def test_text_is_invisible_and_fitted_to_the_span():
    data = write([build_page("hello")])
    content = read(data).pages[0].get_contents().get_data().decode("latin-1")
    assert "3 Tr" in content and " Tz" in content


def test_metadata():
    data = write([build_page("x")], metadata=PdfMetadata(title="My notes", author="Ada", subject="Demo",
                                                         keywords=("a", "b")))
    meta = read(data).metadata
    assert meta.title == "My notes" and meta.author == "Ada" and meta.subject == "Demo"
    assert meta.creator.startswith("hwrender ") and "hwrender" in meta.producer
    custom = read(write([build_page("x")], metadata={"title": "T", "producer": "me", "creator": "you"})).metadata
    assert custom.producer == "me" and custom.creator == "you"
    # fields not given are left out: ReportLab wrote "(anonymous)" as the author, "(unspecified)"
    bare = read(write([build_page("x")])).metadata
    assert not {"/Title", "/Author", "/Subject", "/Keywords"} & set(bare) and "/Creator" in bare


def xobjects(page) -> dict:
    resources = page["/Resources"]
    if "/XObject" not in resources:
        return {}
    return {k: v.get_object() for k, v in resources["/XObject"].items()}


def test_ink_is_one_soft_masked_image_in_the_ink_colour():
    page = build_page("ink here and there")
    cov = ink_coverage(page, INKS, 60)
    buf = io.BytesIO()
    with PdfWriter(buf, dpi=60, ink_color="#c01020", paper=PaperStyle("ruled")) as w:
        w.add_page(page, cov)
    images = xobjects(read(buf.getvalue()).pages[0])
    assert len(images) == 1  # the paper is vectors, not a raster
    (image,) = images.values()
    assert image["/Subtype"] == "/Image" and (image["/Width"], image["/Height"]) == (cov.shape[1], cov.shape[0])
    cs = image["/ColorSpace"]
    palette = cs[3].get_object()
    palette = palette.original_bytes if hasattr(palette, "original_bytes") else bytes(palette)
    assert cs[0] == "/Indexed" and cs[1] == "/DeviceRGB" and palette == bytes(parse_color("#c01020"))
    smask = image["/SMask"].get_object()
    assert smask["/ColorSpace"] == "/DeviceGray" and smask["/BitsPerComponent"] == 8
    assert np.array_equal(np.frombuffer(smask.get_data(), np.uint8).reshape(cov.shape), cov)


def test_page_without_ink_has_no_image():
    buf = io.BytesIO()
    page = build_page("x")
    with PdfWriter(buf, dpi=DPI) as w:
        w.add_page(page, None)
        w.add_page(page, np.zeros((round(A5.height * DPI / 72), round(A5.width * DPI / 72)), np.uint8))
    for p in read(buf.getvalue()).pages:
        assert xobjects(p) == {}


@pytest.mark.parametrize("kind", ["ruled", "grid", "dotted"])
def test_paper_is_drawn_as_vectors_from_the_shared_geometry(kind):
    page = build_page("x")
    style = PaperStyle(kind, margin_line=True)
    geom = paper_geometry(page, style)
    content = read(write([page], paper=style)).pages[0].get_contents().get_data().decode("latin-1")
    ops = content.split()
    segments = len(geom.lines) + len(geom.dot_xs) * len(geom.dot_ys)
    assert ops.count("l") == segments and ops.count("m") == segments
    assert ops.count("re") == 1  # the paper fill
    if kind == "ruled":
        ys = {round(A5.height - float(ops[i - 1]), 2) for i, op in enumerate(ops) if op == "m"}
        assert {round(b, 2) for b in page.baselines} <= ys


def test_coverage_shape_is_checked():
    buf = io.BytesIO()
    w = PdfWriter(buf, dpi=DPI)
    with pytest.raises(ValueError, match="coverage"):
        w.add_page(build_page("x"), np.zeros((5, 5), np.uint8))


def test_writer_lifecycle():
    buf = io.BytesIO()
    w = PdfWriter(buf, dpi=DPI)
    with pytest.raises(ValueError, match="at least one page"):
        w.close()
    assert buf.getvalue() == b""
    w.add_page(build_page("x"), None)
    assert buf.getvalue() == b""  # nothing is written before close()
    w.close()
    assert buf.getvalue().startswith(b"%PDF-")
    with pytest.raises(ValueError, match="closed"):
        w.add_page(build_page("x"), None)


def test_invariant_output_is_reproducible():
    page = build_page("same in, same out")
    assert write([page], invariant=True) == write([page], invariant=True)


def test_ink_stream_is_flate_compressed():
    data = write([build_page("compress me " * 5)], dpi=100)
    image = next(iter(xobjects(read(data).pages[0]).values()))
    smask = image["/SMask"].get_object()
    assert smask["/Filter"] == ["/FlateDecode"] or smask["/Filter"] == "/FlateDecode"
    raw = smask._data  # still compressed as stored
    assert len(raw) < len(zlib.decompress(raw)) / 5


def test_every_text_font_maps_back_to_unicode():
    # Viewers (not only pypdf) copy text through /ToUnicode; the CJK fallback fonts carry one too.
    page = read(write([build_page("café 한국어 你好 カタカナ")])).pages[0]
    fonts = {k: v.get_object() for k, v in page["/Resources"]["/Font"].items()}
    base = {f["/BaseFont"] for f in fonts.values()}
    assert any("Caveat" in b for b in base)
    assert "/HwrenderGlyphless" in base
    for font in fonts.values():
        if font["/BaseFont"] != "/Helvetica":  # reportlab's unused default, standard encoding
            assert "/ToUnicode" in font, font["/BaseFont"]


def test_a_page_over_the_pdf_limit_is_refused():
    """A geometry built by hand (not through make_geometry) still cannot make a page PDF readers refuse."""
    from hwrender.errors import UsageError
    from hwrender.layout.geometry import MAX_PAGE_SIDE

    tall = PageGeometry(width=300, height=MAX_PAGE_SIDE + 1, margin_top=10, margin_right=10,
                        margin_bottom=10, margin_left=10)
    writer = PdfWriter(io.BytesIO(), dpi=10)
    with pytest.raises(UsageError, match="14,400pt"):
        writer.add_page(build_page("hi", geometry=tall), None)

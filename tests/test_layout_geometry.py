"""Page geometry and writing size: parsing lengths, sizes and margins, the line grid, fit checks."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwrender.errors import UsageError
from hwrender.layout import (
    LayoutStyle,
    PageGeometry,
    check_fits,
    line_grid,
    make_geometry,
    parse_length,
    parse_margins,
    parse_page_size,
    writing_metrics,
)

MM = 72 / 25.4


def one_line(error: UsageError) -> str:
    text = error.one_line()
    assert "\n" not in text and error.hint, text
    return text


def test_layout_imports_no_heavy_modules():
    code = (
        "import sys, hwrender.layout\n"
        "heavy = [m for m in ('torch', 'numpy', 'PIL') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# -- parse_length ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, points",
    [
        ("20mm", 20 * MM),
        ("2cm", 20 * MM),
        ("0.75in", 54.0),
        ("12pt", 12.0),
        ("12 PT", 12.0),
        (" 1.5 cm ", 15 * MM),
        (".5in", 36.0),
        ("20", 20 * MM),  # bare numbers use the default unit
        ("1e1mm", 10 * MM),
    ],
)
def test_parse_length(text, points):
    assert parse_length(text) == pytest.approx(points)


def test_parse_length_numbers_and_default_unit():
    assert parse_length(10) == pytest.approx(10 * MM)
    assert parse_length(10.0, "pt") == 10.0
    assert parse_length("3", default_unit="in") == 216.0
    assert parse_length("0") == 0.0 and parse_length("0mm") == 0.0  # indents, margins
    with pytest.raises(UsageError, match="greater than zero"):
        parse_length("0mm", positive=True, what="x-height")
    with pytest.raises(ValueError):
        parse_length("3", default_unit="px")


@pytest.mark.parametrize("bad", ["abc", "", "mm", "12 px", "12px", "3furlongs", "1..2mm", "-5mm", "-0.1", -3, "nan", "inf", True, None])
def test_parse_length_errors(bad):
    with pytest.raises(UsageError) as info:
        parse_length(bad)
    text = one_line(info.value)
    assert "length" in text
    assert info.value.exit_code == 2


def test_parse_length_error_message():
    with pytest.raises(UsageError) as info:
        parse_length("abc")
    assert info.value.message == "invalid length 'abc'"
    assert info.value.hint == "use a number with a unit, e.g. 20mm, 0.75in or 12pt"
    with pytest.raises(UsageError, match="pixels"):
        parse_length("300px")
    with pytest.raises(UsageError, match="zero or more"):
        parse_length("-1mm", what="margin")
    with pytest.raises(UsageError, match="invalid margin"):
        parse_length("x", what="margin")


@given(st.floats(min_value=0.001, max_value=1e4), st.sampled_from(["mm", "cm", "in", "pt"]))
@settings(max_examples=50, deadline=None)
def test_parse_length_units_agree(number, unit):
    factor = {"mm": MM, "cm": 10 * MM, "in": 72.0, "pt": 1.0}[unit]
    assert parse_length(f"{number!r}{unit}") == pytest.approx(number * factor)
    assert parse_length(f"{number!r}", default_unit=unit) == pytest.approx(number * factor)


# -- parse_page_size -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, mm",
    [
        ("A4", (210, 297)),
        ("a4", (210, 297)),
        (" A5 ", (148, 210)),
        ("A3", (297, 420)),
        ("210x297mm", (210, 297)),
        ("148 x 210 mm", (148, 210)),
        ("210X297MM", (210, 297)),
        ("21x29.7cm", (210, 297)),
        ("100x150", (100, 150)),  # no unit: mm
        ("210mmx297mm", (210, 297)),
        ("8.5inx279.4mm", (215.9, 279.4)),
    ],
)
def test_parse_page_size(name, mm):
    width, height = parse_page_size(name)
    assert (width / MM, height / MM) == pytest.approx(mm)


def test_parse_page_size_us():
    assert parse_page_size("Letter") == pytest.approx((612, 792))
    assert parse_page_size("LEGAL") == pytest.approx((612, 1008))
    assert parse_page_size("8.5x11in") == pytest.approx((612, 792))
    assert parse_page_size((300.0, 400.0)) == (300.0, 400.0)


@pytest.mark.parametrize("bad", ["A9", "letterr", "210x", "x297mm", "210x297px", "0x297mm", "210x-297mm", "", (1.0,)])
def test_parse_page_size_errors(bad):
    with pytest.raises(UsageError) as info:
        parse_page_size(bad)
    one_line(info.value)


@pytest.mark.parametrize("size", ["210x5100mm", "201x10in", "20000x100pt", (100.0, 14401.0), "1e9x1e9mm"])
def test_page_size_over_the_pdf_limit_is_refused(size):
    with pytest.raises(UsageError, match="larger than a PDF page") as info:
        make_geometry(size, "landscape")
    assert "200in" in one_line(info.value)


def test_page_size_at_the_pdf_limit_is_fine():
    from hwrender.layout.geometry import MAX_PAGE_SIDE

    assert parse_page_size("200x10in") == pytest.approx((MAX_PAGE_SIDE, 720))
    assert parse_page_size((MAX_PAGE_SIDE, MAX_PAGE_SIDE)) == (MAX_PAGE_SIDE, MAX_PAGE_SIDE)


def test_parse_page_size_error_lists_choices():
    with pytest.raises(UsageError) as info:
        parse_page_size("A9")
    text = one_line(info.value)
    for word in ("'A9'", "A4", "Letter", "Legal", "210x297mm", "8.5x11in"):
        assert word in text


# -- parse_margins ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, mm",
    [
        ("20mm", (20, 20, 20, 20)),
        ("20", (20, 20, 20, 20)),
        (15, (15, 15, 15, 15)),
        ("25mm 20mm", (25, 20, 25, 20)),
        ("25mm,20mm", (25, 20, 25, 20)),
        ("25 mm 20 mm", (25, 20, 25, 20)),
        ("10mm 20mm 30mm", (10, 20, 30, 20)),
        ("1cm, 2cm, 3cm, 4cm", (10, 20, 30, 40)),
        ("10 20 30 40", (10, 20, 30, 40)),
        ("0", (0, 0, 0, 0)),
        (["10mm", 20], (10, 20, 10, 20)),
    ],
)
def test_parse_margins(value, mm):
    assert tuple(m / MM for m in parse_margins(value)) == pytest.approx(mm)


@pytest.mark.parametrize("bad", ["", "1 2 3 4 5", "10mm,,20mm", "abc", "-3mm", "10mm -2mm", None])
def test_parse_margins_errors(bad):
    with pytest.raises(UsageError) as info:
        parse_margins(bad)
    assert "margin" in one_line(info.value)


# -- make_geometry ---------------------------------------------------------------------------


def test_make_geometry_default_a4():
    g = make_geometry()
    assert (g.width / MM, g.height / MM) == pytest.approx((210, 297))
    assert g.content_left == pytest.approx(20 * MM)
    assert g.content_width == pytest.approx(170 * MM)
    assert g.content_height == pytest.approx(257 * MM)


def test_make_geometry_orientation():
    land = make_geometry("A4", "landscape", "10mm 20mm")
    assert land.width > land.height
    assert (land.margin_top, land.margin_right) == pytest.approx((10 * MM, 20 * MM))
    assert make_geometry("297x210mm", "portrait").width < make_geometry("297x210mm", "portrait").height
    # None keeps a custom size as given
    custom = make_geometry("297x210mm")
    assert custom.width > custom.height
    assert make_geometry("Letter", "Portrait").width == pytest.approx(612)
    with pytest.raises(UsageError, match="orientation"):
        make_geometry("A4", "sideways")


def test_make_geometry_no_room():
    with pytest.raises(UsageError) as info:
        make_geometry("A5", margins="80mm")
    text = one_line(info.value)
    assert "80mm" in text and "148mm x 210mm" in text and "smaller margins" in text
    with pytest.raises(UsageError):
        make_geometry("100x100mm", margins="10mm 50mm")  # exactly no width left


# -- writing_metrics -------------------------------------------------------------------------


def test_writing_metrics_defaults():
    xh, lh, ws = writing_metrics()
    assert xh == pytest.approx(2.8 * MM)
    assert lh == pytest.approx(2.8 * 2.9 * MM)  # ~8 mm: wide-ruled paper
    assert ws == pytest.approx(0.9 * 2.8 * MM)


def test_writing_metrics_sizes():
    xh, lh, ws = writing_metrics(x_height="3mm", line_spacing=1.5, word_spacing=2)
    assert xh == pytest.approx(3 * MM)
    assert lh == pytest.approx(3 * 2.9 * 1.5 * MM)
    assert ws == pytest.approx(0.9 * 3 * 2 * MM)
    xh, lh, _ = writing_metrics(line_height="8.7mm")
    assert (xh, lh) == pytest.approx((3 * MM, 8.7 * MM))
    xh, lh, _ = writing_metrics(x_height=10, line_height=30)  # numbers are points
    assert (xh, lh) == (10, 30)
    xh, _, _ = writing_metrics(x_height="3")  # bare number strings are mm
    assert xh == pytest.approx(3 * MM)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"x_height": 0},
        {"x_height": "-2mm"},
        {"line_height": "abc"},
        {"line_spacing": 0},
        {"line_spacing": "wide"},
        {"word_spacing": -1},
        {"x_height": "5mm", "line_height": "5mm"},  # lines would run into each other
        {"line_spacing": 0.3},
    ],
)
def test_writing_metrics_errors(kwargs):
    with pytest.raises(UsageError) as info:
        writing_metrics(**kwargs)
    one_line(info.value)


# -- line grid and check_fits ----------------------------------------------------------------


def style(**kw) -> LayoutStyle:
    xh, lh, ws = writing_metrics()
    base = dict(x_height=xh, line_height=lh, word_space=ws)
    base.update(kw)
    return LayoutStyle(**base)


def test_line_grid_a4():
    g = make_geometry()
    s = style()
    first, pitch, count = line_grid(g, s)
    assert first == pytest.approx(g.content_top + 0.8 * s.line_height)
    assert pitch == s.line_height
    last = first + (count - 1) * pitch
    assert last + 0.45 * pitch <= g.content_bottom + 1e-9
    assert last + pitch + 0.45 * pitch > g.content_bottom
    assert count == 31  # 257 mm of writing height at 8.12 mm a line


@given(
    height=st.floats(50, 1500),
    top=st.floats(0, 100),
    bottom=st.floats(0, 100),
    pitch=st.floats(5, 80),
)
@settings(max_examples=100, deadline=None)
def test_line_grid_fills_the_content_box(height, top, bottom, pitch):
    g = PageGeometry(400, height, top, 10, bottom, 10)
    s = style(x_height=pitch / 3, line_height=pitch)
    first, _, count = line_grid(g, s)
    if count == 0:
        assert g.content_height < 1.25 * pitch + 1e-6
        with pytest.raises(UsageError):
            check_fits(g, s)
        return
    last = first + (count - 1) * pitch
    assert first - 0.8 * pitch >= g.content_top - 1e-9
    assert last + 0.45 * pitch <= g.content_bottom + 1e-6
    assert last + 1.45 * pitch > g.content_bottom - 1e-6  # no room for one more


def test_check_fits_ok_and_errors():
    g = make_geometry()
    check_fits(g, style())
    short = make_geometry("100x20mm", margins="5mm")
    with pytest.raises(UsageError) as info:
        check_fits(short, style())
    text = one_line(info.value)
    assert "no line of writing fits" in text and "100mm x 20mm" in text and "margins" in text
    narrow = make_geometry("15x100mm", margins="5mm")  # 5 mm wide
    with pytest.raises(UsageError) as info:
        check_fits(narrow, style())
    assert "across the page" in one_line(info.value)
    with pytest.raises(UsageError, match="indent"):
        check_fits(make_geometry("60x100mm", margins="5mm"), style(indent=45 * MM))


@pytest.mark.parametrize(
    "kw, word",
    [
        ({"x_height": 0.0}, "x-height"),
        ({"word_space": -1.0}, "word space"),
        ({"align": "center"}, "alignment"),
        ({"indent": -1.0}, "indent"),
        ({"paragraph_gap": -1.0}, "paragraph gap"),
        ({"variation": -0.5}, "variation"),
        ({"variation": 10.0}, "variation"),
        ({"line_height": 5.0}, "line height"),
    ],
)
def test_check_fits_style_errors(kw, word):
    with pytest.raises(UsageError) as info:
        check_fits(make_geometry(), style(**kw))
    assert word in one_line(info.value)


def test_check_fits_page_number_margin():
    g = make_geometry(margins="20mm 20mm 3mm 20mm")
    check_fits(g, style())
    with pytest.raises(UsageError, match="bottom margin"):
        check_fits(g, style(page_numbers=True))


def test_variation_has_one_bound_for_layout_api_and_cli():
    """Layout, the Python API and `write --help` agree on the largest variation."""
    from typer.testing import CliRunner

    from hwrender.api import render_pages
    from hwrender.cli import app
    from hwrender.layout.geometry import MAX_VARIATION
    from hwrender.registry import GeneratorSpec, Registry
    from hwrender_plugins.testing import TestGenerator

    base = dict(x_height=8.0, line_height=24.0, word_space=7.0)
    check_fits(make_geometry(), LayoutStyle(**base, variation=MAX_VARIATION))
    with pytest.raises(UsageError, match=f"0 .*to {MAX_VARIATION:g}"):
        check_fits(make_geometry(), LayoutStyle(**base, variation=MAX_VARIATION + 0.01))
    registry = Registry([GeneratorSpec(name="test", scripts=("*",), unit="word", factory=TestGenerator)])
    render_pages("hi", registry=registry, dpi=20, variation=MAX_VARIATION)
    with pytest.raises(UsageError, match=f"0 .*to {MAX_VARIATION:g}"):
        render_pages("hi", registry=registry, dpi=20, variation=MAX_VARIATION + 0.01)
    help_text = " ".join(CliRunner().invoke(app, ["write", "--help"], env={"COLUMNS": "200"}).output.split())
    assert f"to {MAX_VARIATION:g})" in help_text or f"to {MAX_VARIATION:g}." in help_text


@pytest.mark.parametrize("x_height", ["0.0001mm", "0.4mm", 1e-6])
def test_writing_too_small_to_draw_is_refused(x_height):
    """1e-4 mm once asked the ink resampler for terabytes of padding."""
    from hwrender.layout.geometry import MIN_X_HEIGHT

    xh, lh, ws = writing_metrics(x_height=x_height)
    with pytest.raises(UsageError, match="too small to write") as info:
        check_fits(make_geometry(), LayoutStyle(x_height=xh, line_height=lh, word_space=ws))
    assert "0.5mm" in one_line(info.value)
    xh, lh, ws = writing_metrics(x_height=MIN_X_HEIGHT)
    check_fits(make_geometry(), LayoutStyle(x_height=xh, line_height=lh, word_space=ws))

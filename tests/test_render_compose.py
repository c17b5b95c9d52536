"""Composition: ink resampled into place, paper drawn from the shared geometry, colours, DPI checks."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwrender.errors import UsageError
from hwrender.ink import InkImage
from hwrender.layout.types import PageGeometry, PageLayout, Placement
from hwrender.render import (
    PaperStyle,
    check_dpi,
    compose_page,
    ink_coverage,
    page_pixel_size,
    paper_geometry,
    paper_style,
    parse_color,
)
from hwrender.render.paper import rule_positions

SMALL = PageGeometry(width=144, height=144, margin_top=12, margin_right=12, margin_bottom=12, margin_left=24)


def rect_ink(h=10, w=20, baseline=8, value=1.0) -> InkImage:
    return InkImage(np.full((h, w), value, np.float32), baseline=baseline, x_height=5)


def place(ink=0, x=36.0, baseline=72.0, scale=1.0, rotation=0.0) -> Placement:
    return Placement(ink=ink, x=x, baseline=baseline, scale=scale, rotation=rotation, text="w", start=0)


def draw_paper(page: PageLayout, paper: PaperStyle, dpi: float):
    """The blank sheet, as the pipeline makes it: the page composed with no ink."""
    width, height = page_pixel_size(page.geometry, dpi)
    return compose_page(page, np.zeros((height, width), np.uint8), paper, "black", dpi)


def page_with(*placements, geometry=SMALL, **kw) -> PageLayout:
    return PageLayout(number=1, geometry=geometry, placements=list(placements), **kw)


def centroid(cov: np.ndarray) -> tuple[float, float]:
    a = cov.astype(np.float64)
    ys, xs = np.indices(a.shape)
    return (float((xs * a).sum() / a.sum()) + 0.5, float((ys * a).sum() / a.sum()) + 0.5)


# ---------------------------------------------------------------------------------------------
# ink coverage


@pytest.mark.parametrize("dpi", [72, 144])
def test_ink_lands_at_origin_on_baseline(dpi):
    page = page_with(place(x=36, baseline=72))
    cov = ink_coverage(page, {0: rect_ink()}, dpi)
    k = dpi / 72
    assert cov.shape == (round(144 * k), round(144 * k)) and cov.dtype == np.uint8
    # 20 x 10 ink pixels at 1 pt each; the origin (left edge, baseline row 8) at (36, 72) pt.
    x0, x1 = round(36 * k), round(56 * k)
    y0, y1 = round(64 * k), round(74 * k)
    assert (cov[y0 + 2 : y1 - 2, x0 + 2 : x1 - 2] >= 250).all()
    outside = cov.copy()
    outside[y0 - 2 : y1 + 2, x0 - 2 : x1 + 2] = 0
    assert outside.max() == 0
    # Area is conserved by the resampling (within the filter's rounding).
    assert cov.sum() / 255 == pytest.approx(20 * 10 * k * k, rel=0.02)


def test_subpixel_position_is_kept():
    cov = ink_coverage(page_with(place(x=36.5, baseline=72.5)), {0: rect_ink()}, 72)
    row = cov[68].astype(int)
    # The left edge sits half-way through column 36 and the right edge half-way through column 56.
    assert row[36] == pytest.approx(128, abs=12) and row[56] == pytest.approx(128, abs=12)
    assert row[37] >= 245 and row[35] <= 10
    cx, cy = centroid(cov)
    assert cx == pytest.approx(46.5, abs=0.05) and cy == pytest.approx(72.5 - 3, abs=0.05)


@pytest.mark.parametrize("rotation", [0.0, 30.0, 90.0, -12.0])
def test_rotation_is_counter_clockwise_about_the_origin(rotation):
    # A bar 40 px long sitting just above the baseline, starting at the origin.
    bar = InkImage(np.ones((4, 40), np.float32), baseline=4, x_height=4)
    ox, oy = 60.0, 80.0
    cov = ink_coverage(page_with(place(x=ox, baseline=oy, rotation=rotation)), {0: bar}, 72)
    t = math.radians(rotation)
    dx, dy = 20.0, -2.0  # the bar's centre relative to the origin, y down
    ex = ox + math.cos(t) * dx + math.sin(t) * dy
    ey = oy - math.sin(t) * dx + math.cos(t) * dy
    cx, cy = centroid(cov)
    assert cx == pytest.approx(ex, abs=0.3) and cy == pytest.approx(ey, abs=0.3)
    assert cov.sum() / 255 == pytest.approx(160, rel=0.03)


def test_scale_and_dpi_multiply():
    ink = rect_ink()
    cov = ink_coverage(page_with(place(x=10, baseline=40, scale=2.0)), {0: ink}, 144)
    # 2 pt per ink pixel at 2 px per pt = 4 page pixels per ink pixel.
    assert cov.sum() / 255 == pytest.approx(20 * 10 * 16, rel=0.02)
    cx, cy = centroid(cov)
    assert cx == pytest.approx((10 + 20) * 2, abs=0.1) and cy == pytest.approx((40 - 6) * 2, abs=0.1)


def test_shrinking_keeps_area_and_position():
    cov = ink_coverage(page_with(place(x=36, baseline=72, scale=0.5)), {0: rect_ink(h=40, w=80, baseline=32)}, 50)
    s = 0.5 * 50 / 72
    assert cov.sum() / 255 == pytest.approx(80 * 40 * s * s, rel=0.03)
    cx, _ = centroid(cov)
    assert cx == pytest.approx((36 + 20) * 50 / 72, abs=0.1)


def test_overlaps_combine_without_exceeding_full_ink():
    half = rect_ink(value=0.5)
    cov = ink_coverage(page_with(place(x=36), place(x=46)), {0: half}, 72)
    assert int(cov[68, 40]) == pytest.approx(128, abs=2)  # one ink
    assert int(cov[68, 50]) == pytest.approx(191, abs=3)  # two: 1 - (1 - .5)(1 - .5) = .75
    full = ink_coverage(page_with(*[place(x=36 + i) for i in range(5)]), {0: rect_ink()}, 72)
    assert full.max() == 255


def test_ink_off_the_page_is_clipped():
    pl = [place(x=-10, baseline=5), place(x=130, baseline=150), place(x=500, baseline=500),
          place(x=-500, baseline=72, rotation=45)]
    cov = ink_coverage(page_with(*pl), {0: rect_ink()}, 72)
    assert cov[:5, :10].min() > 200  # the part that is on the page is there
    assert cov[-1, 135] > 100


def test_missing_ink_is_a_clear_error():
    with pytest.raises(KeyError, match="ink 7"):
        ink_coverage(page_with(place(ink=7)), {0: rect_ink()}, 72)


def test_empty_page_has_no_ink():
    cov = ink_coverage(page_with(), {}, 72)
    assert cov.shape == (144, 144) and cov.max() == 0


@settings(max_examples=40, deadline=None)
@given(
    x=st.floats(-200, 300), y=st.floats(-200, 300), scale=st.floats(0.05, 4.0),
    rotation=st.floats(-180, 180), dpi=st.sampled_from([20, 50, 72, 100]),
)
def test_any_placement_is_safe(x, y, scale, rotation, dpi):
    cov = ink_coverage(page_with(place(x=x, baseline=y, scale=scale, rotation=rotation)), {0: rect_ink()}, dpi)
    assert cov.shape == page_pixel_size(SMALL, dpi)[::-1]
    assert cov.sum() / 255 <= 20 * 10 * (scale * dpi / 72) ** 2 * 1.1 + 4


# ---------------------------------------------------------------------------------------------
# DPI


def test_page_pixel_size():
    a4 = PageGeometry(595.2756, 841.8898, 0, 0, 0, 0)
    assert page_pixel_size(a4, 300) == (2480, 3508)
    assert page_pixel_size(a4, 72) == (595, 842)


@pytest.mark.parametrize("dpi", [0, -5, float("nan"), float("inf"), 5000, "abc"])
def test_bad_dpi_is_a_usage_error(dpi):
    with pytest.raises(UsageError) as info:
        check_dpi(dpi)
    assert info.value.exit_code == 2 and "\n" not in str(info.value)


def test_huge_page_is_refused():
    poster = PageGeometry(3000, 3000, 0, 0, 0, 0)
    with pytest.raises(UsageError, match="megapixels"):
        check_dpi(1200, poster)
    with pytest.raises(UsageError):
        ink_coverage(page_with(geometry=poster), {}, 1200)
    assert check_dpi(1200, PageGeometry(595, 842, 0, 0, 0, 0)) == 1200.0  # A4 at the limit is fine


# ---------------------------------------------------------------------------------------------
# colours and paper styles


@pytest.mark.parametrize("value, rgb", [
    ("#1c2b5a", (28, 43, 90)), ("1c2b5a", (28, 43, 90)), ("#abc", (170, 187, 204)), ("ABC", (170, 187, 204)),
    ("blue-black", (28, 43, 90)), ("Blue Black", (28, 43, 90)), ("ballpoint_blue", (30, 60, 150)),
    ("red", (255, 0, 0)), ("light-blue", (173, 216, 230)), ("black", (0, 0, 0)),
    ("rgb(1, 2, 3)", (1, 2, 3)), ((4, 5, 6), (4, 5, 6)),
])
def test_parse_color(value, rgb):
    assert parse_color(value) == rgb


def test_named_inks_exist():
    for name in ("blue-black", "ballpoint-blue", "fountain-blue", "pencil", "sepia", "black"):
        assert len(parse_color(name)) == 3


def test_unknown_colour_is_a_usage_error():
    with pytest.raises(UsageError) as info:
        parse_color("blu")
    assert info.value.message == "unknown colour 'blu'"
    assert "blue-black" in info.value.hint and "#1c2b5a" in info.value.hint
    for bad in ("#12", "#ggg", (1, 2), (0, 0, 300), ""):
        with pytest.raises(UsageError):
            parse_color(bad)


def test_paper_style_validates():
    style = paper_style("Ruled", margin_line=True, paper_color="cream")
    assert style.kind == "ruled" and style.paper_color == parse_color("cream")
    assert PaperStyle() == PaperStyle("plain", False, (255, 255, 255))
    with pytest.raises(UsageError) as info:
        paper_style("wavy")
    assert all(k in str(info.value) for k in ("plain", "ruled", "grid", "dotted"))
    with pytest.raises(UsageError):
        paper_style("grid", paper_color="nope")


# ---------------------------------------------------------------------------------------------
# paper raster

PAGE = PageGeometry(width=200, height=300, margin_top=30, margin_right=20, margin_bottom=30, margin_left=40)


def lined_page(**kw) -> PageLayout:
    return PageLayout(number=1, geometry=PAGE, first_baseline=50.3, line_pitch=20, line_count=5, **kw)


def darkness(img) -> np.ndarray:
    return 255 - np.asarray(img.convert("L")).astype(int)


@pytest.mark.parametrize("dpi", [72, 100])
def test_ruled_paper_has_rules_exactly_at_the_baselines(dpi):
    page = lined_page()
    img = draw_paper(page, PaperStyle("ruled"), dpi)
    assert img.mode == "RGB" and img.size == page_pixel_size(PAGE, dpi)
    k = dpi / 72
    rows = darkness(img)[:, 100]
    rules = rule_positions(page)
    assert rules[:5] == pytest.approx(page.baselines)
    # The rules go on at the same pitch to near the bottom edge, and none above the first line.
    assert rules[-1] <= 300 - 10 < rules[-1] + 20 and len(rules) == 12
    for y in rules:
        r = math.floor(y * k)
        assert rows[r] > 0 and rows[r] == rows[r - 2 : r + 3].max()
    assert rows[: math.floor(50.3 * k) - 2].max() == 0


def test_thin_rules_stay_visible_at_low_dpi():
    img = draw_paper(lined_page(), PaperStyle("ruled"), 36)  # a 0.3 pt rule is 0.15 px here
    rows = darkness(img)[:, 50]
    paper_to_rule = 255 - np.mean(parse_color((166, 196, 232)))
    assert rows.max() >= 0.5 * paper_to_rule


def test_grid_lines_pass_through_baselines():
    page = lined_page()
    style = PaperStyle("grid")
    geom = paper_geometry(page, style)
    ys = [ln.y0 for ln in geom.lines if ln.horizontal]
    xs = [ln.x0 for ln in geom.lines if not ln.horizontal]
    assert all(any(abs(y - b) < 1e-9 for y in ys) for b in page.baselines)
    assert np.allclose(np.diff(ys), 10) and np.allclose(np.diff(xs), 10)
    assert any(abs(x - PAGE.content_left) < 1e-9 for x in xs)
    img = darkness(draw_paper(page, style, 72))
    assert img[math.floor(50.3), 5] > 0 and img[math.floor(60.3), 5] > 0  # baseline and half a pitch
    assert img[55, 5] == 0
    assert img[145, 40] > 0 and img[145, 45] == 0  # a vertical line at the content's left edge


def test_dotted_paper_has_dots_at_grid_intersections():
    page = lined_page()
    img = darkness(draw_paper(page, PaperStyle("dotted"), 144))
    y, x = 50.3 * 2, 40 * 2
    assert img[math.floor(y), math.floor(x)] > 40  # a dot
    assert img[math.floor(y + 10), math.floor(x + 10)] == 0  # mid-cell: bare paper
    assert img[math.floor(y), math.floor(x + 10)] == 0  # between two dots on a row


def test_margin_line_is_left_of_the_writing():
    page = lined_page()
    img = draw_paper(page, PaperStyle("plain", margin_line=True), 72)
    arr = np.asarray(img).astype(int)
    col = math.floor(40 - 6)
    assert (arr[:, col, 0] > arr[:, col, 2] + 40).all()  # red all the way down
    assert (arr[:, 45] == 255).all()


def test_plain_paper_and_default_grid_for_pages_without_lines():
    page = page_with()
    assert paper_geometry(page, PaperStyle("plain")).lines == ()
    assert len(paper_geometry(page, PaperStyle("ruled")).lines) > 3  # a default ruling


# ---------------------------------------------------------------------------------------------
# the finished page


def test_ink_and_paper_colours_in_the_composed_page():
    page = page_with(place(x=36, baseline=72), place(x=90, baseline=72))
    inks = {0: rect_ink()}
    cov = ink_coverage(page, inks, 72)
    img = compose_page(page, cov, PaperStyle("plain", paper_color="cream"), "#c01020", 72)
    arr = np.asarray(img)
    assert img.mode == "RGB" and img.size == (144, 144)
    assert tuple(arr[68, 45]) == (0xC0, 0x10, 0x20)
    assert tuple(arr[20, 20]) == parse_color("cream")
    edge = ink_coverage(page_with(place(x=36.5, baseline=72)), inks, 72)
    mixed = np.asarray(compose_page(page, edge, PaperStyle(), (0, 0, 0), 72))[68, 36]
    assert 100 < mixed[0] < 160  # half ink over white paper
    # The ink colour applies to the writing only: the rules keep theirs.
    ruled = compose_page(lined_page(), np.zeros((300, 200), np.uint8), PaperStyle("ruled"), "red", 72)
    assert tuple(np.asarray(ruled)[50, 100]) != (255, 0, 0)


def test_compose_checks_the_coverage_shape():
    with pytest.raises(ValueError, match="coverage"):
        compose_page(page_with(), np.zeros((10, 10), np.uint8), PaperStyle(), "black", 72)


def test_compose_without_ink_is_the_blank_sheet():
    page = lined_page()
    sheet = draw_paper(page, PaperStyle("ruled"), 60)
    assert sheet.size == page_pixel_size(page.geometry, 60) and np.asarray(sheet).std() > 0  # rules drawn
    assert np.array_equal(np.asarray(compose_page(page, np.full_like(np.asarray(sheet)[..., 0], 0),
                                                  sheet, "sepia", 60)), np.asarray(sheet))

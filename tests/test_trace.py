"""Tracing ink into outlines and filling them at page resolution (``--ink-render vector``): the
outlines keep counters and dots, land where the raster ink lands, and fill back to the raster."""

from __future__ import annotations

import numpy as np
import pytest

from hwrender.errors import UsageError
from hwrender.ink import InkImage
from hwrender.layout.types import PageGeometry, PageLayout, Placement
from hwrender.options import RenderOptions
from hwrender.render import ink_coverage
from hwrender.render.trace import (
    coverage,
    fill,
    flatten,
    ink_outline,
    placement_matrix,
    trace,
    transform,
)

# the tracer's and skeleton's own rules, on the generators' own pixels (conftest.plain_trace)
pytestmark = pytest.mark.usefixtures("plain_trace")

SMALL = PageGeometry(width=144, height=144, margin_top=12, margin_right=12, margin_bottom=12, margin_left=24)


def disk(h, w, cx, cy, r, soft=1.0):
    """A soft-edged disk (alpha ramps over ``soft`` pixels) with centre (cx, cy) in pixel units."""
    yy, xx = np.mgrid[0:h, 0:w] + 0.5
    return np.clip((r - np.hypot(xx - cx, yy - cy)) / soft + 0.5, 0.0, 1.0)


def ring(size=40, inner=6.0, outer=14.0):
    c = size / 2
    return np.minimum(disk(size, size, c, c, outer), 1.0 - disk(size, size, c, c, inner))


def i_shape():
    a = np.zeros((32, 12))
    a[12:29, 4:7] = 1.0  # stem
    a[4:7, 4:7] = 1.0  # dot, two rows clear of the stem
    return a


def e_shape():
    """An 'e': a ring with a bar across and the lower right of the ring cut open."""
    a = ring(40, 7, 13)
    a[19:22, 8:32] = 1.0
    a[22:28, 24:34] = 0.0
    return a


def signed_area(poly):
    x, y = poly[:, 0], poly[:, 1]
    return 0.5 * float((x * np.roll(y, -1) - np.roll(x, -1) * y).sum())


def filled(contours, h, w):
    return coverage(flatten(contours, 0.02), w, h)


def components(mask):
    """Count 4-connected components of a boolean mask (small images only)."""
    seen = np.zeros_like(mask, dtype=bool)
    count = 0
    for i, j in zip(*np.nonzero(mask)):
        if seen[i, j]:
            continue
        count += 1
        stack = [(i, j)]
        seen[i, j] = True
        while stack:
            y, x = stack.pop()
            for v, u in ((y + 1, x), (y - 1, x), (y, x + 1), (y, x - 1)):
                if 0 <= v < mask.shape[0] and 0 <= u < mask.shape[1] and mask[v, u] and not seen[v, u]:
                    seen[v, u] = True
                    stack.append((v, u))
    return count


# ---------------------------------------------------------------------------------------------
# outlines


def test_contours_are_closed_cubics():
    for contour in trace(ring()):
        assert contour.ndim == 3 and contour.shape[1:] == (4, 2) and contour.dtype == np.float64
        assert np.allclose(contour[:, 3], np.roll(contour[:, 0], -1, axis=0))


def test_ring_keeps_its_hole():
    contours = trace(ring())
    assert len(contours) == 2
    areas = sorted(abs(signed_area(p)) for p in flatten(contours, 0.02))
    assert areas[0] == pytest.approx(np.pi * 6**2, rel=0.05)
    assert areas[1] == pytest.approx(np.pi * 14**2, rel=0.03)
    # the hole runs the other way round, and even-odd leaves it empty
    signs = {np.sign(signed_area(p)) for p in flatten(contours)}
    assert signs == {-1.0, 1.0}
    assert filled(contours, 40, 40)[20, 20] == 0.0


def test_i_keeps_its_dot():
    contours = trace(i_shape())
    assert len(contours) == 2
    cov = filled(contours, 32, 12)
    assert components(cov > 0.5) == 2
    assert cov[5, 5] > 0.9 and cov[9, 5] < 0.1  # the dot, and the gap under it


def test_e_and_o_keep_their_counters():
    e = e_shape()
    cov = filled(trace(e), 40, 40)
    assert components(cov > 0.5) == 1
    assert components(cov < 0.5) == components(e < 0.5) == 2  # outside (through the cut) + upper counter
    o = ring(40, 4.0, 12.0)  # a small counter in a heavy 'o'
    assert components(filled(trace(o), 40, 40) < 0.5) == 2


def test_hangul_ieung_and_han_kou_keep_their_counters():
    ieung = ring(36, 8.0, 11.0)  # ㅇ: a thin circle
    kou = np.zeros((30, 30))
    kou[4:26, 4:26] = 1.0
    kou[7:23, 7:23] = 0.0  # 口: a square with 3 px walls
    for shape in (ieung, kou):
        contours = trace(shape)
        assert len(contours) == 2
        cov = filled(contours, *shape.shape)
        assert components(cov < 0.5) == 2


def test_square_keeps_its_corners():
    a = np.zeros((30, 30))
    a[5:25, 5:25] = 1.0
    cov = filled(trace(a), 30, 30)
    # a square's corner pixel is mostly ink, not rounded away
    assert cov[5, 5] > 0.6 and cov[24, 24] > 0.6
    assert np.abs(cov - a).sum() / a.sum() < 0.03


def test_fill_matches_the_raster_at_the_source_size():
    soft = disk(40, 60, 20, 20, 9, soft=2.0) + disk(40, 60, 42, 22, 7, soft=2.0)
    soft = np.minimum(soft, 1.0)
    cov = filled(trace(soft), 40, 60)
    # the outline is the 0.5 level: the ink's mass and place stay, its grey edge goes
    assert abs(cov.sum() - soft.sum()) / soft.sum() < 0.03
    assert np.abs(cov - soft).sum() / soft.sum() < 0.15


def test_thin_strokes_survive():
    a = np.zeros((20, 40))
    a[9, 3:37] = 0.8  # a one-pixel hairline
    a[3:17, 20] = 0.8
    cov = filled(trace(a), 20, 40)
    assert components(cov > 0.3) == 1
    assert cov.sum() == pytest.approx((a >= 0.5).sum(), rel=0.5)


@pytest.mark.parametrize("alpha", [np.zeros((8, 8)), np.zeros((0, 5)), np.zeros((3, 0)),
                                   np.full((4, 4), np.nan), np.full((6, 6), 0.49)], ids=repr)
def test_blank_alpha_traces_to_nothing(alpha):
    assert trace(alpha) == []
    assert flatten([]) == []
    out = np.zeros((10, 10), np.uint8)
    fill(out, [], (1, 0, 0, 1, 0, 0))
    assert not out.any()


def test_single_pixel_traces_without_crash():
    a = np.zeros((5, 5))
    a[2, 2] = 1.0
    contours = trace(a)
    assert len(contours) == 1
    cov = filled(contours, 5, 5)
    assert 0.3 < cov.sum() < 1.2 and cov[2, 2] == cov.max()
    full = trace(np.ones((1, 1)))  # the whole image is ink: the padding closes it
    assert len(full) == 1


def test_trace_is_deterministic():
    a = np.random.default_rng(3).random((32, 80)) ** 3
    one, two = trace(a), trace(a.copy())
    assert len(one) == len(two) and all(np.array_equal(x, y) for x, y in zip(one, two))


def test_ink_outline_is_cached_per_ink():
    ink = InkImage(i_shape(), baseline=29, x_height=10)
    assert ink_outline(ink) is ink_outline(ink)
    other = InkImage(i_shape(), baseline=29, x_height=10)
    assert ink_outline(other) is not ink_outline(ink)


# ---------------------------------------------------------------------------------------------
# placement and page fill


def place(x=36.0, baseline=72.0, scale=1.0, rotation=0.0) -> Placement:
    return Placement(ink=0, x=x, baseline=baseline, scale=scale, rotation=rotation, text="w", start=0)


def test_placement_matrix_maps_origin_and_scale():
    ink = InkImage(np.zeros((10, 20), np.float32), baseline=8, x_height=5)
    a, b, c, d, e, f = placement_matrix(place(x=30, baseline=60, scale=2.0, rotation=90), ink)
    apply = lambda x, y: (a * x + c * y + e, b * x + d * y + f)  # noqa: E731
    assert apply(0, 8) == pytest.approx((30, 60))
    # 90 degrees counter-clockwise on a y-down page: the ink's x axis points up the page
    assert apply(1, 8) == pytest.approx((30, 58))


def centroid(cov):
    a = cov.astype(np.float64)
    ys, xs = np.indices(a.shape)
    return np.array([(xs * a).sum() / a.sum(), (ys * a).sum() / a.sum()])


@pytest.mark.parametrize("rotation", [0.0, 7.0, -30.0, 90.0])
@pytest.mark.parametrize("dpi", [72, 200])
def test_a_dot_lands_where_the_raster_puts_it(rotation, dpi):
    alpha = disk(16, 24, 17.0, 5.0, 3.0)  # off-centre, above the baseline
    ink = InkImage(alpha, baseline=12, x_height=6)
    page = PageLayout(number=1, geometry=SMALL, placements=[place(x=40.3, baseline=70.6, scale=1.3,
                                                                  rotation=rotation)])
    raster = ink_coverage(page, {0: ink}, dpi)
    vector = ink_coverage(page, {0: ink}, dpi, ink_render="vector")
    assert np.abs(centroid(raster) - centroid(vector)).max() < 0.05 * dpi / 72 + 0.05
    # the weight a binariser gives the raster: its area at INK_LEVEL
    from hwrender.render.trace import INK_LEVEL

    # (at 72 dpi the binarised raster is a few dozen pixels: 1/10)
    assert vector.sum() / 255 == pytest.approx((raster >= 255 * INK_LEVEL).sum(), rel=0.05 if dpi > 72 else 0.1)


def test_vector_ink_combines_over_like_the_raster():
    ink = InkImage(np.ones((10, 10), np.float32), baseline=10, x_height=5)
    page = PageLayout(number=1, geometry=SMALL, placements=[place(x=40, baseline=70), place(x=45, baseline=70)])
    vector = ink_coverage(page, {0: ink}, 72, ink_render="vector")
    assert vector[65, 47] == 255 and vector[65, 42] == 255 and vector[65, 52] == 255
    assert vector[65, 56] == 0


def test_fill_is_clipped_to_the_page():
    out = np.zeros((20, 20), np.uint8)
    square = trace(np.pad(np.ones((30, 30)), 2))
    fill(out, square, (1, 0, 0, 1, -10, -10))  # larger than the page and off its top left
    assert out[:15, :15].min() == 255 and out[19, 19] == 255
    fill(out, square, (1, 0, 0, 1, 500, 500))  # wholly off the page: nothing, no error


def test_transform_is_affine_on_control_points():
    contours = trace(i_shape())
    moved = transform(contours, (2, 0, 0, 2, 5, -1))
    assert np.allclose(moved[0], contours[0] * 2 + [5, -1])


# ---------------------------------------------------------------------------------------------
# options


def test_ink_render_and_strokes_options():
    assert RenderOptions().ink_render == "raster" and RenderOptions().strokes is False
    assert RenderOptions(ink_render="vector", strokes=True).checked().ink_render == "vector"
    for bad in ("Vector", "svg", 1, None):
        with pytest.raises(UsageError, match="ink_render"):
            RenderOptions(ink_render=bad).checked()
    with pytest.raises(UsageError, match="strokes"):
        RenderOptions(strokes="yes").checked()


def test_cli_ink_render_flag(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from hwrender.cli import app

    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["write", "hi", "-o", "p.png", "--dpi", "40", "--ink-render", "ink"])
    assert result.exit_code == 2 and "ink_render" in result.stderr
    assert not (tmp_path / "p.png").exists()
    help_text = CliRunner().invoke(app, ["write", "--help"], env={"COLUMNS": "200"}).stdout
    assert "--ink-render" in help_text and "--strokes" in help_text and "pen plotters" in help_text


def test_ink_outline_keeps_a_faint_join_between_faint_strokes():
    # two faint bars (alpha 0.7) joined by a thin bridge at 0.4: a 0.5 contour cuts the join
    # (two outlines); ink_outline's level keeps one connected outline
    from hwrender.ink import InkImage
    from hwrender.render.trace import ink_outline, trace

    a = np.zeros((20, 24), dtype=np.float32)
    a[4:16, 4:8] = 0.7
    a[4:16, 16:20] = 0.7
    a[9:11, 8:16] = 0.4
    assert len(trace(a, 0.5)) == 2
    assert len(ink_outline(InkImage(a, 16, 8, 24, "h"))) == 1


def test_ink_outline_is_the_raster_binarised_at_its_level():
    # ink_outline traces the bicubic interpolant the raster ink is resampled with: filled 4x, it
    # covers what the raster at 4x covers above INK_LEVEL, while the plain (linear) trace of the
    # same level strays further (its kinks and joins are what made vector ink read worse)
    from PIL import Image

    from hwrender.ink import InkImage
    from hwrender.render.trace import INK_LEVEL, ink_outline

    rng = np.random.default_rng(3)
    a = np.zeros((24, 40), dtype=np.float32)
    a[4:20, 4:36] = rng.random((16, 32)) ** 2  # a grey, uneven stroke field
    big = np.asarray(Image.fromarray(a, "F").resize((160, 96), Image.Resampling.BICUBIC)) >= INK_LEVEL

    def mismatch(contours):
        cov = coverage(flatten([c * 4 for c in contours], 0.02), 160, 96)
        return np.abs(cov - big).mean()

    traced = mismatch(ink_outline(InkImage(a, 20, 8, 40, "x")))
    assert traced < 0.045  # the field is noise: smoothing and the 4x-vs-2x grid leave some
    assert traced < 0.8 * mismatch(trace(a, INK_LEVEL))


def test_fit_tolerance_follows_the_size_an_ink_px_is_drawn():
    from hwrender.render.trace import FIT_TOLERANCE, MAX_TOLERANCE, fit_tolerance

    assert fit_tolerance(None) == FIT_TOLERANCE
    assert fit_tolerance(2.0) == FIT_TOLERANCE  # a GAN's ink px ~2 pt: the finest fit
    assert FIT_TOLERANCE < fit_tolerance(0.25) < fit_tolerance(0.12) <= MAX_TOLERANCE
    a = np.zeros((120, 120), dtype=np.float32)
    yy, xx = np.mgrid[:120, :120]
    a[(np.hypot(yy - 60, xx - 60) < 50) & (np.hypot(yy - 60, xx - 60) > 30)] = 1.0
    fine = sum(len(c) for c in trace(a, 0.5, fit_tolerance(2.0)))
    coarse = sum(len(c) for c in trace(a, 0.5, fit_tolerance(0.1)))
    assert len(trace(a, 0.5, fit_tolerance(0.1))) == 2 and coarse < fine


def test_fine_ink_is_traced_without_the_2x_interpolant():
    # a font's ink px is a fraction of a page px: tracing its 2x interpolant costs 4x for nothing
    from hwrender.ink import InkImage
    from hwrender.render.trace import INK_LEVEL, UPSAMPLE_ABOVE_PT, fit_tolerance, ink_outlines, trace

    a = e_shape()
    fine, coarse = ink_outlines([InkImage(a, 30, 10, 40, "e"), InkImage(a, 30, 10, 40, "e")],
                                [0.25, UPSAMPLE_ABOVE_PT])
    plain = trace(a, INK_LEVEL, fit_tolerance(0.25))
    assert len(fine) == len(plain) and all(np.array_equal(f, p) for f, p in zip(fine, plain))
    up = trace(a, INK_LEVEL, fit_tolerance(UPSAMPLE_ABOVE_PT), upsample=2)
    assert all(np.array_equal(c, u) for c, u in zip(coarse, up))


def _batch(n=40, seed=0):
    rng = np.random.default_rng(seed)
    return [np.clip(disk(24, 30, *rng.uniform(8, 20, 2), rng.uniform(3, 8)) - rng.uniform(0, 0.3), 0, 1)
            for _ in range(n)]


def test_a_batch_split_over_two_threads_traces_and_fills_as_one(monkeypatch):
    """trace_many and fill_many split a page's batch in two halves done on two threads
    (``in_two``): the outlines and the filled page must be those of one batch."""
    from hwrender.render import trace as tr

    alphas = _batch()
    levels = [0.25 + 0.01 * (i % 5) for i in range(len(alphas))]  # unlike levels: the halves' common level differs
    monkeypatch.setattr(tr, "_cpus", lambda: 2)
    monkeypatch.setattr(tr, "PARALLEL_MIN", 10**9)
    one = tr.trace_many(alphas, levels, 0.1, local_floor=0.2, upsample=2)
    page_one = np.zeros((120, 400), np.uint8)
    items = [(c, (1.5, 0.1, -0.1, 1.5, 12.0 * (i % 30), 30.0 * (i // 30))) for i, c in enumerate(one)]
    tr.fill_many(page_one, items)

    split_sizes = []
    real = tr.in_two

    def spy(fn, work):
        split_sizes.append(len(work))
        return real(fn, work)

    monkeypatch.setattr(tr, "in_two", spy)
    monkeypatch.setattr(tr, "PARALLEL_MIN", 8)
    two = tr.trace_many(alphas, levels, 0.1, local_floor=0.2, upsample=2)
    page_two = np.zeros_like(page_one)
    tr.fill_many(page_two, [(c, m) for c, (_, m) in zip(two, items)])
    assert split_sizes == [40, 40]
    assert all(one) and [len(c) for c in one] == [len(c) for c in two]
    for a, b in zip(one, two):
        for ca, cb in zip(a, b):
            np.testing.assert_allclose(ca, cb, atol=1e-9)
    assert page_one.max() == 255
    assert np.abs(page_one.astype(int) - page_two.astype(int)).max() <= 1


def test_an_error_on_the_second_thread_is_raised_in_the_caller(monkeypatch):
    from hwrender.render import trace as tr

    monkeypatch.setattr(tr, "_cpus", lambda: 2)
    monkeypatch.setattr(tr, "PARALLEL_MIN", 2)

    def fn(items):
        if items[0] == 0:
            raise ValueError("first half failed")
        return list(items)

    with pytest.raises(ValueError, match="first half failed"):
        tr.in_two(fn, [0, 1, 2, 3])
    assert tr.in_two(lambda items: [x * 2 for x in items], list(range(5))) == [0, 2, 4, 6, 8]

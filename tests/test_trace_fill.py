"""The vector fill's exact area coverage, and batch tracing packed in rows (issue 28, round 2)."""

import numpy as np
import pytest

from hwrender.render.trace import coverage, trace, trace_many

# the tracer's and skeleton's own rules, on the generators' own pixels (conftest.plain_trace)
pytestmark = pytest.mark.usefixtures("plain_trace")


def _poly_area_in_pixel(poly, i, j, n=400):
    """Share of pixel (row i, column j) inside the convex polygon ``poly``, by dense sampling."""
    u = (np.arange(n) + 0.5) / n
    x, y = np.meshgrid(j + u, i + u)
    inside = np.ones_like(x, dtype=bool)
    for (x0, y0), (x1, y1) in zip(poly, np.roll(poly, -1, axis=0)):
        inside &= (x1 - x0) * (y - y0) - (y1 - y0) * (x - x0) >= 0
    return inside.mean()


def test_fill_covers_each_pixel_by_its_exact_area():
    # a slanted quad whose edges cross rows and columns at sub-pixel positions (y down, clockwise)
    quad = np.array([[1.3, 0.7], [6.8, 1.9], [5.6, 6.4], [0.9, 5.2]])
    cov = coverage([quad], 8, 8)
    for i in range(8):
        for j in range(8):
            assert cov[i, j] == pytest.approx(_poly_area_in_pixel(quad, i, j), abs=0.01), (i, j)
    x, y = quad[:, 0], quad[:, 1]
    area = 0.5 * abs(float((x * np.roll(y, -1) - np.roll(x, -1) * y).sum()))
    assert cov.sum() == pytest.approx(area, rel=1e-9)


def test_fill_is_even_odd_where_outlines_overlap():
    a = np.array([[1.0, 1.0], [5.0, 1.0], [5.0, 5.0], [1.0, 5.0]])
    cov = coverage([a, a + 2.0], 8, 8)  # both run the same way: winding 2 where they overlap
    assert cov[4, 4] == 0.0 and cov[2, 2] == 1.0 and cov[6, 6] == 1.0


def test_fill_clips_ink_beyond_the_box():
    big = np.array([[-3.0, -2.0], [9.5, -2.0], [9.5, 2.5], [-3.0, 2.5]])
    cov = coverage([big], 6, 4)
    assert np.allclose(cov[:2], 1.0) and np.allclose(cov[2], 0.5) and np.allclose(cov[3], 0.0)


def test_batch_traces_as_each_alone():
    # many images of unlike sizes: they are packed several to a row of the sheet
    rng = np.random.default_rng(3)
    alphas = []
    for k in range(40):
        h, w = rng.integers(5, 30), rng.integers(5, 90)
        yy, xx = np.mgrid[:h, :w]
        a = np.zeros((h, w), dtype=np.float32)
        for _ in range(3):
            cy, cx, r = rng.uniform(0, h), rng.uniform(0, w), rng.uniform(1.5, 5)
            a = np.maximum(a, np.clip(r - np.hypot(yy + 0.5 - cy, xx + 0.5 - cx), 0, 1))
        alphas.append(a)
    alphas.insert(7, np.zeros((0, 4)))  # an empty image keeps its place
    for upsample in (1, 2):
        batch = trace_many(alphas, 0.25, upsample=upsample)
        assert batch[7] == []
        for a, got in zip(alphas, batch):
            alone = trace(a, 0.25, upsample=upsample) if a.size else []
            assert len(got) == len(alone)
            key = lambda c: (round(float(c[:, 0, 0].min()), 6), round(float(c[:, 0, 1].min()), 6))
            for g, s in zip(sorted(got, key=key), sorted(alone, key=key)):
                assert g.shape == s.shape and np.allclose(g, s, atol=1e-9)


def test_a_generator_may_ask_for_its_own_ink_level():
    from hwrender.ink import InkImage
    from hwrender.render import strokes
    from hwrender.render.trace import INK_LEVEL, MIN_LEVEL, flatten, ink_level, ink_outline

    yy, xx = np.mgrid[:30, :40]
    alpha = np.clip(1.0 - np.abs(yy + 0.5 - 15.0) / 4.0, 0, 1).astype(np.float32) * ((xx > 4) & (xx < 35))

    def area(ink):
        return sum(abs(0.5 * float((p[:, 0] * np.roll(p[:, 1], -1) - np.roll(p[:, 0], -1) * p[:, 1]).sum()))
                   for p in flatten(ink_outline(ink)))

    plain = InkImage(alpha=alpha, baseline=20, x_height=10)
    heavy = InkImage(alpha=alpha, baseline=20, x_height=10, meta={"ink_level": 0.1})
    assert ink_level(plain) == INK_LEVEL and ink_level(heavy) == 0.1
    # the stroke's 0.1 outline is 2 * 4 * (1 - 0.1) px wide, its INK_LEVEL outline 2 * 4 * (1 - INK_LEVEL)
    assert area(heavy) / area(plain) == pytest.approx((1 - 0.1) / (1 - INK_LEVEL), rel=0.05)
    assert strokes.median_stroke_width(heavy) == pytest.approx(8 * (1 - 0.1), rel=0.1)
    for bad, want in (({"ink_level": "x"}, INK_LEVEL), ({"ink_level": 0.0}, MIN_LEVEL), ({"ink_level": 0.9}, 0.5)):
        assert ink_level(InkImage(alpha=alpha, baseline=20, x_height=10, meta=bad)) == want

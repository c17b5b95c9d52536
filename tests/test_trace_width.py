"""Vector ink that keeps the raster's stroke width (trace.KEEP_WIDTH, issue 28): every ink traced
where it crosses half of its own local peak, so solid and faint strokes keep their FWHM, counters
that the bold level closes stay open and a faint i-dot stays; and bench_ink's width measure."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from hwrender.ink import InkImage
from hwrender.render import trace as T
from hwrender.render.trace import coverage, flatten, ink_level, ink_outline

# the tracer's and skeleton's own rules, on the generators' own pixels (conftest.plain_trace)
pytestmark = pytest.mark.usefixtures("plain_trace")

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_ink.py"


@pytest.fixture
def keep_width(monkeypatch):
    monkeypatch.setattr(T, "KEEP_WIDTH", True)


def blur(a: np.ndarray, sigma: float) -> np.ndarray:
    """``a`` (padded by 3 sigma) under a Gaussian blur: a generator's soft ink."""
    r = int(3 * sigma) + 1
    x = np.arange(-r, r + 1)
    k = np.exp(-x**2 / (2 * sigma**2))
    k /= k.sum()
    a = np.pad(np.asarray(a, dtype=np.float64), r)
    a = np.apply_along_axis(np.convolve, 0, a, k, "same")
    a = np.apply_along_axis(np.convolve, 1, a, k, "same")
    return a.astype(np.float32)


def ink(alpha: np.ndarray) -> InkImage:
    return InkImage(alpha=alpha, baseline=alpha.shape[0], x_height=8, advance=alpha.shape[1], text="x")


def filled(contours, shape) -> np.ndarray:
    return coverage(flatten(contours, 0.02), shape[1], shape[0])


def components(mask: np.ndarray) -> int:
    from scipy import ndimage

    return int(ndimage.label(mask)[1])


def ring(size: int, inner: float, outer: float) -> np.ndarray:
    yy, xx = np.mgrid[:size, :size] + 0.5
    d = np.hypot(xx - size / 2, yy - size / 2)
    return ((d < outer) & (d >= inner)).astype(np.float64)


def gaussian_bar(peak: float, sigma: float = 1.5) -> np.ndarray:
    """A horizontal stroke 30 px long whose cross-section is a Gaussian of ``peak``: its FWHM is
    2.355 sigma whatever the peak."""
    y = np.arange(24) + 0.5
    profile = peak * np.exp(-((y - 12) ** 2) / (2 * sigma**2))
    a = np.zeros((24, 40), dtype=np.float32)
    a[:, 5:35] = profile[:, None]
    return a


def width_at_middle(contours, shape) -> float:
    return float(filled(contours, shape)[:, 20].sum())


def test_solid_and_faint_strokes_keep_their_fwhm(keep_width):
    fwhm = 2 * np.sqrt(2 * np.log(2)) * 1.5
    for peak in (1.0, 0.5):
        a = gaussian_bar(peak)
        assert width_at_middle(ink_outline(ink(a)), a.shape) == pytest.approx(fwhm, rel=0.1)
    # what it replaces: the bold level draws the solid stroke ~1.4x its FWHM, and a global 0.5
    # (no local level) leaves the faint one a hairline
    solid, faint = gaussian_bar(1.0), gaussian_bar(0.5)
    assert width_at_middle(T.trace(solid, T.INK_LEVEL, upsample=2), solid.shape) > 1.25 * fwhm
    assert width_at_middle(T.trace(faint, 0.5, upsample=2), faint.shape) < 0.3 * fwhm


def test_every_ink_is_traced_at_the_width_level(keep_width):
    a = gaussian_bar(1.0)
    asks = InkImage(alpha=a, baseline=24, x_height=8, meta={"ink_level": 0.1})
    assert ink_level(ink(a)) == ink_level(asks) == T.WIDTH_LEVEL


def test_a_soft_o_keeps_the_counter_the_bold_level_closes(keep_width):
    o = blur(ring(16, 2.0, 6.0), 1.2)  # a heavy soft 'o' whose small counter is grey (~0.3)
    assert components(filled(ink_outline(ink(o)), o.shape) < 0.5) == 2  # outside + counter
    assert components(filled(T.trace(o, T.INK_LEVEL, upsample=2), o.shape) < 0.5) == 1


def test_soft_e_ieung_and_kou_keep_their_counters(keep_width):
    e = ring(40, 7, 13)
    e[19:22, 8:32] = 1.0
    e[22:28, 24:34] = 0.0  # the 'e's cut: its lower counter opens to the outside
    ieung = ring(36, 8.0, 11.0)  # ㅇ: a thin circle
    kou = np.zeros((30, 30))
    kou[4:26, 4:26] = 1.0
    kou[7:23, 7:23] = 0.0  # 口: a square with 3 px walls
    for shape, holes in ((e, 1), (ieung, 1), (kou, 1)):
        a = blur(shape, 1.0)
        cov = filled(ink_outline(ink(a)), a.shape)
        assert components(cov > 0.5) == 1
        assert components(cov < 0.5) == 1 + holes


def test_a_faint_i_dot_stays(keep_width):
    i = np.zeros((32, 12))
    i[12:29, 4:7] = 1.0  # stem
    i[5:7, 5:7] = 0.7  # a small faint dot: under 0.5 once soft
    a = blur(i, 0.8)
    assert a[:12].max() < 0.5
    cov = filled(ink_outline(ink(a)), a.shape)
    assert components(cov > 0.5) == 2
    assert components(filled(T.trace(a, 0.5, upsample=2), a.shape) > 0.5) == 1  # a global 0.5 drops it


@pytest.fixture(scope="module")
def bench():
    sys.path.insert(0, str(BENCH.parent))  # bench_ink imports bench_core beside it
    try:
        spec = importlib.util.spec_from_file_location("bench_ink", BENCH)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCH.parent))
    return module


def test_bench_stroke_width_is_the_fwhm_and_the_mass(bench):
    # a soft stroke (Gaussian section, FWHM 2.355 sigma) of any peak, and a hard one of width 6
    sigma = 3.0
    y = np.arange(80) + 0.5
    for peak in (1.0, 0.6):
        cov = np.zeros((80, 200), dtype=np.uint8)
        cov[:, 20:180] = np.rint(255 * peak * np.exp(-((y - 40) ** 2) / (2 * sigma**2)))[:, None]
        mass, fwhm = bench.stroke_width(cov, 300)
        assert fwhm == pytest.approx(2.355 * sigma, rel=0.08)
        assert mass == pytest.approx(cov.sum() / 255)
    hard = np.zeros((80, 200), dtype=np.uint8)
    hard[37:43, 20:180] = 255
    assert bench.stroke_width(hard, 300) == pytest.approx((6 * 160, 6), rel=0.08)
    assert bench.stroke_width(np.zeros((10, 10), dtype=np.uint8), 300) == (0.0, 0.0)


def test_bench_variant_sets_and_restores_the_rule(bench):
    saved = T.LOCAL_FLOOR, T.LOCAL_RADIUS, T.KEEP_WIDTH
    with bench.Variant("0.4/0.1/2") as v:
        assert (v.level, T.LOCAL_FLOOR, T.LOCAL_RADIUS) == (0.4, 0.1, 2)
    with bench.Variant("width") as v:
        assert v.level is None and T.KEEP_WIDTH
    assert (T.LOCAL_FLOOR, T.LOCAL_RADIUS, T.KEEP_WIDTH) == saved


def test_bench_sharpened_narrows_the_edge_band_and_keeps_the_ink(bench):
    # a soft stroke (Gaussian section, sigma 3 px): its grey band narrows under a contrast curve,
    # to nothing at a hard threshold, and the stroke stays where it was
    y = np.arange(80) + 0.5
    cov = np.zeros((80, 200), dtype=np.uint8)
    cov[:, 20:180] = np.rint(255 * np.exp(-((y - 40) ** 2) / 18.0))[:, None]
    soft, curve, hard = (bench.edge_band(c) for c in (cov, bench.sharpened(cov, 0.05, 0.6),
                                                      bench.sharpened(cov, 0.25, 0.25)))
    assert soft > curve > hard == 0.0
    assert set(np.unique(bench.sharpened(cov, 0.25, 0.25))) == {0, 255}
    assert np.array_equal(bench.sharpened(cov, 0.25, 0.25) > 0, cov >= 0.25 * 255)
    assert np.array_equal(bench.sharpened(cov, 0.05, 0.6)[:, 100] >= 128, cov[:, 100] >= 0.325 * 255)

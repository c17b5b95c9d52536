"""Plotter strokes drawn back with the pen (issue 28, round 2): the pen's exact footprint, centre
lines on the middle of the stroke, and the strokes covering the ink the vector page fills."""

import numpy as np
import pytest

from hwrender.ink import InkImage
from hwrender.render import strokes as S

# the tracer's and skeleton's own rules, on the generators' own pixels (conftest.plain_trace)
pytestmark = pytest.mark.usefixtures("plain_trace")


@pytest.mark.parametrize("vertical", [False, True])
def test_pen_covers_exactly_its_width_on_both_sides(vertical):
    line = np.array([[5.0, 10.0], [30.0, 10.0]])
    drawn = S.draw_polylines([line[:, ::-1] if vertical else line], 4.0, (40, 40))
    if vertical:
        drawn = drawn.T
    rows = np.flatnonzero(drawn[:, 17])
    assert rows.tolist() == [8, 9, 10, 11]  # pixel centres within 2 of y = 10: symmetric
    cols = np.flatnonzero(drawn[10])
    assert (cols[0], cols[-1]) == (3, 31)  # round caps reach half the pen past each end


def test_a_dot_is_a_disc_of_the_pen():
    drawn = S.draw_polylines([np.array([[10.0, 10.0], [10.0, 10.0]])], 6.0, (20, 20))
    yy, xx = np.mgrid[:20, :20]
    assert np.array_equal(drawn, np.hypot(xx + 0.5 - 10, yy + 0.5 - 10) <= 3.0)


def test_centre_line_runs_down_the_middle_of_an_even_stroke():
    # a bar 6 px thick (rows 10..15): thinning keeps one of its two middle rows of the enlarged
    # image; the centre line is moved onto the chord's middle, y = 13
    alpha = np.zeros((26, 40), dtype=np.float32)
    alpha[10:16, 5:35] = 1.0
    (line,) = S.ink_polylines(InkImage(alpha=alpha, baseline=20, x_height=10))
    assert line[:, 0].min() < 10 and line[:, 0].max() > 30
    assert np.abs(line[:, 1] - 13.0).max() < 0.15  # 0.25 (half a pixel of the 2x image) without


def test_strokes_follow_the_filled_ink_weight():
    # a soft stroke: its LEVEL outline (what the vector page fills) is wider than its 0.5 outline,
    # and the pen is that wide
    alpha = np.zeros((30, 40), dtype=np.float32)
    x = np.arange(40)
    alpha[:, :] = np.clip(1.0 - np.abs(np.arange(30)[:, None] + 0.5 - 15.0) / 3.0, 0, 1) * ((x > 4) & (x < 35))
    ink = InkImage(alpha=alpha, baseline=20, x_height=10)
    assert S.median_stroke_width(ink) == pytest.approx(2 * 3.0 * (1 - S.LEVEL), rel=0.1)
    assert S.stroke_iou(ink) >= 0.85

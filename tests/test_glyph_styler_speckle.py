"""The glyph styler's speckle measure (isolated grey pixels per ink pixel), and that the cleanup
the bench recommends for Han (the shipped Hangul one) takes it away and keeps the strokes."""

from __future__ import annotations

import pytest
import torch
from hwrender_plugins.glyph_styler.styler import Cleanup, drop_haze, speckle_share


def _glyph() -> torch.Tensor:
    """A stroke with a font's graded edge below it and the network's speckle above it."""
    a = torch.zeros(1, 16, 16)
    a[0, 6:9, 1:15] = 1.0  # a 3 px stroke
    a[0, 9, 1:15] = 0.3  # its anti-aliased bottom edge
    a[0, 5, 1:15] = 0.2  # a faint grey fringe on its top edge, which joins ...
    a[0, 4, 1:15:4] = 0.35  # ... period-4 grey dots to it, as the transpose convolutions leave
    a[0, 12:14, 3:5] = 0.9  # a 2 px pen dot
    return a


def test_speckle_share_counts_isolated_grey_pixels_not_anti_aliasing():
    a = _glyph()
    ink = int((a >= 0.5).sum())
    assert speckle_share(a) == pytest.approx(4 / ink)  # the dots; the graded edge is not speckle
    assert speckle_share(a.numpy()) == speckle_share(a)
    assert speckle_share(torch.zeros(2, 8, 8)) == 0.0


def test_the_hangul_cleanup_takes_the_speckle_and_keeps_strokes_and_dots():
    bench = Cleanup.from_config({"median": 0, "blur": 0.5, "lo": 0.1, "hi": 0.5})
    a = _glyph()
    assert speckle_share(drop_haze(a.clone())) > 0  # the haze pass alone leaves the dots
    out = drop_haze(bench(a))  # the styler's order: the script's cleanup, then the haze pass
    assert speckle_share(out) == 0.0
    assert bool((out[0, 6:9, 2:14] == 1).all()) and float(out[0, 12:14, 3:5].min()) > 0.9

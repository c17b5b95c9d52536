"""The glyph styler's speckle: its measure (isolated grey pixels per ink pixel) and the grey
opening cleanup behind ``styler.OPEN_PX`` (0 keeps today's output)."""

from __future__ import annotations

import pytest
import torch
from hwrender_plugins.glyph_styler import styler as S
from hwrender_plugins.glyph_styler.styler import Cleanup, grey_open, speckle_share

from hwrender.errors import WeightsError


def _glyph() -> torch.Tensor:
    a = torch.zeros(1, 16, 16)
    a[0, 6:9, 1:15] = 1.0  # a 3 px stroke
    a[0, 5, 1:15:2] = 0.6  # a ripple of 1 px bumps on its top edge
    a[0, 9, 1:15] = 0.3  # its anti-aliased bottom edge
    a[0, 2, 2] = 0.35  # an isolated grey dot
    a[0, 12:14, 3:5] = 0.9  # a 2 px pen dot
    a[0, 1:4, 12] = 0.8  # a 1 px hairline
    return a


def test_speckle_share_counts_isolated_grey_pixels_not_anti_aliasing():
    a = _glyph()
    ink = int((a >= 0.5).sum())
    assert speckle_share(a) == pytest.approx(1 / ink)  # the dot; the graded edge is not speckle
    assert speckle_share(torch.zeros(2, 8, 8)) == 0.0


def test_grey_opening_removes_dots_and_bumps_and_keeps_strokes_and_pen_dots():
    a = _glyph()
    out = grey_open(a, 2)
    assert out[0, 2, 2] == 0 and float(out[0, 5].max()) == 0  # the dot and the bumps
    assert torch.equal(out[0, 6:10], a[0, 6:10])  # the stroke and its anti-aliasing, exactly
    assert torch.equal(out[0, 12:14, 3:5], a[0, 12:14, 3:5])  # a 2 px dot stays
    assert bool((out <= a).all()) and torch.equal(grey_open(out, 2), out)  # an opening
    assert float(grey_open(a, 3)[0, 12:14].max()) == 0  # 3 px: the pen dot would go too


def test_open_cleanup_is_off_until_the_switch_and_config_can_set_it(monkeypatch):
    a = _glyph()
    assert S.OPEN_PX == 0  # today's output: the lead flips this one line
    assert not Cleanup().active and torch.equal(Cleanup.from_config({"blur": 0.0})(a.clone()), a)
    opened = Cleanup.from_config({"open": 2})
    assert opened.active and opened.to_config()["open"] == 2
    assert torch.equal(opened(a.clone()), grey_open(a, 2))
    assert "open" not in Cleanup(blur=0.5).to_config()  # a part that follows the switch
    monkeypatch.setattr(S, "OPEN_PX", 2)
    assert Cleanup.from_config({"blur": 0.0}).open == 2 and Cleanup.from_config({"open": 0}).open == 0
    assert all(c.open == 2 for c in Cleanup.per_script(None).values())
    with pytest.raises(WeightsError, match="bad cleanup"):
        Cleanup.from_config({"open": 4})

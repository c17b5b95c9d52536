"""The same text, options and seed give the same bytes in any process, at any time."""

from __future__ import annotations

import fontTools.fontBuilder
import fontTools.ttLib.tables._h_e_a_d as head_table

from hwrender.render import pdf


def test_the_pdf_text_layer_font_does_not_carry_the_clock(monkeypatch):
    built = []
    for now in (1_000_000, 2_000_000_000):  # two different clocks
        monkeypatch.setattr(fontTools.fontBuilder, "timestampNow", lambda: now, raising=False)
        monkeypatch.setattr(head_table, "timestampNow", lambda: now)
        built.append(pdf._glyphless_ttf.__wrapped__())
    assert built[0] == built[1]

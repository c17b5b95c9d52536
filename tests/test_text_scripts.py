"""hwrender.text.scripts: the one script table gives, for every code point of the BMP, what each
of the four copies it replaced gave (segmentation, interpolate, the glyph styler, the PDF text).

The ``_old_*`` functions are those copies as they were before the table (commit b02cd79), kept
here as the reference.
"""

import unicodedata

import pytest
from fontTools import unicodedata as fu

from hwrender.text import scripts

BMP = [chr(c) for c in range(0x10000) if not 0xD800 <= c <= 0xDFFF]


def _old_segment(ch):  # hwrender/text/segment.py char_script
    return fu.script(ch)


def _old_interpolate(ch):  # hwrender/cli/interpolate.py _script
    script = fu.script(ch)
    if script in ("Zyyy", "Zinh", "Zzzz"):
        name = unicodedata.name(ch, "")
        return "Hang" if "HANGUL" in name else "Hani" if "CJK" in name or "IDEOGRAPHIC" in name \
            else script
    return script


_OLD_HANGUL_JAMO = "".join(chr(c) for c in range(0x3131, 0x3164))


def _old_glyph_styler(ch):  # plugins/glyph_styler/data.py script_of
    if ch in _OLD_HANGUL_JAMO or 0xAC00 <= ord(ch) <= 0xD7A3:
        return "Hang"
    return "Hani"


def _old_pdf(ch):  # hwrender/render/pdf.py _no_space_script
    o = ord(ch)
    return (
        0x2E80 <= o <= 0x30FF  # CJK radicals, punctuation, kana
        or 0x3400 <= o <= 0x4DBF or 0x4E00 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF
        or 0xFF00 <= o <= 0xFFEF  # full-width forms
        or 0x20000 <= o <= 0x3FFFF
    )


@pytest.mark.parametrize("new, old", [
    (scripts.script, _old_segment),
    (scripts.glyph_script, _old_interpolate),
    (scripts.hangul_or_han, _old_glyph_styler),
    (scripts.no_space_between, _old_pdf),
], ids=["segment", "interpolate", "glyph_styler", "pdf"])
def test_every_bmp_code_point_as_before(new, old):
    differ = [f"U+{ord(c):04X}" for c in BMP if new(c) != old(c)]
    assert not differ, differ[:10]


def test_the_no_space_ranges_beyond_the_bmp():
    for c in (0x1FFFF, 0x20000, 0x2A6DF, 0x3FFFF, 0x40000, 0x10FFFF):
        assert scripts.no_space_between(chr(c)) == _old_pdf(chr(c))


def test_segmentation_uses_the_table():
    import importlib

    segment = importlib.import_module("hwrender.text.segment")  # hwrender.text.segment is also a function
    assert segment.char_script is scripts.script
    assert segment.BREAK_BETWEEN_CHARS is scripts.BREAK_BETWEEN_CHARS and segment.WEAK is scripts.WEAK

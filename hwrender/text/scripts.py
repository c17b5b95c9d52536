"""Which script a character belongs to, in one place: the Unicode Script property with its weak
values, the scripts written without spaces, and the Hangul and CJK code point ranges that the
segmenter, the PDF text layer, ``interpolate`` and the glyph styler go by.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from fontTools.unicodedata import script as _unicode_script

COMMON = "Zyyy"  # digits, punctuation, spaces: they take a neighbour's script
INHERITED = "Zinh"  # combining marks: the script of the character they follow
UNKNOWN = "Zzzz"  # unassigned code points
WEAK = frozenset({COMMON, INHERITED, UNKNOWN})
# Scripts written without spaces between words: lines may break between any two characters.
BREAK_BETWEEN_CHARS = frozenset({"Hani", "Hira", "Kana", "Bopo"})

HANGUL_SYLLABLES = range(0xAC00, 0xD7A4)  # the 11,172 precomposed syllables
HANGUL_COMPAT_JAMO = range(0x3131, 0x3164)  # the jamo Korean keyboards type alone (ㄱ … ㅣ)
# Text written without spaces: CJK radicals, punctuation and kana; the unified ideographs and
# extension A; compatibility ideographs; full-width forms; the supplementary ideograph planes.
NO_SPACE_RANGES = (range(0x2E80, 0x3100), range(0x3400, 0x4DC0), range(0x4E00, 0xA000),
                   range(0xF900, 0xFB00), range(0xFF00, 0xFFF0), range(0x20000, 0x40000))


@lru_cache(maxsize=65536)
def script(ch: str) -> str:
    """The Unicode Script property of ``ch`` as an ISO 15924 code (``Latn``, ``Hang``, ``Zyyy``)."""
    return _unicode_script(ch)


def glyph_script(ch: str) -> str:
    """``script(ch)``, except that a weak character named Hangul or CJK (a compatibility jamo
    filler, an ideographic space or full stop) counts as ``Hang`` or ``Hani``: what a glyph
    generator for those scripts should draw it with."""
    found = script(ch)
    if found in WEAK:
        name = unicodedata.name(ch, "")
        if "HANGUL" in name:
            return "Hang"
        if "CJK" in name or "IDEOGRAPHIC" in name:
            return "Hani"
    return found


def hangul_or_han(ch: str) -> str:
    """``Hang`` for a Hangul syllable or compatibility jamo, else ``Hani``: the two-way split of
    a generator that writes only those two scripts (its Han side takes the CJK punctuation)."""
    return "Hang" if ord(ch) in HANGUL_SYLLABLES or ord(ch) in HANGUL_COMPAT_JAMO else "Hani"


def no_space_between(ch: str) -> bool:
    """Whether ``ch`` is of text written without spaces (Han, kana, CJK punctuation, full-width
    forms), by code point range: no lookup, for rebuilding text from positioned pieces."""
    o = ord(ch)
    return any(o in r for r in NO_SPACE_RANGES)

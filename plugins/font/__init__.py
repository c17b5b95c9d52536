"""The ``font`` fallback generator: handwriting from the bundled Caveat font, jittered per glyph.

It writes whatever no neural generator covers (punctuation, symbols, other scripts) and, until the
neural generators ship, everything. Registering it opens nothing: the font's character set is read
on first use and the generator (Pillow, numpy) is imported only when it is built.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

FONT_PATH = Path(__file__).resolve().parent / "fonts" / "Caveat-Regular.ttf"
FONT_NAME = "Caveat"
FONT_LICENSE = "OFL-1.1"
# None is the default hand ("natural"); the others change how much each glyph wanders.
STYLES = ("natural", "neat", "hurried")


@lru_cache(maxsize=None)
def charset() -> frozenset[str]:
    """Every character the bundled font draws (read once, lazily, with fontTools).

    Control characters the cmap maps to empty glyphs (NUL, CR) are left out: claiming them would
    let them vanish silently instead of being reported.
    """
    import unicodedata

    from fontTools.ttLib import TTFont

    with TTFont(FONT_PATH, lazy=True) as font:
        cmap = font.getBestCmap()
    return frozenset(c for c in map(chr, cmap) if unicodedata.category(c) != "Cc")


def status() -> str:
    if not FONT_PATH.is_file():
        return f"missing: {FONT_PATH.name} not found in {FONT_PATH.parent} (reinstall hwrender)"
    return f"bundled font {FONT_NAME} ({FONT_LICENSE})"


def register(register) -> None:
    """The ``hwrender.generators`` entry-point hook."""
    from hwrender.registry import GeneratorSpec

    register(GeneratorSpec(
        name="font",
        scripts=("*",),
        unit="word",
        factory="hwrender_plugins.font.generator:FontGenerator",
        charset=charset,
        priority=-100,
        styles=STYLES,
        style_kinds={"name"},  # no seeded hands: a number leaves it writing its default
        default_style="natural",
        description=f"fallback: the {FONT_NAME} handwriting font with seeded per-glyph variation",
        auto=True,
        fallback=True,
        status=status,
        text_font=FONT_PATH,
    ))

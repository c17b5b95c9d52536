"""Build the two small fonts the handwriting templates print their prompts and page lines with.

    python scripts/build_sheet_fonts.py

- ``hwrender/sheets/prompt-latin.ttf``: DejaVu Sans (Bitstream Vera licence; the Debian package
  fonts-dejavu-core) cut to the Latin template's characters, its words and lines, and the page
  line and instructions (printable ASCII, Latin-1, Latin Extended-A, a few marks).
- ``hwrender/sheets/prompt-cjk.otf``: the glyph styler's Noto Sans CJK SC subset (OFL-1.1) cut to
  the Hangul and Han templates' characters.

A plain printed face, not a handwriting one, so the prompt shows which character to write without
suggesting how. The outlines are unchanged; hinting and layout tables are dropped. The template's
characters are fixed per template version, so these need rebuilding only with a new version
(tests check the fonts cover every prompt).
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "hwrender" / "sheets"
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
DEJAVU_COPYRIGHT = Path("/usr/share/doc/fonts-dejavu-core/copyright")
NOTO = ROOT / "plugins" / "glyph_styler" / "fonts" / "NotoSansCJKsc-Regular-subset.otf"
NOTO_LICENSE = ROOT / "plugins" / "glyph_styler" / "fonts" / "OFL-NotoSansCJK.txt"


def latin_text() -> str:
    from hwrender.sheets import charsets, template

    return (charsets.LATIN_CHARSET + "".join(charsets.LATIN_WORDS) + "".join(charsets.LATIN_LINES)
            + template.printed_text() + " \u00b7\u2013\u2014")


def cut(src: Path, dst: Path, text: str) -> None:
    options = subset.Options()
    options.layout_features = []
    options.hinting = False
    options.desubroutinize = False
    options.name_IDs = ["*"]
    options.notdef_outline = True
    font = subset.load_font(str(src), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text)
    subsetter.subset(font)
    subset.save_font(font, str(dst), options)
    print(f"wrote {dst} ({dst.stat().st_size // 1024} KB, {len(set(text))} characters)")


def main() -> None:
    from hwrender.sheets import charsets

    cut(DEJAVU, OUT / "prompt-latin.ttf", latin_text())
    (OUT / "LICENSE-DejaVu.txt").write_text(
        "prompt-latin.ttf is DejaVu Sans (https://dejavu-fonts.github.io/, Debian fonts-dejavu-core)\n"
        "cut by scripts/build_sheet_fonts.py to the characters the hwrender templates print.\n\n"
        + DEJAVU_COPYRIGHT.read_text(encoding="utf-8"), encoding="utf-8")
    cut(NOTO, OUT / "prompt-cjk.otf", charsets.HANGUL + charsets.CJK)
    (OUT / "OFL-NotoSansCJK.txt").write_text(
        "prompt-cjk.otf is the glyph styler's Noto Sans CJK SC subset cut by\n"
        "scripts/build_sheet_fonts.py to the Hangul and Han characters of the hwrender templates.\n\n"
        + NOTO_LICENSE.read_text(encoding="utf-8"), encoding="utf-8")


if __name__ == "__main__":
    main()

"""Build the glyph styler's bundled source font: Noto Sans CJK SC Regular subset to what it serves.

    python scripts/build_source_font.py            # from the installed fonts-noto-cjk package
    python scripts/build_source_font.py --font /path/NotoSansCJK-Regular.ttc --index 2

The glyph styler redraws a plain Gothic glyph in a handwriting style, so the Gothic font must ship
with the package. One font serves both scripts (the same stroke weight and em box for Hangul and
Han, which is what one shared network wants): the Simplified Chinese face of Noto Sans CJK (OFL-1.1;
its Hangul is the same as the Korean face's). It is cut to exactly the characters the styler writes,
``hwrender_plugins.glyph_styler.data.served``: the 11,172 Hangul syllables and 51 compatibility
jamo, the 6,763 GB 2312 ideographs and the CJK punctuation of Chinese text. Outlines are kept as
they are (CFF, subroutinised); hinting, layout features and unused tables are dropped. About 2.7 MB.
``apt-get install fonts-noto-cjk`` provides the input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "plugins" / "glyph_styler" / "fonts"
OUT_NAME = "NotoSansCJKsc-Regular-subset.otf"
LICENSE_NAME = "OFL-NotoSansCJK.txt"
DEFAULT_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
DEFAULT_INDEX = 2  # Noto Sans CJK SC in the collection

COPYRIGHT = """Copyright 2014-2021 Adobe (http://www.adobe.com/), with Reserved Font Name 'Source'.
Noto is a trademark of Google Inc.

NotoSansCJKsc-Regular-subset.otf is Noto Sans CJK SC Regular (version 2.004, from the Debian package
fonts-noto-cjk, https://github.com/googlefonts/noto-cjk) cut by scripts/build_source_font.py to the
characters the hwrender glyph styler writes (Hangul syllables and jamo, GB 2312 ideographs, CJK
punctuation); the outlines are unchanged.

"""


def _ofl_text() -> str:
    """The OFL 1.1 terms, from the copy that ships with the bundled Caveat font."""
    caveat = (ROOT / "plugins" / "font" / "fonts" / "OFL-Caveat.txt").read_text(encoding="utf-8")
    start = caveat.index("This Font Software is licensed")
    return caveat[start:]


def build(font: Path, index: int, out_dir: Path) -> Path:
    from fontTools import subset

    from hwrender_plugins.glyph_styler.data import SCRIPTS, served

    from hwrender.atomic import write_atomic

    text = "".join(sorted(set().union(*(served(s) for s in SCRIPTS))))
    options = subset.Options()
    options.font_number = index
    options.layout_features = []  # single glyphs, no shaping
    options.hinting = False
    options.name_IDs = ["*"]  # keep copyright and licence records
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.drop_tables += ["VORG", "vhea", "vmtx", "DSIG", "BASE"]
    tt = subset.load_font(str(font), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text)
    subsetter.subset(tt)
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / OUT_NAME
    write_atomic(out, lambda tmp: subset.save_font(tt, str(tmp), options))
    (out_dir / LICENSE_NAME).write_text(COPYRIGHT + _ofl_text(), encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--font", type=Path, default=DEFAULT_FONT, help="Noto Sans CJK .ttc or .otf")
    parser.add_argument("--index", type=int, default=DEFAULT_INDEX, help="face number in a .ttc")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="output folder")
    args = parser.parse_args(argv)
    if not args.font.is_file():
        print(f"{args.font} not found: apt-get install fonts-noto-cjk, or pass --font", file=sys.stderr)
        return 1
    out = build(args.font, args.index if args.font.suffix.lower() in (".ttc", ".otc") else 0, args.out)
    from fontTools.ttLib import TTFont

    with TTFont(out, lazy=True) as tt:
        n = len(tt.getBestCmap())
    print(f"{out}: {out.stat().st_size / 1e6:.2f} MB, {n} characters")
    return 0


if __name__ == "__main__":
    sys.exit(main())

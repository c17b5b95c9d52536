"""Draw every style of a glyph styler model on the same sentence, each next to its real font
(where the font is installed: ``hwrender fonts install --script Hang`` / ``--script Hani``): the
picture the model card links as ``styles.png``.

    python scripts/glyph_styler_styles.py                      # the shipped model -> its folder
    python scripts/glyph_styler_styles.py --weights runs/glyph-styler/model --out styles.png

Each row: the style's name, the sentence as the styler writes it (seed 0, the model's own
cleanup, as a page gets it), and the same sentence set in the font the style was trained on.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

SENTENCES = {"Hang": "한글은 아름다운 글자입니다", "Hani": "我们一起学习中文"}
LABEL_W = 260  # px for the style's name
LABEL_PX = 22  # its type size
GAP = 16  # px between the two columns


def styles_picture(weights: str | None = None, seed: int = 0):
    """A PIL image of every style (rows) written by the model and set in its font (columns)."""
    from PIL import Image, ImageDraw, ImageFont

    from hwrender_plugins.glyph_styler.data import corpus_fonts, font_cmap
    from hwrender_plugins.glyph_styler.evaluate import _advances, _line_image, _Truth
    from hwrender_plugins.glyph_styler.styler import GlyphStyler

    import copy

    styler = copy.copy(GlyphStyler.load(weights))  # the loaded model is shared: change only this copy
    withheld, styler.withheld = set(styler.withheld), {}  # drawn too, and marked
    truth = _Truth(styler, {f.id: f for f in corpus_fonts()})
    rows = []
    for style, script in zip(styler.styles, styler.style_scripts):
        line = SENTENCES.get(script)
        if line is None:
            continue
        chars = [c for c in line if not c.isspace()]
        space = 0.5 * styler.frames[f"source:{script}"].size
        inks = styler.write(chars, style, seed=seed, script=script)
        made = _line_image([i.alpha for i in inks], _advances(line, [i.advance for i in inks], space))
        font = None
        if style in truth.fonts:
            f = truth.fonts[style]
            if all(c in font_cmap(f.path, f.index) for c in chars):
                imgs, _ = truth.renderer(style).render(chars)
                adv = [truth.renderer(style).advance(c) for c in chars]
                font = _line_image(list(imgs / 255.0), _advances(line, adv, space))
        rows.append((style, made, font))
    width = max(r[1].shape[1] for r in rows)
    font_w = max([r[2].shape[1] for r in rows if r[2] is not None] or [width])
    height = rows[0][1].shape[0]
    page = Image.new("L", (LABEL_W + width + GAP + font_w, height * (len(rows) + 1)), 255)
    draw = ImageDraw.Draw(page)
    label = ImageFont.load_default(size=LABEL_PX)
    draw.text((LABEL_W, height // 2), "written by the model (seed 0)", fill=0, font=label)
    draw.text((LABEL_W + width + GAP, height // 2), "the font it learnt from", fill=0, font=label)
    for k, (style, made, font) in enumerate(rows, 1):
        y = k * height
        draw.text((8, y + (height - LABEL_PX) // 2), style, fill=0, font=label)
        if style in withheld:
            draw.text((8, y + (height + LABEL_PX) // 2 + 4), "(withheld)", fill=96, font=label)
        page.paste(Image.fromarray(made), (LABEL_W, y))
        if font is not None:
            page.paste(Image.fromarray(font), (LABEL_W + width + GAP, y))
        else:
            draw.text((LABEL_W + width + GAP, y + (height - LABEL_PX) // 2), "(font not installed)",
                      fill=96, font=label)
    return page


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weights", help="model folder (default: the shipped model)")
    parser.add_argument("--out", help="PNG to write (default: styles.png in the model's folder)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    out = args.out
    if out is None:
        from hwrender_plugins.glyph_styler.styler import GlyphStyler

        out = str(GlyphStyler.load(args.weights).weights_file.parent / "styles.png")
    styles_picture(args.weights, args.seed).save(out, optimize=True)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Own handwriting, end to end: a handwriting font held out of every training set plays a writer.

    python benchmarks/bench_own_hand.py --quick                        # 1 font, 1 seed per model
    python benchmarks/bench_own_hand.py --models hangul,cjk --seeds 3 --json own-hand.json
    python benchmarks/bench_own_hand.py --fonts ~/fonts/MyHand.ttf --models latin
    hwrender eval own-hand --set quick=1 --set models=latin            # the same, as an eval

Each model's template is filled with the font (``--fill-font``, jittered), rasterised at 200 dpi,
turned into simulated phone photos (perspective, rotation, light gradient, blur, noise, JPEG 70),
extracted, fitted with ``hwrender.styles.add`` into a scratch styles folder, and the fitted style
writes characters and words the template did not hold; see ``hwrender/styles/evaluate.py`` for
each figure and target.

The fonts (``DEFAULT_FONTS`` there), each held out of every model's training data:
- Latin (latin, emnist): Kalam, Gochi Hand, Schoolbell (npm @fontsource). They are the held-out
  faces of the corpus (fonts.json ``holdout``: the word GAN's card lists its 32 training fonts,
  the EMNIST card puts these three in its test split) that Tesseract reads; the other held-out
  ones (Kristi, Reenie Beanie, Sacramento, Delphine) are marked ``latin_ocr_hard``, which would
  make the legibility figure measure the font, not the fit.
- Hangul: NanumBarunpen (Debian fonts-nanum-extra, NanumBarunpenR.ttf) and Gaegu (npm): the glyph
  styler's two held-out Hangul faces. Han: Long Cang (npm, its unicode-range slices merged), its
  one held-out Han face.
Fonts are found in the corpus (``hwrender fonts install`` puts them in place), by file, or in
``--font-dir`` (e.g. ``/tmp/ownhand-fonts/ttf`` holding ``<id>.ttf``); never in the repository.

Timings on a shared machine swing; fit seconds are those ``styles add`` recorded, measured under
whatever else the machine was running.
"""

from __future__ import annotations

import argparse
import json
import sys


def main(argv: list[str] | None = None) -> int:
    from hwrender.styles.evaluate import MODELS, Settings, evaluate

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", default=",".join(MODELS), help="comma-separated: " + ",".join(MODELS))
    p.add_argument("--fonts", default="", help="font ids or files (default: the held-out ones)")
    p.add_argument("--font-dir", action="append", default=[], help="where <id>.ttf files are")
    p.add_argument("--seeds", type=int, default=3, help="simulated photos per page")
    p.add_argument("--units", type=int, default=60, help="unseen characters/words written")
    p.add_argument("--steps", type=int, default=None, help="fit steps (default: each fitter's)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--weights", action="append", default=[], metavar="MODEL:DIR")
    p.add_argument("--quick", action="store_true", help="1 font and 1 seed per model, 24 units")
    p.add_argument("--keep", default=None, help="keep sheets, photos, samples and styles here")
    p.add_argument("--json", default=None, metavar="OUT", help="write the full report here")
    a = p.parse_args(argv)
    settings = Settings(models=tuple(m for m in a.models.split(",") if m),
                        fonts=tuple(f for f in a.fonts.split(",") if f),
                        font_dirs=tuple(a.font_dir), seeds=a.seeds, units=a.units, steps=a.steps,
                        device=a.device, quick=a.quick, keep=a.keep,
                        weights=dict(w.split(":", 1) for w in a.weights))
    report = evaluate(settings, log=lambda m: print(m, file=sys.stderr, flush=True))
    if a.json:
        with open(a.json, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=2, ensure_ascii=False)
    rows = [(f["name"], str(f["value"]), str(f["target"] or ""),
             "" if f["pass"] is None else ("ok" if f["pass"] else "MISSED"))
            for f in report["figures"]]
    widths = [max(len(r[i]) for r in rows + [("FIGURE", "VALUE", "TARGET", "")]) for i in range(4)]
    for row in [("FIGURE", "VALUE", "TARGET", ""), *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
    return 0


if __name__ == "__main__":
    sys.exit(main())

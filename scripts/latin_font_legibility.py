"""Tesseract's CER on each Latin corpus font, written on lines of *training* words.

The Latin word GAN learns the hands of its training fonts, so a font that Tesseract cannot read
(joined or ornate script) teaches letters no reader of the page can make out either. This measures
every installed Latin handwriting font the way ``hwrender eval latin`` measures generated lines
(``font_line``: 4 words on a baseline, enlarged; ``tesseract - -l eng --psm 7``), on lines of words
drawn from the training vocabulary (never the held-out words the evaluation reads), and prints the
fonts above the threshold: those are flagged ``latin_ocr_hard`` in ``hwrender/fonts.json``.

    python scripts/latin_font_legibility.py --lines 40 --json out.json
"""

from __future__ import annotations

import argparse
import json
import random
import sys

import numpy as np


def main(argv: list[str] | None = None) -> int:
    from hwrender_plugins.latin.render import WordFont
    from hwrender_plugins.latin.vocabulary import vocabulary
    from hwrender_plugins.latin.evaluate import font_line

    from hwrender import fonts as corpus
    from hwrender.errors import UsageError
    from hwrender.train.metrics import cer, ocr_line

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--lines", type=int, default=40, help="lines of 4 training words per font")
    p.add_argument("--threshold", type=float, default=0.125,
                   help="flag fonts above this CER (one character in eight)")
    p.add_argument("--json", help="write {font: {split, cer, lines, flagged}} here")
    args = p.parse_args(argv)

    vocab = vocabulary(seed=0)["train"]
    rng = random.Random(1)
    lines = [rng.sample(vocab, 4) for _ in range(args.lines)]
    out = {}
    for split in ("train", "holdout"):
        for fid, path in sorted(corpus.available(script="Latn", role="handwriting",
                                                 split=split).items()):
            record = corpus.get(fid)
            try:
                font = WordFont(path, record.ttc_index)
            except UsageError as exc:  # no lower case: the corpus skips it anyway
                print(f"{fid}: skipped ({exc})", file=sys.stderr)
                continue
            cers = []
            for line in lines:
                image = font_line(font, line)
                if image is not None:
                    cers.append(cer(" ".join(line), ocr_line(image, "eng")))
            value = round(float(np.mean(cers)), 4) if cers else None
            out[fid] = {"split": split, "cer": value, "lines": len(cers),
                        "flagged": bool(record.latin_ocr_hard)}
            mark = "ABOVE" if value is not None and value > args.threshold else ""
            print(f"{fid:28s} {split:8s} CER {value}  ({len(cers)} lines) "
                  f"{'flagged' if record.latin_ocr_hard else ''} {mark}", flush=True)
    above = sorted(k for k, v in out.items() if v["cer"] is not None and v["cer"] > args.threshold)
    print(f"\n{len(above)} fonts above {args.threshold}: {', '.join(above)}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(out, fh, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

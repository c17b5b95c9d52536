"""Measure hands of a Latin word GAN, to choose its named styles (``config.json`` ``styles``).

Each hand (a seeded style vector at ``--spread``) writes lines of 4 *training* words (never the
held-out words or the hands 0-29 that ``hwrender eval latin`` reads) the way the evaluation writes
its lines; Tesseract's CER on them and the hand's ink share (pixels over 0.5) are printed a hand a
line, most legible first. The shipped ``neat``, ``fine`` and ``bold`` came from

    python scripts/choose_latin_styles.py --seeds 100-139 --spread 0.5    # neat: lowest CER
    python scripts/choose_latin_styles.py --seeds 200-259 --spread 1.0    # fine / bold: the
                                          # lightest / heaviest with CER <= 0.035
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np


def measure(gen, lines, seed: int, spread: float) -> dict:
    from hwrender_plugins.latin.evaluate import _line
    from hwrender_plugins.latin.generator import framed

    from hwrender.train.metrics import cer, ocr_line

    gen.styles = {"candidate": (seed, spread)}
    cers, ink = [], []
    for k, line in enumerate(lines):
        inks = gen.generate(line, "candidate", seed=k)
        words = [framed(i) for i in inks]  # in the 32 px training frame, as the evaluation
        ink += [float((w > 0.5).mean()) for w in words]
        cers.append(cer(" ".join(line), ocr_line(_line(words), "eng")))
    return {"seed": seed, "spread": spread, "cer": round(float(np.mean(cers)), 4),
            "ink": round(float(np.mean(ink)), 4)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", help="model folder (default: the shipped model)")
    parser.add_argument("--seeds", default="100-139", help="hands to measure, FIRST-LAST")
    parser.add_argument("--spread", type=float, default=0.5, help="style spread of the hands")
    parser.add_argument("--lines", type=int, default=12)
    parser.add_argument("--json", help="also write the rows to this file")
    args = parser.parse_args(argv)
    from hwrender_plugins.latin import words as W
    from hwrender_plugins.latin.dataset import training_set
    from hwrender_plugins.latin.generator import LatinGenerator

    first, last = (int(v) for v in args.seeds.split("-"))
    gen = LatinGenerator(weights_dir=args.weights)
    trained = gen.config.get("train", {})
    train, _ = training_set(None, int(trained.get("per_font", 1000)),
                            int(trained.get("data_seed", 0)), augment=trained.get("augment", "full"))
    vocab = sorted({t for t in train.texts if W.writable(t) and t.isalpha()})
    rng = np.random.default_rng(123)
    words = [vocab[i] for i in rng.choice(len(vocab), size=4 * args.lines, replace=False)]
    lines = [words[i:i + 4] for i in range(0, len(words), 4)]
    rows = [measure(gen, lines, s, args.spread) for s in range(first, last + 1)]
    for row in sorted(rows, key=lambda r: r["cer"]):
        print(f"hand {row['seed']:5d}  spread {row['spread']}  Tesseract CER {row['cer']:.4f}  "
              f"ink {row['ink']:.4f}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(rows, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())

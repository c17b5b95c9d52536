"""Latin hands (issue 30): how far apart the hands are, against real writers, and what it costs.

    python benchmarks/bench_latin_hands.py                 # spread + page time
    python benchmarks/bench_latin_hands.py --cer --lines 8 # + each named hand's Tesseract CER
    python benchmarks/bench_latin_hands.py --json
    python benchmarks/bench_latin_hands.py --guard --seeded 30 --no-time  # + hands 0-29's CER

**Spread** (``hands.check``): the same line of training words (``hands.CHECK_LINE``) written in
8 seeded hands (0-7) and in 5 held-out handwriting fonts (``hands.CHECK_FONTS``, never trained
on); four shape features each (``hwrender.styles.evaluate.shape_features``: slant, stroke width,
width per letter, ink coverage, relative to the x-height; the slant found by ``hands.slant``);
per feature the std across hands over the std across fonts, averaged. Printed with the seeded
hands' profiles off (today's output) and on, and for the named hands.

**Page time**: a 250-word page (``bench_latin.page_words``) generated warm, best of a few
windows, in the default hand, seeded hand 3 with its profile off and on, and each profiled named
hand's first: the profile's squeeze, shear and stroke are batched per width like the network.

**Seeded hands' CER** (``--seeded N``): Tesseract's CER (``hands.line_cer``) of seeded hands
0..N-1 on ``--lines`` lines of training words, profiles off and on. ``--guard`` runs everything
with ``hands.GUARD`` on (a steered hand's halo sharpened for a page OCR: ``hands.guard``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def page_times(gen, windows: int) -> dict:
    from benchmarks.bench_latin import page_words

    words = page_words()
    named = [n for n in gen.styles if n in gen.profiles][:1]
    out = {}
    for label, style, on in ([("default", None, False), ("hand 3, profiles off", "3", False),
                              ("hand 3, profiles on", "3", True)]
                             + [(f"{n} (profile)", n, False) for n in named]):
        gen.hand_profiles = on
        gen.generate(words, style, 0)  # warm: kernels, the hand's ink cap and steer
        best = float("inf")
        for w in range(windows):
            t0 = time.perf_counter()
            gen.generate(words, style, w)
            best = min(best, time.perf_counter() - t0)
        out[label] = round(best, 3)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", help="model folder (default: the shipped model)")
    parser.add_argument("--windows", type=int, default=3)
    parser.add_argument("--cer", action="store_true", help="each named hand's Tesseract CER")
    parser.add_argument("--lines", type=int, default=8, help="--cer: lines of 4 training words")
    parser.add_argument("--no-time", action="store_true")
    parser.add_argument("--time-only", action="store_true", help="page times alone")
    parser.add_argument("--seeded", type=int, default=0, metavar="N",
                        help="seeded hands 0..N-1's Tesseract CER, profiles off and on")
    parser.add_argument("--guard", action="store_true", help="with hands.GUARD on")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    import numpy as np
    from hwrender_plugins.latin import hands as H
    from hwrender_plugins.latin.generator import LatinGenerator

    H.GUARD = args.guard
    gen = LatinGenerator(weights_dir=args.weights)
    result: dict = {"guard": H.GUARD}
    if args.time_only:
        result["page_s"] = page_times(gen, args.windows)
        print(json.dumps(result, indent=1))
        return 0
    t0 = time.perf_counter()
    for label, on in (("seeded hands, profiles off", False), ("seeded hands, profiles on", True)):
        gen.hand_profiles = on
        result[label] = H.check(gen)
    gen.hand_profiles = False
    result["named hands"] = H.check(gen, tuple(gen.styles))
    result["today's named hands among the seeded"] = H.spread(
        result["seeded hands, profiles off"]["hands"]
        + [r for n, r in zip(gen.styles, result["named hands"]["hands"]) if n not in gen.profiles],
        result["named hands"]["fonts"])
    result["spread_s"] = round(time.perf_counter() - t0, 1)
    if args.cer:
        lines = H.training_lines(args.lines)
        result["cer"] = {name: round(H.line_cer(gen, name, lines), 4) for name in gen.styles}
    if args.seeded:
        lines = H.training_lines(args.lines)
        for label, on in (("profiles off", False), ("profiles on", True)):
            gen.hand_profiles = on
            result[f"seeded CER, {label}"] = [round(H.line_cer(gen, str(n), lines), 3)
                                              for n in range(args.seeded)]
        gen.hand_profiles = False
    if not args.no_time:
        result["page_s"] = page_times(gen, args.windows)
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    for label, row in result.items():
        if isinstance(row, dict) and "spread" in row:
            parts = "  ".join(f"{k} {row[k]:.2f}x" for k in H.FEATURES)
            print(f"{label:40s} spread {row['spread']:.2f}x  ({parts})")
    fonts = result["named hands"]["fonts"]
    print("fonts' std: " + "  ".join(
        f"{k} {float(np.std([r[k] for r in fonts])):.3f}" for k in H.FEATURES))
    print(f"spread measured in {result['spread_s']} s")
    for name, value in result.get("cer", {}).items():
        print(f"named hand {name:10s} Tesseract CER {value:.4f}")
    for label in ("seeded CER, profiles off", "seeded CER, profiles on"):
        if label in result:
            v = result[label]
            print(f"{label}: mean {np.mean(v):.4f}, max {max(v):.3f}, "
                  f"{sum(x > 0.08 for x in v)} over 0.08: {v}")
    for label, value in result.get("page_s", {}).items():
        print(f"page of 250 words, {label:24s} {value:.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

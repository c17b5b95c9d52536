"""Ink at output resolution (issue 28): raster ink (resampled) against vector ink (traced and filled),
side by side in one run, per generator.

    python benchmarks/bench_ink.py               # all generators, 300 dpi
    python benchmarks/bench_ink.py --only latin,font --no-ocr

Figures per generator and render:
- edge band: pixels with 10-90 % ink per pixel of outline (the 50 % level's length, from its
  crossings between neighbouring pixels x pi/4). A font's anti-aliasing gives about 1.0-1.4.
- haze: share of inked pixels (> 10 %) in blobs whose darkest pixel is under 50 % (the glyph
  styler's speckle and haze around strokes; a font has none).
- time: ink_coverage of the page (raster: resample; vector: trace + fill), median of runs;
  "added" is vector minus raster for the same page; "cpu" the same in process CPU time (least
  of the runs), which a loaded machine disturbs less than the wall clock.
- Tesseract CER of the page's lines (each line cut out at 300 dpi, read with --psm 7), when
  `tesseract` and the script's language are installed.
- mass: the page's ink mass (sum of coverage) over the raster page's; FWHM: the median stroke
  width in px where the ink crosses half of its local peak, and "ratio" that over the raster's
  (``stroke_width``: why these two are the width a reader sees).
- --variants: vector tracing rules side by side (the first one also gives the SVG, PDF and
  plotter figures); ``RULE:plain`` traces without the ink upscaler (``hwrender.render.upscale``).
- --ocr-pages N: Tesseract CER over N pages in N hands, raster against the variants; with
  --sharpened, also the raster page through contrast curves (no tracing), to tell an edge's
  sharpness from the tracer.
- SVG: the page's SVG size (``-o page.svg``, vector ink) and write time; "+trace" traces afresh.
- PDF (the latin and mixed pages): file size and PdfWriter time, raster ink (soft-masked image)
  against vector ink (traced paths); "+trace" also traces every ink afresh.
- plotter (--strokes): centre-line strokes of the page, pen-up travel in metres as found
  (word by word, strokes in scan order) and ordered (nearest neighbour + 2-opt), pen-down length,
  the pen (median stroke width, mm), IoU of the strokes drawn back with that pen against the
  filled ink (mean and worst word), and the time to make the page's strokes afresh.

Targets (issue 28): edge band <= 1.6 px for every generator; CER no worse than raster; trace +
fill <= 0.2 s added to a 250-word page on 2 cores.
"""

from __future__ import annotations

import argparse
import functools
import math
import shutil
import statistics
import time

import numpy as np

from bench_core import text_of  # benchmarks/ is sys.path[0] when run as a script

HANGUL = ("오늘은 날씨가 좋아서 친구와 함께 공원에 갔습니다 한글은 아름다운 글자입니다 "
          "우리는 도서관에서 책을 읽고 저녁에는 맛있는 음식을 먹었습니다 ")
HAN = "今天天气很好我们一起去公园散步学习中文很有意思明天见 "

# name: (generator overrides, text, Tesseract language)
CASES = {
    "latin": (["Latn=latin"], text_of(250), "eng"),
    "emnist": (["Latn=emnist"], text_of(250), "eng"),
    "font": (["Latn=font"], text_of(250), "eng"),
    "hangul": (["Hang=hangul"], HANGUL * 3, "kor"),
    "cjk": (["Hani=cjk"], (HAN * 8).replace(" ", ""), "chi_sim"),
    "mixed": (None, " ".join([text_of(60), HANGUL, HAN * 2]), None),
}
PDF_CASES = ("latin", "mixed")  # PDF size and write time, raster ink against vector ink
PLOTTER_CASES = ("latin", "mixed")  # pen-plotter strokes: travel, coverage, time


def page_of(generators, text: str, dpi: int, style: str | None = None, seed: int = 0):
    from hwrender.api import _prepare
    from hwrender.layout import layout_pages

    pipe = _prepare(text, None, None, {"generators": generators, "dpi": dpi, "style": style,
                                       "seed": seed})
    items = list(pipe.items())
    page = next(iter(layout_pages(items, pipe.res.geometry, pipe.res.style)))
    return page, pipe.inks, pipe.res.dpi


def edge_band(cov: np.ndarray) -> float:
    a = cov.astype(np.float32) / 255
    grey = int(((a > 0.1) & (a < 0.9)).sum())
    ink = a >= 0.5
    crossings = int((ink[:, 1:] != ink[:, :-1]).sum() + (ink[1:] != ink[:-1]).sum())
    return grey / max(1.0, crossings * math.pi / 4)


def haze(cov: np.ndarray) -> float:
    from scipy import ndimage  # the benchmark only; scipy comes with the test tools

    inked = cov > 25
    labels, n = ndimage.label(inked, structure=np.ones((3, 3)))
    if n == 0:
        return 0.0
    peak = ndimage.maximum(cov, labels, index=np.arange(1, n + 1))
    faint = np.r_[False, peak < 128]
    return float(faint[labels].sum() / inked.sum())


def stroke_width(cov: np.ndarray, dpi: float) -> tuple[float, float]:
    """(ink mass, FWHM): the page's ink in pixels of full ink (the sum of its coverage), and the
    median stroke width in px where the ink crosses half of its local peak (the largest coverage
    within dpi/50 px, about a stroke's width). FWHM is the width a reader sees of a soft stroke
    (the edge of a blurred line sits where it is half as dark as its middle) and needs no global
    level, so a faint stroke is measured at its own half; the mass is what the eye integrates
    (one stroke twice as wide, or twice as dark, looks twice as heavy). Both pages hold the same
    strokes, so the vector/raster mass ratio is their width ratio at equal darkness."""
    from scipy import ndimage

    from hwrender.render.skeleton import thin, widths_at

    a = cov.astype(np.float32) / 255
    rows, cols = np.flatnonzero(a.any(1)), np.flatnonzero(a.any(0))
    if rows.size == 0:
        return 0.0, 0.0
    a = a[max(rows[0] - 4, 0):rows[-1] + 5, max(cols[0] - 4, 0):cols[-1] + 5]
    peak = ndimage.maximum_filter(a, size=2 * max(2, round(dpi / 50)) + 1)
    # haze under a quarter of full ink has no stroke a reader would measure
    half = np.where(peak >= 0.25, a - 0.5 * peak, -1.0)
    w = widths_at(half, thin(half >= 0))
    return float(a.sum()), float(np.median(w)) if w.size else 0.0


def fresh_inks(inks, level: float | None = None):
    """New ink objects (the trace is cached per ink, and a page traces each ink once), traced at
    ``level`` when given (the ink_level a generator may ask for)."""
    from hwrender.ink import InkImage

    def meta(m):
        return m if level is None else {**(m or {}), "ink_level": level}

    return {k: InkImage(v.alpha, v.baseline, v.x_height, v.advance, v.text, meta=meta(v.meta)) for k, v in inks.items()}


class Variant:
    """A vector tracing rule to measure beside the shipped one: ``LEVEL[/FLOOR[/RADIUS]]`` traces
    every ink at LEVEL (its ink_level) with trace.LOCAL_FLOOR at FLOOR and trace.LOCAL_RADIUS at
    RADIUS; "rule" is the shipped one, "width" the shipped one with trace.KEEP_WIDTH on. A
    ``:plain`` suffix traces without the ink upscaler (the generators' own pixels, bicubic)."""

    def __init__(self, spec: str):
        self.spec = spec
        spec, plain = (spec[:-len(":plain")], True) if spec.endswith(":plain") else (spec, False)
        self.plain = plain  # traced without the ink upscaler (upscale.ENABLED off)
        level, floor, radius = (spec.split("/") + ["", ""])[:3]
        self.keep_width = level == "width"
        self.level = None if level in ("rule", "width") else float(level)
        if self.level is not None and not 0.05 <= self.level <= 0.5:
            # trace.ink_level clamps a level to MIN_LEVEL..0.5, and 0.5 with the local floor is
            # KEEP_WIDTH's half of the local peak: 0.6 would measure 0.5 under another name
            raise SystemExit(f"bench_ink: vector level {self.level:g} is outside 0.05-0.5 "
                             "(trace.ink_level traces it at the nearest end); use a level in that range")
        self.floor = float(floor) if floor else None
        self.radius = int(radius) if radius else None

    def __enter__(self):
        from hwrender.render import trace, upscale

        self._saved = trace.LOCAL_FLOOR, trace.LOCAL_RADIUS, trace.KEEP_WIDTH
        self._upscale = upscale.ENABLED
        upscale.ENABLED = upscale.ENABLED and not self.plain
        if self.floor is not None:
            trace.LOCAL_FLOOR = self.floor
        if self.radius is not None:
            trace.LOCAL_RADIUS = self.radius
        trace.KEEP_WIDTH = trace.KEEP_WIDTH or self.keep_width
        return self

    def __exit__(self, *exc):
        from hwrender.render import trace, upscale

        trace.LOCAL_FLOOR, trace.LOCAL_RADIUS, trace.KEEP_WIDTH = self._saved
        upscale.ENABLED = self._upscale


def timed_coverage(page, inks, dpi, render: str, repeat: int, level: float | None = None):
    from hwrender.render import ink_coverage

    times, cpu, cov = [], [], None
    for _ in range(repeat):
        fresh = fresh_inks(inks, level)
        t0, c0 = time.perf_counter(), time.process_time()
        cov = ink_coverage(page, fresh, dpi, ink_render=render)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return cov, statistics.median(times), min(cpu)


def line_crops(page, cov: np.ndarray, dpi: float):
    """(text, dark-on-white uint8 image) per line of the page."""
    k = dpi / 72
    lines: dict[int, list] = {}
    for s in page.spans:
        lines.setdefault(s.line, []).append(s)
    for spans in lines.values():
        text = ""
        for s in spans:
            text += (" " if s.space_before and text else "") + s.text
        top = max(0, int(min(s.baseline - s.ascent for s in spans) * k) - 8)
        bottom = int(max(s.baseline + s.descent for s in spans) * k) + 8
        left = max(0, int(min(s.x0 for s in spans) * k) - 12)
        right = int(max(s.x1 for s in spans) * k) + 12
        yield text, 255 - cov[top:bottom, left:right]


def ocr_cer(page, cov, dpi, lang: str) -> float:
    from hwrender.train.metrics import cer, ocr_line

    scores = [cer(text, ocr_line(np.ascontiguousarray(img), lang)) for text, img in line_crops(page, cov, dpi)]
    return statistics.mean(scores)


def pdf_figures(page, inks, dpi, repeat: int) -> dict:
    """PDF size and write time of the page, raster ink (a soft-masked image) against vector ink
    (traced paths). "write" is PdfWriter alone (the coverage or the traces made beforehand, as
    the pipeline has them); "+trace" adds tracing every ink afresh to the vector write."""
    import io

    from hwrender.render import PdfWriter, ink_coverage

    cov = ink_coverage(page, inks, dpi)

    def write(**ink) -> int:
        buf = io.BytesIO()
        with PdfWriter(buf, dpi=dpi) as pdf:
            pdf.add_page(page, **ink)
        return len(buf.getvalue())

    fresh = functools.partial(fresh_inks, inks)

    out = {"raster_bytes": write(coverage=cov), "vector_bytes": write(inks=inks)}
    out["raster_s"] = statistics.median(_time(lambda: write(coverage=cov)) for _ in range(repeat))
    out["vector_s"] = statistics.median(_time(lambda: write(inks=inks)) for _ in range(repeat))
    out["vector_trace_s"] = statistics.median(_time(lambda i=fresh(): write(inks=i)) for _ in range(repeat))
    return out


def svg_figures(page, inks, dpi, repeat: int) -> dict:
    """SVG size and write time of the page (vector ink, as ``-o page.svg`` writes it); "+trace"
    also traces every ink afresh."""
    from hwrender.render.svg import page_svg
    from hwrender.render.writers import WriteContext

    ctx = WriteContext(dpi=dpi, ink_render="vector")
    out = {"bytes": len(page_svg(page, inks, ctx))}
    out["s"] = statistics.median(_time(lambda: page_svg(page, inks, ctx)) for _ in range(repeat))
    out["trace_s"] = statistics.median(_time(lambda i=fresh_inks(inks): page_svg(page, i, ctx))
                                       for _ in range(repeat))
    return out


def _time(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def plotter_figures(page, inks, repeat: int) -> dict:
    """Pen-plotter strokes of the page: travel as found against ordered, coverage, time."""
    from hwrender.render import strokes

    def make():
        return strokes.page_polylines(page, fresh_inks(inks), order=False)

    mm = 25.4 / 72
    found = make()
    ordered = strokes.order_polylines(found)
    ious = [strokes.stroke_iou(inks[k]) for k in sorted({p.ink for p in page.placements})]
    return {
        "strokes": len(ordered),
        "travel_found_m": strokes.pen_travel(found) * mm / 1000,
        "travel_ordered_m": strokes.pen_travel(ordered) * mm / 1000,
        "pen_down_m": sum(float(np.hypot(*np.diff(pl, axis=0).T).sum()) for pl in ordered) * mm / 1000,
        "pen_mm": strokes.median_stroke_width(page, inks) * mm,
        "iou_mean": statistics.mean(ious), "iou_min": min(ious),
        "time_s": statistics.median(_time(lambda: strokes.order_polylines(make())) for _ in range(repeat)),
    }


def sharpened(cov: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """The raster page through a contrast curve: smoothstep from coverage ``lo`` to ``hi`` (a
    hard threshold at ``lo`` when they are equal). No tracing: whether a sharper edge itself, not
    the tracer, reads worse."""
    a = cov.astype(np.float32) / 255
    if hi <= lo:
        t = (a >= lo).astype(np.float32)
    else:
        t = np.clip((a - lo) / (hi - lo), 0, 1)
        t = t * t * (3 - 2 * t)
    return np.round(t * 255).astype(np.uint8)


def ocr_pages(name: str, n: int, variants, dpi: int, lang: str, curves=(), seed: int = 28) -> None:
    """Tesseract CER of ``n`` pages of random dictionary words (not the evaluation's lines), each
    in another hand (the default, the named ones, then seeded ones) and seed, raster and each
    vector variant (and each ``sharpened`` raster of ``curves``) on the same pages: mean, the
    pages where each read better / worse than the raster, and the mean edge band. ``seed`` picks
    the words and the pages' seeds (28: the pages the cards' figures were measured on; any other
    gives fresh pages, e.g. to check a choice made on those)."""
    import random

    from hwrender.errors import UsageError
    from hwrender.registry import default_registry

    gens, case_text, _ = CASES[name]
    # Latin cases: random dictionary words; the others: their own page's words (Hangul) or
    # characters (Han) shuffled, so each page holds another text in the script its generator writes
    words = WORD_LIST() if lang == "eng" else (case_text.split() if " " in case_text.strip() else list(case_text))
    gen = default_registry().instance(gens[0].split("=")[1]) if gens else None
    named = sorted(getattr(gen, "styles", {}) or {})
    hands = [None, *named, *(str(k) for k in range(1, n + 1))][:n]
    r = random.Random(seed)
    first = 1 + 1000 * (seed - 28)  # page k's seed: k + 1 on the cards' pages
    cers: dict[str, list[float]] = {}
    bands: dict[str, list[float]] = {}
    for k, hand in enumerate(hands):
        picks = [r.choice(words) for _ in range(120 if lang == "eng" else 60)]
        text = (" " if lang == "eng" or " " in case_text.strip() else "").join(picks)
        try:
            page, inks, dpi_ = page_of(gens, text, dpi, hand, first + k)
        except UsageError:  # no seeded hands (the font generator): its named ones in turn, if listed
            hand = named[k % len(named)] if named else None
            hands[k] = hand
            page, inks, dpi_ = page_of(gens, text, dpi, hand, first + k)
        pages = []
        for render, variant in [("raster", None)] + [("vector", v) for v in variants]:
            with variant or Variant("rule"):
                cov, _, _ = timed_coverage(page, inks, dpi_, render, 1, variant.level if variant else None)
            pages.append((render if variant is None or variant.spec == "rule" else f"v{variant.spec}", cov))
        raster = pages[0][1]
        pages += [(f"r{lo:g}-{hi:g}", sharpened(raster, lo, hi)) for lo, hi in curves]
        for label, cov in pages:
            cers.setdefault(label, []).append(ocr_cer(page, cov, dpi_, lang))
            bands.setdefault(label, []).append(edge_band(cov))
    base = cers["raster"]
    print(f"\n{name}: Tesseract CER over {len(hands)} pages of {len(picks)} random words, seed {seed} "
          f"(hands {', '.join(str(h) for h in hands)})")
    print(f"{'render':10} {'CER':>6} {'better':>6} {'worse':>6} {'edge px':>8} {'- raster':>8} {'+-se':>6}")
    for label, values in cers.items():
        better = sum(v < b for v, b in zip(values, base))
        worse = sum(v > b for v, b in zip(values, base))
        diffs = [v - b for v, b in zip(values, base)]  # paired per page: the same words and hand
        se = statistics.stdev(diffs) / len(diffs) ** 0.5 if len(diffs) > 1 else 0.0
        print(f"{label:10} {statistics.mean(values):6.4f} {better:6d} {worse:6d} {statistics.mean(bands[label]):8.2f} "
              f"{statistics.mean(diffs):+8.4f} {se:6.4f}")


def WORD_LIST() -> list[str]:
    """Lowercase ASCII words of the system dictionary (``wamerican``), else the core bench's."""
    from pathlib import Path

    from bench_core import WORDS

    path = Path("/usr/share/dict/words")
    if path.is_file():
        words = [w for w in path.read_text(errors="ignore").split()
                 if w.isascii() and w.isalpha() and w.islower() and 2 <= len(w) <= 10]
        if len(words) > 1000:
            return words
    return list(WORDS)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dpi", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", default=",".join(CASES))
    ap.add_argument("--no-ocr", action="store_true")
    ap.add_argument("--save", default=None, help="folder for 300-dpi crops of each page's first line")
    ap.add_argument("--ink-level", default="", metavar="NAME=LEVEL,...",
                    help="trace a case's inks at this level (the ink_level a generator may ask for in its "
                         "ink's meta), e.g. emnist=0.1")
    ap.add_argument("--variants", default="rule", metavar="RULE,...",
                    help="vector tracing rules side by side: 'rule' (the shipped one) or LEVEL[/FLOOR] "
                         "(every ink at LEVEL, trace.LOCAL_FLOOR at FLOOR), 'width' (trace.KEEP_WIDTH); a ':plain' "
                         "suffix traces without the ink upscaler, e.g. rule,rule:plain,0.4:plain")
    ap.add_argument("--ocr-pages", type=int, default=0, metavar="N",
                    help="only Tesseract CER over N pages of random words in N hands, raster against "
                         "the variants, for each case of --only (e.g. --only latin --ocr-pages 13)")
    ap.add_argument("--sharpened", default="", metavar="LO-HI,...",
                    help="with --ocr-pages: also the raster page through a contrast curve (smoothstep "
                         "from coverage LO to HI; LO-LO a hard threshold), e.g. 0.25-0.25,0.05-0.6")
    ap.add_argument("--ocr-seed", type=int, default=28, metavar="S",
                    help="with --ocr-pages: the pages' words and seeds (28, the default: the pages the cards' "
                         "figures come from; another seed draws fresh pages)")
    args = ap.parse_args()
    from hwrender.train.metrics import tesseract_langs

    if args.ocr_pages:
        for name in args.only.split(","):
            ocr_pages(name, args.ocr_pages, [Variant(v) for v in args.variants.split(",") if v],
                      args.dpi, CASES[name][2],
                      [tuple(float(x) for x in c.split("-")) for c in args.sharpened.split(",") if c],
                      args.ocr_seed)
        return

    langs = set() if args.no_ocr or shutil.which("tesseract") is None else tesseract_langs()
    print(f"{'generator':9} {'render':10} {'words':>5} {'edge px':>8} {'haze':>7} {'time s':>7} "
          f"{'added s':>8} {'cpu s':>6} {'added':>7} {'mass':>5} {'FWHM':>5} {'ratio':>5} {'CER':>6}")
    pdf_rows = []
    plotter_rows = []
    svg_rows = []
    ink_levels = {k: float(v) for k, v in (kv.split("=") for kv in args.ink_level.split(",") if kv)}
    variants = [Variant(v) for v in args.variants.split(",") if v]
    for name in args.only.split(","):
        gens, text, lang = CASES[name]
        page, inks, dpi = page_of(gens, text, args.dpi)
        if name in ink_levels:
            for ink in inks.values():
                ink.meta["ink_level"] = ink_levels[name]
        base = base_cpu = base_mass = base_fwhm = None
        for render, variant in [("raster", None)] + [("vector", v) for v in variants]:
            with variant or Variant("rule"):
                level = variant.level if variant else None
                cov, t, cpu = timed_coverage(page, inks, dpi, render, args.repeat, level)
                if render == "vector" and variant is variants[0]:
                    svg_rows.append((name, svg_figures(page, fresh_inks(inks, level), dpi, args.repeat)))
                    if name in PDF_CASES:
                        pdf_rows.append((name, pdf_figures(page, fresh_inks(inks, level), dpi, args.repeat)))
                    if name in PLOTTER_CASES:
                        plotter_rows.append((name, plotter_figures(page, fresh_inks(inks, level), args.repeat)))
            mass, fwhm = stroke_width(cov, dpi)
            if render == "raster":
                base, base_cpu, base_mass, base_fwhm = t, cpu, mass, fwhm
            label = render if variant is None or variant.spec == "rule" else f"v{variant.spec}"
            c = f"{ocr_cer(page, cov, dpi, lang):.3f}" if lang in langs else "-"
            added = f"{t - base:+.3f}" if render == "vector" else ""
            added_cpu = f"{cpu - base_cpu:+.3f}" if render == "vector" else ""
            print(f"{name:9} {label:10} {len(page.placements):5d} {edge_band(cov):8.2f} "
                  f"{haze(cov):7.4f} {t:7.3f} {added:>8} {cpu:6.3f} {added_cpu:>7} "
                  f"{mass / max(base_mass, 1e-9):5.2f} {fwhm:5.2f} {fwhm / max(base_fwhm, 1e-9):5.2f} {c:>6}",
                  flush=True)
            if args.save:
                from pathlib import Path

                from PIL import Image

                _, img = next(line_crops(page, cov, dpi))
                Path(args.save).mkdir(parents=True, exist_ok=True)
                Image.fromarray(np.ascontiguousarray(img[:, :600])).save(f"{args.save}/{name}-{label.replace('/', '_')}.png")

    if svg_rows:
        print(f"\n{'SVG page':9} {'KB':>7} {'write s':>8} {'+trace s':>8}")
        for name, f in svg_rows:
            print(f"{name:9} {f['bytes'] / 1000:7.0f} {f['s']:8.3f} {f['trace_s']:8.3f}")
    if pdf_rows:
        print(f"\n{'PDF page':9} {'raster KB':>9} {'write s':>8} {'vector KB':>9} {'write s':>8} {'+trace s':>8}")
        for name, f in pdf_rows:
            print(f"{name:9} {f['raster_bytes'] / 1000:9.0f} {f['raster_s']:8.3f} {f['vector_bytes'] / 1000:9.0f} "
                  f"{f['vector_s']:8.3f} {f['vector_trace_s']:8.3f}")
    if plotter_rows:
        print(f"\n{'plotter':9} {'strokes':>7} {'travel m':>8} {'ordered':>8} {'down m':>7} {'pen mm':>6} "
              f"{'IoU':>5} {'worst':>5} {'time s':>7}")
        for name, f in plotter_rows:
            print(f"{name:9} {f['strokes']:7d} {f['travel_found_m']:8.2f} {f['travel_ordered_m']:8.2f} "
                  f"{f['pen_down_m']:7.2f} {f['pen_mm']:6.3f} {f['iou_mean']:5.3f} {f['iou_min']:5.3f} {f['time_s']:7.3f}")


if __name__ == "__main__":
    main()

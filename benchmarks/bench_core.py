"""Core figures: cold start, layout + compose of an A4 page, PDF writing, memory of a long document.

    python benchmarks/bench_core.py            # all figures, printed as a table
    python benchmarks/bench_core.py --json     # the same as JSON

Targets on the project's 2-core CPU: `hwrender --help` <= 0.3 s; layout + compose of an A4 page of
250 words with the test generator <= 0.15 s (at the default 300 dpi; generation is timed apart);
peak memory while writing a 20-page PDF with the default generators <= 600 MB. Timings on a shared
machine swing: each is the median of several runs.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import time

WORDS = ("the quick brown fox jumps over a lazy dog while seven wizards quietly hex "
         "an old ledger of forgotten recipes and copper kettles").split()


def text_of(n_words: int) -> str:
    return " ".join(WORDS[i % len(WORDS)] for i in range(n_words))


def median_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def bench_help(repeat: int) -> float:
    cmd = [sys.executable, "-m", "hwrender", "--help"]
    subprocess.run(cmd, capture_output=True, check=True)  # warm the file cache
    return median_time(lambda: subprocess.run(cmd, capture_output=True, check=True), repeat)


def _test_registry():
    from hwrender.registry import GeneratorSpec, Registry
    from hwrender_plugins.testing import TestGenerator

    return Registry([GeneratorSpec(name="test", scripts=("*",), unit="word",
                                   factory=TestGenerator, priority=0)])


def bench_page(repeat: int, dpi: int) -> dict:
    """Generation, layout and compose of one A4 page of 250 words, timed apart."""
    from hwrender.api import _prepare
    from hwrender.layout import layout_pages
    from hwrender.render import compose_page, ink_coverage

    text = text_of(250)
    reg = _test_registry()
    out = {}
    pipe = _prepare(text, None, reg, {"dpi": dpi, "paper": "ruled"})
    items = list(pipe.items())  # generation (test generator), kept apart from layout
    out["generate_s"] = median_time(lambda: list(_prepare(text, None, reg, {"dpi": dpi}).items()),
                                    repeat)
    pages = []
    out["layout_s"] = median_time(
        lambda: pages.__setitem__(slice(None), list(layout_pages(items, pipe.res.geometry,
                                                                 pipe.res.style))), repeat)
    assert len(pages) == 1, f"250 words should fit one A4 page, got {len(pages)}"
    page = pages[0]

    def compose():
        cov = ink_coverage(page, pipe.inks, pipe.res.dpi)
        compose_page(page, cov, pipe.res.paper, pipe.res.ink_rgb, pipe.res.dpi)

    out["compose_s"] = median_time(compose, repeat)
    out["layout_compose_s"] = out["layout_s"] + out["compose_s"]
    return out


def bench_pdf(repeat: int, dpi: int) -> dict:
    """PdfWriter alone (vector paper, ink image with soft mask, text layer) for one A4 page."""
    from hwrender.api import _prepare
    from hwrender.render import PdfWriter

    pipe = _prepare(text_of(250), None, _test_registry(), {"dpi": dpi, "paper": "ruled"})
    (page,) = list(pipe.pages())
    sizes = []

    def write_pdf():
        buf = io.BytesIO()
        pdf = PdfWriter(buf, paper=pipe.res.paper, ink_color=pipe.res.ink_rgb, dpi=pipe.res.dpi)
        pdf.add_page(page.layout, page.coverage)
        pdf.close()
        sizes.append(len(buf.getvalue()))

    return {"pdf_write_s": median_time(write_pdf, repeat), "pdf_page_bytes": sizes[-1]}


_MEM_CHILD = r"""
import resource, sys, time
sys.path.insert(0, {root!r})
from benchmarks.bench_core import text_of
import hwrender
t0 = time.perf_counter()
# the default generators (the font fallback writes Latin today), as a user's `hwrender write`
paths = hwrender.write(text_of({words}), {out!r}, dpi={dpi}, paper="ruled", page_numbers=True)
from pypdf import PdfReader
pages = len(PdfReader({out!r}).pages)
print(pages, time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def bench_memory(dpi: int, pages: int, tmpdir: str) -> dict:
    """Peak RSS of a fresh process writing a PDF of at least ``pages`` pages (default generators)."""
    out = os.path.join(tmpdir, "long.pdf")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    words = 440 * pages  # about 430 of these short words fill an A4 page at the default size
    code = _MEM_CHILD.format(root=root, words=words, out=out, dpi=dpi)
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    n, secs, peak = res.stdout.split()
    return {"doc_pages": int(n), "doc_seconds": float(secs), "peak_rss_mb": float(peak)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--dpi", type=int, default=300)
    ap.add_argument("--pages", type=int, default=20)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    import tempfile

    figures = {"help_s": bench_help(args.repeat)}
    figures.update(bench_page(args.repeat, args.dpi))
    figures.update(bench_pdf(max(1, args.repeat // 2), args.dpi))
    with tempfile.TemporaryDirectory() as tmp:
        figures.update(bench_memory(args.dpi, args.pages, tmp))
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    targets = {"help_s": ("<=", 0.3), "layout_compose_s": ("<=", 0.15), "peak_rss_mb": ("<=", 600)}
    print(f"hwrender core benchmark ({args.dpi} dpi, A4; page figures with the test generator, "
          f"the long document with the default ones; {os.cpu_count()} CPUs)")
    for key, value in figures.items():
        line = f"  {key:<18} {value:>12.4f}" if isinstance(value, float) else f"  {key:<18} {value:>12}"
        if key in targets:
            op, limit = targets[key]
            line += f"   target {op} {limit}: {'ok' if value <= limit else 'MISSED'}"
        print(line)


if __name__ == "__main__":
    main()

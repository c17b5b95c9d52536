"""Export fonts from the shipped hands and measure them: time, size, glyphs, ttx round trip,
the OpenType sanitiser (``ots``, if installed), calt cycling (uharfbuzz, if installed),
Tesseract's character error rate on sentences set in the font with Pillow, and how near the
font's text comes to hwrender's own (``l1``, uharfbuzz): words shaped with HarfBuzz and their
outlines filled, against the same words written by ``hwrender.iter_pages`` with the same style
and seed, crop-and-fit L1 (``hwrender.styles.evaluate.fit_l1``), next to two references: the
same words written with another seed (how far hwrender is from itself) and set in a plain font
(how far another hand is).

    python benchmarks/bench_export_font.py latin [--variants 1 3] [--style neat]
    python benchmarks/bench_export_font.py hangul --subset ksx1001 [--variants 1 3]
    python benchmarks/bench_export_font.py hangul --subset all
    python benchmarks/bench_export_font.py han --subset gb2312

Fonts and pages go to --out (default /tmp/hwrender-font-bench); the glyph cache to a fresh folder
there unless --keep-cache (then a second run times the cached path).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SENTENCES = {
    "latin": ["The quick brown fox jumps over the lazy dog.",
              "Pack my box with five dozen liquor jugs.",
              "Sphinx of black quartz, judge my vow.",
              "How vexingly quick daft zebras jump!",
              "Bright vixens jump; dozy fowl quack."],
    "hangul": ["다람쥐 헌 쳇바퀴에 타고파",
               "키스의 고유조건은 입술끼리 만나야 하고 특별한 기술은 필요치 않다",
               "오늘은 날씨가 맑고 바람이 분다",
               "우리는 내일 아침 일찍 학교에 간다",
               "한글은 세종대왕이 만든 글자이다"],
    "han": ["我们明天早上一起去学校",
            "今天天气很好我想出去走走",
            "他在图书馆看了一下午的书",
            "这个城市的春天非常美丽",
            "请把窗户打开让新鲜空气进来"],
}
LANGS = {"latin": "eng", "hangul": "kor", "han": "chi_sim"}
# Latin sentences never used to choose anything (--heldout): 5 sentences are ~170 characters, so
# one misread letter moves the CER by 0.006; a change must hold on both sets.
HELDOUT = {"latin": ["Jackdaws love my big sphinx of quartz.",
                     "The five boxing wizards jump quickly.",
                     "Quick zephyrs blow, vexing daft Jim.",
                     "Waltz, bad nymph, for quick jigs vex.",
                     "Glib jocks quiz nymph to vex dwarf.",
                     "Jived fox nymph grabs quick waltz.",
                     "We promptly judged antique ivory buckles for the next prize.",
                     "A mad boxer shot a quick, gloved jab to the jaw of his dizzy opponent.",
                     "Six big devils from Japan quickly forgot how to waltz.",
                     "Crazy Fredrick bought many very exquisite opal jewels."]}
SCRIPTS = {"latin": "Latn", "hangul": "Hang", "han": "Hani"}
SUBSETS = {"latin": ("ascii",), "hangul": ("ksx1001", "all"), "han": ("gb2312", "all")}
# the l1 words: other words than the CER sentences, 2 to 6 letters (one line, one unit each)
L1_WORDS = {
    "latin": ["hand", "river", "golden", "maple", "swim", "quiet", "Boston", "jelly", "waltz",
              "empty", "fix", "Kodak"],
    "hangul": ["사랑", "바다", "나무", "하늘", "학생", "음악", "겨울", "편지", "커피", "도서관",
               "자전거", "꽃잎"],
    "han": ["朋友", "音乐", "森林", "电话", "图书", "咖啡", "医院", "飞机", "地球", "铅笔",
            "雨伞", "海洋"],
}


def ksx1001() -> str:
    """The 2,350 Hangul syllables of KS X 1001 (EUC-KR rows 0xB0-0xC8)."""
    from hwrender.styles.font import named_charset

    return named_charset("ksx1001")


def shaped_alpha(font_path: Path, text: str, px_per_unit: float, pad: int = 4):
    """``text`` shaped by HarfBuzz in the font and its glyph outlines filled (alpha, ink 1)."""
    import numpy as np
    import uharfbuzz as hb
    from fontTools.pens.basePen import BasePen

    from hwrender.render.trace import coverage, flatten

    class Segments(BasePen):  # fontTools-style pen: every segment as a cubic, contours kept
        def __init__(self):
            super().__init__(None)
            self.contours, self.cur, self.at, self.shift = [], [], None, (0.0, 0.0)

        def _p(self, pt):
            return (pt[0] + self.shift[0], pt[1] + self.shift[1])

        def _moveTo(self, pt):
            self.cur, self.at = [], self._p(pt)
            self.start = self.at

        def _lineTo(self, pt):
            b = self._p(pt)
            a = self.at
            self.cur.append([a, (a[0] + (b[0] - a[0]) / 3, a[1] + (b[1] - a[1]) / 3),
                             (a[0] + 2 * (b[0] - a[0]) / 3, a[1] + 2 * (b[1] - a[1]) / 3), b])
            self.at = b

        def _curveToOne(self, p1, p2, p3):
            self.cur.append([self.at, self._p(p1), self._p(p2), self._p(p3)])
            self.at = self._p(p3)

        def _closePath(self):
            if self.at != self.start:
                self._lineTo((self.start[0] - self.shift[0], self.start[1] - self.shift[1]))
            if self.cur:
                self.contours.append(np.array(self.cur, np.float64))
            self.cur = []

        _endPath = _closePath

    font = hb.Font(hb.Face(hb.Blob.from_file_path(str(font_path))))
    buf = hb.Buffer()
    buf.add_str(text)
    buf.guess_segment_properties()
    hb.shape(font, buf, {})
    pen, x = Segments(), 0
    for info, pos in zip(buf.glyph_infos or [], buf.glyph_positions or []):
        pen.shift = (x + pos.x_offset, pos.y_offset)
        font.draw_glyph_with_pen(info.codepoint, pen)
        x += pos.x_advance
    if not pen.contours:
        return np.zeros((1, 1), np.float32)
    # font units (y up) to pixels (y down), the ink's box plus pad
    pts = np.concatenate([c.reshape(-1, 2) for c in pen.contours]) * px_per_unit
    x0, y0, y1 = pts[:, 0].min() - pad, -pts[:, 1].max() - pad, -pts[:, 1].min() + pad
    polys = [np.column_stack([p[:, 0] * px_per_unit - x0, -p[:, 1] * px_per_unit - y0])
             for p in flatten(pen.contours)]
    return coverage(polys, int(np.ceil(pts[:, 0].max() - x0 + pad)), int(np.ceil(y1 - y0)))


def written_alpha(text: str, style, seed: int, registry=None):
    """``text`` written by hwrender (``iter_pages``, no natural variation): the page's ink."""
    import numpy as np

    from hwrender import iter_pages
    from hwrender.options import RenderOptions

    opts = RenderOptions(style=style, seed=seed, variation=0.0, page_size="200x40mm",
                         margins="4mm")
    page = next(iter_pages(text, opts, registry=registry))
    return np.asarray(page.coverage, np.float32) / 255.0


def l1_figures(font_path: Path, words, style, seed: int, plain_font: Path | None = None,
               registry=None) -> dict:
    """Mean crop-and-fit L1 over ``words``: the font shaped by HarfBuzz against hwrender's own
    writing (same style and seed), and the references: hwrender's writing with seed + 1, and
    the words set in ``plain_font``, against the same writing."""
    import numpy as np
    from fontTools.ttLib import TTFont

    from hwrender.styles.evaluate import FontInk, fit_l1

    with TTFont(font_path, lazy=True) as tt:
        # the font at the page's x-height (2.8 mm at 300 dpi), the size hwrender writes at
        px = 2.8 / 25.4 * 300 / tt["OS/2"].sxHeight
    rows = {"font_vs_write": [], "write_vs_other_seed": [], "plain_font_vs_write": []}
    plain = FontInk(plain_font) if plain_font is not None else None
    for word in words:
        written = written_alpha(word, style, seed, registry)
        rows["font_vs_write"].append(fit_l1(shaped_alpha(font_path, word, px), written))
        rows["write_vs_other_seed"].append(fit_l1(written_alpha(word, style, seed + 1, registry),
                                                  written))
        if plain is not None:
            rows["plain_font_vs_write"].append(fit_l1(plain.alpha(word), written))
    out = {k: round(float(np.mean(v)), 4) for k, v in rows.items() if v}
    out["words"] = len(words)
    return out


def plain_font(kind: str) -> Path:
    """The plain font of the l1 reference: the glyph styler's source font (Noto Sans CJK) for
    Hangul and Han, DejaVu Sans (or the fallback generator's Caveat) for Latin."""
    if kind != "latin":
        from hwrender_plugins.glyph_styler import SOURCE_FONT

        return Path(SOURCE_FONT)
    found = subprocess.run(["fc-match", "-f", "%{file}", "DejaVu Sans"], capture_output=True,
                           text=True).stdout.strip() if shutil.which("fc-match") else ""
    if found and "DejaVu" in found:
        return Path(found)
    from hwrender.registry import default_registry

    return Path(default_registry().get("font").text_font)


def cer(ref: str, hyp: str) -> float:
    """Character error rate with spaces left out (Tesseract's spacing in CJK lines is noise)."""
    from hwrender.train.metrics import levenshtein

    ref, hyp = ref.replace(" ", ""), hyp.replace(" ", "")
    return levenshtein(ref, hyp) / max(1, len(ref))


def tesseract_cer(font_path: Path, kind: str, out: Path, sentences=None) -> float:
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(font_path), 72, layout_engine=ImageFont.Layout.RAQM)
    out.mkdir(parents=True, exist_ok=True)
    errors = total = 0.0
    for k, text in enumerate(sentences or SENTENCES[kind]):
        width = int(font.getlength(text)) + 80
        im = Image.new("L", (width, 220), 255)
        ImageDraw.Draw(im).text((40, 50), text, font=font, fill=0)
        page = out / f"{font_path.stem}-{k}.png"
        im.save(page)
        got = subprocess.run(["tesseract", str(page), "-", "-l", LANGS[kind], "--psm", "7"],
                             capture_output=True, text=True).stdout.strip()
        n = len(text.replace(" ", ""))
        errors += cer(text, got) * n
        total += n
        print(f"    {text!r} -> {got!r}")
    return errors / total


def checks(path: Path) -> dict:
    from fontTools.ttLib import TTFont

    out = {}
    font = TTFont(path)
    out["glyphs"] = len(font.getGlyphOrder())
    out["cmap"] = len(font.getBestCmap())
    with tempfile.TemporaryDirectory() as tmp:
        xml = Path(tmp) / "f.ttx"
        t = time.monotonic()
        font.saveXML(xml)
        back = TTFont()
        back.importXML(xml)
        back.save(Path(tmp) / f"back{path.suffix if path.suffix != '.woff2' else '.ttf'}")
        out["ttx_round_trip_s"] = round(time.monotonic() - t, 1)
    try:
        import ots

        res = ots.sanitize(str(path), os.devnull, capture_output=True)
        out["ots"] = "ok" if res.returncode == 0 else res.stderr.decode()[-300:]
    except ImportError:
        out["ots"] = "not installed"
    try:
        import uharfbuzz as hb

        face = hb.Face(hb.Blob.from_file_path(str(path)))
        buf = hb.Buffer()
        cmap = font.getBestCmap()
        ch = "a" if ord("a") in cmap else next(chr(c) for c in cmap if c > 32)
        buf.add_str(ch * 4)
        buf.guess_segment_properties()
        hb.shape(hb.Font(face), buf, {})
        out["shaped_x4"] = [font.getGlyphName(g.codepoint) for g in buf.glyph_infos]
    except ImportError:
        out["shaped_x4"] = "uharfbuzz not installed"
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("kind", choices=sorted(SCRIPTS))
    ap.add_argument("--subset", default=None, help="hangul: ksx1001 (default) or all; han: "
                                                    "gb2312 (default) or all (cjk's whole set)")
    ap.add_argument("--variants", type=int, nargs="+", default=[1, 3])
    ap.add_argument("--style", default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--format", default=".otf")
    ap.add_argument("--out", type=Path, default=Path("/tmp/hwrender-font-bench"))
    ap.add_argument("--keep-cache", action="store_true")
    ap.add_argument("--heldout", action="store_true",
                    help="also Tesseract CER on the held-out Latin sentences")
    ap.add_argument("--no-l1", action="store_true", help="skip the HarfBuzz-vs-write L1")
    args = ap.parse_args(argv)
    subset = args.subset or SUBSETS[args.kind][0]
    if subset not in SUBSETS[args.kind]:
        ap.error(f"--subset for {args.kind}: {', '.join(SUBSETS[args.kind])}")

    from hwrender.styles.font import export_font, named_charset

    args.out.mkdir(parents=True, exist_ok=True)
    cache = args.out / "cache"
    if not args.keep_cache and cache.exists():
        shutil.rmtree(cache)
    script = SCRIPTS[args.kind]
    chars = None if subset == "all" else named_charset(subset)
    rows = []
    for n in args.variants:
        path = args.out / f"{args.kind}-{subset}-v{n}{args.format}"
        last = [0.0]

        def progress(done, total, message, last=last):
            if time.monotonic() - last[0] > 30 or done == total:
                last[0] = time.monotonic()
                print(f"  {done}/{total} {message}", file=sys.stderr)

        report = export_font(path, args.style, script=script, chars=chars, variants=n,
                             seed=args.seed, cache_dir=cache, progress=progress)
        row = {"font": path.name, "style": args.style, "variants": n, "chars": report.chars,
               "seconds": round(report.seconds, 1), "drawn": report.drawn, "cached": report.cached,
               "size_kib": round(path.stat().st_size / 1024), "kern_pairs": report.kern_pairs,
               **checks(path)}
        row["tesseract_cer"] = round(tesseract_cer(path, args.kind, args.out), 3)
        if args.heldout and args.kind in HELDOUT:
            row["tesseract_cer_heldout"] = round(
                tesseract_cer(path, args.kind, args.out / "heldout", HELDOUT[args.kind]), 3)
        if not args.no_l1:
            t = time.monotonic()
            row["l1"] = l1_figures(path, L1_WORDS[args.kind], args.style, args.seed,
                                   plain_font(args.kind))
            row["l1"]["seconds"] = round(time.monotonic() - t, 1)
        print(json.dumps(row, ensure_ascii=False))
        rows.append(row)
    print(json.dumps(rows, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()

"""Export fonts from the shipped hands and measure them: time, size, glyphs, ttx round trip,
the OpenType sanitiser (``ots``, if installed), calt cycling (uharfbuzz, if installed) and
Tesseract's character error rate on sentences set in the font with Pillow.

    python benchmarks/bench_export_font.py latin [--variants 1 3]
    python benchmarks/bench_export_font.py hangul --subset ksx1001 [--variants 1 3]
    python benchmarks/bench_export_font.py hangul --subset all

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
}
LANGS = {"latin": "eng", "hangul": "kor"}


def ksx1001() -> str:
    """The 2,350 Hangul syllables of KS X 1001 (EUC-KR rows 0xB0-0xC8)."""
    out = []
    for lead in range(0xB0, 0xC9):
        for trail in range(0xA1, 0xFF):
            try:
                out.append(bytes([lead, trail]).decode("euc-kr"))
            except UnicodeDecodeError:
                pass
    return "".join(out)


def cer(ref: str, hyp: str) -> float:
    ref, hyp = ref.replace(" ", ""), hyp.replace(" ", "")
    prev = list(range(len(hyp) + 1))
    for i, a in enumerate(ref, 1):
        cur = [i]
        for j, b in enumerate(hyp, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a != b)))
        prev = cur
    return prev[-1] / max(1, len(ref))


def tesseract_cer(font_path: Path, kind: str, out: Path) -> float:
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(font_path), 72, layout_engine=ImageFont.Layout.RAQM)
    errors = total = 0.0
    for k, text in enumerate(SENTENCES[kind]):
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
    ap.add_argument("kind", choices=["latin", "hangul"])
    ap.add_argument("--subset", choices=["ksx1001", "all"], default="ksx1001")
    ap.add_argument("--variants", type=int, nargs="+", default=[1, 3])
    ap.add_argument("--style", default=None)
    ap.add_argument("--format", default=".otf")
    ap.add_argument("--out", type=Path, default=Path("/tmp/hwrender-font-bench"))
    ap.add_argument("--keep-cache", action="store_true")
    args = ap.parse_args(argv)

    from hwrender.styles.font import export_font

    args.out.mkdir(parents=True, exist_ok=True)
    cache = args.out / "cache"
    if not args.keep_cache and cache.exists():
        shutil.rmtree(cache)
    if args.kind == "latin":
        chars, script = "".join(chr(c) for c in range(33, 127)), "Latn"
    else:
        chars = ksx1001() if args.subset == "ksx1001" else None
        script = "Hang"
    rows = []
    for n in args.variants:
        path = args.out / f"{args.kind}-{args.subset if args.kind == 'hangul' else 'ascii'}-v{n}{args.format}"
        last = [0.0]

        def progress(done, total, message, last=last):
            if time.monotonic() - last[0] > 30 or done == total:
                last[0] = time.monotonic()
                print(f"  {done}/{total} {message}", file=sys.stderr)

        report = export_font(path, args.style, script=script, chars=chars, variants=n,
                             cache_dir=cache, progress=progress)
        row = {"font": path.name, "variants": n, "chars": report.chars, "seconds": round(report.seconds, 1),
               "drawn": report.drawn, "cached": report.cached, "size_kib": round(path.stat().st_size / 1024),
               "kern_pairs": report.kern_pairs, **checks(path)}
        row["tesseract_cer"] = round(tesseract_cer(path, args.kind, args.out), 3)
        print(json.dumps(row, ensure_ascii=False))
        rows.append(row)
    print(json.dumps(rows, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()

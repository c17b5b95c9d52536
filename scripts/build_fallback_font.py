"""Rebuild the bundled fallback font ``plugins/font/fonts/Caveat-Regular.ttf`` from npm.

Google Fonts ships Caveat to npm (@fontsource/caveat) as per-script woff2 slices. This script
installs the package into a scratch directory, converts the weight-400 slices for the latin,
latin-ext, cyrillic and cyrillic-ext subsets to TrueType with fontTools, merges them into one
font and saves it with its OFL licence beside it. Needs ``npm`` on PATH and fontTools with brotli.
The result matches the bundled copy table for table except the ``head`` timestamps.

    python scripts/build_fallback_font.py                    # rebuild the bundled copy
    python scripts/build_fallback_font.py --out /tmp/c.ttf   # build elsewhere to compare
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from fontTools.merge import Merger
from fontTools.ttLib import TTFont

from hwrender.atomic import write_atomic

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "plugins" / "font" / "fonts" / "Caveat-Regular.ttf"
DEFAULT_PACKAGE = "@fontsource/caveat@5.3.0"
DEFAULT_SUBSETS = ("latin", "latin-ext", "cyrillic", "cyrillic-ext")


def build(out: Path, package: str, subsets: list[str], weight: int, work: Path) -> int:
    """Install ``package`` under ``work``, merge the subsets' slices into ``out``; return its cmap size."""
    if shutil.which("npm") is None:
        sys.exit("build_fallback_font: npm not found on PATH (install Node.js)")
    subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", str(work), package],
                   check=True, stdout=sys.stderr)
    files = work / "node_modules" / "@fontsource" / "caveat" / "files"
    ttfs = []
    for subset in subsets:
        woff2 = files / f"caveat-{subset}-{weight}-normal.woff2"
        if not woff2.exists():
            sys.exit(f"build_fallback_font: {woff2.name} not in {package}")
        font = TTFont(woff2)
        font.flavor = None  # woff2 -> plain sfnt
        ttf = work / f"{subset}.ttf"
        font.save(ttf)
        ttfs.append(str(ttf))
    merged = Merger().merge(ttfs)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(out, lambda tmp: merged.save(tmp))  # a failed build leaves the old font in place
    licence = files.parent / "LICENSE"
    if licence.exists():
        shutil.copyfile(licence, out.parent / "OFL-Caveat.txt")
    return len(merged.getBestCmap())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the merged TTF")
    parser.add_argument("--package", default=DEFAULT_PACKAGE, help="npm package spec to install")
    parser.add_argument("--subsets", default=",".join(DEFAULT_SUBSETS),
                        help="comma-separated fontsource subsets, merged in this order")
    parser.add_argument("--weight", type=int, default=400, help="font weight of the slices")
    parser.add_argument("--work-dir", type=Path, default=None,
                        help="keep the npm install here (default: a temporary directory)")
    args = parser.parse_args(argv)
    subsets = [s.strip() for s in args.subsets.split(",") if s.strip()]
    if args.work_dir is not None:
        args.work_dir.mkdir(parents=True, exist_ok=True)
        n = build(args.out, args.package, subsets, args.weight, args.work_dir)
    else:
        with tempfile.TemporaryDirectory(prefix="caveat-") as work:
            n = build(args.out, args.package, subsets, args.weight, Path(work))
    print(f"{args.out}: {n} characters", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

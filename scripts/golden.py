"""The golden check: fixed texts, options and seeds for every generator and format, and the
sha256 of the bytes ``hwrender.write`` puts out for each.

    python scripts/golden.py            # check against tests/golden/golden.json (exit 1 on a change)
    python scripts/golden.py --update   # record the current output, after a change meant to alter it

Writes run in float32 (``float32``): on a CPU with native bfloat16 the glyph styler would
otherwise run under bfloat16 autocast and write other bytes than on a CPU without it.

Refactors keep it green; a change meant to alter output updates it on purpose, and its commit
says so. tests/test_golden.py runs the same check under pytest.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import os
import sys
import warnings
from pathlib import Path

GOLDEN = Path(__file__).resolve().parents[1] / "tests" / "golden" / "golden.json"

# (name, text, options): every generator family, every format, pages, paper and layout options.
CASES: list[tuple[str, str, dict]] = [
    ("font-png", "The quick brown fox, 1984!\n\nA second paragraph - x-ray.",
     dict(generators={"Latn": "font", "Zyyy": "font"}, dpi=100, paper="ruled", seed=3)),
    ("font-pdf-2pages", "lorem ipsum dolor sit amet " * 40,
     dict(generators={"Latn": "font", "Zyyy": "font"}, dpi=72, page_size="105x148mm", seed=1,
          page_numbers=True, title="golden")),
    ("latin-png", "Hello World, naive x-ray 2026.", dict(dpi=100, seed=7, style="neat")),
    ("latin-jpeg", "Dear Ada,\nthank you for the letter.", dict(dpi=100, seed=2,
                                                                  paper="grid", ink_color="black")),
    ("latin-pdf", "A justified paragraph that wraps onto a second line of writing. " * 2,
     dict(dpi=100, seed=5, align="justify", margins="15mm", variation=0.5)),
    ("emnist-png", "EMNIST 42 abc", dict(generators={"Latn": "emnist", "Zyyy": "emnist"}, dpi=100,
                                         seed=4)),
    ("hangul-png", "안녕하세요 세계", dict(dpi=100, seed=8)),
    ("han-pdf", "你好世界，天地玄黄。", dict(dpi=100, seed=9, paper="dotted")),
    ("mixed-pdf", "Hello 안녕 你好 2026!", dict(dpi=100, seed=10, orientation="landscape", page_size="105x148mm")),
    # vector ink: traced outlines filled on the page, as SVG paths, as PDF paths, as pen strokes
    ("latin-png-vector", "Vector ink, 2026.", dict(dpi=150, seed=11, ink_render="vector")),
    ("latin-svg", "Hello vector World", dict(seed=12, paper="ruled")),
    ("emnist-pdf-vector", "EMNIST 42", dict(generators={"Latn": "emnist", "Zyyy": "emnist"}, dpi=100,
                                            seed=13, ink_render="vector")),
    ("mixed-svg-strokes", "Pen 안녕 你好", dict(seed=14, strokes=True)),
    # a page of more words than trace.PARALLEL_MIN: its trace and fill run in two halves
    ("latin-png-vector-page", "Sixty words of vector ink fill a page in two halves at once. " * 6,
     dict(dpi=100, seed=15, ink_render="vector", page_size="A5")),
]


# (name, command line): outputs only a command writes (interpolation strips and animations);
# OUT stands for the output file.
CLI_CASES: list[tuple[str, list[str]]] = [
    # Latin hands (un-pen, the Hangul style this case once used, is withheld as illegible)
    ("interpolate-png", ["interpolate", "neat", "bold", "-t", "Hello", "-n", "3",
                         "--seed", "2", "--device", "cpu", "--offline", "-o", "OUT.png"]),
    ("interpolate-gif", ["interpolate", "lxgw-wenkai", "zcool-kuaile", "-t", "你好", "-n", "3", "--seed", "4",
                         "--device", "cpu", "--offline", "-o", "OUT.gif"]),
]


@contextlib.contextmanager
def float32():
    """Inference in float32 on every CPU: the glyph styler runs under bfloat16 autocast where
    the CPU has native bfloat16 (``bf16_fast``), which writes other bytes than float32."""
    saved = os.environ.get("HWRENDER_BF16")
    os.environ["HWRENDER_BF16"] = "0"
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("HWRENDER_BF16", None)
        else:
            os.environ["HWRENDER_BF16"] = saved


def run_command(args: list[str]) -> list[str]:
    """The sha256 of the file one command line writes."""
    import tempfile

    from typer.testing import CliRunner

    from hwrender.cli import app

    with tempfile.TemporaryDirectory() as tmp, float32():
        out = [a.replace("OUT", str(Path(tmp) / "out")) for a in args]
        result = CliRunner().invoke(app, out)
        if result.exit_code != 0:
            raise RuntimeError(f"hwrender {' '.join(args)} failed: {result.stderr}")
        return [hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(Path(tmp).iterdir())]


def render(name: str, text: str, options: dict) -> list[str]:
    """The sha256 of every file (page) written for one case."""
    import hwrender

    opts = dict(options)
    fmt = opts.pop("format", None) or name.split("-")[1]  # the name says the format
    with warnings.catch_warnings(), float32():
        warnings.simplefilter("ignore")
        if fmt == "pdf":
            buf = io.BytesIO()
            hwrender.write(text, buf, format="pdf", offline=True, device="cpu", **opts)
            return [hashlib.sha256(buf.getvalue()).hexdigest()]
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            paths = hwrender.write(text, Path(tmp) / f"page.{'jpg' if fmt == 'jpeg' else fmt}",
                                   offline=True, device="cpu", **opts)
            return [hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in paths]


def current() -> dict[str, list[str]]:
    found = {name: render(name, text, options) for name, text, options in CASES}
    found.update({name: run_command(args) for name, args in CLI_CASES})
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="record the current output")
    args = parser.parse_args(argv)
    now = current()
    if args.update:
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(json.dumps(now, indent=1, sort_keys=True) + "\n")
        print(f"recorded {len(now)} cases in {GOLDEN}")
        return 0
    recorded = json.loads(GOLDEN.read_text())
    changed = sorted(k for k in set(now) | set(recorded) if now.get(k) != recorded.get(k))
    for name in changed:
        print(f"changed: {name}", file=sys.stderr)
    print(f"{len(now) - len(changed)} of {len(now)} cases unchanged")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())

"""Redraw every picture in README.md from the command printed under it.

    python scripts/make_docs_images.py            # all of them
    python scripts/make_docs_images.py han        # only those whose file name contains "han"

Each picture is one ``hwrender write`` command, run as the README shows it except that ``-o``
points at the picture; it must give exactly one page (the picture is the whole output). Seeds are
fixed, so a rerun changes a picture only when a generator or the layout changed.
tests/test_docs.py checks that README shows each command and every picture it names is here.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# picture -> the command README.md shows with it (run from the repository root)
PICTURES: dict[str, str] = {
    "docs/sample.png":
        "hwrender write --input docs/letter.txt -o letter.png -p 148x140mm --paper ruled "
        "--margin-line --x-height 2.6mm --seed 7 --dpi 200",
    "docs/sample-font.png":
        "hwrender write --input docs/letter.txt -o letter.png -g Latn=font -p 148x140mm "
        "--paper ruled --margin-line --x-height 2.6mm --seed 7 --dpi 150",
    "docs/sample-hangul.png":
        "hwrender write '안녕하세요. 오늘은 날씨가 참 좋네요. 내일 공원에서 만나요!' -o hangul.png "
        "-p 148x50mm --margins '10mm 12mm' --paper ruled --seed 3 --dpi 150",
    "docs/sample-han.png":
        "hwrender write '你好，世界。今天天气很好，我们一起去公园散步吧。' -o han.png "
        "-p 148x50mm --margins '10mm 12mm' --paper grid --seed 3 --dpi 150",
    "docs/sample-emnist.png":
        "hwrender write 'Hello World 2026. The quick brown fox jumps over the lazy dog; EMNIST "
        "characters, each placed back on its baseline.' -g Latn=emnist -o emnist.png "
        "-p 160x55mm --margins '10mm 12mm' --paper ruled --seed 7 --dpi 150",
}


def output_arg(args: list[str]) -> int:
    """Index of the value of -o/--output in ``args``."""
    for i, a in enumerate(args):
        if a in ("-o", "--output"):
            return i + 1
    raise ValueError(f"no -o in {shlex.join(args)}")


def make(picture: str, command: str) -> Path:
    args = shlex.split(command)
    assert args[:2] == ["hwrender", "write"], command
    exe = shutil.which("hwrender") or sys.exit("hwrender is not on PATH (activate the venv)")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / Path(picture).name
        args[output_arg(args)] = str(out)
        if subprocess.run([exe, "-q", *args[1:]], cwd=ROOT).returncode:
            sys.exit(f"{picture}: the command failed (above): {command}")
        pages = sorted(Path(tmp).iterdir())
        if pages != [out]:
            sys.exit(f"{picture}: the command gave {len(pages)} pages; make it fit one page")
        target = ROOT / picture
        shutil.copyfile(out, target)
    return target


def main(argv: list[str]) -> None:
    for picture, command in PICTURES.items():
        if argv and not any(a in picture for a in argv):
            continue
        target = make(picture, command)
        print(f"{picture}: {target.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main(sys.argv[1:])

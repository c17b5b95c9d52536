"""Redraw every picture in README.md from the command printed under it.

    python scripts/make_docs_images.py            # all of them
    python scripts/make_docs_images.py han        # only those whose file name contains "han"
    python scripts/make_docs_images.py own-hand   # the own-handwriting pictures (minutes: fits)

Each picture is one ``hwrender write`` command, run as the README shows it except that ``-o``
points at the picture; it must give exactly one page (the picture is the whole output). Seeds are
fixed, so a rerun changes a picture only when a generator or the layout changed.
tests/test_docs.py checks that README shows each command and every picture it names is here.
A few pictures (SCRIPTED) are drawn by another script; their command is that script's.

The own-handwriting pictures (OWN_HAND) play README's walkthrough with fonts held out of every
training set as the writer: Kalam (Latin) and Gaegu (Hangul), from `hwrender fonts install`
(npm). Both template sheets are filled with them, photographed (simulated), extracted and fitted
as the style ``my-hand``; the last picture is then the write command README prints.
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


# the own-handwriting walkthrough: a photo of a filled sheet, its overview, a page in the hand
OWN_HAND_WRITER = {"latin": "kalam", "hangul": "gaegu"}
OWN_HAND: dict[str, str] = {
    "docs/own-hand-sheet.jpg": "page 1 of the latin sheet filled in Kalam, as a phone photo",
    "docs/own-hand-overview.png": "the overview extraction wrote for that page",
    "docs/own-hand-page.png":
        "hwrender write 'Dear Ada, thank you for the 12 lemons! 안녕하세요, 오늘 날씨가 좋네요.' "
        "--style my-hand -o letter.png -p 148x50mm --margins '8mm 10mm' --paper ruled "
        "--seed 7 --dpi 150",
}
PICTURES["docs/own-hand-page.png"] = OWN_HAND["docs/own-hand-page.png"]

# pictures another script draws (README prints the command): picture -> command
SCRIPTED: dict[str, str] = {
    "docs/latin-hands.png": "python scripts/choose_latin_styles.py --picture docs/latin-hands.png",
}


def own_hand(work: Path) -> dict[str, str]:
    """Fill, photograph, extract and fit the sheets; write the first two pictures. Returns the
    environment under which the page picture's command writes with the fitted style."""
    import os

    from PIL import Image

    from hwrender import fonts, styles
    from hwrender.sheets import layout, photo, template
    from hwrender.sheets.extract import extract

    shots = []
    for kind, font_id in OWN_HAND_WRITER.items():
        path = fonts.locate(fonts.get(font_id))
        if path is None:
            sys.exit(f"the writer's font {font_id} is not installed: `hwrender fonts install`")
        for page in layout.pages(kind):
            shot = work / f"{kind}-{page.number}.jpg"
            sheet = template.render_page(page, 200, fill_font=path, seed=page.number,
                                         skip_missing=True)
            photo.simulate_photo(sheet, seed=page.number).save(shot, quality=90)
            shots.append(shot)
    with Image.open(shots[0]) as im:
        im.thumbnail((720, 720))
        im.save(ROOT / "docs/own-hand-sheet.jpg", quality=80)
    samples = work / "my-hand"
    extract(shots, samples)
    # the overview of the first sheet only: its top rows, as a person checks them
    with Image.open(samples / "overview.png") as im:
        im = im.crop((0, 0, im.width, min(im.height, im.width // 2)))
        im.thumbnail((900, 900))
        im.save(ROOT / "docs/own-hand-overview.png", optimize=True)
    env = {**os.environ, "HWRENDER_STYLES_DIR": str(work / "styles")}
    os.environ["HWRENDER_STYLES_DIR"] = env["HWRENDER_STYLES_DIR"]
    styles.add("my-hand", samples)
    return env


def output_arg(args: list[str]) -> int:
    """Index of the value of -o/--output in ``args``."""
    for i, a in enumerate(args):
        if a in ("-o", "--output"):
            return i + 1
    raise ValueError(f"no -o in {shlex.join(args)}")


def make(picture: str, command: str, env: dict | None = None) -> Path:
    args = shlex.split(command)
    assert args[:2] == ["hwrender", "write"], command
    exe = shutil.which("hwrender") or sys.exit("hwrender is not on PATH (activate the venv)")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / Path(picture).name
        args[output_arg(args)] = str(out)
        if subprocess.run([exe, "-q", *args[1:]], cwd=ROOT, env=env).returncode:
            sys.exit(f"{picture}: the command failed (above): {command}")
        pages = sorted(Path(tmp).iterdir())
        if pages != [out]:
            sys.exit(f"{picture}: the command gave {len(pages)} pages; make it fit one page")
        target = ROOT / picture
        shutil.copyfile(out, target)
    return target


def main(argv: list[str]) -> None:
    for picture, command in SCRIPTED.items():
        if argv and not any(a in picture for a in argv):
            continue
        subprocess.run([sys.executable, *shlex.split(command)[1:]], cwd=ROOT, check=True)
        print(f"{picture}: {(ROOT / picture).stat().st_size // 1024} KB")
    with tempfile.TemporaryDirectory() as tmp:
        env = None
        for picture, command in PICTURES.items():
            if argv and not any(a in picture for a in argv):
                continue
            if picture in OWN_HAND:
                env = env or own_hand(Path(tmp))
            target = make(picture, command, env)
            print(f"{picture}: {target.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main(sys.argv[1:])

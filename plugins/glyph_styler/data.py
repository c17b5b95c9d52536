"""Training data for the glyph styler: character sets, glyph rendering in one shared frame, and
(source glyph, target glyph) pairs built from the source font and the handwriting fonts.

**One frame for every font.** Fonts place and size their glyphs differently in the em square
(handwriting fonts especially), so a glyph rendered at the same point size and origin would teach
the network a per-font shift and scale rather than shape. Each (font, script) therefore gets a
``Frame``: a pixel size and a pen origin chosen so that the font's *typical* glyph (the median
bounding box over a fixed sample of its characters) is ``fill`` of the canvas and centred. The
transform is per font, never per glyph, so relative size and position inside a font survive: a
small ``口`` stays smaller than ``國`` and ``。`` stays low and left. Source and target glyphs are
both drawn this way; the source font's frames are stored with the model, so inference draws the
source glyphs exactly as training did, and the output's baseline and x-height follow from them.

Numpy, Pillow and fontTools only: no torch here.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import os
import re
import unicodedata
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from hwrender.atomic import write_atomic
from hwrender.errors import InputError, UsageError
from hwrender.text.scripts import HANGUL_COMPAT_JAMO, HANGUL_SYLLABLES, hangul_or_han

SCRIPTS = ("Hang", "Hani")

# Hangul Compatibility Jamo letters (ㄱ..ㅣ): written alone in Korean text (ㅋㅋ, ㅠㅠ).
HANGUL_JAMO = "".join(map(chr, HANGUL_COMPAT_JAMO))
# CJK punctuation that Chinese text carries inside Han runs: the cjk generator must write it, or a
# Chinese sentence would fail on its first full stop.
CJK_PUNCTUATION = "、。，．！？：；「」『』（）《》〈〉【】…—～·“”‘’"


@lru_cache(maxsize=None)
def ksx1001_hangul() -> tuple[str, ...]:
    """The 2,350 Hangul syllables of KS X 1001 (the common ones), in code order."""
    return tuple(bytes([row, col]).decode("euc_kr") for row in range(0xB0, 0xC9)
                 for col in range(0xA1, 0xFF))


@lru_cache(maxsize=None)
def gb2312_hanzi(level: int) -> tuple[str, ...]:
    """GB 2312 ideographs: level 1 (3,755 most common) or level 2 (3,008 more), in code order."""
    rows = range(0xB0, 0xD8) if level == 1 else range(0xD8, 0xF8)
    out = []
    for row in rows:
        for col in range(0xA1, 0xFF):
            try:
                out.append(bytes([row, col]).decode("gb2312"))
            except UnicodeDecodeError:  # D7FA-D7FE are unassigned
                pass
    return tuple(out)


@lru_cache(maxsize=None)
def all_hangul() -> tuple[str, ...]:
    return tuple(map(chr, HANGUL_SYLLABLES))


@lru_cache(maxsize=None)
def served(script: str) -> frozenset[str]:
    """What the styler may write for ``script`` (before intersecting with the source font)."""
    if script == "Hang":
        return frozenset(all_hangul()) | frozenset(HANGUL_JAMO)
    if script == "Hani":
        return frozenset(gb2312_hanzi(1) + gb2312_hanzi(2)) | frozenset(CJK_PUNCTUATION)
    raise ValueError(f"unknown script {script!r}")


def main_chars(script: str) -> tuple[str, ...]:
    """The characters that define a font's typical glyph box (no jamo, no punctuation)."""
    return ksx1001_hangul() if script == "Hang" else gb2312_hanzi(1)


def stable_order(chars: Iterable[str], salt: str = "glyph-styler") -> list[str]:
    """Characters in a fixed pseudo-random order (crc32 of salt + char): the same everywhere."""
    return sorted(chars, key=lambda c: (zlib.crc32(f"{salt}:{c}".encode()), c))


def heldout_chars(script: str, source_cmap: frozenset[str], n: int) -> list[str]:
    """The fixed held-out characters of ``script``: never trained on, in any font.

    Taken from the common set (KS X 1001 / GB 2312 level 1) so every handwriting font has them.
    """
    pool = [c for c in main_chars(script) if c in source_cmap]
    return sorted(stable_order(pool, "heldout")[:n])


# ------------------------------------------------------------------------------------------ fonts


@dataclass(frozen=True)
class FontRef:
    """A font file of the corpus: id, file, face index, the script it is used for, its split."""

    id: str
    path: Path
    script: str
    index: int = 0
    holdout: bool = False
    license: str = ""
    url: str = ""
    hard_to_read: bool = False


def font_cmap(path: str | os.PathLike, index: int = 0) -> frozenset[str]:
    from hwrender.fonts import coverage  # cached per file version

    return coverage(path, index)


def corpus_fonts(scripts: Sequence[str] = SCRIPTS) -> list[FontRef]:
    """The handwriting fonts of the corpus (``hwrender.fonts``) that are installed here."""
    from hwrender import fonts

    out = []
    for script in scripts:
        for record in fonts.corpus(script, "handwriting"):
            path = fonts.locate(record)
            if path is not None:
                out.append(FontRef(record.id, Path(path), script, record.ttc_index, record.holdout,
                                   record.license, record.url, record.hard_to_read))
    return out


def folder_fonts(folder: Path) -> list[FontRef]:
    """Fonts laid out as ``FOLDER/<Hang|Hani>/<id>.ttf`` (``FOLDER/holdout/<script>/`` held out).

    ``hwrender train glyph-styler --data FOLDER`` trains on these instead of the corpus.
    """
    out = []
    for holdout, base in ((False, folder), (True, folder / "holdout")):
        for script in SCRIPTS:
            sub = base / script
            if sub.is_dir():
                for path in sorted(sub.iterdir()):
                    if path.suffix.lower() in (".ttf", ".otf", ".ttc"):
                        out.append(FontRef(path.stem, path, script, 0, holdout))
    if not out:
        raise UsageError(f"--data {folder} holds no fonts",
                         "put them in FOLDER/Hang/ and FOLDER/Hani/ "
                         "(held-out ones in FOLDER/holdout/<script>/)")
    return out


# ------------------------------------------------------------------------------------------ frame


@dataclass(frozen=True)
class Frame:
    """How a font is drawn into the square canvas: ``size`` px per em, pen origin (x, baseline y)."""

    size: float
    x: float
    y: float

    def to_list(self) -> list[float]:
        return [round(self.size, 4), round(self.x, 4), round(self.y, 4)]

    @classmethod
    def from_list(cls, v: Sequence[float]) -> "Frame":
        return cls(float(v[0]), float(v[1]), float(v[2]))


def _font(path: str | os.PathLike, index: int, size: float):
    from PIL import ImageFont

    return ImageFont.truetype(str(path), size, index=index, layout_engine=ImageFont.Layout.BASIC)


def measure_frame(path: str | os.PathLike, index: int, chars: Iterable[str], image_size: int,
                  fill: float = 0.75, sample: int = 400) -> Frame:
    """The frame that puts this font's median glyph box at ``fill`` of the canvas, centred."""
    from PIL import Image, ImageDraw

    ref = 128.0
    font = _font(path, index, ref)
    canvas = Image.new("L", (int(3 * ref), int(3 * ref)))
    draw = ImageDraw.Draw(canvas)
    boxes = []
    for ch in stable_order(chars, "frame")[:sample]:
        # the ink's box (Pillow's getbbox spans the advance, not the ink)
        draw.rectangle((0, 0, canvas.width, canvas.height), fill=0)
        draw.text((ref, 2 * ref), ch, font=font, fill=255, anchor="ls")
        box = canvas.point(lambda v: 255 if v >= 96 else 0).getbbox()
        if box is not None:
            x0, y0, x1, y1 = box
            boxes.append((x0 - ref, y0 - 2 * ref, x1 - ref, y1 - 2 * ref))
    if not boxes:
        raise InputError(f"{path}: none of the sampled characters has ink",
                         "check that the font really covers the script")
    b = np.asarray(boxes, np.float64) / ref
    extent = float(np.median(np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1])))
    cx = float(np.median((b[:, 0] + b[:, 2]) / 2))
    cy = float(np.median((b[:, 1] + b[:, 3]) / 2))
    size = fill * image_size / extent
    return Frame(size, image_size / 2 - cx * size, image_size / 2 - cy * size)


class GlyphRenderer:
    """Draws characters of one font in one frame as uint8 alpha (N, S, S); 255 = full ink."""

    def __init__(self, path: str | os.PathLike, index: int, frame: Frame, image_size: int):
        self.font = _font(path, index, frame.size)
        self.frame = frame
        self.size = image_size

    def render(self, chars: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(images, has_ink): blank glyphs (a font mapping a char to nothing) are flagged False."""
        from PIL import Image, ImageDraw

        s = self.size
        out = np.zeros((len(chars), s, s), np.uint8)
        ink = np.zeros(len(chars), bool)
        for i, ch in enumerate(chars):
            im = Image.new("L", (s, s))
            ImageDraw.Draw(im).text((self.frame.x, self.frame.y), ch, font=self.font, fill=255,
                                    anchor="ls")
            a = np.asarray(im)
            out[i] = a
            ink[i] = a.max() >= 64
        return out, ink

    def advance(self, ch: str) -> float:
        """The pen advance of ``ch`` in px (the font's own width: CJK full width, Hangul ~0.92 em)."""
        return float(self.font.getlength(ch))


# ------------------------------------------------------------------------------------------ pairs


@dataclass
class Selection:
    """Which characters each font contributes (see ``select_chars``)."""

    hangul_per_font: int = 2000
    hangul_common_fraction: float = 0.8
    han_per_font: int = 0  # 0: every GB 2312 level-1 ideograph the font has
    han_level2: bool = False
    punctuation: bool = True


def select_chars(font: FontRef, cmap: frozenset[str], source_cmap: frozenset[str],
                 heldout: frozenset[str], sel: Selection) -> list[str]:
    """The training characters of one font: in its cmap and the source's, never held out.

    Hangul: ``hangul_per_font`` syllables, ``hangul_common_fraction`` of them from KS X 1001 and
    the rest from the other 8,822, sampled per font (so the fonts together cover more syllables),
    plus the jamo. Han: the GB 2312 level-1 ideographs (and level 2 if asked), plus punctuation.
    """
    ok = lambda c: c in cmap and c in source_cmap and c not in heldout  # noqa: E731
    if font.script == "Hang":
        common = stable_order([c for c in ksx1001_hangul() if ok(c)], font.id)
        common_set = set(ksx1001_hangul())
        rare = stable_order([c for c in all_hangul() if c not in common_set and ok(c)], font.id)
        n = sel.hangul_per_font
        n_common = min(len(common), round(n * sel.hangul_common_fraction))
        n_rare = min(len(rare), n - n_common)
        n_common = min(len(common), n - n_rare)  # a font with few rare syllables takes more common
        chars = common[:n_common] + rare[:n_rare]
        extra = [c for c in HANGUL_JAMO if ok(c)]
    else:
        pool = [c for c in gb2312_hanzi(1) if ok(c)]
        if sel.han_level2:
            pool += [c for c in gb2312_hanzi(2) if ok(c)]
        chars = stable_order(pool, font.id)
        if sel.han_per_font > 0:
            chars = chars[:sel.han_per_font]
        extra = [c for c in CJK_PUNCTUATION if ok(c)] if sel.punctuation else []
    return sorted(set(chars) | set(extra))


@dataclass
class PairSet:
    """Rendered pairs: each source glyph once, one target per (font, character) pair."""

    chars: list[str]
    sources: np.ndarray  # (n_chars, S, S) uint8
    targets: np.ndarray  # (n_pairs, S, S) uint8
    char_index: np.ndarray  # (n_pairs,) int32 → chars
    style_index: np.ndarray  # (n_pairs,) int32 → styles
    styles: list[str]
    style_scripts: list[str]
    frames: dict[str, list[float]] = field(default_factory=dict)  # "source:Hang", font ids
    key: str = ""  # hash of what built it (fonts, selection, size)

    def __len__(self) -> int:
        return len(self.targets)

    def save(self, path: Path) -> None:
        meta = {"chars": self.chars, "styles": self.styles, "style_scripts": self.style_scripts,
                "frames": self.frames, "key": self.key}
        write_atomic(path, lambda tmp: np.savez(
            tmp, sources=self.sources, targets=self.targets, char_index=self.char_index,
            style_index=self.style_index,
            meta=np.frombuffer(json.dumps(meta, ensure_ascii=False).encode(), np.uint8)))

    @classmethod
    def load(cls, path: Path) -> "PairSet":
        with np.load(path) as z:
            meta = json.loads(z["meta"].tobytes().decode())
            return cls(meta["chars"], z["sources"], z["targets"], z["char_index"],
                       z["style_index"], meta["styles"], meta["style_scripts"], meta["frames"],
                       meta["key"])


def source_frames(source: Path, index: int, image_size: int, fill: float) -> dict[str, Frame]:
    cmap = font_cmap(source, index)
    return {s: measure_frame(source, index, [c for c in main_chars(s) if c in cmap], image_size, fill)
            for s in SCRIPTS if any(c in cmap for c in main_chars(s))}


def build_pairs(fonts: Sequence[FontRef], source: Path, source_index: int, image_size: int,
                heldout: frozenset[str], sel: Selection, fill: float = 0.75,
                log=lambda message: None) -> PairSet:
    """Render the (source, target) pairs of every training font (holdout fonts are skipped)."""
    train = [f for f in fonts if not f.holdout]
    if not train:
        from hwrender.fonts import NotInstalled

        raise NotInstalled("no training fonts are installed",
                           "install them with `hwrender fonts install --model glyph-styler`, or "
                           "pass --data FONT_FOLDER")
    source_cmap = font_cmap(source, source_index)
    frames = {f"source:{s}": fr for s, fr in source_frames(source, source_index, image_size,
                                                            fill).items()}
    per_font: list[tuple[FontRef, list[str]]] = []
    for f in sorted(train, key=lambda f: (SCRIPTS.index(f.script), f.id)):
        if f"source:{f.script}" not in frames:
            continue
        cmap = font_cmap(f.path, f.index)
        chars = select_chars(f, cmap, source_cmap, heldout, sel)
        if chars:
            per_font.append((f, chars))
    if not per_font:
        raise UsageError("the training fonts share no characters with the source font",
                         "check the fonts cover Hangul or Han")
    all_chars = sorted({c for _, cs in per_font for c in cs})
    pos = {c: i for i, c in enumerate(all_chars)}
    src_images = np.zeros((len(all_chars), image_size, image_size), np.uint8)
    for script in SCRIPTS:
        cs = [c for c in all_chars if hangul_or_han(c) == script]
        if cs:
            r = GlyphRenderer(source, source_index, frames[f"source:{script}"], image_size)
            imgs, _ = r.render(cs)
            src_images[[pos[c] for c in cs]] = imgs
    targets, char_idx, style_idx = [], [], []
    styles, scripts = [], []
    for f, chars in per_font:
        main = [c for c in main_chars(f.script) if c in font_cmap(f.path, f.index)]
        frame = measure_frame(f.path, f.index, main or chars, image_size, fill)
        imgs, ink = GlyphRenderer(f.path, f.index, frame, image_size).render(chars)
        s = len(styles)
        styles.append(f.id)
        scripts.append(f.script)
        frames[f.id] = frame
        keep = np.flatnonzero(ink)
        targets.append(imgs[keep])
        char_idx.append(np.asarray([pos[chars[k]] for k in keep], np.int32))
        style_idx.append(np.full(len(keep), s, np.int32))
        log(f"{f.id}: {len(keep)} glyph pairs")
    return PairSet(all_chars, src_images, np.concatenate(targets), np.concatenate(char_idx),
                   np.concatenate(style_idx), styles, scripts,
                   {k: v.to_list() for k, v in frames.items()})


def pairs_key(fonts: Sequence[FontRef], source: Path, image_size: int, heldout: Iterable[str],
              sel: Selection, fill: float) -> str:
    """What a cached PairSet was built from: a changed font file or setting rebuilds it."""
    parts = [str(image_size), str(fill), repr(sel), "".join(sorted(heldout))]
    for p in [source, *[f.path for f in fonts]]:
        st = Path(p).stat()
        parts.append(f"{Path(p).name}:{st.st_size}:{st.st_mtime_ns}")
    parts += [f"{f.id}:{f.script}:{f.index}:{f.holdout}" for f in fonts]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


# ------------------------------------------------------------------------------ labelled glyphs


_CODEPOINT = re.compile(r"(?:U\+|u\+|U|u|0x)?([0-9A-Fa-f]{4,6})")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")


def _char_from_stem(stem: str) -> str | None:
    """``가`` / ``가_2`` / ``U+AC00`` / ``U+AC00_2`` → ``가``; anything else → None."""
    head = re.split(r"[_\-. ]", stem, maxsplit=1)[0] if len(stem) > 1 else stem
    if len(head) == 1 and not head.isascii():
        return head
    m = _CODEPOINT.fullmatch(head)
    if m and (head.upper().startswith("U") or head.startswith("0x")):
        cp = int(m.group(1), 16)
        if cp <= 0x10FFFF:
            return chr(cp)
    return None


def read_glyph_folder(folder: Path) -> list[tuple[str, Path]]:
    """(character, image path) for a folder of labelled glyph images.

    Labels come from ``labels.csv`` (``filename,char`` rows, a header allowed) when present, else
    from the file names: ``가.png``, ``가_2.png`` (a second sample) or ``U+AC00.png``.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise UsageError(f"--data {folder} is not a folder", "give the folder of glyph images")
    csv_path = folder / "labels.csv"
    items: list[tuple[str, Path]] = []
    if csv_path.is_file():
        with csv_path.open(encoding="utf-8-sig", newline="") as fh:
            for n, row in enumerate(csv.reader(fh), 1):
                if not row or row[0].startswith("#"):
                    continue
                if len(row) < 2:
                    raise InputError(f"{csv_path}:{n}: expected filename,char", "fix the row")
                name, label = row[0].strip(), row[1].strip()
                if n == 1 and name.lower() in ("filename", "file", "image", "path"):
                    continue
                ch = label if len(label) == 1 else _char_from_stem(label)
                if ch is None:
                    raise InputError(f"{csv_path}:{n}: {label!r} is not one character or U+XXXX",
                                     "write the character itself")
                if not (folder / name).is_file():
                    raise InputError(f"{csv_path}:{n}: {name} not found in {folder}",
                                     "fix the file name")
                items.append((ch, folder / name))
    else:
        skipped = []
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() not in IMAGE_SUFFIXES:
                continue
            ch = _char_from_stem(unicodedata.normalize("NFC", path.stem))
            if ch is None:
                skipped.append(path.name)
            else:
                items.append((ch, path))
        if skipped and not items:
            raise InputError(f"cannot tell the characters of the images in {folder} "
                             f"(e.g. {skipped[0]})",
                             "name each image by its character (가.png, U+AC00.png) or add labels.csv")
    if not items:
        raise InputError(f"{folder} holds no glyph images", "add PNG images named by their character")
    return items


def load_ink(path: Path) -> np.ndarray:
    """A glyph image as float ink (0 = paper, 1 = ink), cropped to its ink.

    Read as dark ink on light paper (transparent pixels are paper) and levelled between the
    paper (a high percentile of the grey levels) and the darkest ink.
    """
    from PIL import Image

    with Image.open(path) as im:
        im.load()
        rgba = np.asarray(im.convert("RGBA"), np.float32) / 255.0
    # composite over white paper: black strokes on a transparent background read as ink too
    alpha = rgba[..., 3]
    grey = alpha * rgba[..., :3].mean(-1) + (1.0 - alpha)
    paper = float(np.percentile(grey, 98))
    dark = float(grey.min())
    if paper - dark < 0.1:
        raise InputError(f"{path}: no visible ink", "use dark ink on light paper")
    ink = np.clip((paper - grey) / (paper - dark), 0.0, 1.0)
    ink[ink < 0.1] = 0.0  # paper texture
    return _crop(ink, path)


def _crop(ink: np.ndarray, path: Path) -> np.ndarray:
    rows = np.flatnonzero(ink.max(1) > 0.2)
    cols = np.flatnonzero(ink.max(0) > 0.2)
    if rows.size == 0:
        raise InputError(f"{path}: no visible ink", "use dark ink on light paper")
    return ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


def _bbox(a: np.ndarray) -> tuple[int, int, int, int] | None:
    rows = np.flatnonzero(a.max(1) > 50)
    cols = np.flatnonzero(a.max(0) > 50)
    if rows.size == 0:
        return None
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def place_glyphs(inks: Sequence[np.ndarray], sources: np.ndarray) -> np.ndarray:
    """Put cropped glyph inks into the canvas the way training put font glyphs there.

    One scale for the whole set (so a writer's small and large characters stay so): their
    median size matches the median size of the corresponding source glyphs. Each glyph is
    centred where its source glyph is centred.
    """
    from PIL import Image

    n, s, _ = sources.shape
    boxes = [_bbox(src) for src in sources]
    ratios = [max(b[2] - b[0], b[3] - b[1]) / max(ink.shape) for ink, b in zip(inks, boxes) if b]
    scale = float(np.median(ratios)) if ratios else 0.75 * s / max(max(i.shape) for i in inks)
    out = np.zeros((n, s, s), np.uint8)
    for k, (ink, b) in enumerate(zip(inks, boxes)):
        h = max(1, round(ink.shape[0] * scale))
        w = max(1, round(ink.shape[1] * scale))
        im = Image.fromarray(ink.astype(np.float32), "F").resize((w, h), Image.Resampling.BILINEAR)
        small = np.clip(np.asarray(im), 0.0, 1.0)
        cx, cy = ((b[0] + b[2]) / 2, (b[1] + b[3]) / 2) if b else (s / 2, s / 2)
        x0, y0 = round(cx - w / 2), round(cy - h / 2)
        canvas = np.zeros((s, s), np.float32)
        sx0, sy0 = max(0, -x0), max(0, -y0)
        dx0, dy0 = max(0, x0), max(0, y0)
        dx1, dy1 = min(s, x0 + w), min(s, y0 + h)
        if dx1 > dx0 and dy1 > dy0:
            canvas[dy0:dy1, dx0:dx1] = small[sy0:sy0 + dy1 - dy0, sx0:sx0 + dx1 - dx0]
        out[k] = np.rint(canvas * 255).astype(np.uint8)
    return out


def em_box_columns(frame: Frame, advance: float, image_size: int, margin: float) -> tuple[int, int]:
    """Canvas columns [c0, c1) that an ink image keeps: the pen's em box plus a margin."""
    c0 = max(0, math.floor(frame.x - margin))
    c1 = min(image_size, math.ceil(frame.x + advance + margin))
    return c0, max(c1, c0 + 1)

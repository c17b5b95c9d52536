"""Draw the handwriting templates: a vector PDF to print (:func:`write_template`) and the same page
as a Pillow image (:func:`render_page`, a perfect "scan" for tests and the evaluation).

Both draw from one description of the page (``layout.page``) and one set of decisions (what goes
where, in which colour): corner marks as filled black squares, box outlines and writing lines in a
light blue that extraction removes, the character or text to copy in small grey print above each
box, and the page line and instructions between the top marks. With ``fill_font`` every box is
written in that font (dark ink, slightly jittered size, position, rotation and darkness, always
inside the box): what a filled sheet looks like, and the whole path tested without a pen.

Prompts and fill text are drawn from the fonts' outlines (fontTools) in the PDF, so the PDF embeds
no font and shows any script; the raster draws the same fonts with Pillow at the same metrics.
"""

from __future__ import annotations

import math
import os
import random
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Optional, Sequence

from ..errors import UsageError
from . import layout
from .layout import SheetPage

HERE = Path(__file__).resolve().parent
PROMPT_LATIN = HERE / "prompt-latin.ttf"
PROMPT_CJK = HERE / "prompt-cjk.otf"

# Colours (RGB 0-255). Box lines and writing lines are light and blue so extraction can drop
# them by colour; prompts are mid grey, away from any ink a writer puts in a box.
BOX_RGB = (140, 190, 235)
PROMPT_RGB = (120, 120, 120)
HEADER_RGB = (70, 70, 70)
MARK_RGB = (0, 0, 0)
LINE_MM = 0.25            # box outline and writing-line width
PROMPT_GAP_MM = 0.9       # between a prompt's baseline and its box's top edge
HEADER_LABEL_MM = 3.4     # font sizes (em, mm) of the page line and the instructions
HEADER_TEXT_MM = 2.6
INSTRUCTIONS = "Write one character per box in dark pen; keep the four corner marks visible."
RULED_INSTRUCTIONS = ("Copy each word or sentence onto its line in your usual hand, in dark pen; "
                      "keep the four corner marks visible.")
FILL_INSET_MM = 0.7       # fill ink keeps this far inside a box's outline


def printed_text() -> str:
    """Every character the page lines and instructions print (for the prompt font's subset)."""
    labels = "".join(p.label for kind in layout.KINDS for p in layout.pages(kind))
    return labels + INSTRUCTIONS + RULED_INSTRUCTIONS + "0123456789"


def instructions(page: SheetPage) -> str:
    return RULED_INSTRUCTIONS if any(b.kind != "char" for b in page.boxes) else INSTRUCTIONS


# --- fonts -------------------------------------------------------------------------------------

class Face:
    """A font's outlines and metrics (fontTools), for the PDF, and its file, for Pillow."""

    def __init__(self, path: os.PathLike | str):
        from fontTools.ttLib import TTFont

        self.path = Path(path)
        self.font = TTFont(self.path, fontNumber=0, lazy=True)
        self.cmap = self.font.getBestCmap() or {}
        self.glyphs = self.font.getGlyphSet()
        self.upm = self.font["head"].unitsPerEm
        self.hmtx = self.font["hmtx"]
        self.descent = -self.font["hhea"].descent / self.upm

    def has(self, char: str) -> bool:
        return ord(char) in self.cmap or char == " "

    def advance(self, char: str) -> float:
        """Advance width in em."""
        name = self.cmap.get(ord(char))
        if name is None:
            return 0.3 if char == " " else 0.0
        return self.hmtx[name][0] / self.upm

    @lru_cache(maxsize=4096)
    def outline(self, char: str) -> tuple:
        """The glyph's contours in em units (y up): a tuple of (op, points) with op in
        moveTo/lineTo/curveTo/closePath (quadratic segments turned cubic)."""
        from fontTools.pens.basePen import BasePen

        name = self.cmap.get(ord(char))
        if name is None:
            return ()
        ops: list = []
        scale = 1.0 / self.upm

        class Pen(BasePen):
            def _moveTo(self, p):
                ops.append(("moveTo", ((p[0] * scale, p[1] * scale),)))

            def _lineTo(self, p):
                ops.append(("lineTo", ((p[0] * scale, p[1] * scale),)))

            def _curveToOne(self, p1, p2, p3):
                ops.append(("curveTo", tuple((x * scale, y * scale) for x, y in (p1, p2, p3))))

            def _closePath(self):
                ops.append(("closePath", ()))

            _endPath = _closePath

        self.glyphs[name].draw(Pen(self.glyphs))
        return tuple(ops)

    @lru_cache(maxsize=4096)
    def bounds(self, char: str) -> Optional[tuple[float, float, float, float]]:
        """(xmin, ymin, xmax, ymax) in em, y up; None for an empty glyph."""
        points = [p for _, pts in self.outline(char) for p in pts]
        if not points:
            return None
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        return min(xs), min(ys), max(xs), max(ys)  # control points: a safe (outer) bound

    def text_bounds(self, text: str) -> tuple[float, float, float, float]:
        """Bounds of ``text`` set from x = 0 on the baseline, in em (y up)."""
        x, box = 0.0, [math.inf, math.inf, -math.inf, -math.inf]
        for ch in text:
            b = self.bounds(ch)
            if b:
                box = [min(box[0], x + b[0]), min(box[1], b[1]), max(box[2], x + b[2]), max(box[3], b[3])]
            x += self.advance(ch)
        if box[0] == math.inf:
            return 0.0, 0.0, x, 0.0
        return tuple(box)  # type: ignore[return-value]

    def width(self, text: str) -> float:
        return sum(self.advance(ch) for ch in text)


@lru_cache(maxsize=8)
def face(path: str) -> Face:
    return Face(path)


def prompt_face(kind: str) -> Face:
    return face(str(PROMPT_CJK if kind in ("hangul", "cjk") else PROMPT_LATIN))


def load_fill_font(path: os.PathLike | str, needed: str, skip_missing: bool = False) -> Face:
    """The ``--fill-font`` face; a UsageError for a file that is not a font or (unless
    ``skip_missing``) lacks characters of ``needed``."""
    shown = os.fspath(path)
    if not os.path.isfile(shown):
        raise UsageError(f"fill font {shown!r} does not exist", "give a .ttf or .otf font file")
    try:
        result = Face(shown)
        result.outline("a")  # reads the glyph tables, which a damaged file fails on
    except Exception:  # fontTools raises many kinds for a file that is not a font
        raise UsageError(f"fill font {shown!r} is not a font hwrender can read",
                         "give a .ttf or .otf font file") from None
    missing = "".join(sorted({c for c in needed if not c.isspace() and not result.has(c)}))
    if missing and not skip_missing:
        shown_chars = missing if len(missing) <= 40 else missing[:40] + "..."
        raise UsageError(f"fill font {Path(shown).name} lacks {len(missing)} of the characters to "
                         f"fill: {shown_chars}",
                         "choose a font that has them, or --pages for pages without them")
    return result


# --- what a page holds -------------------------------------------------------------------------

@dataclass(frozen=True)
class Run:
    """Text drawn from a face's outlines: ``text`` from (x, y) (mm, baseline start), em ``size``
    mm, rotated ``angle`` degrees (counter-clockwise, as seen) about (px, py), in ``rgb``."""

    face: Face
    text: str
    x: float
    y: float
    size: float
    rgb: tuple[int, int, int]
    angle: float = 0.0
    px: float = 0.0
    py: float = 0.0
    clip: Optional[tuple[float, float, float, float]] = None  # x, y, w, h (mm)


def _prompt_runs(page: SheetPage) -> list[Run]:
    pf = prompt_face(page.kind)
    grid = layout.GRIDS[page.kind]
    runs = []
    for box in page.boxes:
        band = grid.prompt if box.kind == "char" else layout.RULED_PROMPT
        size = band - PROMPT_GAP_MM - 0.3
        if box.kind == "char":
            size = min(size, band * 0.85) * (0.95 if page.kind in ("hangul", "cjk") else 1.0)
        width = pf.width(box.text) * size
        size = size if width <= box.w else size * box.w / width
        descent = pf.descent * size  # one baseline for every prompt of a row, descenders clear
        runs.append(Run(pf, box.text, box.x + 0.3, box.y - PROMPT_GAP_MM - descent, size, PROMPT_RGB))
    return runs


def _header_runs(page: SheetPage) -> list[Run]:
    lf = face(str(PROMPT_LATIN))
    ox, oy = page.origin
    centre = ox + layout.FRAME_MM[0] / 2
    out = []
    for text, size, y, rgb in ((page.label, HEADER_LABEL_MM, 6.0, HEADER_RGB),
                               (instructions(page), HEADER_TEXT_MM, 11.5, PROMPT_RGB)):
        room = layout.FRAME_MM[0] - 2 * (layout.MARK_MM + layout.QUIET_MM)
        size = min(size, room / lf.width(text))
        out.append(Run(lf, text, centre - lf.width(text) * size / 2, oy + y, size, rgb))
    return out


def _fill_runs(page: SheetPage, fill: Face, seed: int) -> list[Run]:
    """One jittered run per box: what a writer might have put there, never outside the box."""
    runs = []
    for box in page.boxes:
        if not all(fill.has(c) for c in box.text):
            continue  # left empty, as a writer skips a character they do not use (skip_missing)
        rng = random.Random(f"{seed}:{page.kind}:{page.number}:{box.id}")
        grey = rng.randint(10, 60)
        rgb = (grey, grey, min(255, grey + rng.randint(0, 25)))
        inner = (box.x + FILL_INSET_MM, box.y + FILL_INSET_MM, box.w - 2 * FILL_INSET_MM,
                 box.h - 2 * FILL_INSET_MM)
        if box.kind == "char":
            square = page.kind in ("hangul", "cjk")
            size = box.h * (0.72 if square else 0.62) * rng.uniform(0.88, 1.08)
            angle = rng.uniform(-5.0, 5.0)
            if square:  # centred, as a glyph sits in its em square
                b = fill.text_bounds(box.text)
                baseline = box.y + box.h / 2 + (b[1] + b[3]) / 2 * size + rng.uniform(-0.5, 0.5)
            else:  # on a baseline, so "." sits low and "'" high, as written
                baseline = box.y + box.h * 0.76 + rng.uniform(-0.5, 0.5)
            centre_x = box.x + box.w / 2 + rng.uniform(-0.6, 0.6)
        else:
            size = (box.baseline - box.y) * 0.72 * rng.uniform(0.9, 1.05)
            angle = rng.uniform(-1.5, 1.5) if box.kind == "word" else rng.uniform(-0.6, 0.6)
            baseline = box.baseline + rng.uniform(-0.3, 0.2)
            centre_x = None
        run = _fit(fill, box.text, size, angle, baseline, centre_x, inner, rgb, rng)
        if run is not None:
            runs.append(run)
    return runs


def _fit(fill: Face, text: str, size: float, angle: float, baseline: float,
         centre_x: Optional[float], inner, rgb, rng) -> Optional[Run]:
    """Shrink (and nudge) the text until its rotated bounds sit inside ``inner``."""
    b = fill.text_bounds(text)
    if b[2] <= b[0] or b[3] <= b[1]:
        return None  # nothing to draw (a space)
    ix, iy, iw, ih = inner
    for _ in range(40):
        w_mm = (b[2] - b[0]) * size
        if centre_x is None:  # ruled: from the left, a little in
            x = ix + 1.0 + rng.uniform(0.0, 2.0) - b[0] * size
        else:
            x = centre_x - w_mm / 2 - b[0] * size
        px, py = x + (b[0] + b[2]) / 2 * size, baseline - (b[1] + b[3]) / 2 * size
        corners = [(x + u * size, baseline - v * size) for u in (b[0], b[2]) for v in (b[1], b[3])]
        rad = math.radians(angle)
        rotated = [(px + (cx - px) * math.cos(rad) + (cy - py) * math.sin(rad),
                    py - (cx - px) * math.sin(rad) + (cy - py) * math.cos(rad)) for cx, cy in corners]
        xs, ys = [p[0] for p in rotated], [p[1] for p in rotated]
        dx = max(0.0, ix - min(xs)) - max(0.0, max(xs) - (ix + iw))
        dy = max(0.0, iy - min(ys)) - max(0.0, max(ys) - (iy + ih))
        fits_w = max(xs) - min(xs) <= iw
        fits_h = max(ys) - min(ys) <= ih
        if fits_w and fits_h:
            return Run(fill, text, x + dx, baseline + dy, size, rgb, angle, px + dx, py + dy,
                       clip=inner)
        size *= 0.93
    return None


def page_runs(page: SheetPage, fill_font: Optional[Face] = None, seed: int = 0) -> list[Run]:
    runs = _header_runs(page) + _prompt_runs(page)
    if fill_font is not None:
        runs += _fill_runs(page, fill_font, seed)
    return runs


def mark_rects(page: SheetPage) -> list[tuple[float, float, float, float]]:
    """The black modules of every corner mark as (x, y, w, h) mm, runs of a row merged."""
    rects = []
    for mark in page.marks:
        cells = layout.marker_cells(layout.marker_id(page.code, mark.corner))
        module = mark.size / layout.MARK_MODULES
        for r, row in enumerate(cells):
            c = 0
            while c < len(row):
                if row[c]:
                    start = c
                    while c < len(row) and row[c]:
                        c += 1
                    rects.append((mark.x + start * module, mark.y + r * module,
                                  (c - start) * module, module))
                else:
                    c += 1
    return rects


# --- PDF ----------------------------------------------------------------------------------------

def write_template(kind: str, out: os.PathLike | str, *, pages: Optional[Iterable[int]] = None,
                   paper: str = "A4", fill_font: Optional[os.PathLike | str] = None,
                   seed: int = 0, skip_missing: bool = False) -> Optional[Path]:
    """Write a kind's template (all pages, or ``pages``) as one PDF at ``out``, atomically
    (``"-"``: to standard output, and ``None`` is returned).

    ``fill_font`` writes every box in that font; one that lacks a character to fill is an error,
    or with ``skip_missing`` leaves those boxes empty (the evaluation's held-out fonts)."""
    import sys

    from ..render.output import AtomicOutputs

    to_stdout = os.fspath(out) == "-"
    if not to_stdout and not Path(out).is_dir() and Path(out).suffix.lower() != ".pdf":
        raise UsageError(f"{out}: a template is written as a PDF, and this name does not end in .pdf",
                         "give a name such as sheet.pdf, or - for standard output")
    chosen = select_pages(kind, pages, paper)
    fill = None
    if fill_font is not None:
        fill = load_fill_font(fill_font, "".join(b.text for p in chosen for b in p.boxes),
                              skip_missing)
    if to_stdout:
        data = pdf_bytes(chosen, fill, seed)
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return None
    with AtomicOutputs(out) as outputs:
        data = pdf_bytes(chosen, fill, seed)
        outputs.open(out).write(data)
    return Path(out)


def select_pages(kind: str, numbers: Optional[Iterable[int]], paper: str = "A4") -> list[SheetPage]:
    every = layout.pages(kind, paper)
    if numbers is None:
        return every
    numbers = list(numbers)
    bad = [n for n in numbers if not 1 <= n <= len(every)]
    if bad or not numbers:
        raise UsageError(f"the {kind} template has no page {bad[0] if bad else 'listed'}",
                         f"give --pages between 1 and {len(every)}, e.g. --pages 1,2")
    return [every[n - 1] for n in dict.fromkeys(numbers)]


def pdf_bytes(chosen: Sequence[SheetPage], fill: Optional[Face] = None, seed: int = 0) -> bytes:
    import io

    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    from .. import __version__

    buf = io.BytesIO()
    first = chosen[0]
    c = canvas.Canvas(buf, pagesize=(first.size_mm[0] * mm, first.size_mm[1] * mm),
                      invariant=True, pageCompression=1)
    c.setTitle(f"hwrender {first.kind} template v{first.version}")
    c.setCreator(f"hwrender {__version__}")
    c.setSubject(INSTRUCTIONS)
    for page in chosen:
        c.setPageSize((page.size_mm[0] * mm, page.size_mm[1] * mm))
        c.saveState()
        c.translate(0, page.size_mm[1] * mm)
        c.scale(mm, -mm)  # from here on: millimetres, origin top-left, y down (as layout)
        _pdf_page(c, page, fill, seed)
        c.restoreState()
        c.showPage()
    c.save()
    return buf.getvalue()


def _pdf_page(c, page: SheetPage, fill: Optional[Face], seed: int) -> None:
    c.setFillColorRGB(*(v / 255 for v in MARK_RGB))
    for x, y, w, h in mark_rects(page):
        c.rect(x, y, w, h, stroke=0, fill=1)
    c.setStrokeColorRGB(*(v / 255 for v in BOX_RGB))
    c.setLineWidth(LINE_MM)
    for box in page.boxes:
        c.rect(box.x, box.y, box.w, box.h, stroke=1, fill=0)
        if box.baseline is not None:
            c.line(box.x, box.baseline, box.x + box.w, box.baseline)
    for run in page_runs(page, fill, seed):
        _pdf_run(c, run)


def _pdf_run(c, run: Run) -> None:
    c.saveState()
    if run.clip is not None:
        clip = c.beginPath()
        clip.rect(*run.clip)
        c.clipPath(clip, stroke=0, fill=0)
    if run.angle:
        c.translate(run.px, run.py)
        c.rotate(-run.angle)  # y points down here, so a visible counter-clockwise turn is negative
        c.translate(-run.px, -run.py)
    c.setFillColorRGB(*(v / 255 for v in run.rgb))
    path = c.beginPath()
    x, s = run.x, run.size
    for ch in run.text:
        for op, pts in run.face.outline(ch):
            flat = [v for px, py in pts for v in (x + px * s, run.y - py * s)]
            if op == "moveTo":
                path.moveTo(*flat)
            elif op == "lineTo":
                path.lineTo(*flat)
            elif op == "curveTo":
                path.curveTo(*flat)
            else:
                path.close()
        x += run.face.advance(ch) * s
    c.drawPath(path, stroke=0, fill=1, fillMode=1)  # non-zero winding, as fonts are drawn
    c.restoreState()


# --- raster -------------------------------------------------------------------------------------

def render_page(page: SheetPage, dpi: float, fill_font: Optional[os.PathLike | str | Face] = None,
                seed: int = 0, skip_missing: bool = False):
    """The page as the PDF draws it, as an RGB Pillow image on white paper at ``dpi`` (with
    ``fill_font``, as :func:`write_template` fills it)."""
    from PIL import Image, ImageDraw

    ppm = dpi / 25.4
    size = (round(page.size_mm[0] * ppm), round(page.size_mm[1] * ppm))
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)

    def px(v: float) -> int:
        return round(v * ppm)

    for x, y, w, h in mark_rects(page):
        draw.rectangle((px(x), px(y), px(x + w) - 1, px(y + h) - 1), fill=MARK_RGB)
    line = max(1, round(LINE_MM * ppm))
    for box in page.boxes:
        draw.rectangle((px(box.x), px(box.y), px(box.x + box.w), px(box.y + box.h)),
                       outline=BOX_RGB, width=line)
        if box.baseline is not None:
            y = px(box.baseline)
            draw.rectangle((px(box.x), y - line // 2, px(box.x + box.w), y - line // 2 + line - 1),
                           fill=BOX_RGB)
    fill = None
    if fill_font is not None:
        fill = fill_font if isinstance(fill_font, Face) else load_fill_font(
            fill_font, "".join(b.text for b in page.boxes), skip_missing)
    for run in page_runs(page, fill, seed):
        _raster_run(image, run, ppm)
    return image


def _raster_run(image, run: Run, ppm: float) -> None:
    """Draw a run with Pillow (FreeType) at the metrics the PDF uses: the glyphs are set one by
    one at the outline advances, so both agree to a fraction of a pixel."""
    from PIL import Image, ImageChops, ImageDraw

    b = run.face.text_bounds(run.text)
    pad = 2 + run.size * ppm * 0.2
    # A local canvas around the run (rotation keeps it inside: made large enough for any angle).
    left, top = run.x + b[0] * run.size, run.y - b[3] * run.size
    w_mm, h_mm = (b[2] - b[0]) * run.size, (b[3] - b[1]) * run.size
    diag = math.hypot(w_mm, h_mm)
    cx, cy = left + w_mm / 2, top + h_mm / 2
    x0, y0 = cx - diag / 2 - pad / ppm, cy - diag / 2 - pad / ppm
    side = int(math.ceil((diag + 2 * pad / ppm) * ppm)) + 2
    ox, oy = math.floor(x0 * ppm), math.floor(y0 * ppm)
    mask = Image.new("L", (side, side), 0)
    draw = ImageDraw.Draw(mask)
    font = _pil_font(str(run.face.path), max(1, round(run.size * ppm * 4)) / 4)
    x = run.x
    for ch in run.text:
        if not ch.isspace():
            draw.text((x * ppm - ox, run.y * ppm - oy), ch, fill=255, font=font, anchor="ls")
        x += run.face.advance(ch) * run.size
    if run.angle:
        mask = mask.rotate(run.angle, resample=Image.BICUBIC,
                           center=(run.px * ppm - ox, run.py * ppm - oy))
    if run.clip is not None:  # the fill never leaves its box
        cx0, cy0, cw, ch_ = run.clip
        keep = Image.new("L", mask.size, 0)
        ImageDraw.Draw(keep).rectangle((math.ceil(cx0 * ppm) - ox, math.ceil(cy0 * ppm) - oy,
                                        math.floor((cx0 + cw) * ppm) - ox - 1,
                                        math.floor((cy0 + ch_) * ppm) - oy - 1), fill=255)
        mask = ImageChops.multiply(mask, keep)
    image.paste(run.rgb, (ox, oy), mask)


@lru_cache(maxsize=64)
def _pil_font(path: str, size_px: float):
    from PIL import ImageFont

    return ImageFont.truetype(path, size_px, layout_engine=ImageFont.Layout.BASIC)

"""Words written glyph by glyph from the Caveat handwriting font, each glyph with seeded jitter.

Every glyph is rasterised once (FreeType via Pillow, at ``EM`` px per em) and cached; each use
then gets its own baseline wander, rotation, scale, slant, stroke weight, ink pressure and spacing,
applied with one affine resample, so repeated letters never look typeset. Characters Caveat lacks
(sent here under ``--missing fallback``) are written from an installed system font that has them,
or drawn as a hand-drawn placeholder box; they are listed in ``InkImage.meta["substituted"]``.
"""

from __future__ import annotations

import math
import os
import sys
import unicodedata
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from hwrender.errors import UsageError
from hwrender.ink import InkImage
from hwrender.registry import Generator

from . import FONT_PATH, STYLES

EM = 64  # px per em: ~25 px x-height, about what 300 dpi body text needs, so layout scales little
PAD = 8  # rows kept above the font's ascent and below its descent for the jitter
INK_MIN = 1.0 / 255  # alpha below this counts as paper when cropping
ZWJ = "\u200d"
PLACEHOLDER = "placeholder"


@dataclass(frozen=True)
class HandStyle:
    """How much each glyph wanders. Standard deviations; angles in degrees, lengths in px at EM."""

    rotation: float  # per-glyph rotation (clipped to +-3 degrees)
    scale: float  # per-glyph relative scale (clipped to +-5 %)
    rise: float  # baseline wander: a damped random walk from glyph to glyph
    weight: float  # stroke weight walk, -1 (eroded one px) .. +1 (dilated one px)
    spacing: float  # relative advance jitter
    slant: float  # mean slant to the right
    slant_jitter: float  # per-word slant variation
    tracking: float  # added to every advance, relative
    pressure: float  # ink lightening walk (pen pressure), 0 = full ink


HANDS = {
    "natural": HandStyle(rotation=1.2, scale=0.02, rise=0.6, weight=0.05, spacing=0.03,
                         slant=0.0, slant_jitter=1.0, tracking=0.0, pressure=0.02),
    "neat": HandStyle(rotation=0.5, scale=0.01, rise=0.25, weight=0.03, spacing=0.012,
                      slant=0.0, slant_jitter=0.4, tracking=0.02, pressure=0.015),
    "hurried": HandStyle(rotation=2.0, scale=0.03, rise=1.0, weight=0.1, spacing=0.06,
                         slant=9.0, slant_jitter=2.5, tracking=-0.04, pressure=0.06),
}
assert set(HANDS) == set(STYLES)
MAX_ROTATION = 3.0
MAX_SCALE = 0.05

# Where installed fonts usually live; searched lazily, only when a character Caveat lacks appears.
FONT_DIRS = (
    "/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts",
    "/System/Library/Fonts", "/Library/Fonts", "~/Library/Fonts",
    os.path.join(os.environ.get("WINDIR", "C:\\Windows"), "Fonts") if sys.platform == "win32" else "",
)
MAX_FONT_FILES = 400  # bound the directory walk; cmaps are read one file at a time, on demand
FONT_SUFFIXES = (".ttf", ".otf", ".ttc", ".otc")
# Regular upright text faces are tried before their bold, italic, mono and display siblings.
_STYLED_WORDS = ("bold", "italic", "oblique", "mono", "condensed", "light", "black", "thin",
                 "heavy", "medium", "semibold", "extra", "math", "emoji", "symbols")


@dataclass
class _Glyph:
    """A rasterised cluster: alpha (+ one-px dilated/eroded copies), placed relative to the pen."""

    ink: np.ndarray | None  # (h, w) float32, None for blank glyphs
    thick: np.ndarray | None
    thin: np.ndarray | None
    ox: int  # left of ``ink`` relative to the pen position
    oy: int  # top of ``ink`` relative to the baseline (negative: above)
    advance: float

    @classmethod
    def from_mask(cls, im: Image.Image, ox: int, oy: int, advance: float) -> "_Glyph":
        ink = np.asarray(im, dtype=np.float32) / 255.0
        thick = np.asarray(im.filter(ImageFilter.MaxFilter(3)), dtype=np.float32) / 255.0
        thin = np.asarray(im.filter(ImageFilter.MinFilter(3)), dtype=np.float32) / 255.0
        return cls(ink, thick, thin, ox, oy, advance)

    @classmethod
    def blank(cls, advance: float) -> "_Glyph":
        return cls(None, None, None, 0, 0, advance)


class _Face:
    """One font at one pixel size, with its rendered glyphs and pair kerning cached."""

    def __init__(self, path: Path | str, size: int, index: int = 0, name: str = ""):
        self.font = ImageFont.truetype(str(path), size, index=index)
        self.name = name or " ".join(x for x in self.font.getname() if x)
        self._glyphs: dict[str, _Glyph] = {}
        self._kerns: dict[tuple[str, str], float] = {}

    def glyph(self, text: str) -> _Glyph:
        g = self._glyphs.get(text)
        if g is None:
            g = self._glyphs[text] = self._render(text)
        return g

    def kern(self, left: str, right: str) -> float:
        """Extra advance between two clusters (the font's GPOS kerning where raqm shapes it)."""
        key = (left, right)
        k = self._kerns.get(key)
        if k is None:
            f = self.font
            k = f.getlength(left + right) - self.glyph(left).advance - self.glyph(right).advance
            k = self._kerns[key] = max(-0.3 * f.size, min(0.3 * f.size, k))
        return k

    def _render(self, text: str) -> _Glyph:
        try:
            advance = float(self.font.getlength(text))
            x0, y0, x1, y1 = self.font.getbbox(text, anchor="ls")
            if x1 <= x0 or y1 <= y0:
                return _Glyph.blank(advance)
            m = 2  # room for the dilated copy
            im = Image.new("L", (x1 - x0 + 2 * m, y1 - y0 + 2 * m))
            ImageDraw.Draw(im).text((m - x0, m - y0), text, font=self.font, fill=255, anchor="ls")
        except (ValueError, OSError, UnicodeError):  # e.g. NUL, or a font FreeType cannot draw
            return _Glyph.blank(0.0)
        if im.getbbox() is None:
            return _Glyph.blank(advance)
        return _Glyph.from_mask(im, x0 - m, y0 - m, advance)


class _SystemFonts:
    """Installed fonts, searched lazily for characters the bundled font lacks."""

    def __init__(self, dirs: Sequence[str | os.PathLike], em: int, cap_height: float):
        self._dirs = [Path(os.path.expanduser(str(d))) for d in dirs if str(d)]
        self._em = em
        self._cap = cap_height  # of the bundled font, in ems: fallback glyphs are sized to match
        self._paths: list[Path] | None = None
        self._cmaps: dict[Path, frozenset[int]] = {}
        self._faces: dict[Path, _Face | None] = {}
        self._found: dict[str, _Face | None] = {}

    def paths(self) -> list[Path]:
        if self._paths is None:
            found: list[Path] = []
            for root in self._dirs:
                if not root.is_dir():
                    continue
                for dirpath, dirnames, filenames in os.walk(root):
                    dirnames.sort()
                    found += [Path(dirpath, f) for f in sorted(filenames)
                              if f.lower().endswith(FONT_SUFFIXES)]
                    if len(found) >= MAX_FONT_FILES:
                        break
                if len(found) >= MAX_FONT_FILES:
                    break
            found = found[:MAX_FONT_FILES]

            def rank(p: Path) -> tuple[int, str]:
                stem = p.stem.lower()
                return (sum(w in stem for w in _STYLED_WORDS), str(p))

            self._paths = sorted(found, key=rank)
        return self._paths

    def face_for(self, text: str) -> _Face | None:
        """The first installed font that maps every character of ``text``, or None."""
        if text in self._found:
            return self._found[text]
        cps = {ord(c) for c in text}
        face = None
        for path in self.paths():
            if cps <= self._cmap(path):
                face = self._face(path)
                if face is not None:
                    break
        self._found[text] = face
        return face

    def _cmap(self, path: Path) -> frozenset[int]:
        cmap = self._cmaps.get(path)
        if cmap is None:
            cmap = frozenset()
            try:
                from fontTools.ttLib import TTFont

                with TTFont(path, lazy=True, fontNumber=0) as font:
                    # colour-bitmap-only fonts (emoji) cannot be drawn at an arbitrary size
                    if any(t in font for t in ("glyf", "CFF ", "CFF2")):
                        cmap = frozenset(font.getBestCmap() or ())
            except Exception:  # an unreadable font is simply not a candidate
                pass
            self._cmaps[path] = cmap
        return cmap

    def _face(self, path: Path) -> _Face | None:
        if path not in self._faces:
            face = None
            try:
                from fontTools.ttLib import TTFont

                with TTFont(path, lazy=True, fontNumber=0) as font:
                    upm = font["head"].unitsPerEm
                    os2 = font["OS/2"] if "OS/2" in font else None
                    cap = getattr(os2, "sCapHeight", 0) or 0.7 * upm
                ratio = min(1.25, max(0.75, self._cap / (cap / upm)))
                face = _Face(path, max(8, round(self._em * ratio)), index=0)
            except Exception:
                face = None
            self._faces[path] = face
        return self._faces[path]


def _attaches(ch: str, prev: str) -> bool:
    """Whether ``ch`` belongs to the cluster before it (marks, joiners, emoji modifiers)."""
    cat = unicodedata.category(ch)
    return cat[0] == "M" or ch == ZWJ or prev.endswith(ZWJ) or 0x1F3FB <= ord(ch) <= 0x1F3FF


def clusters(word: str) -> list[str]:
    """Split a word into what is drawn as one glyph: a base character and what attaches to it."""
    out: list[str] = []
    for ch in word:
        if out and _attaches(ch, out[-1]):
            out[-1] += ch
        else:
            out.append(ch)
    return out


def _invisible(ch: str) -> bool:
    """Format characters and variation selectors: they change nothing a hand would draw."""
    cp = ord(ch)
    return (unicodedata.category(ch) == "Cf" or 0xFE00 <= cp <= 0xFE0F
            or 0xE0100 <= cp <= 0xE01EF)


def _is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


class FontGenerator(Generator):
    """The ``font`` generator: see the module docstring."""

    def __init__(self, font_path: Path | str = FONT_PATH, font_dirs: Sequence[str] | None = None):
        from fontTools.ttLib import TTFont

        with TTFont(font_path, lazy=True) as tt:
            upm = tt["head"].unitsPerEm
            hhea, os2 = tt["hhea"], tt["OS/2"]
            ascent, descent = hhea.ascent / upm, -hhea.descent / upm
            x_height = (getattr(os2, "sxHeight", 0) or 0) / upm
            cap_height = (getattr(os2, "sCapHeight", 0) or 0) / upm
            cmap = tt.getBestCmap()
        self._cmap = frozenset(chr(c) for c in cmap if unicodedata.category(chr(c)) != "Cc")
        self.face = _Face(font_path, EM, name=Path(font_path).stem)
        if not x_height:  # no OS/2 sxHeight: measure the 'x'
            x_height = -self.face.font.getbbox("x", anchor="ls")[1] / EM
        if not cap_height:
            cap_height = -self.face.font.getbbox("H", anchor="ls")[1] / EM
        self.x_height = x_height * EM
        self.cap_height = cap_height * EM
        self.baseline = PAD + math.ceil(ascent * EM)
        self.height = self.baseline + math.ceil(descent * EM) + PAD
        self.space = self.face.font.getlength(" ") if " " in self._cmap else 0.25 * EM
        self.system_fonts = _SystemFonts(FONT_DIRS if font_dirs is None else font_dirs,
                                         EM, cap_height)
        self._placeholders: dict[str, _Glyph] = {}

    # -- the Generator interface -------------------------------------------------------------
    def generate(self, units: Sequence[str], style: str | None, seed: int,
                 device: str = "cpu") -> list[InkImage]:
        name = style or "natural"
        hand = HANDS.get(name)
        if hand is None:
            raise UsageError(f"generator 'font' has no style {style!r}",
                             f"known styles: {', '.join(STYLES)}")
        key = (int(seed) & 0xFFFF_FFFF_FFFF_FFFF, zlib.crc32(name.encode()))
        return [self._word(unit, hand, np.random.default_rng([*key, i]))
                for i, unit in enumerate(units)]

    # -- one word ----------------------------------------------------------------------------
    def _word(self, word: str, hand: HandStyle, rng: np.random.Generator) -> InkImage:
        parts, substituted, sources = self._plan(word)
        n = len(parts)
        # python floats: numpy float64 scalars would promote the float32 glyph arrays
        noise = rng.standard_normal((n, 6)).tolist()
        slant = math.radians(hand.slant + hand.slant_jitter * float(rng.standard_normal()))
        shear = math.tan(slant)

        placed = []  # (array, X0, Y0)
        # baseline, stroke weight and pressure drift smoothly along the word (damped random
        # walks); rotation, scale and spacing change glyph by glyph
        pen, rise, weight, press = 0.0, 0.0, 0.0, 0.0
        for k, (face, text, glyph) in enumerate(parts):
            z = noise[k]
            rise = 0.6 * rise + hand.rise * z[2]
            weight = 0.75 * weight + hand.weight * z[3]
            press = 0.8 * press + hand.pressure * z[5]
            if glyph.ink is not None:
                theta = math.radians(max(-MAX_ROTATION, min(MAX_ROTATION, hand.rotation * z[0])))
                scale = 1.0 + max(-MAX_SCALE, min(MAX_SCALE, hand.scale * z[1]))
                placed.append(self._place(glyph, pen, self.baseline + rise, theta, scale, shear,
                                          max(-1.0, min(1.0, weight)),
                                          1.0 - min(0.25, abs(press))))
            step = glyph.advance
            if k + 1 < n and face is not None and parts[k + 1][0] is face:
                step += face.kern(text, parts[k + 1][1])
            if step > 0:
                step *= max(0.7, 1.0 + hand.tracking + hand.spacing * z[4])
            pen += step

        alpha, advance = self._compose(placed, pen)
        meta = {"substituted": substituted}
        if sources:
            meta["substitutes"] = sources
        return InkImage(alpha=alpha, baseline=float(self.baseline), x_height=self.x_height,
                        advance=advance, text=word, meta=meta)

    def _plan(self, word: str):
        """The glyphs that write ``word``: [(face or None, cluster text, _Glyph)], and substitutions."""
        parts = []
        substituted: list[str] = []
        sources: dict[str, str] = {}

        def note(chars: str, source: str) -> None:
            for c in chars:
                if c not in self._cmap and c not in sources:
                    substituted.append(c)
                    sources[c] = source

        for cluster in clusters(word):
            if all(c in self._cmap for c in cluster):
                parts.append((self.face, cluster, self.face.glyph(cluster)))
                continue
            visible = "".join(c for c in cluster if c in self._cmap or not _invisible(c))
            if not visible:  # only joiners / selectors: nothing to draw, nothing lost
                continue
            if visible.isspace():
                note(visible, "space")
                width = sum(EM if _is_wide(c) else self.space for c in visible)
                parts.append((None, visible, _Glyph.blank(width)))
                continue
            if all(c in self._cmap for c in visible):
                parts.append((self.face, visible, self.face.glyph(visible)))
                continue
            face = self.system_fonts.face_for(visible)
            if face is not None:
                glyph = face.glyph(visible)
                if glyph.ink is not None or visible.isspace():
                    note(visible, face.name)
                    parts.append((face, visible, glyph))
                    continue
            if len(visible) > 1:  # no single font has the whole cluster: write it char by char
                for c in visible:
                    parts.extend(self._plan_char(c, note))
            else:
                parts.extend(self._plan_char(visible, note))
        return parts, substituted, sources

    def _plan_char(self, c: str, note):
        if c in self._cmap:
            return [(self.face, c, self.face.glyph(c))]
        face = self.system_fonts.face_for(c)
        if face is not None:
            glyph = face.glyph(c)
            if glyph.ink is not None:
                note(c, face.name)
                return [(face, c, glyph)]
        note(c, PLACEHOLDER)
        return [(None, c, self._placeholder(c))]

    def _placeholder(self, ch: str) -> _Glyph:
        """A hand-drawn box the size of the missing character, wobbling the same way each time."""
        g = self._placeholders.get(ch)
        if g is not None:
            return g
        wide = _is_wide(ch)
        mark = unicodedata.category(ch)[0] == "M"
        w = 0.85 * EM if wide else (0.3 * EM if mark else 0.5 * EM)
        h = 0.8 * EM if wide else (0.3 * EM if mark else self.cap_height)
        lw = max(2, round(0.06 * EM))
        m = lw + 4
        rng = np.random.default_rng(zlib.crc32(ch.encode("utf-8", "surrogatepass")))
        im = Image.new("L", (math.ceil(w) + 2 * m, math.ceil(h) + 2 * m))
        draw = ImageDraw.Draw(im)
        corners = [(m, m), (m + w, m), (m + w, m + h), (m, m + h)]
        corners = [(x + rng.normal(0, 1.2), y + rng.normal(0, 1.2)) for x, y in corners]
        for i in range(4):  # each side a slightly bowed stroke that overshoots its corners
            (xa, ya), (xb, yb) = corners[i], corners[(i + 1) % 4]
            dx, dy = xb - xa, yb - ya
            over = rng.uniform(0.0, 0.06)
            bow = rng.normal(0, 1.0)
            pts = []
            for t in np.linspace(-over, 1.0 + over, 9):
                b = bow * 4 * t * (1 - t)
                norm = math.hypot(dx, dy) or 1.0
                pts.append((xa + dx * t - dy / norm * b, ya + dy * t + dx / norm * b))
            draw.line(pts, fill=255, width=lw, joint="curve")
        g = _Glyph.from_mask(im, -m + round(0.06 * EM), -m - math.ceil(h), w + 0.12 * EM)
        if mark:  # a missing combining mark sits above the letter before it
            g.ox -= round(0.5 * EM)
            g.oy -= round(0.55 * EM)
            g.advance = 0.0
        self._placeholders[ch] = g
        return g

    # -- jitter and compositing ----------------------------------------------------------------
    @staticmethod
    def _place(glyph: _Glyph, pen_x: float, pen_y: float, theta: float, scale: float,
               shear: float, weight: float, gain: float):
        """Resample one glyph with its jitter; return (alpha, left, top) in word pixels."""
        ink = glyph.ink
        if weight > 0:
            ink = ink + weight * (glyph.thick - ink)
        elif weight < 0:
            ink = ink - weight * (glyph.thin - ink)
        if gain != 1.0:
            ink = ink * gain
        ink = ink.astype(np.float32, copy=False)  # mode "F" reads the buffer as float32
        h, w = ink.shape
        # pivot: the glyph's centre on the baseline, so rotation and scale keep it on the line
        pin_x, pin_y = w / 2.0, -glyph.oy
        c, s = math.cos(theta), math.sin(theta)
        # forward map M = R(theta) . scale . shear (x += -shear * y: right slant, y points down)
        m00, m01 = c * scale, (-c * shear - s) * scale
        m10, m11 = s * scale, (-s * shear + c) * scale
        dst_x, dst_y = pen_x + glyph.ox + pin_x, pen_y
        xs, ys = [], []
        for cx, cy in ((-pin_x, -pin_y), (w - pin_x, -pin_y), (-pin_x, h - pin_y),
                       (w - pin_x, h - pin_y)):
            xs.append(m00 * cx + m01 * cy)
            ys.append(m10 * cx + m11 * cy)
        x0, y0 = math.floor(dst_x + min(xs)), math.floor(dst_y + min(ys))
        x1, y1 = math.ceil(dst_x + max(xs)) + 1, math.ceil(dst_y + max(ys)) + 1
        pout_x, pout_y = dst_x - x0, dst_y - y0
        det = m00 * m11 - m01 * m10
        a, b, d, e = m11 / det, -m01 / det, -m10 / det, m00 / det
        coeffs = (a, b, pin_x - a * pout_x - b * pout_y, d, e, pin_y - d * pout_x - e * pout_y)
        out = Image.fromarray(ink, mode="F").transform(
            (x1 - x0, y1 - y0), Image.Transform.AFFINE, coeffs, resample=Image.Resampling.BILINEAR)
        return np.asarray(out), x0, y0

    def _compose(self, placed, pen_end: float) -> tuple[np.ndarray, float]:
        """Paste the glyphs into one baseline-aligned frame cropped to ink and advance."""
        if not placed:
            width = max(1, math.ceil(pen_end))
            return np.zeros((self.height, width), np.float32), max(0.0, pen_end)
        left = min(0, min(x0 for _, x0, _ in placed))
        right = max(math.ceil(pen_end), max(x0 + a.shape[1] for a, x0, _ in placed))
        canvas = np.zeros((self.height, right - left), np.float32)
        for a, x0, y0 in placed:
            top, bottom = max(0, y0), min(self.height, y0 + a.shape[0])
            if bottom <= top:
                continue
            x = x0 - left
            region = canvas[top:bottom, x:x + a.shape[1]]
            np.maximum(region, a[top - y0:bottom - y0], out=region)
        cols = np.flatnonzero(canvas.max(axis=0) > INK_MIN)
        if cols.size == 0:
            width = max(1, math.ceil(pen_end))
            return np.zeros((self.height, width), np.float32), max(0.0, pen_end)
        first = int(cols[0])
        last = max(int(cols[-1]) + 1, math.ceil(pen_end - left))
        alpha = np.clip(canvas[:, first:last], 0.0, 1.0)
        return np.ascontiguousarray(alpha), max(0.0, pen_end - left - first)

"""A hand as an installable font (``hwrender styles export-font``, ``hwrender export-font``).

Every character is drawn by the generator that ``write`` would give it (through its ``glyphs``
hook when it has one: the Latin word GAN cuts letters from context words; else alone), with the
style routed as ``write`` routes it (``styles.route``), traced to outlines with the page tracer
(``render.trace``) and set on a 1000-unit em with the generators' own metrics: the baseline at 0,
one x-height = ``x_height`` units (a square-em generator's x-height per em puts its em on the
font's em; else ``LATIN_X_HEIGHT``), advances as the generator spaces its ink, the word space and
line pitch as ``write`` sets them. ``variants`` draws each character N times (other seeds) and a
``calt`` feature cycles them, so that neighbouring letters never repeat one drawing. A small class
kerning (``kern``) closes gaps that single drawings leave between Latin letters (``To``, ``r.``).

Drawn glyphs are kept in a cache (npz chunks, never pickle) under the styles folder, so an
interrupted export goes on where it stopped; the font is written atomically.
"""

from __future__ import annotations

import hashlib
import json
import math
import statistics
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ..errors import InputError, OutputError, UsageError

UPM = 1000
LATIN_X_HEIGHT = 450  # units per x-height where no square-em script sets the em
MAX_GLYPHS = 65535  # a font's glyph ids are 16-bit
MAX_VARIANTS = 8
CHUNK = 64  # characters drawn per generate() call and cached per file
CACHE_FORMAT = 2  # 2: generators' own glyph hooks (latin cuts from words)
FORMATS = (".otf", ".ttf", ".woff2")
# The glyphs' outline level: the alpha at a stroke's edge (with the tracer's local level for
# faint joins), the weight the hand has on a raster page. The page's vector ink traces bolder
# (trace.INK_LEVEL, what Tesseract reads from the raster); a font keeps the hand's weight, and
# its figures (CER, HarfBuzz L1) were measured at this level.
FONT_LEVEL = 0.5
FIT_UNITS = 4.0  # how far a traced outline may stray from the ink's edge: 0.4 % of the em
KERN_STEP = 0.2  # x-heights: profiles are grouped into kerning classes at this step
KERN_MIN = 0.1  # x-heights: smaller kerns are left out
KERN_MAX = 0.6  # x-heights: the most a pair is pulled together
Progress = Callable[[int, int, str], None]


@dataclass
class FontReport:
    """What an export wrote: the file, its family name, glyph count, characters, variants, which
    generator drew how many characters, how many draws came from the cache, the time taken."""

    path: Path
    family: str
    glyphs: int
    chars: int
    variants: int
    generators: dict
    drawn: int
    cached: int
    seconds: float
    kern_pairs: int
    cache: Path
    notes: list = field(default_factory=list)


@dataclass
class _Glyph:
    contours: list  # (n, 4, 2) cubic segments in font units, y up
    advance: int
    ink: tuple | None  # per band (below, x, above): (left, right) ink x extent, for kerning


def export_font(output, style=None, *, script: str | None = None, variants: int = 1,
                chars: str | None = None, seed: int = 0, family: str | None = None,
                weights=None, offline: bool | None = None, device: str = "cpu", registry=None,
                progress: Progress | None = None, cache_dir=None, notes: list | None = None
                ) -> FontReport:
    """Write the hand ``style`` (a stored style, a model's named style, a number, or ``None``
    for the default hands) as the font ``output`` (.otf: CFF outlines; .ttf, .woff2: quadratic
    glyf). ``script`` (``Latn``, ``Hang``, ...) keeps one script's generators (and the common
    characters they write); ``chars`` gives the characters instead of the generators' whole
    sets. ``variants`` drawings per character cycle through ``calt``."""
    start = time.monotonic()
    output = Path(output)
    fmt = _format(output)
    if not isinstance(variants, int) or not 1 <= variants <= MAX_VARIANTS:
        raise UsageError(f"--variants {variants} is out of range",
                         f"give 1 to {MAX_VARIANTS} drawings per character")
    from ..device import check_device_name
    from ..options import check_seed
    from ..render.output import check_output_path

    check_seed(seed)
    check_device_name(device)
    check_output_path(output)  # before minutes of drawing, not after
    from ..registry import default_registry

    registry = registry or default_registry()
    plan = _plan(registry, style, script, chars, weights, offline)
    glyph_count = 2 + len(plan.chars) * variants  # .notdef and space
    if glyph_count > MAX_GLYPHS:
        raise UsageError(f"the font would hold {glyph_count:,} glyphs ({len(plan.chars):,} "
                         f"characters x {variants} variants); a font holds at most {MAX_GLYPHS:,}",
                         "give fewer --variants, or split the characters over several fonts "
                         "with --chars or --charset-file")
    cache = Path(cache_dir) if cache_dir is not None else _cache_root()
    drawn = _Drawer(registry, plan, weights, offline, device, seed, cache, progress)
    inks = drawn.draw(variants)
    x_height = _x_height(registry, plan, weights, offline)
    glyphs = {key: _glyph(ink, x_height) for key, ink in inks.items()}
    fam = family or _family(style)
    font, kern_pairs = _build(plan, glyphs, variants, x_height, fam, fmt,
                              _licence(registry, plan, weights, offline), style)
    from ..atomic import atomic_path

    try:
        with atomic_path(output) as tmp:
            if fmt == ".woff2":
                font.flavor = "woff2"
            font.save(str(tmp))
    except OSError as exc:
        raise OutputError(f"cannot write {output}: {exc.strerror or exc}",
                          "check the folder exists and is writable") from None
    if notes is not None:
        notes.extend(plan.notes)
    return FontReport(output, fam, glyph_count, len(plan.chars), variants,
                      {g: sum(1 for c in plan.chars if plan.writer[c] == g) for g in plan.order},
                      drawn.drawn, drawn.cached, time.monotonic() - start, kern_pairs, drawn.folder,
                      list(plan.notes))


def _format(output: Path) -> str:
    suffix = output.suffix.lower()
    if suffix not in FORMATS:
        raise UsageError(f"cannot tell the font format of {output.name!r}",
                         "name the output .otf, .ttf or .woff2")
    if suffix == ".woff2":
        try:
            import brotli  # noqa: F401  (fontTools writes woff2 with it)
        except ImportError:
            raise UsageError("writing .woff2 needs the brotli module",
                             "pip install 'fonttools[woff]', or write .otf or .ttf") from None
    return suffix


# ----------------------------------------------------------------------------------------------
# which generator draws which character, with which style


@dataclass
class _Plan:
    chars: list  # in cmap order
    writer: dict  # char -> generator name
    styles: dict  # generator -> what --style means for it (absent: its default)
    order: list  # generators, as first used
    scripts: set  # OpenType scripts of the characters (for languagesystem)
    style_key: str
    notes: list


def _plan(registry, style, script, chars, weights, offline) -> _Plan:
    from ..options import parse_style
    from ..plan import Planner, parse_script
    from ..text.scripts import WEAK, glyph_script
    from .route import parse_choice, route

    code = None
    if script is not None:
        try:
            code = parse_script(script)
        except UsageError:
            raise UsageError(f"unknown script {script!r} in --script",
                             "use an ISO 15924 code or name such as Latn, Hang or Hani") from None
    choice = parse_choice(parse_style(style))
    specs = [s for s in registry.specs() if s.auto and not s.fallback]
    if choice.kind == "none":
        takers: dict = {s.name: None for s in specs}
    else:
        takers, _ = route(choice, specs, weights, offline)
    what = f"style {style}" if style is not None else "the default hands"
    if code is not None:
        serving = {n: v for n, v in takers.items() if registry.get(n).serves(code)}
        if not serving:
            has = sorted({sc for n in takers for sc in registry.get(n).scripts})
            raise UsageError(f"{what} has no generator for {code}; it writes "
                             f"{', '.join(has) or 'nothing'}",
                             f"export one of those with --script, or add samples of {code} with "
                             "`hwrender styles add NAME DIR --force`")
        takers = serving
    planner = Planner(registry)
    if chars is None:
        wanted: dict = {}
        for name in takers:
            spec = registry.get(name)
            if spec._charset is None:
                raise UsageError(f"generator {name} writes any character",
                                 "say which with --chars or --charset-file")
            for ch in sorted(spec._charset):
                sc = glyph_script(ch)
                if code is None or sc == code or (sc in WEAK and spec.serves(code)):
                    wanted[ch] = None
        chars = "".join(wanted)
    text = "".join(dict.fromkeys(c for c in unicodedata.normalize("NFC", chars)
                                 if c.isprintable() and not c.isspace()))
    if not text:
        raise UsageError("no characters to put in the font", "give some with --chars")
    if code is not None:  # --chars of another script than --script: it wrote them regardless
        other = [c for c in text if glyph_script(c) not in WEAK and glyph_script(c) != code]
        if other:
            raise UsageError(f"--chars holds {''.join(other[:5])}{' ...' if len(other) > 5 else ''}, "
                             f"not of --script {code} ({glyph_script(other[0])})",
                             "leave out --script, or give that script's characters")
    writer: dict = {}
    notes: list = []
    missing: list = []
    defaulted: dict = {}
    for ch in text:
        sc = glyph_script(ch)
        alt = code if sc in WEAK else None
        name = next((s.name for s in planner.order(ch, sc, alt) if s.name in takers and s.covers(ch)),
                    None)
        if name is None:  # what write would do; that generator writes its default hand
            name = planner.choose(ch, sc, alt)
            if name is None:
                missing.append(ch)
                continue
            defaulted.setdefault(name, []).append(ch)
        writer[ch] = name
    if missing:
        shown = " ".join(missing[:8]) + (f" and {len(missing) - 8} more" if len(missing) > 8 else "")
        raise UsageError(f"no generator writes {shown}", "leave them out of --chars")
    for name, cs in defaulted.items():
        if choice.kind != "none":
            notes.append(f"{name} writes {''.join(cs[:10])}{'...' if len(cs) > 10 else ''} in its "
                         f"default hand ({what} has no {name} part)")
    order = list(dict.fromkeys(writer.values()))
    styles = {n: takers[n] for n in order if n in takers and takers[n] is not None}
    used = sorted({glyph_script(c) for c in writer} - set(WEAK))
    return _Plan(list(writer), writer, styles, order, set(used), _style_key(styles), notes)


def _style_key(styles: dict) -> str:
    """What identifies the hands drawing, for the cache: a stored style by its parts' files."""
    from .types import UserStyle

    parts = {}
    for name, st in sorted(styles.items()):
        if isinstance(st, UserStyle):
            files = []
            for part in st.parts:
                try:
                    stat = part.tensors_path.stat()
                    files.append((part.model, part.config_json, stat.st_size, stat.st_mtime_ns))
                except OSError:
                    files.append((part.model, part.config_json))
            parts[name] = ["user", st.name, files]
        else:
            parts[name] = str(st)
    return json.dumps(parts, sort_keys=True)


# ----------------------------------------------------------------------------------------------
# drawing, with a cache of what was drawn


def _cache_root() -> Path:
    from .store import root

    return root() / ".font-cache"


class _Drawer:
    """Draws every (variant, character) in chunks of CHUNK per generator; each chunk is one npz
    file (alpha as uint8, metrics) written atomically, so an interrupted export keeps them."""

    def __init__(self, registry, plan: _Plan, weights, offline, device, seed, cache: Path,
                 progress: Progress | None):
        self.registry, self.plan, self.weights, self.offline = registry, plan, weights, offline
        self.device, self.seed, self.progress = device, seed, progress
        ident = json.dumps([CACHE_FORMAT, plan.style_key, str(weights), seed,
                            [_model_identity(registry.get(n), weights) for n in plan.order]])
        self.folder = cache / hashlib.sha256(ident.encode()).hexdigest()[:20]
        self.drawn = self.cached = 0

    def draw(self, variants: int) -> dict:
        from ..pipeline import _seed

        jobs = []
        for v in range(variants):
            for name in self.plan.order:
                mine = [c for c in self.plan.chars if self.plan.writer[c] == name]
                for k in range(0, len(mine), CHUNK):
                    jobs.append((v, name, k // CHUNK, mine[k:k + CHUNK]))
        total = sum(len(j[3]) for j in jobs)
        out: dict = {}
        done = 0
        self._say(0, total, "starting")
        for v, name, k, chunk in jobs:
            path = self.folder / f"{name}-v{v}-{k:05d}.npz"
            inks = _load_chunk(path, chunk)
            if inks is None:
                gen = self.registry.instance(name, self.weights, self.offline)
                device = self.device
                if self.registry.get(name).weights:
                    from ..device import resolve_device

                    device = resolve_device(device)
                # a generator may draw single characters its own way (latin: cut from words)
                draw = getattr(gen, "glyphs", None) or gen.generate
                inks = draw(chunk, self.plan.styles.get(name), _seed(self.seed, "font", name, v, k),
                            device)
                if len(inks) != len(chunk):
                    from ..errors import GeneratorError

                    raise GeneratorError(f"generator {name!r} returned {len(inks)} images for "
                                         f"{len(chunk)} characters", "report this to the plugin's authors")
                inks = _save_chunk(path, chunk, inks)
                self.drawn += len(chunk)
            else:
                self.cached += len(chunk)
            for ch, ink in zip(chunk, inks):
                out[(ch, v)] = ink
            done += len(chunk)
            self._say(done, total, f"{name} variant {v + 1}/{variants}")
        return out

    def _say(self, done, total, message):
        if self.progress is not None:
            self.progress(done, total, message)


def _model_identity(spec, weights) -> str:
    """The model a generator loads, for the cache key: its manifest (names and checksums)."""
    if not spec.weights:
        return spec.name
    from ..weights import local_folder

    folder = Path(weights) / spec.weights if weights is not None else local_folder(spec.weights)
    if weights is not None and not (folder / "manifest.json").is_file():
        folder = Path(weights)
    try:
        return hashlib.sha256((folder / "manifest.json").read_bytes()).hexdigest()  # type: ignore[operator]
    except (OSError, TypeError):
        return f"{spec.name}:{weights}"


def _save_chunk(path: Path, chunk: Sequence[str], inks) -> list:
    """Quantise the inks to uint8 (what the cache keeps, so a cached and a fresh export trace
    the same alpha) and store them; returns the quantised inks."""
    from ..atomic import write_atomic
    from ..ink import InkImage

    alphas = [np.clip(np.rint(np.nan_to_num(i.alpha) * 255), 0, 255).astype(np.uint8) for i in inks]
    shapes = np.array([a.shape for a in alphas], np.int32).reshape(-1, 2)
    flat = np.concatenate([a.ravel() for a in alphas]) if alphas else np.zeros(0, np.uint8)
    metrics = np.array([[i.baseline, i.x_height, i.advance] for i in inks], np.float64).reshape(-1, 3)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, lambda tmp: np.savez_compressed(tmp, chars=np.array(list(chunk), dtype="U1"),
                                                       shapes=shapes, alpha=flat, metrics=metrics))
    return [InkImage(a.astype(np.float32) / 255, baseline=m[0], x_height=m[1], advance=m[2], text=c)
            for a, m, c in zip(alphas, metrics, chunk)]


def _load_chunk(path: Path, chunk: Sequence[str]) -> list | None:
    """The cached inks of ``chunk``, or None (absent, damaged, or for other characters)."""
    from ..ink import InkImage

    try:
        with np.load(path, allow_pickle=False) as data:
            if list(data["chars"]) != list(chunk):
                return None
            shapes, flat, metrics = data["shapes"], data["alpha"], data["metrics"]
    except (OSError, ValueError, KeyError, EOFError):
        return None
    out, at = [], 0
    try:
        for (h, w), m, c in zip(shapes, metrics, chunk):
            a = flat[at:at + h * w].reshape(h, w).astype(np.float32) / 255
            at += h * w
            out.append(InkImage(a, baseline=float(m[0]), x_height=float(m[1]), advance=float(m[2]),
                                text=c))
    except ValueError:
        return None
    return out if at == len(flat) else None


# ----------------------------------------------------------------------------------------------
# outlines and metrics


def _x_height(registry, plan: _Plan, weights, offline) -> float:
    """Units per x-height: a square-em generator (Hangul, Han) that says its x-height per em sets
    it so its em is the font's em; otherwise LATIN_X_HEIGHT."""
    for name in plan.order:
        spec = registry.get(name)
        if spec.unit != "glyph":
            continue
        gen = registry.instance(name, weights, offline)
        per_em = getattr(gen, "x_height_em", None) or getattr(getattr(gen, "styler", None),
                                                               "x_height_em", None)
        if per_em:
            return float(per_em) * UPM
    return float(LATIN_X_HEIGHT)


def _glyph(ink, x_height: float) -> _Glyph:
    from ..render.trace import FIT_TOLERANCE_PT, LOCAL_FLOOR, fit_tolerance, trace_many, transform

    s = x_height / ink.x_height
    # the tracer's tolerance is set in page points per ink px: ask for FIT_UNITS font units
    tolerance = fit_tolerance(FIT_TOLERANCE_PT * s / FIT_UNITS)
    outline = trace_many([ink.alpha], FONT_LEVEL, tolerance, local_floor=LOCAL_FLOOR)[0]
    contours = transform(outline, (s, 0.0, 0.0, -s, 0.0, ink.baseline * s))
    contours = [c for c in contours if len(c) >= 2]
    return _Glyph(contours, max(0, round(ink.advance * s)), _bands(contours, x_height))


def _bands(contours, x_height: float) -> tuple | None:
    """(left, right) ink x extent in each band (below the baseline, the x band, above it)."""
    if not contours:
        return None
    pts = np.concatenate([c.reshape(-1, 2) for c in contours])
    out = []
    for lo, hi in ((-math.inf, 0.0), (0.0, x_height), (x_height, math.inf)):
        inside = pts[(pts[:, 1] >= lo) & (pts[:, 1] < hi)]
        out.append((float(inside[:, 0].min()), float(inside[:, 0].max())) if len(inside) else None)
    return tuple(out)


def _draw(pen, contours) -> None:
    for c in contours:
        pen.moveTo(tuple(c[0, 0]))
        for seg in c:
            pen.curveTo(tuple(seg[1]), tuple(seg[2]), tuple(seg[3]))
        pen.closePath()


def _notdef(pen, x_height: float) -> None:
    w, h, t = round(0.6 * x_height), round(1.5 * x_height), max(20, round(0.08 * x_height))
    for (x0, y0, x1, y1), outer in (((50, 0, 50 + w, h), True), ((50 + t, t, 50 + w - t, h - t), False)):
        pts = [(x0, y0), (x0, y1), (x1, y1), (x1, y0)]  # clockwise: TrueType's outer direction
        if not outer:
            pts.reverse()
        pen.moveTo(pts[0])
        for p in pts[1:]:
            pen.lineTo(p)
        pen.closePath()


def glyph_name(ch: str) -> str:
    from fontTools.agl import UV2AGL

    cp = ord(ch)
    name = UV2AGL.get(cp) if cp < 0x80 else None
    return name or (f"uni{cp:04X}" if cp <= 0xFFFF else f"u{cp:05X}")


def _build(plan: _Plan, glyphs: dict, variants: int, x_height: float, family: str, fmt: str,
           licence: str, style):
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.boundsPen import BoundsPen

    ttf = fmt != ".otf"
    names = {ch: glyph_name(ch) for ch in plan.chars}
    order = [".notdef", "space"] + [names[c] for c in plan.chars] + \
        [f"{names[c]}.alt{v}" for v in range(1, variants) for c in plan.chars]
    by_name = {"space": None}
    for (ch, v), g in glyphs.items():
        by_name[names[ch] if v == 0 else f"{names[ch]}.alt{v}"] = g
    space = round(_word_space() * x_height)
    fb = FontBuilder(UPM, isTTF=ttf)
    fb.setupGlyphOrder(order)
    fb.setupCharacterMap({32: "space", **{ord(c): names[c] for c in plan.chars}})
    metrics = {}
    if ttf:
        from fontTools.pens.cu2quPen import Cu2QuPen
        from fontTools.pens.ttGlyphPen import TTGlyphPen

        outlines = {}
        for name in order:
            pen = TTGlyphPen(None)
            if name == ".notdef":
                _notdef(pen, x_height)
            elif by_name[name] is not None:
                # y flipped, the traced outer contours run counter-clockwise: TrueType's run clockwise
                _draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True), by_name[name].contours)
            outlines[name] = pen.glyph()
        fb.setupGlyf(outlines)
        glyf = fb.font["glyf"]
        for name in order:
            g = outlines[name]
            g.recalcBounds(glyf)
            metrics[name] = (_advance(name, by_name, space, x_height), getattr(g, "xMin", 0))
    else:
        from fontTools.pens.t2CharStringPen import T2CharStringPen

        charstrings = {}
        for name in order:
            adv = _advance(name, by_name, space, x_height)
            pen, bounds = T2CharStringPen(adv, None), BoundsPen(None)
            if name == ".notdef":
                from fontTools.pens.reverseContourPen import ReverseContourPen

                _notdef(ReverseContourPen(pen), x_height)
                _notdef(bounds, x_height)
            elif by_name[name] is not None:
                _draw(pen, by_name[name].contours)
                _draw(bounds, by_name[name].contours)
            charstrings[name] = pen.getCharString()
            metrics[name] = (adv, round(bounds.bounds[0]) if bounds.bounds else 0)
        ps = _ps_name(family)
        fb.setupCFF(ps, {"FullName": family, "FamilyName": family, "Weight": "Regular"},
                    charstrings, {})
    fb.setupHorizontalMetrics(metrics)
    tops = [p for g in glyphs.values() for c in g.contours for p in (c[..., 1].max(), c[..., 1].min())]
    ascent = max(round(max(tops, default=UPM * 0.8)), round(1.6 * x_height))
    descent = max(round(-min(tops, default=0)), round(0.5 * x_height))
    gap = max(0, round(_line_pitch() * x_height) - ascent - descent)
    fb.setupHorizontalHeader(ascent=ascent, descent=-descent, lineGap=gap)
    from .. import __version__

    made = f"Drawn by hwrender {__version__}"
    fb.setupNameTable({
        "copyright": f"{made} ({', '.join(plan.order)}){_style_line(style)}",
        "familyName": family, "styleName": "Regular",
        "uniqueFontIdentifier": f"hwrender:{_ps_name(family)}:{__version__}",
        "fullName": family, "psName": _ps_name(family), "version": f"Version {_font_version()}",
        "manufacturer": "hwrender", "description": f"{made}: each character drawn by the generator "
                                                   f"hwrender writes it with",
        "licenseDescription": licence,
    })
    cap = [g for (ch, v), g in glyphs.items() if ch == "H" and v == 0 and g.contours]
    cap_height = round(max(c[..., 1].max() for c in cap[0].contours)) if cap else round(1.5 * x_height)
    fb.setupOS2(sTypoAscender=ascent, sTypoDescender=-descent, sTypoLineGap=gap,
                usWinAscent=ascent, usWinDescent=descent, sxHeight=round(x_height),
                sCapHeight=cap_height, fsSelection=0x40 | 0x80, achVendID="HWRD",
                version=4)  # 0x80: USE_TYPO_METRICS
    fb.setupPost()
    fea, kern_pairs = _features(plan, by_name, names, variants, x_height)
    if fea:
        fb.addOpenTypeFeatures(fea)
    os2 = fb.font["OS/2"]
    os2.recalcUnicodeRanges(fb.font)
    os2.recalcCodePageRanges(fb.font)
    return fb.font, kern_pairs


def _advance(name, by_name, space, x_height) -> int:
    if name == "space":
        return space
    if name == ".notdef":
        return round(0.6 * x_height) + 100
    return by_name[name].advance


def _word_space() -> float:
    from ..layout.geometry import WORD_SPACE_PER_X_HEIGHT

    return WORD_SPACE_PER_X_HEIGHT


def _line_pitch() -> float:
    from ..layout.geometry import LINE_HEIGHT_PER_X_HEIGHT

    return LINE_HEIGHT_PER_X_HEIGHT


def _font_version() -> str:
    from .. import __version__

    parts = [int(p) for p in __version__.split(".")[:2] if p.isdigit()] + [0, 0]
    return f"{parts[0]}.{parts[1]:03d}"


def _ps_name(family: str) -> str:
    kept = "".join(c for c in family if c.isascii() and (c.isalnum() or c == "-"))
    return (kept or "hwrender")[:55] + "-Regular"


def _style_line(style) -> str:
    return "" if style is None else f"; style {style}"


def _family(style) -> str:
    """``my-hand`` -> ``My Hand``; a shipped hand or number keeps hwrender's name in front."""
    from .store import find

    if style is None:
        return "hwrender Hand"
    text = str(style)
    words = text.replace("-", " ").replace("_", " ").replace(".", " ").split()
    title = " ".join(w[:1].upper() + w[1:] for w in words) or text
    return title if find(text) is not None else f"hwrender {title}"


def _licence(registry, plan: _Plan, weights, offline) -> str:
    """One line per generator: the licence its model card gives (weights), or its font's own
    licence description (the font fallback draws a font's glyphs)."""
    lines = []
    for name in plan.order:
        spec = registry.get(name)
        text = None
        if spec.weights:
            text = _card_licence(spec, weights, offline)
        elif spec.text_font:
            text = _font_licence(spec.text_font)
        lines.append(f"{name}: {text or 'no licence recorded'}")
    return "Glyphs drawn by hwrender's generators. " + " | ".join(lines)


def _card_licence(spec, weights, offline) -> str | None:
    from ..weights import model_files

    try:
        card = (Path(model_files(spec.weights, weights, offline=offline).folder) / "README.md")
        text = card.read_text(encoding="utf-8")
    except Exception:  # a card is optional; the font says none was found
        return None
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("#") and "licen" in line.lower():
            para = []
            for body in lines[i + 1:]:
                if body.startswith("#") or (para and not body.strip()) or body.startswith("|"):
                    break
                if body.strip():
                    para.append(body.strip())
            if para:
                return " ".join(para)
    return None


def _font_licence(path) -> str | None:
    from fontTools.ttLib import TTFont

    try:
        with TTFont(path, lazy=True) as font:
            desc = font["name"].getDebugName(13)
            return f"derived from {Path(path).name}: {desc}" if desc else None
    except Exception:
        return None


# ----------------------------------------------------------------------------------------------
# OpenType features: calt (variants in turn) and kern


def _features(plan: _Plan, glyphs: dict, names: dict, variants: int, x_height: float) -> tuple[str, int]:
    tags = {"Latn": "latn", "Hang": "hang", "Hani": "hani", "Cyrl": "cyrl", "Grek": "grek"}
    systems = ["languagesystem DFLT dflt;"] + [f"languagesystem {tags[s]} dflt;"
                                               for s in sorted(plan.scripts) if s in tags]
    blocks = []
    if variants > 1:
        classes = [" ".join(names[c] + ("" if v == 0 else f".alt{v}") for c in plan.chars)
                   for v in range(variants)]
        rules = "\n".join(f"    sub @hw_v{v} @hw_v0' by @hw_v{v + 1};" for v in range(variants - 1))
        # each glyph after a glyph of variant v takes variant v+1 (the last one's successor the
        # default): the lookup sees what it already changed, so a run never repeats a drawing
        blocks.append("\n".join(f"@hw_v{v} = [{cls}];" for v, cls in enumerate(classes))
                      + f"\nfeature calt {{\n  lookup hw_cycle {{\n{rules}\n  }} hw_cycle;\n}} calt;")
    kern, pairs = _kern(glyphs, x_height)
    if kern:
        blocks.append(kern)
    if not blocks:
        return "", 0
    return "\n".join(systems) + "\n" + "\n".join(blocks) + "\n", pairs


def _kern(glyphs: dict, x_height: float) -> tuple[str, int]:
    """Class kerning for glyphs with ink below/at/above the x band (Latin letters, digits,
    punctuation; not square-em glyphs): glyphs grouped by their quantised side profile; a pair
    whose closest facing profiles stand further apart than the hand's usual gap (the median over
    the x band) is pulled in, by at most KERN_MAX x-heights. Never pushed apart."""
    from ..text.scripts import glyph_script

    step = KERN_STEP * x_height
    right, left = {}, {}
    for name, g in glyphs.items():
        if g is None or g.ink is None or name.startswith("uni") and _square(name, glyph_script):
            continue
        right[name] = tuple(None if b is None else round((g.advance - b[1]) / step) for b in g.ink)
        left[name] = tuple(None if b is None else round(b[0] / step) for b in g.ink)
    usual = [r[1] + left[n][1] for n, r in right.items() if r[1] is not None and left[n][1] is not None]
    if len(usual) < 4:
        return "", 0
    target = statistics.median(usual)
    lclasses = _classes(right)
    rclasses = _classes(left)
    rules = []
    for i, (rp, lnames) in enumerate(lclasses):
        for j, (lp, rnames) in enumerate(rclasses):
            gaps = [a + b for a, b in zip(rp, lp) if a is not None and b is not None]
            if not gaps:
                continue
            value = -min(KERN_MAX * x_height, (min(gaps) - target) * step)
            if value <= -KERN_MIN * x_height:
                rules.append(f"  pos @hw_kl{i} @hw_kr{j} {round(value)};")
    if not rules:
        return "", 0
    defs = [f"@hw_kl{i} = [{' '.join(n)}];" for i, (_, n) in enumerate(lclasses)] + \
        [f"@hw_kr{j} = [{' '.join(n)}];" for j, (_, n) in enumerate(rclasses)]
    return "\n".join(defs) + "\nfeature kern {\n" + "\n".join(rules) + "\n} kern;", len(rules)


def _square(name: str, glyph_script) -> bool:
    base = name.split(".")[0]
    try:
        ch = chr(int(base[3:] if base.startswith("uni") else base[1:], 16))
    except ValueError:
        return False
    return glyph_script(ch) in ("Hang", "Hani", "Hira", "Kana", "Bopo")


def _classes(profiles: dict) -> list:
    groups: dict = {}
    for name, p in profiles.items():
        groups.setdefault(p, []).append(name)
    return sorted(groups.items(), key=lambda kv: kv[1][0])


# Named character sets (``--charset``), enumerated from Python's codecs (no data files): the
# encoding's rows of one script, every double-byte cell that decodes.
CHARSETS = {
    "ascii": "printable ASCII (94 characters)",
    "ksx1001": "the 2,350 Hangul syllables of KS X 1001 (EUC-KR rows 0xB0-0xC8)",
    "gb2312": "the 6,763 hanzi of GB 2312 (rows 0xB0-0xF7)",
}
_ROWS = {"ksx1001": ("euc-kr", 0xB0, 0xC8), "gb2312": ("gb2312", 0xB0, 0xF7)}


def named_charset(name: str) -> str:
    """The characters of the named set ``name`` (a key of ``CHARSETS``), in code order."""
    key = name.strip().lower().replace("-", "").replace("_", "").replace(" ", "")
    if key == "ascii":
        return "".join(chr(c) for c in range(0x21, 0x7F))
    if key not in _ROWS:
        raise UsageError(f"unknown character set {name!r}",
                         f"use one of {', '.join(CHARSETS)}, or give --chars or --charset-file")
    codec, first, last = _ROWS[key]
    out = []
    for lead in range(first, last + 1):
        for trail in range(0xA1, 0xFF):
            try:
                out.append(bytes([lead, trail]).decode(codec))
            except UnicodeDecodeError:  # the cells a row leaves empty
                pass
    return "".join(sorted(out))


def charset_file(path) -> str:
    """The characters of a text file (UTF-8), for ``--charset-file``."""
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"no such charset file: {path}", "give a UTF-8 text file of characters") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc}", "give a UTF-8 text file of characters") from None

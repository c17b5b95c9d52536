"""The options of ``hwrender write`` / ``hwrender.write``: their types, defaults and checks, and what
they turn into for layout and rendering (``_resolve``)."""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field, fields, replace
from typing import Callable, Mapping, Sequence

from .bounds import MAX_SEED, ORIENTATIONS
from .errors import UsageError
from .layout import LayoutStyle, make_geometry, parse_length, writing_metrics
from .plan import Planner, parse_overrides
from .registry import Registry
from .styles.route import StyleChoice, parse_choice, route

INK_RENDERS = ("raster", "vector")
_SEED_HINT = f"use a whole number from 0 to {MAX_SEED}"


def check_seed(seed: object) -> int:
    """``seed`` if it is a whole number in 0..MAX_SEED, else the one UsageError every command gives."""
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed <= MAX_SEED:
        raise UsageError(f"--seed {seed} is out of range", _SEED_HINT)
    return seed


@dataclass
class RenderOptions:
    """Every option of ``hwrender write``. Lengths accept units (``20mm``, ``0.75in``, ``12pt``);
    bare numbers are millimetres. Each field's type is checked before any work (``checked()``):
    a wrong one is a ``UsageError`` naming the field (``True`` is no number, NaN no length)."""

    # generators
    generators: Sequence[str] | Mapping[str, str] | None = None  # ["Latn=font"] or {"Latn": "font"}
    missing: str = "error"  # error | fallback
    style: str | int | None = None  # a named style, a number (seeded hand), a blend a:0.7,b:0.3, a stored style
    seed: int = 0  # 0..MAX_SEED; the same seed gives byte-identical output
    device: str = "auto"  # auto | cpu | cuda (neural generators)
    weights: str | None = None  # folder with model weights, before the bundled ones
    offline: bool = False  # never touch the network for weights
    # page
    page_size: str = "A4"  # A4, A5, Letter, Legal, or WxH with a unit (210x297mm, 8.5x11in)
    orientation: str | None = None  # portrait | landscape (None: the page size as given)
    margins: str = "20mm"  # one, two (vertical horizontal) or four (top right bottom left) lengths
    # writing
    x_height: str | float | None = None  # height of a lower-case x (default 2.8mm)
    line_height: str | float | None = None  # baseline to baseline (default x-height × 2.9)
    line_spacing: float = 1.0  # multiplies the line height
    word_spacing: float = 1.0  # multiplies the word space
    align: str = "left"  # left | justify
    indent: str | float = "0mm"  # first-line indent of paragraphs
    paragraph_gap: float = 1.0  # empty lines between paragraphs
    page_numbers: bool = False
    variation: float = 1.0  # natural irregularity: 0 = none, 1 = natural, up to MAX_VARIATION
    # paper and ink
    dpi: int = 300
    paper: str = "plain"  # plain | ruled | grid | dotted
    margin_line: bool = False
    paper_color: str = "white"
    ink_color: str = "blue-black"
    ink_render: str = "raster"  # raster (ink images resampled) | vector (traced outlines filled at the dpi)
    # output
    format: str | None = None  # png | jpeg | pdf (default: from the file suffix)
    title: str | None = None
    author: str | None = None
    subject: str | None = None
    strokes: bool = False  # SVG/PDF: single-line strokes (centre lines, no fills) for pen plotters

    @classmethod
    def from_kwargs(cls, **kwargs) -> "RenderOptions":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(kwargs) - known)
        if unknown:
            raise UsageError(f"unknown option {unknown[0]!r}",
                             f"options are: {', '.join(sorted(known))}")
        return cls(**kwargs)

    def checked(self) -> "RenderOptions":
        """A copy with every field's type checked (``UsageError`` naming the field) and the
        forgiving forms made canonical: ``style=5`` → ``"5"``, ``generators="Latn=font"`` →
        ``["Latn=font"]``, a ``Path`` for ``weights`` → ``str``. Values are checked later, by the
        parsers that use them."""
        changes = {}
        for f in fields(self):
            value = getattr(self, f.name)
            kind = _FIELD_KINDS[f.name]
            ok, description = _KINDS[kind]
            if not ok(value):
                example = f.default if f.default is not None else _EXAMPLES.get(f.name)
                raise UsageError(f"option {f.name} must be {description}, got {_shown(value)}",
                                 f"e.g. {f.name}={example!r}")
            canonical = _CANONICAL.get(f.name, lambda v: v)(value)
            if canonical is not value:
                changes[f.name] = canonical
        return replace(self, **changes) if changes else self


def _is_number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _is_unicode(v: str) -> bool:
    try:
        v.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _is_whole(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)  # True is an int to Python


def _is_strings(v: object) -> bool:
    if isinstance(v, Mapping):
        return all(isinstance(k, str) and isinstance(x, str) for k, x in v.items())
    return isinstance(v, (list, tuple)) and all(isinstance(x, str) for x in v)


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


# What each kind of field accepts: (test, description for the error).
_KINDS: dict[str, tuple[Callable[[object], bool], str]] = {
    "str": (lambda v: isinstance(v, str), "a string"),
    "str?": (lambda v: v is None or isinstance(v, str), "a string or None"),
    # PDF metadata: a lone surrogate (bytes of an argument that were not UTF-8) failed in the
    # PDF writer after every page was drawn
    "text?": (lambda v: v is None or (isinstance(v, str) and _is_unicode(v)),
              "UTF-8 text or None"),
    "bool": (lambda v: isinstance(v, bool), "True or False"),
    "seed": (_is_whole, "a whole number"),
    "number": (_is_number, "a finite number"),
    "length": (lambda v: isinstance(v, str) or _is_number(v), "a length (a number of mm, or '20mm')"),
    "length?": (lambda v: v is None or isinstance(v, str) or _is_number(v),
                "a length (a number of mm, or '2.8mm') or None"),
    "style": (lambda v: v is None or isinstance(v, str) or _is_whole(v),
              "a style name, a whole number or None"),
    "generators": (lambda v: v is None or isinstance(v, str) or _is_strings(v),
                   "'SCRIPT=NAME' strings, a {script: generator name} dict, or None"),
    "path?": (lambda v: v is None or isinstance(v, (str, os.PathLike)), "a folder path or None"),
    "ink_render": (lambda v: isinstance(v, str) and v in INK_RENDERS,
                   " or ".join(repr(r) for r in INK_RENDERS)),
    # compound values (sizes, margins, colours): their own parsers raise UsageError for anything else
    "parsed": (lambda v: v is not None, "given"),
}


# Every RenderOptions field has a kind (a test checks the table covers them all).
_FIELD_KINDS = {
    "generators": "generators", "missing": "str", "style": "style", "seed": "seed",
    "device": "str", "weights": "path?", "offline": "bool", "page_size": "parsed",
    "orientation": "str?", "margins": "parsed", "x_height": "length?", "line_height": "length?",
    "line_spacing": "number", "word_spacing": "number", "align": "str", "indent": "length",
    "paragraph_gap": "number", "page_numbers": "bool", "variation": "number", "dpi": "number",
    "paper": "str", "margin_line": "bool", "paper_color": "parsed", "ink_color": "parsed",
    "format": "str?", "title": "text?", "author": "text?", "subject": "text?",
    "ink_render": "ink_render", "strokes": "bool",
}


_EXAMPLES = {"generators": ["Latn=font"], "style": "neat", "weights": "runs/latin/model",
             "orientation": "landscape", "x_height": "2.8mm", "line_height": "8mm",
             "format": "pdf", "title": "Letter", "author": "Ada", "subject": "Notes"}


_CANONICAL: dict[str, Callable[[object], object]] = {
    "style": lambda v: str(v) if _is_whole(v) else v,
    "generators": lambda v: [p.strip() for p in v.split(",") if p.strip()] if isinstance(v, str) else v,
    "weights": lambda v: os.fspath(v) if isinstance(v, os.PathLike) else v,
}


def _options(options: RenderOptions | None, kwargs: dict) -> RenderOptions:
    if options is not None and kwargs:
        raise UsageError("pass either options= or keyword options, not both",
                         "merge them into one RenderOptions")
    if options is not None and not isinstance(options, RenderOptions):
        raise UsageError(f"options must be a RenderOptions, got {type(options).__name__}",
                         "pass the options as keywords, or RenderOptions(**them)")
    return (options or RenderOptions.from_kwargs(**kwargs)).checked()


@dataclass
class _Resolved:
    """Options turned into the objects layout and rendering use (validated up front)."""

    geometry: object
    style: LayoutStyle
    paper: object
    ink_rgb: tuple
    dpi: float
    planner: Planner
    style_choice: StyleChoice = field(default_factory=lambda: StyleChoice("none"))
    generator_styles: dict = field(default_factory=dict)  # filled by route_styles once planned

    def route_styles(self, specs, weights, offline) -> list[str]:
        """Give each of ``specs`` (the generators writing the text) what ``--style`` means for it;
        returns notes for the user."""
        self.generator_styles, notes = route(self.style_choice, specs, weights, offline)
        return notes


def _resolve(opts: RenderOptions, registry: Registry) -> _Resolved:
    from .render import check_dpi, paper_style, parse_color

    if opts.orientation is not None and opts.orientation not in ORIENTATIONS:
        raise UsageError(f"unknown orientation {opts.orientation!r}", "use portrait or landscape")
    check_seed(opts.seed)
    from .device import check_device_name

    check_device_name(opts.device)
    geometry = make_geometry(_size_mm(opts.page_size), opts.orientation, opts.margins)
    x_height, line_height, word_space = writing_metrics(
        _mm(opts.x_height), _mm(opts.line_height), opts.line_spacing, opts.word_spacing)
    indent = parse_length(opts.indent or 0)
    style = LayoutStyle(x_height=x_height, line_height=line_height, word_space=word_space,
                        align=opts.align, indent=indent, paragraph_gap=opts.paragraph_gap,
                        page_numbers=opts.page_numbers, variation=opts.variation, seed=opts.seed)
    dpi = check_dpi(opts.dpi, geometry)
    paper = paper_style(opts.paper, margin_line=opts.margin_line, paper_color=opts.paper_color)
    ink_rgb = parse_color(opts.ink_color)
    ratio = contrast(ink_rgb, paper.paper_color)
    if ratio < MIN_CONTRAST:  # white on white wrote blank pages without a word
        import warnings

        from .errors import HwrenderWarning

        warnings.warn(HwrenderWarning(
            f"the ink {_hex(ink_rgb)} on the paper {_hex(paper.paper_color)} has a contrast of only "
            f"{ratio:.2f}:1, so the writing will hardly show (choose an ink that stands out from the paper)"),
            stacklevel=4)
    overrides = parse_overrides(opts.generators, registry)
    planner = Planner(registry, overrides, opts.missing)
    return _Resolved(geometry, style, paper, ink_rgb, dpi, planner,
                     parse_choice(parse_style(opts.style)))


MIN_CONTRAST = 1.5  # WCAG contrast ratio under which ink hardly shows on its paper (text wants 4.5)


def contrast(a: tuple, b: tuple) -> float:
    """The WCAG 2 contrast ratio of two sRGB colours (1 to 21)."""
    def luminance(rgb):
        lin = [(c / 255) / 12.92 if c / 255 <= 0.04045 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb[:3]]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _hex(rgb: tuple) -> str:
    return "#" + "".join(f"{int(c):02x}" for c in rgb[:3])


def _mm(value):
    """In the API every bare number is millimetres (layout's own functions take points)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value}mm"
    return value


def _size_mm(size):
    """A (width, height) pair of bare numbers is millimetres, as every bare number in the API is
    (``parse_page_size`` took it as points: ``(80, 60)`` gave a 28 x 21 mm page)."""
    if isinstance(size, (tuple, list)) and len(size) == 2 and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in size):
        return f"{size[0]}x{size[1]}mm"
    return size


_NUMBER = re.compile(r"[+-]?[0-9]+")


def parse_style(style: str | int | None, what: str = "--style") -> str | None:
    """A style as the generators get it: ``None`` (each one's default), a seed style as a
    canonical decimal string (``"5"``, within 0..MAX_SEED), or a name/blend, stripped.

    Only ASCII digits make a number: ``"²"`` passes ``str.isdigit`` (which the generators test)
    but ``int`` refuses it, so digits of any other kind are refused here."""
    if style is None:
        return None
    if _is_whole(style):
        style = str(style)
    if not isinstance(style, str):
        raise UsageError(f"{what} must be a name or a number, got {_shown(style)}",
                         "`hwrender generators` lists the named styles")
    text = style.strip()
    if not text:
        raise UsageError(f"{what} is empty", "give a named style or a number")
    if _NUMBER.fullmatch(text):
        if not 0 <= int(text) <= MAX_SEED:
            raise UsageError(f"{what} {text} is out of range for a seeded hand",
                             f"{_SEED_HINT}, or a named style: `hwrender generators` lists them")
        return str(int(text))
    if text.isdigit():
        raise UsageError(f"{what} {text!r} is not a number",
                         "number a seeded hand with the digits 0-9, e.g. 7")
    return text

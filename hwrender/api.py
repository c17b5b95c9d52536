"""The Python API: text in, handwritten pages out. The CLI is a thin layer over this module.

    import hwrender
    hwrender.write("Hello World", "page.pdf", paper="ruled", ink_color="blue-black")
    images = hwrender.render_pages("Hello World", dpi=150)   # list of PIL images

Every option of ``hwrender write`` is a keyword argument here (see ``RenderOptions``).
Pages stream: text is planned and checked first, then written page by page, so a long text
renders with bounded memory and a bad option or an unsupported character fails before any work.
"""

from __future__ import annotations

import io
import math
import os
import re
import sys
import warnings
import zlib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Callable, Iterator, Mapping, Sequence

from .errors import HwrenderWarning, InputError, UsageError
from .layout import (
    Box,
    LayoutStyle,
    LineBreak,
    PageLayout,
    ParagraphBreak,
    layout_pages,
    make_geometry,
    parse_length,
    writing_metrics,
)
from .layout.geometry import MAX_VARIATION
from .plan import Piece, Planner, parse_overrides
from .registry import Registry, default_registry
from .text.breaking import NO_LINE_END, NO_LINE_START
from .text.segment import BREAK_BETWEEN_CHARS, Word, iter_tokens, normalize

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    from PIL import Image

    from .ink import InkImage

ALIGNS = ("left", "justify")
ORIENTATIONS = ("portrait", "landscape")
# Words handed to the generators per batch: big enough for one forward pass per generator and
# page, small enough that memory stays bounded on long texts.
CHUNK_WORDS = 256
# Seeds (--seed, and a number as --style) are 0..2**32-1: every generator's seeding
# (torch.manual_seed, numpy's default_rng) takes these, and a bigger number overflowed one of them.
MAX_SEED = 2**32 - 1
_SEED_HINT = f"use a whole number from 0 to {MAX_SEED}"


@dataclass
class RenderOptions:
    """Every option of ``hwrender write``. Lengths accept units (``20mm``, ``0.75in``, ``12pt``);
    bare numbers are millimetres. Each field's type is checked before any work (``checked()``):
    a wrong one is a ``UsageError`` naming the field (``True`` is no number, NaN no length)."""

    # generators
    generators: Sequence[str] | Mapping[str, str] | None = None  # ["Latn=font"] or {"Latn": "font"}
    missing: str = "error"  # error | fallback
    style: str | int | None = None  # a named style (`hwrender generators`) or a number (seeded hand)
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
    # output
    format: str | None = None  # png | jpeg | pdf (default: from the file suffix)
    title: str | None = None
    author: str | None = None
    subject: str | None = None

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
    "format": "str?", "title": "str?", "author": "str?", "subject": "str?",
}
_EXAMPLES = {"generators": ["Latn=font"], "style": "neat", "weights": "runs/latin/model",
             "orientation": "landscape", "x_height": "2.8mm", "line_height": "8mm",
             "format": "pdf", "title": "Letter", "author": "Ada", "subject": "Notes"}
_CANONICAL: dict[str, Callable[[object], object]] = {
    "style": lambda v: str(v) if _is_whole(v) else v,
    "generators": lambda v: [p.strip() for p in v.split(",") if p.strip()] if isinstance(v, str) else v,
    "weights": lambda v: os.fspath(v) if isinstance(v, os.PathLike) else v,
}
@dataclass
class RenderedPage:
    """A laid-out page and its ink coverage (uint8, 255 = full ink) at the options' DPI."""

    layout: PageLayout
    coverage: "np.ndarray"


@dataclass
class _Resolved:
    """Options turned into the objects layout and rendering use (validated up front)."""

    geometry: object
    style: LayoutStyle
    paper: object
    ink_rgb: tuple
    dpi: float
    planner: Planner
    generator_styles: dict = field(default_factory=dict)


def _resolve(opts: RenderOptions, registry: Registry) -> _Resolved:
    from .render import check_dpi, paper_style, parse_color

    if opts.align not in ALIGNS:
        raise UsageError(f"unknown alignment {opts.align!r}", "use left or justify")
    if opts.orientation is not None and opts.orientation not in ORIENTATIONS:
        raise UsageError(f"unknown orientation {opts.orientation!r}", "use portrait or landscape")
    if not 0 <= opts.seed <= MAX_SEED:
        raise UsageError(f"--seed {opts.seed} is out of range", _SEED_HINT)
    if not 0 <= opts.variation <= MAX_VARIATION:
        raise UsageError(f"--variation {opts.variation:g} is out of range",
                         f"use a value from 0 to {MAX_VARIATION:g}: 0 is regular, 1 natural")
    if opts.paragraph_gap < 0:
        raise UsageError(f"--paragraph-gap {opts.paragraph_gap} is negative", "use 0 or more lines")
    from .device import check_device_name

    check_device_name(opts.device)
    geometry = make_geometry(opts.page_size, opts.orientation, opts.margins)
    x_height, line_height, word_space = writing_metrics(
        _mm(opts.x_height), _mm(opts.line_height), opts.line_spacing, opts.word_spacing)
    indent = parse_length(opts.indent or 0)
    style = LayoutStyle(x_height=x_height, line_height=line_height, word_space=word_space,
                        align=opts.align, indent=indent, paragraph_gap=opts.paragraph_gap,
                        page_numbers=opts.page_numbers, variation=opts.variation, seed=opts.seed)
    from .layout import check_fits

    check_fits(geometry, style)
    dpi = check_dpi(opts.dpi, geometry)
    paper = paper_style(opts.paper, margin_line=opts.margin_line, paper_color=opts.paper_color)
    ink_rgb = parse_color(opts.ink_color)
    overrides = parse_overrides(opts.generators, registry)
    planner = Planner(registry, overrides, opts.missing)
    return _Resolved(geometry, style, paper, ink_rgb, dpi, planner,
                     _generator_styles(opts.style, registry))


def _mm(value):
    """In the API every bare number is millimetres (layout's own functions take points)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value}mm"
    return value


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


def _generator_styles(style: str | int | None, registry: Registry) -> dict[str, str | None]:
    """Which generators get ``style``: those that know it (a number is a seed style for all)."""
    style = parse_style(style)
    if style is None:
        return {}
    if _NUMBER.fullmatch(style):
        return {s.name: style for s in registry.specs()}
    owners = {s.name: style for s in registry.specs() if style in s.styles}
    if not owners:
        known = sorted({st for s in registry.specs() for st in s.styles})
        raise UsageError(f"unknown style {style!r}",
                         f"--style takes a named style ({', '.join(known) or 'none here'}) or a "
                         f"number from 0 to {MAX_SEED} for a seeded hand; `hwrender generators` "
                         "lists each generator's styles")
    return owners


def _check_text(text: str, planner: Planner) -> None:
    """Plan every word once before rendering so that unsupported characters fail fast."""
    if not text.strip():
        raise InputError("the text to write is empty",
                         "give text as an argument, with --input FILE, or on standard input")
    missing: list[tuple[str, int]] = []
    for token in iter_tokens(text):
        if isinstance(token, Word):
            planner.plan_word(token, missing)
    if missing:
        raise planner.error(text, missing)
    for message in planner.override_notes():
        warnings.warn(message, HwrenderWarning, stacklevel=4)


def _seed(*parts: object) -> int:
    """A stable 31-bit seed from the document seed and a batch's identity."""
    return zlib.crc32(":".join(map(str, parts)).encode()) & 0x7FFFFFFF


@dataclass
class _Unit:
    """One generator call's unit and where its box goes."""

    text: str
    start: int
    generator: str
    join: str


class _Pipeline:
    """Turns text into a stream of layout items while keeping the ink images they refer to."""

    def __init__(self, text: str, opts: RenderOptions, res: _Resolved, registry: Registry):
        self.text = text
        self.opts = opts
        self.res = res
        self.registry = registry
        self.inks: dict[int, InkImage] = {}
        self._next_id = 0
        self._batch = 0
        self._resolved_device: str | None = None

    # -- units ---------------------------------------------------------------------------
    def _units_for_piece(self, piece: Piece, first: bool) -> list[_Unit]:
        spec = self.registry.get(piece.generator)
        per_char = spec.unit != "word" or piece.script in BREAK_BETWEEN_CHARS
        if not per_char:
            return [_Unit(piece.text, piece.start, piece.generator, "space" if first else "tight")]
        units = []
        for i, ch in enumerate(piece.text):
            if first and i == 0:
                join = "space"
            elif piece.script in BREAK_BETWEEN_CHARS and ch not in NO_LINE_START \
                    and piece.text[i - 1:i] not in NO_LINE_END:
                join = "break"
            else:
                join = "tight"
            units.append(_Unit(ch, piece.start + i, piece.generator, join))
        return units

    def _word_units(self, word) -> list[_Unit]:
        missing: list = []
        pieces = self.res.planner.plan_word(word, missing)
        units: list[_Unit] = []
        for k, piece in enumerate(pieces):
            units.extend(self._units_for_piece(piece, first=(k == 0)))
        return units

    # -- generation ----------------------------------------------------------------------
    def _generate(self, units: list[_Unit]) -> list[InkImage]:
        """One generate() call per generator for the whole batch; ink in unit order."""
        out: list[InkImage | None] = [None] * len(units)
        by_gen: dict[str, list[int]] = {}
        for i, u in enumerate(units):
            by_gen.setdefault(u.generator, []).append(i)
        self._batch += 1
        for name, idx in by_gen.items():
            gen = self.registry.instance(name, self.opts.weights, self.opts.offline or None)
            style = self.res.generator_styles.get(name)
            inks = gen.generate([units[i].text for i in idx], style,
                                _seed(self.opts.seed, name, self._batch), self._device(name))
            if len(inks) != len(idx):
                from .errors import GeneratorError

                raise GeneratorError(f"generator {name!r} returned {len(inks)} images for "
                                     f"{len(idx)} units", "report this to the plugin's authors")
            for i, ink in zip(idx, inks):
                out[i] = ink
        return out  # type: ignore[return-value]

    def _device(self, name: str) -> str:
        """``auto`` made concrete (cuda/mps/cpu) for neural generators; others get it as given.
        Resolved once, and only when a generator with weights runs (it imports torch)."""
        if not self.registry.get(name).weights:
            return self.opts.device
        if self._resolved_device is None:
            from .device import resolve_device

            self._resolved_device = resolve_device(self.opts.device)
        return self._resolved_device

    def _box(self, unit: _Unit, ink: InkImage) -> Box:
        scale = self.res.style.x_height / ink.x_height
        self._next_id += 1
        self.inks[self._next_id] = ink
        return Box(width=ink.advance * scale, ascent=max(ink.ascent, 0.0) * scale,
                   descent=max(ink.descent, 0.0) * scale, scale=scale, ink=self._next_id,
                   text=unit.text, start=unit.start, join=unit.join)

    def _fit_long_words(self, units: list[_Unit], inks: list[InkImage]) -> list[list[tuple]]:
        """For each unit, the (unit, ink) pairs that write it. A word wider than a line is cut
        into parts that fit and written again, the parts joined by line-break opportunities;
        layout shrinks a single unit that still does not fit."""
        width = self.res.geometry.content_width - self.res.style.indent
        groups: list[list[tuple]] = []
        redo: list[tuple[int, list[_Unit]]] = []
        for i, (u, ink) in enumerate(zip(units, inks)):
            w = ink.advance * self.res.style.x_height / ink.x_height
            if w > width and len(u.text) > 1:
                size = max(1, int(len(u.text) * width * 0.9 / w))
                redo.append((i, [_Unit(u.text[k:k + size], u.start + k, u.generator,
                                       u.join if k == 0 else "break")
                                 for k in range(0, len(u.text), size)]))
            groups.append([(u, ink)])
        if redo:
            new_inks = iter(self._generate([pu for _, parts in redo for pu in parts]))
            for i, parts in redo:
                groups[i] = [(pu, next(new_inks)) for pu in parts]
        return groups

    def _flush(self, pending: list) -> Iterator[object]:
        units = [p for p in pending if isinstance(p, _Unit)]
        groups = iter(self._fit_long_words(units, self._generate(units)) if units else [])
        for p in pending:
            if isinstance(p, _Unit):
                for u, ink in next(groups):
                    yield self._box(u, ink)
            else:
                yield p

    def items(self) -> Iterator[object]:
        """Layout items, generated CHUNK_WORDS words at a time (lazily, for bounded memory)."""
        pending: list = []  # _Unit, LineBreak or ParagraphBreak
        nwords = 0
        for token in iter_tokens(self.text):
            if not isinstance(token, Word):
                pending.append(ParagraphBreak() if token.paragraph else LineBreak())
                continue
            pending.extend(self._word_units(token))
            nwords += 1
            if nwords >= CHUNK_WORDS:
                yield from self._flush(pending)
                pending, nwords = [], 0
        if pending:
            yield from self._flush(pending)

    def page_number_boxes(self, n: int) -> list[Box]:
        """Ink for a page number, written by whichever generator writes its digits."""
        units = self._word_units(next(iter_tokens(str(n))))
        return [self._box(u, ink) for u, ink in zip(units, self._generate(units))]

    def pages(self) -> Iterator[RenderedPage]:
        from .render import ink_coverage

        numbers = self.page_number_boxes if self.res.style.page_numbers else None
        for page in layout_pages(self.items(), self.res.geometry, self.res.style, numbers):
            coverage = ink_coverage(page, self.inks, self.res.dpi)
            for p in page.placements:  # these inks are on paper now: free them
                self.inks.pop(p.ink, None)
            yield RenderedPage(page, coverage)


# -- public API ------------------------------------------------------------------------------

def _options(options: RenderOptions | None, kwargs: dict) -> RenderOptions:
    if options is not None and kwargs:
        raise UsageError("pass either options= or keyword options, not both",
                         "merge them into one RenderOptions")
    if options is not None and not isinstance(options, RenderOptions):
        raise UsageError(f"options must be a RenderOptions, got {type(options).__name__}",
                         "pass the options as keywords, or RenderOptions(**them)")
    return (options or RenderOptions.from_kwargs(**kwargs)).checked()


def _text(text: object) -> str:
    """The text to write: a str, or UTF-8 bytes (decoded here, as the CLI decodes files)."""
    if isinstance(text, (bytes, bytearray)):
        try:
            return bytes(text).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError(f"text is not UTF-8 (byte 0x{text[exc.start]:02x} at offset {exc.start})",
                             "decode it first, e.g. data.decode('latin-1')") from None
    if not isinstance(text, str):
        raise InputError(f"text must be a string, got {type(text).__name__}",
                         "pass the text to write as a str or as UTF-8 bytes")
    return text


def _prepare(text: str, options: RenderOptions | None, registry: Registry | None,
             kwargs: dict) -> _Pipeline:
    text = _text(text)
    opts = _options(options, kwargs)
    registry = registry or default_registry()
    res = _resolve(opts, registry)
    text = normalize(text)
    _check_text(text, res.planner)
    return _Pipeline(text, opts, res, registry)


def iter_pages(text: str, options: RenderOptions | None = None, *,
               registry: Registry | None = None, **kwargs) -> Iterator[RenderedPage]:
    """Lay out and ink ``text`` page by page (options are checked before the first page)."""
    return _prepare(text, options, registry, kwargs).pages()


def render_pages(text: str, options: RenderOptions | None = None, *,
                 registry: Registry | None = None, **kwargs) -> list["Image.Image"]:
    """Render ``text`` and return one RGB PIL image per page."""
    from .render import compose_page

    pipe = _prepare(text, options, registry, kwargs)
    return [compose_page(p.layout, p.coverage, pipe.res.paper, pipe.res.ink_rgb, pipe.res.dpi)
            for p in pipe.pages()]


def _counted(pages: Iterator[RenderedPage], on_page) -> Iterator[RenderedPage]:
    for page in pages:
        yield page
        if on_page is not None:
            on_page(page.layout.number)


def write(text: str, output: str | Path | BinaryIO, options: RenderOptions | None = None, *,
          registry: Registry | None = None, on_page: Callable[[int], None] | None = None,
          **kwargs) -> list[Path]:
    """Render ``text`` (a str, or UTF-8 bytes) and write it to ``output``: a path (``.pdf``,
    ``.png``, ``.jpg``; PNG and JPEG write one file per page: ``page.png``, ``page-2.png``, …),
    ``"-"`` for standard output, or an open binary file object (for images in memory, use
    ``render_pages``). Files appear only when everything succeeded. Returns the paths.
    ``on_page(n)`` is called as each page is done (for progress displays)."""
    from . import __version__
    from .render import (
        AtomicOutputs,
        PdfWriter,
        check_output_path,
        check_stdout_pages,
        compose_page,
        page_paths,
        resolve_format,
        save_raster,
    )
    from .render.output import StdoutSink

    # Where it goes is checked first: a bad -o fails before any planning or generation.
    output = _output(output)
    opts = _options(options, kwargs)
    to_stream = not isinstance(output, (str, Path)) or str(output) == "-"
    fmt = resolve_format(None if to_stream else str(output), opts.format)
    if not to_stream:
        check_output_path(output)
    pipe = _prepare(text, opts, registry, {})
    res = pipe.res
    pages = _counted(pipe.pages(), on_page)
    metadata = {"title": opts.title, "author": opts.author, "subject": opts.subject,
                "creator": f"hwrender {__version__}"}

    def write_pdf(fh):
        # invariant: no timestamp or random id, so the same seed gives the same bytes
        pdf = PdfWriter(fh, paper=res.paper, ink_color=res.ink_rgb, dpi=res.dpi,
                        metadata=metadata, invariant=True)
        for p in pages:
            pdf.add_page(p.layout, p.coverage)
        pdf.close()

    if to_stream:
        # StdoutSink writes every byte or fails: a pipe whose reader left must not end in exit 0
        stream = StdoutSink() if str(output) == "-" else output
        buf = io.BytesIO()
        if fmt == "pdf":
            write_pdf(buf)
        else:
            first = next(pages)
            check_stdout_pages(fmt, 1 + sum(1 for _ in pages))
            image = compose_page(first.layout, first.coverage, res.paper, res.ink_rgb, res.dpi)
            save_raster(image, buf, fmt, res.dpi)
        stream.write(buf.getvalue())
        stream.flush()
        return []

    path = Path(output)
    with AtomicOutputs(path) as outputs:
        if fmt == "pdf":
            with outputs.open(path) as fh:
                write_pdf(fh)
        else:
            for n, p in enumerate(pages, start=1):
                image = compose_page(p.layout, p.coverage, res.paper, res.ink_rgb, res.dpi)
                with outputs.open(page_paths(path, n)[-1]) as fh:
                    save_raster(image, fh, fmt, res.dpi)
    return outputs.paths


def _output(output: object) -> str | Path | BinaryIO:
    """``output`` as write() uses it: "-", a Path, or an open binary file object."""
    if isinstance(output, str):
        if not output.strip():
            raise UsageError("output is an empty path", "give a file name such as page.pdf, or '-'")
        return output if output == "-" else Path(output)
    if isinstance(output, os.PathLike):
        return Path(os.fspath(output))
    if output is None or not callable(getattr(output, "write", None)):
        raise UsageError(f"output must be a file path, '-' or a binary file object, "
                         f"got {_shown(output)}",
                         "for images in memory use hwrender.render_pages(text)")
    if getattr(output, "closed", False):
        raise UsageError("output is a closed file object", "pass an open one, e.g. open(path, 'wb')")
    if isinstance(output, io.TextIOBase):
        raise UsageError("output is a text stream; page data is binary",
                         "open the file with 'wb', or pass sys.stdout.buffer")
    return output  # type: ignore[return-value]

"""Text to inked pages: plan each word, batch the units to the generators, measure the ink as layout
boxes and stream them through layout, page by page, with bounded memory."""

from __future__ import annotations

import warnings
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterator

from .errors import HwrenderWarning, InputError
from .layout import Box, LineBreak, PageLayout, ParagraphBreak, layout_pages, set_page_number, word_parts
from .options import RenderOptions, _Resolved, _options, _resolve
from .plan import Piece, Planner
from .registry import Registry, default_registry
from .text.breaking import NO_LINE_END, NO_LINE_START
from .text.segment import BREAK_BETWEEN_CHARS, WEAK, Word, char_script, iter_tokens, normalize

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from .ink import InkImage

# Words handed to the generators per batch: big enough for one forward pass per generator and
# page, small enough that memory stays bounded on long texts.
CHUNK_WORDS = 256


@dataclass
class RenderedPage:
    """A laid-out page, its ink coverage (uint8, 255 = full ink) at the options' DPI (``None``
    where the writer draws ink as vectors and asked for none), and its ink images by
    ``Placement.ink`` (vector writers trace them at any size)."""

    layout: PageLayout
    coverage: "np.ndarray | None"
    inks: "dict[int, InkImage]" = field(default_factory=dict)


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


def number_word(text: str, number: object) -> Word:
    """``number`` (a page number) as a word of the text's first script: its digits go to the
    generator that writes the body's digits (``-g Latn=font`` included), not to whichever writes
    digits with no script around them (the neural Latin model did, in another hand)."""
    lead = next((c for c in text if char_script(c) not in WEAK), None)
    words = [t for t in iter_tokens(f"{lead} {number}" if lead else str(number)) if isinstance(t, Word)]
    return words[-1]


def _check_text(text: str, planner: Planner, page_numbers: bool = False) -> list[str]:
    """Plan every word once before rendering so that unsupported characters fail fast; returns
    the generators that will write (page numbers' digits included), in order of first use."""
    if not text.strip():
        raise InputError("the text to write is empty",
                         "give text as an argument, with --input FILE, or on standard input")
    missing: list[tuple[str, int]] = []
    used: dict[str, None] = {}
    for token in iter_tokens(text):
        if isinstance(token, Word):
            used.update(dict.fromkeys(p.generator for p in planner.plan_word(token, missing)))
    if page_numbers:  # whoever writes the digits (what they cannot write fails as it did before)
        token = number_word(text, "0123456789")
        used.update(dict.fromkeys(p.generator for p in planner.plan_word(token, [])))
    if missing:
        raise planner.error(text, missing)
    if not used:  # only combining marks with no letter to sit on: nothing at all to write
        raise InputError("the text to write has no letters, only combining marks that no generator places",
                         "give the letters the marks belong to, e.g. an e before U+0301")
    for message in planner.override_notes():
        warnings.warn(message, HwrenderWarning, stacklevel=4)
    return list(used)


def _prepare(text: str, options: RenderOptions | None, registry: Registry | None,
             kwargs: dict) -> _Pipeline:
    text = _text(text)
    opts = _options(options, kwargs)
    registry = registry or default_registry()
    res = _resolve(opts, registry)
    text = normalize(text)
    used = _check_text(text, res.planner, opts.style is not None and opts.page_numbers)
    # --style is routed to the generators of this text: a model's style names are read from the
    # model that will be loaded (--weights DIR included)
    for note in res.route_styles([registry.get(n) for n in used], opts.weights,
                                 opts.offline or None):
        warnings.warn(note, HwrenderWarning, stacklevel=3)
    return _Pipeline(text, opts, res, registry)


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
        """For each unit, the (unit, ink) pairs that write it: a unit layout says to cut
        (``word_parts``) is written again part by part, the parts joined by "break"s."""
        groups: list[list[tuple]] = []
        redo: list[tuple[int, list[_Unit]]] = []
        for i, (u, ink) in enumerate(zip(units, inks)):
            width = ink.advance * self.res.style.x_height / ink.x_height
            parts = word_parts(u.text, width, self.res.geometry, self.res.style)
            if len(parts) > 1:
                starts = [sum(map(len, parts[:k])) for k in range(len(parts))]
                redo.append((i, [_Unit(part, u.start + at, u.generator, u.join if at == 0 else "break")
                                 for part, at in zip(parts, starts)]))
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
        units = self._word_units(number_word(self.text, n))
        return [self._box(u, ink) for u, ink in zip(units, self._generate(units))]

    def pages(self, coverage: bool = True) -> Iterator[RenderedPage]:
        """The inked pages; whether the writing fits the page is checked now (by layout_pages),
        before any ink is generated. ``coverage=False``: no raster (a vector writer's pages)."""
        return self._inked(layout_pages(self.items(), self.res.geometry, self.res.style), coverage)

    def _inked(self, layouts: Iterator[PageLayout], raster: bool) -> Iterator[RenderedPage]:
        from .render import ink_coverage

        for page in layouts:
            if self.res.style.page_numbers:
                set_page_number(page, self.page_number_boxes(page.number), self.res.style)
            coverage = (ink_coverage(page, self.inks, self.res.dpi, self.opts.ink_render)
                        if raster else None)
            # The page takes its inks along, so the pipeline holds none of a finished page.
            inks = {p.ink: self.inks.pop(p.ink) for p in page.placements if p.ink in self.inks}
            yield RenderedPage(page, coverage, inks)

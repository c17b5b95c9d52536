"""Flow boxes into lines and pages: wrapping, paragraphs, page breaks and natural variation.

``layout_pages`` is a streaming generator: it reads items as it needs them and yields each page
as soon as it is full, holding at most about a line of boxes besides the page being filled (a
single run of ``tight`` boxes is the exception: it is held whole, since it may need shrinking).

Vertical metrics (see ``geometry.line_grid``): baselines sit on a fixed grid, the first
``ASCENT_ROOM`` (0.8) line heights below the top margin, then one line height apart, as many as
leave ``DESCENT_ROOM`` (0.45) line heights above the bottom margin. Every box is kept inside the
band [baseline - 0.8, baseline + 0.45] line heights (jitter and drift included): first its random
rotation is reduced, then, if it is still too tall, it is scaled down. The band is the same on
every line, so a word is the same size wherever it lands, and the first and last lines of a page
stay inside the margins.

Natural variation is drawn from ``random.Random`` instances seeded with (style.seed, box index)
for per-box jitter and (style.seed, index of the line's first box) for baseline drift, so it does
not depend on where lines or pages break, and the same input and seed give the same pages.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Iterable, Iterator

from hwrender.layout.geometry import ASCENT_ROOM, DESCENT_ROOM, check_fits, line_grid
from hwrender.layout.types import (
    Box,
    Item,
    LayoutStyle,
    LineBreak,
    PageGeometry,
    PageLayout,
    ParagraphBreak,
    Placement,
    TextSpan,
)

# Natural variation at variation = 1 (all scale linearly with style.variation).
ROTATION_DEG = 1.5  # per-box rotation, ±degrees
SCALE_JITTER = 0.03  # per-box size, ±fraction
SPACING_JITTER = 0.15  # per word space, ±fraction
DRIFT = 0.025  # baseline drift, ±fraction of the x-height before centring (so within ±2× after)

_EPS = 1e-9  # points: slack for float error when testing whether something fits

# A word cut for being wider than a line is cut into parts this much narrower than the line, so
# the parts, written again, still fit after the ink's own irregularity.
CUT_SLACK = 0.9


def rotated_extent(width: float, ascent: float, descent: float, rotation: float) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) of a box's ink rectangle rotated ``rotation`` degrees
    counter-clockwise about its origin, as offsets from the origin (page y grows downwards, so
    ``top`` is negative above the baseline). Unrotated this is (0, -ascent, width, descent)."""
    if rotation == 0.0:
        return 0.0, -ascent, width, descent
    theta = math.radians(rotation)
    c, s = math.cos(theta), math.sin(theta)
    xs = []
    ys = []
    for x, y in ((0.0, -ascent), (width, -ascent), (0.0, descent), (width, descent)):
        # counter-clockwise on the page (y down): the right end of a positive rotation rises
        xs.append(x * c + y * s)
        ys.append(-x * s + y * c)
    return min(xs), min(ys), max(xs), max(ys)


def ink_bounds(box: Box, placement: Placement) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1): the page-space bounding box of a placed box's (rotated) ink rectangle."""
    size = placement.scale / box.scale
    left, top, right, bottom = rotated_extent(
        box.width * size, box.ascent * size, box.descent * size, placement.rotation
    )
    return placement.x + left, placement.baseline + top, placement.x + right, placement.baseline + bottom


@dataclass
class _Piece:
    """A box with its jitter decided: ``size`` multiplies the box (Placement.scale = box.scale ×
    size); left/above/right/below are its rotated ink extents about the origin at that size."""

    box: Box
    size: float
    rotation: float
    left: float
    above: float
    right: float
    below: float

    def shrink(self, factor: float) -> None:
        self.size *= factor
        self.left *= factor
        self.above *= factor
        self.right *= factor
        self.below *= factor


@dataclass
class _Chunk:
    """Boxes joined ``tight``: never broken. ``join`` says how it attaches to the chunk before
    ("space" or "break"); ``gap`` is the (jittered) word space before it, 0 for "break"."""

    pieces: list[_Piece]
    join: str
    gap: float
    first_index: int
    extent: float = 0.0

    def add(self, piece: _Piece) -> None:
        self.pieces.append(piece)
        self.extent += piece.right - piece.left

    def shrink(self, factor: float) -> None:
        for piece in self.pieces:
            piece.shrink(factor)
        self.extent *= factor


@dataclass
class _Line:
    chunks: list[_Chunk]
    indent: float
    justify: bool
    width: float  # natural width: ink extents plus word spaces


class _LineBreaker:
    """Turns items into lines, greedily. Emits ("line", _Line) for a line of writing and
    ("skip", rows) for rows left empty (paragraph gaps, blank lines)."""

    def __init__(self, geometry: PageGeometry, style: LayoutStyle):
        self.style = style
        self.width = geometry.content_width
        self.gap_rows = int(math.floor(style.paragraph_gap + 0.5))
        self.events: list[tuple[str, object]] = []
        v = style.variation
        self.drift = min(DRIFT * style.x_height * v, 0.05 * style.line_height)
        # The band every box must stay in, less the most the centred drift can move it.
        self.max_above = ASCENT_ROOM * style.line_height - 2 * self.drift
        self.max_below = DESCENT_ROOM * style.line_height - 2 * self.drift
        self.index = 0  # boxes seen: seeds the jitter
        self.line: list[_Chunk] = []
        self.line_width = 0.0
        self.word: list[_Chunk] = []  # the word being read, while it may still fit on a fresh line
        self.word_width = 0.0
        self.word_long = False  # wider than a line: its chunks go straight onto lines
        self.chunk: _Chunk | None = None
        self.para_first = True  # the next line written is the paragraph's first (indented)
        self.para_has_content = False

    # -- items ---------------------------------------------------------------------------------

    def feed(self, item: Item) -> None:
        if isinstance(item, Box):
            self._box(item)
        elif isinstance(item, LineBreak):
            self._end_word()
            if self.line:
                self._close("linebreak")
            else:
                self.events.append(("skip", 1))
            self.para_has_content = True
        elif isinstance(item, ParagraphBreak):
            self._end_word()
            if self.line:
                self._close("paragraph")
            if self.para_has_content and self.gap_rows:
                self.events.append(("skip", self.gap_rows))
            self.para_has_content = False
            self.para_first = True
        else:
            raise TypeError(f"layout items are Box, LineBreak or ParagraphBreak, got {type(item).__name__}")

    def finish(self) -> None:
        self._end_word()
        if self.line:
            self._close("end")

    def _box(self, box: Box) -> None:
        piece, gap = self._piece(box)
        self.para_has_content = True
        if box.join == "tight" and self.chunk is not None:
            self.chunk.add(piece)
            return
        if box.join == "space":
            self._end_word()
        else:
            self._end_chunk()
        join = "space" if box.join == "space" else "break"
        self.chunk = _Chunk([], join, gap if join == "space" else 0.0, self.index - 1)
        self.chunk.add(piece)

    def _piece(self, box: Box) -> tuple[_Piece, float]:
        if not (box.width >= 0 and box.ascent >= 0 and box.descent >= 0 and box.scale > 0):
            raise ValueError(f"invalid box {box!r}: width, ascent and descent must be >= 0 and scale > 0")
        style = self.style
        v = style.variation
        size, rotation, spacing = 1.0, 0.0, 1.0
        if v > 0:
            rng = random.Random(f"{style.seed}:box:{self.index}")
            size = 1.0 + SCALE_JITTER * v * (2 * rng.random() - 1)
            rotation = ROTATION_DEG * v * (2 * rng.random() - 1)
            spacing = max(0.1, 1.0 + SPACING_JITTER * v * (2 * rng.random() - 1))
        self.index += 1
        w, a, d = box.width * size, box.ascent * size, box.descent * size
        # Keep the ink inside the line's band: less rotation first, then a smaller box.
        for turn in (rotation, rotation / 2, 0.0):
            left, top, right, bottom = rotated_extent(w, a, d, turn)
            if -top <= self.max_above and bottom <= self.max_below:
                break
        else:
            turn = 0.0
            factor = 1.0
            if -top > self.max_above:
                factor = self.max_above / -top
            if bottom > self.max_below:
                factor = min(factor, self.max_below / bottom)
            size *= factor
            left, top, right, bottom = rotated_extent(w * factor, a * factor, d * factor, 0.0)
        return _Piece(box, size, turn, left, -top, right, bottom), style.word_space * spacing

    # -- words and lines -----------------------------------------------------------------------

    def _avail(self) -> float:
        return self.width - (self.style.indent if self.para_first else 0.0)

    def _end_chunk(self) -> None:
        chunk, self.chunk = self.chunk, None
        if chunk is None:
            return
        if self.word_long:
            self._add_greedy(chunk)
            return
        self.word.append(chunk)
        self.word_width += chunk.extent if len(self.word) == 1 else chunk.gap + chunk.extent
        if self.word_width > self.width + _EPS:
            # Wider than any line: break it at its break points, filling the current line first.
            self.word_long = True
            word, self.word, self.word_width = self.word, [], 0.0
            for part in word:
                self._add_greedy(part)

    def _end_word(self) -> None:
        self._end_chunk()
        word, self.word, self.word_width = self.word, [], 0.0
        self.word_long = False
        if not word:
            return
        if not self.line:
            fits = _word_width(word) <= self._avail() + _EPS
        else:
            fits = self.line_width + word[0].gap + _word_width(word) <= self._avail() + _EPS
        if fits:
            for chunk in word:
                self._append(chunk)
        elif self.line and _word_width(word) <= self.width + _EPS:
            self._close("wrap")  # a word that fits on a line is never broken
            for chunk in word:
                self._append(chunk)
        else:
            for chunk in word:
                self._add_greedy(chunk)

    def _add_greedy(self, chunk: _Chunk) -> None:
        if self.line and self.line_width + chunk.gap + chunk.extent <= self._avail() + _EPS:
            self._append(chunk)
            return
        if self.line:
            self._close("wrap")
        avail = self._avail()
        if chunk.extent > avail:
            chunk.shrink(avail / chunk.extent)  # a tight group wider than the line
        self._append(chunk)

    def _append(self, chunk: _Chunk) -> None:
        self.line_width += chunk.gap + chunk.extent if self.line else chunk.extent
        self.line.append(chunk)

    def _close(self, reason: str) -> None:
        justify = self.style.align == "justify" and reason == "wrap"
        indent = self.style.indent if self.para_first else 0.0
        self.events.append(("line", _Line(self.line, indent, justify, self.line_width)))
        self.line, self.line_width = [], 0.0
        self.para_first = False


def _word_width(word: list[_Chunk]) -> float:
    return sum(c.gap + c.extent for c in word) - word[0].gap


class _Pager:
    """Sets lines on the page grid and collects finished pages."""

    def __init__(self, geometry: PageGeometry, style: LayoutStyle, drift: float):
        self.geometry = geometry
        self.style = style
        self.drift = drift
        self.first_baseline, self.pitch, self.count = line_grid(geometry, style)
        self.page: PageLayout | None = None
        self.row = 0
        self.skip = 0
        self.done: list[PageLayout] = []
        self.pages = 0

    def skip_rows(self, rows: int) -> None:
        self.skip += rows

    def add(self, line: _Line) -> None:
        if self.page is None:
            self._new_page()
        elif self.row > 0:
            self.row += self.skip
        self.skip = 0  # rows left empty at the top of a page are dropped
        if self.row >= self.count:
            self._emit()
            self._new_page()
        baseline = self.first_baseline + self.row * self.pitch
        self._set_line(line, baseline, self.row)
        self.row += 1
        if self.row >= self.count:
            self._emit()

    def finish(self) -> None:
        if self.page is not None:
            self._emit()

    def _new_page(self) -> None:
        self.pages += 1
        self.page = PageLayout(
            number=self.pages,
            geometry=self.geometry,
            first_baseline=self.first_baseline,
            line_pitch=self.pitch,
            line_count=self.count,
        )
        self.row = 0
        self.skip = 0

    def _emit(self) -> None:
        page, self.page = self.page, None
        assert page is not None
        self.done.append(page)

    def _set_line(self, line: _Line, baseline: float, row: int) -> None:
        page = self.page
        assert page is not None
        geometry = self.geometry
        # Justified lines stretch their word spaces (or, with none, the breaks between characters).
        extra = 0.0
        stretch = "space"
        if line.justify and len(line.chunks) > 1:
            if not any(c.join == "space" for c in line.chunks[1:]):
                stretch = "break"
            gaps = sum(1 for c in line.chunks[1:] if c.join == stretch)
            slack = geometry.content_width - line.indent - line.width
            if gaps and slack > 0:
                extra = slack / gaps
        cursor = geometry.content_left + line.indent  # right edge of the ink placed so far
        placed: list[tuple[_Piece, float, bool]] = []  # (piece, x, starts a span)
        for n, chunk in enumerate(line.chunks):
            if n > 0:
                cursor += chunk.gap + (extra if chunk.join == stretch else 0.0)
            for k, piece in enumerate(chunk.pieces):
                x = cursor - piece.left
                cursor = x + piece.right
                placed.append((piece, x, k == 0 and (n == 0 or chunk.join == "space")))
        drifts = self._drift(line, placed)
        for (piece, x, _), dy in zip(placed, drifts):
            box = piece.box
            page.placements.append(
                Placement(box.ink, x, baseline + dy, box.scale * piece.size, piece.rotation, box.text, box.start)
            )
        spans = _spans([(piece, x) for piece, x, _ in placed], [starts for _, _, starts in placed])
        page.spans.extend(_span(span, baseline, row, k > 0) for k, span in enumerate(spans))

    def _drift(self, line: _Line, placed: list[tuple[_Piece, float, bool]]) -> list[float]:
        """A smooth wave plus a slight slope along the line, centred so its mean is zero."""
        if self.drift <= 0 or not placed:
            return [0.0] * len(placed)
        geometry = self.geometry
        rng = random.Random(f"{self.style.seed}:line:{line.chunks[0].first_index}")
        wavelength = geometry.content_width * (0.6 + 0.8 * rng.random())
        phase = 2 * math.pi * rng.random()
        slope = 2 * rng.random() - 1
        half = geometry.content_width / 2
        middle = geometry.content_left + half
        raw = []
        for piece, x, _ in placed:
            centre = x + (piece.left + piece.right) / 2
            along = max(-1.0, min(1.0, (centre - middle) / half))
            wave = math.sin(2 * math.pi * (centre - geometry.content_left) / wavelength + phase)
            raw.append(self.drift * (0.6 * wave + 0.4 * slope * along))
        mean = sum(raw) / len(raw)
        return [r - mean for r in raw]


def set_page_number(page: PageLayout, boxes: list[Box], style: LayoutStyle) -> None:
    """Write ``boxes`` (page ``page.number``'s number, measured like any word) centred in the bottom
    margin, without jitter, shrunk to fit the margin: into the page's placements and spans (on a
    line of their own, below the grid). The caller makes the boxes; layout only places them."""
    if not boxes:
        return
    geometry = page.geometry
    gaps = [style.word_space if (i > 0 and b.join == "space") else 0.0 for i, b in enumerate(boxes)]
    total = sum(b.width for b in boxes) + sum(gaps)
    height = max(b.ascent for b in boxes) + max(b.descent for b in boxes)
    factor = 1.0
    if total > geometry.content_width:
        factor = geometry.content_width / total
    if height * factor > 0.8 * geometry.margin_bottom:
        factor = 0.8 * geometry.margin_bottom / height
    ascent = max(b.ascent for b in boxes) * factor
    # Centred under the text column and in the bottom margin.
    baseline = geometry.content_bottom + (geometry.margin_bottom - height * factor) / 2 + ascent
    x = (geometry.content_left + geometry.content_right) / 2 - total * factor / 2
    placed: list[tuple[_Piece, float]] = []
    for box, gap in zip(boxes, gaps):
        x += gap * factor
        piece = _Piece(box, factor, 0.0, 0.0, box.ascent * factor, box.width * factor, box.descent * factor)
        page.placements.append(Placement(box.ink, x, baseline, box.scale * factor, 0.0, box.text, box.start))
        placed.append((piece, x))
        x += box.width * factor
    spans = _spans(placed, [bool(gap) for gap in gaps])
    page.spans.extend(_span(span, baseline, page.line_count, k > 0) for k, span in enumerate(spans))


def _spans(placed: list[tuple[_Piece, float]], starts: list[bool]) -> list[list[tuple[_Piece, float]]]:
    """``placed`` cut into spans, a new one at each piece that ``starts`` one (the first always does)."""
    spans: list[list[tuple[_Piece, float]]] = []
    for item, start in zip(placed, starts):
        if start or not spans:
            spans.append([])
        spans[-1].append(item)
    return spans


def _span(pieces: list[tuple[_Piece, float]], baseline: float, line: int, space_before: bool) -> TextSpan:
    first, x_first = pieces[0]
    last, x_last = pieces[-1]
    return TextSpan(
        text="".join(p.box.text for p, _ in pieces),
        x0=x_first + first.left,
        x1=x_last + last.right,
        baseline=baseline,
        ascent=max(p.box.ascent * p.size for p, _ in pieces),
        descent=max(p.box.descent * p.size for p, _ in pieces),
        start=first.box.start,
        line=line,
        space_before=space_before,
    )


def word_parts(text: str, width: float, geometry: PageGeometry, style: LayoutStyle) -> list[str]:
    """How a word ``width`` points wide is written: whole when it fits a line (a paragraph's first
    line is indented, so the indented width counts) or is one character, else cut into parts of
    equal length that fit, to be written again and joined by "break"s. Layout then breaks lines
    between the parts, and shrinks a part that still does not fit (see ``layout_pages``)."""
    line = geometry.content_width - style.indent
    if width <= line or len(text) < 2:
        return [text]
    size = max(1, int(len(text) * line * CUT_SLACK / width))
    return [text[k:k + size] for k in range(0, len(text), size)]


def layout_pages(
    items: Iterable[Item],
    geometry: PageGeometry,
    style: LayoutStyle,
) -> Iterator[PageLayout]:
    """Lay ``items`` out on pages, yielding each page (numbered from 1) as soon as it is full.

    - Lines break greedily at "space" and "break" joins, never at "tight" ones. A word (boxes
      between spaces) that fits on a line is never broken; one wider than a line is broken at its
      "break" points, and a tight group wider than the line is scaled down to fit.
    - ``LineBreak`` ends a line; ``ParagraphBreak`` ends a paragraph and leaves
      ``round(style.paragraph_gap)`` empty rows; a paragraph's first line is indented by
      ``style.indent``. Empty rows (gaps, blank lines) at the top of a page are dropped.
    - ``align="justify"`` stretches the word spaces of every line that wrapped (not a
      paragraph's last line, nor one ended by a LineBreak).
    - Page numbers are the caller's: it writes page n's number with ``set_page_number`` as the
      page arrives (the boxes come from the generators, which layout never calls).

    Raises ``UsageError`` at once (not at the first ``next``) if the writing does not fit the page.
    """
    check_fits(geometry, style)
    return _pages(iter(items), geometry, style)


def _pages(items: Iterator[Item], geometry: PageGeometry, style: LayoutStyle) -> Iterator[PageLayout]:
    breaker = _LineBreaker(geometry, style)
    pager = _Pager(geometry, style, breaker.drift)

    def drain() -> None:
        for kind, value in breaker.events:
            if kind == "line":
                pager.add(value)  # type: ignore[arg-type]
            else:
                pager.skip_rows(value)  # type: ignore[arg-type]
        breaker.events.clear()

    for item in items:
        breaker.feed(item)
        if breaker.events:
            drain()
            if pager.done:
                yield from pager.done
                pager.done.clear()
    breaker.finish()
    drain()
    pager.finish()
    yield from pager.done

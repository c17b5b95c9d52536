"""The geometry of the handwriting templates: pages, corner marks, writing boxes (torch- and cv2-free).

Everything is in millimetres with the origin at the paper's top-left corner, x to the right, y down.

**One frame on every paper.** The four corner marks and every box sit in one fixed frame
(:data:`FRAME_MM`, 194 x 263 mm) that fits both A4 and US Letter; the paper only moves the frame
(centred). So the geometry *relative to the marks* is the same on every paper: extraction
rectifies a photo to the marks and cuts boxes without knowing which paper was printed.

**Marks.** ArUco markers of OpenCV's ``DICT_5X5_1000`` (:data:`ARUCO_DICT`), 14 mm (7 modules
of 2 mm: a black border around 5 x 5 data bits), at the frame's corners. Each marker's id carries
the page code and its corner (:func:`marker_id`), so one visible mark names the page, and the
corner ids give the orientation of an upside-down photo. Nothing is printed within
:data:`QUIET_MM` of a mark (the white quiet zone, 2 modules).

**Pages.** ``page_code(kind, version, number)`` fits 16 pages per kind and 4 kinds per version.
A template version fixes the characters, their order and every box: a sheet printed today must
still be read by a later hwrender, so a change to any of them needs a new :data:`TEMPLATE_VERSION`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ..errors import InputError, UsageError

KINDS = ("latin", "hangul", "cjk", "emnist")
TEMPLATE_VERSION = 1
PAPERS = {"A4": (210.0, 297.0), "Letter": (215.9, 279.4)}  # (width, height), mm
CORNERS = ("tl", "tr", "br", "bl")
ARUCO_DICT = "DICT_5X5_1000"

FRAME_MM = (194.0, 263.0)  # the marks' outer extent; fits A4 (210 wide) and Letter (279.4 high)
MARK_MM = 14.0             # a marker's outer black square: 7 modules of 2 mm
MARK_MODULES = 7           # 5 data bits + the black border on each side
QUIET_MM = 4.0             # white around each marker (2 modules); no box or print within it
PAGES_PER_KIND = 16
KINDS_PER_VERSION = 4

# The content area inside the frame: below the top marks' row, above the bottom marks' row (the
# header with the page line and instructions sits between the top marks).
_CONTENT_TOP = MARK_MM + QUIET_MM
_CONTENT_BOTTOM = FRAME_MM[1] - MARK_MM - QUIET_MM
_CONTENT_W = FRAME_MM[0]


@dataclass(frozen=True)
class _Grid:
    """Character boxes: ``box`` (w, h), a prompt band of ``prompt`` mm above each, gaps between."""

    box: tuple[float, float]
    prompt: float
    gap: tuple[float, float]

    @property
    def pitch(self) -> tuple[float, float]:
        return self.box[0] + self.gap[0], self.prompt + self.box[1] + self.gap[1]

    @property
    def columns(self) -> int:
        return int((_CONTENT_W + self.gap[0]) // self.pitch[0])

    @property
    def rows(self) -> int:
        return int((_CONTENT_BOTTOM - _CONTENT_TOP + self.gap[1]) // self.pitch[1])


# Latin/EMNIST letters are narrow: 10 x 12 mm (15 x 13 = 195 a page); Hangul syllables and Han
# characters are square and dense: 14 x 14 mm (11 x 11 = 121 a page).
GRIDS = {
    "latin": _Grid(box=(10.0, 12.0), prompt=4.0, gap=(2.5, 1.5)),
    "emnist": _Grid(box=(10.0, 12.0), prompt=4.0, gap=(2.5, 1.5)),
    "hangul": _Grid(box=(14.0, 14.0), prompt=4.5, gap=(3.0, 2.0)),
    "cjk": _Grid(box=(14.0, 14.0), prompt=4.5, gap=(3.0, 2.0)),
}
# Ruled boxes for Latin words and sentences: 12 mm high, the writing line 8.5 mm from the top
# (room for ascenders and capitals above it, descenders below), the text to copy above.
RULED_H = 12.0
RULED_BASELINE = 8.5
RULED_PROMPT = 4.0
RULED_GAP = (3.0, 2.0)
WORD_MM_PER_CHAR = 2.8     # a generous handwriting advance, so a word fits its box
WORD_PAD_MM = 7.0
WORD_MIN_MM = 16.0


@dataclass(frozen=True)
class Mark:
    """A corner mark: ``corner`` in :data:`CORNERS`; ``x, y`` its outer square's top-left, ``size``
    its side (mm)."""

    corner: str
    x: float
    y: float
    size: float


@dataclass(frozen=True)
class SheetBox:
    """A writing box: ``kind`` "char" (one character), "word" or "line" (a ruled line to copy
    ``text`` on); ``x, y, w, h`` its outline (mm); ``baseline`` the y of the ruled writing line
    inside word/line boxes (mm, page coordinates), ``None`` for char boxes. ``id`` is unique on
    its page and stable within a template version."""

    id: str
    text: str
    kind: str
    x: float
    y: float
    w: float
    h: float
    baseline: float | None = None


@dataclass(frozen=True)
class SheetPage:
    kind: str
    version: int
    number: int
    total: int
    paper: str
    size_mm: tuple[float, float]
    marks: tuple[Mark, ...]
    boxes: tuple[SheetBox, ...]

    @property
    def code(self) -> int:
        return page_code(self.kind, self.version, self.number)

    @property
    def label(self) -> str:
        """The human-readable page line printed on the sheet."""
        return f"hwrender \u00b7 {self.kind} template v{self.version} \u00b7 page {self.number} of {self.total}"

    @property
    def origin(self) -> tuple[float, float]:
        """Where the frame (the marks' outer extent) starts on this paper."""
        return _origin(self.paper)

    def mark(self, corner: str) -> Mark:
        return self.marks[CORNERS.index(corner)]


def charset(kind: str) -> str:
    """The characters a kind's template holds, each once, in the order the boxes first ask for them."""
    from . import charsets

    return charsets.charset(_check_kind(kind))


def marker_cells(marker: int) -> tuple[tuple[bool, ...], ...]:
    """A marker's 7 x 7 modules, row by row, ``True`` = black (the border and the 5 x 5 data bits
    of ``DICT_5X5_1000``, from the bundled table: drawing a mark needs no OpenCV)."""
    code = _aruco_codes()[marker]
    bits = [(code >> (24 - i)) & 1 for i in range(25)]  # 1 = white, top-left first
    return tuple(tuple(not (1 <= r <= 5 and 1 <= c <= 5) or not bits[(r - 1) * 5 + c - 1]
                       for c in range(MARK_MODULES)) for r in range(MARK_MODULES))


@lru_cache(maxsize=1)
def _aruco_codes() -> tuple[int, ...]:
    import json
    from pathlib import Path

    table = json.loads((Path(__file__).with_name("aruco_5x5_1000.json")).read_text(encoding="ascii"))
    return tuple(table["markers"])


def marker_id(code: int, corner: str) -> int:
    return code * 4 + CORNERS.index(corner)


def split_marker_id(marker: int) -> tuple[int, str]:
    """``marker_id``'s inverse: (page code, corner)."""
    return marker // 4, CORNERS[marker % 4]


def page_code(kind: str, version: int, number: int) -> int:
    if not 1 <= number <= PAGES_PER_KIND:
        raise UsageError(f"page {number} is out of range", f"a template has pages 1 to {PAGES_PER_KIND}")
    return (version - 1) * 64 + KINDS.index(_check_kind(kind)) * 16 + (number - 1)


def parse_page_code(code: int) -> tuple[str, int, int]:
    """``page_code``'s inverse: (kind, version, number). It does not check that this hwrender
    knows the version; :func:`page` does."""
    if code < 0:
        raise InputError(f"page code {code} is not a hwrender page code", "print a fresh template")
    version, rest = divmod(code, 64)
    kind, number = divmod(rest, 16)
    return KINDS[kind], version + 1, number + 1


def pages(kind: str, paper: str = "A4") -> list[SheetPage]:
    return list(_pages(_check_kind(kind), _check_paper(paper)))


def page(kind: str, number: int, paper: str = "A4", version: int = TEMPLATE_VERSION) -> SheetPage:
    """One page of a kind's template; raises for a version this hwrender does not make (a sheet
    printed by another release) or a page number the template does not have."""
    kind, paper = _check_kind(kind), _check_paper(paper)
    if version != TEMPLATE_VERSION:
        raise InputError(
            f"this is a version {version} {kind} template; this hwrender reads version {TEMPLATE_VERSION}",
            f"print a fresh sheet with `hwrender template {kind}`, or use the hwrender that made it")
    every = _pages(kind, paper)
    if not 1 <= number <= len(every):
        raise UsageError(f"the {kind} template has no page {number}",
                         f"it has pages 1 to {len(every)}")
    return every[number - 1]


def _check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise UsageError(f"unknown template kind {kind!r}", f"choose one of {', '.join(KINDS)}")
    return kind


def _check_paper(paper: str) -> str:
    if paper not in PAPERS:
        raise UsageError(f"unknown paper {paper!r}", f"choose one of {', '.join(PAPERS)}")
    return paper


def _origin(paper: str) -> tuple[float, float]:
    w, h = PAPERS[paper]
    return round((w - FRAME_MM[0]) / 2, 3), round((h - FRAME_MM[1]) / 2, 3)


@lru_cache(maxsize=None)
def _pages(kind: str, paper: str) -> tuple[SheetPage, ...]:
    from . import charsets

    layouts: list[list[tuple]] = []  # per page: (id suffix, text, kind, x, y, w, h, baseline) in frame mm
    if kind == "latin":
        layouts.append(_ruled_page(charsets.LATIN_WORDS, charsets.LATIN_LINES))
    layouts += _char_pages(GRIDS[kind], charsets.box_sequence(kind))
    ox, oy = _origin(paper)
    fw, fh = FRAME_MM
    corners = {"tl": (0.0, 0.0), "tr": (fw - MARK_MM, 0.0), "br": (fw - MARK_MM, fh - MARK_MM),
               "bl": (0.0, fh - MARK_MM)}
    marks = tuple(Mark(c, round(ox + corners[c][0], 3), round(oy + corners[c][1], 3), MARK_MM)
                  for c in CORNERS)
    out = []
    for number, items in enumerate(layouts, 1):
        boxes = tuple(
            SheetBox(id=f"p{number}-{i:03d}", text=text, kind=box_kind, x=round(ox + x, 3),
                     y=round(oy + y, 3), w=w, h=h,
                     baseline=None if base is None else round(oy + y + base, 3))
            for i, (text, box_kind, x, y, w, h, base) in enumerate(items, 1))
        out.append(SheetPage(kind, TEMPLATE_VERSION, number, len(layouts), paper, PAPERS[paper],
                             marks, boxes))
    return tuple(out)


def _char_pages(grid: _Grid, chars: str) -> list[list[tuple]]:
    per_page = grid.columns * grid.rows
    used_w = grid.columns * grid.pitch[0] - grid.gap[0]
    left = (_CONTENT_W - used_w) / 2
    layouts = []
    for start in range(0, len(chars), per_page):
        items = []
        for i, ch in enumerate(chars[start:start + per_page]):
            row, col = divmod(i, grid.columns)
            x = left + col * grid.pitch[0]
            y = _CONTENT_TOP + row * grid.pitch[1] + grid.prompt
            items.append((ch, "char", round(x, 3), round(y, 3), grid.box[0], grid.box[1], None))
        layouts.append(items)
    return layouts


def _ruled_page(words, lines) -> list[tuple]:
    """Words packed left to right in rows of ruled boxes, then one full-width ruled box per line."""
    pitch = RULED_PROMPT + RULED_H + RULED_GAP[1]
    items, x, y = [], 0.0, _CONTENT_TOP + RULED_PROMPT
    for word in words:
        w = max(WORD_MIN_MM, WORD_PAD_MM + WORD_MM_PER_CHAR * len(word))
        if x and x + w > _CONTENT_W:
            x, y = 0.0, y + pitch
        items.append((word, "word", round(x, 3), round(y, 3), round(w, 3), RULED_H, RULED_BASELINE))
        x += w + RULED_GAP[0]
    for line in lines:
        y += pitch
        items.append((line, "line", 0.0, round(y, 3), _CONTENT_W, RULED_H, RULED_BASELINE))
    if y + RULED_H > _CONTENT_BOTTOM:
        raise AssertionError("the Latin words and lines do not fit one page")  # a template bug
    return items

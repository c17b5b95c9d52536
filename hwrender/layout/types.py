"""The data layout consumes and produces. Pure Python; every length is in PostScript points (1/72 in).

Layout never sees pixels: the caller turns each ink image into a ``Box`` (its advance, ascent and
descent already scaled to points) and gets back ``PageLayout`` objects whose ``Placement`` says
where each ink image goes, at what scale and rotation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Union

# How a box attaches to the box before it:
#   "space": a word space; the line may break here.
#   "break": no space, but the line may break here (between Han/Kana characters, or between the
#            pieces of a word too long for one line).
#   "tight": no space and no break (pieces of one word from different generators; closing
#            punctuation that must not start a line).
Join = Literal["space", "break", "tight"]


@dataclass(frozen=True)
class Box:
    """One ink image, measured in points at the writing size."""

    width: float  # advance: where the next box starts (pt)
    ascent: float  # ink extent above the baseline (pt, >= 0)
    descent: float  # ink extent below the baseline (pt, >= 0)
    scale: float  # points per ink-image pixel
    ink: int  # the caller's handle for the ink image
    text: str  # the characters it writes (for the PDF text layer)
    start: int  # offset of ``text`` in the source text
    join: Join = "space"


@dataclass(frozen=True)
class LineBreak:
    """An explicit newline inside a paragraph."""


@dataclass(frozen=True)
class ParagraphBreak:
    """The end of a paragraph (a blank line in the source)."""


Item = Union[Box, LineBreak, ParagraphBreak]


@dataclass(frozen=True)
class PageGeometry:
    """Page size and margins in points (orientation already applied)."""

    width: float
    height: float
    margin_top: float
    margin_right: float
    margin_bottom: float
    margin_left: float

    @property
    def content_left(self) -> float:
        return self.margin_left

    @property
    def content_right(self) -> float:
        return self.width - self.margin_right

    @property
    def content_top(self) -> float:
        return self.margin_top

    @property
    def content_bottom(self) -> float:
        return self.height - self.margin_bottom

    @property
    def content_width(self) -> float:
        return self.content_right - self.content_left

    @property
    def content_height(self) -> float:
        return self.content_bottom - self.content_top


@dataclass(frozen=True)
class LayoutStyle:
    """How writing is set on the page (all lengths in points)."""

    x_height: float  # height of a lower-case x
    line_height: float  # baseline-to-baseline distance (the rule pitch on ruled paper)
    word_space: float  # nominal space between words
    align: Literal["left", "justify"] = "left"
    indent: float = 0.0  # first-line indent of each paragraph
    paragraph_gap: float = 1.0  # extra lines left empty between paragraphs (whole lines keep rules)
    page_numbers: bool = False
    variation: float = 1.0  # 0 = perfectly regular; 1 = natural handwriting irregularity
    seed: int = 0


@dataclass(frozen=True)
class Placement:
    """Where one ink image goes: its origin (left edge, baseline) in page points."""

    ink: int
    x: float  # left edge of the ink image's origin
    baseline: float  # y of the ink image's baseline, from the page top
    scale: float  # points per ink pixel (the box's scale times any jitter or fitting)
    rotation: float  # degrees, counter-clockwise, about the origin on the baseline
    text: str
    start: int


@dataclass(frozen=True)
class TextSpan:
    """A word (or the part of one on this line) for the PDF's invisible text layer.

    Layout knows the lines and the spaces, so the spans carry them: ``line`` numbers the span's
    line on its page (spans of one line are consecutive) and ``space_before`` says a word space
    separates it from the span before on that line (a span without one continues that text).
    """

    text: str
    x0: float
    x1: float
    baseline: float
    ascent: float
    descent: float
    start: int
    line: int = 0
    space_before: bool = False


@dataclass
class PageLayout:
    """One page: the placements, the words for the text layer, and the line grid."""

    number: int  # 1-based
    geometry: PageGeometry
    placements: list[Placement] = field(default_factory=list)
    spans: list[TextSpan] = field(default_factory=list)
    first_baseline: float = 0.0  # y of the first line's baseline (the first rule on ruled paper)
    line_pitch: float = 0.0  # distance between baselines / rules
    line_count: int = 0  # how many baselines fit on the page (rules drawn on ruled paper)

    @property
    def baselines(self) -> list[float]:
        return [self.first_baseline + k * self.line_pitch for k in range(self.line_count)]

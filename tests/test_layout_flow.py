"""Flowing boxes into lines and pages: properties over random input, and the behaviours by example."""

from __future__ import annotations

import dataclasses
import itertools

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from hwrender.errors import UsageError
from hwrender.layout import (
    Box,
    LayoutStyle,
    LineBreak,
    PageGeometry,
    ParagraphBreak,
    check_fits,
    ink_bounds,
    layout_pages,
    line_grid,
    set_page_number,
)

EPS = 1e-6


def box(i: int, width: float, ascent: float = 8.0, descent: float = 3.0, join: str = "space", text: str | None = None, scale: float = 0.5) -> Box:
    return Box(width=width, ascent=ascent, descent=descent, scale=scale, ink=i, text=f"w{i}." if text is None else text, start=i, join=join)


def words(*widths: float, join: str = "space", first: int = 0) -> list[Box]:
    return [box(first + n, w, join=join) for n, w in enumerate(widths)]


def simple_style(**kw) -> LayoutStyle:
    base = dict(x_height=5.0, line_height=20.0, word_space=10.0, variation=0.0)
    base.update(kw)
    return LayoutStyle(**base)


# A page whose content box is 100 pt wide and starts at x = 10, with 10 rows of 20 pt.
NARROW = PageGeometry(width=130, height=10 + 16 + 9 * 20 + 9 + 20, margin_top=10, margin_right=20, margin_bottom=20, margin_left=10)


def rows(page, style=None):
    """Placements of a page grouped into rows of the grid: {row: [placement, ...]} (numbers excluded)."""
    out: dict[int, list] = {}
    for p in page.placements:
        if p.ink < 0:
            continue
        out.setdefault(round((p.baseline - page.first_baseline) / page.line_pitch), []).append(p)
    return out


def content(pages):
    return [p for page in pages for p in page.placements if p.ink >= 0]


# -- random input ----------------------------------------------------------------------------


@st.composite
def scenes(draw):
    """(items, geometry, style): random boxes and breaks on a random page in a random style."""
    width = draw(st.floats(120, 700))
    height = draw(st.floats(120, 900))
    top, right, bottom, left = (draw(st.floats(0, 60)) for _ in range(4))
    geometry = PageGeometry(width, height, top, right, bottom, left)
    xh = draw(st.floats(2, 12))
    style = LayoutStyle(
        x_height=xh,
        line_height=xh * draw(st.floats(1.5, 4)),
        word_space=xh * draw(st.floats(0.2, 1.5)),
        align=draw(st.sampled_from(["left", "justify"])),
        indent=draw(st.sampled_from([0.0, 2 * xh, 4 * xh])),
        paragraph_gap=draw(st.sampled_from([0.0, 1.0, 2.0, 0.6])),
        page_numbers=draw(st.booleans()),
        variation=draw(st.sampled_from([0.0, 0.0, 0.5, 1.0, 1.0, 3.0])),
        seed=draw(st.integers(-(2**40), 2**40)),
    )
    try:
        check_fits(geometry, style)
    except UsageError:
        assume(False)
    cw = geometry.content_width
    items = []
    n = draw(st.integers(0, 120))
    for i in range(n):
        kind = draw(st.sampled_from(["box"] * 12 + ["line", "para"]))
        if kind == "line":
            items.append(LineBreak())
        elif kind == "para":
            items.append(ParagraphBreak())
        else:
            huge = draw(st.integers(0, 30)) == 0
            w = cw * (draw(st.floats(0.4, 3)) if huge else draw(st.floats(0, 0.3)))
            tall = draw(st.integers(0, 20)) == 0
            items.append(
                Box(
                    width=w,
                    ascent=xh * (draw(st.floats(0, 12)) if tall else draw(st.floats(0, 2.5))),
                    descent=xh * (draw(st.floats(0, 8)) if tall else draw(st.floats(0, 1.2))),
                    scale=draw(st.floats(0.01, 2)),
                    ink=i,
                    text=f"<{i}>",
                    start=i,
                    join=draw(st.sampled_from(["space", "space", "space", "break", "tight"])),
                )
            )
    return items, geometry, style


def number_boxes(n: int) -> list[Box]:
    return [Box(width=6.0 * len(str(n)), ascent=7.0, descent=1.0, scale=0.3, ink=-n, text=str(n), start=0)]


def numbered(items, geometry, style, numbers) -> list:
    """Pages laid out and numbered as the pipeline does it: layout places what the caller wrote."""
    pages = []
    for page in layout_pages(items, geometry, style):
        if style.page_numbers:
            set_page_number(page, numbers(page.number), style)
        pages.append(page)
    return pages


def check_layout(items, geometry, style, pages):
    """The invariants every layout must keep."""
    boxes = [b for b in items if isinstance(b, Box)]
    by_ink = {b.ink: b for b in boxes}
    drift = 2 * min(0.025 * style.x_height * style.variation, 0.05 * style.line_height)
    first, pitch, count = line_grid(geometry, style)

    # pages numbered 1..n, on the grid; nothing is dropped, nothing reordered
    assert [p.number for p in pages] == list(range(1, len(pages) + 1))
    placed = content(pages)
    assert [p.ink for p in placed] == [b.ink for b in boxes]
    assert bool(pages) == bool(boxes)

    for page in pages:
        assert (page.first_baseline, page.line_pitch, page.line_count) == (first, pitch, count)
        assert page.placements, "no empty pages"
        order = sorted(
            (p for p in page.placements if p.ink >= 0),
            key=lambda p: (round((p.baseline - first) / pitch), p.x),
        )
        assert [p.ink for p in order] == [p.ink for p in page.placements if p.ink >= 0]
        for row, line in rows(page).items():
            assert 0 <= row < count
            grid = first + row * pitch
            offsets = [p.baseline - grid for p in line]
            assert all(abs(d) <= drift + EPS for d in offsets)
            assert abs(sum(offsets) / len(offsets)) < 1e-9 * max(1.0, grid)  # zero-mean drift
            for a, b in zip(line, line[1:]):
                assert ink_bounds(by_ink[a.ink], a)[2] <= ink_bounds(by_ink[b.ink], b)[0] + EPS  # no overlap
            # a tight box never starts a line unless an explicit break (or the start) put it there
            head = by_ink[line[0].ink]
            if head.join == "tight":
                before = items[items.index(head) - 1] if items.index(head) else None
                assert before is None or isinstance(before, (LineBreak, ParagraphBreak))
        for p in page.placements:
            if p.ink < 0:
                b = number_boxes(-p.ink)[0]
                x0, y0, x1, y1 = ink_bounds(b, p)
                assert 0 <= x0 and x1 <= geometry.width + EPS
                assert geometry.content_bottom - EPS <= y0 and y1 <= geometry.height + EPS
                continue
            b = by_ink[p.ink]
            x0, y0, x1, y1 = ink_bounds(b, p)
            assert geometry.content_left - EPS <= x0 and x1 <= geometry.content_right + EPS, (x0, x1)
            assert geometry.content_top - EPS <= y0 and y1 <= geometry.content_bottom + EPS, (y0, y1)
            size = p.scale / b.scale
            assert size <= 1 + 0.03 * style.variation + 1e-9
            assert abs(p.rotation) <= 1.5 * style.variation + 1e-9
            assert (p.text, p.start) == (b.text, b.start)
        # spans: inside the content box (page numbers excepted)
        for s in page.spans:
            if s.baseline <= geometry.content_bottom:
                assert geometry.content_left - EPS <= s.x0 <= s.x1 <= geometry.content_right + EPS

    # breaks start rows; a paragraph's first line is indented, every other line starts at the margin
    after: dict[int, str] = {}  # ink -> what came before it: "para", "line" or a join
    state = "para"
    for item in items:
        if isinstance(item, ParagraphBreak):
            state = "para"
        elif isinstance(item, LineBreak):
            state = "line" if state != "para" else "para"  # a blank first line keeps the indent
        else:
            after[item.ink] = state
            state = item.join
    heads = set()
    for page in pages:
        for line in rows(page).values():
            head = line[0]
            heads.add(head.ink)
            indent = style.indent if after[head.ink] == "para" else 0.0  # wrapped lines: never indented
            assert ink_bounds(by_ink[head.ink], head)[0] == pytest.approx(geometry.content_left + indent, abs=EPS)
    assert {ink for ink, before in after.items() if before in ("para", "line")} <= heads

    # the text layer reads back the input, in order
    numbers = {str(p.number) for p in pages}
    texts = [s.text for page in pages for s in page.spans if not (s.baseline > geometry.content_bottom and s.text in numbers)]
    assert "".join(texts) == "".join(b.text for b in boxes)
    return placed


@given(scenes())
@settings(max_examples=100, deadline=None)
def test_layout_properties(scene):
    items, geometry, style = scene
    pages = numbered(items, geometry, style, number_boxes)
    check_layout(items, geometry, style, pages)
    # deterministic: the same input and seed give the same pages
    assert numbered(iter(items), geometry, style, number_boxes) == pages
    if style.page_numbers and pages:
        for page in pages:
            assert [p.ink for p in page.placements if p.ink < 0] == [-page.number]
    else:
        assert all(p.ink >= 0 for page in pages for p in page.placements)


@given(scenes())
@settings(max_examples=50, deadline=None)
def test_no_variation_is_regular(scene):
    items, geometry, style = scene
    style = dataclasses.replace(style, variation=0.0)
    pages = list(layout_pages(items, geometry, style))
    by_ink = {b.ink: b for b in items if isinstance(b, Box)}
    for page in pages:
        assert set(p.baseline for p in page.placements) <= set(page.baselines)
        for p in page.placements:
            assert p.rotation == 0.0
            assert p.scale <= by_ink[p.ink].scale * (1 + 1e-12)


# -- lines -----------------------------------------------------------------------------------


def lines_of(pages):
    """[[ink, ...], ...] row by row over all pages (empty rows left out)."""
    return [[p.ink for p in line] for page in pages for _, line in sorted(rows(page).items())]


def test_greedy_line_breaking():
    pages = list(layout_pages(words(30, 30, 30, 30, 50, 40, 100), NARROW, simple_style()))
    assert lines_of(pages) == [[0, 1], [2, 3], [4, 5], [6]]
    first = pages[0].placements
    assert [p.x for p in first[:2]] == [10, 50]  # left edge, then width + word space
    assert pages[0].placements[-1].x == 10


def test_tight_joins_never_start_a_line():
    items = [box(0, 60), box(1, 20), box(2, 15, join="tight"), box(3, 5, join="tight")]
    pages = list(layout_pages(items, NARROW, simple_style()))
    assert lines_of(pages) == [[0], [1, 2, 3]]
    assert pages[0].placements[2].x == 10 + 20  # tight: no space
    assert [s.text for s in pages[0].spans] == ["w0.", "w1.w2.w3."]


def test_word_that_fits_a_line_is_not_broken():
    items = [box(0, 70), *words(10, 10, 10, join="break", first=1)]
    items[1] = box(1, 10, join="space")
    assert lines_of(layout_pages(items, NARROW, simple_style())) == [[0], [1, 2, 3]]


def test_long_word_breaks_at_break_points():
    # Han-like: characters joined by "break", closing punctuation "tight"
    items = [box(0, 20)] + [box(i, 20, join="break") for i in range(1, 10)]
    items[4] = box(4, 5, join="tight")
    pages = list(layout_pages(items, NARROW, simple_style()))
    lines = lines_of(pages)
    assert lines == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]
    # a word broken across lines: one span per line
    assert [s.text for s in pages[0].spans] == ["w0.w1.w2.w3.w4.", "w5.w6.w7.w8.w9."]


def test_long_word_fills_the_current_line_first():
    items = [box(0, 30)] + [box(1, 20)] + [box(i, 20, join="break") for i in range(2, 9)]
    assert lines_of(layout_pages(items, NARROW, simple_style())) == [[0, 1, 2, 3], [4, 5, 6, 7, 8]]


def test_tight_group_wider_than_the_line_is_scaled_down():
    items = [box(0, 20), box(1, 150), box(2, 100, join="tight"), box(3, 20)]
    pages = list(layout_pages(items, NARROW, simple_style(indent=0)))
    assert lines_of(pages) == [[0], [1, 2], [3]]
    p1, p2 = pages[0].placements[1:3]
    assert p1.scale == pytest.approx(0.5 * 100 / 250) and p2.scale == p1.scale
    assert p1.x == 10 and p2.x == pytest.approx(10 + 150 * 0.4)
    assert p2.x + 100 * 0.4 == pytest.approx(110)


def test_huge_box_on_indented_first_line():
    pages = list(layout_pages([box(0, 400)], NARROW, simple_style(indent=20)))
    (p,) = pages[0].placements
    assert p.x == 30 and p.x + 400 * p.scale / 0.5 == pytest.approx(110)


def test_tall_box_is_kept_inside_its_band():
    pages = list(layout_pages([box(0, 10, ascent=200, descent=100)], NARROW, simple_style()))
    (p,) = pages[0].placements
    x0, y0, x1, y1 = ink_bounds(box(0, 10, ascent=200, descent=100), p)
    assert y0 >= NARROW.content_top - EPS and y1 <= p.baseline + 0.45 * 20 + EPS
    assert p.scale < 0.5


def test_explicit_line_break_and_blank_line():
    items = [*words(20, 20), LineBreak(), box(2, 20), LineBreak(), LineBreak(), box(3, 20)]
    pages = list(layout_pages(items, NARROW, simple_style(indent=15)))
    r = rows(pages[0])
    assert sorted(r) == [0, 1, 3]  # the blank line leaves row 2 empty
    assert r[0][0].x == 25  # paragraph's first line indented
    assert r[1][0].x == 10 and r[3][0].x == 10  # lines after a LineBreak are not


@pytest.mark.parametrize("gap, expected", [(1.0, [0, 2]), (0.0, [0, 1]), (2.0, [0, 3]), (1.4, [0, 2])])
def test_paragraph_gap_rows(gap, expected):
    items = [box(0, 20), ParagraphBreak(), ParagraphBreak(), box(1, 20), ParagraphBreak()]
    pages = list(layout_pages(items, NARROW, simple_style(indent=15, paragraph_gap=gap)))
    r = rows(pages[0])
    assert sorted(r) == expected
    assert r[expected[1]][0].x == 25  # every paragraph's first line is indented


def test_leading_breaks_and_empty_input_make_no_pages():
    assert list(layout_pages([], NARROW, simple_style())) == []
    assert list(layout_pages([ParagraphBreak(), LineBreak(), ParagraphBreak()], NARROW, simple_style())) == []
    pages = list(layout_pages([ParagraphBreak(), LineBreak(), box(0, 10)], NARROW, simple_style()))
    assert len(pages) == 1 and sorted(rows(pages[0])) == [0]


def test_paragraph_gap_at_the_top_of_a_page_is_dropped():
    count = line_grid(NARROW, simple_style())[2]
    assert count == 10
    items = []
    for i in range(count):
        items += [box(i, 20), LineBreak()]
    items += [ParagraphBreak(), box(99, 20)]
    pages = list(layout_pages(items, NARROW, simple_style()))
    assert len(pages) == 2
    assert sorted(rows(pages[0])) == list(range(10))
    assert sorted(rows(pages[1])) == [0]


def test_justify_stretches_all_but_the_last_line():
    items = [*words(30, 30, 30, 30, 25), LineBreak(), *words(10, 10, first=5), ParagraphBreak(), *words(10, 10, first=7)]
    for variation in (0.0, 1.0):
        style = simple_style(align="justify", variation=variation)
        pages = list(layout_pages(items, NARROW, style))
        by_ink = {b.ink: b for b in items if isinstance(b, Box)}
        right = {row: ink_bounds(by_ink[line[-1].ink], line[-1])[2] for row, line in rows(pages[0]).items()}
        assert sorted(right) == [0, 1, 2, 3, 5]
        assert right[0] == pytest.approx(110) and right[1] == pytest.approx(110)  # wrapped: stretched
        assert right[2] < 50  # ended by LineBreak: left aligned
        assert right[3] < 50  # the paragraph's last line
        assert right[5] < 50  # and the next paragraph's only line


def test_justify_without_spaces_stretches_between_characters():
    items = [box(0, 30)] + [box(i, 30, join="break") for i in range(1, 6)]
    pages = list(layout_pages(items, NARROW, simple_style(align="justify")))
    line = rows(pages[0])[0]
    assert [p.ink for p in line] == [0, 1, 2]
    assert [p.x for p in line] == pytest.approx([10, 45, 80])


# -- pages -----------------------------------------------------------------------------------


def test_pages_fill_row_by_row():
    items = words(*[60] * 25)
    pages = list(layout_pages(items, NARROW, simple_style()))
    assert [p.number for p in pages] == [1, 2, 3]
    assert [len(p.placements) for p in pages] == [10, 10, 5]
    for page in pages:
        assert [p.baseline for p in page.placements] == page.baselines[: len(page.placements)]


def test_page_numbers_centred_in_the_bottom_margin():
    calls = []

    def numbers(n):
        calls.append(n)
        return [box(-n, 12, ascent=6, descent=2, text=str(n)), box(-100 - n, 4, ascent=5, descent=1, join="tight", text="*")]

    items = words(*[60] * 15)
    pages = numbered(items, NARROW, simple_style(page_numbers=True), numbers)
    assert calls == [1, 2]
    for page in pages:
        digits, star = [p for p in page.placements if p.ink < 0]
        assert digits.x + 8 == pytest.approx(60)  # centred under the 10..110 column
        assert digits.baseline - 6 >= NARROW.content_bottom and digits.baseline + 2 <= NARROW.height
        assert digits.baseline - 6 - NARROW.content_bottom == pytest.approx(NARROW.height - digits.baseline - 2)
        assert page.spans[-1].text == f"{page.number}*"
    no_numbers = numbered(items, NARROW, simple_style(page_numbers=False), numbers)
    assert all(p.ink >= 0 for page in no_numbers for p in page.placements)
    # layout never asks anyone for ink: without the caller's boxes a page has no number
    by_layout = list(layout_pages(items, NARROW, simple_style(page_numbers=True)))
    assert all(p.ink >= 0 for page in by_layout for p in page.placements)
    # the number's span is a line of its own
    assert all(page.spans[-1].line not in {s.line for s in page.spans[:-1]} for page in pages)


def test_page_numbers_shrink_into_a_small_margin():
    g = PageGeometry(130, 200, 10, 10, 12, 10)
    big = lambda n: [box(-n, 500, ascent=30, descent=10, text=str(n))]  # noqa: E731
    (page,) = numbered([box(0, 10)], g, simple_style(page_numbers=True), big)
    p = page.placements[-1]
    x0, y0, x1, y1 = ink_bounds(big(1)[0], p)
    assert g.content_left - EPS <= x0 and x1 <= g.content_right + EPS
    assert g.content_bottom - EPS <= y0 and y1 <= g.height + EPS


# -- variation -------------------------------------------------------------------------------


def test_variation_is_seeded_and_natural():
    items = words(*[25] * 200)
    g = PageGeometry(400, 600, 30, 30, 30, 30)
    style = simple_style(variation=1.0, seed=7)
    a = list(layout_pages(items, g, style))
    assert a == list(layout_pages(items, g, style))
    b = list(layout_pages(items, g, simple_style(variation=1.0, seed=8)))
    assert a != b
    placed = content(a)
    rotations = [p.rotation for p in placed]
    sizes = [p.scale / 0.5 for p in placed]
    assert max(rotations) > 1.0 and min(rotations) < -1.0
    assert max(sizes) > 1.02 and min(sizes) < 0.98
    assert len({round(p.baseline - min(a[0].baselines, key=lambda y: abs(y - p.baseline)), 9) for p in placed}) > 50
    # spacing jitter: the gaps between words differ
    line = rows(a[0])[0]
    by_ink = {b.ink: b for b in items}
    gaps = {round(ink_bounds(by_ink[q.ink], q)[0] - ink_bounds(by_ink[p.ink], p)[2], 6) for p, q in zip(line, line[1:])}
    assert len(gaps) > 3 and all(8.5 - 1e-6 <= gap <= 11.5 + 1e-6 for gap in gaps)


def test_variation_does_not_depend_on_where_pages_break():
    # the same words flowed onto a taller page get the same jitter (seeded by box index)
    items = words(*[25] * 60)
    short = PageGeometry(400, 200, 30, 30, 30, 30)
    tall = PageGeometry(400, 600, 30, 30, 30, 30)
    style = simple_style(variation=1.0, seed=3)
    key = lambda p: (p.ink, round(p.scale, 12), round(p.rotation, 12))  # noqa: E731
    assert [key(p) for p in content(layout_pages(items, short, style))] == [
        key(p) for p in content(layout_pages(items, tall, style))
    ]


# -- streaming -------------------------------------------------------------------------------


class Counting:
    """An endless item source that counts what layout has taken."""

    def __init__(self, make):
        self.taken = 0
        self.make = make

    def __iter__(self):
        for i in itertools.count():
            self.taken += 1
            yield self.make(i)


@pytest.mark.parametrize(
    "make",
    [
        lambda i: box(i, 10 + (i * 7) % 40),  # words
        lambda i: box(i, 12, join="break" if i else "space"),  # one endless unspaced word (Han-like)
        lambda i: ParagraphBreak() if i % 9 == 8 else box(i, 10 + (i * 7) % 40),
    ],
)
def test_streaming_takes_only_what_a_page_needs(make):
    source = Counting(make)
    pages = layout_pages(source, NARROW, simple_style(variation=1.0))
    for number in (1, 2, 3):
        page = next(pages)
        assert page.number == number
        # at most about one line of items (a line holds <= 8 here) beyond those on the pages so far
        placed_so_far = page.placements[-1].ink + 1
        assert source.taken - placed_so_far <= 12, (source.taken, placed_so_far)


def test_a_megabyte_flows_lazily():
    source = Counting(lambda i: box(i, 5 + (i * 13) % 60, text="abcdef"))
    g = PageGeometry(595, 842, 57, 57, 57, 57)
    pages = layout_pages(source, g, simple_style(variation=1.0))
    first = next(pages)
    assert source.taken < 2 * len(first.placements)
    for page in itertools.islice(pages, 20):
        pass
    assert page.number == 21


def test_errors_are_raised_before_any_item_is_read():
    source = Counting(lambda i: box(i, 10))
    tiny = PageGeometry(130, 30, 10, 10, 10, 10)
    with pytest.raises(UsageError, match="no line of writing fits"):
        layout_pages(source, tiny, simple_style())
    assert source.taken == 0
    with pytest.raises(ValueError, match="invalid box"):
        list(layout_pages([box(0, -1)], NARROW, simple_style()))
    with pytest.raises(TypeError):
        list(layout_pages(["text"], NARROW, simple_style()))


# -- what layout hands on ------------------------------------------------------------------------


def test_spans_carry_their_line_and_the_space_before_them():
    # two words of one tight pair each, then words that wrap: "w0.w1. w2.w3. w4. w5. ..."
    items = [box(0, 20), box(1, 10, join="tight"), box(2, 20), box(3, 10, join="tight"), *words(30, 30, 30, first=4)]
    (page,) = layout_pages(items, NARROW, simple_style())
    assert [(s.text, s.line, s.space_before) for s in page.spans] == [
        ("w0.w1.", 0, False), ("w2.w3.", 0, True),  # 70 pt: w4 no longer fits the 100 pt line
        ("w4.", 1, False), ("w5.", 1, True),
        ("w6.", 2, False),
    ]


def test_an_over_wide_word_is_cut_by_one_policy():
    from hwrender.layout import word_parts

    style = simple_style()
    assert word_parts("abcdefghij", 100, NARROW, style) == ["abcdefghij"]  # fits the 100 pt line
    assert word_parts("abcdefghij", 250, NARROW, style) == ["abc", "def", "ghi", "j"]  # 90% of a line each
    assert word_parts("abcdefghij", 250, NARROW, simple_style(indent=30)) == ["ab", "cd", "ef", "gh", "ij"]
    assert word_parts("x", 500, NARROW, style) == ["x"]  # one character: layout shrinks it instead

"""Hyphens for the Latin word generator, drawn as a pen stroke instead of by the GAN.

The shipped word GAN draws ``-`` as a raised bar at about 1.5 x-heights with a second tick near
the baseline (measured on its raw 32 px output: ink in rows 8-12 and 20-26 of ``"-"``, the
x-height band being rows 13-22), which reads as a bracket. So a word with hyphens is written as its
parts (``mother-in-law`` → ``mother``, ``in``, ``law``, one batch) and each hyphen is drawn here:
a short, slightly sloped stroke centred half an x-height above the baseline, as thick and as dark as
the strokes of the word around it, then the pieces are set side by side on one baseline. The
symbols, digits and capitals the GAN cannot draw well (``symbols.DRAWN``: ``# + = < > * ^ _ | \\ /
[ ] { } ~ @ % & ? ! $``, the backtick, the digits, the ASCII capitals and the accented capitals
on them) are split off and drawn
the same way, by ``symbols.draw_symbol``, and so are ``. , : ;`` standing between them
(``symbols.POINTS``).

What is left between drawn characters is written by the GAN, in one batch. A letter left alone
there (``a<b``, ``c|d``, ``x-ray``; the GAN rarely wrote a one-letter word) is written inside a
context word and cut out (``glyphs.in_context``), and a run of up to ``CAPS`` capitals the GAN
writes (``ØŁ``, beside drawn characters or by itself: ``in_parts``; the ASCII capitals are drawn)
is written that way letter by letter, each capital where the GAN draws capitals best, at a
word's start; the letters are then kerned like drawn symbols. Before the capitals were drawn,
this was how ``NY10518`` and ``USA`` were written: on 40
token lines and 18 hands that are not the evaluation's (``hwrender eval latin`` keeps its own),
Tesseract CER 0.084 -> 0.063 with these three changes (lone letters alone 0.079), and the
independent recognizer reads lone letters at 0.911 (0.858 written alone), capitals in
capital-run tokens at 0.833 (0.774).
"""

from __future__ import annotations

import re
import zlib
from typing import Sequence

import numpy as np

from hwrender.ink import InkImage

from . import symbols
from . import words as W
from .marks import pen, stroke_thickness, sure_pen  # noqa: F401 (the pen is shared with diacritics)

HYPHEN = "-"
PROBE = "nun"  # written (and not used) for its pen when a call has nothing but drawn characters
LENGTH = 0.75      # x-heights
GAP = 0.12         # x-heights of paper on each side of a hyphen
CENTRE = 0.5       # x-heights above the baseline (the middle of the x-height band)


_SPLIT = re.compile("([" + re.escape(HYPHEN + "".join(sorted(symbols.DRAWN))) + "])")


def has_hyphen(word: str) -> bool:
    return HYPHEN in word


def has_drawn(word: str) -> bool:
    """Whether ``word`` holds a character drawn here (a hyphen, one of ``symbols.DRAWN``, or an
    apostrophe at its edge: ``symbols.EDGES``)."""
    return (has_hyphen(word) or symbols.has_drawn(word) or word in symbols.LONE_POINTS
            or any(word.startswith(m) or word.endswith(m) for m in symbols.EDGES))


def caps_run(part: str) -> bool:
    """Whether ``part`` is a run of 2 to ``CAPS`` capitals (``NY``, ``INV``): written letter by
    letter, each capital in context."""
    return 1 < len(part) <= CAPS and part.isalpha() and part.isupper()


def in_parts(word: str) -> bool:
    """Whether ``word`` is written here in parts: it holds a drawn character or is a capital run
    (``NY``: on 24 prose lines with such words, 18 hands not the evaluation's, Tesseract CER 0.092
    written whole, 0.048 letter by letter)."""
    return has_drawn(word) or caps_run(word)


def drawn(part: str) -> bool:
    return part == HYPHEN or part in symbols.DRAWN


def split(word: str) -> list[str]:
    """``"x-ray"`` → ``["x", "-", "ray"]``, ``"#42"`` → ``["#", "4", "2"]``: each drawn character is
    an item of its own; so is each capital of a run of ``CAPS`` or fewer, alone or beside a
    drawn character (``"NY"`` → ``["N", "Y"]``, ``"NY10518"`` → ``["N", "Y", "1", ...]``)."""
    parts = [part for part in _SPLIT.split(word) if part]
    parts = [q for p in parts for q in _edges(p)]
    return [q for p in parts for q in (list(p) if caps_run(p) else (p,))]


def _edges(part: str) -> list[str]:
    """``"'tis"`` → ``["'", "tis"]``: ``symbols.EDGES`` marks split off either end of a part."""
    head, tail = [], []
    while len(part) > 1 and part[0] in symbols.EDGES:
        head.append(part[0])
        part = part[1:]
    while len(part) > 1 and part[-1] in symbols.EDGES:
        tail.insert(0, part[-1])
        part = part[:-1]
    return head + [part] + tail


def drawn_parts(parts: Sequence[str]) -> list[bool]:
    """Which of a split word's ``parts`` are drawn here: hyphens, ``symbols.DRAWN``, an
    apostrophe split off an edge or alone (``symbols.EDGES``), ``symbols.POINTS`` standing
    alone between drawn characters (the dots of ``28.4.63``) and ``symbols.LONE_POINTS`` as a
    word by themselves (``mot ; mot``)."""
    return [drawn(p) or p in symbols.EDGES or (len(parts) > 1 and p in symbols.POINTS)
            or (len(parts) == 1 and p in symbols.LONE_POINTS) for p in parts]


def lone(parts: Sequence[str]) -> list[bool]:
    """Which of a split word's ``parts`` are letters standing alone (the GAN writes them inside
    a context word: ``glyphs.in_context``)."""
    from .glyphs import in_context

    return [len(parts) > 1 and in_context(p) is not None for p in parts]


def draw_hyphen(thickness: float, level: float, rng: np.random.Generator,
                x_height: float = W.X_HEIGHT) -> InkImage:
    """One hyphen on its own baseline: an anti-aliased stroke with a small random slope and
    length, centred ``CENTRE`` x-heights above the baseline."""
    length = x_height * LENGTH * rng.uniform(0.9, 1.1)
    slope = rng.uniform(-0.06, 0.06)
    gap = x_height * GAP
    centre = x_height * CENTRE * rng.uniform(0.95, 1.05)
    above = int(np.ceil(centre + thickness / 2 + abs(slope) * length / 2)) + 1
    width = int(np.ceil(length + 2 * gap))
    ys = np.arange(above + 1)[:, None] + 0.5          # pixel centres; the baseline is row ``above``
    xs = np.arange(width)[None, :] + 0.5
    x0, x1 = gap, gap + length
    yc = above - centre - slope * (xs - (x0 + x1) / 2)  # rising to the right for slope > 0
    across = np.clip(thickness / 2 + 0.5 - np.abs(ys - yc), 0.0, 1.0)
    along = np.clip(np.minimum(xs - x0, x1 - xs) + 0.5, 0.0, 1.0)
    alpha = (across * along * level).astype(np.float32)
    return InkImage(alpha, baseline=float(above), x_height=float(x_height), advance=float(width),
                    text=HYPHEN)


def join(parts: Sequence[InkImage], text: str, x_height: float | None = None,
         kern: Sequence[bool] = (), space: float | None = None) -> InkImage:
    """Set ink images side by side on one baseline; ``space`` (default: the last part's word
    space, its advance past its ink) is kept past the ink, and ``x_height`` (default: the first
    part's) is reported. Where
    ``kern[i]`` is true, part ``i + 1`` moves left until its ink comes within ``KERN`` x-heights
    of the ink before it, row by row, by ``KERN_MAX`` at most (a sheared or slanted part beside
    another does not leave the gap their boxes would)."""
    above = max(p.baseline for p in parts)
    below = max(p.height - p.baseline for p in parts)
    top = int(np.ceil(above))
    height = top + int(np.ceil(below))
    rows = [int(round(top - p.baseline)) for p in parts]
    xs, right = [], np.full(height, -np.inf)  # the ink's rightmost column so far, per row
    x = 0
    for i, (p, y) in enumerate(zip(parts, rows)):
        if i and i - 1 < len(kern) and kern[i - 1]:
            xh = x_height or p.x_height
            x = max(0, x - min(_slack(right, p, x, y, KERN * xh), int(KERN_MAX * xh)))
        xs.append(x)
        ink = p.alpha > KERN_INK
        has = ink.any(1)
        last = np.where(has, ink.shape[1] - 1 - np.argmax(ink[:, ::-1], 1), -1)
        span = right[y:y + p.height]
        right[y:y + p.height] = np.where(has, np.maximum(span, x + last[:len(span)]), span)
        x += p.width
    width = max(x0 + p.width for x0, p in zip(xs, parts))
    alpha = np.zeros((height, width), np.float32)
    for p, x0, y in zip(parts, xs, rows):
        region = alpha[y:y + p.height, x0:x0 + p.width]
        np.maximum(region, p.alpha[:region.shape[0]], out=region)
    if space is None:
        space = parts[-1].advance - parts[-1].width
    return InkImage(alpha, baseline=float(top),
                    x_height=parts[0].x_height if x_height is None else x_height,
                    advance=float(width + space), text=text)


CAPS = 4         # a run of this many capitals or fewer is written letter by letter
KERN = 0.2       # x-heights of paper kept between a drawn symbol's ink and its neighbours'
KERN_INK = 0.3   # alpha counted as ink when kerning
KERN_MAX = 0.3   # x-heights a part moves at most (a ^ after a _ would slide over it)


def _slack(right: np.ndarray, part: InkImage, x: int, y: int, gap: float) -> int:
    """Whole pixels ``part`` (its box at column ``x``, its top at canvas row ``y``) can move left
    and keep ``gap`` px of paper to the ink so far (``right``: its last column per row) in every
    row and the rows beside it."""
    ink = part.alpha > KERN_INK
    has = ink.any(1)
    near = right.copy()
    near[1:] = np.maximum(near[1:], right[:-1])  # a diagonal neighbour counts
    near[:-1] = np.maximum(near[:-1], right[1:])
    span = near[y:y + part.height]
    both = has[:len(span)] & np.isfinite(span)
    if not both.any():
        return 0
    first = np.argmax(ink, 1)[:len(span)]
    room = np.min(x + first[both] - span[both] - 1)  # paper between them, px
    return max(0, int(np.floor(room - gap)))


# Drawn letters take a narrow or wide hand's width (``Hello`` in hand ``narrow``: before, a capital
# as wide as a default hand's beside narrow letters). Digits and symbols keep the default width:
# squeezed or stretched with the hand they read worse (Tesseract on 60 token lines, 20 hands, not
# the evaluation's: 0.0436 -> 0.0548 at the hand's full width, 0.0476 at its square root).
LETTER_WIDTH = True


def generate(write, units: Sequence[str], seed: int, shear: float = 0.0,
             width: float = 1.0, form: symbols.Form = symbols.Form()) -> list[InkImage]:
    """Ink for ``units`` where some have drawn characters: ``write(words, lone)`` (the GAN, one
    batch) writes every part that is not drawn, ``lone[i]`` saying word i is a letter alone
    (``lone``); hyphens and symbols are drawn to match the strokes of
    their word (a word of drawn characters alone: of all the words written with it), symbols
    leaning with the hand's ``shear``, and drawn letters (capitals, ``æ ß``) ``width`` times as
    wide as a default hand's, as the hand's words are (``LETTER_WIDTH``), capitals in its
    ``form``."""
    split_units = [split(u) for u in units]
    flags = [drawn_parts(parts) for parts in split_units]
    texts = [p for parts, fl in zip(split_units, flags) for p, d in zip(parts, fl) if not d]
    # a letter alone between drawn characters (a<b, x-ray, the N and Y of NY10518): the GAN
    # rarely wrote one by itself, so ``write`` writes it in context
    alone = [a for parts, fl in zip(split_units, flags) for a, d in zip(lone(parts), fl) if not d]
    probe = not texts and any(d and p != HYPHEN for parts, fl in zip(split_units, flags)
                              for p, d in zip(parts, fl))
    all_inks = write(texts, alone) if texts else write([PROBE], [False]) if probe else []
    inks = iter([] if probe else all_inks)
    call_pen = None  # the pen of every word written with them, for words of drawn characters alone

    def drawn_as(ch: str) -> dict:  # letters at the hand's width, capitals in its form
        return {**({"width": width} if LETTER_WIDTH and ch.isalpha() else {}),
                **({"form": form} if ch.isupper() else {})}

    out = []
    for unit, parts, fl in zip(units, split_units, flags):
        written = {i: next(inks) for i, d in enumerate(fl) if not d}
        alphas = [ink.alpha for ink in written.values()]
        rng = np.random.default_rng(zlib.crc32(f"{seed}:{unit}".encode()))
        if HYPHEN in parts:
            thickness, level = pen(alphas)
        if any(d and p != HYPHEN for p, d in zip(parts, fl)):
            if alphas:
                sym_pen = sure_pen(alphas)
            else:
                call_pen = call_pen or sure_pen([ink.alpha for ink in all_inks])
                sym_pen = call_pen
        pieces = [written[i] if i in written
                  else draw_hyphen(thickness, level, rng) if parts[i] == HYPHEN
                  else symbols.draw_symbol(parts[i], *sym_pen, rng, shear, **drawn_as(parts[i]))
                  for i in range(len(parts))]
        if len(pieces) == 1 and 0 in written:  # nothing drawn
            out.append(pieces[0])
            continue
        ref = next(iter(written.values()), all_inks[0] if all_inks else None)
        x_height = ref.x_height if ref is not None else None
        # the hand's word space, which the GAN's words carry (a drawn last part has none)
        space = ref.advance - ref.width if ref is not None else 0.0
        # drawn symbols and the capitals of a split run (NY) sit close; hyphens keep their gap
        kern = [(fl[i] and parts[i] != HYPHEN) or (fl[i + 1] and parts[i + 1] != HYPHEN)
                or not (fl[i] or fl[i + 1]) for i in range(len(parts) - 1)]
        out.append(join(pieces, unit, x_height, kern, space))
    return out

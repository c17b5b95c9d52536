"""Split text into paragraphs (blank lines), lines (newlines), words (spaces) and script runs.

Scripts come from the Unicode Script property (``fontTools.unicodedata.script``). Common
(``Zyyy``: digits, punctuation) characters take the script of the nearest strong character: in
their own word first (the previous one, else the next one), then the previous word's, then the
next word's; so ``"Hello,"`` is one Latin run and ``"2026"`` written after Hangul is Hangul. The
script on the other side, if any, is kept as the run's ``alt``: the plan tries its generator next
when the first one cannot write those characters. Inherited characters (``Zinh``: combining
marks) always join the character before them. Offsets (``start``) index the normalised text and
give error positions.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterator

# the script table lives in .scripts; plan, pipeline and the CLI import these names from here too
from .scripts import BREAK_BETWEEN_CHARS, COMMON, INHERITED, UNKNOWN, WEAK  # noqa: F401
from .scripts import script as char_script

_SPACE = re.compile(r"[^\S\n]+")  # whitespace except newlines


@dataclass(frozen=True)
class Run:
    """Consecutive characters of one (resolved) script. ``alt``: for common characters, the
    strong script on their other side (``None`` when there is none or it is the same)."""

    text: str
    start: int
    script: str
    alt: str | None = None


@dataclass(frozen=True)
class Word:
    """A space-delimited token: one or more runs written without spaces between them."""

    text: str
    start: int
    runs: tuple[Run, ...]


@dataclass(frozen=True)
class Line:
    """Words between explicit newlines."""

    words: tuple[Word, ...]
    start: int


@dataclass(frozen=True)
class Paragraph:
    """Lines between blank lines."""

    lines: tuple[Line, ...]
    start: int

    @property
    def words(self) -> list[Word]:
        return [w for line in self.lines for w in line.words]


# Default-ignorable code points (Unicode's Default_Ignorable_Code_Point, the Hangul fillers
# included): invisible formatting a renderer skips (zero-width space and non-joiner, soft hyphen,
# word joiner, bidirectional marks, a byte-order mark inside the text). They were "no generator
# writes U+200B", with the advice to install a plugin. The zero-width joiner, variation selectors
# and tags build emoji sequences (👨‍👩‍👧, ❤️, flags): kept after an emoji or symbol, where they
# belong to it, and dropped elsewhere.
_IGNORABLE = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b\u200c\u200e\u200f"
                        "\u202a-\u202e\u2060-\u206f\u3164\ufeff\uffa0\ufff0-\ufff8"
                        "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e001f\U000e0080-\U000e0fff]")
_SEQUENCE = re.compile("(?<![\u00a9\u00ae\u203c-\u3299\U0001f000-\U0001faff\u200d\ufe0f\U000e0020-\U000e007f])"
                       "[\u200d\ufe00-\ufe0f\U000e0020-\U000e007f]")


def normalize(text: str) -> str:
    """NFC, Unix newlines (a form feed or vertical tab is a line break), tabs as spaces, no
    byte-order mark and no other default-ignorable (invisible) code point."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    text = text.replace("\f", "\n").replace("\v", "\n")
    return unicodedata.normalize("NFC", _SEQUENCE.sub("", _IGNORABLE.sub("", text)))


NEXT = "next"  # placeholder: the first strong script after this word (resolved when seen)

Resolved = tuple  # (script | NEXT, alt | NEXT | None) per character


def _word_scripts(word: str, before: str | None) -> tuple[list[Resolved], str | None, bool]:
    """(script, alt) per character, the word's last strong script (or ``before``), and whether
    it has a strong character. ``NEXT`` stands for the next word's script, not known yet."""
    raw = [char_script(c) for c in word]
    strong = [i for i, s in enumerate(raw) if s not in WEAK]
    out: list[Resolved] = []
    k = 0  # index into strong of the next strong character at or after i
    for i, s in enumerate(raw):
        while k < len(strong) and strong[k] < i:
            k += 1
        if s not in WEAK:
            out.append((s, None))
            continue
        if s == INHERITED and out:  # a mark belongs to the character it follows
            out.append(out[-1])
            continue
        prev = raw[strong[k - 1]] if k > 0 else None
        nxt = raw[strong[k]] if k < len(strong) else None
        if prev is not None:
            out.append((prev, nxt if nxt is not None else NEXT))
        elif nxt is not None:
            out.append((nxt, before))
        elif before is not None:
            out.append((before, NEXT))
        else:
            out.append((NEXT, None))
    last = raw[strong[-1]] if strong else before
    return out, last, bool(strong)


def _fill(scripts: list[Resolved], nxt: str | None) -> list[tuple[str, str | None]]:
    """Replace ``NEXT`` by the next strong script (``None`` at the end of a paragraph; a word
    with nothing strong anywhere near stays common)."""
    out = []
    for script, alt in scripts:
        if script == NEXT:
            script = nxt or COMMON
        if alt == NEXT:
            alt = nxt
        out.append((script, None if alt == script else alt))
    return out


def _split_runs(word: str, start: int, scripts: list[tuple[str, str | None]]) -> tuple[Run, ...]:
    runs: list[Run] = []
    i = 0
    while i < len(word):
        j = i + 1
        while j < len(word) and scripts[j] == scripts[i]:
            j += 1
        runs.append(Run(word[i:j], start + i, *scripts[i]))
        i = j
    return tuple(runs)


@dataclass(frozen=True)
class Break:
    """Between two words: an explicit newline, or a blank line ending a paragraph."""

    paragraph: bool
    start: int


_TOKEN = re.compile(r"\S+|\n")


def iter_tokens(text: str) -> Iterator[Word | Break]:
    """Words and breaks of normalised text, in order and lazily: memory does not grow with the
    length of a paragraph (a text file without blank lines is one long paragraph).

    A word whose common characters need the next strong script (``"2026 -"`` at the start of a
    paragraph, ``"世界!"`` before a Latin word) waits, with whatever follows it, until the next
    word with a strong character says which script that is.
    """
    last: str | None = None  # the paragraph's latest strong script
    waiting: list = []  # (text, start, scripts) or Break, waiting for the next strong script
    newlines = 0
    break_at = 0
    seen_word = False
    for m in _TOKEN.finditer(text):
        token = m.group()
        if token == "\n":
            if newlines == 0:
                break_at = m.start()
            newlines += 1
            continue
        if seen_word and newlines:
            if newlines >= 2:  # a blank line (spaces on it do not count)
                yield from _resolved(waiting, None)
                waiting, last = [], None
                yield Break(True, break_at)
            elif waiting:
                waiting.append(Break(False, break_at))
            else:
                yield Break(False, break_at)
        newlines, seen_word = 0, True
        scripts, new_last, has_strong = _word_scripts(token, last)
        if has_strong and waiting:
            first = next(s for s, alt in scripts if alt is None and s != NEXT)
            yield from _resolved(waiting, first)
            waiting = []
        last = new_last
        if waiting or any(NEXT in r for r in scripts):
            waiting.append((token, m.start(), scripts))
            if len(waiting) > MAX_WAITING:  # bounded memory: a paragraph of numbers only
                yield from _resolved(waiting, None)
                waiting = []
            continue
        yield Word(token, m.start(), _split_runs(token, m.start(), _fill(scripts, None)))
    yield from _resolved(waiting, None)


MAX_WAITING = 10_000


def _resolved(waiting: list, script: str | None) -> Iterator[Word | Break]:
    for item in waiting:
        if isinstance(item, Break):
            yield item
        else:
            token, start, scripts = item
            yield Word(token, start, _split_runs(token, start, _fill(scripts, script)))


def iter_paragraphs(text: str) -> Iterator[Paragraph]:
    """Paragraphs of already normalised text, one at a time (each is built whole: for very long
    texts the pipeline uses ``iter_tokens``)."""
    lines: list[Line] = []
    words: list[Word] = []
    for token in iter_tokens(text):
        if isinstance(token, Word):
            words.append(token)
            continue
        lines.append(Line(tuple(words), words[0].start))
        words = []
        if token.paragraph:
            yield Paragraph(tuple(lines), lines[0].start)
            lines = []
    if words:
        lines.append(Line(tuple(words), words[0].start))
    if lines:
        yield Paragraph(tuple(lines), lines[0].start)


def segment(text: str) -> list[Paragraph]:
    """Normalise and segment a whole text."""
    return list(iter_paragraphs(normalize(text)))


def position(text: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of ``offset`` in ``text``."""
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, col

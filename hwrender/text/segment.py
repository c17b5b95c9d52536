"""Split text into paragraphs (blank lines), lines (newlines), words (spaces) and script runs.

Scripts come from the Unicode Script property (``fontTools.unicodedata.script``). Common
(``Zyyy``: digits, punctuation) and inherited (``Zinh``: combining marks) characters take the
script of the neighbouring run (the previous one, or the next one at the start), so ``"Hello,"``
is one Latin run and ``"2026"`` written among Hangul is Hangul. Offsets (``start``) index the
normalised text and give error positions.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterator

from fontTools.unicodedata import script as _script

COMMON = "Zyyy"
INHERITED = "Zinh"
UNKNOWN = "Zzzz"
# Scripts written without spaces between words: lines may break between any two characters.
BREAK_BETWEEN_CHARS = frozenset({"Hani", "Hira", "Kana", "Bopo"})

_SPACE = re.compile(r"[^\S\n]+")  # whitespace except newlines


@dataclass(frozen=True)
class Run:
    """Consecutive characters of one (resolved) script."""

    text: str
    start: int
    script: str


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


def normalize(text: str) -> str:
    """NFC, Unix newlines, tabs as spaces, no byte-order mark."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ").lstrip("\ufeff")
    return unicodedata.normalize("NFC", text)


@lru_cache(maxsize=65536)
def char_script(ch: str) -> str:
    return _script(ch)


def _word_scripts(word: str, before: str | None) -> tuple[list[str], str | None]:
    """Resolved script per character; returns them and the last strong script seen."""
    raw = [char_script(c) for c in word]
    resolved: list[str | None] = []
    last = before
    for s in raw:
        if s in (COMMON, INHERITED, UNKNOWN):
            resolved.append(last)
        else:
            resolved.append(s)
            last = s
    return resolved, last  # type: ignore[return-value]


def _split_runs(word: str, start: int, scripts: list[str]) -> tuple[Run, ...]:
    runs: list[Run] = []
    i = 0
    while i < len(word):
        j = i + 1
        while j < len(word) and scripts[j] == scripts[i]:
            j += 1
        runs.append(Run(word[i:j], start + i, scripts[i]))
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

    Only the words at the start of a paragraph that have no strong script yet (``"2026 -"``)
    wait, until the first strong character says which script they join.
    """
    last: str | None = None  # the paragraph's latest strong script
    waiting: list = []  # (text, start, scripts) or Break, before the first strong character
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
                yield from _resolved(waiting, COMMON)
                waiting, last = [], None
                yield Break(True, break_at)
            elif waiting:
                waiting.append(Break(False, break_at))
            else:
                yield Break(False, break_at)
        newlines, seen_word = 0, True
        scripts, last = _word_scripts(token, last)
        if last is None:  # nothing strong in the paragraph yet
            waiting.append((token, m.start(), scripts))
            continue
        if waiting or None in scripts:
            first = next(s for s in scripts if s is not None)
            yield from _resolved(waiting, first)
            waiting = []
            scripts = [s or first for s in scripts]
        yield Word(token, m.start(), _split_runs(token, m.start(), scripts))
    yield from _resolved(waiting, COMMON)


def _resolved(waiting: list, script: str) -> Iterator[Word | Break]:
    for item in waiting:
        if isinstance(item, Break):
            yield item
        else:
            token, start, scripts = item
            yield Word(token, start, _split_runs(token, start, [s or script for s in scripts]))


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

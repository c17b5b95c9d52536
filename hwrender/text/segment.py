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


def _paragraph(block: str, offset: int) -> Paragraph:
    """Segment one paragraph; common characters are resolved within the paragraph."""
    lines_raw: list[tuple[int, list[tuple[str, int]]]] = []
    pos = 0
    for line in block.split("\n"):
        words = [(m.group(), offset + pos + m.start()) for m in re.finditer(r"\S+", line)]
        lines_raw.append((offset + pos, words))
        pos += len(line) + 1
    # First pass: forward resolution (previous strong script); collect per-word resolutions.
    last: str | None = None
    per_word: list[list[str | None]] = []
    for _, words in lines_raw:
        for text, _ in words:
            res, last = _word_scripts(text, last)
            per_word.append(res)
    # Second pass: characters before the first strong one take the next strong script.
    nxt: str | None = None
    for res in reversed(per_word):
        for k in range(len(res) - 1, -1, -1):
            if res[k] is None:
                res[k] = nxt
            else:
                nxt = res[k]
    lines: list[Line] = []
    k = 0
    for line_start, words in lines_raw:
        out = []
        for text, start in words:
            scripts = [s or COMMON for s in per_word[k]]
            k += 1
            out.append(Word(text, start, _split_runs(text, start, scripts)))
        if out:
            lines.append(Line(tuple(out), line_start))
    return Paragraph(tuple(lines), offset)


_BLANK = re.compile(r"\n[^\S\n]*\n\s*")


def iter_paragraphs(text: str) -> Iterator[Paragraph]:
    """Paragraphs of already normalised text, lazily (a long text is never split all at once)."""
    pos = 0
    for m in _BLANK.finditer(text):
        block = text[pos:m.start()]
        if block.strip():
            yield _paragraph(block, pos)
        pos = m.end()
    block = text[pos:]
    if block.strip():
        yield _paragraph(block, pos)


def segment(text: str) -> list[Paragraph]:
    """Normalise and segment a whole text."""
    return list(iter_paragraphs(normalize(text)))


def position(text: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of ``offset`` in ``text``."""
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, col

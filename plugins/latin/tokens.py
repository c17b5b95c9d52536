"""Token words for the Latin evaluation: digits, punctuation, symbols and accented letters.

``hwrender eval latin`` measures ordinary held-out words; a page also carries invoice numbers,
times, prices, e-mail addresses, ``&``, ``#3`` and words like ``naïve`` or ``Łódź``, whose
characters are rare in the training words. This module makes such words from templates
(``token_words``, a fixed seed; the evaluation's seed is ``EVAL_SEED``, anything tuned uses
another), sorts characters into the classes the figures are given for (``char_class``) and
scores readings per character (``hits``: which characters of the truth a reading got, by a
Levenshtein alignment).

Numpy and the standard library only; the evaluation itself is in ``evaluate.py``.
"""

from __future__ import annotations

import random
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence

from . import words as W

EVAL_SEED = 30_030  # the evaluation's token words; tuning (rerank's K) used TUNE_SEED
TUNE_SEED = 4_242
PUNCTUATION = "".join(c for c in W.CHARSET if c.isascii() and not c.isalnum())
ACCENTED = "".join(c for c in W.CHARSET if not c.isascii())
# Combining marks -> class names; letters without a decomposition (ø ł æ ß ...) are "other letter"
MARK_NAMES = {
    "\u0300": "grave", "\u0301": "acute", "\u0302": "circumflex", "\u0303": "tilde",
    "\u0304": "macron", "\u0306": "breve", "\u0307": "dot above", "\u0308": "diaeresis",
    "\u030a": "ring", "\u030b": "double acute", "\u030c": "caron", "\u0327": "cedilla",
    "\u0328": "ogonek",
}
FIRST = ("lee", "ana", "bob", "kim", "max", "eva", "tom", "joe", "ida", "sam", "liv", "ned")
DOMAINS = ("sample.net", "mail.com", "post.org", "web.de", "site.io", "corp.eu")
STREETS = ("Elm", "Oak", "Main", "Park", "Hill", "Lake", "Mill", "Rose")
SYMBOL_WORDS = ("R&D", "A&B", "Q&A", "x+y", "a=b", "2+2=4", "<b>", "a<b", "x>0", "~20", "2^8",
                "a_b", "c|d", "a\\b", "{x}", "[1]", "(a)", "*note", "`x`", '"so"', "'tis", "it's",
                "50%", "#1", "#42", "&", "a/b", "w/o", "@home", "x;y", "hi!", "why?", "e.g.")


def char_class(ch: str) -> str:
    """The figure class of a character: ``digit N``, the mark itself for punctuation and symbols,
    the accent's name (``acute``, ``diaeresis``, ...) or ``other letter`` (ø ł æ ß ...) for
    non-ASCII letters, ``lowercase`` / ``capital`` for plain ASCII letters."""
    if ch.isascii():
        if ch.isdigit():
            return f"digit {ch}"
        if ch.isalpha():
            return "capital" if ch.isupper() else "lowercase"
        return f"mark {ch}"
    marks = unicodedata.normalize("NFD", ch)[1:]
    if marks and marks[0] in MARK_NAMES:
        return MARK_NAMES[marks[0]]
    return "other letter"


def group(cls: str) -> str:
    """The group of a class: digits, punctuation (the marks of ordinary prose), symbols, accents,
    letters."""
    if cls.startswith("digit"):
        return "digits"
    if cls.startswith("mark"):
        return "punctuation" if cls[-1] in ".,;:!?'\"-()" else "symbols"
    return "letters" if cls in ("lowercase", "capital") else "accents"


def rare(word: str) -> bool:
    """Whether ``word`` holds a character of a rare class: a digit, punctuation, a symbol or a
    non-ASCII letter (what a page's ordinary prose words rarely hold)."""
    return any(not (ch.isascii() and ch.isalpha()) for ch in word)


def _price(r: random.Random) -> str:
    whole = r.choice((r.randint(1, 99), r.randint(100, 999), r.randint(1000, 99_999)))
    text = f"{whole:,}" + r.choice(("", f".{r.randint(0, 99):02d}"))
    return r.choice(("$", "$", "")) + text


def _time(r: random.Random) -> str:
    h, m = r.randint(0, 23), r.randint(0, 59)
    return r.choice((f"{h:02d}:{m:02d}", f"{h}:{m:02d}", f"{h % 12 + 1}:{m:02d}pm",
                     f"{h % 12 + 1}.{m:02d}am"))


def _date(r: random.Random) -> str:
    y, mo, d = r.randint(1950, 2039), r.randint(1, 12), r.randint(1, 28)
    return r.choice((f"{d:02d}/{mo:02d}/{y}", f"{y}-{mo:02d}-{d:02d}", f"{d}.{mo}.{y % 100:02d}",
                     f"{mo}/{d}/{y % 100:02d}", f"{d}.{mo:02d}."))


def _email(r: random.Random) -> str:
    name = r.choice(FIRST) + r.choice(("", "", str(r.randint(1, 99)), "." + r.choice(FIRST)[0]))
    return f"{name}@{r.choice(DOMAINS)}"


def _invoice(r: random.Random) -> str:
    n = r.randint(1, 99_999)
    return r.choice((f"#{n % 100}", f"#{n}", f"INV-{n:05d}", f"No.{n % 1000}", f"A{n % 1000}-{n % 97}",
                     f"({n % 1000})", f"{n % 100}/{r.randint(1, 9)}"))


def _number(r: random.Random) -> str:
    return r.choice((str(r.randint(0, 9)), str(r.randint(10, 9999)), f"{r.randint(1, 99)}%",
                     f"{r.randint(0, 99)}.{r.randint(0, 9)}%", f"-{r.randint(1, 99)}",
                     f"+{r.randint(1, 99)}", f"{r.randint(1, 30)}th", f"1/{r.randint(2, 9)}",
                     f"{r.randint(100, 999)}-{r.randint(1000, 9999)}"))


def _address(r: random.Random) -> str:
    return r.choice((f"{r.randint(1, 200)}{r.choice(('', 'a', 'b'))},", f"{r.choice(STREETS)}St.",
                     f"Apt.{r.randint(1, 40)}", f"PO#{r.randint(10, 999)}",
                     f"{r.randint(10000, 99999)}", f"NY{r.randint(10000, 14999)}"))


TEMPLATES = (_price, _time, _date, _email, _invoice, _number, _address)


def token_words(n: int, seed: int = EVAL_SEED) -> list[str]:
    """``n`` token words from the templates (prices, times, dates, e-mail addresses, invoice and
    other numbers) and symbol words, in turn, drawn with ``seed``; each at most MAX_CHARS long."""
    r = random.Random(seed)
    out: list[str] = []
    while len(out) < n:
        k = len(out) % (len(TEMPLATES) + 1)
        word = r.choice(SYMBOL_WORDS) if k == len(TEMPLATES) else TEMPLATES[k](r)
        if W.writable(word) and len(word) <= W.MAX_CHARS:
            out.append(word)
    return out


def accented_words(n: int, seed: int = EVAL_SEED, pool: Iterable[str] | None = None) -> list[str]:
    """``n`` held-out words with non-ASCII letters (``vocabulary.is_heldout``: never trained on),
    from the accented word lists or ``pool``, led by the issue's ``naïve`` and ``Łódź``."""
    from .vocabulary import ACCENT_LISTS, DICT_DIR, _word_list, is_heldout

    if pool is None:
        pool = [w for name in ACCENT_LISTS if (DICT_DIR / name).is_file()
                for w in _word_list(DICT_DIR, name)]
    words = sorted({w for w in pool if not w.isascii() and is_heldout(w) and W.writable(w)
                    and len(w) <= W.MAX_CHARS})
    r = random.Random(seed)
    return (["naïve", "Łódź"] + r.sample(words, min(max(0, n - 2), len(words))))[:n]


def singles() -> list[str]:
    """Every digit, punctuation mark, symbol and non-ASCII letter of the charset, alone."""
    return [c for c in W.CHARSET if not (c.isascii() and c.isalpha())]


def hits(truth: str, read: str) -> list[bool]:
    """For each character of ``truth``: whether a minimal-edit alignment with ``read`` matches it."""
    n, m = len(truth), len(read)
    d = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n + 1):
        d[i][0] = i
    for j in range(m + 1):
        d[0][j] = j
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1,
                          d[i - 1][j - 1] + (truth[i - 1] != read[j - 1]))
    out = [False] * n
    i, j = n, m
    while i and j:  # back from the end, preferring a match or substitution
        if d[i][j] == d[i - 1][j - 1] + (truth[i - 1] != read[j - 1]):
            out[i - 1] = truth[i - 1] == read[j - 1]
            i, j = i - 1, j - 1
        elif d[i][j] == d[i - 1][j] + 1:
            i -= 1
        else:
            j -= 1
    return out


def class_accuracy(pairs: Iterable[tuple[str, str]]) -> dict[str, tuple[int, int]]:
    """class -> (characters read right, characters) over (truth, reading) pairs."""
    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for truth, read in pairs:
        for ch, ok in zip(truth, hits(truth, read)):
            cls = char_class(ch)
            total[cls] += 1
            right[cls] += ok
    return {cls: (right[cls], total[cls]) for cls in sorted(total)}


def group_accuracy(table: dict[str, tuple[int, int]]) -> dict[str, tuple[int, int]]:
    """The classes of ``class_accuracy`` summed by ``group``."""
    out: dict[str, list[int]] = {}
    for cls, (right, total) in table.items():
        acc = out.setdefault(group(cls), [0, 0])
        acc[0] += right
        acc[1] += total
    return {g: (r, t) for g, (r, t) in sorted(out.items())}


def frame_classes(word: str) -> list[str]:
    """The frame-loss classes of a word: accents, descenders, capitals (any it holds)."""
    out = []
    if any(not c.isascii() and c.isalpha() for c in word):
        out.append("accents")
    if any(c in "gjpqy" for c in word):
        out.append("descenders")
    if any(c.isupper() for c in word):
        out.append("capitals")
    return out


def touches_frame(alpha, level: float = 0.25) -> tuple[bool, bool]:
    """(ink in the top row, ink in the bottom row) of a word in the 32 px frame: a stroke that
    reaches the frame's edge was most likely cut there."""
    return bool(alpha[0].max() > level), bool(alpha[-1].max() > level)


def lines(words: Sequence[str], per_line: int) -> list[list[str]]:
    """``words`` in lines of ``per_line`` (the last one dropped when short)."""
    return [list(words[i:i + per_line]) for i in range(0, len(words) - per_line + 1, per_line)]

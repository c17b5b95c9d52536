"""The training vocabulary of the Latin word generator, from the Debian word lists.

**Vocabulary** (``vocabulary``). Words come from the Debian word lists: English (American and
British) as the base, plus a smaller share of French, German, Spanish, Italian, Portuguese and
Polish words that carry accented letters (only those: their unaccented words add nothing English
lacks). Possessives (``word's``) are dropped; ``'s`` comes back as attached punctuation. The mix
also holds capitalised and ALL-CAPS words, numbers (years, prices, times, percentages, ordinals),
punctuation attached to words (``word,`` ``(word)`` ``"word"``) and short hyphenated pairs. Every
character of CHARSET must be seen: characters in fewer than ``MIN_CHAR_WORDS`` words get real
words that contain them first, then pseudo-words (the letter substituted into an English word,
``ŧ`` for ``t``; a symbol attached to one). About 3 % of the base words of 4 or more characters
(by a fixed hash of the case-folded word, so the same for every seed) are held out: neither they
nor any variant of them (capitalised, punctuated, in a hyphenated pair) are in ``train``; they are
the out-of-vocabulary evaluation words.
"""

from __future__ import annotations

import math
import os
import random
import unicodedata
import zlib
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from hwrender.fonts import NotInstalled

from .words import CHARSET, MAX_CHARS

DICT_DIR = Path("/usr/share/dict")
BASE_LISTS = ("american-english", "british-english")
ACCENT_LISTS = ("french", "ngerman", "spanish", "italian", "portuguese", "polish")
WORDLIST_HINT = ("install them with `hwrender fonts install --model latin` (the Debian packages "
                 "wamerican wbritish wfrench wngerman wspanish witalian wportuguese wpolish)")
LIST_CAP = 300_000  # longer lists (Polish: 4.3 million inflected forms) are thinned to every k-th word
HELDOUT_PER_MILLE = 30
HELDOUT_MIN_CHARS = 4
# Shares of the training vocabulary; case and punctuation variants are made from the base and
# accented words (in place, not added).
SHARES = {"base": 0.68, "accented": 0.22, "numbers": 0.06, "hyphenated": 0.04}
# Token words (``_token``: e-mail addresses, invoice and phone numbers, addresses, dates, times,
# prices with thousands, symbol words, apostrophes inside words), taken from the base share by
# ``vocabulary(token_share=...)`` (the Latin model's ``token_share`` setting; 0 keeps the
# vocabulary and cached word sets of the models before it). 0.08 puts digits in 9 % of the
# training words (3.9 % without) and each ASCII symbol in 100-500 of them (12 without: & @ * + = ~ ^ _ | \ `)
TLDS = ("com", "net", "org", "de", "fr", "io", "co.uk", "eu", "es", "it")
CAPITALISED, ALL_CAPS, PUNCTUATED = 0.15, 0.03, 0.15
TRAILING = (",", ",", ".", ".", ";", ":", "!", "?", "'s")
WRAPS = ('"{}"', "'{}'", "({})", '"{}', '{}"', "({}")
MIN_CHAR_WORDS = 12  # every character of CHARSET is in at least this many training words
PAIRS = {"(": ")", "[": "]", "{": "}", "<": ">"}
# Letters without a canonical decomposition, and the letter their pseudo-words replace.
LETTER_BASE = {"Æ": "A", "æ": "a", "Ð": "D", "ð": "d", "Ø": "O", "ø": "o", "Þ": "T", "þ": "t",
               "ß": "s", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h", "ı": "i", "Ĳ": "I", "ĳ": "i",
               "ĸ": "k", "Ŀ": "L", "ŀ": "l", "Ł": "L", "ł": "l", "ŉ": "n", "Ŋ": "N", "ŋ": "n",
               "Œ": "O", "œ": "o", "Ŧ": "T", "ŧ": "t", "ſ": "s"}
_CHARSET = frozenset(CHARSET)


def fits(word: str) -> bool:
    """True if the generator can be trained on ``word``: 1 to MAX_CHARS characters of CHARSET."""
    return 1 <= len(word) <= MAX_CHARS and set(word) <= _CHARSET


def _usable(word: str) -> bool:
    """A word list entry worth taking: it fits and is not a possessive."""
    return fits(word) and not word.endswith("'s")


def is_heldout(word: str) -> bool:
    """True for the ~3 % of words (case-folded, so every case variant alike) kept out of training.

    Words under HELDOUT_MIN_CHARS never are: short words are common ones ("of", "the") that
    training needs, and they make poor out-of-vocabulary tests.
    """
    return (len(word) >= HELDOUT_MIN_CHARS
            and zlib.crc32(("latin-heldout/" + word.casefold()).encode()) % 1000 < HELDOUT_PER_MILLE)


@lru_cache(maxsize=16)
def _read_list(path: str, _mtime_ns: int) -> tuple[str, ...]:
    """The usable words of one word list, thinned to about LIST_CAP by taking every k-th line."""
    lines = Path(path).read_text(encoding="utf-8").split("\n")
    step = max(1, math.ceil(len(lines) / LIST_CAP))
    return tuple(dict.fromkeys(w for w in (line.strip() for line in lines[::step]) if _usable(w)))


def _word_list(dict_dir: Path, name: str) -> tuple[str, ...]:
    path = dict_dir / name
    if not path.is_file():
        raise NotInstalled(f"the word list {path} is missing", WORDLIST_HINT)
    return _read_list(str(path), path.stat().st_mtime_ns)


def vocabulary(seed: int = 0, size: int = 100_000, dict_dir: str | os.PathLike = DICT_DIR,
               words: Sequence[str] | None = None,
               token_share: float = 0.0) -> dict[str, list[str]]:
    """``{"train": [...], "heldout": [...]}``: training words (about ``size``, unique, shuffled) and
    held-out base words (deterministic, the same for every seed).

    ``words`` replaces the word lists (all of it is the base; nothing accented is added).
    ``token_share``: the share of token words, taken from the base.
    """
    tokens = float(token_share)
    rng = random.Random(seed)
    if words is not None:
        base, accented = list(dict.fromkeys(w for w in words if _usable(w))), {}
    else:
        dict_dir = Path(dict_dir)
        base = list(dict.fromkeys(w for name in BASE_LISTS for w in _word_list(dict_dir, name)))
        accented = {name: [w for w in _word_list(dict_dir, name) if not w.isascii()]
                    for name in ACCENT_LISTS}
    train_base = [w for w in base if not is_heldout(w)]
    train_accented = {name: [w for w in pool if not is_heldout(w)] for name, pool in accented.items()}

    chosen = _sample(rng, train_base, round(size * (SHARES["base"] - tokens)))
    for pool in train_accented.values():
        chosen += _sample(rng, pool, round(size * SHARES["accented"] / len(train_accented)))
    train = [_vary(rng, w) for w in chosen]
    train += [_number(rng) for _ in range(round(size * SHARES["numbers"]))]
    train += _hyphenated(rng, train_base, round(size * SHARES["hyphenated"]))
    if tokens > 0:  # drawn after the others: the rest of the vocabulary is as without them
        stems = [w for w in train_base if w.isascii() and w.isalpha() and w.islower()
                 and 2 <= len(w) <= 6] or ["word", "text", "line"]
        train += [_token(rng, stems) for _ in range(round(size * tokens))]
    train = list(dict.fromkeys(train))
    train += _top_up(rng, train, [train_base, *train_accented.values()])
    rng.shuffle(train)

    # Held out: every held-out base word, and accented ones in the same proportion as in train.
    fixed = random.Random(0)
    heldout_base = [w for w in base if is_heldout(w)]
    heldout_accented = [w for pool in accented.values() for w in pool if is_heldout(w)]
    share = SHARES["accented"] / SHARES["base"]
    heldout = heldout_base + _sample(fixed, heldout_accented, round(len(heldout_base) * share))
    fixed.shuffle(heldout)
    return {"train": train, "heldout": heldout}


def _sample(rng: random.Random, pool: Sequence[str], k: int) -> list[str]:
    return rng.sample(list(pool), min(k, len(pool)))


def _vary(rng: random.Random, word: str) -> str:
    """The word, maybe capitalised or in capitals, maybe with punctuation attached."""
    u = rng.random()
    if word.islower():
        if u < CAPITALISED:
            word = word[0].upper() + word[1:]
        elif u < CAPITALISED + ALL_CAPS:
            word = word.upper()
    if rng.random() < PUNCTUATED:
        if rng.random() < 0.7:
            trailing = rng.choice(TRAILING)
            varied = word + ("'" if trailing == "'s" and word[-1] in "sS" else trailing)
        else:
            varied = rng.choice(WRAPS).format(word)
        if fits(varied):
            word = varied
    return word


def _number(rng: random.Random) -> str:
    """A number as text is full of them: a year, amount, price, time, percentage, ordinal or date."""
    kind = rng.randrange(9)
    if kind == 0:
        return str(rng.choice((rng.randint(1000, 2099), rng.randint(1900, 2030))))
    if kind == 1:
        return str(rng.choice((rng.randint(0, 99), rng.randint(100, 9999))))
    if kind == 2:
        return f"{rng.randint(1, 999)},{rng.randint(0, 999):03d}"
    if kind == 3:
        price = f"{rng.randint(0, 999)}.{rng.randint(0, 99):02d}"
        return rng.choice((price, "$" + price, "$" + str(rng.randint(1, 500))))
    if kind == 4:
        return f"{rng.randint(0, 23)}:{rng.randint(0, 59):02d}"
    if kind == 5:
        return rng.choice((f"{rng.randint(0, 100)}%", f"{rng.randint(0, 99)}.{rng.randint(1, 9)}%"))
    if kind == 6:
        n = rng.randint(1, 120)
        suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
        return f"{n}{suffix}"
    if kind == 7:
        return f"{rng.randint(1, 31)}/{rng.randint(1, 12)}" + rng.choice(("", f"/{rng.randint(0, 99):02d}"))
    return rng.choice((f"{rng.randint(0, 9)}.{rng.randint(0, 99)}", f"-{rng.randint(1, 40)}",
                       f"{rng.randint(191, 202)}0s", f"#{rng.randint(1, 99)}"))


def _token(rng: random.Random, stems: Sequence[str]) -> str:
    """A token word of the kinds a page holds beside prose: an e-mail address, an invoice, order
    or phone number, an address part, a date or time in another form, a price with thousands, a
    word with a symbol or an apostrophe inside; at most MAX_CHARS long."""
    for _ in range(20):
        word = _token_kind(rng, stems)
        if fits(word):
            return word
    return _number(rng)


def _token_kind(rng: random.Random, stems: Sequence[str]) -> str:
    r, stem = rng.randint, rng.choice
    kind = rng.choice((0, 1, 2, 3, 4, 5, 6, 7, 7, 7, 8, 9))  # symbols: rarest in the rest
    if kind == 0:
        return f"{stem(stems)}{rng.choice(('', '.', '_', str(r(1, 99))))}@{stem(stems)}.{stem(TLDS)}"[:40]
    if kind == 1:
        n = r(1, 99_999)
        return rng.choice((f"#{n % 1000}", f"#{n}", f"No.{n % 1000}", f"{stem(stems)[:3].upper()}-{n}",
                           f"({n % 1000})", f"{n % 100}/{r(1, 99)}", f"A{n % 1000}-{r(1, 99)}"))
    if kind == 2:
        return rng.choice((f"{r(100, 999)}-{r(1000, 9999)}", f"({r(100, 999)})", f"+{r(1, 99)}",
                           f"{r(10, 99)}.{r(10, 99)}.{r(10, 99)}"))
    if kind == 3:
        return rng.choice((f"{r(1, 999)}{rng.choice(('', 'a', 'b'))},", f"{stem(stems).title()}St.",
                           f"Apt.{r(1, 99)}", f"{r(10000, 99999)}", f"PO#{r(1, 999)}"))
    if kind == 4:
        y, mo, d = r(1900, 2099), r(1, 12), r(1, 31)
        return rng.choice((f"{d:02d}/{mo:02d}/{y}", f"{y}-{mo:02d}-{d:02d}", f"{d}.{mo}.{y % 100:02d}",
                           f"{d}.{mo:02d}.", f"{mo}/{d}/{y}"))
    if kind == 5:
        h, m = r(0, 23), r(0, 59)
        return rng.choice((f"{h:02d}:{m:02d}", f"{h % 12 + 1}:{m:02d}{rng.choice(('am', 'pm'))}",
                           f"{h}.{m:02d}", f"{h:02d}:{m:02d}:{r(0, 59):02d}"))
    if kind == 6:
        whole = rng.choice((r(1000, 999_999), r(10, 999)))
        return rng.choice(("$", "")) + f"{whole:,}" + rng.choice(("", f".{r(0, 99):02d}"))
    if kind == 7:  # a symbol inside, before or after a word
        sym = rng.choice("&@#*+=<>~^_|\\/%`")
        a, b = stem(stems), stem(stems)
        return rng.choice((f"{a}{sym}{b}", f"{sym}{a}", f"{a}{sym}", f"{a[0].upper()}{sym}{b[0].upper()}",
                           f"{r(1, 99)}{sym}{r(1, 99)}"))
    if kind == 8:  # apostrophes and quotes inside and around words
        a = stem(stems)
        return rng.choice((f"{a}'s", f"{a}n't", f"'{a}", f"{a}'", f'"{a}"', f"'{a}'", f"({a})",
                           f"[{a}]", f"{{{a}}}", f'"{a},"', f"{a}...", f"{a}?!", f"{a};"))
    return rng.choice((f"{r(0, 9)}", f"{r(0, 99)}", f"{r(0, 999)}.{r(0, 9)}", f"-{r(1, 999)}",
                       f"{r(1, 99)}x{r(1, 99)}", f"{r(1, 9)}/{r(2, 9)}"))


def _hyphenated(rng: random.Random, pool: Sequence[str], k: int) -> list[str]:
    short = [w for w in pool if w.isalpha() and len(w) <= (MAX_CHARS - 1) // 2]
    if len(short) < 2:
        return []
    return [f"{a}-{b}" for a, b in (rng.sample(short, 2) for _ in range(k))]


def _top_up(rng: random.Random, train: list[str], pools: Sequence[Sequence[str]]) -> list[str]:
    """Words for the characters of CHARSET that fewer than MIN_CHAR_WORDS training words hold:
    real words from the (non-held-out) pools first, then pseudo-words."""
    counts = Counter(ch for word in train for ch in set(word))
    missing = {ch: MIN_CHAR_WORDS - counts[ch] for ch in CHARSET if counts[ch] < MIN_CHAR_WORDS}
    if not missing:
        return []
    present = set(train)
    found: dict[str, list[str]] = {ch: [] for ch in missing}
    for pool in pools:
        for word in pool:
            if word not in present:
                for ch in missing.keys() & set(word):
                    found[ch].append(word)
    stems = [w for w in pools[0] if w.isascii() and w.isalpha() and w.islower() and 3 <= len(w) <= 8]
    stems = stems or ["word", "text", "line"]
    added: list[str] = []
    for ch, need in missing.items():
        real = _sample(rng, sorted(set(found[ch])), need)
        added += real
        added += [_pseudo_word(rng, ch, stems) for _ in range(need - len(real))]
    return list(dict.fromkeys(w for w in added if w not in present))


def _pseudo_word(rng: random.Random, ch: str, stems: Sequence[str]) -> str:
    """A word showing ``ch`` in a plausible place: capitals first, lower-case letters in place of
    their base letter, symbols attached before, after or between words (brackets around one)."""
    word = rng.choice(stems)
    if ch.isalpha():
        if ch.isupper():
            return ch + word[1:]
        base = LETTER_BASE.get(ch) or unicodedata.normalize("NFD", ch)[0]
        with_base = [w for w in rng.sample(list(stems), min(50, len(stems))) if base in w]
        word = with_base[0] if with_base else word
        spots = [i for i, c in enumerate(word) if c == base] or list(range(len(word)))
        i = rng.choice(spots)
        return word[:i] + ch + word[i + 1:]
    if ch in PAIRS:
        return ch + word + PAIRS[ch]
    if ch in PAIRS.values():
        return {v: k for k, v in PAIRS.items()}[ch] + word + ch
    other = rng.choice(stems)
    return rng.choice((ch + word, word + ch, (word + ch + other)[:MAX_CHARS]))

"""Training data for the Latin word generator: a vocabulary, words rendered from handwriting fonts
with augmentation, and the cached training / evaluation sets.

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

**Rendering** (``WordFont``, ``render_word``). Each font is scaled so its x-height (the median ink
height of ``X_HEIGHT_LETTERS``: 'x' alone is unreliable in handwriting fonts, some draw it capital
sized) is ``X_HEIGHT`` px, and drawn with its baseline at ``BASELINE`` at 4x the final resolution,
with Pillow's Raqm layout where available (contextual forms of script fonts) else the basic one.
Ink outside the 32 rows is lost; ``build_words`` counts the words that lose a px row or more, per
font. Augmentation (each font draws from its own seeded generator):
x-height jitter and stroke width change are applied at the 4x render (font size; Pillow's stroke
or a min filter), slant (shear about the baseline), baseline wobble and a smooth elastic warp in
one resampling at 2x, ink intensity and multiplicative noise at 1x. The word is then cropped to
its ink plus 1 px each side; its width is the *natural width*, and ``canonical`` squashes or
stretches it to ``CHAR_WIDTH`` px per character.

**Sets** (``build_words``, ``training_set``). Each font renders ``per_font`` words it draws every
character of (``hwrender.fonts.coverage``), sampled with extra weight on words that carry rare
characters so accented capitals are not left to chance. Fonts whose records are flagged
``caps_only``, ``no_lowercase``, ``outlined_caps`` or ``hard_to_read`` are skipped (they would
teach wrong letter shapes), and so are those flagged ``latin_ocr_hard``: joined or ornate scripts
that Tesseract reads at CER > 0.125 on lines of training words (``scripts/latin_font_legibility.py``),
whose letters a generator learns as shapes no reader makes out; ``meta`` lists them all. The
training fonts render the training words with full augmentation; the evaluation set renders
held-out words in the training fonts *and* the corpus's held-out fonts with mild augmentation.
Both are cached in the data cache under a hash of what built them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import random
import shutil
import tempfile
import time
import unicodedata
import zlib
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from hwrender.errors import UsageError
from hwrender.fonts import NotInstalled
from hwrender.train.cache import data_cache

from .words import BASELINE, CHARSET, HEIGHT, MAX_CHARS, X_HEIGHT, WordData, canonical

DATA_VERSION = 1  # bump when the vocabulary, rendering or augmentation changes: renames the cache

# ------------------------------------------------------------------------------------ vocabulary

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


def _fits(word: str) -> bool:
    """True if the generator can be trained on ``word``: 1 to MAX_CHARS characters of CHARSET."""
    return 1 <= len(word) <= MAX_CHARS and set(word) <= _CHARSET


def _usable(word: str) -> bool:
    """A word list entry worth taking: it fits and is not a possessive."""
    return _fits(word) and not word.endswith("'s")


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
               words: Sequence[str] | None = None) -> dict[str, list[str]]:
    """``{"train": [...], "heldout": [...]}``: training words (about ``size``, unique, shuffled) and
    held-out base words (deterministic, the same for every seed).

    ``words`` replaces the word lists (all of it is the base; nothing accented is added).
    """
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

    chosen = _sample(rng, train_base, round(size * SHARES["base"]))
    for pool in train_accented.values():
        chosen += _sample(rng, pool, round(size * SHARES["accented"] / len(train_accented)))
    train = [_vary(rng, w) for w in chosen]
    train += [_number(rng) for _ in range(round(size * SHARES["numbers"]))]
    train += _hyphenated(rng, train_base, round(size * SHARES["hyphenated"]))
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
        if _fits(varied):
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


# ------------------------------------------------------------------------------------- rendering

SUPERSAMPLE = 4           # render at 4x, warp at 2x, store at 1x
MEASURE_EM = 200          # px per em of the renders that measure a font
X_HEIGHT_LETTERS = "acemnouvwx"
INK = 0.5 / 255           # alpha that still shows in 8 bits: counts as ink for the crop
SKIP_FLAGS = ("caps_only", "no_lowercase", "outlined_caps", "hard_to_read", "latin_ocr_hard")


@dataclass(frozen=True)
class Augment:
    """Per-word variation, drawn uniformly in each range (lengths in px of the final image)."""

    slant: float = 0.25                        # +- horizontal shear about the baseline (px per row)
    elastic: float = 0.5                       # std of the smooth random displacement, px
    elastic_scale: float = 5.0                 # px between the displacement field's control points
    stroke: tuple[float, float] = (-1.0, 1.0)  # change of stroke width, px (thinning: <= 1/3 of it)
    wobble: float = 1.0                        # max vertical baseline offset along the word, px
    x_height: tuple[float, float] = (9.0, 11.0)
    intensity: tuple[float, float] = (0.75, 1.0)  # ink darkness of the whole word
    noise: float = 0.08                        # std of the multiplicative per-pixel ink noise

    @classmethod
    def none(cls) -> Augment:
        """No variation: the clean render at X_HEIGHT."""
        return cls(slant=0.0, elastic=0.0, stroke=(0.0, 0.0), wobble=0.0,
                   x_height=(X_HEIGHT, X_HEIGHT), intensity=(1.0, 1.0), noise=0.0)

    @classmethod
    def light(cls) -> Augment:
        """Training variation that keeps words readable: half the default's per-word slant and
        baseline wobble, 0.7 of its warp. Tesseract reads lines of held-out words in these
        renders with CER ~0.07, against ~0.12 at the default and 0.06 for the clean fonts, and a
        generator is no more legible than the words it learns from."""
        return cls(slant=0.12, elastic=0.35, wobble=0.5)

    @classmethod
    def named(cls, name: str) -> Augment:
        """The training augmentation called ``name`` (``AUGMENTS``)."""
        if name not in AUGMENTS:
            raise UsageError(f"unknown word augmentation {name!r}",
                             f"use one of: {', '.join(AUGMENTS)}")
        return cls() if name == "full" else getattr(cls, name)()

    @classmethod
    def mild(cls) -> Augment:
        """Light variation for evaluation words: fonts stay recognisable, no two renders alike."""
        return cls(slant=0.1, elastic=0.25, stroke=(-0.6, 0.6), wobble=0.5, x_height=(9.5, 10.5),
                   intensity=(0.85, 1.0), noise=0.04)


AUGMENTS = ("full", "light", "mild", "none")  # training augmentations by name (Augment.named)


def _layout_engine():
    from PIL import ImageFont, features

    return ImageFont.Layout.RAQM if features.check("raqm") else ImageFont.Layout.BASIC


class WordFont:
    """A font measured for word rendering: its x-height per em, its stroke width, sized instances."""

    def __init__(self, path: str | os.PathLike, ttc_index: int = 0):
        from PIL import Image, ImageDraw

        self.path, self.ttc_index = Path(path), ttc_index
        self.engine = _layout_engine()
        from hwrender.fonts import coverage

        self.chars = coverage(self.path, ttc_index)
        letters = [ch for ch in X_HEIGHT_LETTERS if ch in self.chars]
        if not letters:
            raise UsageError(f"{self.path.name} draws none of {X_HEIGHT_LETTERS!r}",
                             "Latin word fonts need lower-case letters")
        font = self._pil(MEASURE_EM)
        heights, strokes = [], []
        for ch in letters:
            image = Image.new("L", (3 * MEASURE_EM, 3 * MEASURE_EM))
            ImageDraw.Draw(image).text((MEASURE_EM, 2 * MEASURE_EM), ch, font=font, fill=255, anchor="ls")
            mask = np.asarray(image) >= 128
            rows = np.flatnonzero(mask.any(axis=1))
            if len(rows):
                heights.append(rows[-1] + 1 - rows[0])
                outline = (np.count_nonzero(mask[1:] != mask[:-1])
                           + np.count_nonzero(mask[:, 1:] != mask[:, :-1]))
                strokes.append(2.0 * np.count_nonzero(mask) / max(outline, 1))
        if not heights:
            raise UsageError(f"{self.path.name} draws no ink for {X_HEIGHT_LETTERS!r}",
                             "Latin word fonts need lower-case letters")
        self.x_height_per_em = float(np.median(heights)) / MEASURE_EM
        # Stroke width in px at X_HEIGHT: thinning is bounded by it.
        self.stroke = float(np.median(strokes)) * X_HEIGHT / float(np.median(heights))
        self._sized: dict[int, object] = {}

    def _pil(self, size: int):
        from PIL import ImageFont

        return ImageFont.truetype(str(self.path), size, index=self.ttc_index, layout_engine=self.engine)

    def sized(self, x_height: float):
        """The Pillow font whose x-height is ``x_height`` px at the 4x supersampled resolution."""
        size = max(1, round(x_height * SUPERSAMPLE / self.x_height_per_em))
        if size not in self._sized:
            self._sized[size] = self._pil(size)
        return self._sized[size]


def render_word(font: WordFont, word: str, augment: Augment | None = None,
                rng: np.random.Generator | None = None) -> tuple[np.ndarray, float]:
    """(alpha float32 [HEIGHT, w] 0..1, natural ink width in px) of ``word`` in ``font``.

    Without ``augment`` the clean render (``Augment.none()``); ``rng`` draws the variation.
    """
    alpha, width, _ = _render(font, word, augment or Augment.none(), rng or np.random.default_rng(0))
    return alpha, width


def _render(font: WordFont, word: str, augment: Augment,
            rng: np.random.Generator) -> tuple[np.ndarray, float, tuple[float, float]]:
    """``render_word`` plus (px of ink lost above, px lost below) the frame, before warping."""
    from PIL import Image, ImageDraw, ImageFilter

    ss = SUPERSAMPLE
    pil = font.sized(rng.uniform(*augment.x_height))
    # Stroke width change in px at 1x -> px per side at 4x; thinning rounds towards zero so it
    # never takes more than a third of the font's stroke.
    per_side = max(rng.uniform(*augment.stroke), -font.stroke / 3) * ss / 2
    per_side = round(per_side) if per_side >= 0 else int(per_side)
    grow = max(per_side, 0)
    left, top, right, bottom = pil.getbbox(word, anchor="ls", stroke_width=grow)
    lost = (max(0.0, -(BASELINE * ss + top) / ss), max(0.0, (BASELINE * ss + bottom) / ss - HEIGHT))
    # Room for the slant, the warp and the 1 px margin, in px at 1x.
    pad = math.ceil(augment.slant * HEIGHT + 3 * augment.elastic + 2)
    width = math.ceil((right - left) / ss) + 2 * pad
    image = Image.new("L", (width * ss, HEIGHT * ss))
    ImageDraw.Draw(image).text((pad * ss - left, BASELINE * ss), word, font=pil, fill=255,
                               anchor="ls", stroke_width=grow, stroke_fill=255)
    for _ in range(-per_side):
        image = image.filter(ImageFilter.MinFilter(3))
    # Box-filter down to 2x (Pillow's reduce averages the 2 x 2 blocks), warp, down to 1x.
    alpha = np.asarray(image.reduce(ss // 2), np.float32) * (1 / 255)
    alpha = np.asarray(Image.fromarray(_warp(alpha, augment, rng), mode="F").reduce(2))

    columns = np.flatnonzero(alpha.max(axis=0) > INK)
    if len(columns) == 0:
        return np.zeros((HEIGHT, 0), np.float32), 0.0, lost
    first, last = columns[0], columns[-1]
    alpha = alpha[:, max(first - 1, 0):last + 2]
    lo, hi = augment.intensity
    if hi < 1.0 or lo < 1.0 or augment.noise:
        texture = 1.0 + augment.noise * rng.standard_normal(alpha.shape, dtype=np.float32)
        alpha = np.clip(alpha * texture * rng.uniform(lo, hi), 0.0, 1.0)
    return alpha.astype(np.float32), float(last + 1 - first), lost


def _smooth_fields(rng: np.random.Generator, shape: tuple[int, int], spacing: float) -> np.ndarray:
    """Two smooth random fields [2, h, w], unit standard deviation at every pixel: Gaussian bumps on
    a grid ``spacing`` apart with standard normal weights (small matrix products, no filtering)."""
    def kernel(n: int) -> np.ndarray:
        centres = np.arange(-1, n / spacing + 2) * spacing
        k = np.exp(-0.5 * ((np.arange(n)[:, None] - centres[None, :]) / spacing) ** 2)
        return (k / np.linalg.norm(k, axis=1, keepdims=True)).astype(np.float32)

    ky, kx = kernel(shape[0]), kernel(shape[1])
    return ky @ rng.standard_normal((2, ky.shape[1], kx.shape[1]), dtype=np.float32) @ kx.T


def _warp(alpha: np.ndarray, augment: Augment, rng: np.random.Generator) -> np.ndarray:
    """Slant, baseline wobble and elastic warp of a 2x image, in one bilinear resampling."""
    f = 2  # px per final px
    h, w = alpha.shape
    shear = rng.uniform(-augment.slant, augment.slant)
    amplitude = rng.uniform(-augment.wobble, augment.wobble) * f
    wavelength = rng.uniform(30, 80) * f
    phase = rng.uniform(0, 2 * math.pi)
    if not (shear or amplitude or augment.elastic):
        return alpha
    ys = np.arange(h, dtype=np.float32)[:, None]
    xs = np.arange(w, dtype=np.float32)[None, :]
    # Output (y, x) reads the input at (y - wobble(x), x + shear * (y - baseline)): positive shear
    # leans the word to the right, the baseline row stays put.
    src_y = ys - amplitude * np.sin(2 * math.pi * xs / wavelength + phase)
    src_x = xs + shear * (ys + 0.5 - BASELINE * f)  # row centres are at index + 0.5
    if augment.elastic:
        dy, dx = augment.elastic * f * _smooth_fields(rng, (h, w), augment.elastic_scale * f)
        src_y, src_x = src_y + dy, src_x + dx
    src_y, src_x = np.broadcast_arrays(src_y, src_x)
    return _bilinear(alpha, src_y, src_x)


def _bilinear(image: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """``image`` read at (ys, xs) with bilinear interpolation, 0 outside it: what SciPy's
    ``map_coordinates(order=1, mode="constant")`` gives (to float rounding), without SciPy."""
    h, w = image.shape
    inside = (ys >= 0) & (ys <= h - 1) & (xs >= 0) & (xs <= w - 1)
    y0 = np.clip(np.floor(ys), 0, max(h - 2, 0))
    x0 = np.clip(np.floor(xs), 0, max(w - 2, 0))
    dy, dx = (ys - y0).astype(np.float32), (xs - x0).astype(np.float32)
    # flat indices of the four neighbours (one gather each, not four 2-D fancy indexings)
    flat = image.ravel()
    i00 = y0.astype(np.intp) * w + x0.astype(np.intp)
    down, right = (w if h > 1 else 0), (1 if w > 1 else 0)
    top = flat[i00] + (flat[i00 + right] - flat[i00]) * dx
    bottom = flat[i00 + down] + (flat[i00 + down + right] - flat[i00 + down]) * dx
    out = top + (bottom - top) * dy
    out[~inside] = 0
    return out.astype(image.dtype, copy=False)


# ------------------------------------------------------------------------------------------ sets


def _record(font_id: str):
    """The corpus record of ``font_id``, or None for fonts outside the manifest."""
    from hwrender import fonts

    try:
        return fonts.get(font_id)
    except UsageError:
        return None


def skip_reason(font_id: str) -> str | None:
    """Why a corpus font is kept out of word training (its first SKIP_FLAGS flag), or None."""
    record = _record(font_id)
    return next((flag for flag in SKIP_FLAGS if record is not None and getattr(record, flag)), None)


def build_words(fonts: Mapping[str, os.PathLike], words: Sequence[str], per_font: int, seed: int,
                augment: Augment, log: Callable[[str], None] = print) -> WordData:
    """Render ``per_font`` words of ``words`` in each font (id -> file), augmented, at canonical width.

    Each font samples, without replacement, among the words it draws every character of; words
    with characters that fewer words carry weigh more. Deterministic for a seed: each font draws
    from its own generator seeded by (seed, font id).
    """
    start = time.perf_counter()
    words = list(dict.fromkeys(w for w in words if _fits(w)))
    holders: dict[str, list[int]] = {}
    for i, word in enumerate(words):
        for ch in set(word):
            holders.setdefault(ch, []).append(i)
    holders_np = {ch: np.asarray(idx) for ch, idx in holders.items()}
    weights = _rarity_weights(holders_np, len(words))

    images, texts, font_ids, widths, font_names, font_meta = [], [], [], [], [], []
    skipped: dict[str, str] = {}
    totals: Counter[str] = Counter()
    for font_id, path in fonts.items():
        reason = skip_reason(font_id)
        if reason:
            skipped[font_id] = reason
            continue
        record = _record(font_id)
        try:
            font = WordFont(path, record.ttc_index if record else 0)
        except UsageError as exc:  # no lower case to measure
            skipped[font_id] = exc.message
            continue
        covered = np.ones(len(words), bool)
        for ch in holders_np.keys() - font.chars:
            covered[holders_np[ch]] = False
        candidates = np.flatnonzero(covered)
        if len(candidates) == 0:
            skipped[font_id] = "draws none of the words"
            continue
        rng = np.random.default_rng([seed, zlib.crc32(font_id.encode())])
        p = weights[candidates] / weights[candidates].sum()
        chosen = rng.choice(candidates, min(per_font, len(candidates)), replace=False, p=p)
        number, counts = len(font_names), Counter()
        for i in chosen:
            alpha, width, lost = _render(font, words[i], augment, rng)
            counts["cut_above"] += lost[0] >= 1
            counts["cut_below"] += lost[1] >= 1
            if width == 0:
                counts["blank"] += 1
                continue
            images.append(canonical(alpha, len(words[i])))
            texts.append(words[i])
            font_ids.append(number)
            widths.append(width)
            counts["words"] += 1
        font_names.append(font_id)
        font_meta.append({"id": font_id, "license": record.license if record else None,
                          "url": record.url if record else None, **counts})
        totals.update(counts)
        log(f"  {font_id}: {counts['words']} words, ink cut off above {counts['cut_above']}, "
            f"below {counts['cut_below']}")
    if skipped:
        log(f"  skipped fonts: {', '.join(f'{k} ({v})' for k, v in skipped.items())}")
    seconds = time.perf_counter() - start
    meta = {"source": "fonts", "version": DATA_VERSION, "fonts": font_meta, "skipped_fonts": skipped,
            "vocabulary_size": len(words), "per_font": per_font, "seed": seed,
            "augment": dataclasses.asdict(augment), "layout_engine": _layout_engine().name,
            "ink_cut_off": {"above": totals["cut_above"], "below": totals["cut_below"],
                            "blank": totals["blank"], "of": len(texts) + totals["blank"]},
            "build_seconds": round(seconds, 2)}
    log(f"rendered {len(texts)} words from {len(font_names)} fonts in {seconds:.1f} s "
        f"(ink cut off above {totals['cut_above']}, below {totals['cut_below']})")
    return WordData.from_images(images, texts, font_ids, font_names, widths, meta)


RARE_WORDS = 300   # characters held by fewer words than this make those words weigh more ...
RARE_BOOST = 30.0  # ... up to this factor


def _rarity_weights(holders: Mapping[str, np.ndarray], n: int) -> np.ndarray:
    """Sampling weight per word: max over its characters of RARE_WORDS / (words holding it),
    between 1 and RARE_BOOST."""
    weights = np.ones(n)
    for idx in holders.values():
        boost = min(RARE_BOOST, RARE_WORDS / len(idx))
        if boost > 1:
            weights[idx] = np.maximum(weights[idx], boost)
    return weights


# --------------------------------------------------------------------------------- training sets

MIN_FONTS = 30
EVAL_WORDS = 3000
EVAL_PER_MILLE = 50  # share of IAM writers (or of a .npz's words) held out for evaluation


def training_set(data_dir: str | os.PathLike | None, per_font: int = 1000, seed: int = 0,
                 log: Callable[[str], None] = print,
                 min_fonts: int = MIN_FONTS, augment: str = "full") -> tuple[WordData, WordData]:
    """(train, held-out evaluation) word sets.

    ``data_dir``: a folder with IAM's ``words.txt`` (``iam.load_iam``; about 5 % of the writers
    held out), a folder with ``train.npz`` (and ``eval.npz``) or with one ``.npz``, or a ``.npz``
    file (about 5 % of its words held out by text). None: built from the installed font corpus (at
    least ``min_fonts`` usable training fonts) and cached; see the module doc.
    """
    if data_dir is not None:
        return _load_data(Path(data_dir), log)
    from hwrender import fonts

    train_fonts = fonts.available(script="Latn", role="handwriting", split="train")
    holdout_fonts = fonts.available(script="Latn", role="handwriting", split="holdout")
    usable = [k for k in train_fonts if not skip_reason(k)]
    if len(usable) < min_fonts:
        raise NotInstalled(f"only {len(usable)} usable Latin handwriting training fonts are installed, "
                           f"{min_fonts} are needed", "install them with `hwrender fonts install "
                           "--model latin`, or pass --data with IAM words")
    augmentation = Augment.named(augment)
    skips = {k: skip_reason(k) for k in sorted({**train_fonts, **holdout_fonts})}
    parts = [DATA_VERSION, sorted(train_fonts), sorted(holdout_fonts), per_font, seed, EVAL_WORDS,
             skips]
    if augment != "full":  # "full" keeps the key the word sets had before augment was a choice
        parts.append(dataclasses.asdict(augmentation))
    key = hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:12]
    folder = data_cache() / f"latin-words-{key}"
    if (folder / "train.npz").is_file() and (folder / "eval.npz").is_file():
        log(f"using cached word sets in {folder}")
        return WordData.load(folder / "train.npz"), WordData.load(folder / "eval.npz")

    log(f"building the Latin word sets from {len(train_fonts)} + {len(holdout_fonts)} fonts "
        f"into {folder}")
    vocab = vocabulary(seed)
    train = build_words(train_fonts, vocab["train"], per_font, seed, augmentation, log)
    eval_fonts = {**train_fonts, **holdout_fonts}
    eval_per_font = math.ceil(EVAL_WORDS / max(1, sum(not skip_reason(k) for k in eval_fonts)))
    heldout = build_words(eval_fonts, vocab["heldout"], eval_per_font, seed, Augment.mild(), log)
    heldout.meta["holdout_fonts"] = sorted(holdout_fonts)
    for data in (train, heldout):
        data.meta["vocabulary"] = {"train": len(vocab["train"]), "heldout": len(vocab["heldout"])}

    data_cache().mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=data_cache()))
    try:
        train.save(tmp / "train.npz")
        heldout.save(tmp / "eval.npz")
        os.replace(tmp, folder)
    except OSError:
        if not (folder / "eval.npz").is_file():  # not another process finishing first
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return train, heldout


def _load_data(path: Path, log: Callable[[str], None]) -> tuple[WordData, WordData]:
    """(train, eval) from a ``data_dir``: IAM, a folder of .npz word sets, or one .npz."""
    if path.is_dir() and ((path / "words.txt").is_file() or (path / "ascii" / "words.txt").is_file()):
        from .iam import load_iam

        data = load_iam(path, log=log)
        writers = data.meta.get("writers", {})
        keys = [writers.get(name, name) for name in data.fonts]
        return split_heldout(data, [keys[i] for i in data.font_ids])
    if path.is_dir() and (path / "train.npz").is_file():
        train = WordData.load(path / "train.npz")
        if (path / "eval.npz").is_file():
            return train, WordData.load(path / "eval.npz")
        return split_heldout(train, [t.casefold() for t in train.texts])
    npz = sorted(path.glob("*.npz")) if path.is_dir() else [path] if path.suffix == ".npz" else []
    if len(npz) == 1 and npz[0].is_file():
        log(f"using the word set {npz[0]}")
        data = WordData.load(npz[0])
        return split_heldout(data, [t.casefold() for t in data.texts])
    raise UsageError(f"{path} holds neither IAM's words.txt nor one word set (.npz)",
                     "pass a folder with words.txt and words/, or a .npz written by WordData.save")


def split_heldout(data: WordData, keys: Sequence[str],
                  per_mille: int = EVAL_PER_MILLE) -> tuple[WordData, WordData]:
    """(train, eval): words whose key (writer, text) hashes into ``per_mille`` of 1000 go to eval."""
    held = np.fromiter((zlib.crc32(("latin-eval/" + k).encode()) % 1000 < per_mille for k in keys),
                       bool, len(keys))
    return data.subset(np.flatnonzero(~held)), data.subset(np.flatnonzero(held))

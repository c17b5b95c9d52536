"""Word images for the Latin word generator: geometry, character set, encoding, the WordData store.

**Geometry.** Every word image is ``HEIGHT`` (32) px high with its baseline at ``BASELINE``: the
baseline is the line between rows ``BASELINE - 1`` and ``BASELINE``, so letters that sit on it have
their last ink row at ``BASELINE - 1`` and an x-height letter fills rows
``BASELINE - X_HEIGHT .. BASELINE - 1`` (``image[BASELINE - X_HEIGHT:BASELINE]``). That leaves 13 px
above the x-height for ascenders, capitals and accents on capitals, and 9 px below the baseline for
descenders. Word images are stored at their *canonical* width, ``CHAR_WIDTH`` px per character:
the generator always writes a word of n characters n x 16 px wide, and the renderer stretches it
to the word's natural width afterwards (``WordData.natural_widths`` keeps that width for training
the width predictor). Vertical geometry is never resampled, so baseline and x-height hold in every
stored image.

**Characters.** ``CHARSET`` is printable ASCII without the space, the Latin-1 letters and Latin
Extended-A: every European language written in Latin script. Index 0 is the CTC blank and the
padding value, so characters are numbered from 1.

**Storage.** ``WordData`` keeps all images of a set in one uint8 array, concatenated along the
width, with an offsets array; a set of 50,000 words is one ``.npz`` and loads in a second or two.
Numpy and Pillow only here; torch is imported by ``encode`` alone.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np

from hwrender.errors import UsageError

HEIGHT = 32        # image height, px
BASELINE = 23      # the baseline lies between rows BASELINE - 1 and BASELINE (see the module doc)
X_HEIGHT = 10      # px: fonts are scaled so their x-height is this
CHAR_WIDTH = 16    # px per character of the canonical (training) width
MAX_CHARS = 14     # longest training word
CHARSET = "".join(sorted(
    {chr(c) for c in range(33, 127)}
    | {chr(c) for c in range(0xC0, 0x100) if c not in (0xD7, 0xF7)}  # Latin-1 letters (not × ÷)
    | {chr(c) for c in range(0x100, 0x180)}))                         # Latin Extended-A

FORMAT = "hwrender-latin-words/1"  # stored in every .npz WordData.save writes


@cache
def char_index() -> dict[str, int]:
    """Character -> 1-based index into CHARSET (0 is the CTC blank and the padding)."""
    return {ch: i + 1 for i, ch in enumerate(CHARSET)}


def encode(words: Sequence[str]):
    """(LongTensor [B, Lmax] of indices, zero-padded; LongTensor [B] lengths) for ``words``."""
    import torch

    index = char_index()
    lengths = [len(w) for w in words]
    out = torch.zeros((len(words), max(lengths, default=0)), dtype=torch.long)
    for row, word in enumerate(words):
        for col, ch in enumerate(word):
            if ch not in index:
                raise ValueError(f"character {ch!r} (U+{ord(ch):04X}) of {word!r} is not in the Latin "
                                 "charset")
            out[row, col] = index[ch]
    return out, torch.tensor(lengths, dtype=torch.long)


def decode(indices: Sequence[int]) -> str:
    """The text of 1-based indices; zeros (blank, padding) are skipped."""
    return "".join(CHARSET[int(i) - 1] for i in indices if int(i) != 0)


# Width classes (``NetConfig.narrow`` / ``wide``): a generator with them draws a narrow character
# in half the canonical slot (8 px) and a wide one in one and a half (24 px), others in 16 px.
# Measured: the median ink width of each character over the 35 training fonts against the font's
# mean letter or digit: ' . , : i | ; l ! under 0.5 (i 0.45, l 0.48); m 1.35, M 1.47, W 1.54, @,
# % and the ligatures Æ Œ above 1.3; w 1.23 joins them (uniform 16 px slots drew it as n; Tesseract
# read generated w as n 14 times in 100 lines). An accented letter takes its base letter's class.
NARROW_BASE = "'.,:;`|!il\u0131"  # ı (dotless i) has no decomposition
WIDE_BASE = "mwMW@%\u00c6\u00e6\u0152\u0153"  # Æ æ Œ œ


def _base(ch: str) -> str:
    import unicodedata

    base = unicodedata.normalize("NFD", ch)[0]
    return {"\u0142": "l", "\u0141": "L", "\u0140": "l", "\u013f": "L"}.get(ch, base)  # ł Ł ŀ Ŀ


@cache
def width_classes() -> tuple[str, str]:
    """(narrow, wide): the characters of CHARSET in each width class (see NARROW_BASE)."""
    narrow = "".join(c for c in CHARSET if _base(c) in NARROW_BASE)
    wide = "".join(c for c in CHARSET if _base(c) in WIDE_BASE)
    return narrow, wide


def char_units(word: str, narrow: str, wide: str) -> list[int]:
    """Half-slots (8 px) of each character: 1 narrow, 3 wide, 2 otherwise."""
    return [1 if c in narrow else 3 if c in wide else 2 for c in word]


def slot_width(word: str, narrow: str = "", wide: str = "") -> int:
    """The generator's width of ``word`` in px (``CHAR_WIDTH`` a character without classes)."""
    if not narrow and not wide:
        return CHAR_WIDTH * len(word)
    return CHAR_WIDTH // 2 * sum(char_units(word, narrow, wide))


def writable(word: str) -> bool:
    """True if ``word`` is not empty and every character is in CHARSET."""
    index = char_index()
    return len(word) >= 1 and all(ch in index for ch in word)


def canonical(alpha: np.ndarray, n_chars: int) -> np.ndarray:
    """A natural-aspect word image (float 0..1 or uint8, HEIGHT rows) at the canonical width.

    Only the width changes (Pillow's antialiased bilinear resize; downscaling averages over the
    source pixels): the result is uint8 [HEIGHT, CHAR_WIDTH * n_chars], ink 255.
    """
    from PIL import Image

    alpha = np.asarray(alpha)
    if alpha.ndim != 2 or alpha.shape[0] != HEIGHT:
        raise ValueError(f"expected an image with {HEIGHT} rows, got shape {alpha.shape}")
    if alpha.dtype != np.uint8:
        alpha = alpha.astype(np.float32) * 255.0
    image = Image.fromarray(np.ascontiguousarray(alpha, dtype=np.float32), mode="F")
    resized = image.resize((CHAR_WIDTH * n_chars, HEIGHT), Image.Resampling.BILINEAR)
    return np.asarray(resized).clip(0, 255).round().astype(np.uint8)


@dataclass
class WordData:
    """Canonical word images with their texts and where each came from (see the module doc)."""

    pixels: np.ndarray           # uint8 [HEIGHT, total width]: the images side by side; ink 255
    offsets: np.ndarray          # int64 [N + 1]: word i is pixels[:, offsets[i]:offsets[i + 1]]
    texts: list[str]
    font_ids: np.ndarray         # int16 [N]: index into fonts
    fonts: list[str]             # font ids, or "iam:<form>" for IAM words
    natural_widths: np.ndarray   # float32 [N]: ink width in px at the word's natural aspect
    meta: dict = field(default_factory=dict)  # provenance (JSON-serialisable)

    def __post_init__(self):
        self.pixels = np.asarray(self.pixels, np.uint8)
        self.offsets = np.asarray(self.offsets, np.int64)
        self.font_ids = np.asarray(self.font_ids, np.int16)
        self.natural_widths = np.asarray(self.natural_widths, np.float32)
        n = len(self.texts)
        if (self.pixels.ndim != 2 or self.pixels.shape[0] != HEIGHT or len(self.offsets) != n + 1
                or len(self.font_ids) != n or len(self.natural_widths) != n
                or self.offsets[-1] != self.pixels.shape[1]):
            raise ValueError(f"inconsistent WordData: {n} texts, offsets {self.offsets.shape}, "
                             f"pixels {self.pixels.shape}, font_ids {self.font_ids.shape}")
        widths = np.diff(self.offsets)
        if not np.array_equal(widths, CHAR_WIDTH * self.lengths()):
            raise ValueError("WordData widths must be CHAR_WIDTH x the character count")

    @classmethod
    def from_images(cls, images: Sequence[np.ndarray], texts: Sequence[str], font_ids: Sequence[int],
                    fonts: Sequence[str], natural_widths: Sequence[float],
                    meta: dict | None = None) -> WordData:
        """Pack canonical images (uint8 [HEIGHT, CHAR_WIDTH * len(text)] each) into one WordData."""
        widths = [image.shape[1] for image in images]
        pixels = (np.concatenate(images, axis=1) if images
                  else np.zeros((HEIGHT, 0), np.uint8))
        return cls(pixels, np.concatenate([[0], np.cumsum(widths, dtype=np.int64)]), list(texts),
                   np.asarray(font_ids, np.int16), list(fonts), np.asarray(natural_widths, np.float32),
                   dict(meta or {}))

    def __len__(self) -> int:
        return len(self.texts)

    def image(self, i: int) -> np.ndarray:
        return self.pixels[:, self.offsets[i]:self.offsets[i + 1]]

    def lengths(self) -> np.ndarray:
        """Character count of every word."""
        return np.fromiter((len(t) for t in self.texts), np.int64, len(self.texts))

    def batch(self, idx: Sequence[int]) -> np.ndarray:
        """uint8 [B, HEIGHT, W] of words that all have the same length (ValueError otherwise)."""
        idx = np.asarray(idx, np.int64)
        starts = self.offsets[idx]
        widths = self.offsets[idx + 1] - starts
        if len(idx) == 0 or np.any(widths != widths[0]):
            raise ValueError("batch() needs at least one word and words of one length, got widths "
                             f"{sorted(set(widths.tolist()))}")
        columns = starts[:, None] + np.arange(widths[0])  # [B, W]
        return np.ascontiguousarray(self.pixels[:, columns].transpose(1, 0, 2))

    def subset(self, idx: Sequence[int]) -> WordData:
        """The words ``idx`` (in that order) as a new WordData; fonts and meta are kept."""
        idx = np.asarray(idx, np.int64)
        starts, ends = self.offsets[idx], self.offsets[idx + 1]
        widths = ends - starts
        offsets = np.concatenate([[0], np.cumsum(widths)])
        # Column j of the result comes from starts[k] + (j - offsets[k]) for the word k it falls in.
        columns = np.repeat(starts - offsets[:-1], widths) + np.arange(offsets[-1])
        return WordData(self.pixels[:, columns], offsets, [self.texts[i] for i in idx],
                        self.font_ids[idx], list(self.fonts), self.natural_widths[idx],
                        dict(self.meta))

    def save(self, path: str | os.PathLike) -> None:
        """Write one compressed .npz (texts and meta as JSON), atomically: a temporary file, renamed."""
        from hwrender.atomic import atomic_path

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        # through a file object: given a name without .npz, numpy would add the suffix
        with atomic_path(path) as tmp, open(tmp, "wb") as out:
            np.savez_compressed(out, format=np.array(FORMAT), pixels=self.pixels,
                                offsets=self.offsets, font_ids=self.font_ids,
                                natural_widths=self.natural_widths,
                                texts=np.array(json.dumps(self.texts, ensure_ascii=False)),
                                fonts=np.array(json.dumps(self.fonts, ensure_ascii=False)),
                                meta=np.array(json.dumps(self.meta, ensure_ascii=False)))

    @classmethod
    def load(cls, path: str | os.PathLike) -> WordData:
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as data:
                if "format" not in data.files or str(data["format"][()]) != FORMAT:
                    raise UsageError(f"{path} is not a word set written by hwrender (no {FORMAT!r})",
                                     "pass a folder with IAM's words.txt or a .npz written by "
                                     "WordData.save")
                return cls(data["pixels"], data["offsets"], json.loads(str(data["texts"][()])),
                           data["font_ids"], json.loads(str(data["fonts"][()])),
                           data["natural_widths"], json.loads(str(data["meta"][()])))
        except (OSError, ValueError, KeyError) as exc:
            raise UsageError(f"cannot read the word set {path}: {exc}",
                             "rebuild it or pass another file") from exc

    @classmethod
    def concat(cls, parts: Sequence[WordData]) -> WordData:
        """One WordData of all ``parts`` in order; fonts are merged by name, meta kept per part."""
        fonts: dict[str, int] = {}
        font_ids = []
        for part in parts:
            remap = np.array([fonts.setdefault(name, len(fonts)) for name in part.fonts] or [0],
                             np.int16)
            font_ids.append(remap[part.font_ids])
        offsets = [np.zeros(1, np.int64)]
        total = 0
        for part in parts:
            offsets.append(part.offsets[1:] + total)
            total += int(part.offsets[-1])
        pixels = (np.concatenate([p.pixels for p in parts], axis=1) if parts
                  else np.zeros((HEIGHT, 0), np.uint8))
        return cls(pixels, np.concatenate(offsets), [t for p in parts for t in p.texts],
                   np.concatenate(font_ids) if parts else np.zeros(0, np.int16), list(fonts),
                   np.concatenate([p.natural_widths for p in parts]) if parts
                   else np.zeros(0, np.float32),
                   {"parts": [p.meta for p in parts]})

"""Real handwriting for the Latin word generator: the IAM Handwriting Database's word images.

IAM's ``words.txt`` (in the data folder or its ``ascii/``) has one line per word after ``#``
comments::

    a01-000u-00-00 ok 154 408 768 27 51 AT A

word id, segmentation result (``ok``/``err``), the grey level that binarises the line, the word's
bounding box in the form (x y w h), its grammatical tag, then the transcription (the rest of the
line). The image is ``words/a01/a01-000u/a01-000u-00-00.png`` under the data folder; an image
beside ``words.txt``, or any ``<id>.png`` below the folder, is accepted too. Each word is written
as the font ``iam:<form>`` (``iam:a01-000u``); where IAM's ``forms.txt`` is found beside
``words.txt`` the forms' writers go to ``meta["writers"]``, so that evaluation can hold out whole
writers (``dataset.training_set``).

**Normalisation.** Ink is where the grey level is below the line's threshold (the third field;
Otsu's where it is missing or unusable). Ink darkness becomes alpha 0..1: the threshold maps to 0
and the darkest 2 % of the ink to 1. The word is cropped to its ink. Scans carry no baseline, so
the *core band* stands in for the x-height: the rows holding at least 40 % as much ink as the
densest row, which in running handwriting are the rows between baseline and x-height (ascenders
and descenders are single strokes, the band is crossed by every letter). The band's height
(at least 30 % of the ink height) is scaled to ``X_HEIGHT`` and its bottom put on ``BASELINE``,
matching the font renders; ink that then leaves the 32 rows is cut off and counted. On words
rendered from six handwriting fonts this puts the baseline off by 0.5 px on average (unbiased)
and gets the x-height within 20 % for 4 words in 5 (40 % was the least biased of 35-50 %). A
word in capitals only has no lower-case band and comes out small: a known limit of the estimate.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np

from hwrender.errors import UsageError

from .words import BASELINE, CHARSET, HEIGHT, MAX_CHARS, X_HEIGHT, WordData, canonical

CORE_DENSITY = 0.4   # rows with at least this share of the densest row's ink form the core band
MIN_CORE = 0.3       # the band is at least this share of the ink height
INK_PERCENTILE = 2   # the darkest 2 % of the ink pixels get alpha 1
_CHARSET = frozenset(CHARSET)


def _words_txt(folder: Path) -> Path:
    for candidate in (folder / "words.txt", folder / "ascii" / "words.txt"):
        if candidate.is_file():
            return candidate
    raise UsageError(f"{folder} has no IAM words.txt (nor ascii/words.txt)",
                     "pass the IAM folder holding words.txt and words/")


def _writers(words_txt: Path) -> dict[str, str]:
    """form id -> writer id from IAM's forms.txt beside words.txt, or {} without it."""
    forms = words_txt.with_name("forms.txt")
    if not forms.is_file():
        return {}
    writers = {}
    for line in forms.read_text(encoding="utf-8", errors="replace").splitlines():
        fields = line.split()
        if len(fields) >= 2 and not line.startswith("#"):
            writers[fields[0]] = fields[1]
    return writers


def _otsu(grey: np.ndarray) -> float:
    """Otsu's threshold of a uint8 image: the grey level that best splits it in two classes."""
    hist = np.bincount(grey.ravel(), minlength=256).astype(np.float64)
    levels = np.arange(256)
    weight = np.cumsum(hist)
    mean = np.cumsum(hist * levels)
    total, total_mean = weight[-1], mean[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (total_mean * weight - mean * total) ** 2 / (weight * (total - weight))
    return float(np.nanargmax(between) + 0.5)


def normalise(grey: np.ndarray, threshold: float | None = None) -> tuple[np.ndarray, float, bool] | None:
    """(alpha float32 [HEIGHT, w], natural ink width px, ink cut off) of a grey word scan (dark ink
    on light paper, uint8), placed like the font renders (see the module doc); None without ink."""
    from PIL import Image

    grey = np.asarray(grey, np.uint8)
    if threshold is None or not 0 < threshold <= 255:
        threshold = _otsu(grey)
    mask = grey < threshold
    if not mask.any():
        return None
    darkest = np.percentile(grey[mask], INK_PERCENTILE)
    alpha = np.clip((threshold - grey.astype(np.float32)) / max(threshold - darkest, 1.0), 0.0, 1.0)
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    mask = mask[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    alpha = alpha[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    ink_height, ink_width = mask.shape

    profile = mask.sum(axis=1)
    band = np.flatnonzero(profile >= CORE_DENSITY * profile.max())
    baseline = band[-1] + 1
    core = max(baseline - band[0], MIN_CORE * ink_height)
    scale = X_HEIGHT / core
    width, height = max(1, round(ink_width * scale)), max(1, round(ink_height * scale))
    scaled = np.asarray(Image.fromarray(alpha, mode="F").resize((width, height),
                                                                Image.Resampling.BILINEAR))
    top = BASELINE - round(baseline * scale)
    frame = np.zeros((HEIGHT, width + 2), np.float32)
    lo, hi = max(top, 0), min(top + height, HEIGHT)
    if hi > lo:
        frame[lo:hi, 1:-1] = scaled[lo - top:hi - top]
    return frame.clip(0.0, 1.0), float(width), top < 0 or top + height > HEIGHT


def _find_image(folder: Path, words_txt: Path, word_id: str, index: dict[str, Path]) -> Path | None:
    parts = word_id.split("-")
    form = "-".join(parts[:2])
    for candidate in (folder / "words" / parts[0] / form / f"{word_id}.png",
                      words_txt.parent / f"{word_id}.png"):
        if candidate.is_file():
            return candidate
    if not index:  # built once, only when the IAM layout is not there
        index.update((p.stem, p) for p in sorted(folder.rglob("*.png")))
    return index.get(word_id)


def load_iam(folder: str | os.PathLike, skip_err: bool = True, limit: int | None = None,
             log: Callable[[str], None] = print) -> WordData:
    """The IAM words under ``folder`` as canonical word images (see the module doc).

    Skipped, and counted by reason in ``meta["skipped"]``: segmentation ``err`` lines (unless
    ``skip_err`` is False), malformed lines, transcriptions with characters outside CHARSET or
    longer than MAX_CHARS, missing or unreadable images, images without ink. ``limit`` stops after
    that many words.
    """
    from PIL import Image

    folder = Path(folder)
    words_txt = _words_txt(folder)
    writers = _writers(words_txt)
    skipped: Counter[str] = Counter()
    images, texts, font_ids, widths = [], [], [], []
    forms: dict[str, int] = {}
    index: dict[str, Path] = {}
    clipped = 0
    for line in words_txt.read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if limit is not None and len(texts) >= limit:
            break
        fields = line.split(" ")
        if len(fields) < 9:
            skipped["malformed line"] += 1
            continue
        word_id, status, grey_level, text = fields[0], fields[1], fields[2], " ".join(fields[8:])
        if skip_err and status == "err":
            skipped["segmentation err"] += 1
            continue
        if len(text) > MAX_CHARS:
            skipped["longer than MAX_CHARS"] += 1
            continue
        if not text or not set(text) <= _CHARSET:
            skipped["characters outside CHARSET"] += 1
            continue
        path = _find_image(folder, words_txt, word_id, index)
        if path is None:
            skipped["image missing"] += 1
            continue
        try:
            with Image.open(path) as image:
                grey = np.asarray(image.convert("L"))
        except OSError:
            skipped["image unreadable"] += 1
            continue
        threshold = float(grey_level) if grey_level.isdigit() else None
        placed = normalise(grey, threshold)
        if placed is None:
            skipped["no ink"] += 1
            continue
        alpha, width, cut = placed
        clipped += cut
        form = "-".join(word_id.split("-")[:2])
        images.append(canonical(alpha, len(text)))
        texts.append(text)
        font_ids.append(forms.setdefault(form, len(forms)))
        widths.append(width)
    if not texts:
        raise UsageError(f"no IAM word image could be loaded from {folder} "
                         f"(skipped: {dict(skipped) or 'no data lines'})",
                         "expected words/<a01>/<a01-000u>/<word id>.png beside words.txt")
    log(f"loaded {len(texts)} IAM words of {len(forms)} forms from {folder}"
        + (f"; skipped {dict(skipped)}" if skipped else ""))
    meta = {"source": "iam", "folder": str(folder), "words": len(texts), "skipped": dict(skipped),
            "ink_clipped": clipped,
            "writers": {f"iam:{form}": writers[form] for form in forms if form in writers}}
    return WordData.from_images(images, texts, font_ids, [f"iam:{form}" for form in forms], widths,
                                meta)

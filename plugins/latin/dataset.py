"""The Latin training and evaluation word sets: built from the font corpus (and cached) or loaded
from IAM-format data or a saved set.

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
import shutil
import tempfile
import time
import zlib
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np

from hwrender.errors import UsageError
from hwrender.fonts import NotInstalled
from hwrender.train.cache import data_cache

from .render import Augment, WordFont, layout_engine, render
from .vocabulary import fits, vocabulary
from .words import WordData, canonical

DATA_VERSION = 1  # bump when the vocabulary, rendering or augmentation changes: renames the cache
SKIP_FLAGS = ("caps_only", "no_lowercase", "outlined_caps", "hard_to_read", "latin_ocr_hard")


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
    words = list(dict.fromkeys(w for w in words if fits(w)))
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
            alpha, width, lost = render(font, words[i], augment, rng)
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
            "augment": dataclasses.asdict(augment), "layout_engine": layout_engine().name,
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
                 min_fonts: int = MIN_FONTS, augment: str = "full",
                 token_share: float = 0.0) -> tuple[WordData, WordData]:
    """(train, held-out evaluation) word sets.

    ``data_dir``: a folder with IAM's ``words.txt`` (``iam.load_iam``; about 5 % of the writers
    held out), a folder with ``train.npz`` (and ``eval.npz``) or with one ``.npz``, or a ``.npz``
    file (about 5 % of its words held out by text). None: built from the installed font corpus (at
    least ``min_fonts`` usable training fonts) and cached; see the module doc. ``token_share``:
    the vocabulary's share of token words (``vocabulary.vocabulary``).
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
    tokens = float(token_share)
    if tokens:  # none keeps the key the word sets had before token words
        parts.append({"token_share": tokens})
    key = hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:12]
    folder = data_cache() / f"latin-words-{key}"
    if (folder / "train.npz").is_file() and (folder / "eval.npz").is_file():
        log(f"using cached word sets in {folder}")
        return WordData.load(folder / "train.npz"), WordData.load(folder / "eval.npz")

    log(f"building the Latin word sets from {len(train_fonts)} + {len(holdout_fonts)} fonts "
        f"into {folder}")
    vocab = vocabulary(seed, token_share=tokens)
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

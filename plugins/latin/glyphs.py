"""Single characters for a font (``hwrender export-font``), cut out of short context words.

The word GAN learnt letters inside words: drawn alone, a letter is often a shape it rarely saw
(a font set from lone drawings read at Tesseract CER 0.11-0.17 where ``write`` reads at 0.025,
the issue 29 note). So each character is also written inside a few short context words (a
lowercase letter between ``n``s, a capital at a word's start, a digit among digits, a mark after
``punctuation.CONTEXT``), its slot is cut out (``marks.edges``; each edge with ``punctuation
.cut``'s blot rule, so a stroke that only strays past the edge stays whole), and the candidate the
model's own CTC recognizer reads as the character with the lowest loss is kept, the lone drawing
being one of the candidates. Classes not in ``CUT`` are drawn alone as before.

``write`` uses the same cut for a letter standing alone between drawn characters (``a<b``,
``x-ray``, the capitals of ``NY10518``: ``hyphens``): ``in_context`` names its context word,
the first of its class that begins with the letter (``xnn``), without the recognizer's choice
(one GAN word per letter). A one-letter word (``q``, ``ū``, Polish ``w``, Spanish ``o``;
``WORDS``) is written both ways, cut and alone, and the recognizer keeps the one it reads
better: cut alone, ``i`` and ``o`` read worse than written alone, ``j``, ``m`` and ``q`` far
better.

Same style, seed and characters: the same ink.
"""

from __future__ import annotations

import weakref
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from hwrender.ink import InkImage

from . import punctuation
from . import words as W
from .marks import edges as slot_edges
from .marks import split as marked

# Context words per class; ``{}`` is the character. Neutral ``n``: a short arch that joins on
# either side at the baseline and leaves a clean edge to cut at. Every class measured better cut
# than alone (Tesseract CER of sentences set in the font, summed over the default, neat and bold
# hands: all cut 0.364; capitals alone 0.428, lowercase alone 0.446, digits alone 0.421, other
# characters alone 0.442; capitals alone did read better for neat alone, 0.122 vs 0.137).
CONTEXTS = {
    "lower": ("n{}n", "{}nn", "nn{}"),
    "upper": ("{}nn", "{}an", "{}on"),
    "digit": ("6{}0", "{}60", "60{}"),
    "other": (punctuation.CONTEXT + "{}", "n{}n", "{}nn"),
}
CUT = frozenset(CONTEXTS)  # the classes cut from words (the others: drawn alone)
SEED_STEP = 7919  # context words take other word variations than the lone drawings
_readers: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def kind(ch: str) -> str:
    if ch.isdigit():
        return "digit"
    if ch.isalpha():
        return "upper" if ch.isupper() else "lower"
    return "other"


def cuttable(ch: str) -> bool:
    """Whether ``ch`` is tried in context: its class is in ``CUT`` and the GAN writes it whole
    (not a hyphen or a ``symbols.DRAWN`` symbol, whose strokes are drawn in code, nor a letter
    whose marks are)."""
    from .hyphens import HYPHEN
    from .symbols import DRAWN

    return kind(ch) in CUT and ch != HYPHEN and ch not in DRAWN and marked(ch) is None


def contexts(ch: str) -> list[tuple[str, int]]:
    """(context word, the character's index in it) for ``ch``."""
    out = []
    for form in CONTEXTS[kind(ch)]:
        word = form.replace("{}", ch)
        if W.writable(word):
            out.append((word, form.index("{}")))
    return out


LONE = True  # a lone letter between drawn characters is written in context (``in_context``)
WORDS = True  # so is a one-letter word (``q``, ``ū``, Polish ``w``), if the recognizer reads it better


def in_context(unit: str) -> tuple[str, int, int] | None:
    """(context word, the first and past-the-last index of ``unit`` in it) for a ``unit`` that
    is one letter the GAN writes whole, written in its class's first context that begins with
    it (``xnn``, ``Xnn``); else None. (Pairs of letters, ``am`` cut from ``namn``, read no better
    than written alone.) Cut from ``nxn`` a letter kept a sliver of the first ``n``'s right stem
    in some hands (``ıa``, ``ır``, ``ış``); at the word's start nothing stands before it. Tesseract
    on 120 lines with one-letter words (20 hands, not the evaluation's lines): 0.0525 -> 0.0486,
    25 lines better, 14 worse."""
    if not LONE or len(unit) != 1 or not unit.isalpha():
        return None
    base = (marked(unit) or (unit,))[0]  # é: its base letter, the mark drawn after the cut
    if not cuttable(base):
        return None
    forms = contexts(base)
    word, k = next(((w, k) for w, k in forms if k == 0), forms[0])
    return word, k, k + 1


def cut_slot(alpha: np.ndarray, x0: float, x1: float, floor: float) -> np.ndarray:
    """``alpha`` with only the ink of the character whose slot spans ``x0``..``x1`` px: each inner
    edge cut by ``punctuation.cut`` (the right one on the mirrored image)."""
    width = alpha.shape[1]
    if x0 > 0:
        alpha = punctuation.cut(alpha, x0, floor)
    if x1 < width:
        alpha = punctuation.cut(alpha[:, ::-1], width - x1, floor)[:, ::-1]
    return np.ascontiguousarray(alpha)


def reader(gen, device: str):
    """The model's CTC recognizer (None: exported without one), loaded once per generator."""
    if gen not in _readers:
        from .fit import _recognizer

        _readers[gen] = _recognizer(gen._files, gen.net_config, "cpu")
    net = _readers[gen]
    return None if net is None else net.to(device)


@torch.no_grad()
def losses(gen, inks: Sequence[InkImage], ratio: float, device: str = "cpu") -> list[float]:
    """The recognizer's CTC loss of each ink read as its text (inf without a recognizer): the ink
    set in the training frame, widened back by 1/``ratio`` to the width it was drawn at, with
    paper around it."""
    net = reader(gen, device)
    if net is None:
        return [float("inf")] * len(inks)
    from .generator import framed

    rows = []
    for ink in inks:
        a = torch.from_numpy(framed(ink))[None, None]
        width = max(4, round(a.shape[3] / ratio))
        rows.append(F.pad(F.interpolate(a, size=(W.HEIGHT, width), mode="bilinear",
                                        align_corners=False)[0, 0], (W.CHAR_WIDTH // 2,) * 2))
    # one batch, each row padded on the right with paper to the widest (read as blank frames)
    wide = max(r.shape[1] for r in rows)
    batch = torch.stack([F.pad(r, (0, wide - r.shape[1])) for r in rows])[:, None]
    log_probs = net((batch * 2 - 1).to(device)).cpu()
    text, lengths = W.encode([ink.text for ink in inks])
    frames = torch.full((len(inks),), log_probs.shape[0], dtype=torch.long)
    return F.ctc_loss(log_probs, text, frames, lengths, reduction="none",
                      zero_infinity=True).tolist()


def draw(gen, chars: Sequence[str], style, seed: int, device: str = "cpu") -> list[InkImage]:
    """One ink per character of ``chars`` (``gen``: a ``LatinGenerator``): the lone drawing, or
    where the recognizer reads it better, the character cut from a context word."""
    from .generator import INK_FLOOR

    alone = gen.generate(list(chars), style, seed, device)
    jobs = [(i, word, k) for i, ch in enumerate(chars) if cuttable(ch) for word, k in contexts(ch)]
    if not jobs:
        return alone
    ratio = gen.style_width_ratio(style)
    words = [word for _, word, _ in jobs]
    cuts: list[InkImage | None] = [None] * len(jobs)
    for idx, alpha in gen._batches(words, style, seed + SEED_STEP, device):
        width = max(1, round(alpha.shape[2] * ratio))
        squeezed = F.interpolate(alpha[:, None], size=(alpha.shape[1], width), mode="bilinear",
                                 align_corners=False, antialias=True)[:, 0].clamp_(0, 1).numpy()
        for b, j in enumerate(idx):
            i, word, k = jobs[j]
            e = slot_edges(word, gen.net_config.width, width / alpha.shape[2])
            cuts[j] = gen._ink(chars[i], cut_slot(squeezed[b], e[k], e[k + 1], INK_FLOOR))
    tried = [i for i in range(len(chars)) if cuttable(chars[i])]
    scores = losses(gen, [alone[i] for i in tried] + cuts, ratio, device)  # type: ignore[operator]
    best = {i: (s, alone[i]) for i, s in zip(tried, scores)}
    for (i, _, _), s, ink in zip(jobs, scores[len(tried):], cuts):
        # ties keep the lone drawing; a cut that kept no stroke is never taken
        if s < best[i][0] and ink is not None and ink.alpha.max() > punctuation.STRONG:
            best[i] = (s, ink)
    return [best[i][1] if i in best else ink for i, ink in enumerate(alone)]

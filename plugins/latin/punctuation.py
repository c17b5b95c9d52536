"""Words of punctuation alone (``!`` after Hangul, French ``oui !``), written after context digits.

(``!`` and ``?`` are drawn in code since issue 30, ``symbols``: a word holding them never reaches
this module; ``. , : ;`` still do.)

The shipped word GAN draws ``. , ! ? : ;`` well inside a word and badly alone: a lone ``!`` is a
faint short stroke with no dot (its darkest pixel 0.42-0.46 on the page where the hand's words
reach 0.97-1.0), ``?`` lacks its dot, ``:`` is one dot (default hand and hands 3 and 7; see the issue
25 report). So such a word is written as ``CONTEXT + word`` and only the punctuation's ink is kept.

The context is ``60``: over 24 hands x 3 words, the marks it leaves after the cut had their
parts (ink above 0.3, one blot ``.`` ``,``, two ``! ? : ;``) in 72/72 words for ``.`` and ``,``,
72 ``?``, 70 ``:``, 69 ``;`` and 57 ``!`` (the others: a stroke touching its dot), with a darkest
pixel of median 0.75 for ``!`` (0.43 alone). ``6`` alone gave ``?`` its dot in 41 of 72, ``0`` joins
``?`` and ``:`` more often; letters (``n x e a``) join ``.`` and ``:`` in up to 48 of 48.

The punctuation's columns are known (each character has its own slot, see ``marks``), but ink
strays a pixel or two past a slot's edge (a slanted ``!`` puts its dot left of its stroke, a comma's
tail curls back), so the cut goes by blots of connected ink: a blot whose dark ink reaches ``REACH``
px past the edge on both sides is the digit joined to the mark and is cut at the edge; any other
blot is the mark's, kept whole, if most of its ink is right of the edge, else the digit's. The
digit's own dark ink was never seen more than 2 px past the edge.
"""

from __future__ import annotations

import numpy as np

CONTEXT = "60"
MARKS = set(".,:;!?")
STRONG = 0.35      # alpha of a blot's body: fainter ink joins the blot beside it (``FRINGE`` px)
FRINGE = 2
REACH = 3          # px on each side of the edge that a blot of digit and mark joined spans


def alone(word: str) -> bool:
    """Whether ``word`` is punctuation the GAN draws badly by itself (no letter or digit, one of
    ``MARKS`` at least)."""
    return not any(ch.isalnum() for ch in word) and any(ch in MARKS for ch in word)


def written(word: str) -> str:
    """What the GAN writes for ``word``: the context digits first where ``word`` is ``alone``."""
    return CONTEXT + word if alone(word) else word


def _spread(labels: np.ndarray) -> np.ndarray:
    """Each pixel's largest label among itself and its 8 neighbours."""
    h, w = labels.shape
    p = np.pad(labels, 1)
    return np.max([p[dy:dy + h, dx:dx + w] for dy in range(3) for dx in range(3)], axis=0)


def components(mask: np.ndarray) -> np.ndarray:
    """Labels (0: background) of ``mask``'s 8-connected components, each labelled by its last
    pixel in row-major order, plus one: runs of each row joined to the runs they touch in the row
    above (union-find), in one pass. (It replaced growing every pixel's number to its
    neighbours until nothing changed, a pass per pixel of a blot's length: 3.5 ms a cut, most
    of what a one-letter word cut from its context cost.)"""
    h, w = mask.shape
    parent: list[int] = []

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    runs: list[tuple[int, int, int, int]] = []  # (row, start, end, run id)
    above: list[tuple[int, int, int]] = []
    edges = np.diff(mask.astype(np.int8), axis=1, prepend=0, append=0)
    for y in range(h):
        starts = np.flatnonzero(edges[y] == 1).tolist()
        if not starts:
            above = []
            continue
        row = []
        for s, e in zip(starts, np.flatnonzero(edges[y] == -1).tolist()):
            rid = len(parent)
            parent.append(rid)
            for ps, pe, pid in above:  # touching, diagonals included
                if ps <= e and pe >= s:
                    a, b = root(rid), root(pid)
                    if a != b:
                        parent[max(a, b)] = min(a, b)
            row.append((s, e, rid))
            runs.append((y, s, e, rid))
        above = row
    last: dict[int, int] = {}
    for y, s, e, rid in runs:
        r = root(rid)
        last[r] = max(last.get(r, 0), y * w + e)  # the run's last pixel's number, plus one
    labels = np.zeros((h, w), np.int64)
    for y, s, e, rid in runs:
        labels[y, s:e] = last[root(rid)]
    return labels


def blots(alpha: np.ndarray, floor: float) -> np.ndarray:
    """Labels (0: paper) of the 8-connected blots of ink above ``STRONG``, each grown by up to
    ``FRINGE`` px into the fainter ink (above ``floor``) around it (a faint pixel between two
    blots joins the one labelled higher)."""
    labels = components(alpha > STRONG)
    faint = alpha > floor
    for _ in range(FRINGE):
        labels = np.where((labels == 0) & faint, _spread(labels), labels)
    return labels


def cut(alpha: np.ndarray, edge: float, floor: float = 0.06) -> np.ndarray:
    """``alpha`` (``CONTEXT + word`` as the GAN wrote it) with only the ink of ``word``, whose
    slot begins ``edge`` px from the left."""
    labels = blots(alpha, floor)
    x = np.arange(alpha.shape[1]) + 0.5
    right = (x >= edge)[None, :]
    keep = (labels == 0) & right  # paper and stray faint ink: the word's trim sees to it
    for label in np.unique(labels[labels > 0]):
        blot = labels == label
        dark = x[np.nonzero(blot & (alpha > STRONG))[1]]
        if len(dark) and dark.min() - 0.5 <= edge - REACH and dark.max() + 0.5 >= edge + REACH:
            keep |= blot & right  # the digit joined the mark
        elif alpha[blot & right].sum() >= 0.5 * alpha[blot].sum():
            keep |= blot
    return np.where(keep, alpha, 0.0).astype(alpha.dtype)

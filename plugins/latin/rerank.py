"""Recognizer-guided sampling: a rare word drawn several times, the most legible draw kept.

The word GAN draws digits, symbols and accented letters (``needs``) less
reliably than letters: a ``4`` can come out like ``ʒ`` in one word variation and right in the
next. So for a word holding such a character, ``choose`` draws ``K - 1`` more word-variation
latents (the document's style part kept), and keeps the latent whose image the model's own CTC
recognizer (the one GAN training and ``fit.py``'s legibility guard use, in the weights) reads
as the word with the lowest loss. The page's own latent is candidate 0, so with ``K`` 1, or for
words without a rare character, nothing changes and nothing more is drawn.

Deterministic: the candidates of word ``i`` are drawn from a generator seeded by (seed, i, word),
so the same style, seed and text give the same ink.

The hook in ``LatinGenerator._batches`` (``enable`` does the same on an instance, which is how
the evaluation measures it)::

    z = self.latents(len(words), style, seed)
    if RERANK_K > 1:
        from . import glyphs, rerank
        z = rerank.choose(net, glyphs.reader(self, device), words, z, RERANK_K, seed, device=device)
    for idx, alpha in draw(net, words, z, device): ...
"""

from __future__ import annotations

import zlib
from typing import Callable, Sequence

import torch
import torch.nn.functional as F

from . import words as W

# Prose punctuation is drawn well attached to a word (``punctuation``'s measures), and a page of
# prose has it on about one word in six: those words are not drawn again
PROSE = frozenset(".,;:!?'\"()-")


def needs(word: str) -> bool:
    """Whether ``word`` (as the GAN writes it) holds a digit, a symbol or a non-ASCII letter."""
    return any(not (ch.isascii() and ch.isalpha()) and ch not in PROSE for ch in word)


def _candidates(word_dim: int, k: int, seed: int, index: int, word: str,
                spread: float) -> torch.Tensor:
    """[k, word_dim] word-variation latents for word ``index`` (``word``) of a page."""
    g = torch.Generator().manual_seed(zlib.crc32(f"rerank:{seed}:{index}:{word}".encode()))
    return spread * torch.randn(k, word_dim, generator=g)


@torch.no_grad()
def losses(net, recognizer, words: Sequence[str], z: torch.Tensor,
           device: str = "cpu") -> torch.Tensor:
    """[len(words)] the recognizer's CTC loss of each word drawn by ``net`` from ``z`` (its raw
    output at the generator's width, what the recognizer learnt to read)."""
    from .generator import draw

    out = torch.empty(len(words))
    for idx, alpha in draw(net, words, z, device):
        log_probs = recognizer((alpha[:, None] * 2 - 1).to(device)).float().cpu()
        text, lengths = W.encode([words[i] for i in idx])
        frames = torch.full((len(idx),), log_probs.shape[0], dtype=torch.long)
        out[idx] = F.ctc_loss(log_probs, text, frames, lengths, reduction="none",
                              zero_infinity=True)
    return out


def choose(net, recognizer, words: Sequence[str], latents: torch.Tensor, k: int, seed: int,
           rare: Callable[[str], bool] = needs, device: str = "cpu",
           spread: float | None = None) -> torch.Tensor:
    """``latents`` [len(words), z_dim] with each ``rare`` word's word part replaced by the best of
    ``k`` draws (its own among them): the one ``recognizer`` reads as the word with the lowest
    CTC loss. ``spread``: the word latents' spread (``generator.WORD_SPREAD`` by default)."""
    picked = [i for i, w in enumerate(words) if rare(w)]
    if k <= 1 or recognizer is None or not picked:
        return latents
    if spread is None:
        from .generator import WORD_SPREAD as spread
    word_dim = net.cfg.word_dim
    style_dim = latents.shape[1] - word_dim
    rows, texts = [], []
    for i in picked:
        extra = _candidates(word_dim, k - 1, seed, i, words[i], spread)
        own = latents[i:i + 1]
        rows += [own, torch.cat([own[:, :style_dim].expand(k - 1, -1), extra], 1)]
        texts += [words[i]] * k
    scores = losses(net, recognizer, texts, torch.cat(rows).float(), device).view(len(picked), k)
    best = scores.argmin(1)
    out = latents.clone()
    cand = torch.cat(rows).view(len(picked), k, -1)
    for j, i in enumerate(picked):
        out[i] = cand[j, best[j]].to(out.dtype)
    return out


def enable(gen, k: int) -> None:
    """Make the ``LatinGenerator`` ``gen`` draw rare words with ``choose`` (``k`` candidates), as
    the hook in the module doc would: its ``_batches`` runs as it is, with the page's latents
    (``latents(len(words), style, seed)``) passed through ``choose`` on the way."""
    from . import glyphs

    batches = gen._batches

    def _batches(words, style, seed, device):
        gen.hand_level(style, device)  # its probe words' latents are not the page's: cached first
        net, reader = gen._net(style, device), glyphs.reader(gen, device)
        latents = type(gen).latents.__get__(gen)

        def guided(n, style_, seed_):
            z = latents(n, style_, seed_)
            if n != len(words) or seed_ != seed:
                return z
            return choose(net, reader, words, z, k, seed, device=device)

        gen.latents = guided
        try:
            yield from batches(words, style, seed, device)
        finally:
            del gen.latents

    gen._batches = _batches

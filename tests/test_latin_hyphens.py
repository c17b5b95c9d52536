"""Hyphens in Latin words: a level stroke half an x-height above the baseline, not the GAN's
raised bracket (issue 25)."""

from __future__ import annotations

import numpy as np
import pytest

from hwrender.ink import InkImage
from hwrender_plugins.latin import hyphens
from hwrender_plugins.latin import words as W


def ink_box(alpha, level=0.25):
    ys, xs = np.nonzero(alpha > level)
    return ys.min(), ys.max() + 1, xs.min(), xs.max() + 1


def check_hyphen(alpha, baseline, x_height):
    """The ink's centre sits near the middle of the x-height band; the mark is wider than tall."""
    top, bottom, left, right = ink_box(alpha)
    weights = alpha * (alpha > 0.2)
    centre = (weights.sum(1) * (np.arange(alpha.shape[0]) + 0.5)).sum() / weights.sum()
    above = (baseline - centre) / x_height
    assert 0.35 < above < 0.65, above
    assert right - left > 1.5 * (bottom - top), (right - left, bottom - top)


def block_letter(word):
    """A stand-in for the GAN: an x-height box of ink per character, 2 px strokes."""
    a = np.zeros((W.HEIGHT, 8 * len(word)), np.float32)
    for i in range(len(word)):
        a[W.BASELINE - W.X_HEIGHT:W.BASELINE, 8 * i + 1:8 * i + 3] = 0.8
        a[W.BASELINE - W.X_HEIGHT:W.BASELINE, 8 * i + 5:8 * i + 7] = 0.8
    return InkImage(a, baseline=float(W.BASELINE), x_height=float(W.X_HEIGHT), text=word)


def test_split_keeps_every_hyphen():
    assert hyphens.split("mother-in-law") == ["mother", "-", "in", "-", "law"]
    assert hyphens.split("-") == ["-"]
    assert hyphens.split("a--b-") == ["a", "-", "-", "b", "-"]


def recording_writer():
    """(the batches asked for, a stand-in GAN writer that records them and writes block letters)."""
    asked = []

    def write(words, lone=()):
        asked.append(list(words))
        return [block_letter(w) for w in words]

    return asked, write


def test_words_are_written_in_parts_and_hyphens_drawn_between_them():
    asked, write = recording_writer()
    out = hyphens.generate(write, ["x-ray", "plain", "-"], seed=3)
    assert asked == [["x", "ray", "plain"]]  # one batch, no '-' ever reaches the GAN
    xray, plain, dash = out
    assert [o.text for o in out] == ["x-ray", "plain", "-"]
    assert plain.alpha.shape == block_letter("plain").alpha.shape  # untouched
    check_hyphen(dash.alpha, dash.baseline, dash.x_height)
    # in x-ray: the columns between x (8 px) and ray are the hyphen
    hy = xray.alpha[:, 8:xray.width - 24]
    check_hyphen(hy, xray.baseline, xray.x_height)
    assert xray.width == 8 + 24 + hy.shape[1] and xray.advance == xray.width
    # as thick as the word's strokes
    assert hyphens.stroke_thickness(hy) == pytest.approx(
        hyphens.stroke_thickness(block_letter("xray").alpha), abs=0.4)
    # the same seed draws the same hyphen
    assert np.array_equal(hyphens.generate(write, ["x-ray"], seed=3)[0].alpha, xray.alpha)


def test_shipped_generator_draws_a_level_hyphen(latin):
    for style in (None,):  # each other hand costs seconds (its ink cap is measured)
        dash, word = latin.generate(["-", "x-ray"], style, seed=5)
        check_hyphen(dash.alpha, dash.baseline, dash.x_height)
        assert word.text == "x-ray"


def test_hyphen_on_a_page_sits_at_the_middle_of_the_letters_beside_it(latin):
    from hwrender.api import render_pages
    from hwrender.registry import default_registry

    (page,) = render_pages("x-x", registry=default_registry(), dpi=150, seed=2)
    gray = np.asarray(page.convert("L"), np.float32)
    alpha = 1 - gray / 255
    top, bottom, left, right = ink_box(alpha)
    line = alpha[top - 5:bottom + 5, left - 5:right + 5]
    dark = (line > 0.25).any(0)
    # three groups of inked columns: x, the hyphen, x
    edges = np.flatnonzero(np.diff(np.r_[0, dark.astype(int), 0]))
    groups = list(zip(edges[::2], edges[1::2]))
    assert len(groups) == 3, groups
    rows = lambda a, b: np.flatnonzero((line[:, a:b] > 0.25).any(1))  # noqa: E731
    x_rows = np.r_[rows(*groups[0]), rows(*groups[2])]
    x_top, x_bottom = x_rows.min(), x_rows.max() + 1  # the x-height band of the page
    hy = line[:, groups[1][0]:groups[1][1]]
    check_hyphen(hy, x_bottom, x_bottom - x_top)

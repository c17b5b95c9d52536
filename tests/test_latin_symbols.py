"""Symbols the Latin word GAN cannot draw (``# + = < > * ^ _ | \\ [ ] { } ~ @ % & / ? ! 4``, the
backtick and the capitals), drawn as pen strokes between the parts the GAN writes (issue 30,
``symbols``)."""

from __future__ import annotations

import numpy as np
import pytest

from hwrender_plugins.latin import hyphens, symbols
from hwrender_plugins.latin import words as W
from test_latin_hyphens import block_letter, recording_writer
from test_latin_marks import INK, blobs, holes


def drawn(ch, seed=0, shear=0.0, thickness=1.8, level=0.9):
    return symbols.draw_symbol(ch, thickness, level, np.random.default_rng(seed), shear)


# character: (strokes apart, enclosed holes) of the drawn figure at a reader's threshold
TOPOLOGY = {"#": (1, 1), "+": (1, 0), "=": (2, 0), "<": (1, 0), ">": (1, 0), "*": (1, 0),
            "^": (1, 0), "_": (1, 0), "`": (1, 0), "|": (1, 0), "\\": (1, 0), "[": (1, 0),
            "]": (1, 0), "~": (1, 0), "@": (1, 2), "%": (3, 2), "&": (1, 2), "/": (1, 0),
            "0": (1, 1), "1": (1, 0), "2": (1, 0), "3": (1, 0), "4": (1, 1), "5": (1, 0),
            "6": (1, 1), "7": (1, 0), "8": (1, 2), "9": (1, 1), "?": (2, 0), "!": (2, 0), "{": (1, 0), "}": (1, 0),
            "$": (1, 2), ".": (1, 0), ",": (1, 0), ":": (2, 0), ";": (2, 0), "'": (1, 0),
            **{c: (1, 0) for c in "CEFGHIJKLMNSTUVWXYZŁŦ"}, **{c: (1, 1) for c in "ADOPQRĐÐĦÆŒ"},
            "B": (1, 2), "Ø": (1, 2), "Ŀ": (2, 0), "æ": (1, 2), "œ": (1, 2), "ß": (1, 1), "ð": (1, 1),
            "Þ": (1, 1), "Ŋ": (1, 0), "Ĳ": (2, 0), "þ": (1, 1), "ŋ": (1, 0), "ĳ": (4, 0),
            "ĸ": (1, 0), "ſ": (1, 0)}


def test_every_drawn_symbol_has_a_shape_test():
    assert set(TOPOLOGY) == set(symbols.SHAPES)
    assert symbols.DRAWN == (set(symbols.SHAPES) - set(symbols.POINTS) - set(symbols.EDGES)
                             | set(symbols.ACCENTED))


def test_accented_capitals_are_drawn_capitals_with_their_marks():
    import unicodedata

    from hwrender_plugins.latin import marks

    # every accented capital of the charset whose base is an ASCII capital and whose marks are
    # drawn; the rest (Ø Ł Æ are drawn shapes of their own, Ľ's caron is an apostrophe) are not
    assert set(symbols.ACCENTED) == {c for c in W.CHARSET if c.isupper() and not c.isascii()
                                     and (s := marks.split(c)) is not None and s[0].isascii()}
    assert {"É", "Å", "Ç", "Ő", "Ž", "Ą"} <= set(symbols.ACCENTED)
    assert not {"Ø", "Ł", "Æ", "Ľ"} & set(symbols.ACCENTED)
    for ch, (base, marks_) in sorted(symbols.ACCENTED.items()):
        base_strokes, base_holes = TOPOLOGY[base]
        below = marks.SHAPES[marks_[0]][0] == "below"
        pieces = 2 if marks_ in ("\u0308", "\u030b") else 1
        for seed in range(3):
            ink = drawn(ch, seed, shear=0.3 * (seed - 1))
            mask = ink.alpha > INK
            found = len(blobs(mask))
            if below:  # a cedilla or ogonek may touch its letter
                assert base_strokes <= found <= base_strokes + pieces, (ch, seed, found)
            else:  # a mark above stands apart from the capital
                assert found == base_strokes + pieces, (ch, seed, found)
            ring = 1 if marks_ == "\u030a" else 0
            assert holes(mask) >= base_holes + ring and holes(mask) <= base_holes + ring + 1, (ch, seed)
            # inside the generator's 32 px frame, which the evaluation and the pages assume
            assert ink.baseline <= W.BASELINE and ink.height - ink.baseline <= W.HEIGHT - W.BASELINE
            plain = drawn(base, seed, shear=0.3 * (seed - 1))
            if not below:  # the mark stands over the capital
                assert top(ink) >= top(plain) + 3, (ch, seed)
        assert unicodedata.normalize("NFD", ch)[0] == base
        for thickness in (1.0, 3.5, 4.5):  # a wide pen's marks are flattened, not cut by the frame
            ink = symbols.draw_symbol(ch, thickness, 0.9, np.random.default_rng(0), 0.4)
            assert ink.baseline <= W.BASELINE and ink.height - ink.baseline <= W.HEIGHT - W.BASELINE


def top(ink):
    """Px of ink above the baseline."""
    return ink.baseline - np.flatnonzero((ink.alpha > INK).any(1)).min()


def test_a_word_with_an_accented_capital_draws_it():
    asked, write = recording_writer()
    out = hyphens.generate(write, ["École", "Ångström", "été"], seed=3)
    assert asked == [["cole", "ngstr\u00f6m", "été"]]  # the capitals are drawn, the rest written
    assert [o.text for o in out] == ["École", "Ångström", "été"]
    # the É's acute is drawn: ink high over the capital, above what "cole" reaches
    assert top(out[0]) > 1.6 * W.X_HEIGHT and top(out[0]) > top(block_letter("cole")) + 3


@pytest.mark.parametrize("ch", sorted(TOPOLOGY))
def test_each_symbol_keeps_its_strokes_and_holes(ch):
    strokes, enclosed = TOPOLOGY[ch]
    for seed in range(4):  # the jitter never joins or breaks a figure
        mask = drawn(ch, seed).alpha > INK
        assert len(blobs(mask)) == strokes, (ch, seed)
        if ch == "@":  # the a's bowl and the ring its tail closes (its curl may close another)
            assert holes(mask) >= enclosed, (ch, seed)
        elif ch == "$":  # the bar closes the S's two bowls; at 10 px the upper one may fill
            assert 1 <= holes(mask) <= enclosed, (ch, seed)
        elif ch == "N":  # the acute corner of stem and diagonal may hold a pixel of paper
            assert holes(mask) <= 1, (ch, seed)
        else:
            assert holes(mask) == enclosed, (ch, seed)


# the corners of the space of hand forms (``Form.of`` draws inside it)
FORMS = [symbols.Form(w, f, h, r) for w in (-0.3, 0.3) for f in (-0.1, 0.1)
         for h, r in ((0.95, 0.0), (1.05, 0.2))]


@pytest.mark.parametrize("ch", sorted(c for c in TOPOLOGY if c.isupper()))
def test_each_drawn_capital_keeps_its_strokes_and_holes_in_every_hand_form(ch):
    """A hand's form moves each row of the figure as one (strokes that meet still meet: the
    bar of an A its legs, the waist of a B its stem), and its rounding keeps the corners other
    strokes meet (the fork of a Y, the arms of a K)."""
    strokes, enclosed = TOPOLOGY[ch]
    for k, form in enumerate(FORMS):
        ink = symbols.draw_symbol(ch, 1.8, 0.9, np.random.default_rng(k), form=form)
        mask = ink.alpha > INK
        # Ŀ's dot stands close to its stem in any form (seed 8 joins them in the default one)
        assert len(blobs(mask)) == strokes or (ch == "Ŀ" and len(blobs(mask)) == 1), (ch, form)
        if ch != "Æ":  # its A's counter is a pixel or two: the default form fills it too (seed 2)
            assert holes(mask, min_area=2) == enclosed, (ch, form)  # an acute corner's pixel aside


def bar_row(ink):
    """The row (px above the baseline) of the A's bar: the middle row with the most ink."""
    mask = ink.alpha > INK
    rows = np.arange(int(ink.baseline) - 11, int(ink.baseline) - 3)
    return ink.baseline - rows[np.argmax(mask[rows].sum(1))]


def test_a_hand_form_moves_the_waist_flares_and_rounds():
    def a(form):
        return symbols.draw_symbol("A", 1.8, 0.9, np.random.default_rng(5), form=form)

    plain = a(symbols.Form())
    assert np.array_equal(plain.alpha, drawn("A", seed=5).alpha)  # Form(): as before
    assert bar_row(a(symbols.Form(waist=0.3))) > bar_row(plain) > bar_row(a(symbols.Form(waist=-0.3)))

    def flared(flare):  # an H's stems: how much further apart at the top than at the foot
        ink = symbols.draw_symbol("H", 1.8, 0.9, np.random.default_rng(5), form=symbols.Form(flare=flare))
        b = int(ink.baseline)

        def span(rows):
            cols = np.flatnonzero((ink.alpha[rows] > INK).any(0))
            return cols[-1] - cols[0]
        return span(slice(b - 13, b - 11)) - span(slice(b - 3, b - 1))

    assert flared(0.1) >= flared(-0.1) + 2
    assert top(a(symbols.Form(height=1.08))) > top(a(symbols.Form(height=0.92)))
    # an accented capital keeps the default form: its marks sit on the top a form reshapes
    for ch in ("Á", "Å", "Ň"):
        formed, plain_accented = (symbols.draw_symbol(ch, 1.8, 0.9, np.random.default_rng(5), form=form)
                                  for form in (FORMS[-1], symbols.Form()))
        assert np.array_equal(formed.alpha, plain_accented.alpha)
    # round: the V's sharp foot becomes a curve (less ink right at its corner)
    v, round_v = (symbols.draw_symbol("V", 1.8, 0.9, np.random.default_rng(1), form=symbols.Form(round=r))
                  for r in (0.0, 0.25))
    assert top(round_v) == top(v) and not np.array_equal(v.alpha, round_v.alpha)
    z, round_z = (symbols.draw_symbol("Z", 1.8, 0.9, np.random.default_rng(1), form=symbols.Form(round=r))
                  for r in (0.0, 0.25))
    assert np.array_equal(z.alpha, round_z.alpha)  # a Z keeps its corners (rounded, it read as 2)


def test_each_hand_has_its_own_form_and_the_default_keeps_its_letters(latin):
    from hwrender.styles.types import Blend

    assert latin.drawn_form(None) == symbols.Form()
    assert latin.drawn_form(str(latin.hand(None)[0])) == symbols.Form()  # the same hand
    named = {name: latin.drawn_form(name) for name in latin.styles}
    assert len(set(named.values())) == len(named) and symbols.Form() not in named.values()
    assert latin.drawn_form("neat") == symbols.Form.of("named:%d:%g:None" % latin.hand("neat"))
    assert latin.drawn_form("7") == symbols.Form.of("%d:%g" % latin.hand("7"))
    assert latin.drawn_form("12") != latin.drawn_form("13")
    half = latin.drawn_form(Blend((("neat", 0.5), ("bold", 0.5))))
    assert half.waist == pytest.approx((named["neat"].waist + named["bold"].waist) / 2)


def test_the_generator_draws_a_hands_capitals_in_its_form(latin, monkeypatch):
    (own,) = latin.generate(["HBRK"], "bold", seed=4)
    with monkeypatch.context() as m:
        m.setattr(type(latin), "drawn_form", lambda self, style: symbols.Form())
        (formless,) = latin.generate(["HBRK"], "bold", seed=4)
    assert own.text == formless.text == "HBRK"
    assert own.alpha.shape != formless.alpha.shape or not np.array_equal(own.alpha, formless.alpha)


def ink_rows(ink, level=INK):
    """Rows with ink, relative to the baseline in x-heights (positive: above)."""
    ys = np.flatnonzero((ink.alpha > level).any(1))
    return (ink.baseline - (ys.max() + 1)) / W.X_HEIGHT, (ink.baseline - ys.min()) / W.X_HEIGHT


def test_a_drawn_capital_i_has_serifs_that_tell_it_from_l_and_bar():
    """A bare stem was read as ``l``, ``|`` or ``1``: the drawn ``I`` has a bar at its top and at its
    foot, several times wider than its stem, in every hand form (and so has ``Í``); ``|`` stays
    bare."""
    def widths(ink):
        mask = ink.alpha > INK
        rows = np.flatnonzero(mask.any(1))
        width = [np.ptp(np.flatnonzero(mask[y])) + 1 for y in rows]
        return max(width[:3]), width[len(width) // 2], max(width[-3:])

    for k, form in enumerate([symbols.Form(), *FORMS]):
        top, middle, foot = widths(symbols.draw_symbol("I", 1.8, 0.9, np.random.default_rng(k),
                                                       form=form))
        assert top > 2.5 * middle and foot > 2.5 * middle, (form, top, middle, foot)
        _, _, foot = widths(symbols.draw_symbol("Í", 1.8, 0.9, np.random.default_rng(k)))
        assert foot > 2.5 * middle  # (its top rows are the acute's)
    top, middle, foot = widths(drawn("|"))
    assert top < 2 * middle and foot < 2 * middle


def test_drawn_ae_and_sharp_s_are_not_oe_and_b():
    """The judge read a round-bowled ``æ`` as ``œ`` and a ``ß`` closed on its stem as ``B``: ``æ``'s
    a has two storeys (its counter in the lower half of the x-height, under the hook), and
    ``ß``'s stem falls to the descender."""
    from scipy import ndimage

    for seed in range(4):
        ink = drawn("æ", seed)
        paper, _ = ndimage.label(~np.pad(ink.alpha > INK, 1))
        counters = [np.argwhere(paper == k) for k in range(2, paper.max() + 1)]  # 1: outside
        a = min((c for c in counters if len(c) >= 2), key=lambda c: c[:, 1].mean())
        top = (ink.baseline + 1 - a[:, 0].min()) / W.X_HEIGHT  # +1: the pad
        assert top < 0.62, (seed, top)
        lo, hi = ink_rows(drawn("ß", seed))
        assert lo < -0.2 and hi > 1.3, (seed, lo, hi)


def test_symbols_sit_where_a_font_puts_them():
    lo, hi = ink_rows(drawn("_"))
    assert hi < 0.05  # on or under the baseline
    lo, hi = ink_rows(drawn("|"))
    assert lo < -0.2 and hi > 1.3  # from the descender to the ascender
    lo, hi = ink_rows(drawn("*"))
    assert lo > 0.5  # raised
    lo, hi = ink_rows(drawn("+"))
    assert 0.0 < lo and hi < 1.05  # inside the x-height band
    lo, hi = ink_rows(drawn("4"))
    assert lo < 0.05 and 1.25 < hi < 1.6  # a digit: baseline to about 1.4 x-heights


def test_a_slanted_hands_symbols_lean_with_it_less_than_its_letters():
    def lean(ink):
        a = ink.alpha > INK
        ys = np.flatnonzero(a.any(1))
        top, bottom = a[ys.min()], a[ys.max()]
        return (np.flatnonzero(top).mean() - np.flatnonzero(bottom).mean()) / (ys.max() - ys.min())

    upright, slanted = lean(drawn("|", seed=1)), lean(drawn("|", seed=1, shear=0.4))
    assert abs(upright) < 0.12
    assert slanted - upright == pytest.approx(symbols.LEAN * 0.4, abs=0.06)
    # a full shear would stand a backslash up; LEAN keeps it leaning back
    assert lean(drawn("\\", seed=1, shear=0.45)) < -0.15


def test_the_pen_is_the_words_pen():
    thin, thick = drawn("+", thickness=1.5), drawn("+", thickness=3.0)
    assert symbols_stroke(thick) > symbols_stroke(thin) + 0.8
    faint = drawn("+", level=0.5)
    assert faint.alpha.max() == pytest.approx(0.5, abs=0.01)


def symbols_stroke(ink):
    return hyphens.stroke_thickness(ink.alpha)


def test_words_are_written_around_their_symbols_in_one_batch():
    asked = []

    def write(words, lone=()):
        asked.append(list(words))
        return [block_letter(w) for w in words]

    out = hyphens.generate(write, ["lee@sample.net", "#42", "&", "plain", "x-ray"], seed=3)
    # one batch; no drawn character reaches the GAN (digits are drawn too)
    assert asked == [["lee", "sample.net", "plain", "x", "ray"]]
    assert [o.text for o in out] == ["lee@sample.net", "#42", "&", "plain", "x-ray"]
    mail, number, amp, plain, xray = out
    assert plain.alpha.shape == block_letter("plain").alpha.shape
    # the parts side by side: lee, the @ (one stroke, a ring in a ring), sample.net
    lee, net = block_letter("lee").width, block_letter("sample.net").width
    assert np.array_equal(mail.alpha[:, :lee][-W.HEIGHT:], block_letter("lee").alpha[-W.HEIGHT:])
    at = mail.alpha[:, lee:mail.width - net] > INK
    assert at.shape[1] >= 0.8 * W.X_HEIGHT and holes(at) >= 2 and len(blobs(at)) == 1
    # a word of symbols alone takes the pen of the words written with it
    amp_t = hyphens.stroke_thickness(amp.alpha)
    assert amp_t == pytest.approx(hyphens.stroke_thickness(block_letter("plain").alpha), abs=0.6)
    # the same seed draws the same symbols; another seed moves them
    again = hyphens.generate(write, ["lee@sample.net", "#42"], seed=3)
    assert np.array_equal(again[0].alpha, mail.alpha) and np.array_equal(again[1].alpha, number.alpha)
    other = hyphens.generate(write, ["#42"], seed=4)[0]
    assert not np.array_equal(other.alpha, number.alpha)


def test_a_joined_word_keeps_the_hands_word_space_and_size():
    def write(words, lone=()):
        inks = [block_letter(w) for w in words]
        for ink in inks:  # a steered hand: its word space and its size
            ink.advance = ink.width - 2.0
            ink.x_height = 8.0
        return inks

    (ink,) = hyphens.generate(write, ["a+b"], seed=1)
    assert ink.advance == ink.width - 2.0 and ink.x_height == 8.0
    (amp,) = [o for o in hyphens.generate(write, ["&", "n"], seed=1) if o.text == "&"]
    assert amp.x_height == 8.0


def test_shipped_generator_draws_the_symbols(latin):
    words = ["#4417", "a+b", "lee@sample.net", "C:\\dir", "20%"]
    inks = latin.generate(words, None, seed=2)
    assert [i.text for i in inks] == words
    for ink in inks:
        assert (ink.alpha > INK).any() and ink.alpha.max() <= 1.0
    # the drawn figures' eyes: # and both 4s in "#4417"; the 0 and the two of % in "20%"
    assert holes(inks[0].alpha > INK) == 3 and holes(inks[4].alpha > INK) == 3


def test_a_profiled_hand_leans_its_symbols(latin):
    latin_hand = "slanted"  # the named hand with the most slant
    steer = latin.steer(latin_hand)
    assert steer is not None and steer.shear > 0.2
    (ink,) = latin.generate(["|"], latin_hand, seed=1)
    a = ink.alpha > INK
    ys = np.flatnonzero(a.any(1))
    top, bottom = np.flatnonzero(a[ys.min()]).mean(), np.flatnonzero(a[ys.max()]).mean()
    assert top > bottom + 2  # the top of the bar to the right of its foot


def ink_width(ink):
    cols = np.flatnonzero((ink.alpha > INK).any(0))
    return int(cols[-1] - cols[0] + 1)


def test_a_drawn_symbol_takes_the_width_it_is_given():
    for ch in ("H", "W", "4", "#", "É"):
        plain = drawn(ch, seed=3)
        same = symbols.draw_symbol(ch, 1.8, 0.9, np.random.default_rng(3), width=1.0)
        assert np.array_equal(plain.alpha, same.alpha)  # a default hand's symbols are unchanged
        narrow = symbols.draw_symbol(ch, 1.8, 0.9, np.random.default_rng(3), width=0.7)
        wide = symbols.draw_symbol(ch, 1.8, 0.9, np.random.default_rng(3), width=1.5)
        # the figure (less the pen's width) scales; the height stays
        figure = ink_width(plain) - 2
        assert abs((ink_width(narrow) - 2) - 0.7 * figure) <= 2
        assert abs((ink_width(wide) - 2) - 1.5 * figure) <= 2
        assert narrow.height == plain.height == wide.height
        assert narrow.advance < plain.advance < wide.advance


def test_a_narrow_or_wide_hand_draws_its_capitals_at_its_width(latin, monkeypatch):
    """The letters drawn in code follow the hand's squeeze of its words: before, a narrow
    hand's capitals stood as wide as a default hand's beside its narrow letters. Digits and
    symbols keep the default width (squeezed, they read worse)."""
    for hand, squeeze in (("narrow", 0.8), ("wide", 1.3)):
        steer = latin.steer(hand)
        assert latin.drawn_width(hand, steer) == pytest.approx(steer.width_factor)
        assert (steer.width_factor < squeeze) if squeeze < 1 else (steer.width_factor > squeeze)
        own = latin.generate(["HWM", "#4417"], hand, seed=2)
        with monkeypatch.context() as m:
            m.setattr(type(latin), "drawn_width", lambda self, style, st: 1.0)
            default = latin.generate(["HWM", "#4417"], hand, seed=2)
        ratio = ink_width(own[0]) / ink_width(default[0])
        assert ratio < 0.9 if squeeze < 1 else ratio > 1.15
        assert np.array_equal(own[1].alpha, default[1].alpha)
    assert latin.drawn_width(None, latin.steer(None)) == 1.0


def test_has_drawn_and_split():
    assert hyphens.split("lee@sample.net") == ["lee", "@", "sample.net"]
    assert hyphens.split("#4417") == ["#", "4", "4", "1", "7"]
    assert hyphens.split("plain") == ["plain"] and not hyphens.has_drawn("plain")
    assert hyphens.has_drawn("x-ray") and hyphens.has_drawn("a|b")


def bar(shear, width=12):
    """A 2 px bar from the baseline to 1.4 x-heights, sheared forward by ``shear``."""
    h = 15
    a = np.zeros((h, width), np.float32)
    for y in range(h):
        x = int(round(2 + shear * (h - 1 - y)))
        a[y, x:x + 2] = 0.9
    from hwrender.ink import InkImage

    return InkImage(a, baseline=float(h), x_height=float(W.X_HEIGHT), text="|")


def test_kerning_closes_the_gap_of_sheared_boxes_and_keeps_paper():
    a, b = bar(0.4), bar(0.4)
    boxed = hyphens.join([a, b], "||")
    kerned = hyphens.join([a, b], "||", kern=[True])
    assert kerned.width < boxed.width
    assert boxed.width - kerned.width <= hyphens.KERN_MAX * W.X_HEIGHT
    ink = kerned.alpha > hyphens.KERN_INK
    for row in ink:  # two strokes in every row, paper between them
        cols = np.flatnonzero(row)
        assert cols.max() - cols.min() + 1 > 4 and len(blobs(row[None])) == 2
    # parts without rows in common (a low bar, then a raised mark) do not slide over each other
    low = bar(0.0)
    low.alpha[:10] = 0.0
    high = bar(0.0)
    high.alpha[10:] = 0.0
    assert hyphens.join([low, high], "x", kern=[True]).width >= \
        hyphens.join([low, high], "x").width - hyphens.KERN_MAX * W.X_HEIGHT


def test_drawn_characters_alone_take_the_hands_pen_from_a_probe_word():
    asked = []

    def write(words, lone=()):
        asked.append(list(words))
        inks = [block_letter(w) for w in words]
        for ink in inks:
            ink.alpha *= 0.5  # a faint hand: its strokes at 0.4
            ink.x_height = 8.0
        return inks

    number, dash = hyphens.generate(write, ["1984", "-"], seed=2)
    assert asked == [[hyphens.PROBE]]  # nothing else to take the pen from
    assert number.alpha.max() == pytest.approx(0.4, abs=0.02) and number.x_height == 8.0
    # a lone hyphen with nothing to take the pen from keeps the default pen, as before
    (alone,) = hyphens.generate(write, ["-"], seed=2)
    assert len(asked) == 1 and alone.alpha.max() > 0.8


def test_capitals_are_drawn_and_runs_of_the_gans_capitals_split():
    # every ASCII capital is drawn, each a part of its own; the GAN writes the rest of the word
    assert hyphens.split("NY10518") == list("NY10518")
    assert hyphens.drawn_parts(hyphens.split("NY10518")) == [True] * 7
    assert hyphens.split("NASDAQ-7") == list("NASDAQ-7")
    assert hyphens.split("Hello") == ["H", "ello"] and hyphens.drawn_parts(["H", "ello"]) == [True, False]
    assert hyphens.has_drawn("USA") and hyphens.in_parts("I") and not hyphens.in_parts("usa")
    assert hyphens.split("a.b") == ["a.b"] and not hyphens.in_parts("a.b")  # nothing drawn
    # a run of up to CAPS capitals the GAN writes (no ASCII letter) is written letter by letter,
    # though nothing in it is drawn; a longer one is a word
    assert hyphens.split("ĽĽ") == ["Ľ", "Ľ"] and hyphens.in_parts("ĽĽ") and not hyphens.has_drawn("ĽĽ")
    assert hyphens.split("ĽĽ12") == ["Ľ", "Ľ", "1", "2"]
    assert hyphens.split("ĽĽĽĽĽ") == ["ĽĽĽĽĽ"]
    # points are drawn only between drawn characters; beside letters the GAN writes them
    parts = hyphens.split("28.4.63")
    assert hyphens.drawn_parts(parts) == [True, True, True, True, True, True, True]
    assert hyphens.drawn_parts(hyphens.split("apt.6")) == [False, True]
    assert hyphens.drawn_parts(["."]) == [False]  # a lone word "." goes to the GAN as before
    # a lone ";" or ":" (French "mot ; mot") is drawn: the GAN's read as ":" or nothing
    assert hyphens.in_parts(";") and hyphens.in_parts(":") and not hyphens.in_parts(".")
    assert hyphens.drawn_parts([";"]) == [True] and hyphens.drawn_parts([":"]) == [True]
    assert hyphens.drawn_parts(hyphens.split("a;b")) == [False]  # beside letters: the GAN's
    # an apostrophe at a word's edge or alone is drawn; inside a word the GAN writes it
    assert hyphens.split("'tis") == ["'", "tis"] and hyphens.split("students'") == ["students", "'"]
    assert hyphens.has_drawn("'") and hyphens.drawn_parts(["'"]) == [True]
    assert not hyphens.has_drawn("it's") and hyphens.split("it's") == ["it's"]


def test_lone_letters_are_asked_for_in_context():
    asked = []

    def write(words, lone=()):
        asked.append((list(words), list(lone)))
        return [block_letter(w) for w in words]

    words = ["a<b", "x-ray", "ĽĽ12", "plain", "#3a", "ĽĽ", "NY12"]
    out = hyphens.generate(write, words, seed=1)
    assert asked == [(["a", "b", "x", "ray", "Ľ", "Ľ", "plain", "a", "Ľ", "Ľ"],
                      [True, True, True, False, True, True, False, True, True, True])]
    assert [o.text for o in out] == words  # NY12: all drawn, nothing asked


def test_a_lone_semicolon_and_colon_are_drawn_and_not_asked_of_the_gan():
    asked = []

    def write(words, lone=()):
        asked.append(list(words))
        return [block_letter(w) for w in words]

    out = hyphens.generate(write, [";", "mot", ":", "."], seed=1)
    assert asked == [["mot", "."]]
    semicolon = out[0]
    rows = np.flatnonzero(semicolon.alpha.max(1) > 0.5)
    assert rows[-1] >= semicolon.baseline  # the comma reaches under the baseline
    assert rows[0] < semicolon.baseline - 0.5 * semicolon.x_height  # the dot stands high


def test_the_capitals_of_a_split_run_are_kerned_and_a_hyphen_keeps_its_gap():
    """A run of capitals the GAN writes (``ĽĽ``), each cut from its context word."""
    def write(words, lone=()):  # letters with 5 px of paper on either side
        out = []
        for w in words:
            ink = block_letter(w)
            ink.alpha = np.pad(ink.alpha, ((0, 0), (4, 4)))
            out.append(ink)
        return out

    (run,) = hyphens.generate(write, ["ĽĽ-"], seed=1)
    cols = np.flatnonzero((run.alpha > INK).any(0))
    gaps = np.diff(cols)[np.diff(cols) > 1] - 1  # paper between ink columns
    # inside Ľ, then Ľ to Ľ (10 px of paper moved in by KERN_MAX), inside Ľ, Ľ to the hyphen
    assert gaps[0] == 2 and gaps[1] == 10 - round(hyphens.KERN_MAX * W.X_HEIGHT) and gaps[2] == 2
    assert gaps[3] >= 5  # the hyphen is not kerned: the Y's own paper and the hyphen's gap


def test_shipped_generator_writes_a_lone_letter_cut_from_its_context(latin):
    from hwrender_plugins.latin import glyphs

    assert glyphs.in_context("x") == ("xnn", 0, 1) and glyphs.in_context("Ľ") == ("Ľnn", 0, 1)
    assert glyphs.in_context("N") is None and glyphs.in_context("Þ") is None  # drawn in code
    assert glyphs.in_context("ab") is None and glyphs.in_context("-") is None
    # an accented letter: its base cut from the context, its mark drawn over the cut
    assert glyphs.in_context("é") == ("enn", 0, 1)
    (acute,) = latin._write(["é"], None, 3, "cpu", [True])
    above = acute.alpha[:int(round(acute.baseline - W.X_HEIGHT)) - 1]
    assert acute.text == "é" and (above > INK).sum() >= 3  # the acute's stroke over the e
    cut, alone = latin._write(["x", "x"], None, 3, "cpu", [True, False])
    assert cut.text == "x" and (cut.alpha > INK).any()
    # one letter's ink, not the context's n's: about as wide as the letter written alone
    assert cut.width <= 1.5 * alone.width + 4
    # in a word, the same cut: "a<b" holds the letters cut from "ann" and "bnn"
    (word,) = latin.generate(["a<b"], None, seed=3)
    assert word.text == "a<b" and len(blobs(word.alpha > INK)) >= 3


def test_a_lone_letter_whose_cut_kept_no_stroke_is_written_alone(latin, monkeypatch):
    """The cut can lose a letter that ran into its neighbour's blot (``l`` from ``lnn`` in
    hand bold): the letter is then written alone, between drawn characters as in a one-letter
    word, and never left as blank paper."""
    from hwrender_plugins.latin import glyphs

    kept, word = latin._write(["l", "l"], None, 3, "cpu", [True, False])
    assert (kept.alpha > 0.35).any() and (word.alpha > 0.35).any()
    monkeypatch.setattr(glyphs, "cut_slot", lambda alpha, x0, x1, floor: np.zeros_like(alpha))
    between, alone = latin._write(["l", "l"], None, 3, "cpu", [True, False])
    assert between.text == alone.text == "l"
    assert (between.alpha > 0.35).any() and (alone.alpha > 0.35).any()
    # the lone drawing: the letter written by itself, with the other word variations
    (lone,) = latin._written(["l"], [None], None, 3 + glyphs.SEED_STEP, "cpu")
    assert between.alpha.shape == lone.alpha.shape and np.allclose(between.alpha, lone.alpha, atol=1e-3)


def test_shipped_generator_writes_a_capital_run_letter_by_letter(latin, monkeypatch):
    asked = []
    real = hyphens.generate

    def spy(write, units, seed, *rest):
        asked.append(list(units))
        return real(write, units, seed, *rest)

    monkeypatch.setattr(hyphens, "generate", spy)
    run, plain = latin.generate(["ĽĽ", "plain"], None, seed=1)
    assert asked == [["ĽĽ", "plain"]] and run.text == "ĽĽ" and plain.text == "plain"
    latin.generate(["plain"], None, seed=1)
    assert len(asked) == 1  # a call without capital runs or drawn characters goes straight on


def test_a_word_ending_in_a_drawn_character_keeps_the_hands_word_space():
    """The GAN's words carry the hand's word space past their ink; a drawn last part (``50%``,
    ``PhD``) has none of its own, so the word takes the space its written parts carry."""
    def write(words, lone=()):
        inks = [block_letter(w) for w in words]
        for ink in inks:
            ink.advance = ink.width + 6.0
        return inks

    ends_drawn, ends_written, all_drawn = hyphens.generate(write, ["ab7", "7ab", "42"], seed=1)
    assert ends_drawn.advance - ends_drawn.width == pytest.approx(6.0)
    assert ends_written.advance - ends_written.width == pytest.approx(6.0)
    assert all_drawn.advance - all_drawn.width == pytest.approx(6.0)  # the probe word's

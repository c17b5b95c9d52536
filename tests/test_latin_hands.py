"""Latin hand profiles (plugins/latin/hands.py): a real writer's slant, width, stroke, word space
and size put on the GAN's words; named hands, seeded hands behind the ``hand_profiles`` switch,
blends and ``interpolate``."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hwrender_plugins.latin import hands as H

BASELINE = 23


def bar(width=30, height=32, x=10, top=8, bottom=23, thick=2):
    a = np.zeros((height, width), np.float32)
    a[top:bottom, x:x + thick] = 1.0
    return a


def test_shear_leans_a_bar_about_the_baseline_and_slant_reads_it():
    a = torch.from_numpy(bar())[None]
    for s in (-0.3, 0.2, 0.4):
        out = H.shear(a, s, BASELINE)[0].numpy()
        assert abs(H.slant(out) - s) <= 0.05, s
        # the row just above the baseline barely moves; the top row moves by s x its height
        cols = lambda row: np.average(np.arange(out.shape[1]), weights=out[row])  # noqa: E731
        pad = (out.shape[1] - a.shape[2]) // 2
        assert abs(cols(BASELINE - 1) - (pad + 10.5 + s * 0.5)) < 0.1
        assert abs(cols(8) - (pad + 10.5 + s * (BASELINE - 8.5))) < 0.1
    assert H.shear(a, 0.0, BASELINE) is a


def test_slant_is_not_pulled_to_a_half_by_rounding():
    # shape_features' whole-column search reads shears of 0.3-0.4 as 0.5; the split one does not
    a = torch.from_numpy(bar(width=60, thick=3))[None]
    assert abs(H.slant(H.shear(a, 0.35, BASELINE)[0].numpy()) - 0.35) <= 0.05


def test_stroke_thickens_and_thins_by_a_share_of_a_pixel():
    a = torch.from_numpy(bar(thick=3))[None]
    assert H.stroke(a, 0.0) is a
    more, most, less = H.stroke(a, 0.5), H.stroke(a, 1.0), H.stroke(a, -0.4)
    assert a.sum() < more.sum() < most.sum() and less.sum() < a.sum()
    assert float(less.max()) == 1.0  # a 3 px stroke keeps its core


def test_steer_reaches_the_profile_from_the_hand():
    hand = {"slant": 0.2, "stroke": 0.2, "width": 1.0, "coverage": 0.2}
    p = H.Profile(slant=0.1, stroke=0.25, width=0.8, coverage=0.2, space=1.2, size=1.05)
    st = H.steer(p, hand, 10.0)
    assert st.width_factor == pytest.approx(0.8)
    assert st.shear == pytest.approx(0.1 - 0.2 * 0.8)  # the squeeze scaled the hand's own slant
    assert st.dilate == pytest.approx(0.25) and st.space == pytest.approx(0.2 * 0.9 * 10)
    assert st.x_height_factor == pytest.approx(1.05)
    wild = H.steer(H.Profile(slant=2, stroke=1, width=9, coverage=0, space=9, size=9), hand, 10.0)
    assert wild.width_factor == H.LIMITS["width_factor"][1] and wild.dilate == H.LIMITS["dilate"][1]
    assert wild.shear == pytest.approx(H.LIMITS["slant"][1] - 0.2 * wild.width_factor)
    assert H.steer(H.Profile(**hand), hand, 10.0).identity


def test_seeded_profiles_spread_like_the_fonts_and_stay_in_their_range():
    rng = np.random.default_rng(0)
    fonts = {f"f{i}": H.Profile(slant=float(rng.uniform(0, 0.5)), stroke=0.2,
                                width=float(rng.uniform(0.7, 1.2)), coverage=0.2,
                                space=float(rng.uniform(0.6, 1.6)), size=1.0).to_dict()
             for i in range(12)}
    drawn = [H.sampled(fonts, n) for n in range(200)]
    assert H.sampled(fonts, 3) == drawn[3]
    widths = np.array([p.width for p in drawn])
    real = np.array([f["width"] for f in fonts.values()])
    assert 0.7 * real.std() < widths.std() < 1.2 * real.std()
    assert widths.min() >= real.min() - 1e-4 and widths.max() <= real.max() + 1e-4
    assert all(p.stroke == pytest.approx(0.2) for p in drawn)  # a constant stays constant


def test_the_check_line_is_training_words():
    from hwrender_plugins.latin.vocabulary import is_heldout

    assert not [w for w in H.CHECK_LINE.split() if is_heldout(w)]


def test_spread_is_the_mean_ratio_of_stds():
    fonts = [{"slant": s, "stroke": 0.2 + s, "width": 1 + s, "coverage": 0.1 + s} for s in (0, 0.2)]
    hands = [{"slant": s, "stroke": 0.2 + s, "width": 1 + s, "coverage": 0.1 + s} for s in (0, 0.1)]
    out = H.spread(hands, fonts)
    assert out["spread"] == pytest.approx(0.5) and out["slant"] == pytest.approx(0.5)


# ------------------------------------------------------------------- with the shipped model


@pytest.fixture(scope="module")
def gen():
    from hwrender_plugins.latin.generator import LatinGenerator

    g = LatinGenerator()
    if not g.font_profiles:
        pytest.skip("the shipped config has no font_profiles")
    return g


WORDS = ["garden", "window", "summer", "little"]


def _same(a, b):
    return all(np.array_equal(x.alpha, y.alpha) and x.advance == y.advance
               and x.x_height == y.x_height for x, y in zip(a, b))


def test_the_switch_off_keeps_seeded_hands_and_the_default_hand(gen, monkeypatch):
    monkeypatch.setattr(gen, "hand_profiles", False)
    assert gen.profile("5") is None and gen.profile(None) is None
    off = gen.generate(WORDS, "5", 0)
    default = gen.generate(WORDS, None, 0)
    monkeypatch.setattr(gen, "hand_profiles", True)
    assert gen.profile("5") is not None and gen.profile(None) is None
    assert _same(default, gen.generate(WORDS, None, 0))
    assert not _same(off, gen.generate(WORDS, "5", 0))
    for name in ("neat", "fine", "bold"):  # the first named hands are drawn as they always were
        assert gen.profile(name) is None


def test_a_profile_moves_the_words_towards_its_width_slant_and_space(gen, monkeypatch):
    from hwrender_plugins.latin import words as W
    from hwrender_plugins.latin.generator import framed

    hand = gen.hand_features("7")
    words = H.probe_words(gen.config)  # other word variations than the steer measured

    def measured(profile):
        monkeypatch.setattr(gen, "styles", {**gen.styles, "probe": (7, 0.5)})
        monkeypatch.setattr(gen, "profiles", {"probe": profile})
        inks = gen.generate(words, "probe", 0)
        return H.word_features([framed(i) for i in inks], words, W.X_HEIGHT), inks

    for width, slant, space in ((0.75, 0.3, 1.5), (1.2, 0.0, 0.7)):
        p = H.Profile(slant=slant, stroke=hand["stroke"], width=width, coverage=0.2, space=space)
        f, inks = measured(p)
        assert abs(f["width"] - width) < 0.1 * width, (f, width)
        assert abs(f["slant"] - slant) <= 0.1, (f, slant)
        extra = [i.advance - i.width for i in inks]
        assert np.allclose(extra, (space - 1) * H.WORD_SPACE * W.X_HEIGHT)


def test_interpolate_blends_hands_and_its_ends_are_the_hands(gen, monkeypatch):
    monkeypatch.setattr(gen, "hand_profiles", False)
    assert _same(gen.interpolate(WORDS, "3", "neat", 0.0, 1), gen.generate(WORDS, "3", 1))
    monkeypatch.setattr(gen, "hand_profiles", True)
    a, b = gen.profile("3"), gen.profile("4")
    from hwrender.styles.types import Blend

    mid = gen.profile(Blend((("3", 0.5), ("4", 0.5))))
    assert mid.width == pytest.approx((a.width + b.width) / 2)
    inks = gen.interpolate(WORDS, "3", "4", 0.5, 1, device="auto")  # as the CLI passes it
    assert len(inks) == len(WORDS) and all(i.width > 0 for i in inks)


def test_a_malformed_profile_is_refused(tmp_path):
    from hwrender_plugins.latin.generator import _named_profiles

    from hwrender.errors import GeneratorError

    with pytest.raises(GeneratorError, match="malformed profile"):
        _named_profiles({"odd": {"seed": 1, "profile": {"slant": "x"}}}, tmp_path)
    with pytest.raises(GeneratorError, match="malformed profile"):
        _named_profiles({"odd": {"seed": 1, "profile": {"tilt": 1.0}}}, tmp_path)


def test_interpolate_gives_a_word_generator_whole_words():
    from hwrender.cli.interpolate import _units

    class Spec:
        def __init__(self, unit):
            self.unit = unit

    class Registry:
        def get(self, name):
            return Spec("word" if name == "latin" else "glyph")

    units, names, layout = _units("ab c 가나", ["latin"] * 3 + ["hangul"] * 2, Registry())
    assert units == ["ab", "c", "가", "나"] and names == ["latin", "latin", "hangul", "hangul"]
    assert layout == [0, None, 1, None, 2, 3]


def test_refine_corrects_what_the_first_steer_missed():
    p = H.Profile(slant=0.3, stroke=0.2, width=0.85, coverage=0.2)
    first = H.Steer(width_factor=0.8, shear=0.1)
    # the squeeze left 0.1 of the hand's own slant: with 0.1 of shear it reached 0.2, width 1.0
    st = H.refine(first, p, {"slant": 0.2, "width": 1.0, "stroke": 0.15}, 10.0)
    assert st.width_factor == pytest.approx(0.68)
    assert st.shear == pytest.approx(0.3 - 0.1 * 0.68 / 0.8)
    assert st.dilate == pytest.approx(0.25)


def test_the_shipped_model_names_at_least_twelve_hands_that_differ(gen):
    from hwrender_plugins.latin import style_names

    names = style_names(gen.config)
    assert len(names) >= 12 and {"neat", "fine", "bold"} <= set(names)
    profiled = [n for n in names if gen.profile(n) is not None]
    assert len(profiled) >= 9
    steers = {gen.steer(n) for n in profiled}
    assert len(steers) == len(profiled)  # no two profiled hands steered alike
    assert gen.hand_profiles  # the shipped weights give seeded hands a profile each
    assert len({gen.steer(str(n)) for n in range(4)} - {None}) == 4


# --------------------------------------------------------------------- the OCR guard (round 2)


def ring(halo=0.0, size=32):
    """An 'o' 2 px thick around a 2 px counter on the baseline, ``halo`` grey one px around
    every stroke (in the counter too), as a partial grey dilation leaves it."""
    a = np.zeros((size, 40), np.float32)
    top, left = 13, 10
    a[top:top + 6, left:left + 6] = 1.0
    a[top + 2:top + 4, left + 2:left + 4] = 0.0
    if halo:
        grown = np.zeros_like(a)
        grown[top - 1:top + 7, left - 1:left + 7] = halo
        grown[top + 2:top + 4, left + 2:left + 4] = halo
        a = np.maximum(a, grown)
    return a


def test_sharpen_pulls_the_halo_down_and_keeps_the_strokes_at_half():
    a = np.array([[0.0, 0.2, 0.4, 0.5, 0.8, 1.0]], np.float32)
    out = H.sharpen(a, 2.0)
    assert np.allclose(out, [[0.0, 0.08, 0.32, 0.5, 0.8, 1.0]])
    assert H.sharpen(a, 1.0) is a
    assert torch.allclose(H.sharpen(torch.from_numpy(a), 2.0), torch.from_numpy(out))
    st = H.Steer(sharpen=2.0)
    assert not st.identity
    assert np.allclose(H.apply(torch.from_numpy(a)[None], st, BASELINE)[0].numpy(), out)


def test_otsu_splits_paper_from_ink():
    a = np.zeros((10, 10), np.float32)
    a[:, 6:] = 0.8
    a[:, 5] = 0.1  # a faint edge goes with the paper
    level = H.otsu([a, a])
    assert 0.1 <= level < 0.8 and np.array_equal(a > level, a > 0.5)


def test_the_guard_sharpens_a_halo_that_closes_the_counters_and_leaves_a_clean_one():
    words = ["o"] * 3
    clean, halo = [ring()] * 3, [ring(halo=0.45)] * 3
    # the halo leaves the stroke at 0.5 as it was, but the OCR's binarization fills the counter
    assert H.word_features(halo, words, 6)["stroke"] == H.word_features(clean, words, 6)["stroke"]
    assert H.stroke_width(halo, 6) == pytest.approx(H.word_features(halo, words, 6)["stroke"])
    assert H.ocr_stroke(halo, 6) > H.ocr_stroke(clean, 6)
    assert H.guard(clean, clean, 6) == 1.0
    gamma = H.guard(halo, clean, 6)
    assert gamma > 1.0
    assert H.ocr_stroke([H.sharpen(a, gamma) for a in halo], 6) <= H.ocr_stroke(clean, 6)


def test_the_guard_keeps_a_heavy_seeded_hand_legible_to_a_page_ocr_and_its_profile(gen, monkeypatch):
    # seeded hand 0's profile (thick stroke) made Tesseract read most lines as empty
    from hwrender_plugins.latin import words as W

    monkeypatch.setattr(gen, "hand_profiles", True)
    hand, texts = gen._probe_alphas("0", None, "cpu")
    views = {}
    for on in (False, True):
        monkeypatch.setattr(H, "GUARD", on)
        st = gen.steer("0")
        assert (st.sharpen > 1.0) == on
        steered, _ = gen._probe_alphas("0", st, "cpu")
        views[on] = (H.word_features(steered, texts, W.X_HEIGHT),
                     H.ocr_stroke(steered, W.X_HEIGHT))
    grown = views[True][0]["stroke"] / gen.hand_features("0")["stroke"]
    ocr = H.ocr_stroke(hand, W.X_HEIGHT)
    assert views[False][1] > 1.2 * grown * ocr  # unguarded: the OCR sees strokes merge
    assert views[True][1] <= grown * ocr
    # the profile's features as steered: the stroke (at 0.5) and the slant (within a step of
    # its search, 0.025, as faint pixels weigh less)
    assert views[True][0]["stroke"] == pytest.approx(views[False][0]["stroke"], abs=0.005)
    assert views[True][0]["slant"] == pytest.approx(views[False][0]["slant"], abs=0.03)
    # the width is the box of the ink over 0.2: the faintest edge columns may drop out
    assert views[True][0]["width"] == pytest.approx(views[False][0]["width"], rel=0.03)

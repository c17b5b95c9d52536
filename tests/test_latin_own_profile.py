"""A fitted own hand steered to its writer's profile (issue 30 round 2): the fit stores the
profile it measures on the writer's words; ``LatinGenerator.profile`` returns it for the user
style behind ``hands.OWN_PROFILE``, without applying the width per letter twice."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from hwrender_plugins.latin import fit as latin_fit
from hwrender_plugins.latin import hands as H
from hwrender_plugins.latin import words as W


def test_the_writer_profile_is_measured_as_the_fonts_were():
    rng = np.random.default_rng(0)
    words = []
    for text in ("summer", "moon", "over"):
        a = np.zeros((W.HEIGHT, 12 * len(text)), np.float32)
        for k in range(len(text)):  # a leaning bar a letter
            for y in range(W.BASELINE - W.X_HEIGHT, W.BASELINE):
                x = 12 * k + 3 + int(round(0.3 * (W.BASELINE - y)))
                a[y, x:x + 3] = 1.0
        words.append(latin_fit.Word(text, a + rng.uniform(0, 0.05, a.shape).astype(np.float32)))
    profile = latin_fit.writer_profile(words)
    feats = H.word_features([w.image for w in words], [w.text for w in words], W.X_HEIGHT)
    assert set(profile) == set(H.KEYS) and profile["space"] == 1.0 and profile["size"] == 1.0
    assert profile["slant"] == pytest.approx(feats["slant"], abs=1e-4)
    assert profile["slant"] == pytest.approx(0.3, abs=0.08)
    assert profile["stroke"] == pytest.approx(feats["stroke"], abs=1e-4)


@pytest.fixture(scope="module")
def gen():
    from hwrender_plugins.latin.generator import LatinGenerator

    g = LatinGenerator()
    if g.ink_cap is None:
        pytest.skip("the shipped model has no probe words")
    return g


def own(gen, folder, profile):
    from safetensors.torch import save_file

    from hwrender.styles.types import StylePart, UserStyle

    folder.mkdir(parents=True, exist_ok=True)
    vector = 0.5 * torch.randn(gen.net_config.style_dim, generator=torch.Generator().manual_seed(3))
    save_file({"style": vector}, str(folder / "latin.safetensors"))
    config = {"base_sha256": gen.identity(), "width_ratio": 0.8 * gen.width_ratio,
              "method": "inversion", "tuned": [], "profile": profile}
    return UserStyle("mine", folder, (StylePart("latin", folder, json.dumps(config)),))


def test_an_own_hand_is_steered_to_its_writer_but_keeps_its_width_ratio(gen, tmp_path, monkeypatch):
    hand = own(gen, tmp_path / "style", None)
    base = gen.hand_features(hand)
    writer = H.Profile(slant=base["slant"] + 0.3, stroke=base["stroke"], width=2 * base["width"],
                       coverage=0.2).to_dict()
    style = own(gen, tmp_path / "style2", writer)
    words = H.probe_words(gen.config)
    monkeypatch.setattr(H, "OWN_PROFILE", False)
    assert gen.profile(style) is None
    before = gen.generate(words, style, 0)
    monkeypatch.setattr(H, "OWN_PROFILE", True)
    assert gen.profile(style) == H.Profile.from_dict(writer)
    st = gen.steer(style)
    assert st.width_factor == 1.0  # the style's width ratio is the writer's width already
    from hwrender_plugins.latin.generator import framed

    after = gen.generate(words, style, 0)
    f_before = H.word_features([framed(i) for i in before], words, W.X_HEIGHT)
    f_after = H.word_features([framed(i) for i in after], words, W.X_HEIGHT)
    assert f_after["slant"] == pytest.approx(writer["slant"], abs=0.1)
    assert f_before["slant"] < writer["slant"] - 0.2
    # the width per letter moves only by the shear's lean, not towards the profile's double
    assert f_after["width"] < 1.25 * f_before["width"]

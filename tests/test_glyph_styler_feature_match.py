"""The glyph styler's feature-matching loss (``--set feature_match_weight=W``, issue 31): off, the
training step and the run key are today's; on, it trains the generator (not the discriminator)
towards the discriminator's activations of the true glyph."""

from __future__ import annotations

import pytest
import torch
from hwrender_plugins.glyph_styler.model import Discriminator, ModelConfig
from hwrender_plugins.glyph_styler.task import build_task

from test_glyph_styler_speed import _task  # the tiny task on random pairs

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _step(task):
    torch.manual_seed(1)
    return task.train_step(torch.arange(8), 0)


def test_discriminator_features_leave_its_outputs_alone():
    torch.manual_seed(0)
    d = Discriminator(ModelConfig(image_size=16, ndf=4, n_styles=3)).eval()
    src, glyph = torch.rand(2, 1, 16, 16), torch.rand(2, 1, 16, 16)
    patch, cat = d(src, glyph)
    patch_f, cat_f, feats = d(src, glyph, features=True)
    assert torch.equal(patch, patch_f) and torch.equal(cat, cat_f)
    assert len(feats) == 4
    # the last level's activations are what the style head pools
    assert torch.allclose(d.category(feats[-1].mean((2, 3))), cat)


def test_feature_matching_off_is_todays_step_and_run_key(tmp_path):
    assert "feature_match_weight" not in build_task([]).config_dict()
    assert build_task(["feature_match_weight=10"]).config_dict()["feature_match_weight"] == 10
    assert "fm" not in _step(_task(tmp_path))


def test_feature_matching_trains_the_generator_only(tmp_path):
    off = _task(tmp_path / "off")
    on = _task(tmp_path / "on", "feature_match_weight=50")
    off_losses, on_losses = _step(off), _step(on)
    assert on_losses["fm"] > 0
    # the same forward passes: the discriminator's losses and its update are the same...
    assert on_losses["d"] == pytest.approx(off_losses["d"], rel=1e-6)
    for k, v in off.D.state_dict().items():
        assert torch.allclose(v.float(), on.D.state_dict()[k].float(), atol=1e-7), k
    # ...and the generator's objective grew by the weighted term and moved it elsewhere
    assert on_losses["g"] == pytest.approx(off_losses["g"] + 50 * on_losses["fm"], rel=1e-5)
    moved = [not torch.allclose(p, q) for p, q in zip(off.G.parameters(), on.G.parameters())]
    assert any(moved)

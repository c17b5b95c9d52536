"""DEVELOPERS.md's plugin example is a working plugin: exported, registered and written with."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GUIDE = (ROOT / "DEVELOPERS.md").read_text(encoding="utf-8")


def _example() -> str:
    section = GUIDE[GUIDE.index("## Writing a generator plugin"):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


@pytest.fixture
def blots(tmp_path, monkeypatch):
    package = tmp_path / "site" / "hwrender_blots"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(_example(), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    yield __import__("hwrender_blots")
    sys.modules.pop("hwrender_blots", None)


def test_the_plugin_example_writes_a_page(blots, tmp_path):
    import torch

    from hwrender import render_pages
    from hwrender.registry import Registry
    from hwrender.weights import save_model

    torch.manual_seed(0)
    net = blots.build_net({"size": 8})
    save_model(tmp_path / "model", net.state_dict(), {"size": 8}, "# blots\n", name="blots")
    registry = Registry()
    blots.register(registry.register)
    pages = render_pages("hello world", generators={"Latn": "blots"}, registry=registry,
                         weights=str(tmp_path / "model"), dpi=60)
    assert len(pages) == 1
    import numpy as np

    assert (np.asarray(pages[0].convert("L")) < 200).sum() > 100  # the blots reached the page


def test_the_plugin_example_refuses_a_model_that_does_not_fit(blots, tmp_path):
    from hwrender.errors import WeightsError
    from hwrender.weights import save_model

    save_model(tmp_path / "model", blots.build_net({"size": 4}).state_dict(), {"size": 8},
               "# blots\n", name="blots")
    with pytest.raises(WeightsError):
        blots.BlotGenerator(weights_dir=str(tmp_path / "model"))

"""hwrender.train.cache: the data cache folder and judges trained once, then loaded."""

import os

import torch

from hwrender.train.cache import cached_judge, data_cache


def test_data_cache_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("HWRENDER_DATA_DIR", str(tmp_path / "d"))
    assert data_cache() == tmp_path / "d"
    monkeypatch.delenv("HWRENDER_DATA_DIR")
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert data_cache().parts[-3:] == (".cache", "hwrender", "data")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))  # was ignored
    assert data_cache() == tmp_path / "xdg" / "hwrender" / "data"


def test_a_judge_is_trained_once_then_loaded(tmp_path):
    path = tmp_path / "cache" / "toy-judge-0123.safetensors"
    trained = []

    def train():
        trained.append(1)
        net = torch.nn.Linear(2, 2).train()
        with torch.no_grad():
            net.weight.fill_(3.0)
        return net

    first = cached_judge(path, lambda: torch.nn.Linear(2, 2), train)
    assert not first.training and path.is_file() and trained == [1]
    again = cached_judge(path, lambda: torch.nn.Linear(2, 2), train)
    assert trained == [1] and not again.training
    assert torch.equal(again.weight, first.weight) and again.weight[0, 0] == 3.0
    assert os.listdir(path.parent) == [path.name]

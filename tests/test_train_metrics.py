"""The shared evaluation measures (hwrender.train.metrics)."""

import subprocess

import numpy as np
import pytest
import torch

from hwrender.train import metrics


def test_levenshtein_and_cer():
    assert metrics.levenshtein("kitten", "sitting") == 3
    assert metrics.levenshtein("", "abc") == 3
    assert metrics.cer("hello", "hello") == 0.0
    assert metrics.cer("hello", "") == 1.0
    assert metrics.cer("hello", "hallo") == pytest.approx(0.2)


def test_frechet_distance_is_zero_for_one_set_and_grows_with_a_shift():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(400, 8, generator=g)
    assert metrics.frechet_distance(a, a) == pytest.approx(0.0, abs=1e-3)
    near = metrics.frechet_distance(a, a + 0.1)
    far = metrics.frechet_distance(a, a + 1.0)
    assert 0 < near < far
    assert far == pytest.approx(8.0, rel=0.05)  # |mean shift|² with equal covariances


def test_ocr_line_runs_tesseract_in_line_mode_with_extra_settings(monkeypatch):
    seen = {}

    def fake_run(cmd, **kwargs):
        seen["cmd"] = cmd
        return subprocess.CompletedProcess(cmd, 0, stdout=" read text \n", stderr="")

    monkeypatch.setattr(metrics.subprocess, "run", fake_run)
    image = np.full((20, 60), 255, np.uint8)
    assert metrics.ocr_line(image, "eng", ("textord_noise_rejrows=0",)) == "read text"
    cmd = seen["cmd"]
    assert cmd[0] == "tesseract" and cmd[cmd.index("-l") + 1] == "eng"
    assert cmd[cmd.index("--psm") + 1] == "7"
    assert cmd[cmd.index("-c") + 1] == "textord_noise_rejrows=0"
    metrics.ocr_line(image, "kor")
    assert "-c" not in seen["cmd"]


def test_figure_rows():
    row = metrics.figure("CER", 0.04, "≤ 0.05", True)
    assert row == {"name": "CER", "value": 0.04, "target": "≤ 0.05", "pass": True}

"""A plain ``pip install .`` (no extras) runs every command: what the code imports is declared.

.ci/run also installs the package without the test extras in a second environment and runs the
commands' entry points there; this file checks the same offline, in the test environment.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
# import name -> distribution name, where they differ
DISTRIBUTIONS = {"PIL": "pillow", "fontTools": "fonttools", "huggingface_hub": "huggingface-hub",
                 "yaml": "pyyaml"}
LOCAL = {"hwrender", "hwrender_plugins", "hwrender_weights", "plugins", "weights"}


def _declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {re.split(r"[<>=!~\[; ]", d, maxsplit=1)[0].lower() for d in project["dependencies"]}


def _guarded(tree: ast.AST) -> set[int]:
    """Lines of imports inside ``try`` blocks that catch ImportError (an optional extra that
    says how to install it when missing)."""
    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try) and any(
                isinstance(h.type, ast.Name) and h.type.id in ("ImportError", "ModuleNotFoundError")
                for h in node.handlers):
            lines |= {n.lineno for stmt in node.body for n in ast.walk(stmt)
                      if isinstance(n, (ast.Import, ast.ImportFrom))}
    return lines


def test_every_third_party_import_is_a_declared_dependency():
    declared = _declared()
    undeclared = []
    for folder in ("hwrender", "plugins"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            optional = _guarded(tree)
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top in sys.stdlib_module_names or top in LOCAL or node.lineno in optional:
                        continue
                    if DISTRIBUTIONS.get(top, top).lower().replace("_", "-") not in declared:
                        undeclared.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}")
    assert not undeclared, "imported but not in [project] dependencies: " + ", ".join(undeclared)


def test_word_augmentation_needs_no_scipy(monkeypatch):
    from hwrender_plugins.latin import render

    monkeypatch.setitem(sys.modules, "scipy", None)
    monkeypatch.setitem(sys.modules, "scipy.ndimage", None)
    rng = np.random.default_rng(0)
    alpha = rng.random((64, 120)).astype(np.float32)
    warped = render._warp(alpha, render.Augment.named("full"), rng)
    assert warped.shape == alpha.shape and warped.dtype == np.float32
    assert 0 < warped.sum() and not np.array_equal(warped, alpha)


def test_bilinear_sampling_matches_scipy_map_coordinates():
    ndimage = pytest.importorskip("scipy.ndimage")
    from hwrender_plugins.latin.render import _bilinear

    rng = np.random.default_rng(1)
    for h, w in ((64, 300), (3, 5), (1, 7)):
        image = rng.random((h, w)).astype(np.float32)
        ys = (rng.random((h, w)) * (h + 4) - 2).astype(np.float32)
        xs = (rng.random((h, w)) * (w + 4) - 2).astype(np.float32)
        ys.flat[:3], xs.flat[:3] = (0, h - 1, h - 1 + 1e-3), (w - 1, 0, 0)  # the edges, and past one
        want = ndimage.map_coordinates(image, np.stack([ys, xs]), order=1, mode="constant",
                                       cval=0.0, prefilter=False)
        np.testing.assert_allclose(_bilinear(image, ys, xs), want, atol=1e-6)

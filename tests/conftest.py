"""Shared fixtures: a registry holding only the torch-free test generator and the font fallback."""

from __future__ import annotations

import pytest

from hwrender.registry import GeneratorSpec, Registry


@pytest.fixture
def test_registry():
    """Test generator serving every script by default (auto), so pipelines run without fonts."""
    from hwrender_plugins.testing import TestGenerator

    reg = Registry()
    reg.register(GeneratorSpec(name="test", scripts=("*",), unit="word", factory=TestGenerator,
                               charset=None, priority=0, auto=True))
    return reg


@pytest.fixture
def make_registry():
    """Build a registry from specs."""
    return lambda *specs: Registry(specs)

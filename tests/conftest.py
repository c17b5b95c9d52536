"""Shared fixtures: registries holding the torch-free ``test`` generator, which tests register
themselves (it is not a production entry point)."""

from __future__ import annotations

import pytest

from hwrender.registry import GeneratorSpec, Registry


@pytest.fixture(autouse=True)
def _styles_dir(tmp_path_factory, monkeypatch):
    """No test ever reads or writes the user's own styles folder."""
    monkeypatch.setenv("HWRENDER_STYLES_DIR", str(tmp_path_factory.mktemp("styles")))


@pytest.fixture
def plain_trace(monkeypatch):
    """Vector ink traced from the generators' own pixels, without the ink upscaler: what the
    tracer's and the skeleton's own rules are tested on (synthetic shapes are not the upscaler's
    handwriting; tests/test_upscaler.py tests it). A module opts in with ``pytestmark``."""
    from hwrender.render import upscale

    monkeypatch.setattr(upscale, "ENABLED", False)


@pytest.fixture(scope="module")
def one_torch_thread():
    """Tiny models: thread start-up costs more than the work, and other jobs may share the CPU
    (a module opts in with ``pytestmark = pytest.mark.usefixtures("one_torch_thread")``)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


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


@pytest.fixture
def with_test_generator(monkeypatch):
    """``install(only=None)``: make the process's default registry (what the CLI and
    ``hwrender.write`` use) the installed plugins (``only`` or ``HWRENDER_PLUGINS`` respected)
    plus the ``test`` generator (never chosen by default: name it, ``-g Latn=test``)."""
    from hwrender_plugins.testing import register

    def install(only=None) -> Registry:
        reg = Registry.from_entry_points(only)
        register(reg.register)
        monkeypatch.setattr("hwrender.registry._default", reg)
        return reg

    return install


@pytest.fixture(scope="module")
def latin():
    """The registry's ``latin`` generator on the bundled weights (skipped without them)."""
    from hwrender.registry import default_registry

    reg = default_registry()
    if "latin" not in reg or not reg.get("latin").auto:
        pytest.skip("needs the bundled latin weights")
    return reg.instance("latin")

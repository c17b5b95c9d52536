"""The registry: specs, lazy charsets and generators, entry-point discovery."""

import pytest

from hwrender.errors import GeneratorError
from hwrender.registry import Generator, GeneratorSpec, Registry


class Counting(Generator):
    built = 0

    def __init__(self):
        Counting.built += 1

    def generate(self, units, style, seed, device="cpu"):
        return []


def test_spec_validation():
    with pytest.raises(ValueError, match="unit"):
        GeneratorSpec(name="x", scripts=("Latn",), unit="page", factory=Counting)
    with pytest.raises(ValueError, match="name"):
        GeneratorSpec(name="bad name!", scripts=("Latn",), unit="word", factory=Counting)


def test_charset_callable_is_resolved_lazily_once():
    calls = []

    def charset():
        calls.append(1)
        return "ab"

    s = GeneratorSpec(name="x", scripts=("Latn",), unit="char", factory=Counting, charset=charset)
    assert calls == []
    assert s.covers("a") and not s.covers("c")
    assert calls == [1]


def test_generator_built_once_on_first_use():
    Counting.built = 0
    reg = Registry([GeneratorSpec(name="x", scripts=("Latn",), unit="word", factory=Counting)])
    assert Counting.built == 0
    g1 = reg.instance("x")
    g2 = reg.instance("x")
    assert g1 is g2 and Counting.built == 1 and g1.spec.name == "x"


def test_specs_sorted_by_priority_and_duplicates_rejected():
    reg = Registry([
        GeneratorSpec(name="low", scripts=("*",), unit="word", factory=Counting, priority=-5),
        GeneratorSpec(name="high", scripts=("Latn",), unit="word", factory=Counting, priority=5),
    ])
    assert [s.name for s in reg.specs()] == ["high", "low"]
    with pytest.raises(GeneratorError, match="two plugins"):
        reg.register(GeneratorSpec(name="low", scripts=("*",), unit="word", factory=Counting))
    with pytest.raises(GeneratorError, match="known generators: high, low"):
        reg.get("nope")


def test_entry_points_find_the_shipped_plugins():
    reg = Registry.from_entry_points()
    assert "font" in reg and "emnist" in reg
    assert reg.fallback().name == "font"
    assert "test" not in reg  # tests register it themselves (conftest); users never see it


def test_hwrender_plugins_env_limits_loading(monkeypatch):
    monkeypatch.setenv("HWRENDER_PLUGINS", "emnist")
    reg = Registry.from_entry_points()
    assert "emnist" in reg and "font" not in reg


def test_device_names_checked_without_torch():
    import subprocess
    import sys

    code = ("from hwrender.device import check_device_name, resolve_device\n"
            "assert check_device_name('CUDA:1') == 'cuda:1'\n"
            "assert resolve_device('cpu') == 'cpu'\n"
            "import sys; assert 'torch' not in sys.modules\n"
            "try:\n    check_device_name('tpu')\nexcept Exception as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "unknown device 'tpu'" in out.stdout


@pytest.mark.parametrize("name, needle", [("cpu:1", "unknown device"), ("cuda:x", "unknown device"),
                                          ("mps:0", "unknown device")])
def test_device_names_with_an_index(name, needle):
    from hwrender.device import check_device_name
    from hwrender.errors import UsageError

    with pytest.raises(UsageError, match=needle):
        check_device_name(name)


def test_a_device_this_machine_lacks_is_a_usage_error(monkeypatch):
    """``--device mps`` (listed in --help) on a machine without it was an "unexpected
    RuntimeError" from torch; ``cuda:5`` on a one-GPU machine likewise."""
    torch = pytest.importorskip("torch")
    from hwrender.device import resolve_device
    from hwrender.errors import UsageError

    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    with pytest.raises(UsageError, match="no Apple GPU"):
        resolve_device("mps")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(UsageError, match="has 1 CUDA GPU"):
        resolve_device("cuda:5")
    assert resolve_device("cuda:0") == "cuda:0"


def test_auto_device_resolves_to_something_torch_accepts():
    torch = pytest.importorskip("torch")
    from hwrender.device import resolve_device

    torch.zeros(1, device=resolve_device("auto"))

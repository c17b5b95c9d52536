"""The neural toolkit: strict loading by prefix, the device cache, lazy "module:attr" callables."""

from types import SimpleNamespace

import pytest
import torch
from safetensors.torch import save_file

from hwrender import neural
from hwrender.errors import GeneratorError, WeightsError
from hwrender.registry import GeneratorSpec, Ref, Registry
from hwrender.train import TrainerSpec
from hwrender.weights import ModelFiles


def _files(folder, tensors):
    save_file(tensors, str(folder / "model.safetensors"))
    (folder / "config.json").write_text("{}")
    return ModelFiles(name="toy", folder=folder, source="explicit", config={}, manifest=None)


def test_load_module_takes_the_prefix_and_checks_shapes(tmp_path):
    net = torch.nn.Linear(3, 2)
    files = _files(tmp_path, {"generator.weight": net.weight.detach().bfloat16(),
                              "generator.bias": net.bias.detach().bfloat16(),
                              "discriminator.weight": torch.zeros(5)})
    loaded = neural.load_module(files, lambda: torch.nn.Linear(3, 2), prefix="generator.")
    assert not loaded.training and loaded.weight.dtype == torch.float32
    assert torch.equal(loaded.weight, net.weight.detach().bfloat16().float())
    with pytest.raises(WeightsError, match=r"shape mismatch: generator.weight is \(2, 3\) in the file") as err:
        neural.load_module(files, lambda: torch.nn.Linear(4, 2), prefix="generator.")
    assert "\n" not in str(err.value)
    with pytest.raises(WeightsError, match="missing keys .*unexpected keys"):
        neural.load_module(files, lambda: torch.nn.Linear(3, 2))


def test_cached_builds_once_per_key_and_retries_after_a_failure():
    neural.clear_cache()
    built = []
    make = lambda tag: (lambda: built.append(tag) or object())  # noqa: E731
    a = neural.cached(("toy", "/w", "cpu"), make("cpu"))
    assert neural.cached(("toy", "/w", "cpu"), make("again")) is a
    assert neural.cached(("toy", "/w", "meta"), make("meta")) is not a
    assert built == ["cpu", "meta"]

    def broken():
        raise RuntimeError("no")

    with pytest.raises(RuntimeError):
        neural.cached(("toy", "/x", "cpu"), broken)
    assert neural.cached(("toy", "/x", "cpu"), make("x")) is not None and built[-1] == "x"
    for i in range(neural.MAX_CACHED):
        neural.cached(i, object)
    assert neural.cached(("toy", "/w", "cpu"), make("rebuilt")) is not a  # dropped, oldest first
    neural.clear_cache()


def test_specs_take_module_attr_strings_resolved_on_first_call():
    spec = GeneratorSpec(name="lazy", scripts=("Latn",), unit="word",
                         factory="types:SimpleNamespace", weights="lazy")
    assert isinstance(spec.factory, Ref)
    gen = Registry([spec]).instance("lazy", weights_dir="/w")
    assert isinstance(gen, SimpleNamespace) and gen.weights_dir == "/w" and gen.spec is spec
    trainer = TrainerSpec(name="t", description="", build="types:SimpleNamespace",
                          card="os.path:join")
    assert trainer.evaluate is None and trainer.build(x=1) == SimpleNamespace(x=1)
    assert trainer.card("a", "b") == "a/b"
    assert TrainerSpec(name="c", description="", build=len).build is len  # callables as is


def test_a_bad_reference_is_a_clear_error():
    with pytest.raises(ValueError, match="package.module:attr"):
        GeneratorSpec(name="bad", scripts=("Latn",), unit="word", factory="no colon")
    spec = GeneratorSpec(name="gone", scripts=("Latn",), unit="word",
                         factory="hwrender_plugins.nothing_here:Gen")
    with pytest.raises(GeneratorError, match="'hwrender_plugins.nothing_here:Gen' cannot be "
                                             "loaded .ModuleNotFoundError"):
        Registry([spec]).instance("gone")


def test_a_reference_imports_its_module_only_when_called(tmp_path, monkeypatch):
    (tmp_path / "lazy_plugin_mod.py").write_text("IMPORTED = True\ndef build(options): return options\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import sys

    spec = TrainerSpec(name="l", description="", build="lazy_plugin_mod:build")
    assert "lazy_plugin_mod" not in sys.modules
    assert spec.build(["a=1"]) == ["a=1"] and "lazy_plugin_mod" in sys.modules
    monkeypatch.delitem(sys.modules, "lazy_plugin_mod")

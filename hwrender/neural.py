"""What every neural generator family shares: loading a network from a model folder strictly,
and keeping built generators and networks per (name, weights folder, device).

Importing this module does not import torch; the functions do, when called.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Callable, Hashable, TypeVar

if TYPE_CHECKING:  # pragma: no cover
    import torch

    from .weights import ModelFiles

T = TypeVar("T")
M = TypeVar("M", bound="torch.nn.Module")

MAX_CACHED = 16  # built networks kept; a process rarely uses more than a few models and devices


def load_module(files: "ModelFiles", build: Callable[[], M], *, prefix: str = "",
                device: str = "cpu") -> M:
    """``build()``'s network holding the model's tensors named ``prefix + key``, in eval mode.

    ``build`` makes the network from config.json; it runs first on the meta device, so the file's
    keys and shapes are compared with the network's before anything is allocated: a file that
    does not fit (or a config that cannot be built) is one WeightsError with the fix. Tensors
    are loaded as float32 whatever the file stores (the shipped files are bfloat16).
    """
    state = files.load_state_dict(files.module_shapes(build), prefix=prefix)
    net = build()
    net.load_state_dict({k: v.float() for k, v in state.items()})
    return net.eval().to(device)


_cache: "OrderedDict[Hashable, object]" = OrderedDict()
_lock = threading.RLock()  # re-entrant: a factory may build what it needs through cached() too


def cached(key: Hashable, factory: Callable[[], T]) -> T:
    """The object ``factory()`` built for ``key``, built once per process and shared.

    Key it by what makes the object differ, usually ``(name, weights folder, device)``, e.g.
    ``cached(("glyph-styler", folder, "cuda"), lambda: copy.deepcopy(net).to("cuda").eval())``.
    The least recently used entries beyond ``MAX_CACHED`` are dropped. A factory that raises
    caches nothing, so the next call tries again.
    """
    with _lock:
        try:
            _cache.move_to_end(key)
            return _cache[key]  # type: ignore[return-value]
        except KeyError:
            pass
        value = factory()
        _cache[key] = value
        while len(_cache) > MAX_CACHED:
            _cache.popitem(last=False)
        return value


def clear_cache() -> None:
    """Forget every cached object (tests; or to free a device's memory)."""
    with _lock:
        _cache.clear()

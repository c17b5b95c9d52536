"""What training and evaluation keep between runs: built data sets and the judge networks that
``hwrender eval`` trains once (a recognizer, a classifier), in one cache folder.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Callable, TypeVar

if TYPE_CHECKING:  # pragma: no cover
    import torch

M = TypeVar("M", bound="torch.nn.Module")


def data_cache() -> Path:
    """``$HWRENDER_DATA_DIR``, else the user's cache folder's ``hwrender/data``
    (platformdirs: ``$XDG_CACHE_HOME/hwrender/data`` or ``~/.cache/hwrender/data`` on Linux):
    built training sets and the evaluations' judges live here."""
    root = os.environ.get("HWRENDER_DATA_DIR")
    if root:
        return Path(root).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("hwrender")) / "data"


def cached_judge(path: str | os.PathLike, build: Callable[[], M], train: Callable[[], M], *,
                 device: str = "cpu") -> M:
    """The judge network kept in ``path`` (a safetensors file), trained by ``train()`` the
    first time and saved there atomically; later calls load it into ``build()``.

    Name ``path`` by a digest of everything the judge depends on (its data and settings), so a
    change trains a new one: ``data_cache() / f"latin-judge-{digest[:16]}.safetensors"``.
    Returned in eval mode on ``device``. ``train`` logs what it does; check ``path.is_file()``
    first to say the judge comes from the cache.
    """
    from safetensors.torch import save_file

    from ..atomic import write_atomic

    path = Path(path)
    if path.is_file():
        model = build()
        state = _fitting(path, model)
        if state is not None:
            model.load_state_dict(state)
            return model.to(device).eval()
    model = train()
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    write_atomic(path, lambda tmp: save_file(state, str(tmp)))
    return model.to(device).eval()


def _fitting(path: Path, model) -> dict | None:
    """The cached judge's tensors, checked against ``model``'s keys and shapes before loading, or
    ``None`` (with a warning) when the file is damaged or was made for another network: it is a
    cache, so the judge is trained again and the file replaced."""
    import warnings

    from ..errors import HwrenderWarning, WeightsError
    from ..weights.tensors import load_state_dict

    try:
        return load_state_dict(path, {k: tuple(v.shape) for k, v in model.state_dict().items()})
    except WeightsError as exc:
        warnings.warn(HwrenderWarning(f"the cached judge {path.name} does not fit its network "
                                      f"({exc.message}); training it again"), stacklevel=3)
        return None

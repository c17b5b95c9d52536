"""Your own handwriting as a named style (see types.py for the contract).

    import hwrender
    hwrender.styles.add("my-hand", "my-hand/")      # the folder `hwrender extract` wrote
    hwrender.write("Dear Ada", "letter.pdf", style="my-hand")

``add`` fits every installed model family to the samples and stores the parts under one name in
the user's data folder (``$HWRENDER_STYLES_DIR`` or platformdirs' ``user_data_dir("hwrender")/styles``);
``list``, ``show``, ``remove``, ``export`` and ``import_`` manage them. Importing this package is
cheap (no torch): the modules load on first use.
"""

from __future__ import annotations

import builtins
from pathlib import Path

from .types import Blend, FitRequest, FitResult, Sample, StylePart, UserStyle, load_samples

__all__ = ["Blend", "FitRequest", "FitResult", "Sample", "StylePart", "UserStyle", "add", "export",
           "export_font", "import_", "list", "load_samples", "remove", "root", "show"]


def add(name: str, samples_dir, *, force: bool = False, device: str = "auto",
        steps: int | None = None, weights=None, progress=None, **kwargs) -> UserStyle:
    """Fit every installed model to the samples in ``samples_dir`` and store them as ``name``
    (see :func:`hwrender.styles.fit.add`)."""
    from .fit import add as _add

    return _add(name, samples_dir, force=force, device=device, steps=steps, weights=weights,
                progress=progress, **kwargs)


def list() -> builtins.list:  # noqa: A001  (hwrender.styles.list(), as the CLI says it)
    """The stored styles (``StyleInfo``: name, models, samples, created, folder)."""
    from .store import list_styles

    return list_styles()


def show(name: str) -> str:
    """The card of the stored style ``name`` (Markdown)."""
    from .store import card

    return card(name)


def remove(name: str) -> Path:
    """Delete the stored style ``name``."""
    from .store import remove as _remove

    return _remove(name)


def export(name: str, output) -> Path | None:
    """Pack the stored style ``name`` into one ``.hwstyle`` file (a path, ``"-"`` or a binary
    stream)."""
    from .store import export as _export

    return _export(name, output)


def import_(source, name: str | None = None, *, force: bool = False) -> UserStyle:
    """Install a ``.hwstyle`` file (as ``name`` if given; ``force`` replaces one of that name)."""
    from .store import import_ as _import

    return _import(source, name, force=force)


def root() -> Path:
    """Where the styles are stored."""
    from .store import root as _root

    return _root()


def export_font(output, style=None, **kwargs):
    """Write the hand ``style`` as an installable font (.otf, .ttf or .woff2); see
    :func:`hwrender.styles.font.export_font` for the options."""
    from .font import export_font as _export_font

    return _export_font(output, style, **kwargs)

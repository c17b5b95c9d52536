"""Point the weights store at a test's own folders: a bundled root and an empty Hub cache."""

from __future__ import annotations

from pathlib import Path


def use_store(monkeypatch, root: Path, cache: Path) -> Path:
    """Bundled models come from ``root``, the Hub cache is ``cache``, and the network is allowed."""
    monkeypatch.setenv("HWRENDER_WEIGHTS_ROOT", str(root))
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HWRENDER_OFFLINE", raising=False)
    return root

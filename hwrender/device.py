"""Device choice for neural generators (imports torch only when called)."""

from __future__ import annotations

from .errors import UsageError

DEVICES = ("auto", "cpu", "cuda", "mps")


def resolve_device(device: str = "auto") -> str:
    """``auto`` → ``cuda`` when a GPU is usable, else ``cpu``; checks explicit choices."""
    name = (device or "auto").lower()
    if name.split(":")[0] not in DEVICES:
        raise UsageError(f"unknown device {device!r}", "use auto, cpu or cuda")
    if name == "cpu":
        return "cpu"
    import torch

    if name == "auto":
        if torch.cuda.is_available():
            return "cuda"
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return "mps"
        return "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise UsageError("--device cuda was asked for but no CUDA GPU is usable",
                         "use --device auto or --device cpu")
    return name

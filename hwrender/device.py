"""Device choice for neural generators (imports torch only when called)."""

from __future__ import annotations

from .errors import UsageError

DEVICES = ("auto", "cpu", "cuda", "mps")


def check_device_name(device: str) -> str:
    """The lower-cased device name, or UsageError; never imports torch."""
    name = (device or "auto").lower()
    if name.split(":")[0] not in DEVICES:
        raise UsageError(f"unknown device {device!r}", "use auto, cpu, cuda or cuda:N")
    return name


def resolve_device(device: str = "auto") -> str:
    """``auto`` → ``cuda`` when a GPU is usable, else ``cpu``; checks explicit choices."""
    name = check_device_name(device)
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

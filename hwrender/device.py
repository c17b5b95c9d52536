"""Device choice for neural generators (imports torch only when called)."""

from __future__ import annotations

from .errors import UsageError

DEVICES = ("auto", "cpu", "cuda", "mps")


def check_device_name(device: str) -> str:
    """The lower-cased device name, or UsageError; never imports torch."""
    name = (device or "auto").lower()
    kind, colon, index = name.partition(":")
    if kind not in DEVICES or (colon and (kind != "cuda" or not index.isdigit())):
        raise UsageError(f"unknown device {device!r}", "use auto, cpu, cuda, cuda:N or mps")
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
        raise UsageError(f"--device {name} was asked for but no CUDA GPU is usable",
                         "use --device auto or --device cpu")
    if name.startswith("cuda:") and int(name[5:]) >= torch.cuda.device_count():
        raise UsageError(f"--device {name}: this machine has {torch.cuda.device_count()} CUDA GPU(s), "
                         f"numbered from 0", "use --device cuda or a number below the count")
    if name == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise UsageError("--device mps was asked for but no Apple GPU (MPS) is usable",
                         "use --device auto or --device cpu")
    return name

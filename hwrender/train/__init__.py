"""Training: the generic loop (``loop``), the task interface families implement (``task``),
and sample grids (``grid``). Importing this package does not import torch."""

from .task import RunContext, TrainerSpec, TrainTask, apply_overrides

__all__ = ["RunContext", "TrainerSpec", "TrainTask", "apply_overrides"]

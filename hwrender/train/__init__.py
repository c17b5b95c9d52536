"""Training: the generic loop (``loop``), the task interface families implement (``task``),
sample grids (``grid``), model-card pieces (``card``), the data and judge cache (``cache``), EMA
(``ema``) and evaluation metrics (``metrics``). Importing this package does not import torch."""

from .task import RunContext, TrainerSpec, TrainTask, apply_overrides, check_ranges

__all__ = ["RunContext", "TrainerSpec", "TrainTask", "apply_overrides", "check_ranges"]

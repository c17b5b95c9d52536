"""Training on several processes (``torchrun --nproc_per_node N hwrender train MODEL``).

torch's DistributedDataParallel does the work: each process holds a copy of the task, takes its
share of every batch and DDP averages the gradients, so N processes on a global batch of B train
what one process does on B (the loop splits the indices it already draws; nothing in a task
changes). Rank 0 alone writes the run folder. A single process never imports this module's torch
parts: ``from_env`` returns None when torchrun did not start the run.

Tasks call their modules as before (``self.G(x)``): ``route_through_ddp`` makes a module's calls go
through its DDP wrapper, whose forward is what arms the gradient averaging, while the module keeps
its class, attributes and state-dict keys, so checkpoints and exports are those of one process.
"""

from __future__ import annotations

import os
import weakref
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterator

from ..errors import UsageError

if TYPE_CHECKING:  # pragma: no cover
    import torch

    from .task import TrainTask


@dataclass
class Distributed:
    """This process's place in a multi-process run."""

    rank: int
    world_size: int
    local_rank: int
    device: str
    backend: str
    owns_group: bool = False  # the loop started the process group, so it ends it

    @property
    def main(self) -> bool:
        return self.rank == 0

    def start(self) -> None:
        import torch
        import torch.distributed as dist

        if self.device.startswith("cuda"):
            torch.cuda.set_device(self.local_rank)
        if not dist.is_initialized():
            dist.init_process_group(self.backend)
            self.owns_group = True

    def close(self) -> None:
        import torch.distributed as dist

        if self.owns_group and dist.is_initialized():
            dist.destroy_process_group()
            self.owns_group = False

    def barrier(self) -> None:
        import torch.distributed as dist

        dist.barrier()

    @contextmanager
    def main_first(self) -> Iterator[None]:
        """Rank 0 goes first (it builds and caches data in the run folder), the others after it
        (they find the cache), so no two processes write one file."""
        if not self.main:
            self.barrier()
        yield
        if self.main:
            self.barrier()

    def share(self, batch: "torch.Tensor") -> "torch.Tensor":
        """This rank's examples of a global batch: every world_size-th, as DistributedSampler,
        which also pads a batch that does not split evenly (a task's last or bucketed batch) with
        its first examples, so every rank trains on as many."""
        n, world = len(batch), self.world_size
        if n % world:
            batch = batch.repeat(-(-world // n) + 1)[:-(-n // world) * world]
        return batch[self.rank::world]

    def agree(self, values: dict[str, float], stop: bool) -> tuple[dict[str, float], bool]:
        """The step's figures averaged over the ranks (what one process on the whole batch logs),
        and whether any rank was asked to stop: every rank leaves at the same step, or a rank
        would wait for the others forever."""
        import torch
        import torch.distributed as dist

        names = list(values)
        t = torch.tensor([float(values[k]) for k in names] + [1.0 if stop else 0.0],
                         dtype=torch.float64, device=self.device)
        dist.all_reduce(t)
        t = t.cpu()
        averaged = {k: float(t[i]) / self.world_size for i, k in enumerate(names)}
        return averaged, bool(t[-1] > 0)

    def gather(self, obj: Any) -> list[Any]:
        import torch.distributed as dist

        got: list[Any] = [None] * self.world_size
        dist.all_gather_object(got, obj)
        return got


def from_env(device: str) -> Distributed | None:
    """The run's place from torchrun's variables (RANK, WORLD_SIZE, LOCAL_RANK), or None for a
    single process. ``device`` is the one the command asked for; each rank takes its own GPU."""
    world = int(os.environ.get("WORLD_SIZE", "1") or 1)
    if world <= 1:
        return None
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", str(rank)))
    if device.startswith("cuda"):
        import torch

        if ":" in device:
            raise UsageError(f"--device {device} names one GPU, but torchrun started {world} "
                             "processes", "use --device cuda: each process takes cuda:LOCAL_RANK")
        count = torch.cuda.device_count()
        if local >= count:
            raise UsageError(f"process {local} on this machine has no GPU of its own ({count} "
                             "GPUs here)", f"use torchrun --nproc_per_node {max(count, 1)} or fewer")
        return Distributed(rank, world, local, f"cuda:{local}", "nccl")
    if device != "cpu":
        raise UsageError(f"training on several processes runs on cpu or cuda, not {device}",
                         "use --device cuda or --device cpu")
    return Distributed(rank, world, local, "cpu", "gloo")


# --------------------------------------------------------------------------- DDP per module

_ROUTES: "weakref.WeakKeyDictionary[Any, Any]" = weakref.WeakKeyDictionary()
_local = {"on": False}


def trainable_modules(task: "TrainTask") -> dict[str, "torch.nn.Module"]:
    """The task's modules that DDP wraps: the task's own choice (``distributed_modules``), else
    each module in ``stateful`` (else among its attributes) with a parameter that trains. EMA
    copies and frozen judges have none, so they stay as they are."""
    import torch

    names = getattr(task, "distributed_modules", None)
    if names is None:
        names = tuple(task.stateful) or tuple(vars(task))
        found = {n: getattr(task, n, None) for n in names}
        return {n: m for n, m in found.items() if isinstance(m, torch.nn.Module)
                and any(p.requires_grad for p in m.parameters())}
    return {n: getattr(task, n) for n in names}


def route_through_ddp(task: "TrainTask", dist: Distributed, *, sync_batchnorm: bool) -> list:
    """Wrap each trainable module of ``task`` in DDP; calls of the module go through its wrapper.

    ``sync_batchnorm``: batch norms see the global batch (torch's SyncBatchNorm runs on GPUs
    only; on CPU each rank normalises its own share). Returns the wrappers (``unroute`` undoes).
    """
    import inspect
    import types

    import torch
    from torch.nn.parallel import DistributedDataParallel as DDP

    # buffers (batch-norm statistics) stay each rank's: synchronised batch norms keep them equal,
    # rank 0's are the ones saved, and a broadcast per forward would be one more wait per call
    parameters = inspect.signature(DDP.__init__).parameters
    no_buffer_sync = {"forward_sync_buffers": False} if "forward_sync_buffers" in parameters \
        else {"broadcast_buffers": False}
    modules = trainable_modules(task)
    loose = loose_tensors(task, modules)
    if loose:
        raise UsageError(f"{task.name} trains {len(loose)} tensors outside its modules, which "
                         "DistributedDataParallel cannot average over processes",
                         "train it in one process (without torchrun)")
    wrappers = []
    for name, module in modules.items():
        if sync_batchnorm:
            converted = torch.nn.SyncBatchNorm.convert_sync_batchnorm(module)
            if converted is not module:  # a bare batch norm: a new module, the same parameters
                setattr(task, name, converted)
                module = converted
        ddp = DDP(module, device_ids=[dist.local_rank] if dist.backend == "nccl" else None,
                  find_unused_parameters=getattr(task, "find_unused_parameters", False),
                  **no_buffer_sync)
        _ROUTES[module] = ddp
        # a bound method, so a deepcopy of the module (an EMA, an export copy) calls itself
        module.forward = types.MethodType(_routed_forward, module)
        wrappers.append(ddp)
    return wrappers


def loose_tensors(task: "TrainTask", modules: dict) -> list:
    """Tensors the task's optimisers train that none of ``modules`` holds (a fine-tuned style
    vector): their gradients would stay each rank's own, and the ranks would drift apart."""
    import torch

    held = {id(p) for m in modules.values() for p in m.parameters()}
    optimisers = [v for v in vars(task).values() if isinstance(v, torch.optim.Optimizer)]
    return [p for opt in optimisers for group in opt.param_groups for p in group["params"]
            if p.requires_grad and id(p) not in held]


def _routed_forward(module, *args, **kwargs):
    ddp = _ROUTES.get(module)
    if ddp is None or _local["on"] or getattr(ddp, "_hwrender_inside", False):
        return type(module).forward(module, *args, **kwargs)
    ddp._hwrender_inside = True  # DDP calls the module back: that call is the real forward
    try:
        return ddp(*args, **kwargs)
    finally:
        ddp._hwrender_inside = False


def unroute(wrappers: list) -> None:
    """Undo ``route_through_ddp`` and free the wrappers (the list is emptied) while the process
    group is still there: a DDP wrapper holds reference cycles, so without a collection it and
    its reducer outlive the group, and gloo work freed at interpreter exit can abort the process."""
    import gc

    for ddp in wrappers:
        module = ddp.module
        _ROUTES.pop(module, None)
        module.__dict__.pop("forward", None)
    wrappers.clear()
    gc.collect()


@contextmanager
def local_calls() -> Iterator[None]:
    """Module calls without DDP (rank 0's sample grids): DDP's forward may talk to the other
    ranks, which are not calling."""
    before, _local["on"] = _local["on"], True
    try:
        yield
    finally:
        _local["on"] = before

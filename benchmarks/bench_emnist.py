"""EMNIST AC-GAN figures: training images per second and characters generated per second.

    python benchmarks/bench_emnist.py            # table
    python benchmarks/bench_emnist.py --json

Target on the project's 2-core CPU: the default model passes 112,800 images (one EMNIST-balanced
epoch) in <= 3 minutes, i.e. >= 627 images/s. fp32 and bf16-autocast steps, batch sizes, and the
plain AC-GAN (no auto-encoder step) are timed side by side in one run, on random data (speed
does not depend on what the pixels show). Each figure is the best of a few timed windows: this
machine is shared, and interference only ever slows a window down.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

EPOCH = 112_800
TARGET_SECONDS = 180.0


def _task(settings: list[str], batch: int):
    import torch
    from hwrender_plugins.emnist.task import EmnistTask, build_task

    from hwrender.train import RunContext

    cfg = build_task(settings).config
    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (4096, 28, 28), dtype=torch.uint8, generator=g)
    labels = torch.randint(0, 62 if cfg.classes == "byclass" else 47, (4096,), generator=g)
    task = EmnistTask(cfg, images, labels, {})
    task.setup(RunContext(out=Path("."), device="cpu", seed=0, batch_size=batch))
    return task


def bench_training(settings: list[str], batch: int, steps: int, windows: int) -> float:
    import torch

    task = _task(settings, batch)
    idx = torch.arange(batch)
    for i in range(3):  # warm-up: oneDNN picks its kernels
        task.train_step(idx, i)
    best = 0.0
    for _ in range(windows):
        t0 = time.perf_counter()
        for i in range(steps):
            task.train_step(idx, i)
        best = max(best, steps * batch / (time.perf_counter() - t0))
    return best


def bench_generation(n: int, windows: int) -> dict:
    """Characters/s of the shipped generator, raw samples and placed ink images."""
    from hwrender_plugins.emnist.generator import EmnistGenerator

    gen = EmnistGenerator()
    text = ("Hello World 2026 " * (n // 16 + 1)).replace(" ", "")[:n]
    gen.generate(list(text[:64]), None, 0)
    best_raw = best_ink = 0.0
    for w in range(windows):
        t0 = time.perf_counter()
        gen.samples(list(text), None, w)
        best_raw = max(best_raw, n / (time.perf_counter() - t0))
        t0 = time.perf_counter()
        gen.generate(list(text), None, w)
        best_ink = max(best_ink, n / (time.perf_counter() - t0))
    return {"raw_chars_per_s": round(best_raw), "placed_chars_per_s": round(best_ink)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--steps", type=int, default=20, help="steps per timed window")
    parser.add_argument("--windows", type=int, default=3)
    args = parser.parse_args(argv)
    import torch

    rows = []
    for label, settings, batch in (
        ("default (AC-GAN + auto-encoder), fp32, batch 128", [], 128),
        ("default, fp32, batch 256", [], 256),
        ("default, bf16 autocast, batch 128", ["bf16=true"], 128),
        ("plain AC-GAN, fp32, batch 128", ["autoencoder=false"], 128),
    ):
        ips = bench_training(settings, batch, args.steps, args.windows)
        rows.append({"figure": f"training images/s: {label}", "value": round(ips),
                     "epoch_112800_s": round(EPOCH / ips, 1)})
    out = {"threads": torch.get_num_threads(), "training": rows}
    try:
        out["generation"] = bench_generation(2000, args.windows)
    except Exception as exc:  # no shipped weights yet: say so instead of a number
        out["generation"] = {"error": " ".join(str(exc).split())}
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    print(f"torch threads: {out['threads']}; target: one 112,800-image epoch in <= "
          f"{TARGET_SECONDS:.0f} s (>= {EPOCH / TARGET_SECONDS:.0f} images/s)")
    for r in rows:
        ok = "ok" if r["epoch_112800_s"] <= TARGET_SECONDS else "MISSED"
        print(f"{r['figure']:<62} {r['value']:>6} img/s  epoch {r['epoch_112800_s']:>6} s  {ok}")
    g = out["generation"]
    if "error" in g:
        print(f"generation: {g['error']}")
    else:
        print(f"generation (shipped model, 2000 chars): {g['raw_chars_per_s']} raw samples/s, "
              f"{g['placed_chars_per_s']} placed ink images/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

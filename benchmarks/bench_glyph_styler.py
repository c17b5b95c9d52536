"""Glyph styler figures: inference glyphs/s on a 500-glyph page, training images/s, and both as a
fraction of this machine's peak (a step's FLOPs over its time, next to a large matmul's FLOP/s
measured in the same run).

    python benchmarks/bench_glyph_styler.py                 # the shipped model if present, else untrained
    python benchmarks/bench_glyph_styler.py --weights runs/glyph-styler/model --json
    python benchmarks/bench_glyph_styler.py --threads 1 --set ngf=24   # compare settings

Targets on the project's 2-core CPU: a page of 500 glyphs in <= 1 s warm. Speed does not depend on
the weights, so an untrained model of the default configuration gives the same figures. Timings on
a shared machine swing: each is the median of several runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

from bench_core import median_time  # benchmarks/ is sys.path[0] when run as a script

PAGE = ("오늘은 날씨가 좋아서 친구와 함께 공원에 갔습니다 한글은 아름다운 글자입니다 "
        "今天天气很好我们一起去公园散步学习中文很有意思明天见")


def matmul_peak(repeat: int) -> dict:
    """GFLOP/s of a 2048² matmul in fp32 and bf16: the yardstick for the fractions below."""
    import torch

    n = 2048
    out = {}
    for name, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
        a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
        a @ b
        t = median_time(lambda: a @ b, repeat)
        out[f"matmul_{name}_gflops"] = round(2 * n ** 3 / t / 1e9, 1)
    return out


def _styler(weights: str | None, options: list[str]):
    """The shipped (or given) model; an untrained one of the default configuration otherwise."""
    from hwrender.errors import WeightsError
    from hwrender_plugins.glyph_styler.styler import GlyphStyler

    if weights or not options:
        try:
            return GlyphStyler.load(weights), "trained"
        except WeightsError:
            if weights:
                raise
    return _untrained(options), "untrained"


def _untrained(options: list[str]):
    from hwrender_plugins.glyph_styler import SOURCE_FONT
    from hwrender_plugins.glyph_styler.data import source_frames
    from hwrender_plugins.glyph_styler.model import GlyphUNet
    from hwrender_plugins.glyph_styler.styler import GlyphStyler
    from hwrender_plugins.glyph_styler.task import build_task

    cfg = build_task(options).config
    n = 20
    frames = {f"source:{k}": v.to_list()
              for k, v in source_frames(SOURCE_FONT, 0, cfg.image_size, cfg.fill).items()}
    config = {"styles": [f"s{i}" for i in range(n)], "style_scripts": ["Hang"] * 10 + ["Hani"] * 10,
              "frames": frames, "x_height_em": 0.543}
    return GlyphStyler(GlyphUNet(cfg.model_config(n)).eval(), config)


def bench_inference(styler, repeat: int, peak: dict) -> dict:
    """A page of 500 glyphs through ``GlyphStyler.write`` (what the generators call), warm."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    chars = [c for c in PAGE if not c.isspace()]
    chars = (chars * (500 // len(chars) + 1))[:500]
    styler.write(chars, None, seed=0)  # warm: source glyphs drawn, kernels chosen
    t = median_time(lambda: styler.write(chars, None, seed=1), repeat)
    x = torch.zeros(1, 1, styler.size, styler.size)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        styler.model(x, torch.zeros(1, dtype=torch.long))
    flops = counter.get_total_flops()
    achieved = flops * 500 / t / 1e9
    top = max(peak["matmul_fp32_gflops"], peak["matmul_bf16_gflops"])  # the machine's best
    return {"page_500_glyphs_s": round(t, 3), "inference_glyphs_per_s": round(500 / t, 1),
            "inference_gflop_per_glyph": round(flops / 1e9, 3),
            "inference_gflops": round(achieved, 1), "inference_dtype": "bf16" if styler.bf16 else "fp32",
            "inference_fraction_of_peak": round(achieved / top, 3)}


def bench_training(options: list[str], batch: int, steps: int, peak: dict) -> dict:
    """The real training step (G, D, losses, EMA) on synthetic glyph pairs."""
    import tempfile
    from pathlib import Path

    import numpy as np
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from hwrender.train import RunContext
    from hwrender_plugins.glyph_styler.data import PairSet
    from hwrender_plugins.glyph_styler.task import build_task

    task = build_task(options)
    s = task.config.image_size
    rng = np.random.default_rng(0)
    n = 4 * batch
    pairs = PairSet(chars=[chr(0xAC00 + i) for i in range(n)],
                    sources=rng.integers(0, 256, (n, s, s), dtype=np.uint8),
                    targets=rng.integers(0, 256, (n, s, s), dtype=np.uint8),
                    char_index=np.arange(n, dtype=np.int32),
                    style_index=(np.arange(n) % 20).astype(np.int32),
                    styles=[f"s{i}" for i in range(20)], style_scripts=["Hang"] * 20)
    with tempfile.TemporaryDirectory() as tmp:
        task.use_pairs(RunContext(out=Path(tmp), device="cpu", seed=0, batch_size=batch), pairs)
        batches = [torch.arange(i * batch, (i + 1) * batch) % n for i in range(steps + 2)]
        task.train_step(batches[0], 0)
        with FlopCounterMode(display=False) as counter:
            task.train_step(batches[1], 1)
        flops = counter.get_total_flops()
        times = []
        for k, b in enumerate(batches[2:], 2):
            t0 = time.perf_counter()
            task.train_step(b, k)
            times.append(time.perf_counter() - t0)
    t = statistics.median(times)
    achieved = flops / t / 1e9
    return {"train_batch": batch, "train_step_s": round(t, 3),
            "train_images_per_s": round(batch / t, 1),
            "train_gflop_per_image": round(flops / batch / 1e9, 3),
            "train_gflops": round(achieved, 1),
            "train_fraction_of_peak": round(achieved / peak["matmul_fp32_gflops"], 3),
            "epoch_minutes_54k_pairs": round(54_000 / (batch / t) / 60, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--weights", help="model folder (default: shipped, else untrained)")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's)")
    parser.add_argument("--batch", type=int, default=64, help="training batch size")
    parser.add_argument("--steps", type=int, default=6, help="timed training steps")
    parser.add_argument("--repeat", type=int, default=5, help="timed inference pages")
    parser.add_argument("--set", dest="options", action="append", default=[], metavar="KEY=VALUE",
                        help="training setting, as for `hwrender train glyph-styler --set`")
    args = parser.parse_args(argv)
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    out = {"threads": torch.get_num_threads()}
    out.update(matmul_peak(args.repeat))
    styler, kind = _styler(args.weights, args.options)
    out["model"] = kind
    out.update(bench_inference(styler, args.repeat, out))
    out.update(bench_training(args.options, args.batch, args.steps, out))
    out.update({f"{k}_after": v for k, v in matmul_peak(args.repeat).items()})  # did the load change?
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        width = max(map(len, out))
        for k, v in out.items():
            print(f"{k:<{width}}  {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Glyph styler figures: inference glyphs/s on a 500-glyph page, training images/s, and both as a
fraction of this machine's peak (a step's FLOPs over its time, next to a large matmul's FLOP/s
measured in the same run).

    python benchmarks/bench_glyph_styler.py                 # the shipped model if present, else untrained
    python benchmarks/bench_glyph_styler.py --weights runs/glyph-styler/model --json
    python benchmarks/bench_glyph_styler.py --threads 1 --set ngf=24   # compare settings
    python benchmarks/bench_glyph_styler.py --throughput     # training img/s before/after, one run
    python benchmarks/bench_glyph_styler.py --speckle --figure speckle.png   # speckle per style
    python benchmarks/bench_glyph_styler.py --compare-runs RUN_A RUN_B   # two real runs, e.g. fp32
        # and cpu_bf16 from one seed: img/s, training L1 step for step, held-out L1 of each model
    python benchmarks/bench_glyph_styler.py --compare-runs RUN_A RUN_B --style   # and style accuracy
        # (e.g. a control and --set feature_match_weight=20 fine-tuned from one init; issue 31)

Targets on the project's 2-core CPU: a page of 500 glyphs in <= 1 s warm. Speed does not depend on
the weights, so an untrained model of the default configuration gives the same figures. Timings on
a shared machine swing: each is the median of several runs.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
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


def _synthetic_task(options: list[str], batch: int, tmp: str):
    """A training task of ``options`` on 4 batches of random glyph pairs (speed does not depend
    on the images)."""
    from pathlib import Path

    import numpy as np

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
    task.use_pairs(RunContext(out=Path(tmp), device="cpu", seed=0, batch_size=batch), pairs)
    return task, n


# --throughput: what the step ran like before each change, and with each one added. A variant is
# (label, --set options, the model's DENSE_GRADS, torch threads or 0 for the run's).
# One thread is there because a shared machine's other processes stall torch's second thread at
# every parallel region (OMP_NUM_THREADS=1 sets it for a run).
THROUGHPUT_VARIANTS = (
    ("before (fp32, torch.cat)", ["cpu_bf16=false"], False, 0),
    ("dense cat gradients", ["cpu_bf16=false"], True, 0),
    ("dense cat gradients + cpu_bf16 (the default)", ["cpu_bf16=true"], True, 0),
    ("before, 1 thread", ["cpu_bf16=false"], False, 1),
    ("dense cat gradients, 1 thread", ["cpu_bf16=false"], True, 1),
    ("dense cat gradients + cpu_bf16, 1 thread", ["cpu_bf16=true"], True, 1),
)


def throughput_variants(picks: str | None, also: list[str]) -> list[tuple]:
    """THROUGHPUT_VARIANTS, or those numbered in ``picks`` ("0,5": the first is the baseline),
    then the last one again with each ``--also KEY=VALUE`` (a network change: its img/s only)."""
    chosen = list(THROUGHPUT_VARIANTS) if not picks else \
        [THROUGHPUT_VARIANTS[int(k)] for k in picks.split(",")]
    label, extra, dense, threads = THROUGHPUT_VARIANTS[-1]
    return chosen + [(f"{label}, {a}", [*extra, a], dense, threads) for a in also]


def bench_throughput(options: list[str], batch: int, steps: int, warmup: int, rounds: int = 4,
                     variants: list[tuple] | None = None) -> dict:
    """Training images/s of each variant, side by side in one run: every variant gets ``warmup``
    untimed steps, then its ``steps`` timed ones in ``rounds`` interleaved turns, so that a change
    in the machine's load falls on all of them alike. Each figure is batch / median step time."""
    import tempfile

    import torch

    from hwrender_plugins.glyph_styler import model

    threads = torch.get_num_threads()
    per_turn = max(1, steps // rounds)
    out: dict = {"throughput_batch": batch, "throughput_steps": per_turn * rounds,
                 "throughput_warmup": warmup, "threads": threads}
    with tempfile.TemporaryDirectory() as tmp:
        runs = []
        for k, (label, extra, dense, nthreads) in enumerate(variants or THROUGHPUT_VARIANTS):
            task, n = _synthetic_task([*options, *extra], batch, f"{tmp}/{k}")
            runs.append({"label": label, "task": task, "n": n, "dense": dense,
                         "threads": nthreads or threads, "times": [], "step": 0})

        def turn(run, count, timed):
            model.DENSE_GRADS = run["dense"]
            torch.set_num_threads(run["threads"])
            try:
                for _ in range(count):
                    k = run["step"]
                    b = torch.arange(k * batch, (k + 1) * batch) % run["n"]
                    t0 = time.perf_counter()
                    run["task"].train_step(b, k)
                    if timed:
                        run["times"].append(time.perf_counter() - t0)
                    run["step"] += 1
            finally:
                model.DENSE_GRADS = True
                torch.set_num_threads(threads)

        for run in runs:
            turn(run, warmup, False)
        for _ in range(rounds):
            for run in runs:
                turn(run, per_turn, True)
    base = batch / statistics.median(runs[0]["times"])
    for run in runs:
        ips = batch / statistics.median(run["times"])
        out[run["label"]] = {"images_per_s": round(ips, 1), "x_before": round(ips / base, 2),
                             "threads": run["threads"],
                             "step_s_min_median_max": [round(f(run["times"]), 3) for f in
                                                       (min, statistics.median, max)]}
    return out


def bench_training(options: list[str], batch: int, steps: int, peak: dict) -> dict:
    """The real training step (G, D, losses, EMA) on synthetic glyph pairs."""
    import tempfile

    import torch
    from torch.utils.flop_counter import FlopCounterMode

    with tempfile.TemporaryDirectory() as tmp:
        task, n = _synthetic_task(options, batch, tmp)
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


# --speckle: the output cleanups compared, per script: today's (config.json) and the shipped
# Hangul one (blur 0.5 px, smoothstep 0.1-0.5) for every script. A 2 px grey opening was tried
# too: fewer specks on Hangul, but Tesseract CER of the default Hangul style 0.0 -> 0.25.
SPECKLE_CANDIDATES = {
    "today": {},
    "blur": {"median": 0, "blur": 0.5, "lo": 0.1, "hi": 0.5},
}


def edge_roughness(alpha) -> float:
    """Boundary length of the glyphs' ink (alpha >= 0.5) per ink pixel: a ripple or a speck on
    an edge lengthens it, a font's smooth outline does not."""
    import numpy as np

    ink = np.asarray(alpha) >= 0.5
    edges = (ink[:, 1:] != ink[:, :-1]).sum() + (ink[:, :, 1:] != ink[:, :, :-1]).sum()
    return float(edges) / max(1, int(ink.sum()))


def _speckle_outputs(styler, style: str, script: str, chars: list[str]) -> dict:
    """The glyphs of ``chars`` in ``style`` under each candidate cleanup (seed 0)."""
    import torch

    from hwrender_plugins.glyph_styler.styler import Cleanup

    today = styler.cleanups
    out = {}
    vec = styler.style_vector(style, script).expand(len(chars), -1)
    try:
        for name, change in SPECKLE_CANDIDATES.items():
            base = today[script].to_config() if name != "blur" else {}
            styler.cleanups = {**today, script: Cleanup.from_config({**base, **change})}
            out[name] = torch.from_numpy(styler.run(chars, vec, seed=0))
    finally:
        styler.cleanups = today
    return out


def bench_speckle(weights: str | None, figure: str | None, per_script: int = 60) -> dict:
    """Speckle of every style under each candidate cleanup, next to its font's anti-aliasing:
    isolated grey pixels per ink pixel (``styler.speckle_share``), the ink's edge length per ink
    pixel (``edge_roughness``) and the L1 to the font's glyphs, on the characters of the
    evaluation's OCR lines. ``figure``: a PNG of the default styles, font over each candidate."""
    import numpy as np

    from hwrender_plugins.glyph_styler.data import Frame, GlyphRenderer, corpus_fonts
    from hwrender_plugins.glyph_styler.evaluate import LINES
    from hwrender_plugins.glyph_styler.styler import GlyphStyler, speckle_share

    styler = copy.copy(GlyphStyler.load(weights))  # shared when loaded: change only this copy
    styler.withheld = {}  # every style the network learnt, the withheld ones too
    fonts = {f.id: f for f in corpus_fonts()}
    chars = {sc: list(dict.fromkeys(c for line in LINES[sc] for c in line if not c.isspace()))[:per_script]
             for sc in LINES}
    rows, strips = {}, []
    for style, script in zip(styler.styles, styler.style_scripts):
        outs = _speckle_outputs(styler, style, script, chars[script])
        row = {}
        font = fonts.get(style)
        real = None
        if font is not None:
            r = GlyphRenderer(font.path, font.index, Frame.from_list(styler.config["frames"][style]),
                              styler.size)
            real = r.render(chars[script])[0].astype(np.float32) / 255
            row["font"] = {"isolated": round(speckle_share(real), 4),
                           "roughness": round(edge_roughness(real), 3)}
        for name, a in outs.items():
            row[name] = {"isolated": round(speckle_share(a), 4),
                         "roughness": round(edge_roughness(a), 3)}
            if real is not None:
                row[name]["l1_font"] = round(float(np.abs(a.numpy() - real).mean()), 4)
        rows[style] = row
        if figure and style == styler.default_styles.get(script):
            shown = [real] if real is not None else []
            strips.append((style, shown + [outs[n].numpy() for n in SPECKLE_CANDIDATES]))
    summary = {}
    for script in sorted(set(styler.style_scripts)):
        own = [rows[s] for s, sc in zip(styler.styles, styler.style_scripts) if sc == script]
        for name in ["font", *SPECKLE_CANDIDATES]:
            have = [r[name] for r in own if name in r]
            if have:
                summary[f"{script} {name}"] = {k: round(float(np.mean([h[k] for h in have if k in h])), 4)
                                               for k in have[0]}
    if figure:
        _speckle_figure(strips, figure)
    return {"speckle_per_script": summary, "speckle_per_style": rows}


def speckle_cer(weights: str | None, lines: int = 6) -> dict:
    """Tesseract CER of the evaluation's OCR lines in each script's default style, under each
    candidate cleanup (seed 0, as a page draws them; ``evaluate``'s line images)."""
    import numpy as np

    from hwrender.train.metrics import cer, ocr_line
    from hwrender_plugins.glyph_styler.evaluate import LINES, OCR_LANG, _advances, _line_image
    from hwrender_plugins.glyph_styler.styler import Cleanup, GlyphStyler

    styler = copy.copy(GlyphStyler.load(weights))  # shared when loaded: change only this copy
    styler.withheld = {}  # every style the network learnt, the withheld ones too
    today = styler.cleanups
    out = {}
    for script, style in styler.default_styles.items():
        for name, change in SPECKLE_CANDIDATES.items():
            base = today[script].to_config() if name != "blur" else {}
            styler.cleanups = {**today, script: Cleanup.from_config({**base, **change})}
            try:
                cers = []
                for line in LINES[script][:lines]:
                    chars = [c for c in line if not c.isspace()]
                    inks = styler.write(chars, style, seed=0, script=script)
                    space = 0.5 * styler.frames[f"source:{script}"].size
                    img = _line_image([i.alpha for i in inks], _advances(line, [i.advance for i in inks], space))
                    cers.append(cer(line, ocr_line(img, OCR_LANG[script])))
            finally:
                styler.cleanups = today
            out[f"{script} {style} {name}"] = round(float(np.mean(cers)), 4)
    return out


def _speckle_figure(strips, path: str, glyphs: int = 12, zoom: int = 3) -> None:
    """Rows of ``glyphs`` glyphs per default style: the font (when installed), then each candidate."""
    import numpy as np
    from PIL import Image

    rows = []
    for _, images in strips:
        for a in images:
            rows.append(np.concatenate(list(a[:glyphs]), 1))
            rows.append(np.zeros((4, rows[-1].shape[1]), np.float32))
    img = np.concatenate(rows, 0)
    Image.fromarray(np.rint((1 - img) * 255).astype(np.uint8)).resize(
        (img.shape[1] * zoom, img.shape[0] * zoom), Image.NEAREST).save(path)


def _metrics(run: str) -> list[dict]:
    with open(os.path.join(run, "metrics.jsonl"), encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def compare_runs(a: str, b: str, eval_chars: int, style: bool = False) -> dict:
    """Two runs of the same steps, seed and data (e.g. fp32 and ``--set cpu_bf16=true``): each
    one's images/s (after its first logged step, so start-up is left out), their training L1 at
    the same logged steps (the same batches: a paired difference), and each exported model's
    held-out L1 / identity per script (``hwrender eval glyph-styler`` without OCR, the style
    classifier or the held-out fonts; ``style``: with the style classifier, trained the same way
    for both, and its accuracy on each model's generated held-out glyphs)."""
    from hwrender_plugins.glyph_styler.evaluate import evaluate

    runs = {name: _metrics(name) for name in (a, b)}
    out: dict = {}
    for name, rows in runs.items():
        first, last = rows[0], rows[-1]
        out[f"{name}: steps"] = last["step"]
        out[f"{name}: img/s"] = round((last["examples"] - first["examples"])
                                      / (last["seconds"] - first["seconds"]), 2)
    by_step = [{r["step"]: r for r in rows} for rows in runs.values()]
    steps = sorted(by_step[0].keys() & by_step[1].keys())
    diffs = [by_step[1][s]["l1"] - by_step[0][s]["l1"] for s in steps]
    out["training L1 at the same steps, b - a: mean"] = round(statistics.mean(diffs), 5)
    out["training L1 at the same steps, b - a: std"] = round(statistics.pstdev(diffs), 5)
    half = steps[len(steps) // 2:]
    for name, rows in zip(runs, by_step):
        out[f"{name}: training L1, last half mean"] = round(
            statistics.mean(rows[s]["l1"] for s in half), 5)
        # step-to-step noise of one run's L1 in the same window, the yardstick for the difference
        out[f"{name}: training L1, last half std"] = round(
            statistics.pstdev(rows[s]["l1"] for s in half), 5)
    if eval_chars:
        options = [f"max_chars={eval_chars}", "ocr=false", "holdout_fonts=false",
                   *([] if style else ["classifier_steps=0"])]
        for name in runs:
            start = time.perf_counter()
            report = evaluate(weights=os.path.join(name, "model"), options=options)
            out[f"{name}: eval seconds"] = round(time.perf_counter() - start, 1)
            for fig in report["figures"]:
                if any(k in fig["name"] for k in ("L1", "SSIM", "style accuracy")):
                    out[f"{name}: {fig['name']}"] = fig["value"]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--weights", help="model folder (default: shipped, else untrained)")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's)")
    parser.add_argument("--batch", type=int, default=64, help="training batch size")
    parser.add_argument("--steps", type=int, default=0, help="timed training steps (default 6; 20 "
                        "with --throughput)")
    parser.add_argument("--repeat", type=int, default=5, help="timed inference pages")
    parser.add_argument("--throughput", action="store_true",
                        help="training images/s before and after each speed change, in one run "
                             "(--steps timed steps each, default 20, after --warmup)")
    parser.add_argument("--speckle", action="store_true",
                        help="isolated grey pixels and edge roughness per style and cleanup, next to "
                             "the fonts")
    parser.add_argument("--ocr", action="store_true",
                        help="also Tesseract CER of the default styles under each cleanup (--speckle)")
    parser.add_argument("--figure", help="PNG of the default styles under each cleanup (--speckle)")
    parser.add_argument("--variants", help="--throughput: only these variants, by number "
                        "(0-5; the first is the baseline)")
    parser.add_argument("--also", action="append", default=[], metavar="KEY=VALUE",
                        help="--throughput: the last variant again with this setting (e.g. ndf=16)")
    parser.add_argument("--compare-runs", nargs=2, metavar="RUN",
                        help="two run folders of the same steps and seed: img/s, training L1 step "
                             "for step, held-out L1 of each model")
    parser.add_argument("--eval-chars", type=int, default=100,
                        help="--compare-runs: held-out characters per script (0: no eval)")
    parser.add_argument("--style", action="store_true",
                        help="--compare-runs: also style accuracy on generated held-out glyphs "
                             "(trains the eval's font classifier once per run)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps per variant (--throughput)")
    parser.add_argument("--set", dest="options", action="append", default=[], metavar="KEY=VALUE",
                        help="training setting, as for `hwrender train glyph-styler --set`")
    args = parser.parse_args(argv)
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    if args.compare_runs:
        _print(compare_runs(*args.compare_runs, args.eval_chars, args.style), args.json)
        return 0
    if args.throughput:
        out = {"load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
               "cpus": os.cpu_count()}
        out.update(bench_throughput(args.options, args.batch, args.steps or 20, args.warmup,
                                    variants=throughput_variants(args.variants, args.also)))
        out["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
        _print(out, args.json)
        return 0
    if args.speckle:
        out = bench_speckle(args.weights, args.figure)
        if args.ocr:
            out["speckle_cer_default_styles"] = speckle_cer(args.weights)
        if args.json:
            print(json.dumps(out, indent=2))
        else:
            _print({**out["speckle_per_script"], **out.get("speckle_cer_default_styles", {})}, False)
        return 0
    out = {"threads": torch.get_num_threads()}
    out.update(matmul_peak(args.repeat))
    styler, kind = _styler(args.weights, args.options)
    out["model"] = kind
    out.update(bench_inference(styler, args.repeat, out))
    out.update(bench_training(args.options, args.batch, args.steps or 6, out))
    out.update({f"{k}_after": v for k, v in matmul_peak(args.repeat).items()})  # did the load change?
    _print(out, args.json)
    return 0


def _print(out: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(out, indent=2))
    else:
        width = max(map(len, out))
        for k, v in out.items():
            print(f"{k:<{width}}  {v}")


if __name__ == "__main__":
    sys.exit(main())

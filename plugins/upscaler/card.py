"""The model card (README.md) of an exported ink upscaler."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, Mapping

from hwrender import fonts as corpus
from hwrender.errors import UsageError
from hwrender.weights import load_config


def card_for(folder: Path, report: Mapping[str, Any]) -> str:
    return model_card(load_config(folder))


def _licence(font_id: str) -> str:
    try:
        return corpus.get(font_id).license
    except UsageError:  # a font from --data, or one the corpus no longer lists
        return "see the font"


def model_card(config: Mapping[str, Any]) -> str:
    net, train, data = config.get("net", {}), config.get("train", {}), config.get("data", {})
    run, ev = config.get("run", {}), config.get("eval", {})
    fonts = list(data.get("train_fonts", [])) + list(data.get("val_fonts", []))
    licences = sorted({_licence(f) for f in fonts})
    from .task import UpscalerTrainConfig

    defaults = dataclasses.asdict(UpscalerTrainConfig())
    settings = [f"`--set {k}={json.dumps(v)}`" for k, v in sorted(train.items())
                if k in defaults and defaults[k] != (list(v) if isinstance(defaults[k], list) else v)]
    lines = [
        f"# ink-upscaler: a word's soft alpha redrawn at {net.get('scale')}x with a pen's sharp edges",
        "",
        "Vector ink (`--ink-render vector`, SVG, vector PDF, `--strokes`) traces each generator's",
        "alpha into outlines. For inks whose pixel is large on the page and whose writing is of the",
        "size it learnt (the Latin word GAN's 32 px words, x-height 10 px), hwrender first redraws the",
        f"alpha at {net.get('scale')}x with this network and traces that (`hwrender/render/upscale.py`). It learnt from",
        "handwriting fonts how a soft low-resolution edge, and a faint join between two letters, are",
        "drawn sharp.",
        "",
        f"Network: {net.get('blocks')} residual 3x3 convolutions of {net.get('channels')} channels at 1x, "
        f"a pixel shuffle to {net.get('scale')}x, one 3x3 convolution there, added to the bilinear "
        "enlargement in logit space; float32 weights.",
        "",
        "## Data",
        f"- {data.get('train_pairs')} training and {data.get('val_pairs')} validation crops "
        f"({train.get('crop')} px wide at 1x, 32 px high) of words ({data.get('words')}) rendered from "
        f"{len(data.get('train_fonts', []))} fonts ({data.get('source')}); "
        f"{len(data.get('val_fonts', []))} other fonts give the validation crops: "
        f"{', '.join(data.get('val_fonts', []))}.",
        f"- Target: the word rendered at {net.get('scale')}x (x-height 9-11 px at 1x). Input: the same "
        "render box-reduced to 1x, "
        f"then blurred (sigma {_range(data.get('degrade', {}).get('blur'))} px), half of them through a "
        f"gamma ({_range(data.get('degrade', {}).get('gamma'))}), darkened "
        f"({_range(data.get('degrade', {}).get('intensity'))}, "
        "the target too) and given per-pixel noise, like the word GAN's ink.",
        f"- Training fonts: {', '.join(data.get('train_fonts', []))}.",
        f"- Licences of the fonts rendered: {', '.join(licences)}. No font file is included.",
        "",
        "## Training",
        f"- {run.get('steps')} steps, {run.get('seconds', 0):.0f} s on "
        f"{run.get('hardware', run.get('cpu', '?'))} ({run.get('device', 'cpu')}).",
        f"- Reproduce: `hwrender train ink-upscaler --max-steps {run.get('steps')}"
        + ("" if data.get("source", "").startswith("installed") else f" --data {data.get('source')}")
        + "` (`hwrender fonts install --model ink-upscaler` first)"
        + (f", with {', '.join(settings)}." if settings else "; every setting at its default."),
        "",
        "## Evaluation",
        "| figure | value |",
        "| --- | --- |",
        f"| L1 to the {net.get('scale')}x render, validation fonts | {ev.get('val_l1', float('nan')):.4f} |",
        f"| L1 of the bilinear enlargement (baseline) | {ev.get('val_l1_bilinear', float('nan')):.4f} |",
        "",
        "What it is for is measured on pages by `benchmarks/bench_ink.py` (Tesseract CER and the",
        "edge band of vector ink with and without it); the figures are in the repository's README.",
        "",
        "## Licence",
        "The weights: MIT, like hwrender. The fonts they were trained on keep their own licences (above).",
        "",
    ]
    return "\n".join(lines)


def _range(value) -> str:
    """A (low, high) setting as "low-high" (a tuple in memory and a list in config.json alike)."""
    try:
        lo, hi = value
        return f"{float(lo):g}-{float(hi):g}"
    except (TypeError, ValueError):
        return str(value)

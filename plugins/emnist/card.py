"""The model card (README.md) of an exported EMNIST AC-GAN: data, training, hardware, figures."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from hwrender import fonts as corpus
from hwrender.errors import UsageError
from hwrender.train.card import figures_table
from hwrender.weights import load_config


def card_for(folder: Path, report: Mapping[str, Any]) -> str:
    """The card of the model in ``folder`` with its evaluation ``report`` (``--write-card``)."""
    return model_card(load_config(folder), report)


def _fonts_table(provenance: Mapping[str, Any]) -> list[str]:
    lines = []
    for split, info in provenance.get("splits", {}).items():
        lines.append(f"\n**{split} split**: {info.get('images', '?')} images from "
                     f"{len(info.get('fonts', []))} fonts\n")
        lines.append("| font | images | licence |")
        lines.append("|---|---|---|")
        for font in info.get("fonts", []):
            fid = font.get("id", "?")
            licence = font.get("license")
            if licence is None:
                try:
                    licence = corpus.get(fid).license
                except UsageError:  # a font the corpus no longer lists
                    licence = "?"
            lines.append(f"| {fid} | {font.get('images', '?')} | {licence} |")
    return lines


def model_card(config: Mapping[str, Any], report: Mapping[str, Any] | None = None) -> str:
    train = config.get("train", {})
    run = config.get("run", {})
    data = config.get("data", {})
    net = config.get("net", {})
    arch = "AC-GAN with the auto-encoder path" if train.get("autoencoder", True) else "plain AC-GAN"
    lines = [
        "# emnist: EMNIST-style character generator",
        "",
        f"A class-conditional GAN ({arch}) over the {len(config.get('chars', ''))} EMNIST "
        f"`{config.get('classes')}` classes: latent ({net.get('latent_dim')}) + class embedding "
        f"({net.get('class_dim')}) → 28×28 grey character. Odena et al. 2017 (AC-GAN); the "
        "auto-encoder stacked on the generator after the \"E/F/MNIST - GAN\" project (an encoder "
        "maps real characters to latents the generator must reconstruct from, so it cannot "
        "collapse to one image per class). Written by `hwrender write --generator Latn=emnist`.",
        "",
        "## Data",
        "",
    ]
    if data.get("generator"):
        lines += [
            "No real EMNIST images can be had where this model was trained, so it was trained on an "
            "EMNIST-format set rendered from open Latin handwriting fonts by "
            f"`{data['generator']}` (seed {data.get('seed')}, {data.get('per_class_per_font')} "
            "samples per class per font, augmented: elastic warp, stroke width, rotation, scale, "
            f"slant), processed as EMNIST processed NIST SD19: {data.get('processing', '')}.",
            "The held-out fonts (test split) were never trained on; they are the real test set of "
            "`hwrender eval emnist`.",
        ]
        lines += _fonts_table(data)
        if data.get("skipped"):
            lines.append("\nSkipped characters (missing, blank or tofu in a font): "
                         + "; ".join(f"{k}: {len(v)}" for k, v in sorted(data["skipped"].items())))
    else:
        lines.append(f"Trained on: {data.get('files') or data.get('source', 'unknown')} "
                     f"({data.get('train_images', '?')} images).")
    lines += [
        "",
        "Placement on the baseline (top, bottom and width of each class in x-heights, medians "
        "over the training fonts) is stored in `config.json` under `placement`.",
        "",
        "## Training",
        "",
        f"- steps: {run.get('steps')}, epochs: {run.get('epochs')}, examples seen: "
        f"{run.get('examples')}",
        f"- hardware: {run.get('hardware')} (device `{run.get('device')}`); time: "
        f"{run.get('seconds')} s ({run.get('examples_per_second')} images/s)",
        f"- optimiser: Adam (lr G {train.get('lr_g')}, D {train.get('lr_d')}, AE "
        f"{train.get('lr_ae')}, beta1 {train.get('beta1')}); label smoothing "
        f"{train.get('real_label')}, input noise {train.get('input_noise')}, dropout "
        f"{train.get('dropout')}, reconstruction weight {train.get('recon_weight')}; EMA "
        f"{train.get('ema')} of the generator is what ships",
        f"- reproduce: `hwrender train emnist --epochs {run.get('epochs')}` (font-built data "
        "when no `--data` is given; Ctrl-C and `--resume` continue a run exactly)",
        f"- default hand (no `--style`): seed {config.get('default_style_seed', 7)}"
        + (f", {config['default_style_selection']}" if config.get("default_style_selection") else ""),
        "",
        "## Evaluation",
        "",
    ]
    if report:
        lines += [f"`hwrender eval emnist` (judge: a small CNN trained only on the real training "
                  f"split; {report.get('samples_per_class')} seeded hands (`--style N`) each write "
                  f"every class once; real test: {report.get('real_test_characters')} characters "
                  "of the held-out fonts):",
                  "", *figures_table(report)]
        if report.get("collapsed_classes"):
            lines.append(f"\nCollapsed classes: {' '.join(report['collapsed_classes'])}")
    else:
        lines.append("Not evaluated yet: run `hwrender eval emnist --weights THIS_FOLDER --write-card`.")
    lines += [
        "",
        "## Licence",
        "",
        "Weights: MIT, like hwrender. Training data: renders of the fonts above, each under its "
        "own licence (see the table); no font file is included in the weights.",
        "",
    ]
    return "\n".join(lines)

"""The model card (README.md) of an exported Latin word GAN: data, fonts and licences, run, figures."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from hwrender.train.card import changed_settings, figures_table

from .config import LatinConfig


def card_for(folder: Path, report: Mapping[str, Any]) -> str:
    """The card of the model in ``folder`` with its evaluation ``report`` (``--write-card``)."""
    from hwrender.weights import load_config

    return model_card(load_config(folder), report)


def _fonts_table(data: Mapping[str, Any]) -> list[str]:
    fonts = data.get("fonts") or []
    if not fonts:
        return []
    lines = ["", "| font | words | licence |", "|---|---|---|"]
    for font in fonts:
        lines.append(f"| {font.get('id', '?')} | {font.get('words', '?')} | "
                     f"{font.get('license', '?')} |")
    return lines


def _batch(run: Mapping[str, Any]) -> str:
    if run.get("batch_size"):
        return str(run["batch_size"])
    if run.get("steps") and run.get("examples"):
        return f"~{round(run['examples'] / run['steps'])}"  # the loop drops small remainders
    return "?"


def model_card(config: Mapping[str, Any], report: Mapping[str, Any] | None = None) -> str:
    net = config.get("net", {})
    train = config.get("train", {})
    run = config.get("run", {})
    data = config.get("data", {})
    lines = [
        "# latin: handwritten words from a BiLSTM-conditioned GAN",
        "",
        "Writes every Latin word of a page (`hwrender write`). After Alonso, Moysset and Messina "
        "2019, *Adversarial Generation of Handwritten Text Images Conditioned on Sequences* "
        "(arXiv 1903.00277), cf. ScrabbleGAN (CVPR 2020):",
        "",
        f"- **text encoder**: character embedding ({net.get('embed_dim')}) + bidirectional LSTM "
        f"({net.get('text_dim')}); each character's vector becomes a patch of the generator's "
        f"first map, so a word is {_widths(net)} before the adapter squeezes it by "
        f"{config.get('width_ratio')} to a natural width;",
        f"- **generator**: latent = style ({net.get('style_dim')}, shared by a document's words) + "
        f"word variation ({net.get('word_dim')}); three up-sampling residual blocks with "
        f"latent-conditioned batch norm; {net.get('height')} px high, grey levels;",
        "- **discriminator**: spectrally normalised residual blocks, hinge loss;",
        "- **recognizer**: a CRNN trained with CTC on real (training) words only; its CTC loss on "
        "generated words trains the generator, its gradient rescaled at the image to "
        f"{train.get('ctc_ratio')}x the adversarial gradient's standard deviation.",
        "",
        f"Character set: {len(config.get('charset', ''))} characters (printable ASCII and the "
        "Latin-1 and Latin Extended-A letters); anything else goes to the next generator.",
        "",
        "## Data",
        "",
        "No permissive real word dataset could be had, so the training words are rendered from open "
        "Latin handwriting fonts over Debian word lists (wamerican, wbritish, and French, German, "
        "Spanish, Italian, Portuguese and Polish lists for accented letters), with capitalised "
        "words, numbers and attached punctuation, augmented (slant, elastic warp, stroke width, "
        "baseline wobble, scale, ink texture). Held-out fonts and held-out words are never "
        "trained on; they are what `hwrender eval latin` measures.",
    ]
    for key in ("words", "vocabulary", "augment", "seed", "build_seconds"):
        if key in data:
            lines.append(f"- {key}: {data[key]}")
    lines += _fonts_table(data)
    lines += [
        "",
        "## Training",
        "",
        f"- command: `hwrender train latin` (recognizer for {train.get('r_steps')} steps, then the "
        f"GAN); batch {_batch(run)}, lr G {train.get('lr_g')} / D "
        f"{train.get('lr_d')}, Adam betas ({train.get('beta1')}, 0.999), EMA {train.get('ema')}",
        f"- settings other than the defaults: {changed_settings(train, LatinConfig)}",
        f"- {run.get('steps', '?')} steps, {run.get('examples', '?')} words, "
        f"{run.get('seconds', '?')} s on {run.get('device', '?')} ({run.get('hardware', '?')})",
        f"- weights: {config.get('weights_dtype')} (the generator's EMA and the recognizer)",
        "",
        "## Evaluation",
        "",
    ]
    if report:
        lines += figures_table(report, verdict="met", float_format=".4g", marks=("yes", "**no**"))
        for note in report.get("notes", []):
            lines.append(f"- {note}")
    else:
        lines.append("Not evaluated yet: run `hwrender eval latin --weights FOLDER --write-card`.")
    lines += [
        "",
        "## Licence",
        "",
        "The weights are released with hwrender. The training fonts' licences are listed above "
        "(OFL-1.1, Apache-2.0, GPL and others); the word lists are Debian's (public domain / "
        "GPL per package). No font file is shipped in these weights.",
        "",
    ]
    return "\n".join(lines)


def _widths(net: Mapping[str, Any]) -> str:
    if not (net.get("narrow") or net.get("wide")):
        return f"drawn {net.get('char_width')} px a character"
    return (f"drawn 8 px a narrow character ({net.get('narrow')}), 24 px a wide one "
            f"({net.get('wide')}) and 16 px any other,")

"""Measure every style of a glyph-styler model for legibility, to choose each script's default.

Each style writes lines of everyday *training* characters (sentences other than the fixed lines
that ``hwrender eval glyph-styler`` reads, and no held-out character) the way the evaluation
writes its lines; Tesseract (``kor`` / ``chi_sim``) reads them. The table prints each style's CER
and its own font's CER on the same lines, most legible first. ``--apply`` makes the most legible
style of each script the model's default (``config.json`` ``default_styles``; with
``--variation V`` also the model's variation, the decoder dropout scale) and rewrites the folder's
manifest. ``--fit-cleanup`` first fits each script's output cleanup (``config.json`` ``cleanup``: a
median filter or a Gaussian blur, then a smoothstep): the most legible of the candidates whose L1
to the target glyphs on training characters stays within the evaluation's target (or no worse
than the raw network's), so the styles are measured with it. Run
``hwrender eval glyph-styler --weights FOLDER --write-card`` after it.

    python scripts/choose_glyph_styles.py --weights runs/glyph-styler/model --fit-cleanup --apply
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

# Not the evaluation's lines (hwrender_plugins.glyph_styler.evaluate.LINES).
LINES = {
    "Hang": ["봄이 오면 꽃이 핍니다", "학교에 가는 길입니다", "저녁을 먹고 산책했어요",
             "친구에게 편지를 씁니다", "바다가 보이는 집", "오늘도 좋은 하루 되세요"],
    "Hani": ["我们明天去公园", "他在图书馆看书", "请喝一杯茶",
             "河边有很多树", "今年夏天很热", "大家好久不见"],
}


def blend_name(style: str, default: str, t: float) -> str:
    """The ``--style`` value of ``style`` blended ``t`` of the way to ``default`` (``style``
    itself at 0 or when it is the default)."""
    if not 0.0 <= t <= 1.0:
        raise SystemExit(f"--toward-default {t} is outside 0-1")
    return style if t == 0 or style == default else f"{style}*{1 - t:g}+{default}*{t:g}"


def measure(styler, truth, script: str, lines: list[str], style: str, seed: int,
            font: str | None = None) -> dict:
    from hwrender_plugins.glyph_styler.evaluate import OCR_LANG, _advances, _line_image

    from hwrender.train.metrics import cer, ocr_line

    space = 0.5 * styler.frames[f"source:{script}"].size
    own = font or style  # the font a blend is measured beside: its own style's
    gen, font_cers = [], []
    for line in lines:
        chars = [c for c in line if not c.isspace()]
        inks = styler.write(chars, style, seed=seed, script=script)
        img = _line_image([i.alpha for i in inks], _advances(line, [i.advance for i in inks], space))
        gen.append(cer(line, ocr_line(img, OCR_LANG[script])))
        if own in truth.fonts:
            real_chars, real = truth.glyphs(own, chars)
            if len(real_chars) == len(chars):
                r = truth.renderer(own)
                img = _line_image(list(real / 255.0), _advances(line, [r.advance(c) for c in chars], space))
                font_cers.append(cer(line, ocr_line(img, OCR_LANG[script])))
    return {"style": style, "script": script, "cer": round(float(np.mean(gen)), 4),
            "font_cer": round(float(np.mean(font_cers)), 4) if font_cers else None}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", required=True, help="model folder")
    parser.add_argument("--seed", default="0", metavar="N[,N...]",
                        help="the seed(s) the lines are written with; with several, each style's "
                             "CER is the mean over them (one seed's 6 lines move a style by 0.05)")
    parser.add_argument("--keep-defaults", action="store_true",
                        help="with --apply: leave the default styles as they are (withhold only)")
    parser.add_argument("--variation", type=float, default=None,
                        help="write at this variation (decoder dropout scale; default: the model's); "
                             "with --apply it becomes the model's")
    parser.add_argument("--fit-cleanup", action="store_true",
                        help="first fit the output cleanup (median, smoothstep) on training characters")
    parser.add_argument("--apply", action="store_true",
                        help="make the most legible style of each script the default")
    parser.add_argument("--toward-default", type=float, default=0.0, metavar="T",
                        help="measure each style blended T of the way to its script's default "
                             "(style*(1-T)+default*T): how far a style must give way to read well")
    parser.add_argument("--withhold-above", type=float, default=None, metavar="CER",
                        help="with --apply: withhold the styles that read worse than this (config.json "
                             "withheld: --style refuses them, seeded hands leave them out), e.g. 0.8")
    parser.add_argument("--json", help="also write the rows to this file")
    args = parser.parse_args(argv)
    try:
        seeds = [int(x) for x in str(args.seed).split(",") if x.strip()]
    except ValueError:
        parser.error(f"--seed {args.seed!r} is not a list of whole numbers")
    if not seeds:
        parser.error("--seed needs at least one seed")
    if args.apply and args.toward_default:
        parser.error("--apply chooses defaults from the styles as they are: leave out --toward-default")
    if args.withhold_above is not None and not args.apply:
        parser.error("--withhold-above writes the model's config: give --apply too")
    from hwrender_plugins.glyph_styler.data import corpus_fonts
    from hwrender_plugins.glyph_styler.evaluate import _Truth
    from hwrender_plugins.glyph_styler.styler import GlyphStyler

    folder = Path(args.weights)
    styler = GlyphStyler.load(str(folder))
    styler.withheld = {}  # every style the model was trained on is measured (and may be withheld anew)
    if args.variation is not None:
        styler.variation = args.variation
    fonts = {f.id: f for f in corpus_fonts()}
    truth = _Truth(styler, fonts)
    if args.fit_cleanup:
        fit_cleanup(styler, truth, seeds[0])
    held = {c for cs in styler.config.get("heldout_chars", {}).values() for c in cs}
    rows = []
    for script, lines in LINES.items():
        bad = {c for line in lines for c in line if not c.isspace()
               and (c in held or c not in styler.charset(script))}
        if bad:
            raise SystemExit(f"lines hold held-out or unserved characters: {''.join(sorted(bad))}")
        for style, sc in zip(styler.styles, styler.style_scripts):
            if sc != script or (style in fonts and fonts[style].hard_to_read):
                continue
            runs = [measure(styler, truth, script, lines,
                            blend_name(style, styler.default_styles.get(script, style), args.toward_default),
                            seed, font=style) for seed in seeds]
            row = {**runs[0], "cer": round(float(np.mean([r["cer"] for r in runs])), 4)}
            if len(seeds) > 1:
                row["cers"] = [r["cer"] for r in runs]
            rows.append({**row, "style": style})
    rows.sort(key=lambda r: (r["script"], r["cer"]))
    for script in LINES:
        mean = np.mean([r["cer"] for r in rows if r["script"] == script])
        print(f"{script}: mean CER {mean:.4f} over its styles at variation {styler.variation}")
    if args.toward_default:
        print(f"each style blended {args.toward_default:g} of the way to its script's default")
    print(f"{'style':24} {'script':6} {'CER':>7} {'its font':>9}")
    for r in rows:
        font = "" if r["font_cer"] is None else f"{r['font_cer']:.4f}"
        print(f"{r['style']:24} {r['script']:6} {r['cer']:7.4f} {font:>9}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1), encoding="utf-8")
    if args.apply:
        withheld = None
        if args.withhold_above is not None:
            withheld = {r["style"]: f"Tesseract reads it at CER {r['cer']:.2f} on the lines of "
                                    "scripts/choose_glyph_styles.py"
                                    + (f" (mean of seeds {args.seed})" if len(seeds) > 1 else "")
                                    + ("" if r["font_cer"] is None else f" (its font at {r['font_cer']:.2f})")
                                    + f", over the limit {args.withhold_above:g}"
                        for r in rows if r["cer"] > args.withhold_above}
        best = {}
        for r in rows:
            if r["style"] not in (withheld or {}):
                best.setdefault(r["script"], r["style"])
        if args.keep_defaults:
            kept = {sc: st for sc, st in styler.default_styles.items() if st not in (withheld or {})}
            lost = set(styler.default_styles) - set(kept)
            if lost:
                raise SystemExit(f"--keep-defaults: the default style of {', '.join(sorted(lost))} "
                                 "would be withheld; leave out --keep-defaults to choose anew")
            best = kept
        _set_defaults(folder, best, args.variation, styler.cleanups if args.fit_cleanup else None,
                      withheld)
        print(f"defaults now: {best}, variation {styler.variation}"
              + ("" if withheld is None else f"; withheld: {', '.join(withheld) or 'none'}"))
    return 0


# (median, blur, lo, hi): median size, Gaussian sigma in px, smoothstep from lo to hi. The first
# is no cleanup at all: the network as it draws.
CLEANUPS = [(0, 0.0, 0.0, 1.0), (3, 0.0, 0.0, 1.0), (0, 0.0, 0.3, 0.7), (3, 0.0, 0.2, 0.8),
            (3, 0.0, 0.3, 0.7), (3, 0.0, 0.1, 0.5), (5, 0.0, 0.3, 0.7), (0, 0.7, 0.2, 0.8),
            (0, 0.7, 0.15, 0.6), (0, 0.7, 0.12, 0.5), (0, 0.7, 0.1, 0.5), (0, 0.7, 0.08, 0.45),
            (0, 0.7, 0.05, 0.3), (0, 0.7, 0.03, 0.2), (0, 1.0, 0.1, 0.5), (0, 0.5, 0.1, 0.5)]


# The evaluation's fidelity target (held-out L1 <= 0.5 x identity) less a margin: training
# characters score like held-out ones (raw network at 7,500 steps: 0.528 on training characters,
# 0.53 held out), but 100 characters per style are a sample.
FIDELITY_BOUND = 0.48


def fit_cleanup(styler, truth, seed: int = 0, per_style: int = 100):
    """Each script's most legible cleanup within the fidelity target: every candidate's L1 /
    identity is measured over the script's styles on ``per_style`` *training* characters (never
    the held-out ones the evaluation reads). A candidate is admissible when it stays within
    ``FIDELITY_BOUND``, or is no worse than the raw network where the raw network is already
    past it (a bolder cleanup reads better but strays from the target glyphs: Tesseract and L1
    pull apart); of those, the one with the lowest mean Tesseract CER over the script's styles
    on ``LINES`` wins. Returns {script: Cleanup}."""
    import torch
    from hwrender_plugins.glyph_styler.data import main_chars, stable_order
    from hwrender_plugins.glyph_styler.styler import Cleanup

    held = {c for cs in styler.config.get("heldout_chars", {}).values() for c in cs}
    styler.cleanups = {}
    drawn = []
    for style, script in zip(styler.styles, styler.style_scripts):
        if style not in truth.fonts:
            continue
        pool = [c for c in stable_order(main_chars(script), f"cleanup-{style}") if c not in held
                and c in styler.charset(script)][:per_style]
        chars, real = truth.glyphs(style, pool)
        gen = styler.run(chars, styler.style_vector(style, script).expand(len(chars), -1), None)
        src = styler.sources(chars).astype(np.float32) / 255
        real = real.astype(np.float32) / 255
        drawn.append((script, torch.from_numpy(gen), real, float(np.abs(src - real).mean())))
    chosen = {}
    for script in LINES:
        styles = [st for st, sc in zip(styler.styles, styler.style_scripts) if sc == script]
        raw = None
        best = None
        for median, blur, lo, hi in CLEANUPS:
            c = Cleanup(median, lo, hi, blur)
            ratio = float(np.mean([np.abs(c(gen).numpy() - real).mean() / ident
                                   for sc, gen, real, ident in drawn if sc == script]))
            raw = ratio if raw is None else raw  # the first candidate is no cleanup at all
            label = (f"{script} cleanup median {c.median} blur {c.blur} smoothstep {c.lo}-{c.hi}: "
                     f"L1 / identity {ratio:.4f}")
            if ratio > max(raw + 1e-4, FIDELITY_BOUND):
                print(f"{label}; past {FIDELITY_BOUND} and worse than raw, not admissible")
                continue
            styler.cleanups = {script: c}
            legibility = float(np.mean([measure(styler, truth, script, LINES[script], style,
                                                seed)["cer"] for style in styles]))
            print(f"{label}; mean CER {legibility:.4f}", flush=True)
            if best is None or legibility < best[0]:
                best = (legibility, c)
        assert best is not None  # the raw network itself is admissible
        chosen[script] = best[1]
        print(f"{script}: chosen cleanup {best[1].to_config()}", flush=True)
    styler.cleanups = chosen
    return chosen


def _set_defaults(folder: Path, defaults: dict[str, str], variation: float | None = None,
                  cleanup=None, withheld: dict[str, str] | None = None) -> None:
    """Rewrite config.json's default styles and variation (and withheld styles, when given; and
    the card, manifest) of a model. The card keeps the figures of the folder's eval.json."""
    from hwrender_plugins.glyph_styler import WEIGHTS_NAME
    from hwrender_plugins.glyph_styler.card import model_card
    from safetensors.torch import load_file

    from hwrender.weights import save_model

    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    config["default_styles"] = {**config.get("default_styles", {}), **defaults}
    config["default_styles_chosen_by"] = ("scripts/choose_glyph_styles.py: the lowest Tesseract CER "
                                          "on sentences other than the evaluation's")
    if variation is not None:
        config["variation"] = variation
    if cleanup is not None:  # {script: Cleanup}
        config["cleanup"] = {script: c.to_config() for script, c in cleanup.items()}
    if withheld is not None:
        config["withheld"] = dict(sorted(withheld.items()))  # as config.json keeps it
        if not withheld:
            del config["withheld"]
    report = None
    if (folder / "eval.json").is_file():
        report = json.loads((folder / "eval.json").read_text(encoding="utf-8"))
    state = load_file(str(folder / "model.safetensors"))
    save_model(folder, state, config, model_card(config, report), name=WEIGHTS_NAME)


if __name__ == "__main__":
    sys.exit(main())

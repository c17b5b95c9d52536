"""``hwrender eval glyph-styler``: is the styler any good?

- **Fidelity** on the held-out characters (never trained on, in any font): L1 and SSIM of each
  style's generated glyph against the true glyph of its font, next to the identity baseline (the
  source glyph against the same target). Target: L1 ≤ 0.5x the identity baseline.
- **Style**: a small font classifier trained on real glyphs only (training characters) names the
  font of generated held-out glyphs; its accuracy on real held-out glyphs is the reference.
- **Legibility**: Tesseract (``kor`` / ``chi_sim``, ``--psm 7``) reads fixed lines written in each
  style, next to the same lines set in the target font and in the source font. Target: CER ≤ 0.10.
  Skipped, with a note, when tesseract or its language data is missing.
- **Held-out fonts**: a new style is fitted to 210 glyphs of each held-out font (the fine-tuning
  path of personal handwriting), then writes the held-out characters: L1 against that font.

Generated glyphs for fidelity and style are the deterministic mean (dropout off); lines for OCR
are written as a page would be (seeded dropout).
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from hwrender.train import apply_overrides
from hwrender.train.metrics import cer, ocr_line, tesseract_langs
from hwrender.train.metrics import figure as _figure

from .data import (
    FontRef,
    Frame,
    GlyphRenderer,
    corpus_fonts,
    folder_fonts,
    font_cmap,
    main_chars,
    measure_frame,
    stable_order,
)
from .model import FontClassifier, to_model
from .styler import GlyphStyler

# Fixed lines for the OCR check: everyday sentences, every character in the served sets.
LINES = {
    "Hang": ["오늘은 날씨가 좋습니다", "한글은 아름다운 글자입니다", "내일 다시 만나요",
             "우리는 함께 공부합니다", "책을 읽는 것을 좋아해요", "감사합니다 또 만나요"],
    "Hani": ["今天天气很好", "我们一起学习中文", "明天见",
             "我喜欢读书", "谢谢你的帮助", "春天来了花开了"],
}
OCR_LANG = {"Hang": "kor", "Hani": "chi_sim"}


@dataclass
class EvalConfig:
    """``hwrender eval glyph-styler --set KEY=VALUE``."""

    max_chars: int = 100  # held-out characters per script
    classifier_chars: int = 150  # real training glyphs per font for the font classifier
    classifier_steps: int = 400
    # font classifiers trained from seeds seed, seed + 1, ...: the style accuracies are their
    # mean (one judge's figure for one model spread 0.18-0.28 over three seeds)
    classifier_seeds: int = 3
    ocr: bool = True
    ocr_lines: int = 6  # lines per script (3 short lines made one misread 1/3 of a line's CER)
    holdout_fonts: bool = True
    holdout_glyphs: int = 210  # glyphs of a held-out font the new style is fitted to
    holdout_steps: int = 200
    variation: float = -1.0  # inference variation for OCR lines; -1: the model's own
    seed: int = 0


def _fonts(config: dict, data: Path | None) -> dict[str, FontRef]:
    found = folder_fonts(Path(data)) if data else corpus_fonts()
    return {f.id: f for f in found}


def ssim(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Mean SSIM per image pair (N,) of float images (N, H, W) in [0, 1]; 7x7 Gaussian window."""
    k = torch.exp(-((torch.arange(7) - 3.0) ** 2) / (2 * 1.5 ** 2))
    w = (k[:, None] * k[None, :]) / k.sum() ** 2
    w = w[None, None].to(a.dtype)
    a, b = a[:, None], b[:, None]
    mu_a, mu_b = F.conv2d(a, w), F.conv2d(b, w)
    var_a = F.conv2d(a * a, w) - mu_a ** 2
    var_b = F.conv2d(b * b, w) - mu_b ** 2
    cov = F.conv2d(a * b, w) - mu_a * mu_b
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    s = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a ** 2 + mu_b ** 2 + c1) * (var_a + var_b + c2))
    return s.mean((1, 2, 3))


class _Truth:
    """True glyphs of the corpus fonts, drawn in the frames the model was trained with."""

    def __init__(self, styler: GlyphStyler, fonts: dict[str, FontRef]):
        self.styler = styler
        self.fonts = fonts
        self._renderers: dict[str, GlyphRenderer] = {}

    def renderer(self, font_id: str) -> GlyphRenderer:
        if font_id not in self._renderers:
            f = self.fonts[font_id]
            frames = self.styler.config["frames"]
            if font_id in frames:
                frame = Frame.from_list(frames[font_id])
            else:  # a held-out font: framed the way training frames a font
                cmap = font_cmap(f.path, f.index)
                fill = float(self.styler.config.get("train", {}).get("fill", 0.75))
                frame = measure_frame(f.path, f.index, [c for c in main_chars(f.script) if c in cmap],
                                      self.styler.size, fill)
            self._renderers[font_id] = GlyphRenderer(f.path, f.index, frame, self.styler.size)
        return self._renderers[font_id]

    def glyphs(self, font_id: str, chars: Sequence[str]) -> tuple[list[str], np.ndarray]:
        """The characters the font really draws, and their glyphs (uint8)."""
        f = self.fonts[font_id]
        cmap = font_cmap(f.path, f.index)
        chars = [c for c in chars if c in cmap]
        if not chars:
            return [], np.zeros((0, self.styler.size, self.styler.size), np.uint8)
        imgs, ink = self.renderer(font_id).render(chars)
        return [c for c, k in zip(chars, ink) if k], imgs[ink]


def evaluate(weights=None, data=None, device: str = "cpu", options: Sequence[str] = (),
             log: Callable[[str], None] | None = None) -> dict:
    """The report for ``hwrender eval glyph-styler`` (see the module docstring)."""
    log = log or (lambda message: None)
    cfg = apply_overrides(EvalConfig(), list(options or ()))
    torch.manual_seed(cfg.seed)
    started = time.perf_counter()
    import copy

    styler = copy.copy(GlyphStyler.load(weights))  # the loaded model is shared: change only this copy
    withheld = sorted(styler.withheld)
    styler.withheld = {}  # every style the network learnt is measured, the withheld ones too
    if cfg.variation >= 0:
        styler.variation = cfg.variation
    fonts = _fonts(styler.config, data)
    truth = _Truth(styler, fonts)
    notes: list[str] = []
    figures: list[dict] = []
    report: dict[str, Any] = {"model": str(weights or "shipped"), "styles": {}, "notes": notes}
    if withheld:
        report["withheld"] = withheld
        notes.append(f"withheld styles (measured, not offered): {', '.join(withheld)}")

    present = [s for s in styler.styles if s in fonts]
    known = {f["id"] for f in styler.config.get("fonts", [])}
    missing = [s for s in styler.styles if s not in fonts and s in known]
    if missing:
        notes.append(f"fonts not installed, their styles not measured: {', '.join(missing)} "
                     "(see `hwrender fonts list`)")
    if not present:
        from hwrender.fonts import NotInstalled

        raise NotInstalled("none of the model's training fonts is installed, so there is no ground truth",
                           "install them with `hwrender fonts install --model glyph-styler`, or "
                           "pass --data FONT_FOLDER")
    heldout = {s: list(cs)[:cfg.max_chars] for s, cs in styler.config.get("heldout_chars", {}).items()}

    # -- fidelity on held-out characters ----------------------------------------------------
    log(f"fidelity: {len(present)} styles on their held-out characters")
    gen_by_style: dict[str, np.ndarray] = {}
    real_by_style: dict[str, np.ndarray] = {}
    sums = {}
    for style in present:
        script = styler.style_scripts[styler.styles.index(style)]
        chars, real = truth.glyphs(style, [c for c in heldout.get(script, []) if c in styler.charset(script)])
        if not chars:
            continue
        src = styler.sources(chars).astype(np.float32) / 255
        vec = styler.style_vector(style, script).expand(len(chars), -1)
        gen = styler.run(chars, vec, None, device)
        real_f = real.astype(np.float32) / 255
        t_gen, t_real, t_src = map(torch.from_numpy, (gen, real_f, src))
        row = {"chars": len(chars),
               "l1": float((t_gen - t_real).abs().mean()),
               "l1_identity": float((t_src - t_real).abs().mean()),
               "ssim": float(ssim(t_gen, t_real).mean()),
               "ssim_identity": float(ssim(t_src, t_real).mean())}
        report["styles"][style] = row
        gen_by_style[style], real_by_style[style] = gen, real_f
        agg = sums.setdefault(script, {k: [] for k in row})
        for k, v in row.items():
            agg[k].append(v)
    for script in ("Hang", "Hani"):
        if script not in sums:
            continue
        m = {k: float(np.mean(v)) for k, v in sums[script].items()}
        ratio = m["l1"] / max(m["l1_identity"], 1e-9)
        figures += [
            _figure(f"{script} held-out L1", round(m["l1"], 4),
                    f"<= 0.5 x identity ({0.5 * m['l1_identity']:.4f})", ratio <= 0.5),
            _figure(f"{script} held-out L1 identity baseline", round(m["l1_identity"], 4)),
            _figure(f"{script} held-out L1 / identity", round(ratio, 3), "<= 0.5", ratio <= 0.5),
            _figure(f"{script} held-out SSIM", round(m["ssim"], 4),
                    f"> identity ({m['ssim_identity']:.4f})", m["ssim"] > m["ssim_identity"]),
        ]

    # -- variation: how different two draws of the same glyph are ------------------------------
    if gen_by_style:
        style = next(iter(gen_by_style))
        script = styler.style_scripts[styler.styles.index(style)]
        chars = [c for c in heldout.get(script, []) if c in styler.charset(script)][:32]
        vec = styler.style_vector(style, script).expand(len(chars), -1)
        a, b = styler.run(chars, vec, 1, device), styler.run(chars, vec, 2, device)
        report["variation"] = styler.variation
        figures.append(_figure("variation: mean |difference| of two draws", round(
            float(np.abs(a - b).mean()), 4), f"> 0 (variation {styler.variation})",
            bool(np.abs(a - b).mean() > 0)))

    # -- style: a font classifier trained on real glyphs ------------------------------------
    if len(gen_by_style) >= 2 and cfg.classifier_steps > 0:
        log("style: training a font classifier on real glyphs")
        judged = _style_accuracy(styler, truth, list(gen_by_style), gen_by_style,
                                 real_by_style, heldout, cfg, device)
        acc_real, acc_gen = (float(np.mean([j[k] for j in judged])) for k in (0, 1))
        spread = f"; {len(judged)} classifiers {min(j[1] for j in judged):.3f}-" \
                 f"{max(j[1] for j in judged):.3f}" if len(judged) > 1 else ""
        figures += [_figure("style accuracy on generated glyphs", round(acc_gen, 3),
                            f"reference: {acc_real:.3f} on real held-out glyphs{spread}"),
                    _figure("style accuracy on real held-out glyphs", round(acc_real, 3))]

    # -- legibility: Tesseract ----------------------------------------------------------------
    if cfg.ocr:
        log("legibility: Tesseract on lines in every style")
        figures += _ocr_figures(styler, truth, present, cfg, device, notes, report)

    # -- held-out fonts: fit a new style to 210 glyphs ----------------------------------------
    if cfg.holdout_fonts:
        held_fonts = [f["id"] for f in styler.config.get("fonts", []) if f.get("holdout")
                      and f["id"] in fonts]
        for font_id in held_fonts:
            log(f"held-out font {font_id}: fitting a new style to {cfg.holdout_glyphs} glyphs")
            row = _holdout_font(styler, truth, font_id, heldout, cfg, device)
            if row is None:
                continue
            report["styles"][f"{font_id} (held-out font)"] = row
            ratio = row["l1"] / max(row["l1_identity"], 1e-9)
            figures.append(_figure(f"held-out font {font_id}: L1 after fitting {row['glyphs']} glyphs",
                                   round(row["l1"], 4),
                                   f"identity {row['l1_identity']:.4f}; ratio {ratio:.3f}",
                                   ratio <= 0.5))
    report["figures"] = figures
    report["seconds"] = round(time.perf_counter() - started, 1)
    return report


def _style_accuracy(styler, truth, styles, gen_by_style, real_by_style, heldout, cfg,
                    device) -> list[tuple[float, float]]:
    """Train ``classifier_seeds`` font classifiers on real training-character glyphs; each one's
    (accuracy on real held-out glyphs, on generated ones)."""
    held = {c for cs in heldout.values() for c in cs}
    xs, ys = [], []
    for k, style in enumerate(styles):
        f = truth.fonts[style]
        pool = [c for c in stable_order(main_chars(f.script), f"cls-{style}") if c not in held]
        chars, real = truth.glyphs(style, pool[:cfg.classifier_chars])
        xs.append(real)
        ys += [k] * len(chars)
    x = torch.from_numpy(np.concatenate(xs))
    y = torch.tensor(ys)
    return [_judge(x, y, styles, gen_by_style, real_by_style, cfg.seed + k, cfg.classifier_steps,
                   device) for k in range(max(1, cfg.classifier_seeds))]


def _judge(x, y, styles, gen_by_style, real_by_style, seed: int, steps: int,
           device) -> tuple[float, float]:
    g = torch.Generator().manual_seed(seed)
    # its initial weights from the seed too, not from torch's global generator (whose state
    # depends on what ran before): two models are judged by the same classifier
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        clf = FontClassifier(len(styles)).to(device)
    opt = torch.optim.Adam(clf.parameters(), 1e-3)
    clf.train()
    for _ in range(steps):
        idx = torch.randint(0, len(x), (64,), generator=g)
        loss = F.cross_entropy(clf(to_model(x[idx]).to(device)), y[idx].to(device))
        opt.zero_grad()
        loss.backward()
        opt.step()
    clf.eval()

    def accuracy(images: dict[str, np.ndarray]) -> float:
        right = total = 0
        with torch.no_grad():
            for k, style in enumerate(styles):
                a = torch.from_numpy(images[style]).float()
                pred = clf(to_model(a).to(device)).argmax(1).cpu()
                right += int((pred == k).sum())
                total += len(a)
        return right / max(1, total)

    return accuracy(real_by_style), accuracy(gen_by_style)


def _line_image(alphas: Sequence[np.ndarray], advances: Sequence[float], pad: int = 24) -> np.ndarray:
    """Glyphs side by side on one baseline (they share the canvas rows), dark on white, uint8."""
    h = alphas[0].shape[0]
    width = int(sum(advances)) + max(a.shape[1] for a in alphas) + 2 * pad
    canvas = np.zeros((h + 2 * pad, width), np.float32)
    x = float(pad)
    for a, adv in zip(alphas, advances):
        x0 = int(round(x))
        region = canvas[pad:pad + h, x0:x0 + a.shape[1]]
        np.maximum(region, a[:, :region.shape[1]], out=region)
        x += adv
    return np.rint((1.0 - canvas) * 255).astype(np.uint8)


def _ocr_figures(styler, truth, styles, cfg, device, notes, report) -> list[dict]:
    if shutil.which("tesseract") is None:
        notes.append("OCR skipped: tesseract is not installed (apt-get install tesseract-ocr "
                     "tesseract-ocr-kor tesseract-ocr-chi-sim)")
        return []
    langs = tesseract_langs()
    figures = []
    per_style = {}
    for script, lang in OCR_LANG.items():
        own = [s for s in styles if styler.style_scripts[styler.styles.index(s)] == script
               and not truth.fonts[s].hard_to_read]
        if not own:
            continue
        if lang not in langs:
            notes.append(f"OCR of {script} skipped: tesseract has no '{lang}' data "
                         f"(apt-get install tesseract-ocr-{lang.replace('_', '-')})")
            continue
        lines = LINES[script][:cfg.ocr_lines]
        src_cers, gen_cers, font_cers = [], [], []
        src_r = styler.renderer(script)
        for line in lines:
            chars = [c for c in line if not c.isspace()]
            space = 0.5 * styler.frames[f"source:{script}"].size
            # the source font: the reference a plain typeface gets
            imgs, _ = src_r.render(chars)
            adv = _advances(line, [src_r.advance(c) for c in chars], space)
            src_cers.append(cer(line, ocr_line(_line_image(list(imgs / 255.0), adv), lang)))
            for style in own:
                inks = styler.write(chars, style, seed=cfg.seed, device=device, script=script)
                gen_img = _line_image([i.alpha for i in inks],
                                      _advances(line, [i.advance for i in inks], space))
                g = cer(line, ocr_line(gen_img, lang))
                r = truth.renderer(style)
                real_chars, real = truth.glyphs(style, chars)
                f = None
                if len(real_chars) == len(chars):
                    real_img = _line_image(list(real / 255.0),
                                           _advances(line, [r.advance(c) for c in chars], space))
                    f = cer(line, ocr_line(real_img, lang))
                    font_cers.append(f)
                gen_cers.append(g)
                per_style.setdefault(style, []).append({"line": line, "cer": g, "font_cer": f})
        g_mean = float(np.mean(gen_cers))
        f_mean = float(np.mean(font_cers)) if font_cers else None
        figures += [
            _figure(f"{script} OCR CER, generated ({lang})", round(g_mean, 4), "<= 0.10",
                    g_mean <= 0.10),
            _figure(f"{script} OCR CER, same lines in the target fonts",
                    round(f_mean, 4) if f_mean is not None else "n/a"),
            _figure(f"{script} OCR CER, source font", round(float(np.mean(src_cers)), 4)),
        ]
        # what a user gets by default: the script's default style, next to its own font
        default = styler.default_styles.get(script)
        if default in per_style:
            rows = per_style[default]
            d_gen = float(np.mean([r["cer"] for r in rows]))
            d_font = [r["font_cer"] for r in rows if r["font_cer"] is not None]
            figures.append(_figure(
                f"{script} OCR CER, default style {default}", round(d_gen, 4),
                "<= 0.10" + (f" (its font: {np.mean(d_font):.4f})" if d_font else ""),
                d_gen <= 0.10))
        # what a user can choose: every offered style (the withheld ones left out), the worst of them
        offered = [s for s in own if s not in report.get("withheld", ())]
        if offered:
            means = {s: float(np.mean([r["cer"] for r in per_style[s]])) for s in offered}
            worst = max(means, key=means.get)
            figures.append(_figure(
                f"{script} OCR CER, offered styles ({len(offered)} of {len(own)})",
                round(float(np.mean(list(means.values()))), 4),
                f"<= 0.15 each (worst: {worst} {means[worst]:.4f}; "
                f"{sum(v <= 0.15 for v in means.values())} of {len(offered)} within)",
                means[worst] <= 0.15))
    report["ocr"] = per_style
    return figures


def _advances(line: str, advances: Sequence[float], space: float) -> list[float]:
    """Per-character advances with word spaces folded into the advance before them."""
    out, k = [], 0
    for i, ch in enumerate(line):
        if ch.isspace():
            if out:
                out[-1] += space
            continue
        out.append(float(advances[k]))
        k += 1
    return out


def _holdout_font(styler, truth, font_id, heldout, cfg, device) -> dict | None:
    """Fit a new style vector to ``holdout_glyphs`` glyphs of a held-out font; measure held-out chars."""
    from .base import style_loss

    f = truth.fonts[font_id]
    script = f.script
    held = set(heldout.get(script, []))
    pool = [c for c in stable_order(main_chars(script), f"fit-{font_id}") if c not in held
            and c in styler.charset(script)]
    fit_chars, fit_real = truth.glyphs(font_id, pool[:cfg.holdout_glyphs])
    test_chars, test_real = truth.glyphs(font_id, [c for c in heldout.get(script, [])
                                                   if c in styler.charset(script)])
    if len(fit_chars) < 10 or not test_chars:
        return None
    model = styler._model_on(device)
    import copy

    model = copy.deepcopy(model).to(device)
    model.requires_grad_(False)
    src = to_model(torch.from_numpy(styler.sources(fit_chars))).to(device)
    tgt = to_model(torch.from_numpy(fit_real)).to(device)
    with torch.no_grad():  # start from the nearest trained style
        model.eval()
        l1s = [float((model(src[:64], torch.full((len(src[:64]),), s, device=device))[0]
                      - tgt[:64]).abs().mean()) for s in range(model.cfg.n_styles)]
    vec = torch.nn.Parameter(model.styles.weight[int(np.argmin(l1s))].detach().clone())
    opt = torch.optim.Adam([vec], 0.01)
    g = torch.Generator().manual_seed(cfg.seed)
    train_cfg = styler.config.get("train", {})
    model.train()
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.eval()
    for _ in range(cfg.holdout_steps):
        idx = torch.randint(0, len(src), (32,), generator=g)
        loss, _, _ = style_loss(model, src[idx], tgt[idx], vec.expand(len(idx), -1),
                                train_cfg.get("l1_weight", 100.0), train_cfg.get("const_weight", 15.0))
        opt.zero_grad()
        loss.backward()
        opt.step()
    gen = styler.run(test_chars, vec.detach().cpu().expand(len(test_chars), -1), None, device)
    real = test_real.astype(np.float32) / 255
    src_t = styler.sources(test_chars).astype(np.float32) / 255
    return {"glyphs": len(fit_chars), "chars": len(test_chars),
            "l1": float(np.abs(gen - real).mean()), "l1_identity": float(np.abs(src_t - real).mean()),
            "ssim": float(ssim(torch.from_numpy(gen), torch.from_numpy(real)).mean())}

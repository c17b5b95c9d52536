"""Fitting the glyph styler to a person's hand (``hwrender styles add``): the ``glyph-styler`` part.

The samples it serves are the Hangul and Han characters (of any sheet) that the source font
covers. Each is cropped to its ink and placed in the 64 px frame the way training placed a
font's glyphs (``data.place_glyphs``: one scale for a script's whole set, so the writer's small
and large characters stay so, the median glyph as large as the source font's; each centred where
its source glyph is). Then, as ``--finetune`` does (``finetune.StyleFit``), one new style vector
per script, starting from the script's nearest shipped style, and the decoder's outer levels
(``DECODER_FROM`` on) are fitted with the L1 and constant losses; the rest of the network stays
frozen. No adversarial loss: there is no discriminator in the shipped weights, and a few hundred
steps would not train one. About 15 % of the characters of each script are held back to measure
the fit on characters it never saw, next to the default style, the nearest shipped style and the
source font drawn as is.

The writer's ink is levelled so that a stroke's core is full ink (``INK_FULL``), and the part
keeps, per script, the output cleanup (``CLEANUPS``: blur and smoothstep) that draws the fitted
characters nearest the writer's, crop-and-fit: the fitted network's strokes come out thinner and
greyer than the shipped cleanup was chosen for.

The part holds ``style.<script>`` vectors and ``delta.<name>`` float16 differences of the moved
decoder tensors from the base model (whose weights' sha256 the config records: the part is never
applied to another model). A script without samples writes in its default style with the
untouched network, so a Hangul-only sheet leaves Han as it was.
"""

from __future__ import annotations

import copy
import time
from typing import Any, Mapping

import numpy as np
import torch

from hwrender.errors import InputError, WeightsError
from hwrender.styles.types import FitRequest, FitResult
from hwrender.text.scripts import hangul_or_han

from .data import SCRIPTS, load_ink, place_glyphs, stable_order
from .styler import FAMILY, GlyphStyler

PART_FORMAT = 1
# Measured on the shipped model, the held-out font gaegu playing a writer (210 syllables, 32
# held back, 150 steps each, a shared CPU), held-back L1: style vector alone 0.1226; with the
# decoder's levels from 3 on (0.33 M weights, 0.66 MB as float16 differences) 0.1148; from 2 on
# (those drawing at 8..64 px: 1.4 M weights, 2.8 MB) 0.1081; the whole decoder 0.1031 but
# 10 MB; default style 0.1462, nearest shipped style 0.1266. Each took no longer than the vector.
DECODER_FROM: int | None = 2
STEPS = 600  # ~0.15 s a step at BATCH 32 on 2 free CPU cores: ~2 min with the measuring
BATCH = 32
LR = 0.01  # the style vectors (as --finetune)
DECODER_LR = 1e-4
HOLD_BACK = 0.15  # of each script's characters, to measure the fit on unseen characters
MIN_HOLD_BACK = 10  # a script with fewer characters keeps all of them for fitting
BUDGET_SHARE = 0.85  # of request.budget_s: stop early rather than overrun
# A photographed pen stroke, levelled between paper and its darkest pixel, is full ink only in
# its core: blur and JPEG leave its edges grey. Ink from this level on counts as full, which
# brings the writer's glyphs (crop-and-fit) to the ink of the font that filled the sheet:
# held-out gaegu 0.129 -> 0.158 mean ink (font 0.162), L1 to the font 0.061 -> 0.052;
# nanum-barunpen 0.129 -> 0.160 (font 0.160), 0.074 -> 0.069. Han left as levelled: on the
# brush face long-cang the fit's held-back crop-and-fit L1 to the font was 0.1652 with it, 0.1626
# without (250 steps each; unseen fitted/default 0.756 with, 0.724 in an earlier run without).
INK_FULL = {"Hang": 0.6, "Hani": 1.0}
# Cleanups (blur px, smoothstep lo, hi) a fitted style chooses from, besides its script's own:
# whichever draws the fitted characters nearest the writer's (crop-and-fit L1). The network
# fitted with L1 to a few hundred glyphs draws thinner, greyer strokes than it was shown (gaegu:
# 0.088 mean ink vs 0.122), which a lower smoothstep darkens (and OCR reads better: broken
# strokes join); or its soft grey edges may be nearer the writer's than the shipped smoothstep
# makes them. Each blurs, as the shipped Hangul cleanup does, to keep the output layer's speckle
# off the page, and lo stays above the network's haze around the glyph.
CLEANUPS = [(b, lo, hi) for b in (0.5, 1.0)
            for lo, hi in ((0.0, 1.0), (0.1, 0.5), (0.05, 0.35), (0.05, 0.25))]
CLEANUP_CHARS = 64  # fitted characters the choice draws


def fit(request: FitRequest) -> FitResult | None:
    """The glyph styler's part of a style, or ``None`` when no sample is Hangul or Han it writes."""
    from hwrender.device import resolve_device

    started = time.perf_counter()
    styler = GlyphStyler.load(str(request.weights_dir) if request.weights_dir else None,
                              request.offline)
    notes: list[str] = []
    picked = _serving(request.samples, styler, notes)
    if not picked:
        return None
    device = resolve_device(str(request.device))
    request.progress(0.0, "glyph styler: placing the glyphs")
    sets = _place(picked, styler)  # script -> (chars, sources u8, targets u8)
    scripts = [s for s in SCRIPTS if s in sets]

    # fit pairs and held-back characters, per script
    train_src, train_tgt, groups, held = [], [], [], {}
    for g, script in enumerate(scripts):
        chars, src, tgt = sets[script]
        back = _held_back(chars, request.seed)
        keep = np.asarray([c not in back for c in chars])
        held[script] = (np.flatnonzero(~keep), chars)
        train_src.append(src[keep])
        train_tgt.append(tgt[keep])
        groups += [g] * int(keep.sum())
    sources = torch.from_numpy(np.concatenate(train_src))
    targets = torch.from_numpy(np.concatenate(train_tgt))
    groups_t = torch.tensor(groups, dtype=torch.long)

    from .finetune import StyleFit

    train_cfg = styler.config.get("train", {})
    sf = StyleFit(styler.model, sources, targets, device, decoder_from=DECODER_FROM, lr=LR,
                  decoder_lr=DECODER_LR, l1_weight=float(train_cfg.get("l1_weight", 100.0)),
                  const_weight=float(train_cfg.get("const_weight", 15.0)), groups=groups_t)
    table = styler.model.styles.weight.detach()
    nearest = {}
    for g, script in enumerate(scripts):
        rows = [styler.styles.index(s) for s in styler.known_styles(script)] or \
            list(range(len(styler.styles)))
        nearest[script] = sf.nearest_style(rows, torch.nonzero(groups_t == g).flatten())
    sf.start_from(torch.stack([table[nearest[s]] for s in scripts]))

    steps = STEPS if request.steps is None else max(0, int(request.steps))
    done, l1 = _loop(sf, steps, request, started)
    if done < steps:
        notes.append(f"stopped after {done} of {steps} steps to stay within "
                     f"{request.budget_s:.0f} s")

    base = {k: v.detach().cpu().float() for k, v in styler.model.state_dict().items()}
    tensors: dict[str, torch.Tensor] = {f"style.{s}": sf.style[g].detach().cpu().float().clone()
                                        for g, s in enumerate(scripts)}
    for key, p in sf.moving().items():
        tensors[f"delta.{key}"] = (p.detach().cpu().float() - base[key]).half().contiguous()
    config = {"format": PART_FORMAT,
              "base": {"model": styler.name, "sha256": styler.identity()},
              "scripts": {s: {"start": styler.styles[nearest[s]]} for s in scripts},
              "decoder_from": DECODER_FROM}

    request.progress(0.96, "glyph styler: choosing the cleanup")
    fitted, vectors = apply_part(styler, "the new style", config, tensors)
    inks = {s: {ch: ink for sc, ch, ink in picked if sc == s} for s in scripts}
    config["cleanup"] = {}
    for s in scripts:
        back = {sets[s][0][k] for k in held[s][0]}
        chars = [c for c in dict.fromkeys(sets[s][0]) if c not in back]
        chars = stable_order(chars, f"fit-cleanup-{request.seed}")[:CLEANUP_CHARS]
        config["cleanup"][s] = _choose_cleanup(fitted, vectors[s], chars, inks[s], device)
    request.progress(0.97, "glyph styler: measuring held-back characters")
    fitted, vectors = apply_part(styler, "the new style", config, tensors)
    held_figures = {s: _measure(styler, fitted, vectors[s], s, sets[s], held[s][0],
                                styler.styles[nearest[s]], device, inks[s]) for s in scripts}
    seconds = time.perf_counter() - started
    nbytes = sum(t.numel() * t.element_size() for t in tensors.values())
    used = {s: int((groups_t == g).sum()) for g, s in enumerate(scripts)}
    figures = {
        "method": "style vector per script" + (
            f" + decoder levels {DECODER_FROM}+" if DECODER_FROM is not None else ""),
        "steps": done, "batch": BATCH, "final_train_l1": round(l1, 4),
        "fit_s": round(seconds, 1), "device": device,
        "samples_fitted": used, "samples_held_back": {s: int(len(held[s][0])) for s in scripts},
        "part_bytes": nbytes, "held_back": held_figures,
    }
    for s in scripts:
        h = held_figures[s]
        if h:
            notes.append(f"{s}: held-back crop-and-fit L1 {h['fit_l1_fitted']:.4f} fitted, "
                         f"{h['fit_l1_default']:.4f} default style; "
                         f"plain L1 {h['l1_fitted']:.4f} fitted, {h['l1_default']:.4f} "
                         f"default style {h['default_style']}, {h['l1_nearest']:.4f} nearest "
                         f"style {h['nearest_style']}, {h['l1_source']:.4f} source font")
    missing = [s for s in SCRIPTS if s not in sets]
    if missing:
        notes.append(f"no samples of {', '.join(missing)}: written in its default style")
    request.progress(1.0, "glyph styler: done")
    return FitResult(tensors=tensors, config=config, used=sum(used.values()), figures=figures,
                     notes=notes)


def _serving(samples, styler: GlyphStyler, notes: list[str]) -> list[tuple[str, str, np.ndarray]]:
    """(script, character, cropped ink) of the samples the styler can learn from."""
    out, blank = [], 0
    for sample in samples:
        ch = sample.text
        if sample.kind != "char" or len(ch) != 1:
            continue
        script = hangul_or_han(ch)
        if script not in SCRIPTS or ch not in styler.charset(script):
            continue
        try:
            ink = load_ink(sample.path)
        except (InputError, OSError):
            blank += 1
            continue
        out.append((script, ch, _trim(np.clip(ink / INK_FULL[script], 0.0, 1.0))))
    if blank:
        notes.append(f"{blank} glyph samples without readable ink were left out")
    return out


def _trim(ink: np.ndarray, share: float = 0.01) -> np.ndarray:
    """The ink without specks, cropped to it: a blot (8-connected) with under ``share`` of the
    ink is a speck that box-line removal or the paper left, and must not count in the glyph's
    size or position; a pen's dot in a character is a few per cent of its ink."""
    import torch.nn.functional as F

    mask = torch.from_numpy(ink > 0.2)
    ids = torch.arange(1, mask.numel() + 1, dtype=torch.float64).view(mask.shape)
    labels = torch.where(mask, ids, torch.zeros_like(ids))
    while True:  # each blot takes its largest pixel number
        grown = F.max_pool2d(labels[None, None], 3, stride=1, padding=1)[0, 0]
        more = torch.where(mask, grown, labels)
        if torch.equal(more, labels):
            break
        labels = more
    flat = labels.long().flatten()
    mass = torch.bincount(flat, weights=torch.from_numpy(ink).double().flatten(),
                          minlength=mask.numel() + 1)
    mass[0] = 0.0
    keep = mass >= share * float(mass.sum())
    kept = keep[flat].view(mask.shape).numpy() & mask.numpy()
    ink = np.where(kept | ~mask.numpy(), ink, 0.0)
    rows, cols = np.flatnonzero(kept.any(1)), np.flatnonzero(kept.any(0))
    if rows.size == 0:
        return ink
    return ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


def _place(picked, styler: GlyphStyler) -> dict[str, tuple[list[str], np.ndarray, np.ndarray]]:
    out = {}
    for script in SCRIPTS:
        rows = [(ch, ink) for s, ch, ink in picked if s == script]
        if rows:
            chars = [ch for ch, _ in rows]
            src = styler.sources(chars)
            out[script] = (chars, src, place_glyphs([ink for _, ink in rows], src))
    return out


def _held_back(chars: list[str], seed: int) -> set[str]:
    unique = list(dict.fromkeys(chars))
    if len(unique) < MIN_HOLD_BACK:
        return set()
    return set(stable_order(unique, f"fit-held-back-{seed}")[:max(1, round(HOLD_BACK * len(unique)))])


def _loop(sf, steps: int, request: FitRequest, started: float) -> tuple[int, float]:
    """``steps`` seeded optimiser steps (fewer if the budget runs out); (steps done, last L1)."""
    n = len(sf.targets)
    g = torch.Generator().manual_seed(int(request.seed))
    every = max(1, steps // 50)
    l1, done = float("nan"), 0
    cuda = str(sf.device).startswith("cuda")
    devices = [torch.device(sf.device).index or 0] if cuda else []
    with torch.random.fork_rng(devices=devices):  # dropout draws from the global RNG: seed it here only
        torch.manual_seed(int(request.seed))
        for done in range(1, steps + 1):
            idx = torch.randint(0, n, (min(BATCH, n),), generator=g)
            l1 = sf.step(idx)["l1"]
            if done % every == 0 or done == steps:
                request.progress(0.95 * done / steps, f"glyph styler: step {done}/{steps}, L1 {l1:.3f}")
            if time.perf_counter() - started > BUDGET_SHARE * request.budget_s:
                break
    return done, l1


def _measure(styler: GlyphStyler, fitted: GlyphStyler, vector: torch.Tensor, script: str, placed,
             rows: np.ndarray, nearest: str, device: str,
             inks: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """L1 on the held-back characters: plain (deterministic mean glyphs, as ``hwrender eval``)
    and crop-and-fit (as written, seed 0, to the writer's ink: shape and stroke weight only, as
    ``hwrender eval own-hand`` compares)."""
    from hwrender.styles.evaluate import crop_and_fit

    if len(rows) == 0:
        return {}
    chars, src, tgt = placed
    chars = [chars[k] for k in rows]
    truth = tgt[rows].astype(np.float32) / 255
    default = styler.default_styles.get(script) or styler.known_styles(script)[0]

    def l1(styler_, vec) -> float:
        out = styler_.run(chars, vec.expand(len(chars), -1), None, device)
        return round(float(np.abs(out - truth).mean()), 4)

    ink = np.stack([crop_and_fit(inks[c]) for c in chars])

    def fit_l1(styler_, vec) -> float:
        out = styler_.run(chars, vec.expand(len(chars), -1), 0, device)
        return round(float(np.abs(np.stack([crop_and_fit(a) for a in out]) - ink).mean()), 4)

    row = {"chars": len(chars),
           "fit_l1_fitted": fit_l1(fitted, vector),
           "fit_l1_default": fit_l1(styler, styler.style_vector(default, script)),
           "l1_fitted": l1(fitted, vector),
           "l1_default": l1(styler, styler.style_vector(default, script)),
           "default_style": default,
           "l1_nearest": l1(styler, styler.style_vector(nearest, script)),
           "nearest_style": nearest,
           "l1_source": round(float(np.abs(src[rows].astype(np.float32) / 255 - truth).mean()), 4)}
    row["ratio_to_default"] = round(row["l1_fitted"] / max(row["l1_default"], 1e-9), 3)
    row["fit_ratio_to_default"] = round(row["fit_l1_fitted"] / max(row["fit_l1_default"], 1e-9), 3)
    return row


def _choose_cleanup(fitted: GlyphStyler, vector: torch.Tensor, chars: list[str],
                    inks: Mapping[str, np.ndarray], device: str) -> dict[str, float]:
    """The cleanup (of ``CLEANUPS``) whose output of ``chars`` is nearest the writer's inks,
    crop-and-fit (size and place aside: the shape and the stroke weight), as written (seed 0)."""
    from hwrender.styles.evaluate import crop_and_fit

    from .styler import Cleanup, drop_haze

    own = fitted.cleanups.get(hangul_or_han(chars[0])) if chars else None
    if not chars:
        return (own or Cleanup()).to_config()
    raw = copy.copy(fitted)
    raw.cleanups = {}
    alphas = torch.from_numpy(raw.run(chars, vector.expand(len(chars), -1), 0, device))
    truth = np.stack([crop_and_fit(inks[c]) for c in chars])
    best, best_l1 = None, float("inf")
    candidates = ([own] if own is not None else []) + [Cleanup(0, lo, hi, b) for b, lo, hi in CLEANUPS]
    for cleanup in candidates:
        out = drop_haze(cleanup(alphas.clone())).numpy()
        l1 = float(np.abs(np.stack([crop_and_fit(a) for a in out]) - truth).mean())
        if l1 < best_l1 - 1e-6:
            best, best_l1 = cleanup, l1
    return best.to_config()


def apply_part(styler: GlyphStyler, style, config: Mapping[str, Any],
               tensors: Mapping[str, torch.Tensor]) -> tuple[GlyphStyler, dict[str, torch.Tensor]]:
    """The styler that draws a fitted part (the moved tensors in a copy of the network) and the
    part's style vector per script. A part fitted to another model is refused."""
    base = (config.get("base") or {}).get("sha256")
    if base != styler.identity():
        raise WeightsError(f"style {style} was fitted to another {FAMILY} model",
                           f"refit with `hwrender styles add {style} DIR --force`")

    def damaged(problem: str) -> WeightsError:
        return WeightsError(f"style {style}'s {FAMILY} part is damaged ({problem})",
                            f"refit with `hwrender styles add {style} DIR --force`")

    state = styler.model.state_dict()
    vectors = {}
    for script in config.get("scripts") or {}:
        vec = tensors.get(f"style.{script}")
        if vec is None or tuple(vec.shape) != (styler.cfg.embed_dim,):
            raise damaged(f"no style vector of {styler.cfg.embed_dim} numbers for {script}")
        vectors[script] = vec.float()
    deltas = {k[len("delta."):]: v for k, v in tensors.items() if k.startswith("delta.")}
    for key, d in deltas.items():
        if key not in state or tuple(state[key].shape) != tuple(d.shape):
            raise damaged(f"{key} is not a tensor of the model's shape")
    cleanups = config.get("cleanup") or {}
    if not deltas and not cleanups:
        return styler, vectors
    fitted = copy.copy(styler)
    if cleanups:
        from .styler import Cleanup

        try:
            chosen = {s: Cleanup.from_config(c) for s, c in cleanups.items() if s in SCRIPTS}
        except WeightsError:
            raise damaged("its cleanup settings are out of range") from None
        fitted.cleanups = {**styler.cleanups, **chosen}
    if deltas:
        model = copy.deepcopy(styler.model)
        with torch.no_grad():
            fitted_state = model.state_dict()
            for key, d in deltas.items():
                fitted_state[key].add_(d.to(fitted_state[key].dtype))
        fitted.model = model.eval()
    return fitted, vectors

"""Fit the Latin word GAN to a person's hand (``hwrender styles add``): ``fit(FitRequest)``.

**Samples.** Words and lines of the ``latin`` sheet (lines are cut into their words at the widest
gaps) and characters of the ``latin`` and ``emnist`` sheets. Each is brought into the GAN's word
frame (``words``: 32 rows, baseline at row 23, x-height 10 px): a word's horizontal ink profile
gives its x-height band (the rows around the densest one holding at least ``BAND`` of its ink);
the band's bottom is the written baseline (the printed one where the two disagree), and the
writer's x-height is the median band of the words without capitals or digits (ascenders are
thin, so they stay out of the band). Every word is scaled by 10 px / that x-height. Characters
are one-letter words, scaled by their own median x-height letter and set on the baseline;
descending letters and punctuation are left out. A word's target for the generator is its ink
(1 px margin) resized to the generator's width for its text, as the training words are.

**Method** (measured on the shipped model: see the model card's section and ``figures``):
(a) *inversion*: the style vector starts at the best of ``SEED_HANDS`` seeded hands and is
optimised (Adam) to reconstruct the fitted words, each step a batch of them with fresh word
variation (as a page draws it), the loss a blurred L1 plus a plain L1 after the model's ink
curve, the model's CTC recognizer as a legibility guard and a pull towards the latent prior;
(b) *fine-tuning*, after (a): the latent-conditioned batch norms' gain and bias layers move too
(small learning rate, same loss). About 15 % of the words are held back: (b) is kept only if it
lowers their reconstruction L1 without raising the recognizer's CER on them by more than
``CER_SLACK``. The writer's width per letter is measured, not learned: the style's
``width_ratio``. A style stores only what moved: the vector (``style``) and, with (b), the tuned
layers; its config records the base model's sha256 (the generator refuses another base).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from hwrender.styles.types import FitRequest, FitResult, Sample

from . import words as W

MODEL_NAME = "latin"
# inversion steps; fine-tuning takes FINETUNE_SHARE more. A step (16 words, generator and
# recognizer forward and backward) costs ~1.5 CPU s on a 2-core machine shared ~6 ways; 45 steps
# already gave most of the gain on a 208-sample sheet (model card)
DEFAULT_STEPS = 120
FINETUNE_SHARE = 0.5
SEED_HANDS = 16           # seeded hands tried as the starting point
BATCH = 16                # words a step
HOLD_BACK = 0.15          # share of the words kept out of the fit to measure it
LR_STYLE = 0.03
LR_TUNE = 3e-4
CTC_WEIGHT = 0.02         # the recognizer's CTC loss per character, against L1 per pixel
PRIOR_WEIGHT = 0.02       # pull of the style vector towards the N(0, 1) prior (|z|^2 / dim)
CHAR_WEIGHT = 0.25        # a character box counts a quarter of a word
CER_SLACK = 0.05
BAND = 0.4                # an x-height row holds at least this share of the densest row's ink
INK_FLOOR = 0.08          # below this a sample's ink is paper (scanner noise)
DESCENDING = set("gjpqyQ")
CHAR_OK = set("abcdefhiklmnorstuvwxzABCDEFGHIJKLMNOPRSTUVWXYZ0123456789")
X_LETTERS = set("acemnorsuvwxz")
# nominal spreads of the shape features between hands (in x-heights): the distance that says how
# much closer the fitted hand is to the writer weighs each feature by one of these
FEATURE_SCALE = {"slant": 0.2, "stroke": 0.05, "width": 0.15}


@dataclass
class Word:
    text: str
    image: np.ndarray   # float32 [HEIGHT, natural width + 2] alpha, the GAN's word frame
    weight: float = 1.0

    @property
    def natural(self) -> float:
        return max(1.0, self.image.shape[1] - 2.0)


# ----------------------------------------------------------------------------- normalisation
def _band(ink: np.ndarray, hint: float | None) -> tuple[int, int] | None:
    """(top, bottom) rows of the x-height band of a word's ink (bottom exclusive: the baseline)."""
    rows = ink.sum(1)
    if rows.max() <= 0:
        return None
    rows = np.convolve(rows, [0.25, 0.5, 0.25], mode="same")
    if hint is not None:  # the densest row lies above the written line, not in the descenders
        limit = int(min(len(rows), max(1, hint + 0.15 * len(rows))))
        peak = int(np.argmax(rows[:limit]))
    else:
        peak = int(np.argmax(rows))
    keep = rows >= BAND * rows[peak]
    top = bottom = peak
    while top > 0 and keep[top - 1]:
        top -= 1
    while bottom < len(rows) - 1 and keep[bottom + 1]:
        bottom += 1
    return top, bottom + 1


def _split_line(ink: np.ndarray, n: int) -> list[tuple[int, int]] | None:
    """Column spans of the ``n`` words of a line: the ``n - 1`` widest gaps between ink, if they
    stand out from the gaps inside words (else None: the line is not used)."""
    cols = np.flatnonzero(ink.max(0) > 0.25)
    if not len(cols):
        return None
    if n == 1:
        return [(int(cols[0]), int(cols[-1]) + 1)]
    jumps = np.diff(cols)
    order = np.argsort(-jumps, kind="stable")
    if len(order) < n - 1:
        return None
    cut = np.sort(order[:n - 1])
    chosen = jumps[order[n - 2]]
    rest = jumps[order[n - 1]] if len(order) >= n else 1
    if chosen < 3 or chosen < 1.5 * rest:
        return None
    starts = [cols[0]] + [cols[i + 1] for i in cut]
    ends = [cols[i] + 1 for i in cut] + [cols[-1] + 1]
    return [(int(a), int(b)) for a, b in zip(starts, ends)]


def _frame(ink: np.ndarray, scale: float, baseline: float) -> np.ndarray | None:
    """``ink`` scaled by ``scale``, its ``baseline`` row on the frame's, cropped to its ink
    columns with 1 px each side: float32 [HEIGHT, w]."""
    h, w = ink.shape
    size = (max(1, round(h * scale)), max(1, round(w * scale)))
    t = torch.from_numpy(np.ascontiguousarray(ink, np.float32))[None, None]
    small = F.interpolate(t, size=size, mode="bilinear", align_corners=False,
                          antialias=True)[0, 0].numpy()
    out = np.zeros((W.HEIGHT, size[1]), np.float32)
    shift = int(round(W.BASELINE - baseline * size[0] / h))
    src0, dst0 = max(0, -shift), max(0, shift)
    n = min(size[0] - src0, W.HEIGHT - dst0)
    if n <= 0:
        return None
    out[dst0:dst0 + n] = small[src0:src0 + n]
    out[out < INK_FLOOR] = 0
    cols = np.flatnonzero(out.max(0) > 0.25)
    if not len(cols):
        return None
    out = out[:, max(0, cols[0] - 1):cols[-1] + 2]
    if out.shape[1] < cols[-1] - cols[0] + 3:
        out = np.pad(out, ((0, 0), (1 if cols[0] == 0 else 0, 1)))
    return out


def _clean(sample: Sample) -> np.ndarray:
    ink = sample.ink()
    ink = np.where(ink < INK_FLOOR, 0.0, ink)
    level = np.quantile(ink[ink > 0.3], 0.9) if (ink > 0.3).any() else 1.0
    return np.clip(ink / max(level, 0.3), 0, 1).astype(np.float32)  # the pen's ink as full ink


def normalise(samples: list[Sample]) -> tuple[list[Word], list[Word], dict]:
    """(words, characters, notes) in the GAN's frame; see the module doc."""
    pieces = []  # (text, ink, hint baseline)
    for s in samples:
        if s.template != "latin" or s.kind not in ("word", "line"):
            continue
        ink = _clean(s)
        texts = s.text.split()
        if not texts or not all(W.writable(t) for t in texts):
            continue
        spans = _split_line(ink, len(texts))
        if spans is None:
            continue
        for text, (a, b) in zip(texts, spans):
            pieces.append((text, ink[:, a:b], s.baseline))
    bands = [_band(ink, hint) for _, ink, hint in pieces]
    plain = [b[1] - b[0] for (text, _, _), b in zip(pieces, bands)
             if b is not None and text.isalpha() and text.islower()]
    heights = plain or [b[1] - b[0] for b in bands if b is not None]
    x_height = float(np.median(heights)) if heights else None
    words = []
    for (text, ink, hint), band in zip(pieces, bands):
        if band is None or x_height is None:
            continue
        base = float(band[1])
        if hint is not None and abs(base - hint) > 0.6 * x_height:
            base = float(hint)
        img = _frame(ink, W.X_HEIGHT / x_height, base)
        if img is not None:
            words.append(Word(text, img))
    chars = _chars(samples, x_height)
    return words, chars, {"x_height_px": x_height, "words": len(words), "chars": len(chars)}


def _chars(samples: list[Sample], word_x_height: float | None) -> list[Word]:
    found = []
    for s in samples:
        if s.kind != "char" or s.template not in ("latin", "emnist") or s.text not in CHAR_OK:
            continue
        ink = _clean(s)
        rows = np.flatnonzero(ink.max(1) > 0.25)
        if len(rows):
            found.append((s.text, ink, int(rows[0]), int(rows[-1]) + 1))
    heights = [bottom - top for text, _, top, bottom in found if text in X_LETTERS]
    x_height = float(np.median(heights)) if heights else word_x_height
    out = []
    for text, ink, top, bottom in found:
        if x_height is None:
            break
        img = _frame(ink, W.X_HEIGHT / x_height, float(bottom))
        if img is not None:
            out.append(Word(text, img, CHAR_WEIGHT))
    return out


# ------------------------------------------------------------------------------- the fit
def _targets(net_config, words: list[Word]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(text, lengths, [B, 1, HEIGHT, widest] alpha): each word at the generator's width."""
    widths = [net_config.width(w.text) for w in words]
    out = torch.zeros(len(words), 1, W.HEIGHT, max(widths))
    for i, (w, width) in enumerate(zip(words, widths)):
        t = torch.from_numpy(w.image)[None, None]
        out[i, :, :, :width] = F.interpolate(t, size=(W.HEIGHT, width), mode="bilinear",
                                             align_corners=False, antialias=True)[0]
    text, lengths = W.encode([w.text for w in words])
    return text, lengths, out.clamp_(0, 1)


def _blur(x: torch.Tensor) -> torch.Tensor:
    k = torch.tensor([1.0, 4.0, 6.0, 4.0, 1.0], device=x.device) / 16
    x = F.conv2d(F.pad(x, (2, 2, 0, 0)), k.view(1, 1, 1, 5))
    return F.conv2d(F.pad(x, (0, 0, 2, 2)), k.view(1, 1, 5, 1))


class _Fitter:
    def __init__(self, gen, recognizer, device: str, seed: int):
        from .generator import STYLE_SPREAD, WORD_SPREAD

        self.gen, self.cfg, self.device = gen, gen.net_config, device
        self.net = gen.net.to(device).eval().requires_grad_(False)
        self.recognizer = recognizer
        self.curve = gen.ink_curve.to(device) if gen.ink_curve is not None else None
        self.word_spread, self.style_spread = WORD_SPREAD, STYLE_SPREAD
        self.rng = torch.Generator().manual_seed(int(seed))

    def alpha(self, text, lengths, style, word_z=None, rng=None) -> torch.Tensor:
        from .generator import apply_ink_curve

        n = len(text)
        if word_z is None:
            word_z = self.word_spread * torch.randn(n, self.cfg.word_dim, generator=rng or self.rng)
        z = torch.cat([style.expand(n, -1), word_z.to(self.device)], 1)
        img = self.net(text.to(self.device), lengths.to(self.device), z)
        alpha = (img + 1) / 2
        return apply_ink_curve(alpha, self.curve) if self.curve is not None else alpha

    def loss(self, batch, style, weights, rng=None) -> torch.Tensor:
        from .model import ctc_loss

        text, lengths, target = batch
        alpha = self.alpha(text, lengths, style, rng=rng)
        target = target.to(self.device)
        per = (_blur(alpha) - _blur(target)).abs().mean((1, 2, 3)) \
            + 0.5 * (alpha - target).abs().mean((1, 2, 3))
        loss = (per * weights).sum() / weights.sum()
        if self.recognizer is not None and CTC_WEIGHT:
            log_probs = self.recognizer(alpha * 2 - 1)
            frames = torch.full((len(text),), log_probs.shape[0], dtype=torch.long)
            loss = loss + CTC_WEIGHT * ctc_loss(log_probs, text.to(self.device),
                                                lengths.to(self.device), frames.to(self.device))
        return loss + PRIOR_WEIGHT * style.pow(2).mean()

    def batch(self, words: list[Word]):
        pick = torch.randperm(len(words), generator=self.rng)[:BATCH].tolist()
        chosen = [words[i] for i in pick]
        weights = torch.tensor([w.weight for w in chosen], device=self.device)
        return _targets(self.cfg, chosen), weights

    @torch.no_grad()
    def start(self, words: list[Word], hands: int) -> torch.Tensor:
        """The best of ``hands`` seeded hands (the default hand among them) on a batch."""
        batch, weights = self.batch(words)
        best, best_loss = None, math.inf
        for seed in range(hands):
            hand = self.gen.style_vector(None if seed == 0 else str(seed)).to(self.device)
            # every hand judged on the same word variation
            loss = float(self.loss(batch, hand, weights, torch.Generator().manual_seed(0)))
            if loss < best_loss:
                best, best_loss = hand, loss
        return best.clone()

    def run(self, words, style, params, lr_style, lr_tune, steps, progress, done, total,
            deadline=math.inf):
        """(style, steps run): Adam on the style (and ``params``); stops early at ``deadline``
        (``time.perf_counter``), so a slow machine keeps to the budget."""
        style = style.clone().requires_grad_(True)
        groups = [{"params": [style], "lr": lr_style}]
        if params:
            groups.append({"params": params, "lr": lr_tune})
        opt = torch.optim.Adam(groups)
        for step in range(steps):
            batch, weights = self.batch(words)
            loss = self.loss(batch, style, weights)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if step % 10 == 0 or step == steps - 1:
                progress((done + step + 1) / total, f"fitting the hand (loss {loss.item():.3f})")
            if time.perf_counter() > deadline:
                return style.detach(), step + 1
        return style.detach(), steps


def tuned_names(net) -> list[str]:
    """The fine-tuned tensors: every latent-conditioned batch norm's gain and bias layers."""
    return [k for k, _ in net.named_parameters()
            if k.startswith("blocks.") and k.split(".")[2] in ("n1", "n2")]


def _recognizer(files, net_config, device):
    from hwrender.errors import WeightsError
    from hwrender.neural import load_module

    from .model import Recognizer

    try:
        return load_module(files, lambda: Recognizer(net_config), prefix="recognizer.",
                           device=device).requires_grad_(False)
    except WeightsError:
        return None  # a model exported without its recognizer: no legibility guard


MIN_WORDS = 8  # fewer words than this (e.g. a sheet of single characters): no Latin part


def fit(request: FitRequest) -> FitResult | None:
    """The ``latin`` part of a style, or None when no sample serves it (see the module doc)."""
    start_time, start_cpu = time.perf_counter(), time.process_time()
    words, chars, notes = normalise(request.samples)
    if len(words) < MIN_WORDS:
        # A word GAN learns a hand from words (joins, spacing, x-height); characters alone (an
        # emnist sheet) serve the EMNIST generator, and would leave nothing to measure here.
        return None
    from .generator import LatinGenerator

    torch.manual_seed(int(request.seed))
    gen = LatinGenerator(None if request.weights_dir is None else str(request.weights_dir),
                         offline=request.offline or None)
    device = request.device or "cpu"
    recognizer = _recognizer(gen._files, gen.net_config, device)
    rng = np.random.default_rng(int(request.seed))
    order = rng.permutation(len(words))
    n_back = int(round(HOLD_BACK * len(words))) if len(words) >= 4 else 0
    held = [words[i] for i in order[:n_back]]
    fitted = [words[i] for i in order[n_back:]] + chars
    steps = DEFAULT_STEPS if request.steps is None else max(1, int(request.steps))
    tune_steps = max(1, int(round(FINETUNE_SHARE * steps)))
    total = steps + tune_steps
    progress = request.progress
    progress(0.0, "fitting the Latin hand")

    f = _Fitter(gen, recognizer, device, request.seed)
    style, ran = f.run(fitted, f.start(fitted, min(SEED_HANDS, 1 + steps)), [], LR_STYLE, 0,
                       steps, progress, 0, total, start_time + 0.55 * request.budget_s)
    ratio = _width_ratio(gen.net_config, [w for w in words if w.weight == 1.0] or words)
    base_state = {k: v.detach().clone() for k, v in f.net.state_dict().items()}
    names = tuned_names(f.net)
    params = dict(f.net.named_parameters())
    for k in names:
        params[k].requires_grad_(True)
    tuned_style, tuned_ran = f.run(fitted, style, [params[k] for k in names], LR_STYLE / 3,
                                   LR_TUNE, tune_steps, progress, steps, total,
                                   start_time + 0.85 * request.budget_s)
    f.net.requires_grad_(False)
    tuned_state = {k: params[k].detach().clone() for k in names}

    def measure(hand, ratio_, state):
        f.net.load_state_dict({**base_state, **state})
        return _measure(f, held or words, hand, ratio_)

    default = measure(gen.style_vector(None).to(device), gen.width_ratio, {})
    inverted = measure(style, ratio, {})
    tuned = measure(tuned_style, ratio, tuned_state)
    f.net.load_state_dict(base_state)
    keep_tuned = tuned["l1"] < inverted["l1"] and tuned["cer"] <= inverted["cer"] + CER_SLACK
    chosen = tuned if keep_tuned else inverted
    tensors = {"style": (tuned_style if keep_tuned else style).detach().cpu().float()}
    if keep_tuned:
        tensors.update({k: v.cpu().float() for k, v in tuned_state.items()})
    fit_s = time.perf_counter() - start_time
    writer = _features(held or words)
    figures = {
        "method": "inversion+finetune" if keep_tuned else "inversion",
        "samples": {"words": len(words), "chars": len(chars), "held_back": len(held)},
        "x_height_px": round(notes["x_height_px"], 2) if notes["x_height_px"] else None,
        "steps": {"inversion": ran, "finetune": tuned_ran},
        "measured_on": "held-back words" if held else "fitted words (too few to hold back)",
        "l1": {"default": default["l1"], "inversion": inverted["l1"], "finetune": tuned["l1"]},
        "cer": {"default": default["cer"], "inversion": inverted["cer"],
                "finetune": tuned["cer"]},
        "features": {"writer": writer, "default": default["features"],
                     "fitted": chosen["features"]},
        "features_closer": closer(writer, default["features"], chosen["features"]),
        "width_ratio": round(ratio, 4),
        "fit_s": round(fit_s, 1),
        # CPU seconds of this process (all threads): what the fit costs on a machine it shares
        "cpu_s": round(time.process_time() - start_cpu, 1),
        "device": str(device),
    }
    progress(1.0, "fitted the Latin hand")
    config = {"base_sha256": gen.identity(), "width_ratio": round(ratio, 4),
              "method": figures["method"], "tuned": sorted(tensors) if keep_tuned else [],
              "profile": writer_profile(words)}
    used = len(fitted)
    text_notes = [f"{len(words)} words and {len(chars)} characters in the writer's frame "
                  f"(x-height {figures['x_height_px']} px on the sheet); {len(held)} words held back",
                  f"kept {figures['method']}: held-back L1 default {default['l1']:.4f}, "
                  f"inversion {inverted['l1']:.4f}, fine-tuned {tuned['l1']:.4f}"]
    return FitResult(tensors=tensors, config=config, used=used, figures=figures, notes=text_notes)


def writer_profile(words: list[Word]) -> dict:
    """The writer's hand profile (``hands.Profile``: slant, stroke, width per letter, coverage)
    measured as the training fonts' were (``hands.word_features``) on their words in the frame;
    word space and size stay the model's (1.0)."""
    from . import hands

    feats = hands.word_features([w.image for w in words], [w.text for w in words], W.X_HEIGHT)
    return hands.Profile(**{k: feats[k] for k in hands.FEATURES}).to_dict()


def _width_ratio(net_config, words: list[Word]) -> float:
    ratios = [w.natural / net_config.width(w.text) for w in words]
    return float(np.clip(np.median(ratios), 0.2, 3.0))


# ----------------------------------------------------------------------------- measurement
@torch.no_grad()
def _measure(f: _Fitter, words: list[Word], style: torch.Tensor, ratio: float) -> dict:
    """Crop-and-fit L1 against ``words``, recognizer CER and the shape features of the hand's
    words (fixed word variation: every hand is measured on the same draws)."""
    from hwrender.train.metrics import levenshtein

    from .model import greedy_decode

    text, lengths, _ = _targets(f.cfg, words)
    g = torch.Generator().manual_seed(12345)
    word_z = f.word_spread * torch.randn(len(words), f.cfg.word_dim, generator=g)
    alpha = f.alpha(text, lengths, style.to(f.device), word_z).cpu()
    l1s, made = [], []
    errors = total = 0
    if f.recognizer is not None:
        decoded = greedy_decode(f.recognizer((alpha * 2 - 1).to(f.device)).cpu())
    for i, w in enumerate(words):
        width = f.cfg.width(w.text)
        raw = alpha[i, 0, :, :width]
        natural = F.interpolate(raw[None, None], size=(W.HEIGHT, max(1, round(width * ratio))),
                                mode="bilinear", align_corners=False, antialias=True)[0, 0].numpy()
        made.append(Word(w.text, _crop(natural)))
        l1s.append(crop_fit_l1(made[-1].image, w.image))
        if f.recognizer is not None:
            errors += levenshtein(decoded[i], text[i, :len(w.text)].tolist())
            total += len(w.text)
    return {"l1": round(float(np.mean(l1s)), 4),
            "cer": round(errors / total, 4) if total else None,
            "features": _features(made)}


def _crop(alpha: np.ndarray) -> np.ndarray:
    cols = np.flatnonzero(alpha.max(0) > 0.25)
    if not len(cols):
        return alpha
    return alpha[:, max(0, cols[0] - 1):cols[-1] + 2]


def crop_fit_l1(made: np.ndarray, truth: np.ndarray) -> float:
    """Mean |a - b| of two word images in the frame, each cropped to its ink and ``made``
    resized to ``truth``'s width (the layout's, not the letters': width is a shape feature)."""
    made, truth = _crop(made), _crop(truth)
    t = torch.from_numpy(np.ascontiguousarray(made, np.float32))[None, None]
    fitted = F.interpolate(t, size=truth.shape, mode="bilinear", align_corners=False,
                           antialias=True)[0, 0].numpy()
    return float(np.abs(fitted - truth).mean())


def shape_features(alpha: np.ndarray, n_chars: int) -> dict:
    """Slant (the shear that makes strokes most upright), stroke width and width per letter of a
    word in the frame, in x-heights (slant as a shear: px across per px up)."""
    ink = alpha > 0.5
    ys, xs = np.nonzero(ink)
    if not len(xs):
        return {"slant": 0.0, "stroke": 0.0, "width": 0.0}
    slant = 0.0
    for _ in range(4):  # the estimate is biased towards upright: measure again on the word
        slant = float(np.clip(slant + _lean(_shear(alpha, -slant)), -1.0, 1.0))
    edges = np.count_nonzero(ink[1:] != ink[:-1]) + np.count_nonzero(ink[:, 1:] != ink[:, :-1])
    stroke = 2.0 * len(xs) / max(edges, 1)
    width = (xs.max() + 1 - xs.min()) / max(1, n_chars)
    return {"slant": slant, "stroke": stroke / W.X_HEIGHT, "width": width / W.X_HEIGHT}


def _lean(alpha: np.ndarray) -> float:
    """The strokes' lean from the image gradient: across a near-upright stroke leaning by s (px
    across per px up) the gradient (gx, gy) has gy = s * gx; least squares over the pixels whose
    gradient is nearer horizontal than vertical (round letters dilute it towards 0)."""
    a = np.pad(alpha.astype(np.float64), 1, mode="edge")
    gx = (a[1:-1, 2:] - a[1:-1, :-2]) * 2 + (a[:-2, 2:] - a[:-2, :-2]) + (a[2:, 2:] - a[2:, :-2])
    gy = (a[2:, 1:-1] - a[:-2, 1:-1]) * 2 + (a[2:, :-2] - a[:-2, :-2]) + (a[2:, 2:] - a[:-2, 2:])
    upright = np.abs(gx) > np.abs(gy)
    sxx = float(np.sum(gx[upright] ** 2))
    return float(np.sum(gx[upright] * gy[upright]) / sxx) if sxx > 0 else 0.0


def _shear(alpha: np.ndarray, s: float) -> np.ndarray:
    """``alpha`` sheared about the baseline: the tops move right by ``s`` px per px up."""
    h, w = alpha.shape
    pad = int(math.ceil(abs(s) * h)) + 1
    out = np.zeros((h, w + 2 * pad), np.float32)
    xs = np.arange(w + 2 * pad, dtype=np.float64) - pad
    for y in range(h):
        out[y] = np.interp(xs - s * (W.BASELINE - y - 0.5), np.arange(w), alpha[y], 0.0, 0.0)
    return out


def _features(words: list[Word]) -> dict:
    rows = [shape_features(w.image, len(w.text)) for w in words if len(w.text) >= 2] or \
        [shape_features(w.image, len(w.text)) for w in words]
    return {k: round(float(np.median([r[k] for r in rows])), 4) for k in FEATURE_SCALE}


def closer(writer: dict, default: dict, fitted: dict) -> dict:
    """How much closer the fitted hand's features are to the writer's than the default hand's:
    1 - distance(fitted) / distance(default), per feature and together (each feature in its
    ``FEATURE_SCALE``). 0.4 = 40 % closer; negative = further."""
    out = {}
    before = after = 0.0
    for k, scale in FEATURE_SCALE.items():
        d0, d1 = abs(default[k] - writer[k]), abs(fitted[k] - writer[k])
        out[k] = round(1 - d1 / d0, 3) if d0 > 1e-9 else None
        before, after = before + d0 / scale, after + d1 / scale
    out["all"] = round(1 - after / before, 3) if before > 1e-9 else None
    return out

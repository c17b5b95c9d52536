"""Fitting the EMNIST AC-GAN to a person's hand (``hwrender styles add``).

The writer's character boxes (the 62 EMNIST classes, from the ``emnist`` or the ``latin`` sheet)
are first made to look like the training set: the whole sheet is scaled so that its capitals are
``synth.CAP_PX`` tall, its strokes are brought into the width range the training fonts were
augmented over (the same grey-scale dilation or erosion, one radius for the whole sheet, so the
writer's thick and thin characters stay so), and each character then goes through the EMNIST
processing of ``synth`` (blur, crop to the ink, centre in a square, bicubic to 28 x 28).

The hand is one style latent, as a seeded hand is. Three ways to find it, each measured:

- ``encoder``: the auto-encoder path's encoder maps every character to a latent; the style is
  their trimmed mean;
- ``inversion``: starting there, the latent that makes the generator rebuild the writer's
  characters (L1, each through its own class), with a weak pull towards the prior;
- ``finetune``: the inverted latent plus the generator's batch-norm scales and shifts and its
  last convolution, tuned on the characters with an L2 anchor to the shipped values, and
  guarded by the AC-GAN's auxiliary classifier (every class, written with the per-character
  variation, must stay recognisable: unguarded, it lost 6 points of recognition on Kalam).

A seeded 15 % of the characters and a tenth of the classes are held back, each method is fitted
on the rest and scored by L1 on what was held back (characters not fitted, classes never
seen); of the methods the auxiliary classifier still reads (within RECOGNITION_SLACK of the
default hand), the one with the lowest mean of the two is refitted on every character and
stored. Fine-tuned tensors are stored only when fine-tuning won. The classifier that guards
fine-tuning also gives the ``recognised_*`` figures, so they flatter it: the held-back L1s are
the figures to trust.

Measured on the shipped model, Kalam (a font held out of its training) filled into the emnist
sheet at 200 dpi and extracted (195 characters): held-back L1 0.112 default, 0.095 encoder,
0.088 inversion, 0.074 fine-tuned; left-out classes 0.089, 0.078, 0.075, 0.079; 50 s on one
shared CPU thread (25 CPU s).
"""

from __future__ import annotations

import math
import time

import numpy as np
import torch
import torch.nn.functional as F

from hwrender.errors import UsageError, WeightsError
from hwrender.styles.types import FitRequest, FitResult, Sample
from hwrender.weights import model_files

from . import synth
from .classes import get as class_set
from .generator import (MODEL_NAME, STYLE_SPREAD, VARIATION, config_schema, model_identity,
                        style_seed_latent)
from .model import Discriminator, Encoder, Generator, NetConfig

TEMPLATES = ("emnist", "latin")
STEPS = 150  # Adam steps of the inversion, and again of fine-tuning
BATCH = 32  # characters per step
LR_LATENT = 0.05
LR_FINETUNE = 2e-3
PRIOR_WEIGHT = 0.02  # pull of the latent towards N(0, STYLE_SPREAD²), per dimension
ANCHOR_WEIGHT = 1.0  # L2 pull of fine-tuned tensors back to the shipped ones (mean square)
HOLD_BACK = 0.15  # share of the characters held back to score the fit
LEAVE_OUT = 0.1  # share of the classes left out of the fit to score unseen classes
TRIM = 0.2  # trimmed mean of the encoded latents: this share cut at each end, per dimension
INK_FLOOR = 0.1  # ink below this is paper (scanner grey, a faint smudge)
INK_LEVEL = 0.5  # ink at or above this counts when measuring heights and strokes
CAP_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
ASCENDER_CHARS = "bdfhklt"  # as tall as capitals in most hands, when a sheet has no capitals
METHODS = ("encoder", "inversion", "finetune")
GUARD_WEIGHT = 0.05  # weight of the auxiliary classifier's cross-entropy while fine-tuning
RECOGNITION_SLACK = 5.0  # points of auxiliary-classifier accuracy a method may lose against default


def serves(sample: Sample, chars: str) -> bool:
    return (sample.kind == "char" and sample.template in TEMPLATES and len(sample.text) == 1
            and sample.text in chars)


def fit(request: FitRequest) -> FitResult | None:
    """Fit a style latent (and, if it measures better, a few generator tensors) to the writer's
    EMNIST characters; ``None`` when no sample is one of them."""
    start = time.perf_counter()
    files = model_files(MODEL_NAME, request.weights_dir, request.offline)
    files.validate(config_schema(), closed=("net",))
    classes = class_set(files.config["classes"])
    chars = "".join(c for c in synth.cls.BYCLASS.chars if _has_label(classes, c))
    chosen = [s for s in request.samples if serves(s, chars)]
    if not chosen:
        return None
    request.progress(0.0, "emnist: reading the characters")
    images, texts = normalise_samples(chosen)
    if not len(images):
        return None
    device = torch.device(request.device)
    net_cfg = NetConfig(**files.config["net"])
    from hwrender.neural import load_module

    G = load_module(files, lambda: Generator(net_cfg), prefix="generator.",
                    device=request.device).requires_grad_(False)
    notes = []
    try:
        E = load_module(files, lambda: Encoder(net_cfg), prefix="encoder.",
                        device=request.device).requires_grad_(False)
    except WeightsError:  # a model exported without its encoder: inversion starts from the prior
        E = None
        notes.append("the model has no encoder: the latent is found by inversion alone")
    x = torch.from_numpy(images).float().div(127.5).sub(1).unsqueeze(1).to(device)
    y = torch.tensor([classes.label(c) for c in texts], dtype=torch.long, device=device)
    steps = STEPS if request.steps is None else max(0, int(request.steps))
    default = style_seed_latent(int(files.config.get("default_style_seed", 7)), net_cfg.latent_dim)
    default = default.to(device)

    # -- measure: fit on part, score on what was held back -----------------------------------
    fitted, held, unseen = split(texts, request.seed)
    methods = [m for m in METHODS if E is not None or m != "encoder"]
    request.progress(0.05, "emnist: measuring the fits on held-back characters")
    D = load_judge(files, net_cfg, request.device)
    chain = fit_chain(G, E, x[fitted], y[fitted], default, steps, request.seed, D=D)
    scores: dict[str, dict] = {"default": _score(G, None, default, x, y, held, unseen)}
    for method in methods:
        z, tuned = chain.get(method, chain["encoder"])
        scores[method] = _score(G, tuned, z, x, y, held, unseen)
    scores["writer"] = _writer_spread(x, texts, held)
    # a method that writes the writer's characters closer but makes them harder to tell apart
    # (fine-tuning can) is passed over: legibility first, within RECOGNITION_SLACK of default
    legible = {name: recognised(D, G, *chain.get(name, chain["encoder"]), len(classes))
               for name in methods}
    floor = (recognised(D, G, default, None, len(classes)) or 0.0) - RECOGNITION_SLACK
    choices = [m for m in methods if legible[m] is None or legible[m] >= floor] or methods[:1]
    best = min(choices, key=lambda m: _rank(scores[m]))

    # -- the style itself: the best method on every character --------------------------------
    request.progress(0.5, f"emnist: fitting the style ({best})")
    final = fit_chain(G, E, x, y, default, steps, request.seed, upto=best, D=D)
    z, tuned = final.get(best, final["encoder"])
    request.progress(0.9, "emnist: checking the fitted hand")
    accuracy = {"default": recognised(D, G, default, None, len(classes)),
                **{f"{m}_measured": legible[m] for m in methods},
                "fitted": recognised(D, G, z, tuned, len(classes))}
    tensors = {"style": z.detach().float().cpu().contiguous()}
    for key, value in (tuned or {}).items():
        tensors["generator." + key] = value.detach().float().cpu().contiguous()
    config = {"base_sha256": model_identity(files), "method": best,
              "latent_dim": net_cfg.latent_dim, "classes": classes.name}
    seconds = time.perf_counter() - start
    figures = {
        "method": best,
        "samples_used": len(y), "held_back": int(len(held)),
        "left_out_classes": "".join(sorted({texts[i] for i in unseen})),
        **{f"l1_held_back_{name}": s["held"] for name, s in scores.items()},
        **{f"l1_left_out_{name}": s["unseen"] for name, s in scores.items() if name != "writer"},
        **{f"recognised_{name}": value for name, value in accuracy.items() if value is not None},
        "fit_s": round(seconds, 2),
    }
    request.progress(1.0, "emnist: done")
    return FitResult(tensors=tensors, config=config, used=len(y), figures=figures, notes=notes)


def _has_label(classes, char: str) -> bool:
    try:
        classes.label(char)
    except UsageError:  # a character the class set has no label for
        return False
    return True


# --- the writer's characters as EMNIST samples ------------------------------------------------

def normalise_samples(samples: list[Sample]) -> tuple[np.ndarray, list[str]]:
    """uint8 N x 28 x 28 (ink bright, as the training set) and the characters, for the samples
    with ink; one scale and one stroke change for the whole sheet (see the module)."""
    inks, texts = [], []
    for sample in samples:
        ink = _crop(sample.ink())
        if ink is not None:
            inks.append(ink)
            texts.append(sample.text)
    if not inks:
        return np.zeros((0, synth.SIDE, synth.SIDE), np.uint8), []
    scale = synth.CAP_PX / _cap_height(inks, texts)
    scaled = [_resize(ink, scale) for ink in inks]
    stroke = float(np.median([synth._stroke_width(a) for a in scaled]))
    low, high = (t * synth.CAP_PX for t in synth.Augment().stroke)
    radius = round((low - stroke) / 2) if stroke < low else -round((stroke - high) / 2) if stroke > high else 0
    canvas = np.stack([_on_canvas(_restroke(a, radius)) for a in scaled])
    _, blur = synth._operators(synth.Augment().elastic_grid)
    blurred = (blur @ torch.from_numpy(canvas) @ blur.T).numpy()
    return synth._crop_centre_resize(blurred), texts


def _crop(ink: np.ndarray) -> np.ndarray | None:
    ink = np.where(ink >= INK_FLOOR, ink, 0.0).astype(np.float32)
    rows, cols = np.flatnonzero(ink.max(1) >= INK_LEVEL), np.flatnonzero(ink.max(0) >= INK_LEVEL)
    if not len(rows):
        return None
    return ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


def _cap_height(inks: list[np.ndarray], texts: list[str]) -> float:
    """The sheet's capital height in px: capitals and digits, else ascenders, else all ink."""
    for group in (CAP_CHARS, ASCENDER_CHARS):
        heights = [ink.shape[0] for ink, t in zip(inks, texts) if t in group]
        if heights:
            return float(np.median(heights))
    return float(np.median([ink.shape[0] for ink in inks]))


def _resize(ink: np.ndarray, scale: float) -> np.ndarray:
    factor = min(scale, synth.MAX_INK / max(ink.shape))  # training shrank its largest glyphs so
    size = (max(1, round(ink.shape[0] * factor)), max(1, round(ink.shape[1] * factor)))
    t = torch.from_numpy(np.ascontiguousarray(ink))[None, None]
    return F.interpolate(t, size=size, mode="bilinear", align_corners=False,
                         antialias=True)[0, 0].clamp_(0, 1).numpy()


def _restroke(ink: np.ndarray, radius: int) -> np.ndarray:
    ink = np.pad(ink, max(radius, 0))
    for step in range(abs(radius)):
        ink = synth._morph_step(ink, step, radius < 0)
    return ink


def _on_canvas(ink: np.ndarray) -> np.ndarray:
    canvas = np.zeros((synth.CANVAS, synth.CANVAS), np.float32)
    h, w = min(ink.shape[0], synth.CANVAS), min(ink.shape[1], synth.CANVAS)
    y0, x0 = (synth.CANVAS - h) // 2, (synth.CANVAS - w) // 2
    canvas[y0:y0 + h, x0:x0 + w] = ink[:h, :w]
    return canvas


# --- fitting and scoring ------------------------------------------------------------------------

def split(texts: list[str], seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices (fitted, held back, left out): a seeded LEAVE_OUT of the classes (when there are
    five or more) are left out whole; HOLD_BACK of the other characters are held back, never
    the last of a class (so every class that is fitted has a character fitted)."""
    rng = np.random.default_rng([seed, 27])
    present = sorted(set(texts))
    n_out = math.floor(LEAVE_OUT * len(present)) if len(present) >= 5 else 0
    out = set(rng.choice(present, n_out, replace=False).tolist()) if n_out else set()
    unseen = [i for i, t in enumerate(texts) if t in out]
    rest = [i for i, t in enumerate(texts) if t not in out]
    held = []
    if len(rest) >= 4:
        left = {t: sum(texts[i] == t for i in rest) for t in set(texts[i] for i in rest)}
        for i in rng.permutation(rest):
            if len(held) >= round(HOLD_BACK * len(rest)):
                break
            if left[texts[i]] > 1:
                held.append(int(i))
                left[texts[i]] -= 1
    fitted = [i for i in rest if i not in set(held)]
    return (np.array(fitted, np.int64), np.array(sorted(held), np.int64), np.array(unseen, np.int64))


def fit_chain(G, E, x, y, default, steps: int, seed: int, upto: str = METHODS[-1],
              D=None) -> dict[str, tuple[torch.Tensor, dict | None]]:
    """method -> (latent, tuned generator tensors or None), each method starting from the one
    before it (encoder, then inversion, then fine-tuning), up to ``upto``. Each step sees a
    seeded batch of at most BATCH characters; the generator's own weights never change.
    Fine-tuning is guarded by the auxiliary classifier of ``D`` (when given): every class,
    written with the per-character variation, must stay what it is."""
    g = torch.Generator().manual_seed(seed)

    def batches():
        for _ in range(steps):
            if len(y) <= BATCH:
                yield x, y
            else:
                pick = torch.randperm(len(y), generator=g)[:BATCH].to(x.device)
                yield x[pick], y[pick]

    with torch.no_grad():
        z = trimmed_mean(E(x), TRIM) if E is not None else default.clone()
    chain = {"encoder": (z, None)}
    if upto == "encoder" or steps == 0:
        return chain
    z = z.clone().requires_grad_(True)
    opt = torch.optim.Adam([z], lr=LR_LATENT)
    for xb, yb in batches():
        loss = _recon(G, None, z, xb, yb) + PRIOR_WEIGHT * _prior(z)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    chain["inversion"] = (z.detach().clone(), None)
    if upto == "inversion":
        return chain
    anchors = tunable(G)
    tuned = {k: v.detach().clone().requires_grad_(True) for k, v in anchors.items()}
    opt = torch.optim.Adam([{"params": [z], "lr": LR_LATENT / 5},
                            {"params": list(tuned.values()), "lr": LR_FINETUNE}])
    classes = D.classes.out_features if D is not None else 0
    for xb, yb in batches():
        anchor = sum((tuned[k] - anchors[k]).pow(2).mean() for k in tuned) / len(tuned)
        loss = _recon(G, tuned, z, xb, yb) + PRIOR_WEIGHT * _prior(z) + ANCHOR_WEIGHT * anchor
        if classes:
            yc = torch.randint(0, classes, (BATCH,), generator=g).to(x.device)
            zc = z + VARIATION * torch.randn(BATCH, len(z), generator=g).to(x.device)
            loss = loss + GUARD_WEIGHT * F.cross_entropy(D(_generate(G, tuned, zc, yc))[1], yc)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    chain["finetune"] = (z.detach().clone(), {k: v.detach().clone() for k, v in tuned.items()})
    return chain


def tunable(G: Generator) -> dict[str, torch.Tensor]:
    """What fine-tuning may move: every batch-norm scale and shift, and the last convolution."""
    names = {n for n, m in G.named_modules() if isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d))}
    last = [n for n, m in G.named_modules() if isinstance(m, torch.nn.Conv2d)][-1]
    return {k: v.detach() for k, v in G.named_parameters() if k.rpartition(".")[0] in names | {last}}


def trimmed_mean(latents: torch.Tensor, trim: float) -> torch.Tensor:
    n = len(latents)
    cut = min(int(trim * n), (n - 1) // 2)
    ordered = latents.sort(0).values
    return ordered[cut:n - cut].mean(0)


def _prior(z: torch.Tensor) -> torch.Tensor:
    return (z / STYLE_SPREAD).pow(2).mean()


def _recon(G, tuned, z, x, y) -> torch.Tensor:
    """Mean L1 (on 0..1 ink) of the generator's characters at latent z against x."""
    out = _generate(G, tuned, z.expand(len(y), -1), y)
    return (out - x).abs().mean() / 2


def _generate(G, tuned, z, y):
    if tuned is None:
        return G(z, y)
    return torch.func.functional_call(G, tuned, (z, y), strict=False)


@torch.no_grad()
def _score(G, tuned, z, x, y, held, unseen) -> dict:
    out = {}
    for name, index in (("held", held), ("unseen", unseen)):
        idx = torch.as_tensor(index, dtype=torch.long, device=x.device)
        out[name] = round(float(_recon(G, tuned, z, x[idx], y[idx])), 4) if len(idx) else None
    return out


@torch.no_grad()
def _writer_spread(x, texts, held) -> dict:
    """The floor: L1 of each held-back character to the writer's nearest other one of its class."""
    values = []
    for i in held:
        others = [j for j, t in enumerate(texts) if t == texts[i] and j != i]
        if others:
            values.append(float(((x[others] - x[i]).abs().mean((1, 2, 3)) / 2).min()))
    return {"held": round(float(np.mean(values)), 4) if values else None, "unseen": None}


def _rank(score: dict) -> float:
    """Lower is better: the mean of the two held-back L1s that exist."""
    values = [v for v in score.values() if v is not None]
    return sum(values) / len(values) if values else 0.0


def load_judge(files, net_cfg, device: str):
    """The AC-GAN's discriminator, whose auxiliary classifier names characters; ``None`` when the
    model has none."""
    from hwrender.neural import load_module

    try:
        return load_module(files, lambda: Discriminator(net_cfg), prefix="discriminator.",
                           device=device).requires_grad_(False)
    except WeightsError:
        return None


@torch.no_grad()
def recognised(D, G, z, tuned, num_classes: int, draws: int = 8) -> float | None:
    """Share (%) of every class, written ``draws`` times around latent z with the generator's
    per-character variation (seeded), that the auxiliary classifier names right."""
    if D is None:
        return None
    g = torch.Generator().manual_seed(0)
    y = torch.arange(num_classes, device=z.device).repeat(draws)
    zs = z + VARIATION * torch.randn(len(y), len(z), generator=g).to(z.device)
    images = _generate(G, tuned, zs, y)
    return round(100.0 * float((D(images)[1].argmax(1) == y).float().mean()), 1)

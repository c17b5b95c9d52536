"""Hand profiles: a real writer's slant, width, stroke, spacing and size, put on the GAN's words.

The word GAN draws one hand, really (its hands differ a little in weight); handwriting fonts
differ in slant, width per letter, stroke and spacing. A **profile** holds those statistics of a
training font, measured with ``hwrender.styles.evaluate.shape_features`` on its clean renders of
the model's probe words (training words, ``config.json`` ``ink_cap``), all relative to the
x-height: ``slant`` (shear, right lean > 0), ``stroke``, ``width`` (per letter), ``coverage``
(ink share of the bounding box, which follows from the others and is not steered), ``space`` (the
font's word space over the median training font's) and ``size`` (its x-height per em over the
median's). ``config.json`` ``font_profiles`` keeps every training font's, so nothing here needs
the fonts installed.

A hand with a profile writes its words the GAN's way and then (``Steer``): squeezed horizontally
to the profile's width per letter, sheared about the baseline to its slant, thickened or thinned
by a grey-level dilation/erosion at sub-pixel strength towards its stroke, given the profile's
word space through the ink's advance and its size through the reported x-height. Each step is
measured against what the GAN's hand draws on the probe words (``hand_features``), so the result
reads the profile's features whatever the style vector. A seeded hand's profile (``sampled``) is
drawn from a Gaussian fitted to the training fonts' profiles, seeded by the hand's number.

A page OCR binarizes at one global (Otsu) threshold, lower than 0.5 on the GAN's soft words, so
a stroke thickened to a heavy font's closes the letters' counters there; with ``GUARD`` on,
``guard`` sharpens each steered hand's halo (levels under 0.5) just enough that the OCR's view of
its strokes grows no more than the profile asked. With ``OWN_PROFILE`` on, a fitted own hand is
steered to the profile its fit measured on the writer's words.

``spread`` is the issue 30 check: one line of training words in several hands and in held-out
fonts, per feature the std across hands over the std across fonts, averaged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

FEATURES = ("slant", "stroke", "width", "coverage")  # the check's features (shape_features)
KEYS = FEATURES + ("space", "size")  # what a profile holds
# How far a profile may move the GAN's words: beyond these the words stop reading as words
# (Tesseract; a 3x3 erosion of a 1-2 px stroke leaves gaps) or leave the line's band.
LIMITS = {"slant": (-0.35, 0.45), "width_factor": (0.65, 1.5), "dilate": (-0.4, 1.0),
          "space": (0.6, 1.7), "size": (0.88, 1.15)}
# The check: one line of training words (common short words, none held out: tested) and the
# held-out Latin fonts it compares with (fonts.json ``holdout``, never trained on).
CHECK_LINE = "the garden party began when quiet rain fell over seven hills"
CHECK_FONTS = ("kalam", "gochi-hand", "schoolbell", "the-girl-next-door", "reenie-beanie")
CHECK_HANDS = 8  # seeded hands 0..7
WORD_SPACE = 0.9  # the layout's word space in x-heights (geometry.WORD_SPACE_PER_X_HEIGHT)
PROFILE_SEED = 30  # mixes a seeded hand's profile: rng([PROFILE_SEED, N])
# The OCR guard (``guard``): a steered hand's grey halo sharpened until a page OCR's binarization
# sees its strokes grow no more than the profile asked (seeded hands 0-29: mean Tesseract CER
# 0.086 -> 0.031, the eight over 0.08 -> one; model card). False: the steered ink as it comes.
GUARD = True
GAMMAS = (1.0, 1.25, 1.5, 2.0, 2.5, 3.0)  # the halo sharpenings the guard tries, mildest first
# A fitted own hand (``UserStyle``) steered to the profile its fit measured on the writer's
# words (its config's ``profile``; slant, stroke and coverage: its width per letter is already
# the style's ``width_ratio``). Off keeps today's output.
OWN_PROFILE = False


@dataclass(frozen=True)
class Profile:
    slant: float
    stroke: float
    width: float
    coverage: float
    space: float = 1.0
    size: float = 1.0

    @classmethod
    def from_dict(cls, d: Mapping) -> "Profile":
        return cls(**{k: float(d[k]) for k in KEYS if k in d})

    def to_dict(self) -> dict:
        return {k: round(float(getattr(self, k)), 4) for k in KEYS}

    @staticmethod
    def mix(parts: Sequence[tuple["Profile", float]]) -> "Profile":
        total = sum(w for _, w in parts)
        return Profile(**{k: sum(w * getattr(p, k) for p, w in parts) / total for k in KEYS})


def probe_words(config: Mapping) -> list[str]:
    """The words profiles and hands are measured on: the ink cap's probe words (training
    words) of letters only."""
    return [w for w in (config.get("ink_cap") or {}).get("words", ()) if w.isalpha()]


def slant(alpha: np.ndarray) -> float:
    """The shear that makes the strokes upright (right lean > 0), as ``shape_features`` finds it
    (the peakiest column profile of the unsheared ink), with the profile made smooth: each
    pixel's grey level spread over a Gaussian (0.75 px) instead of rounded to a whole column.
    Rounding favours shears of 0.25 and 0.5 (rows then fall on the same columns): sheared words
    measured ±0.5 for shears of ±0.3..0.4."""
    ys, xs = np.nonzero(alpha > 0.1)
    if len(ys) < 4:
        return 0.0
    ink = alpha[ys, xs].astype(np.float64)
    up = ys.mean() - ys
    shears = np.linspace(-0.8, 0.8, 65)
    fine = 4  # bins a px
    pos = (xs[None, :] - shears[:, None] * up[None, :]) * fine
    pos -= pos.min(axis=1, keepdims=True)
    span = int(pos.max()) + 2
    lo = np.floor(pos)
    frac = pos - lo
    lo = lo.astype(np.int64) + (np.arange(len(shears)) * span)[:, None]
    size = len(shears) * span
    hist = (np.bincount(lo.ravel(), ((1 - frac) * ink).ravel(), size)
            + np.bincount(lo.ravel() + 1, (frac * ink).ravel(), size)).reshape(len(shears), span)
    taps = np.arange(-3 * fine, 3 * fine + 1) / fine
    kernel = np.exp(-0.5 * (taps / 0.75) ** 2)
    smooth = np.stack([np.convolve(h, kernel) for h in hist])
    return float(shears[int(np.argmax(np.square(smooth).sum(axis=1)))])


def features(alpha: np.ndarray, x_height: float, letters: int) -> dict | None:
    """``shape_features`` with the slant found by ``slant``."""
    from hwrender.styles.evaluate import shape_features

    out = shape_features(alpha, x_height, letters)
    if out is not None:
        out["slant"] = slant(alpha)
    return out


def word_features(alphas: Sequence[np.ndarray], words: Sequence[str], x_height: float) -> dict:
    """Median ``features`` of word images (alpha 0..1) over the words."""
    from hwrender.styles.evaluate import mean_features

    return mean_features(features(a, x_height, len(w)) for a, w in zip(alphas, words))


def font_features(path, words: Sequence[str], ttc_index: int = 0) -> dict:
    """A font's raw statistics: shape features of its clean renders of ``words`` at the model's
    x-height, its word space in x-heights and its x-height per em."""
    from .render import SUPERSAMPLE, WordFont, render_word
    from .words import X_HEIGHT

    font = WordFont(path, ttc_index)
    words = [w for w in words if all(c in font.chars for c in w)]
    feats = word_features([render_word(font, w)[0] for w in words], words, X_HEIGHT)
    feats["space"] = font.sized(X_HEIGHT).getlength(" ") / SUPERSAMPLE / X_HEIGHT
    feats["size"] = font.x_height_per_em
    return feats


def font_profiles(fonts: Mapping[str, object], words: Sequence[str]) -> dict[str, dict]:
    """id -> profile dict of each font (id -> path): space and size relative to the fonts' medians."""
    raw = {fid: font_features(path, words) for fid, path in fonts.items()}
    space = float(np.median([f["space"] for f in raw.values()]))
    size = float(np.median([f["size"] for f in raw.values()]))
    return {fid: Profile(**{**{k: f[k] for k in FEATURES}, "space": f["space"] / space,
                            "size": f["size"] / size}).to_dict() for fid, f in raw.items()}


def sampled(profiles: Mapping[str, Mapping], n: int) -> Profile:
    """Seeded hand ``n``'s profile: drawn from a Gaussian fitted to the training fonts'
    profiles (their means and covariance: a new writer as far from the average as the fonts
    are, slant going with spacing as it does in them), each value kept within the fonts' range.
    A convex mix of two fonts was tried first: a mix is less spread than either font (0.75x the
    fonts' variance for a Beta(0.5, 0.5) weight), and the check stayed under 0.8x."""
    table = np.array([[float(p[k]) for k in KEYS] for _, p in sorted(profiles.items())])
    rng = np.random.default_rng([PROFILE_SEED, int(n)])
    draw = rng.multivariate_normal(table.mean(0), np.cov(table.T), method="eigh")
    return Profile(*np.clip(draw, table.min(0), table.max(0)).tolist())


@dataclass(frozen=True)
class Steer:
    """What to do to one hand's words (from its measured features to its profile)."""

    width_factor: float = 1.0  # on top of the model's width ratio
    shear: float = 0.0  # px right per px above the baseline, after the squeeze
    dilate: float = 0.0  # > 0: share of a 3x3 grey dilation; < 0: of an erosion
    space: float = 0.0  # extra advance, px
    x_height_factor: float = 1.0  # the ink's x-height is reported / this (a larger hand)
    sharpen: float = 1.0  # levels under 0.5 go to 0.5 * (2 a) ** sharpen (``guard``)

    @property
    def identity(self) -> bool:
        return self == Steer()


def steer(profile: Profile, hand: Mapping[str, float], x_height: float) -> Steer:
    """The steps that take a hand measured as ``hand`` (``word_features`` at its natural width)
    to ``profile``."""
    lo, hi = LIMITS["width_factor"]
    k = float(np.clip(profile.width / max(hand["width"], 1e-3), lo, hi))
    # a horizontal squeeze by k scales the hand's own slant by k too
    shear = float(np.clip(profile.slant, *LIMITS["slant"])) - hand["slant"] * k
    # a full 3x3 dilation adds about 1 px a side: 2 px of stroke
    dilate = float(np.clip((profile.stroke - hand["stroke"]) * x_height / 2, *LIMITS["dilate"]))
    space = (float(np.clip(profile.space, *LIMITS["space"])) - 1.0) * WORD_SPACE * x_height
    size = float(np.clip(profile.size, *LIMITS["size"]))
    return Steer(width_factor=k, shear=shear, dilate=dilate, space=space, x_height_factor=size)


def refine(first: Steer, profile: Profile, reached: Mapping[str, float], x_height: float) -> Steer:
    """``first`` corrected by what it ``reached`` on the probe words: the width, slant and
    stroke still missing, within the limits."""
    from dataclasses import replace

    lo, hi = LIMITS["width_factor"]
    k = float(np.clip(first.width_factor * profile.width / max(reached["width"], 1e-3), lo, hi))
    target = float(np.clip(profile.slant, *LIMITS["slant"]))
    # what the squeeze left of the hand's own slant, rescaled to the new squeeze
    shear = target - (reached["slant"] - first.shear) * k / first.width_factor
    dilate = float(np.clip(first.dilate + (profile.stroke - reached["stroke"]) * x_height / 2,
                           *LIMITS["dilate"]))
    return replace(first, width_factor=k, shear=shear, dilate=dilate)


def shear(alpha, s: float, baseline: float):
    """[B, H, W] alpha sheared about ``baseline`` (rows above it move right by ``s`` px a row
    for ``s`` > 0), widened by the columns the shear needs: one gather and lerp per batch."""
    import torch
    import torch.nn.functional as F

    if abs(s) < 1e-3:
        return alpha
    b, h, w = alpha.shape
    shift = s * (baseline - (torch.arange(h, dtype=torch.float32) + 0.5))  # row centres
    pad = shear_pad(h, s, baseline)
    padded = F.pad(alpha, (pad, pad))
    width = w + 2 * pad
    src = torch.arange(width, dtype=torch.float32)[None, :] - shift[:, None]  # [H, W']
    lo = src.floor()
    frac = (src - lo).expand(b, -1, -1)
    lo = lo.long().clamp_(0, width - 1)
    hi = (lo + 1).clamp_(max=width - 1)
    return torch.lerp(padded.gather(2, lo.expand(b, -1, -1)),
                      padded.gather(2, hi.expand(b, -1, -1)), frac)


def shear_pad(height: int, s: float, baseline: float) -> int:
    """The columns ``shear`` adds on each side of an image ``height`` rows tall."""
    if abs(s) < 1e-3:
        return 0
    return int(math.ceil(float(abs(s) * max(baseline - 0.5, height - 0.5 - baseline)))) + 1


def _max3(alpha):
    """[B, H, W] 3x3 maximum, paper (0) beyond the edges: two passes of shifted slices (torch's
    max_pool2d took 20-40x longer on these small maps on the CPU)."""
    import torch
    import torch.nn.functional as F

    p = F.pad(alpha, (1, 1, 1, 1))
    rows = torch.maximum(torch.maximum(p[:, :-2], p[:, 1:-1]), p[:, 2:])
    return torch.maximum(torch.maximum(rows[:, :, :-2], rows[:, :, 1:-1]), rows[:, :, 2:])


def stroke(alpha, amount: float):
    """[B, H, W] alpha thickened (``amount`` > 0: that share of a 3x3 grey dilation) or thinned
    (< 0: of a 3x3 erosion): strokes 1-3 px wide move by a fraction of a pixel."""
    if abs(amount) < 1e-3:
        return alpha
    grown = _max3(alpha) if amount > 0 else -_max3(-alpha)  # erosion: paper beyond the edges
    return (alpha + abs(amount) * (grown - alpha)).clamp_(0, 1)


def sharpen(alpha, gamma: float):
    """Alpha (a tensor or an array) with its halo, the levels under 0.5, pulled down to
    ``0.5 * (2 a) ** gamma``; 0.5 and above stay, so the strokes as ``shape_features`` measures
    them (at 0.5) stay too."""
    if abs(gamma - 1.0) < 1e-6:
        return alpha
    low = 0.5 * (2 * alpha) ** gamma
    if isinstance(alpha, np.ndarray):
        return np.where(alpha < 0.5, low, alpha).astype(alpha.dtype)
    import torch

    return torch.where(alpha < 0.5, low, alpha)


def apply(alpha, st: Steer, baseline: float):
    """[B, H, W] alpha at the natural width (the squeeze done) through ``st``'s shear, stroke
    and halo."""
    return sharpen(stroke(shear(alpha, st.shear, baseline), st.dilate), st.sharpen)


def otsu(alphas: Sequence[np.ndarray]) -> float:
    """Otsu's threshold (0..1) over all the images' pixels, as a page OCR binarizes a page:
    the level that best splits them into paper and ink."""
    hist = sum(np.histogram(a, bins=256, range=(0.0, 1.0))[0] for a in alphas).astype(np.float64)
    p = hist / max(hist.sum(), 1.0)
    w = np.cumsum(p)
    m = np.cumsum(p * np.arange(256))
    between = np.square(m[-1] * w - m) / np.maximum(w * (1 - w), 1e-12)
    return float(np.argmax(between[:-1]) + 1) / 256


def stroke_width(alphas: Sequence[np.ndarray], x_height: float) -> float:
    """The images' median stroke width at 0.5 (x-heights), as ``shape_features`` measures it
    (2 x area / edge pixels of the ink in its box), without its slant search."""
    rows = []
    for a in alphas:
        ink = a > 0.5
        if ink.sum() >= 4:
            edge = ink.sum() - (ink[1:-1, 1:-1] & ink[:-2, 1:-1] & ink[2:, 1:-1]
                                & ink[1:-1, :-2] & ink[1:-1, 2:]).sum()
            rows.append(2.0 * ink.sum() / max(1, edge) / x_height)
    return float(np.median(rows)) if rows else 0.0


def ocr_stroke(alphas: Sequence[np.ndarray], x_height: float) -> float:
    """The images' median stroke width (x-heights) as a page OCR sees them: binarized at one
    ``otsu`` threshold over all of them. Where strokes merge and counters close, the ink's area
    grows and its edge shrinks, and this stroke jumps."""
    level = otsu(alphas)
    return stroke_width([(a > level).astype(np.float32) for a in alphas], x_height)


def guard(steered: Sequence[np.ndarray], hand: Sequence[np.ndarray], x_height: float) -> float:
    """The mildest ``GAMMAS`` sharpening of ``steered`` (the probe words through a steer) whose
    ``ocr_stroke`` grows over the unsteered ``hand``'s by no more than its stroke at 0.5 does.

    A font's edges are sharp: its stroke at a page OCR's threshold is its stroke at 0.5, which
    is what a profile holds. The GAN's edges are soft grey; thickened to a heavy font's stroke
    at 0.5, their halo reaches over the letters' counters at the lower level Tesseract
    binarizes at (Otsu's, near 0.3 on these words), the letters become blobs and it reads whole
    lines as empty (seeded hands 0 and 5 with their profiles). Sharpening leaves the stroke at
    0.5, and so the profile's features, as steered."""
    grown = stroke_width(steered, x_height) / max(stroke_width(hand, x_height), 1e-6)
    goal = ocr_stroke(hand, x_height) * grown
    for gamma in GAMMAS:
        if ocr_stroke([sharpen(a, gamma) for a in steered], x_height) <= goal:
            return gamma
    return GAMMAS[-1]


# ----------------------------------------------------------------------------- the check


def line_features(alphas: Sequence[np.ndarray], advances: Sequence[float], words: Sequence[str],
                  x_height: float, gap: float) -> dict:
    """``shape_features`` of words set side by side on their shared baseline (each ``alphas``
    item framed: the same rows, baseline at the same row), ``gap`` px between advances."""
    height = alphas[0].shape[0]
    width = int(sum(advances) + gap * len(alphas) + max(a.shape[1] for a in alphas)) + 2
    canvas = np.zeros((height, width), np.float32)
    x = 0.0
    for a, adv in zip(alphas, advances):
        left = int(round(x))
        np.maximum(canvas[:, left:left + a.shape[1]], a, out=canvas[:, left:left + a.shape[1]])
        x += adv + gap
    return features(canvas, x_height, sum(len(w) for w in words))


def gan_line(gen, style, seed: int = 0, line: str = CHECK_LINE) -> dict:
    """The check line's features in one hand of ``gen`` (a LatinGenerator), words set at the
    layout's word space after each ink's advance."""
    from .generator import framed
    from .words import X_HEIGHT

    words = line.split()
    inks = gen.generate(words, style, seed)
    return line_features([framed(i) for i in inks], [i.advance for i in inks], words,
                         X_HEIGHT, WORD_SPACE * X_HEIGHT)


def font_line(path, line: str = CHECK_LINE) -> dict:
    """The check line's features in a font, set with its own word spaces."""
    from .render import WordFont, render_word
    from .words import X_HEIGHT

    alpha, _ = render_word(WordFont(path), line)
    return line_features([alpha], [alpha.shape[1]], [line.replace(" ", "")], X_HEIGHT, 0)


def spread(hands: Sequence[Mapping[str, float]], fonts: Sequence[Mapping[str, float]]) -> dict:
    """Per feature std across hands / std across fonts, and their mean (``"spread"``)."""
    out = {}
    for k in FEATURES:
        h = np.std([r[k] for r in hands])
        f = np.std([r[k] for r in fonts])
        out[k] = float(h / f) if f > 0 else float("nan")
    out["spread"] = float(np.nanmean([out[k] for k in FEATURES]))
    return out


def check(gen, hands_: Sequence = tuple(str(n) for n in range(CHECK_HANDS)),
          fonts: Sequence[str] = CHECK_FONTS) -> dict:
    """The issue 30 check for ``hands_`` of ``gen``: {"hands": rows, "fonts": rows, **spread}."""
    from hwrender import fonts as corpus

    here = corpus.available(script="Latn", split="holdout")
    missing = [f for f in fonts if f not in here]
    if missing:
        from hwrender.fonts import NotInstalled

        raise NotInstalled(f"the held-out fonts {', '.join(missing)} are not installed")
    font_rows = [font_line(here[f]) for f in fonts]
    hand_rows = [gan_line(gen, h) for h in hands_]
    return {"hands": hand_rows, "fonts": font_rows, **spread(hand_rows, font_rows)}


def training_lines(n: int, per_line: int = 4, seed: int = 123) -> list[list[str]]:
    """``n`` lines of lower-case words from the pool the training words are drawn from
    (``american-english``, held-out words left out): never the evaluation's words."""
    from .vocabulary import DICT_DIR, is_heldout

    pool = sorted({t for t in (DICT_DIR / "american-english").read_text().split()
                   if 4 <= len(t) <= 9 and t.islower() and t.isalpha() and not is_heldout(t)})
    rng = np.random.default_rng(seed)
    words = [pool[i] for i in rng.choice(len(pool), size=n * per_line, replace=False)]
    return [words[i:i + per_line] for i in range(0, len(words), per_line)]


def line_cer(gen, style, lines: Sequence[Sequence[str]]) -> float:
    """Tesseract's CER on ``lines`` in ``style``, set as ``hwrender eval latin`` sets its lines."""
    from hwrender.train.metrics import cer, ocr_line

    from .evaluate import _line
    from .generator import framed

    cers = [cer(" ".join(line), ocr_line(_line([framed(i) for i in gen.generate(list(line), style, k)]),
                                         "eng"))
            for k, line in enumerate(lines)]
    return float(np.mean(cers))


def eval_figures(gen, lines: int = 8, log=print) -> list[dict]:
    """Figures for ``hwrender eval latin``: the spread of seeded hands (with their profiles,
    whatever the config's switch) and of the named hands, and each named hand's Tesseract CER."""
    from hwrender.train.metrics import figure

    saved = gen.hand_profiles
    gen.hand_profiles = True
    try:
        seeded = check(gen)
    finally:
        gen.hand_profiles = saved
    out = [figure(f"spread of {CHECK_HANDS} seeded hands / {len(CHECK_FONTS)} held-out fonts "
                  "(slant, stroke, width per letter, ink coverage)", round(seeded["spread"], 3),
                  ">= 0.8", seeded["spread"] >= 0.8)]
    if gen.styles:  # a model without named hands (a fresh training run) has no such figure
        named = check(gen, tuple(gen.styles))
        out.append(figure(f"spread of the {len(gen.styles)} named hands / the same fonts",
                          round(named["spread"], 3), ">= 0.8", named["spread"] >= 0.8))
    text = training_lines(lines)
    for name in gen.styles:
        value = line_cer(gen, name, text)
        log(f"named hand {name}: Tesseract CER {value:.3f}")
        out.append(figure(f"Tesseract CER, named hand {name} ({lines} lines of training words)",
                          round(value, 4), "<= 0.08", value <= 0.08))
    return out

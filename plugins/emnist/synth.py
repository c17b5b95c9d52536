"""Build an EMNIST-format character set from handwriting fonts, where real EMNIST is absent.

Each class character is rendered from each font with its capitals ``CAP_PX`` tall, varied with
seeded augmentation (stroke width, scale, aspect, slant, rotation, elastic warp), then processed
the way Cohen et al. (2017, "EMNIST: an extension of MNIST to handwritten letters", section II-A)
processed the NIST SD19 scans: Gaussian blur (sigma 1), crop to the ink, centre in a square frame
preserving the aspect ratio, a 2 px border, bicubic down-sampling to 28 x 28, intensities scaled
to 0-255. The result is written in the release's IDX format (``data.write_idx``), so the trainer
reads synthetic and real EMNIST through the same loader.

EMNIST centres and scales every character to fill its box, which loses where it sat on the line.
``placement.json`` keeps that: per character, measured on the clean renders of the training fonts
before centring, the ink's top and bottom relative to the baseline and its width, in units of the
font's x-height, so an adapter can put a 28 x 28 glyph back on a baseline at its natural size.
It also holds the provenance of the build (fonts per split with checksums, counts, seed, parameters).

Work is batched per font: stroke-width variants of every glyph are made once (grey-scale
dilation or erosion), then each chunk of samples is warped with one ``grid_sample`` call and
blurred with two matrix products; only the per-image crop and resize run in a loop (Pillow, in C).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import time
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from hwrender.atomic import write_atomic
from hwrender.errors import InputError, UsageError

from . import classes as cls
from .data import SIDE, EmnistSet, write_idx

MEASURE_EM = 128  # px per em of the renders that are checked and measured
# Capital height of the renders that are augmented: about the size of handwritten capitals in
# NIST SD19's 128 x 128 scans. Fixing it, rather than the em, makes every font write at the same
# size whatever its design size within the em, so the fixed-size blur means the same for all.
CAP_PX = 64
CANVAS = 144  # working square: room for the largest glyph under the strongest augmentation
MAX_INK = 78  # glyphs whose ink is larger are scaled down to this, so warps never leave the canvas
BORDER = 2  # px of empty border around the ink in the 28 x 28 result (Cohen et al.)
BLUR_SIGMA = 1.0  # Gaussian blur applied before cropping (Cohen et al.)
ROI_THRESHOLD = 0.5 / 255  # ink that would still show in 8 bits counts towards the crop
MEASURE_THRESHOLD = 0.5  # alpha at which a pixel counts as ink for the placement measures
STROKE_LEVELS = 5  # stroke-width variants per glyph, spread over Augment.stroke
CHUNK = 512  # samples warped per torch call: bounds memory (CHUNK x CANVAS^2 floats)
# The x-height is the median ink height of these letters (no ascenders or descenders). 'x' alone
# is not enough: several handwriting fonts draw it capital-sized beside a real lower case; 'z' and
# 'r' are left out because script faces give them descending or rising strokes.
X_HEIGHT_LETTERS = "acemnouvwx"
# Lower-case letters whose capitals differ in shape: if they are as tall as their capitals
# (median ratio at least CAPS_ONLY_RATIO; real lower case stays below 0.9), the font draws
# capitals for lower case.
CAPS_TEST_LETTERS = "aemnru"
CAPS_ONLY_RATIO = 0.93
PLACEMENT_FORMAT = "hwrender-emnist-placement/1"


@dataclass(frozen=True)
class Augment:
    """Per-sample variation, drawn uniformly in each range. Angles in degrees."""

    rotation: float = 10.0  # +- degrees
    scale: tuple[float, float] = (0.85, 1.15)  # overall size before the fixed-size blur
    aspect: float = 0.12  # +- relative stretch of width against height
    slant: float = 10.0  # +- degrees of horizontal shear
    elastic: float = 0.03  # std of the smooth warp's displacement, as a fraction of the half canvas
    elastic_grid: int = 5  # control points per side of the smooth random displacement field
    # Target stroke width in cap heights of the font. The default gives the corpus build the
    # intensity statistics commonly quoted for real EMNIST (mean 0.1736, std 0.3317 of white).
    stroke: tuple[float, float] = (0.08, 0.17)


@dataclass
class BuildSummary:
    """What ``build_synthetic`` wrote and how fast."""

    out_dir: Path
    classes: str
    files: list[Path]
    counts: dict[str, int]  # split -> images
    fonts: dict[str, list[str]]  # split -> font ids used
    skipped: dict[str, dict[str, str]]  # font id -> reason -> characters skipped ("*": the whole font)
    seconds: float
    images_per_s: float


@dataclass
class _Font:
    """One font's checked, clean renders and its measures."""

    id: str
    path: Path
    renders: dict[str, np.ndarray]  # usable class character -> alpha 0..1 (BYCLASS order)
    measures: dict[str, tuple[float, float, float]]  # char -> (top, bottom, width) in x-heights, or {}
    # In px of the renders, whose capitals are CAP_PX tall (the unit of stroke widths):
    x_height: float  # see X_HEIGHT_LETTERS; 0 where the font has no real lower case
    stroke: float  # estimated mean stroke width
    skipped: dict[str, str] = field(default_factory=dict)  # reason -> characters ("*": whole font)

    @property
    def chars(self) -> list[str]:
        return list(self.renders)


def build_synthetic(fonts: dict[str, Path], out_dir: str | Path, per_class_per_font: int,
                    classes: str = "byclass", seed: int = 0, holdout: set[str] | None = None,
                    progress: Callable[[int, int], None] | None = None, *,
                    caps_only: set[str] | None = None, augment: Augment = Augment()) -> BuildSummary:
    """Render an EMNIST-format train/test set from ``fonts`` (id -> font file) into ``out_dir``.

    Fonts in ``holdout`` make the test split, the others the train split; ``holdout=None`` holds
    out a seeded 15 % of the fonts (at least one when there are two or more). Fonts in
    ``caps_only`` (and fonts whose lower case is as tall as their capitals) give no lower-case
    samples and no placement measures; a character a font lacks, draws blank or draws as its
    missing-glyph box is skipped for that font; all skips are reported. ``progress(done, total)``
    counts images. Same inputs and seed, same bytes.
    """
    class_set = cls.get(classes)
    if per_class_per_font < 1:
        raise UsageError("per_class_per_font must be at least 1", f"got {per_class_per_font}")
    if not fonts:
        raise UsageError("no fonts to build the EMNIST set from", "pass at least one handwriting font")
    holdout = _choose_holdout(sorted(fonts), seed) if holdout is None else set(holdout)
    unknown = holdout - set(fonts)
    if unknown:
        raise UsageError(f"holdout fonts not among the fonts given: {', '.join(sorted(unknown))}",
                         "hold out fonts by the ids of the fonts dict")
    if not set(fonts) - holdout:
        raise UsageError("every font is held out: nothing left to train on", "hold out fewer fonts")
    caps_only = set(caps_only or ())
    out_dir = Path(out_dir)
    start = time.perf_counter()

    # First every font is checked and measured (cheap); stroke variants, the memory-hungry part,
    # are made one font at a time below.
    rendered, skipped = {}, {}
    for font_id in sorted(fonts):
        font = _inspect_font(font_id, Path(fonts[font_id]), font_id in caps_only)
        if font.skipped:
            skipped[font_id] = font.skipped
        if font.renders:
            rendered[font_id] = font
    plans = {font_id: _plan(font.chars, class_set, per_class_per_font)
             for font_id, font in rendered.items()}
    total = sum(len(plan) for plan in plans.values())

    splits: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {"train": [], "test": []}
    per_font: dict[str, int] = {}
    done = 0
    for font_id, font in rendered.items():
        chars, labels = zip(*plans[font_id])  # never empty: a kept font has capitals at least
        index = np.array([font.chars.index(c) for c in chars], dtype=np.int64)
        # Each font draws from its own stream: its samples do not depend on the other fonts.
        rng = np.random.default_rng([seed, zlib.crc32(font_id.encode())])
        glyphs = np.stack([_stroke_variants(alpha, font.stroke, augment)
                           for alpha in font.renders.values()])
        images = np.empty((len(index), SIDE, SIDE), np.uint8)
        for lo in range(0, len(index), CHUNK):
            images[lo:lo + CHUNK] = _make_samples(glyphs, index[lo:lo + CHUNK], augment, rng)
            done += len(images[lo:lo + CHUNK])
            if progress:
                progress(done, total)
        splits["test" if font_id in holdout else "train"].append((images, np.array(labels, np.int64)))
        per_font[font_id] = len(index)

    out_dir.mkdir(parents=True, exist_ok=True)
    files, counts = [], {}
    order_rng = np.random.default_rng([seed, 1])
    for split, parts in splits.items():
        images = np.concatenate([p[0] for p in parts]) if parts else np.zeros((0, SIDE, SIDE), np.uint8)
        labels = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, np.int64)
        order = order_rng.permutation(len(labels))  # shuffled, so any prefix mixes classes and fonts
        dataset = EmnistSet(images[order], labels[order], class_set.name, class_set.mapping(),
                            source=f"synthetic ({split})")
        files.extend(write_idx(dataset, out_dir, split))
        counts[split] = len(labels)
    files.append(cls.write_mapping(out_dir / f"emnist-{class_set.name}-mapping.txt", class_set))

    seconds = time.perf_counter() - start
    used = {"train": sorted(f for f in rendered if f not in holdout),
            "test": sorted(f for f in rendered if f in holdout)}
    provenance = {
        "generator": "hwrender_plugins.emnist.synth.build_synthetic",
        "seed": seed,
        "classes": class_set.name,
        "per_class_per_font": per_class_per_font,
        "render": {"cap_height_px": CAP_PX, "canvas_px": CANVAS, "max_ink_px": MAX_INK,
                   "stroke_levels": STROKE_LEVELS},
        "augment": dataclasses.asdict(augment),
        "processing": (f"Cohen et al. 2017: Gaussian blur sigma={BLUR_SIGMA}, crop to the ink, "
                       f"centre in a square frame (aspect kept), {BORDER} px border, "
                       f"bicubic to {SIDE}x{SIDE}, "
                       "intensities scaled to 0-255; white ink on black; stored transposed (IDX)"),
        "splits": {split: {"images": counts[split],
                           "fonts": [_font_record(rendered[f], per_font[f]) for f in used[split]]}
                   for split in splits},
        "skipped": skipped,
    }
    placement = {
        "format": PLACEMENT_FORMAT,
        "units": (f"x-heights of the same font (median ink height of {X_HEIGHT_LETTERS}); "
                  "y upwards from the baseline"),
        "measured_on": "clean renders of the train fonts, before augmentation and centring",
        "classes": class_set.name,
        "placement": _placement([rendered[f] for f in used["train"]], class_set),
        "provenance": provenance,
    }
    # written last and whole: its presence is what tells dataset.ensure_synthetic the set is built
    placement_path = write_atomic(out_dir / "placement.json", json.dumps(placement, indent=1) + "\n")
    files.append(placement_path)
    return BuildSummary(out_dir=out_dir, classes=class_set.name, files=files, counts=counts, fonts=used,
                        skipped=skipped, seconds=seconds, images_per_s=total / max(seconds, 1e-9))


def _choose_holdout(font_ids: list[str], seed: int) -> set[str]:
    """A seeded 15 % of the fonts (at least one if there are two or more) for the test split."""
    if len(font_ids) < 2:
        return set()
    n = max(1, round(0.15 * len(font_ids)))
    rng = np.random.default_rng([seed, 2])
    return {font_ids[i] for i in rng.choice(len(font_ids), size=n, replace=False)}


def _plan(chars: list[str], class_set: cls.ClassSet, per_class: int) -> list[tuple[str, int]]:
    """(character, label) per sample: ``per_class`` samples per class the font can write.

    A merged balanced class (C for 'C' and 'c') shares its samples between its two characters,
    so every class gets the same count whatever the merge.
    """
    by_label: dict[int, list[str]] = {}
    for char in chars:
        by_label.setdefault(class_set.label(char), []).append(char)
    plan = []
    for label in sorted(by_label):
        members = by_label[label]
        for i in range(per_class):
            plan.append((members[i % len(members)], label))
    return plan


def _font_record(font: _Font, images: int) -> dict:
    return {"id": font.id, "file": font.path.name,
            "sha256": hashlib.sha256(font.path.read_bytes()).hexdigest(), "images": images,
            "x_height_px": round(font.x_height, 2), "stroke_px": round(font.stroke, 2),
            "placement_measured": bool(font.measures),
            "skipped": font.skipped}


def _placement(fonts: list[_Font], class_set: cls.ClassSet) -> dict:
    """Per character: median, std, 10th and 90th percentile of top, bottom and width over fonts."""
    result = {}
    for char in cls.BYCLASS.chars:
        values = np.array([f.measures[char] for f in fonts if char in f.measures], dtype=np.float64)
        if not len(values):
            continue
        entry: dict = {"label": class_set.label(char), "n_fonts": len(values)}
        for column, name in enumerate(("top", "bottom", "width")):
            v = values[:, column]
            entry[name] = {"median": round(float(np.median(v)), 4), "std": round(float(v.std()), 4),
                           "p10": round(float(np.percentile(v, 10)), 4),
                           "p90": round(float(np.percentile(v, 90)), 4)}
        result[char] = entry
    return result


# --- rendering ---------------------------------------------------------------------------------

def _inspect_font(font_id: str, path: Path, caps_only: bool) -> _Font:
    """Render every byclass character of one font, keep the usable ones and measure them."""
    from fontTools.ttLib import TTFont

    try:
        with TTFont(path, fontNumber=0, lazy=True) as tt:
            cmap = tt.getBestCmap() or {}
        pil_font = ImageFont.truetype(str(path), MEASURE_EM)
    except Exception as exc:  # fontTools and FreeType raise many types on unreadable files
        raise InputError(f"{path}: cannot read font {font_id!r} ({type(exc).__name__}: {exc})",
                         "pass TrueType/OpenType font files") from None
    notdef = _render_char(pil_font, _absent_char(cmap))[0]
    skipped: dict[str, str] = {}

    def skip(char: str, reason: str) -> None:
        skipped[reason] = skipped.get(reason, "") + char

    renders: dict[str, tuple[np.ndarray, int]] = {}
    for char in cls.BYCLASS.chars:
        if ord(char) not in cmap:
            skip(char, "missing")
            continue
        alpha, baseline = _render_char(pil_font, char)
        if not (alpha >= MEASURE_THRESHOLD).any():
            skip(char, "blank")
        elif notdef is not None and alpha.shape == notdef.shape and np.abs(alpha - notdef).mean() < 0.01:
            skip(char, "missing-glyph box")
        else:
            renders[char] = (alpha, baseline)
    ink = {char: _ink_box(alpha, baseline) for char, (alpha, baseline) in renders.items()}
    height = {char: top - bottom for char, (top, bottom, _) in ink.items()}
    ratios = [height[c] / height[c.upper()] for c in CAPS_TEST_LETTERS
              if c in height and c.upper() in height]
    same_glyphs = sum(ord(c) in cmap and cmap[ord(c)] == cmap.get(ord(c.upper())) for c in cls.LOWER)
    looks_caps = bool(ratios) and float(np.median(ratios)) >= CAPS_ONLY_RATIO
    if caps_only or looks_caps or same_glyphs >= 13:
        reason = "caps-only font" if caps_only else "caps-only font (lower case drawn as capitals)"
        for char in cls.LOWER:
            if renders.pop(char, None) is not None:
                skip(char, reason)
    capitals = [height[c] for c in cls.UPPER if c in renders]
    if not capitals:
        return _Font(font_id, path, {}, {}, 0.0, 0.0, {"no capitals to size the font by": "*"})
    chars = [c for c in cls.BYCLASS.chars if c in renders]
    # Placement is in x-heights: measured only where the font has a real lower case.
    x_letters = [height[c] for c in X_HEIGHT_LETTERS if c in renders]
    x_height = float(np.median(x_letters)) if len(x_letters) >= 3 else 0.0
    measures = {c: tuple(round(v / x_height, 4) for v in ink[c]) for c in chars} if x_height else {}
    scale = CAP_PX / float(np.median(capitals))
    sized = ImageFont.truetype(str(path), max(1, round(MEASURE_EM * scale)))
    alphas = {c: _render_char(sized, c)[0] for c in chars}
    stroke = float(np.median([_stroke_width(alpha) for alpha in alphas.values()]))
    return _Font(font_id, path, alphas, measures, x_height * scale, stroke, skipped)


def _absent_char(cmap: dict[int, str]) -> str | None:
    """A private-use character the font lacks: rendering it draws the font's missing-glyph box."""
    return next((chr(c) for c in range(0xF0000, 0xF0100) if c not in cmap), None)


def _render_char(font: ImageFont.FreeTypeFont, char: str | None) -> tuple[np.ndarray | None, int]:
    """Alpha (float32 0..1) of one character with a 1 px margin, and the baseline's row."""
    if char is None:
        return None, 0
    left, top, right, bottom = font.getbbox(char, anchor="ls")
    if right <= left or bottom <= top:
        return np.zeros((1, 1), np.float32), 0
    image = Image.new("L", (right - left + 2, bottom - top + 2), 0)
    ImageDraw.Draw(image).text((1 - left, 1 - top), char, font=font, fill=255, anchor="ls")
    return np.asarray(image, dtype=np.float32) / 255.0, 1 - top


def _ink_box(alpha: np.ndarray, baseline: int) -> tuple[float, float, float]:
    """(top, bottom, width) of the ink in px: top and bottom upwards from the baseline."""
    mask = alpha >= MEASURE_THRESHOLD
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    return float(baseline - rows[0]), float(baseline - rows[-1] - 1), float(cols[-1] + 1 - cols[0])


def _stroke_width(alpha: np.ndarray) -> float:
    """Mean stroke width of a glyph in px: 2 x area / outline length (w = 2A/P for a long stroke)."""
    mask = np.pad(alpha >= MEASURE_THRESHOLD, 1)
    outline = np.count_nonzero(mask[1:] != mask[:-1]) + np.count_nonzero(mask[:, 1:] != mask[:, :-1])
    return 2.0 * np.count_nonzero(mask) / max(outline, 1)


def _stroke_variants(alpha: np.ndarray, stroke: float, augment: Augment) -> np.ndarray:
    """STROKE_LEVELS copies of a glyph centred on the canvas, strokes thinned or thickened.

    Stroke targets are spread over ``augment.stroke`` (cap heights, CAP_PX px); reaching one from
    the font's own stroke takes r px of grey-scale dilation (or erosion) per side, r rounded.
    Glyphs larger than MAX_INK are scaled down first, and r with them.
    """
    rows = np.flatnonzero(alpha.max(axis=1) > 0)
    cols = np.flatnonzero(alpha.max(axis=0) > 0)
    ink = alpha[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    factor = min(1.0, MAX_INK / max(ink.shape))
    if factor < 1.0:
        size = (max(1, round(ink.shape[1] * factor)), max(1, round(ink.shape[0] * factor)))
        ink = np.asarray(Image.fromarray(ink).resize(size, Image.Resampling.BICUBIC)).clip(0, 1)
    canvas = np.zeros((CANVAS, CANVAS), np.float32)
    y0, x0 = (CANVAS - ink.shape[0]) // 2, (CANVAS - ink.shape[1]) // 2
    canvas[y0:y0 + ink.shape[0], x0:x0 + ink.shape[1]] = ink
    targets = np.linspace(*augment.stroke, STROKE_LEVELS) * CAP_PX
    # Erosion takes away at most a third of the stroke, so hairlines survive; dilation at most
    # doubles it (or adds 2 px per side to hairline faces), so thick-and-thin (calligraphic)
    # faces, whose mean stroke understates their thick strokes, do not fill their counters.
    shrink, grow = math.floor(factor * stroke / 3), max(2, math.floor(factor * stroke / 2))
    radii = [min(max(round(factor * (t - stroke) / 2), -shrink), grow) for t in targets]
    # Each step grows (or shrinks) the previous one: one chain per direction serves every level.
    variants = {0: canvas}
    for sign in (1, -1):
        image, inverted = canvas, sign < 0
        for step in range(max([sign * r for r in radii] + [0])):
            image = _morph_step(image, step, inverted)
            variants[sign * (step + 1)] = image
    return np.stack([variants[r] for r in radii])


def _morph_step(image: np.ndarray, step: int, erode: bool) -> np.ndarray:
    """One px of grey-scale dilation (or erosion), keeping anti-aliased edges.

    Steps alternate a 3 x 3 square and a plus sign, so repeated steps grow an octagonal, nearly
    round pen rather than a square one.
    """
    padded = np.pad(image, 1, constant_values=0.0)
    shifts = [padded[1:-1, 1:-1], padded[:-2, 1:-1], padded[2:, 1:-1],
              padded[1:-1, :-2], padded[1:-1, 2:]]
    if step % 2 == 0:
        shifts += [padded[:-2, :-2], padded[:-2, 2:], padded[2:, :-2], padded[2:, 2:]]
    return (np.minimum if erode else np.maximum).reduce(shifts)


# --- augmentation and EMNIST processing --------------------------------------------------------

def _make_samples(glyphs: np.ndarray, index: np.ndarray, augment: Augment,
                  rng: np.random.Generator) -> np.ndarray:
    """uint8 B x 28 x 28 EMNIST-processed samples of ``glyphs[index]`` (chars x levels x canvas)."""
    import torch
    import torch.nn.functional as F

    n = len(index)
    level = rng.integers(0, STROKE_LEVELS, n)
    angle = np.radians(rng.uniform(-augment.rotation, augment.rotation, n))
    scale = rng.uniform(*augment.scale, n)
    stretch = np.sqrt(1.0 + rng.uniform(-augment.aspect, augment.aspect, n))
    shear = np.tan(np.radians(rng.uniform(-augment.slant, augment.slant, n)))
    g = augment.elastic_grid
    elastic = rng.standard_normal((n, 2, g, g)) * augment.elastic

    # Forward map (scale and stretch, then slant, then rotation) about the canvas centre; the
    # sampling grid needs its inverse: output pixel -> source pixel.
    cos, sin = np.cos(angle), np.sin(angle)
    sx, sy = scale * stretch, scale / stretch
    forward = np.empty((n, 2, 2))
    forward[:, 0, 0] = cos * sx
    forward[:, 0, 1] = (-cos * shear - sin) * sy
    forward[:, 1, 0] = sin * sx
    forward[:, 1, 1] = (-sin * shear + cos) * sy
    inverse = np.linalg.inv(forward)
    # The whole sampling grid (affine part plus elastic field) is basis @ control @ basis.T (see
    # _operators); the affine coefficients sit in the (constant, linear) slots of the control.
    control = np.zeros((n, 2, g + 2, g + 2), np.float32)
    control[:, :, :g, :g] = elastic
    control[:, :, g, g + 1] = inverse[:, :, 0]  # x-coefficient: constant in y, linear in x
    control[:, :, g + 1, g] = inverse[:, :, 1]  # y-coefficient: linear in y, constant in x
    basis, blur = _operators(g)
    grid = (basis @ torch.from_numpy(control) @ basis.T).permute(0, 2, 3, 1)

    source = torch.from_numpy(glyphs[index, level]).unsqueeze(1)
    warped = F.grid_sample(source, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    blurred = blur @ warped.squeeze(1) @ blur.T  # separable Gaussian as two banded matrix products
    return _crop_centre_resize(blurred.numpy())


@lru_cache(maxsize=4)
def _operators(g: int):
    """(basis, blur) matrices for the canvas, built once.

    basis (CANVAS x g+2): g Gaussian bumps on a regular grid of control points (each row scaled
    to unit norm, so a field with N(0, s) controls has std s everywhere), then a constant and the
    normalised coordinate itself (grid_sample's -1..1, pixel centres). blur (CANVAS x CANVAS): the
    Gaussian of sigma BLUR_SIGMA as a banded matrix, cut at 3 sigma, zero outside the canvas.
    """
    import torch

    u = (2 * np.arange(CANVAS) + 1) / CANVAS - 1
    centres = np.linspace(-1, 1, g)
    bumps = np.exp(-((u[:, None] - centres[None, :]) ** 2) / (2 * (2 / (g - 1)) ** 2))
    bumps /= np.linalg.norm(bumps, axis=1, keepdims=True)
    basis = np.concatenate([bumps, np.ones((CANVAS, 1)), u[:, None]], axis=1)
    radius = math.ceil(3 * BLUR_SIGMA)
    offsets = np.arange(CANVAS)[None, :] - np.arange(CANVAS)[:, None]
    blur = np.where(np.abs(offsets) <= radius, np.exp(-offsets ** 2 / (2 * BLUR_SIGMA ** 2)), 0.0)
    blur /= np.exp(-np.arange(-radius, radius + 1) ** 2 / (2 * BLUR_SIGMA ** 2)).sum()
    return torch.tensor(basis, dtype=torch.float32), torch.tensor(blur, dtype=torch.float32)


def _crop_centre_resize(batch: np.ndarray) -> np.ndarray:
    """EMNIST's last steps: crop to the ink, square frame, 2 px border, bicubic to 28 x 28."""
    mask = batch > ROI_THRESHOLD
    rows, cols = mask.any(axis=2), mask.any(axis=1)
    size = batch.shape[1]
    top, bottom = rows.argmax(axis=1), size - rows[:, ::-1].argmax(axis=1)
    left, right = cols.argmax(axis=1), size - cols[:, ::-1].argmax(axis=1)
    out = np.zeros((len(batch), SIDE, SIDE), np.uint8)
    for i, image in enumerate(batch):
        # Square frame on the ink's centre, its side the ink's larger extent, widened so that the
        # ink spans SIDE - 2 * BORDER px of the result.
        half = max(bottom[i] - top[i], right[i] - left[i]) * SIDE / (SIDE - 2 * BORDER) / 2
        cy, cx = (top[i] + bottom[i]) / 2, (left[i] + right[i]) / 2
        box = (cx - half, cy - half, cx + half, cy + half)
        if box[0] < 0 or box[1] < 0 or box[2] > size or box[3] > size:  # frame leaves the canvas
            pad = math.ceil(max(-box[0], -box[1], box[2] - size, box[3] - size))
            image = np.pad(image, pad)
            box = tuple(b + pad for b in box)
        small = np.asarray(Image.fromarray(image).resize((SIDE, SIDE), Image.Resampling.BICUBIC,
                                                         box=box))
        small = small.clip(0, None)  # bicubic overshoots below zero next to strokes
        out[i] = np.rint(small * (255.0 / max(small.max(), 1e-6)))
    return out

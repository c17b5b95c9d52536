"""``hwrender eval own-hand``: a handwriting font held out of every training set plays a writer.

For each model and font: the model's template pages are filled with the font (``render_page`` at
200 dpi, jittered as a pen would), made to look like phone photos (``simulate_photo``: perspective,
rotation, light gradient, blur, noise, JPEG), extracted, fitted (``hwrender.styles.add`` into a
scratch styles folder), and the fitted style then writes what the template did **not** hold. The
report (the figures rows ``hwrender eval`` prints) has, per model:

- **extraction**: the share of boxes cut correctly (a sample exists for the box, with its text,
  not flagged empty, and its ink lies where the font put it: IoU ≥ 0.5 of the ink masks, each
  dilated by 2 px, against the same box cut from the clean render), and seconds per page;
- **fidelity**, on characters (Hangul, Han) or words (Latin, EMNIST) not on the template:
  *crop-and-fit L1* (crop each ink to its bounding box, fit it into a 64x64 frame keeping its
  aspect, mean absolute difference of the alphas) against the font's own rendering, for the fitted
  style, the model's default style and (glyph styler) the plain source font; target for Hangul
  and Han: fitted ≤ 0.75x default. For Latin and EMNIST, *shape features* (slant as a shear, stroke
  width, width per letter, each relative to the x-height, and ink coverage of the bounding box):
  the mean over features of ``|f - f_writer| / scale`` (scale ``|f_writer|``, slant 0.25); target:
  the fitted hand ≥ 40 % closer to the writer than the default hand;
- **legibility**: Tesseract's CER on a sentence written through ``hwrender.render_pages`` with
  ``style=NAME`` (the font's own rendering and the default hand as references); targets ≤ 0.15
  Hangul/Han, ≤ 0.12 Latin;
- **fit time** per model (``style.json``'s ``fit_s``; measured on a shared machine, so under load).

The pieces are ``hwrender.sheets`` (layout, template, photo, extract) and ``hwrender.styles``
(add); this module only drives them and measures. Torch is imported by the generators only.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

MODELS = ("latin", "emnist", "hangul", "cjk")
# The sheet each model's writer fills, the script it writes and Tesseract's language for it.
SHEET = {"latin": "latin", "emnist": "emnist", "hangul": "hangul", "cjk": "cjk"}
SCRIPT = {"latin": "Latn", "emnist": "Latn", "hangul": "Hang", "cjk": "Hani"}
OCR_LANG = {"Latn": "eng", "Hang": "kor", "Hani": "chi_sim"}
# The plugin (entry point) of each model: a fit loads only it, so a Latin sheet's figures time the
# model measured and not also the other family that learns from it.
PLUGIN = {"latin": "latin", "emnist": "emnist", "hangul": "glyph_styler", "cjk": "glyph_styler"}
# Held out of every training set (fonts.json ``holdout``; the models' cards list what they
# trained on): Kalam, Gochi Hand and Schoolbell are the held-out Latin faces Tesseract reads
# (the other held-out ones are marked latin_ocr_hard); NanumBarunpen and Gaegu the held-out
# Hangul faces, Long Cang the held-out Han face.
DEFAULT_FONTS = {"latin": ("kalam", "gochi-hand", "schoolbell"),
                 "emnist": ("kalam", "gochi-hand", "schoolbell"),
                 "hangul": ("nanum-barunpen", "gaegu"), "cjk": ("long-cang",)}
# Words not on any Latin template (checked at run time: a word the template holds is dropped).
WORDS = ("garden", "quiver", "bishop", "wealth", "zombie", "flaky", "jumper", "vortex", "mellow",
         "cygnet", "plaza", "hockey", "brunch", "waffle", "oxygen", "dizzy", "Kettle", "Yogurt",
         "Jinx", "Bravo", "north", "sketch", "glimpse", "puzzle")
SENTENCES = {"Latn": "Please send the parcel to our new home by Friday",
             "Hang": "우리는 함께 공부합니다", "Hani": "我喜欢读书"}
FRAME = 64
TARGETS = {"l1_ratio": 0.75, "closer": 0.40, "cer": {"Latn": 0.12, "Hang": 0.15, "Hani": 0.15},
           "boxes": 0.99, "fit_s": 600.0}
SLANT_SCALE = 0.25


@dataclass
class Settings:
    """``--set`` / bench options."""

    models: tuple[str, ...] = MODELS
    fonts: tuple[str, ...] = ()  # font ids or files; empty: DEFAULT_FONTS of each model
    font_dirs: tuple[str, ...] = ()  # where else to look for ``<id>.ttf``
    seeds: int = 3  # simulated photos per page (extraction); the first seed's samples are fitted
    quick: bool = False  # one font, one seed, fewer unseen characters
    units: int = 60  # unseen characters (Hangul, Han) or words (Latin) written per font
    steps: int | None = None  # fit steps (None: each fitter's default)
    dpi: int = 200
    device: str = "cpu"
    weights: dict = field(default_factory=dict)  # model -> weights folder (default: shipped)
    keep: str | None = None  # keep the work folder here (sheets, photos, samples, styles)

    def __post_init__(self) -> None:
        if self.quick:
            self.seeds, self.units = 1, min(self.units, 24)


def parse_settings(options: Sequence[str]) -> Settings:
    """``key=value`` words (``hwrender eval own-hand --set models=hangul,cjk --set quick=1``)."""
    from ..errors import UsageError

    s = Settings()
    for option in options:
        key, sep, value = option.partition("=")
        key = key.strip().replace("-", "_")
        if not sep:
            raise UsageError(f"--set {option!r} is not KEY=VALUE", "e.g. --set models=hangul")
        if key in ("models", "fonts", "font_dirs"):
            items = tuple(v for v in value.split(",") if v)
            if key == "models" and set(items) - set(MODELS):
                raise UsageError(f"unknown model in --set models={value}",
                                 f"models are {', '.join(MODELS)}")
            setattr(s, key, items)
        elif key in ("seeds", "units", "dpi", "steps"):
            setattr(s, key, int(value))
        elif key == "quick":
            s.quick = value.lower() in ("1", "true", "yes", "on")
        elif key in ("device", "keep"):
            setattr(s, key, value)
        elif key == "weights":
            model, _, folder = value.partition(":")
            s.weights[model] = folder
        else:
            raise UsageError(f"unknown setting {key!r}",
                             "settings: models, fonts, font_dirs, seeds, quick, units, steps, "
                             "dpi, device, weights=MODEL:DIR, keep")
    s.__post_init__()
    return s


# ------------------------------------------------------------------------------------ measures


def ink_bbox(alpha: np.ndarray, level: float = 0.2) -> tuple[int, int, int, int] | None:
    """(top, left, bottom, right) of the ink above ``level``; None for a blank image."""
    rows, cols = np.nonzero(alpha > level)
    if not len(rows):
        return None
    return int(rows.min()), int(cols.min()), int(rows.max()) + 1, int(cols.max()) + 1


def crop_and_fit(alpha: np.ndarray, size: int = FRAME, margin: int = 4) -> np.ndarray:
    """The ink cropped to its bounding box and fitted, aspect kept, centred in a square frame."""
    from PIL import Image

    frame = np.zeros((size, size), np.float32)
    box = ink_bbox(alpha)
    if box is None:
        return frame
    top, left, bottom, right = box
    crop = np.clip(alpha[top:bottom, left:right], 0, 1).astype(np.float32)
    h, w = crop.shape
    scale = (size - 2 * margin) / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    resized = np.asarray(Image.fromarray(crop).resize((nw, nh), Image.BILINEAR), np.float32)
    y, x = (size - nh) // 2, (size - nw) // 2
    frame[y:y + nh, x:x + nw] = resized
    return frame


def fit_l1(a: np.ndarray, b: np.ndarray) -> float:
    """Crop-and-fit L1 between two alpha images (0 = the same shape at any size and place)."""
    return float(np.abs(crop_and_fit(a) - crop_and_fit(b)).mean())


def shape_features(alpha: np.ndarray, x_height: float, letters: int) -> dict[str, float] | None:
    """Slant (shear of x on height, right lean > 0), stroke width and width per letter in
    x-heights, and ink coverage of the bounding box; None for a blank image."""
    box = ink_bbox(alpha)
    if box is None or x_height <= 0:
        return None
    top, left, bottom, right = box
    crop = np.clip(alpha[top:bottom, left:right], 0, 1)
    ink = crop > 0.5
    ys, xs = np.nonzero(ink)
    if len(ys) < 4:
        return None
    slant = _slant(xs, -(ys - ys.mean()))
    padded = np.pad(ink, 1)
    inner = padded[1:-1, 1:-1] & padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] \
        & padded[1:-1, 2:]
    edge = int(ink.sum() - inner.sum())
    stroke = 2.0 * float(ink.sum()) / max(1, edge)  # area ≈ length × width, edge ≈ 2 × length
    return {"slant": slant, "stroke": stroke / x_height,
            "width": (right - left) / max(1, letters) / x_height,
            "coverage": float(crop.sum()) / crop.size}


def _slant(xs: np.ndarray, up: np.ndarray) -> float:
    """The shear that makes the strokes upright (right lean > 0): the one whose unsheared ink
    has the peakiest column profile (the usual deslant search; moments mix in ascender layout)."""
    shears = np.linspace(-0.8, 0.8, 33)
    scores = [float(np.square(np.bincount(np.round(xs - s * up - (xs - s * up).min())
                                          .astype(np.int64))).sum()) for s in shears]
    return float(shears[int(np.argmax(scores))])


def mean_features(rows: Iterable[dict | None]) -> dict[str, float]:
    rows = [r for r in rows if r]
    return {k: float(np.median([r[k] for r in rows])) for k in rows[0]} if rows else {}


def feature_distance(f: dict[str, float], writer: dict[str, float]) -> float:
    """Mean over features of ``|f - writer| / scale`` (scale: the writer's value; slant 0.25)."""
    terms = [abs(f[k] - writer[k]) / (SLANT_SCALE if k == "slant" else max(abs(writer[k]), 1e-6))
             for k in writer if k in f]
    return float(np.mean(terms)) if terms else float("nan")


# ----------------------------------------------------------------------------- font rendering


class FontInk:
    """A font's true rendering of characters and words as alpha images (``x_height`` known)."""

    def __init__(self, path: Path, px: int = 96):
        from PIL import ImageFont

        self.path = Path(path)
        self.font = ImageFont.truetype(str(path), px)
        x = self.alpha("x", measure=False)
        box = ink_bbox(x)
        self.x_height = float(box[2] - box[0]) if box else px * 0.5

    def alpha(self, text: str, measure: bool = True) -> np.ndarray:
        from PIL import Image, ImageDraw

        left, top, right, bottom = self.font.getbbox(text)
        pad = 8
        im = Image.new("L", (max(1, right - left) + 2 * pad, max(1, bottom - top) + 2 * pad), 0)
        ImageDraw.Draw(im).text((pad - left, pad - top), text, fill=255, font=self.font)
        return np.asarray(im, np.float32) / 255.0

    def covers(self) -> frozenset[str]:
        from ..fonts import coverage

        return coverage(self.path)


def resolve_font(spec: str, dirs: Sequence[str] = ()) -> Path:
    """A font file given as a path, or a corpus id found on this machine or in ``dirs``."""
    from .. import fonts
    from ..errors import UsageError

    path = Path(spec).expanduser()
    if path.is_file():
        return path
    record = None
    try:
        record = fonts.get(spec)
        found = fonts.locate(record)
        if found:
            return Path(found)
    except Exception:  # an unknown id: look in dirs by name
        pass
    names = [f"{spec}.ttf", f"{spec}.otf"] + ([record.file_name] if record else [])
    for folder in [*dirs, os.environ.get("HWRENDER_FONTS_DIR", "")]:
        for name in names:
            if folder and (Path(folder) / name).is_file():
                return Path(folder) / name
    raise UsageError(f"font {spec!r} is not on this machine",
                     "install it (`hwrender fonts install`), give its file, or --set font_dirs=DIR")


# ----------------------------------------------------------------------------------- the round trip


@contextmanager
def styles_dir(folder: Path):
    """Point the styles store at ``folder`` for the duration (the user's styles stay untouched)."""
    before = os.environ.get("HWRENDER_STYLES_DIR")
    os.environ["HWRENDER_STYLES_DIR"] = str(folder)
    try:
        yield folder
    finally:
        if before is None:
            os.environ.pop("HWRENDER_STYLES_DIR", None)
        else:
            os.environ["HWRENDER_STYLES_DIR"] = before


def box_truth(page, clean: np.ndarray, px_per_mm: float) -> dict[str, np.ndarray]:
    """Each box's ink (alpha) cut from the clean fill render, by the layout's millimetres."""
    out = {}
    for box in page.boxes:
        y0, x0 = round(box.y * px_per_mm), round(box.x * px_per_mm)
        y1, x1 = round((box.y + box.h) * px_per_mm), round((box.x + box.w) * px_per_mm)
        out[box.id] = clean[y0:y1, x0:x1]
    return out


def _dilate(mask: np.ndarray, r: int = 2) -> np.ndarray:
    out = mask.copy()
    for dy in range(-r, r + 1):
        for dx in range(-r, r + 1):
            out |= np.roll(np.roll(mask, dy, 0), dx, 1)
    return out


def cut_correctly(sample_alpha: np.ndarray, truth_alpha: np.ndarray) -> bool:
    """Whether an extracted box holds the ink the font put in it: IoU ≥ 0.5 of the dilated ink
    masks, the sample resized to the box (extraction may inset it by the outline)."""
    from PIL import Image

    if truth_alpha.size == 0 or sample_alpha.size == 0:
        return False
    h, w = truth_alpha.shape
    resized = np.asarray(Image.fromarray(sample_alpha.astype(np.float32)).resize((w, h)), np.float32)
    a, b = _dilate(resized > 0.35), _dilate(truth_alpha > 0.35)
    union = (a | b).sum()
    return bool(union) and (a & b).sum() / union >= 0.5


def clean_alpha(image) -> np.ndarray:
    """Dark ink of an RGB page as alpha: the fill is dark, the template's guides light."""
    grey = np.asarray(image.convert("L"), np.float32) / 255.0
    return np.clip((0.55 - grey) / 0.45, 0, 1)  # light-blue outlines and grey guides drop out


def _generate(gen, spec, units: Sequence[str], style, device: str) -> list:
    return gen.generate(list(units), style, 0, device)


def _template_texts(kind: str) -> tuple[set[str], set[str]]:
    from ..sheets import layout

    chars, words = set(layout.charset(kind)), set()
    for page in layout.pages(kind):
        for box in page.boxes:
            if box.kind == "char":
                chars.add(box.text)
            else:
                words.update(box.text.split())
    return chars, words


def unseen_units(model: str, font: FontInk, gen_charset, n: int, seed: int) -> list[str]:
    """What the writer never wrote on the template: characters (glyph styler) or words."""
    import random

    chars, words = _template_texts(SHEET[model])
    if SCRIPT[model] == "Latn":
        picked = [w for w in WORDS if w not in words and w.lower() not in words][:n]
        if model == "emnist":  # it writes characters: each letter of the words, in new instances
            picked = [c for w in picked for c in w][:n]
        return picked
    from hwrender_plugins.glyph_styler.data import gb2312_hanzi, ksx1001_hangul

    # everyday characters: the 2,350 common syllables, GB 2312 level 1
    pool = list(ksx1001_hangul() if model == "hangul" else gb2312_hanzi(1))
    covered = font.covers()
    pool = [c for c in pool if c not in chars and c in covered and (gen_charset is None
                                                                    or gen_charset(c))]
    random.Random(seed).shuffle(pool)
    return pool[:n]


def ocr_cer(model: str, text: str, style, weights: str | None, device: str) -> float:
    """Tesseract CER of ``text`` written by ``model`` in ``style`` through the public API."""
    from ..api import iter_pages
    from ..options import RenderOptions
    from ..train.metrics import cer, ocr_line

    script = SCRIPT[model]
    opts = RenderOptions(generators={script: model}, style=style, weights=weights, device=device,
                         dpi=300)
    page = next(iter_pages(text, opts))
    alpha = np.asarray(page.coverage, np.float32) / 255.0
    return cer(text, ocr_line(_line_crop(alpha), OCR_LANG[script]))


def _line_crop(alpha: np.ndarray, pad: int = 24) -> np.ndarray:
    box = ink_bbox(alpha)
    if box is None:
        return np.full((32, 32), 255, np.uint8)
    top, left, bottom, right = box
    crop = alpha[max(0, top - pad):bottom + pad, max(0, left - pad):right + pad]
    return (255 - np.clip(crop, 0, 1) * 255).astype(np.uint8)


def font_cer(font: FontInk, text: str, script: str) -> float:
    from ..train.metrics import cer, ocr_line

    return cer(text, ocr_line(_line_crop(np.pad(font.alpha(text), 24)), OCR_LANG[script]))


@dataclass
class Hooks:
    """The pieces the round trip drives (replaceable in tests)."""

    render_page: Callable
    simulate_photo: Callable
    extract: Callable  # (image paths, out folder) -> anything; writes samples.json there
    add: Callable  # (name, folder, **kw) -> anything; writes the style into the store


def default_hooks() -> Hooks:
    from ..sheets.extract import extract
    from ..sheets.photo import simulate_photo
    from ..sheets.template import render_page
    from . import add

    return Hooks(render_page, simulate_photo, extract, add)


def extraction(model: str, font_path: Path, settings: Settings, work: Path, hooks: Hooks,
               log: Callable[[str], None]) -> dict:
    """Fill, photograph, extract every page of the model's sheet with each seed; the first
    seed's samples folder is what gets fitted."""
    from ..sheets import layout
    from .types import load_samples

    kind = SHEET[model]
    pages = layout.pages(kind)
    px_per_mm = settings.dpi / 25.4
    total = good = 0
    seconds = []
    folders = []
    for seed in range(settings.seeds):
        shots, truths = [], {}
        for page in pages:
            clean = hooks.render_page(page, settings.dpi, fill_font=str(font_path), seed=seed,
                                     skip_missing=True)  # boxes the font lacks: left empty
            truths[page.number] = box_truth(page, clean_alpha(clean), px_per_mm)
            photo = hooks.simulate_photo(clean, seed=seed)
            path = work / f"{kind}-p{page.number}-s{seed}.png"
            photo.convert("RGB").save(path)  # already JPEG-70 degraded: no second loss
            shots.append(path)
        out = work / f"samples-{kind}-s{seed}"
        t0 = time.perf_counter()
        hooks.extract(shots, out)
        seconds.append((time.perf_counter() - t0) / len(pages))
        found = {(s.page, s.box): s for s in load_samples(out)}
        for page in pages:
            for box in page.boxes:
                total += 1
                sample = found.get((page.number, box.id))
                truth = truths[page.number][box.id]
                if float(np.max(truth, initial=0.0)) < 0.1:  # a box the font could not fill
                    good += sample is None  # right when extraction flagged it empty
                    continue
                good += bool(sample is not None and sample.text == box.text and cut_correctly(
                    sample.ink(), truth))
        folders.append(out)
        log(f"{model}: seed {seed}: {good}/{total} boxes so far, {seconds[-1]:.2f} s/page")
    return {"boxes": total, "cut": good, "share": good / max(1, total),
            "s_per_page": float(np.median(seconds)), "pages": len(pages), "folder": folders[0]}


def _part_model(spec) -> str:
    return spec.weights or spec.name


def fidelity(model: str, font: FontInk, style_folder: Path, settings: Settings,
             log: Callable[[str], None]) -> dict:
    """Fitted vs default vs source font on units the template did not hold; legibility too."""
    from ..registry import default_registry
    from .types import UserStyle

    registry = default_registry()
    spec = registry.get(model)
    weights = settings.weights.get(model)
    gen = registry.instance(model, weights_dir=weights)
    user = UserStyle.load(style_folder)
    out: dict = {"part": _part_model(spec) in user.models}
    if not out["part"]:
        out["note"] = f"the style has no {_part_model(spec)} part (parts: {', '.join(user.models)})"
        return out
    units = unseen_units(model, font, spec.covers, settings.units, 0)
    out["units"] = len(units)
    truth = [font.alpha(u) for u in units]
    fitted = _generate(gen, spec, units, user, settings.device)
    default = _generate(gen, spec, units, None, settings.device)
    out["l1_fitted"] = float(np.mean([fit_l1(i.alpha, t) for i, t in zip(fitted, truth)]))
    out["l1_default"] = float(np.mean([fit_l1(i.alpha, t) for i, t in zip(default, truth)]))
    if model in ("hangul", "cjk"):
        from hwrender_plugins.glyph_styler import SOURCE_FONT

        source = FontInk(SOURCE_FONT)
        out["l1_source"] = float(np.mean([fit_l1(source.alpha(u), t)
                                          for u, t in zip(units, truth)]))
    else:
        writer = mean_features(shape_features(t, font.x_height, len(u))
                               for u, t in zip(units, truth))
        feats = {name: mean_features(shape_features(i.alpha, i.x_height, len(u))
                                     for u, i in zip(units, inks))
                 for name, inks in (("fitted", fitted), ("default", default))}
        out["features"] = {"writer": writer, **feats}
        out["d_fitted"] = feature_distance(feats["fitted"], writer)
        out["d_default"] = feature_distance(feats["default"], writer)
        out["closer"] = 1.0 - out["d_fitted"] / max(out["d_default"], 1e-9)
    log(f"{model}: L1 fitted {out['l1_fitted']:.4f} default {out['l1_default']:.4f}")
    from ..train.metrics import tesseract_langs

    script = SCRIPT[model]
    if OCR_LANG[script] in tesseract_langs():
        text = SENTENCES[script]
        out["cer_fitted"] = ocr_cer(model, text, user.name, weights, settings.device)
        out["cer_default"] = ocr_cer(model, text, None, weights, settings.device)
        out["cer_font"] = font_cer(font, text, script)
    return out


def run_one(model: str, font_spec: str, settings: Settings, work: Path, hooks: Hooks,
            log: Callable[[str], None]) -> dict:
    """The whole round trip for one model and one font."""
    font_path = resolve_font(font_spec, settings.font_dirs)
    font = FontInk(font_path)
    row: dict = {"model": model, "font": font_spec, "font_file": str(font_path)}
    sub = work / f"{model}-{Path(font_spec).stem}"
    sub.mkdir(parents=True, exist_ok=True)
    row["extraction"] = ex = extraction(model, font_path, settings, sub, hooks, log)
    name = f"eval-{model}-{Path(font_spec).stem}".lower()[:60]
    store = sub / "styles"
    with styles_dir(store):
        t0 = time.perf_counter()
        from ..registry import Registry

        kwargs = {"force": True, "device": settings.device,
                  "registry": Registry.from_entry_points(["font", PLUGIN[model]])}
        if settings.steps is not None:
            kwargs["steps"] = settings.steps
        if settings.weights.get(model):
            kwargs["weights"] = settings.weights[model]
        hooks.add(name, ex["folder"], **kwargs)
        row["add_s"] = time.perf_counter() - t0
        folder = store / name
        parts = json.loads((folder / "style.json").read_text(encoding="utf-8")).get("parts", {})
        row["fit_s"] = {m: p.get("fit_s") for m, p in parts.items()}
        row["fit_figures"] = {m: p.get("figures") for m, p in parts.items()}
        row["fidelity"] = fidelity(model, font, folder, settings, log)
    return row


def evaluate(settings: Settings, log: Callable[[str], None] = print,
             hooks: Hooks | None = None) -> dict:
    """Every model × font of ``settings``: the rows and the figures table."""
    hooks = hooks or default_hooks()
    rows = []
    with tempfile.TemporaryDirectory(prefix="hwrender-own-hand-") as tmp:
        work = Path(settings.keep or tmp)
        for model in settings.models:
            fonts = settings.fonts or DEFAULT_FONTS[model]
            for font in fonts[:1] if settings.quick else fonts:
                log(f"{model} with {font}")
                rows.append(run_one(model, font, settings, work, hooks, log))
    for row in rows:
        row["extraction"]["folder"] = str(row["extraction"]["folder"])
    return {"rows": rows, "figures": figures(rows),
            "settings": {"seeds": settings.seeds, "units": settings.units,
                         "steps": settings.steps, "dpi": settings.dpi, "quick": settings.quick}}


def figures(rows: Sequence[dict]) -> list[dict]:
    """The rows as ``hwrender eval`` figures: name, value, target, pass."""
    from ..train.metrics import figure

    out = []
    for row in rows:
        m, f = row["model"], Path(row["font"]).stem
        ex, fid = row["extraction"], row.get("fidelity", {})
        tag = f"{m} / {f}"
        out.append(figure(f"{tag}: boxes cut correctly", round(ex["share"], 4),
                          f">= {TARGETS['boxes']}", ex["share"] >= TARGETS["boxes"]))
        out.append(figure(f"{tag}: extraction s/page", round(ex["s_per_page"], 2)))
        part = next((s for k, s in row["fit_s"].items() if s is not None
                     and (k == m or (m in ("hangul", "cjk") and k == "glyph-styler"))), None)
        if part is not None:
            out.append(figure(f"{tag}: fit s (2 shared CPU cores)", round(part, 1),
                              f"<= {TARGETS['fit_s']:.0f}", part <= TARGETS["fit_s"]))
        if not fid.get("part"):
            out.append(figure(f"{tag}: fitted part", "none", fid.get("note", ""), False))
            continue
        if m in ("hangul", "cjk"):
            ratio = fid["l1_fitted"] / max(fid["l1_default"], 1e-9)
            out.append(figure(f"{tag}: unseen L1 fitted / default", round(ratio, 3),
                              f"<= {TARGETS['l1_ratio']}", ratio <= TARGETS["l1_ratio"]))
            out.append(figure(f"{tag}: unseen L1 source font", round(fid["l1_source"], 4)))
        else:
            out.append(figure(f"{tag}: shape features closer than default", round(fid["closer"], 3),
                              f">= {TARGETS['closer']}", fid["closer"] >= TARGETS["closer"]))
        out.append(figure(f"{tag}: unseen L1 fitted", round(fid["l1_fitted"], 4)))
        out.append(figure(f"{tag}: unseen L1 default", round(fid["l1_default"], 4)))
        if "cer_fitted" in fid:
            target = TARGETS["cer"][SCRIPT[m]]
            out.append(figure(f"{tag}: Tesseract CER fitted", round(fid["cer_fitted"], 3),
                              f"<= {target}", fid["cer_fitted"] <= target))
            out.append(figure(f"{tag}: Tesseract CER default / font",
                              f"{fid['cer_default']:.3f} / {fid['cer_font']:.3f}"))
    return out

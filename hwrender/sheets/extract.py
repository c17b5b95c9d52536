"""Photos or scans of filled templates -> a samples folder (``hwrender extract``).

Each image is searched for the template's ArUco corner marks (``layout.ARUCO_DICT``); their ids
carry the page code (kind, version, page number) and which corner each is, so a tilted,
turned or upside-down sheet maps back onto its layout with one homography from all the marks'
corners. The page is warped to :data:`PX_PER_MM` (200 dpi), its uneven light flattened, and every
box cut a little inside its outline; what is left of the printed guides (outline, writing line)
is lighter than the page's ink and is cut away by a threshold measured on the guides themselves.

OpenCV is imported inside the functions, so ``hwrender extract --help`` and an install without
the ``extract`` extra work; extracting without it raises a one-line error naming the extra.
"""

from __future__ import annotations

import json
import math
import os
import re
import secrets
import shutil
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
from PIL import Image

from ..errors import HwrenderError, HwrenderWarning, InputError, OutputError, UsageError
from ..styles.types import SAMPLES_FORMAT, SAMPLES_VERSION
from . import layout

DPI = 200
PX_PER_MM = DPI / 25.4  # 7.874: the scale of every extracted sample
MIN_DPI = 90  # below this a sheet's strokes are a few pixels wide: too little to learn a hand from
# A photo up to MAX_PIXELS is read (a 200-megapixel phone photo is 200 million); one larger than
# WORK_PIXELS is reduced to about that on reading (a JPEG is decoded small, so memory stays low):
# an A4 sheet at 50 million pixels is still 700 dpi, far past what extraction needs.
MAX_PIXELS = 400_000_000
WORK_PIXELS = 50_000_000
MAX_BLUR_MM = 0.35  # edge blur (Gaussian sigma on the paper) beyond which strokes smear together
INSET_MM = 0.7  # cut this far inside a box's outline: the line's width plus registration error
DETECT_MAX_SIDE = 3200  # detect marks on at most this many pixels (a 600 dpi scan is 7000)
PDF_DPI = 300  # PDF scans are rasterised at this resolution
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".heic", ".heif", ".tif", ".tiff", ".webp", ".bmp")
CORNER_NAMES = {"tl": "top-left", "tr": "top-right", "br": "bottom-right", "bl": "bottom-left"}
EXTRA_HINT = 'pip install "hwrender[extract]"'


def _cv2():
    try:
        import cv2
    except ImportError:
        raise HwrenderError("extracting samples needs OpenCV, which is not installed",
                            f"install it with: {EXTRA_HINT}") from None
    return cv2


# ---------------------------------------------------------------------------------------------
# Reading the inputs


def load_images(path: str | os.PathLike) -> list[tuple[str, Image.Image]]:
    """The pages in one input file as ``(label, RGB image)``: a photo (EXIF orientation applied),
    each frame of a TIFF, each page of a PDF. ``label`` names the file (and page) in messages."""
    from PIL import ImageOps, ImageSequence, UnidentifiedImageError

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path} does not exist" if not path.exists() else f"{path} is not a file",
                         "give photos or scans of filled templates")
    if path.suffix.lower() == ".pdf" or path.read_bytes()[:5] == b"%PDF-":
        return _pdf_pages(path)
    if path.suffix.lower() in (".heic", ".heif"):
        try:  # Pillow reads HEIC only through this plugin
            import pillow_heif

            pillow_heif.register_heif_opener()
        except ImportError:
            pass
    bomb_limit = Image.MAX_IMAGE_PIXELS
    try:
        with warnings.catch_warnings():
            # Pillow warns past MAX_IMAGE_PIXELS and refuses past twice that: refused here past
            # MAX_PIXELS, with advice, and reduced to WORK_PIXELS
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            Image.MAX_IMAGE_PIXELS = MAX_PIXELS // 2
            with Image.open(path) as im:
                if im.width * im.height > WORK_PIXELS:
                    im.draft("RGB", (im.width // _reduction(im.size), im.height // _reduction(im.size)))
                frames = [_reduced(ImageOps.exif_transpose(frame.copy()))
                          for frame in ImageSequence.Iterator(im)]
    except Image.DecompressionBombError:
        raise InputError(f"{path.name} is larger than {MAX_PIXELS // 1_000_000} million pixels",
                         "save it smaller (50 million pixels is plenty) and give it again") from None
    except UnidentifiedImageError:
        if path.suffix.lower() in (".heic", ".heif"):
            raise InputError(f"cannot read {path.name}: this Pillow has no HEIC support",
                             "pip install pillow-heif, or export the photo as JPEG") from None
        raise InputError(f"{path.name} is not an image",
                         "give JPEG, PNG, HEIC, TIFF photos or a PDF scan") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read {path.name}: {exc}", "give the photo again, or re-export it") from None
    finally:
        Image.MAX_IMAGE_PIXELS = bomb_limit
    if len(frames) == 1:
        return [(path.name, frames[0].convert("RGB"))]
    return [(f"{path.name} page {i}", f.convert("RGB")) for i, f in enumerate(frames, 1)]


def _reduction(size: tuple[int, int]) -> int:
    """The whole factor that brings an image of ``size`` to at most WORK_PIXELS."""
    return max(1, math.ceil(math.sqrt(size[0] * size[1] / WORK_PIXELS)))


def _reduced(image: Image.Image) -> Image.Image:
    return image.reduce(_reduction(image.size)) if image.width * image.height > WORK_PIXELS else image


def _pdf_pages(path: Path) -> list[tuple[str, Image.Image]]:
    try:
        import pypdfium2 as pdfium
    except ImportError:
        raise HwrenderError(f"reading the PDF {path.name} needs pypdfium2, which is not installed",
                            f"install it with: {EXTRA_HINT}, or give the pages as images") from None
    try:
        pdf = pdfium.PdfDocument(str(path))
    except Exception as exc:  # pypdfium2 raises its own PdfiumError for a broken file
        raise InputError(f"cannot read the PDF {path.name}: {exc}",
                         "give the scan again, or its pages as images") from None
    try:
        pages = []
        for i in range(len(pdf)):
            image = pdf[i].render(scale=PDF_DPI / 72).to_pil().convert("RGB")
            pages.append((f"{path.name} page {i + 1}" if len(pdf) > 1 else path.name, image))
        return pages
    finally:
        pdf.close()


# ---------------------------------------------------------------------------------------------
# Finding the sheet


def _detector(cv2, **overrides):
    params = cv2.aruco.DetectorParameters()
    # Marks are 14 mm on a sheet that fills from a third of a photo to all of a scan.
    params.minMarkerPerimeterRate = 0.015
    params.maxMarkerPerimeterRate = 1.0
    params.adaptiveThreshWinSizeMin = 5
    params.adaptiveThreshWinSizeMax = 75
    params.adaptiveThreshWinSizeStep = 14
    params.cornerRefinementMethod = cv2.aruco.CORNER_REFINE_SUBPIX
    for name, value in overrides.items():
        setattr(params, name, value)
    dictionary = cv2.aruco.getPredefinedDictionary(getattr(cv2.aruco, layout.ARUCO_DICT))
    return cv2.aruco.ArucoDetector(dictionary, params)


def detect_marks(grey: np.ndarray) -> dict[int, dict[str, np.ndarray]]:
    """ArUco marks in a grey image: ``{page code: {corner: 4x2 corners in image pixels}}``.

    Large images are searched at :data:`DETECT_MAX_SIDE`; when a page has fewer than four marks,
    a contrast-equalised and (for small images) an upscaled pass look again."""
    cv2 = _cv2()
    scale = min(1.0, DETECT_MAX_SIDE / max(grey.shape))
    base = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else grey
    found: dict[int, dict[str, np.ndarray]] = {}

    def look(image, factor, detector):
        corners, ids, _ = detector.detectMarkers(image)
        for quad, marker in zip(corners, [] if ids is None else ids.ravel()):
            try:
                code, corner = layout.split_marker_id(int(marker))
            except (ValueError, KeyError, IndexError):
                continue
            found.setdefault(code, {}).setdefault(corner, quad.reshape(4, 2) / factor / scale)

    def complete() -> bool:
        return any(len(c) == 4 for c in found.values())

    look(base, 1.0, _detector(cv2))
    if not complete():  # shadows and glare: equalise contrast locally, and a gentler threshold
        clahe = cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8)).apply(base)
        look(clahe, 1.0, _detector(cv2, adaptiveThreshConstant=3, errorCorrectionRate=0.8))
    if not complete() and max(base.shape) < 2000:  # small marks: give the corner finder room
        up = cv2.resize(base, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
        look(up, 2.0, _detector(cv2))
    return found


@dataclass
class Located:
    """Where a sheet lies in an image: its layout and the homography image px -> page px."""

    page: "layout.SheetPage"
    homography: np.ndarray
    dpi: float  # the sheet's resolution in the image, from the marks' size
    residual_mm: float


def _page_code_error(label: str) -> InputError:
    return InputError(f"{label}: no readable hwrender page code (corner marks) found",
                      "is this an hwrender template? print one with `hwrender template KIND`, and "
                      "photograph the whole sheet, flat and in focus")


def _layout_for(code: int, label: str) -> list["layout.SheetPage"]:
    """Every paper's layout of the page ``code`` names (the code does not say the paper)."""
    try:
        kind, version, number = layout.parse_page_code(code)
    except (ValueError, KeyError, IndexError):
        raise _page_code_error(label) from None
    if version > layout.TEMPLATE_VERSION:
        raise InputError(f"{label} is a {kind} template version {version} sheet, newer than this "
                         f"hwrender reads (version {layout.TEMPLATE_VERSION})",
                         f"upgrade hwrender, or print a new template with `hwrender template {kind}`")
    pages = []
    for paper in layout.PAPERS:
        try:
            pages.append(layout.page(kind, number, paper=paper, version=version))
        except (ValueError, KeyError, IndexError, HwrenderError):
            continue
    if not pages:
        if version < layout.TEMPLATE_VERSION:
            raise InputError(f"{label} is a {kind} template version {version} sheet, older than this "
                             f"hwrender reads (version {layout.TEMPLATE_VERSION})",
                             f"print a new template with `hwrender template {kind}` and fill that in")
        raise _page_code_error(label)
    return pages


def locate(grey: np.ndarray, label: str = "image") -> Located:
    """Find the sheet in ``grey`` (uint8) or raise the one-line error that says what to fix."""
    cv2 = _cv2()
    found = detect_marks(grey)
    if not found:
        if min(grey.shape) < 600:
            raise InputError(f"{label} is too small ({grey.shape[1]}x{grey.shape[0]} pixels) to find "
                             "the sheet's corner marks",
                             "photograph the sheet closer, or scan it at 150-600 dpi")
        raise _page_code_error(label)
    code = max(found, key=lambda c: (len(found[c]), -c))
    marks = found[code]
    candidates = _layout_for(code, label)
    page0 = candidates[0]
    size_mm = page0.marks[0].size
    sides = [np.linalg.norm(np.roll(q, -1, axis=0) - q, axis=1).mean() for q in marks.values()]
    dpi = float(np.mean(sides)) / size_mm * 25.4
    if dpi < MIN_DPI:  # before anything else: a sheet this small also hides marks
        raise InputError(f"{label}: the sheet is too small in the photo (about {dpi:.0f} dpi; "
                         f"at least {MIN_DPI} needed)",
                         "photograph the sheet closer, so it fills the frame, or scan it at 150-600 dpi")
    missing = [c for c in layout.CORNERS if c not in marks]
    if missing:
        blur = max(_quad_blur_mm(grey, quad, size_mm) for quad in marks.values())
        if blur > MAX_BLUR_MM:  # the marks that were found are smeared: blur hid the others
            raise _blur_error(label, blur)
        names = [CORNER_NAMES[c] for c in missing]
        names = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        verb = "mark is" if len(missing) == 1 else "marks are"
        raise InputError(f"{label}: the {names} {verb} not visible ({page0.kind} page {page0.number})",
                         "photograph the whole sheet with all four corner marks uncovered")

    best = None
    for page in candidates:
        src, dst = [], []
        for mark in page.marks:
            x, y, s = mark.x, mark.y, mark.size
            src.append(marks[mark.corner])
            dst.append([[x, y], [x + s, y], [x + s, y + s], [x, y + s]])
        src = np.concatenate(src).astype(np.float32)
        # OpenCV puts pixel centres at integers: a mark's outer edge at e mm is at e * s - 0.5.
        dst = np.concatenate([np.asarray(d, np.float32) for d in dst]) * PX_PER_MM - 0.5
        h, _ = cv2.findHomography(src, dst, 0)
        if h is None:
            continue
        back = cv2.perspectiveTransform(src[None], h)[0]
        residual = float(np.sqrt(np.mean(np.sum((back - dst) ** 2, axis=1)))) / PX_PER_MM
        # Every paper puts the marks and boxes alike around the frame: keep the first paper
        # unless another fits clearly better.
        if best is None or residual < best[2] - 0.05:
            best = (page, h, residual, src)
    if best is None or best[2] > 2.0:  # marks that do not sit where one sheet's marks sit
        raise _page_code_error(label)
    page, h, residual, _ = best
    return Located(page, h, dpi, residual)


def rectify(rgb: np.ndarray, where: Located) -> np.ndarray:
    """The sheet warped flat at :data:`PX_PER_MM` (RGB uint8, outside the photo = white)."""
    cv2 = _cv2()
    h = where.homography
    if where.dpi > 1.3 * DPI:  # shrink first: warpPerspective samples, it does not average
        f = 1.1 * DPI / where.dpi
        rgb = cv2.resize(rgb, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
        h = h @ np.diag([1 / f, 1 / f, 1.0])
    w_mm, h_mm = where.page.size_mm
    size = (round(w_mm * PX_PER_MM), round(h_mm * PX_PER_MM))
    return cv2.warpPerspective(rgb, h, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                               borderValue=(255, 255, 255))


def _edge_sigma_px(patch: np.ndarray) -> float:
    """The Gaussian blur (sigma, px) of the sharpest edges in ``patch``: a step blurred by sigma
    has its steepest slope at contrast / (sigma * sqrt(2 pi))."""
    patch = patch.astype(np.float32)
    if patch.size < 100:
        return math.inf
    contrast = float(np.percentile(patch, 98) - np.percentile(patch, 2))
    gy, gx = np.gradient(patch)
    slope = float(np.percentile(np.hypot(gx, gy), 99.5))
    if contrast < 40 or slope <= 0:
        return math.inf
    return contrast / (slope * math.sqrt(2 * math.pi))


def _quad_blur_mm(grey: np.ndarray, quad: np.ndarray, size_mm: float) -> float:
    """The blur (mm on the paper) of one mark as detected in the photo."""
    side = float(np.linalg.norm(np.roll(quad, -1, axis=0) - quad, axis=1).mean())
    pad = side * 0.1
    (x0, y0), (x1, y1) = quad.min(axis=0) - pad, quad.max(axis=0) + pad
    patch = grey[max(int(y0), 0):int(y1) + 1, max(int(x0), 0):int(x1) + 1]
    return _edge_sigma_px(patch) * size_mm / max(side, 1.0)


def blur_mm(grey: np.ndarray, page) -> float:
    """How blurred the rectified page is: the median blur (Gaussian sigma, mm) of its marks' edges."""
    sigmas = []
    for mark in page.marks:
        pad = 1.5
        x0, y0 = int((mark.x - pad) * PX_PER_MM), int((mark.y - pad) * PX_PER_MM)
        x1 = int((mark.x + mark.size + pad) * PX_PER_MM)
        y1 = int((mark.y + mark.size + pad) * PX_PER_MM)
        sigmas.append(_edge_sigma_px(grey[max(y0, 0):y1, max(x0, 0):x1]) / PX_PER_MM)
    return float(np.median(sigmas)) if sigmas else math.inf


def _blur_error(label: str, blur: float) -> InputError:
    if math.isinf(blur):  # no edge stands out at all: dark or washed out, not (only) blurred
        return InputError(f"{label} is too dark or too low in contrast to extract (the corner marks "
                          "hardly stand out from the paper)",
                          "photograph the sheet in more light, without a filter, or scan it")
    return InputError(f"{label} is too blurred to extract (edges smeared over {blur:.2f} mm; "
                      f"at most {MAX_BLUR_MM} mm)",
                      "hold the phone still, let it focus on the sheet, and use more light")


# ---------------------------------------------------------------------------------------------
# Cutting the boxes


def page_ink(rgb: np.ndarray) -> np.ndarray:
    """Ink in [0, 1] (0 = paper) of a rectified page, uneven light and shadows divided out (the
    paper's brightness is estimated with a grey closing wider than any stroke, then smoothed).

    Ink is measured in the luminance and in the blue channel, and the lighter of the two kept: the
    printed guides are light blue, so they all but vanish in blue, while black, grey (pencil), blue
    and red ink stay dark in at least one of them."""
    cv2 = _cv2()

    def flat(channel: np.ndarray) -> np.ndarray:
        channel = channel.astype(np.float32)
        small = cv2.resize(channel, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (11, 11))  # 11 px at 1/4 = 5.6 mm
        paper = cv2.morphologyEx(small, cv2.MORPH_CLOSE, kernel)
        paper = cv2.GaussianBlur(cv2.medianBlur(paper.astype(np.uint8), 5).astype(np.float32), (0, 0), 3)
        paper = cv2.resize(paper, (channel.shape[1], channel.shape[0]), interpolation=cv2.INTER_LINEAR)
        return np.clip(1.0 - channel / np.maximum(paper, 1.0), 0.0, 1.0)

    return np.minimum(flat(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)), flat(rgb[..., 2]))


def _px(v: float) -> int:
    return int(round(v * PX_PER_MM))


def _guide_level(ink: np.ndarray, page) -> float:
    """How dark the printed guides (box outlines, writing lines) came out: the median, along each
    line, of its darkest pixel across it (handwriting covers a line only here and there)."""
    levels = []
    h, w = ink.shape
    r = 3
    for box in page.boxes:
        x0, y0, x1, y1 = _px(box.x), _px(box.y), _px(box.x + box.w), _px(box.y + box.h)
        if not (r <= x0 < x1 < w - r and r <= y0 < y1 < h - r):
            continue
        levels.append(np.median(ink[y0 - r:y0 + r + 1, x0:x1].max(axis=0)))  # top edge
        levels.append(np.median(ink[y0:y1, x0 - r:x0 + r + 1].max(axis=1)))  # left edge
        if box.baseline is not None:
            yb = _px(box.baseline)
            levels.append(np.median(ink[yb - r:yb + r + 1, x0 + r:x1 - r].max(axis=0)))
    return float(np.median(levels)) if levels else 0.0


@dataclass
class Cut:
    """One box as cut: ``image`` uint8 grey (255 = paper), ``baseline`` px from its top."""

    box: "layout.SheetBox"
    image: np.ndarray
    baseline: float | None
    flags: tuple[str, ...]


def cut_boxes(rgb: np.ndarray, page) -> list[Cut]:
    """Every box of a rectified page (at :data:`PX_PER_MM`): guides removed, ink normalised so
    the page's typical stroke is black, specks dropped, flags set."""
    cv2 = _cv2()
    ink = page_ink(rgb)
    guide = _guide_level(ink, page)
    floor = max(0.1, guide + 0.08)  # below this: paper, what is left of the guides, noise
    inset = INSET_MM
    crops = []
    for box in page.boxes:
        x0, y0 = _px(box.x + inset), _px(box.y + inset)
        x1, y1 = x0 + _px(box.w - 2 * inset), y0 + _px(box.h - 2 * inset)  # one size per box size
        crops.append((box, ink[y0:y1, x0:x1], y0))
    strokes = np.concatenate([c[c > floor + 0.15] for _, c, _ in crops] or [np.zeros(0)])
    span = 0.2  # "full" ink is at least this far above the floor
    if strokes.size <= 50:
        # No stroke on the page as dark as a pen's: a pencil, or a photo with little contrast.
        # Its own strokes set the scale (a blank sheet's boxes hold no pixel 0.03 over the floor,
        # in photos too); against a pen's scale they were all "empty" (a 30 % grey pencil).
        strokes = np.concatenate([c[c > floor + 0.05] for _, c, _ in crops] or [np.zeros(0)])
        span = 0.1
    full = float(np.percentile(strokes, 90)) if strokes.size > 50 else 0.7
    full = max(full, floor + span)
    cuts = []
    for box, crop, y0 in crops:
        level = np.clip((crop - floor) / (full - floor), 0.0, 1.0)
        strong = (level > 0.2).astype(np.uint8)
        n, labels, stats, _ = cv2.connectedComponentsWithStats(strong, connectivity=8)
        keep = np.zeros(n, bool)
        keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= 6  # JPEG and sensor specks are smaller
        kept = keep[labels]
        level *= cv2.dilate(kept.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0  # soft edges stay
        flags = []
        if kept.sum() < max(12, 0.001 * kept.size):  # a full stop is some 50 px
            flags.append("empty")
        else:
            dark = level > 0.5
            edge = np.concatenate([dark[0], dark[-1], dark[:, 0], dark[:, -1]])
            if edge.sum() >= 3:
                flags.append("overfilled")
            if np.percentile(level[kept], 95) < 0.6:  # its darkest strokes, against the page's
                flags.append("faint")
        baseline = None if box.baseline is None else (box.baseline * PX_PER_MM - y0)
        image = np.round(255 * (1.0 - level)).astype(np.uint8)
        cuts.append(Cut(box, image, baseline, tuple(flags)))
    return cuts


# ---------------------------------------------------------------------------------------------
# A whole image, a whole run


@dataclass
class PageResult:
    """One sheet found in one input image."""

    source: str
    page: "layout.SheetPage"
    cuts: list[Cut]
    dpi: float
    blur_mm: float
    seconds: float

    def count(self, flag: str) -> int:
        return sum(flag in c.flags for c in self.cuts)

    def summary(self) -> str:
        parts = [f"{len(self.cuts)} boxes"]
        parts += [f"{self.count(f)} {f}" for f in ("empty", "faint", "overfilled") if self.count(f)]
        return f"{self.page.kind} page {self.page.number}/{self.page.total}: " + ", ".join(parts)


def read_sheet(image: Image.Image | np.ndarray, label: str = "image") -> PageResult:
    """Find, rectify and cut the sheet in one image (RGB); raises a one-line error for a photo
    that cannot be extracted (a mark covered, too small, too blurred, no sheet at all)."""
    cv2 = _cv2()
    start = time.perf_counter()
    rgb = np.asarray(image.convert("RGB") if isinstance(image, Image.Image) else image)
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    where = locate(grey, label)
    flat = rectify(rgb, where)
    blur = blur_mm(cv2.cvtColor(flat, cv2.COLOR_RGB2GRAY), where.page)
    if blur > MAX_BLUR_MM:
        raise _blur_error(label, blur)
    cuts = cut_boxes(flat, where.page)
    return PageResult(label, where.page, cuts, where.dpi, blur, time.perf_counter() - start)


def sample_file(page, box) -> str:
    safe = re.sub(r"[^A-Za-z0-9_-]+", "_", str(box.id))
    if not safe.startswith(f"p{page.number}-"):  # ids are unique on their page only
        safe = f"p{page.number}-{safe}"
    return f"{page.kind}-{safe}.png"


@dataclass
class ExtractReport:
    out: Path
    pages: list[PageResult]
    samples: int
    usable: int
    overview: Path
    replaced: list[str] = field(default_factory=list)  # sheets given twice (the later one kept)


def is_extract_folder(folder: Path) -> bool:
    try:
        return json.loads((folder / "samples.json").read_text("utf-8")).get("format") == SAMPLES_FORMAT
    except (OSError, ValueError, AttributeError):
        return False


def _not_extracted(folder: Path) -> list[str]:
    """The names in an earlier extraction's folder that it did not write (a photo, notes): the
    samples its ``samples.json`` lists, the index and the overview are its own."""
    try:
        index = json.loads((folder / "samples.json").read_text("utf-8"))
        ours = {"samples.json", "overview.png"} | {str(row["file"]) for row in index.get("samples", [])}
    except (OSError, ValueError, AttributeError, KeyError, TypeError):
        ours = {"samples.json", "overview.png"}
    return sorted(p.name for p in folder.iterdir() if p.name not in ours)


def check_output(out: Path, force: bool, inputs: Sequence[str | os.PathLike] = ()) -> None:
    """Refuse to replace a folder that holds something other than an earlier extraction, or
    that holds an input (replacing the folder would delete the photo being read)."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} exists and is not a folder", "give -o a folder name")
    if not out.is_dir():
        return
    here = out.resolve()
    try:
        Path.cwd().resolve().relative_to(here)
    except (ValueError, OSError):
        pass
    else:  # the folder is replaced whole: the shell would be left in a deleted folder
        raise UsageError(f"-o {out} is the current folder (or holds it), which extraction replaces",
                         "give a new folder name, e.g. -o samples")
    for path in inputs:
        if str(path) == "-":
            continue
        try:
            Path(path).resolve().relative_to(here)
        except ValueError:
            continue
        raise UsageError(f"{path} is inside the output folder {out}, which extraction replaces",
                         "give -o another folder, or move the photos out of it first")
    if force or not any(out.iterdir()):
        return
    if not is_extract_folder(out):
        raise UsageError(f"{out} is not empty and not an earlier `hwrender extract` output",
                         "give a new folder, or add --force to replace it")
    foreign = _not_extracted(out)
    if foreign:
        shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
        raise UsageError(f"{out} holds files an earlier extraction did not write ({shown})",
                         "move them out, give a new folder, or add --force to replace it")


def extract(inputs: Sequence[str | os.PathLike], out: str | os.PathLike, *, force: bool = False,
            progress=None) -> ExtractReport:
    """Extract every sheet in ``inputs`` (photos, scans, PDFs) into the folder ``out``.

    The folder is written beside ``out`` and swapped in at the end, so an error or Ctrl-C leaves
    the earlier folder as it was. A sheet given twice keeps its later image (with a warning).
    ``progress(result)`` is called after each sheet."""
    _cv2()
    out = Path(out)
    if out.name in ("", ".."):  # "-o .", "-o ..": named by the folder they are (check_output refuses them)
        out = Path(os.path.abspath(out))
    if not inputs:
        raise UsageError("no images given", "give photos or scans of filled templates")
    check_output(out, force, inputs)
    sheets: dict[tuple, PageResult] = {}
    replaced = []
    for path in inputs:
        for label, image in load_images(path):
            result = read_sheet(image, label)
            key = (result.page.kind, result.page.version, result.page.number)
            if key in sheets:
                earlier = sheets.pop(key).source
                message = (f"{result.page.kind} page {result.page.number} is in both {earlier} and "
                           f"{label}; kept {label}")
                replaced.append(message)
                warnings.warn(HwrenderWarning(message), stacklevel=2)
            sheets[key] = result
            if progress is not None:
                progress(result)
    pages = list(sheets.values())
    usable = sum("empty" not in c.flags for r in pages for c in r.cuts)
    if not usable:
        names = ", ".join(r.source for r in pages)
        raise InputError(f"no writing found in any box of {names}",
                         "write in the boxes (dark pen) and photograph the filled sheet")
    return _write_folder(out, pages, usable, replaced)


def _sweep(out: Path) -> None:
    """Clear what a killed run left beside ``out``: its temporary folder, or the earlier folder
    it had moved aside (put back when ``out`` itself is missing)."""
    from ..atomic import pid_alive

    for path in sorted(out.parent.glob(f".{out.name}.*-*-*")):
        kind, _, rest = path.name[len(out.name) + 2:].partition("-")
        pid = rest.partition("-")[0]
        if kind not in ("tmp", "old") or not pid.isdigit() or pid_alive(int(pid)):
            continue
        if kind == "old" and not out.exists():
            os.rename(path, out)
        else:
            shutil.rmtree(path, ignore_errors=True)


def _write_folder(out: Path, pages: list[PageResult], usable: int, replaced: list[str]) -> ExtractReport:
    out.parent.mkdir(parents=True, exist_ok=True)
    _sweep(out)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        tmp.mkdir()
        rows = []
        for result in pages:
            for cut in result.cuts:
                name = sample_file(result.page, cut.box)
                Image.fromarray(cut.image, "L").save(tmp / name, optimize=False)
                rows.append({"file": name, "text": cut.box.text, "kind": cut.box.kind,
                             "template": result.page.kind, "page": result.page.number,
                             "box": str(cut.box.id), "px_per_mm": PX_PER_MM,
                             "baseline": None if cut.baseline is None else round(cut.baseline, 2),
                             "flags": list(cut.flags)})
        sources = [{"file": r.source, "template": r.page.kind, "version": r.page.version,
                    "page": r.page.number, "dpi": round(r.dpi),
                    "blur_mm": round(r.blur_mm, 3)} for r in pages]
        index = {"format": SAMPLES_FORMAT, "version": SAMPLES_VERSION, "px_per_mm": PX_PER_MM,
                 "sources": sources, "samples": rows}
        (tmp / "samples.json").write_text(json.dumps(index, ensure_ascii=False, indent=1), "utf-8")
        write_overview(tmp / "overview.png", pages)
        _swap_in(tmp, out)
    except OSError as exc:
        raise OutputError(f"cannot write {out}: {exc.strerror or exc}",
                          "check the folder's permissions and free space") from None
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return ExtractReport(out, pages, len(rows), usable, out / "overview.png", replaced)


def _swap_in(tmp: Path, out: Path) -> None:
    """Replace ``out`` by ``tmp``: the old folder is moved aside first and removed only after the
    new one is in place (a rename cannot replace a non-empty folder)."""
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.old-{os.getpid()}-{secrets.token_hex(4)}")
        os.rename(out, old)
    try:
        os.rename(tmp, out)
    except BaseException:
        if old is not None:
            os.rename(old, out)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# The contact sheet


def _label_fonts(size: int):
    """The fonts the template prints its prompts in (they cover every character a sheet asks
    for): one for Latin, one for Hangul and Han."""
    from PIL import ImageFont

    from .template import PROMPT_CJK, PROMPT_LATIN

    try:
        return ImageFont.truetype(str(PROMPT_LATIN), size), ImageFont.truetype(str(PROMPT_CJK), size)
    except OSError:  # a damaged install: plain labels rather than no overview
        latin = ImageFont.load_default(size=size)
        return latin, latin


def _fit_label(text: str, font, width: float) -> str:
    if font.getlength(text) <= width:
        return text
    while text and font.getlength(text + "…") > width:
        text = text[:-1]
    return text + "…"


def write_overview(path: Path, pages: Iterable[PageResult], *, width: int = 1600) -> None:
    """A contact sheet of every sample: the ink with its text under it; flagged samples are
    outlined red with their flags under them, so a person sees at a glance what to redo or
    delete."""
    from PIL import ImageDraw

    cell_h, label_h, gap = 64, 34, 8
    latin, cjk = _label_fonts(13)
    tiles = []
    for result in pages:
        font = cjk if result.page.kind in ("hangul", "cjk") else latin
        for cut in result.cuts:
            ink = Image.fromarray(cut.image, "L")
            scale = min((cell_h - 4) / ink.height, (width - 2 * gap - 4) / ink.width)
            ink = ink.resize((max(1, round(ink.width * scale)), max(1, round(ink.height * scale))),
                             Image.LANCZOS)
            flags = ", ".join(cut.flags)
            w = max(ink.width + 4, 36, round(latin.getlength(flags)) + 4)
            tiles.append((ink, w, _fit_label(cut.box.text, font, w - 4), font, flags))
    rows, row, x = [], [], gap
    for tile in tiles:
        if row and x + tile[1] > width - gap:
            rows.append(row)
            row, x = [], gap
        row.append((x, *tile))
        x += tile[1] + gap
    if row:
        rows.append(row)
    sheet = Image.new("RGB", (width, gap + len(rows) * (cell_h + label_h + gap)), "white")
    draw = ImageDraw.Draw(sheet)
    for r, row in enumerate(rows):
        y = gap + r * (cell_h + label_h + gap)
        for x, ink, w, label, font, flags in row:
            sheet.paste(ink.convert("RGB"), (x + 2, y + (cell_h - ink.height) // 2))
            red = (210, 30, 30)
            draw.rectangle((x, y, x + w, y + cell_h), outline=red if flags else (200, 200, 200),
                           width=3 if flags else 1)
            draw.text((x + 2, y + cell_h + 2), label, fill=(40, 40, 40), font=font)
            if flags:
                draw.text((x + 2, y + cell_h + 18), flags, fill=red, font=latin)
    sheet.save(path)

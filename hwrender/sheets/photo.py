"""A simulated phone photo of a printed sheet, so tests and ``hwrender eval own-hand`` can run the
extraction without a printer or a camera (numpy and Pillow only; no OpenCV).

What a phone does to a sheet on a table: a perspective tilt (the camera is not square over the
paper), an in-plane rotation (sometimes upside down), a scale, a table around the paper, light that
falls off across the page plus a soft shadow (a hand or the phone), a little defocus blur, sensor
noise and JPEG compression at quality 70.
"""

from __future__ import annotations

import io
import math

import numpy as np
from PIL import Image, ImageFilter

MAX_TILT_DEG = 20.0  # camera tilt off the paper's normal, at strength 1
MAX_ROTATION_DEG = 12.0  # in-plane rotation (on top of an upside-down turn)
JPEG_QUALITY = 70


def _homography(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The 3x3 projective map taking the four points ``src`` to ``dst`` (direct linear solve)."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(src, dst):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    h = np.linalg.solve(np.asarray(rows, float), np.asarray(rhs, float))
    return np.append(h, 1.0).reshape(3, 3)


def _camera_corners(w: float, h: float, rng, strength: float, upside_down: bool) -> np.ndarray:
    """Where the page's corners land when a pinhole camera looks at it tilted and turned."""
    tilt = math.radians(MAX_TILT_DEG * strength * rng.uniform(0.3, 1.0))
    direction = rng.uniform(0, 2 * math.pi)  # which way the camera leans
    ax, ay = tilt * math.cos(direction), tilt * math.sin(direction)
    rot = math.radians(rng.uniform(-1, 1) * MAX_ROTATION_DEG * strength + (180 if upside_down else 0))
    rx = np.array([[1, 0, 0], [0, math.cos(ax), -math.sin(ax)], [0, math.sin(ax), math.cos(ax)]])
    ry = np.array([[math.cos(ay), 0, math.sin(ay)], [0, 1, 0], [-math.sin(ay), 0, math.cos(ay)]])
    rz = np.array([[math.cos(rot), -math.sin(rot), 0], [math.sin(rot), math.cos(rot), 0], [0, 0, 1]])
    pts = np.array([[-w / 2, -h / 2, 0], [w / 2, -h / 2, 0], [w / 2, h / 2, 0], [-w / 2, h / 2, 0]])
    pts = pts @ (rz @ ry @ rx).T
    focal = 1.3 * max(w, h)  # a phone's wide lens with the sheet filling most of the frame
    z = pts[:, 2] + focal
    return np.stack([focal * pts[:, 0] / z, focal * pts[:, 1] / z], axis=1)


def _smooth_noise(shape: tuple[int, int], rng, cells: int = 6) -> np.ndarray:
    """Low-frequency noise in [0, 1]: a coarse random grid scaled up smoothly."""
    grid = Image.fromarray((rng.random((cells, cells)) * 255).astype(np.uint8))
    return np.asarray(grid.resize((shape[1], shape[0]), Image.BICUBIC), np.float32) / 255.0


def simulate_photo(image: Image.Image, seed: int = 0, *, strength: float = 1.0,
                   upside_down: bool | None = None) -> Image.Image:
    """``image`` (a page as rendered: RGB, white paper) as a phone would photograph it.

    Deterministic per ``seed``. ``strength`` scales every effect (0 = the page on a table, square
    and sharp; 1 = tilts up to 20°, a clear light gradient and shadow). ``upside_down``: turn the
    sheet by 180° (``None``: one seed in four does)."""
    rng = np.random.default_rng(seed)
    w, h = image.size
    if upside_down is None:
        upside_down = bool(rng.random() < 0.25)

    corners = _camera_corners(w, h, rng, strength, upside_down)
    scale = rng.uniform(0.8, 1.1)  # the sheet's resolution in the photo against the render's
    corners *= scale
    margin = rng.uniform(0.05, 0.15, size=4) * max(w, h) * scale  # table showing on each side
    corners -= corners.min(axis=0) - margin[:2]
    out_w = int(math.ceil(corners[:, 0].max() + margin[2]))
    out_h = int(math.ceil(corners[:, 1].max() + margin[3]))

    # Pillow's PERSPECTIVE maps output pixels back to input pixels.
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], float)
    inverse = _homography(corners, src)
    coeffs = tuple((inverse / inverse[2, 2]).ravel()[:8])
    warped = image.convert("RGB").transform((out_w, out_h), Image.PERSPECTIVE, coeffs, Image.BICUBIC,
                                            fillcolor=(0, 0, 0))
    mask = Image.new("L", (w, h), 255).transform((out_w, out_h), Image.PERSPECTIVE, coeffs,
                                                 Image.BILINEAR, fillcolor=0)
    mask = np.asarray(mask, np.float32)[..., None] / np.float32(255)

    # Table and light vary slowly: work them out at 1/8 scale, then stretch (float32 throughout,
    # so a 12-megapixel photo takes a second, not ten).
    small = (max(2, out_h // 8), max(2, out_w // 8))
    table_colour = rng.uniform([70, 55, 40], [150, 130, 110]).astype(np.float32)
    texture = 0.85 + 0.3 * _smooth_noise(small, rng, 12)
    # Light: a linear fall-off in a random direction, plus a soft shadow blob.
    yy, xx = np.mgrid[0:small[0], 0:small[1]].astype(np.float32)
    angle = rng.uniform(0, 2 * math.pi)
    ramp = (xx * math.cos(angle) + yy * math.sin(angle))
    ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1.0)
    light = 1.0 - strength * rng.uniform(0.15, 0.35) * ramp
    cx, cy = rng.uniform(0, small[1]), rng.uniform(0, small[0])
    rx, ry = rng.uniform(0.15, 0.35) * small[1], rng.uniform(0.15, 0.35) * small[0]
    blob = np.exp(-(((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2))
    light *= 1.0 - strength * rng.uniform(0.15, 0.3) * blob
    tint = np.array([1.0, rng.uniform(0.95, 1.0), rng.uniform(0.85, 0.97)], np.float32)  # warm lamp

    def stretch(field: np.ndarray) -> np.ndarray:
        image = Image.fromarray(field.astype(np.float32), "F").resize((out_w, out_h), Image.BILINEAR)
        return np.asarray(image, np.float32)[..., None]

    light = stretch(light)
    table = table_colour * stretch(texture)
    photo = np.asarray(warped, np.float32) * mask + table * (1 - mask)
    photo = photo * light * tint

    blurred = Image.fromarray(np.clip(photo, 0, 255).astype(np.uint8)).filter(
        ImageFilter.GaussianBlur(strength * rng.uniform(0.4, 1.1)))
    photo = np.asarray(blurred, np.float32)
    photo += rng.standard_normal(photo.shape, dtype=np.float32) * np.float32(1 + 4 * strength)  # sensor noise
    out = Image.fromarray(np.clip(photo, 0, 255).astype(np.uint8))
    buf = io.BytesIO()
    out.save(buf, "JPEG", quality=JPEG_QUALITY)
    buf.seek(0)
    with Image.open(buf) as jpeg:
        return jpeg.convert("RGB")

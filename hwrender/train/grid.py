"""Sample grids: many small grey images tiled into one PNG, with optional row labels."""

from __future__ import annotations

from typing import Sequence

import numpy as np
from PIL import Image, ImageDraw


def tile(images: Sequence[np.ndarray], columns: int, pad: int = 2, row_labels: Sequence[str] = (),
         ink_dark: bool = True, label_width: int = 0) -> Image.Image:
    """Tile 2-D float arrays (0 = paper, 1 = ink; any sizes) row by row into one grey image.

    Rows are as tall as their tallest image; ink is drawn dark on white unless ``ink_dark`` is
    false. ``row_labels`` (one per row) are written in a left margin ``label_width`` px wide.
    """
    if not images:
        raise ValueError("no images to tile")
    columns = max(1, columns)
    rows = [list(images[i:i + columns]) for i in range(0, len(images), columns)]
    cell_w = max(a.shape[1] for a in images)
    heights = [max(a.shape[0] for a in row) for row in rows]
    if row_labels and not label_width:
        label_width = 8 * max(len(s) for s in row_labels) + 6
    width = label_width + pad + columns * (cell_w + pad)
    height = pad + sum(h + pad for h in heights)
    canvas = np.zeros((height, width), np.float32)
    y = pad
    for row, h in zip(rows, heights):
        x = label_width + pad
        for a in row:
            a = np.clip(np.asarray(a, np.float32), 0.0, 1.0)
            canvas[y:y + a.shape[0], x:x + a.shape[1]] = a
            x += cell_w + pad
        y += h + pad
    grey = (1.0 - canvas) if ink_dark else canvas
    img = Image.fromarray(np.rint(grey * 255).astype(np.uint8), "L")
    if row_labels:
        draw = ImageDraw.Draw(img)
        y = pad
        for label, h in zip(row_labels, heights):
            draw.text((2, y + max(0, (h - 10) // 2)), label, fill=0 if ink_dark else 255)
            y += h + pad
    return img

"""InkImage: what every generator returns for one unit (a word, a glyph or a character)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class InkImage:
    """A float alpha map (0 = paper, 1 = ink) and the metrics that place it on a line.

    All metrics are in the image's own pixels. Layout scales every ink image so that its
    ``x_height`` becomes the page's writing x-height; generators that draw glyphs (Han, Hangul)
    report the x-height a Latin hand of the same size would have.

    - ``baseline``: row (from the top, may be fractional) where the writing's baseline sits.
    - ``x_height``: height of a lower-case x in this image's pixels (> 0).
    - ``advance``: how far the pen moves after this unit (defaults to the image width).
    - ``text``: the characters this ink writes (used for the PDF text layer).
    """

    alpha: np.ndarray
    baseline: float
    x_height: float
    advance: float | None = None
    text: str = ""
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        a = np.asarray(self.alpha, dtype=np.float32)
        if a.ndim != 2:
            raise ValueError(f"InkImage.alpha must be 2-D (H, W), got shape {a.shape}")
        self.alpha = a
        if not self.x_height > 0:
            raise ValueError(f"InkImage.x_height must be positive, got {self.x_height}")
        if self.advance is None:
            self.advance = float(a.shape[1])

    @property
    def height(self) -> int:
        return int(self.alpha.shape[0])

    @property
    def width(self) -> int:
        return int(self.alpha.shape[1])

    @property
    def ascent(self) -> float:
        """Pixels above the baseline."""
        return float(self.baseline)

    @property
    def descent(self) -> float:
        """Pixels below the baseline."""
        return float(self.height - self.baseline)

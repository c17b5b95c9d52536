"""The ``hangul`` and ``cjk`` generators: the Generator interface over a shared ``GlyphStyler``."""

from __future__ import annotations

from typing import Sequence

from hwrender.errors import GeneratorError, WeightsError
from hwrender.ink import InkImage
from hwrender.registry import Generator
from hwrender.styles.types import Blend

from . import GENERATORS, WEIGHTS_NAME
from .styler import GlyphStyler


class GlyphStylerGenerator(Generator):
    """Writes one glyph per unit for one script; all glyphs of a call go through one batched pass.

    The same seed gives the same ink; every glyph of a call gets its own dropout masks, so a
    character that occurs twice on a page is drawn twice, a little differently.
    """

    def __init__(self, script: str, weights_dir: str | None = None, offline: bool | None = None):
        self.script = script
        self.styler = GlyphStyler.load(weights_dir, offline)  # shared by hangul and cjk

    def generate(self, units: Sequence[str], style, seed: int,
                 device: str = "cpu") -> list[InkImage]:
        """``style``: None (the script's default), a name or number (``str``), a
        :class:`~hwrender.styles.types.Blend` of named styles, or a stored
        :class:`~hwrender.styles.types.UserStyle` (its ``glyph-styler`` part, see ``fit``)."""
        bad = next((u for u in units if len(u) != 1), None)
        if bad is not None:
            raise GeneratorError(f"the glyph styler writes one character per unit, got {bad!r}",
                                 "report this: the planner should split glyph runs")
        if isinstance(style, Blend):  # the styler's A*w+B*w
            style = "+".join(f"{name}*{weight}" for name, weight in style.parts)
        return self.styler.write(list(units), style, seed, device, script=self.script)

    def interpolate(self, units: Sequence[str], style_a: str, style_b: str, t: float, seed: int,
                    device: str = "cpu") -> list[InkImage]:
        """``units`` in the style ``(1 - t) * A + t * B`` (``hwrender interpolate``)."""
        return self.styler.write(list(units), f"{style_a}*{1.0 - t}+{style_b}*{t}", seed, device,
                                 script=self.script)


def for_script(script: str, weights_dir: str | None = None,
               offline: bool | None = None) -> GlyphStylerGenerator:
    """The generator of ``script``, refused when the model has no style for it."""
    generator = GlyphStylerGenerator(script, weights_dir=weights_dir, offline=offline)
    if not generator.styler.known_styles(script):  # e.g. a `train hangul` model for Han
        other = next(n for n, s in GENERATORS.items() if s == script)
        raise WeightsError(f"the glyph styler model {weights_dir or WEIGHTS_NAME} was trained "
                           f"without {script} fonts, so the {other!r} generator cannot use it",
                           f"write {script} with another generator (-g {script}=font), or use "
                           f"a model trained on it (`hwrender train {other}`)")
    return generator


def hangul(weights_dir: str | None = None, offline: bool | None = None) -> GlyphStylerGenerator:
    """The ``hangul`` generator's factory."""
    return for_script("Hang", weights_dir, offline)


def cjk(weights_dir: str | None = None, offline: bool | None = None) -> GlyphStylerGenerator:
    """The ``cjk`` generator's factory."""
    return for_script("Hani", weights_dir, offline)

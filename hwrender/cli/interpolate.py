"""``hwrender interpolate STYLE_A STYLE_B``: a phrase morphing from one style into another.

Writes a strip (one row per step, A at the top) as PNG/JPEG, or an animation as GIF (A → B and
back). Works with any generator whose objects offer ``interpolate(units, style_a, style_b, t,
seed, device)`` (the glyph styler and the latin word GAN do); the generator of each character is
found through the registry like ``write`` finds it, among the generators that can interpolate.
A word generator gets whole words (the characters of a word it writes, side by side).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import GeneratorError, UsageError
from . import app
from ._console import note

FORMATS = {".png": "PNG", ".gif": "GIF", ".jpg": "JPEG", ".jpeg": "JPEG"}
# Bounds that keep a run to seconds and an image to megabytes: every step draws the whole phrase
# again (100 steps of a 20-character phrase is 2,000 glyphs, about a minute on a CPU).
MAX_STEPS = 100
MAX_GLYPHS = 2000
# GIF stores frame times in hundredths of a second, and browsers play anything under 20 ms at 100 ms.
MIN_FRAME_MS = 20
MAX_FRAME_MS = 10_000


@app.command("interpolate")
def interpolate_cmd(
    style_a: Annotated[str, typer.Argument(metavar="STYLE_A", help="The style at the start.")],
    style_b: Annotated[str, typer.Argument(metavar="STYLE_B", help="The style at the end.")],
    output: Annotated[Path, typer.Option(
        "-o", "--output", help="strip.png (rows = steps) or anim.gif (frames = steps).")],
    text: Annotated[str, typer.Option("--text", "-t", help="The phrase to write.")] = "안녕하세요",
    steps: Annotated[int, typer.Option(
        "--steps", "-n", help=f"Steps from A to B, both included (2 to {MAX_STEPS}).")] = 8,
    generator: Annotated[Optional[str], typer.Option(
        "-g", "--generator", help="Generator to use (default: the one that writes the text).")] = None,
    seed: Annotated[int, typer.Option(help="Random seed (the same for every step).")] = 0,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda.")] = "auto",
    weights: Annotated[Optional[str], typer.Option(
        help="Folder with model weights to use before the bundled ones.")] = None,
    offline: Annotated[bool, typer.Option(help="Never download weights.")] = False,
    frame_ms: Annotated[int, typer.Option(
        "--frame-ms", help=f"GIF: milliseconds per frame, {MIN_FRAME_MS} to {MAX_FRAME_MS}.")] = 120,
) -> None:
    """Write TEXT in styles blended from STYLE_A to STYLE_B: a strip (PNG) or an animation (GIF)."""
    from ..api import parse_style
    from ..options import check_seed
    from ..device import check_device_name

    fmt = FORMATS.get(output.suffix.lower())
    if fmt is None:
        raise UsageError(f"cannot tell the format of {output}", "name it .png, .jpg or .gif")
    if not 2 <= steps <= MAX_STEPS:
        raise UsageError(f"--steps must be from 2 to {MAX_STEPS}, got {steps}", "use e.g. --steps 8")
    if not text.strip():
        raise UsageError("--text is empty", "give a phrase to write")
    glyphs = steps * sum(not c.isspace() for c in text)
    if glyphs > MAX_GLYPHS:
        raise UsageError(f"--steps {steps} of a {glyphs // steps}-character --text is {glyphs:,} glyphs "
                         f"to draw, more than {MAX_GLYPHS:,}",
                         f"use at most {max(2, MAX_GLYPHS * steps // glyphs)} steps or a shorter phrase")
    if not MIN_FRAME_MS <= frame_ms <= MAX_FRAME_MS:
        raise UsageError(f"--frame-ms must be from {MIN_FRAME_MS} to {MAX_FRAME_MS}, got {frame_ms}",
                         "use e.g. --frame-ms 120")
    check_seed(seed)
    style_a, style_b = parse_style(style_a, "STYLE_A"), parse_style(style_b, "STYLE_B")
    if output.parent and not output.parent.is_dir():
        raise UsageError(f"folder {output.parent} does not exist", "create it first")
    device = check_device_name(device)
    rows = interpolate_rows(text, style_a, style_b, steps, generator=generator, seed=seed,
                            device=device, weights=weights, offline=offline)
    _save(rows, output, fmt, frame_ms)
    note(f"wrote {output} ({steps} steps from {style_a} to {style_b})")


def interpolate_rows(text: str, style_a: str, style_b: str, steps: int, *, generator=None,
                     seed: int = 0, device: str = "auto", weights=None, offline: bool = False,
                     registry=None):
    """One grey image (uint8, dark ink on white) per step, all the same size."""
    import numpy as np

    from ..errors import HwrenderError
    from ..plan import Planner
    from ..registry import default_registry
    from ..text.scripts import glyph_script

    registry = registry or default_registry()
    offline_flag = offline or None
    chars = [c for c in text if not c.isspace()]
    # which generator writes each character: the named one, else the first that covers it and
    # can interpolate (the default plan first, then generators used only when named)
    names: list[str] = []
    planner = Planner(registry)
    first_error: HwrenderError | None = None
    if generator is not None:
        named = registry.get(generator)
        if not callable(getattr(registry.instance(named.name, weights, offline_flag), "interpolate", None)):
            able = [s.name for s in registry.specs() if _can_interpolate(registry, s.name, weights, offline_flag)]
            raise UsageError(f"generator {named.name!r} cannot interpolate styles",
                             (f"name {' or '.join(able)}, or " if able else "") + "leave out --generator")
    for ch in chars:
        if generator is not None:
            spec = registry.get(generator)
            if not spec.covers(ch):
                raise UsageError(f"generator {generator!r} does not write {ch!r}",
                                 "leave out --generator, or change the text")
            names.append(spec.name)
            continue
        script = glyph_script(ch)
        order = planner.candidates(script) + [s for s in registry.specs()
                                              if s.serves(script) and not s.auto]
        found = None
        for spec in order:
            if not spec.covers(ch):
                continue
            try:
                gen = registry.instance(spec.name, weights, offline_flag)
            except HwrenderError as exc:  # e.g. its weights are missing: say so if none fits
                first_error = first_error or exc
                continue
            if callable(getattr(gen, "interpolate", None)):
                found = spec.name
                break
        if found is None:
            if first_error is not None:
                raise first_error
            raise GeneratorError(f"no installed generator can interpolate styles for {ch!r}",
                                 "the Latin word GAN and the glyph styler (Hangul, Han) do: "
                                 "`hwrender generators` shows whether their weights are here")
        names.append(found)
    units, unit_names, layout = _units(text, names, registry)
    ts = [k / (steps - 1) for k in range(steps)]
    rows = []
    for t in ts:
        inks = [None] * len(units)
        for name in dict.fromkeys(unit_names):
            idx = [i for i, n in enumerate(unit_names) if n == name]
            gen = registry.instance(name, weights, offline_flag)
            out = gen.interpolate([units[i] for i in idx], style_a, style_b, t, seed, device)
            for i, ink in zip(idx, out):
                inks[i] = ink
        rows.append(_line(layout, inks))
    height = max(r.shape[0] for r in rows)
    width = max(r.shape[1] for r in rows)
    padded = []
    for r in rows:
        canvas = np.zeros((height, width), np.float32)
        canvas[:r.shape[0], :r.shape[1]] = r
        padded.append(np.rint((1.0 - canvas) * 255).astype(np.uint8))
    return padded


def _can_interpolate(registry, name: str, weights, offline) -> bool:
    from ..errors import HwrenderError

    try:
        return callable(getattr(registry.instance(name, weights, offline), "interpolate", None))
    except HwrenderError:
        return False


def _units(text: str, names: list[str], registry):
    """(units, their generators, layout) for the characters of ``text`` (``names``: each
    non-space character's generator): a run of characters one word generator writes is one
    unit, any other character is one; ``layout`` is the text with each unit an index into
    ``units`` and each space None."""
    units: list[str] = []
    unit_names: list[str] = []
    layout: list[int | None] = []
    k = 0
    for ch in text:
        if ch.isspace():
            layout.append(None)
            continue
        name = names[k]
        k += 1
        joined = (layout and layout[-1] is not None and unit_names[layout[-1]] == name
                  and registry.get(name).unit == "word")
        if joined:
            units[layout[-1]] += ch
        else:
            units.append(ch)
            unit_names.append(name)
            layout.append(len(units) - 1)
    return units, unit_names, layout


def _line(layout, inks):
    """The ink images side by side on one baseline, scaled to the first one's x-height
    (``layout``: ink indices, None for a space)."""
    import numpy as np
    from PIL import Image

    ref = inks[0].x_height
    pad = 8
    placed = []
    ascent = descent = 0.0
    x = float(pad)
    for k in layout:
        if k is None:
            x += 0.9 * ref
            continue
        ink = inks[k]
        s = ref / ink.x_height
        a = ink.alpha
        if abs(s - 1.0) > 1e-3:
            h, w = max(1, round(a.shape[0] * s)), max(1, round(a.shape[1] * s))
            a = np.asarray(Image.fromarray(a, "F").resize((w, h), Image.Resampling.BILINEAR))
        placed.append((a, x, ink.baseline * s))
        ascent = max(ascent, ink.baseline * s)
        descent = max(descent, a.shape[0] - ink.baseline * s)
        x += ink.advance * s
    height = int(np.ceil(ascent + descent)) + 2 * pad
    width = int(np.ceil(x + max(a.shape[1] for a, _, _ in placed))) + pad
    canvas = np.zeros((height, width), np.float32)
    base = pad + ascent
    for a, x0, bl in placed:
        top = int(round(base - bl))
        left = int(round(x0))
        region = canvas[top:top + a.shape[0], left:left + a.shape[1]]
        np.maximum(region, a[:region.shape[0], :region.shape[1]], out=region)
    return np.clip(canvas, 0.0, 1.0)


def _save(rows, output: Path, fmt: str, frame_ms: int) -> None:
    """Write through the same atomic output as ``hwrender write``'s pages: a failure (or Ctrl-C,
    SIGTERM) leaves no partial file, and a link or device at ``output`` is refused, not replaced."""
    import numpy as np
    from PIL import Image

    from ..render.output import AtomicOutputs

    with AtomicOutputs(output) as outputs, outputs.open(output) as fh:
        if fmt == "GIF":
            frames = [Image.fromarray(r, "L") for r in rows]
            frames = frames + frames[-2:0:-1]  # there and back
            frames[0].save(fh, format="GIF", save_all=True, append_images=frames[1:],
                           duration=frame_ms, loop=0)
        else:
            gap = np.full((6, rows[0].shape[1]), 255, np.uint8)
            strip = np.concatenate([x for r in rows for x in (r, gap)][:-1])
            Image.fromarray(strip, "L").save(fh, format=fmt)

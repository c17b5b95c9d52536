"""``--style`` parsed once, then routed to the generators that write the text (torch-free).

A value is one of: nothing (every generator writes its default), a number (a seeded hand, for the
generators that have them), a name (a named style of the loaded models, else a stored style), or a
blend ``a:0.7,b:0.3`` of named styles (weights ≥ 0, normalised to sum to 1). Each generator's
``GeneratorSpec.style_kinds`` says which it takes; the others write their default. A value that
no generator of the text can take is a ``UsageError`` naming, per generator, what it has.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Sequence

from ..bounds import MAX_SEED
from ..errors import UsageError
from .types import Blend, UserStyle

if TYPE_CHECKING:  # pragma: no cover
    from ..registry import GeneratorSpec

_NUMBER = re.compile(r"[0-9]+")
_BLEND_HINT = "write a blend of named styles as a:0.7,b:0.3 (weights of 0 or more)"
_LISTS = "`hwrender generators` lists each generator's styles, `hwrender styles list` the stored ones"


@dataclass(frozen=True)
class StyleChoice:
    """A parsed ``--style``: ``kind`` is ``none``, ``seed``, ``name`` or ``blend`` (a name that no
    loaded model knows is looked up among the stored styles when it is routed)."""

    kind: str
    value: str | Blend | None = None


def parse_choice(text: str | None, what: str = "--style") -> StyleChoice:
    """``text`` as ``options.parse_style`` canonicalised it (numbers checked there)."""
    if text is None:
        return StyleChoice("none")
    if _NUMBER.fullmatch(text):
        return StyleChoice("seed", text)
    if ":" in text or "," in text:
        return StyleChoice("blend", parse_blend(text, what))
    return StyleChoice("name", text)


def parse_blend(text: str, what: str = "--style") -> Blend:
    """``a:0.7,b:0.3`` → ``Blend((("a", 0.7), ("b", 0.3)))``; a name without ``:w`` weighs 1."""
    parts: list[tuple[str, float]] = []
    for item in text.split(","):
        name, sep, raw = item.partition(":")
        name = name.strip()
        if not name or _NUMBER.fullmatch(name):
            raise UsageError(f"{what} {text!r} has {'an empty' if not name else 'a numbered'} "
                             "style in its blend", _BLEND_HINT)
        try:
            weight = float(raw) if sep else 1.0
        except ValueError:
            raise UsageError(f"{what} {text!r}: {raw.strip()!r} is not a weight", _BLEND_HINT) from None
        if not math.isfinite(weight) or weight < 0:
            raise UsageError(f"{what} {text!r}: the weight of {name} must be a number of 0 or "
                             f"more, got {raw.strip()}", _BLEND_HINT)
        if any(n == name for n, _ in parts):
            raise UsageError(f"{what} {text!r} names {name} twice", "give each style once")
        parts.append((name, weight))
    total = sum(w for _, w in parts)
    if total <= 0:
        raise UsageError(f"{what} {text!r}: every weight is 0", _BLEND_HINT)
    return Blend(tuple((n, w / total) for n, w in parts))


def route(choice: StyleChoice, specs: Sequence["GeneratorSpec"], weights_dir=None,
          offline: bool | None = None,
          find_stored: Callable[[str], UserStyle | None] | None = None,
          ) -> tuple[dict[str, object], list[str]]:
    """Which of ``specs`` (the generators writing the text) get what: ``({generator: style},
    notes)``; a generator left out writes its default. ``notes`` are lines for the user (a
    stored style without a part for some generator)."""
    if choice.kind == "none" or not specs:
        return {}, []
    if choice.kind == "seed":
        takers = {s.name: choice.value for s in specs if "seed" in s.style_kinds}
        if not takers:
            raise UsageError(f"--style {choice.value}: no generator writing this text has seeded "
                             f"hands ({_listing(specs, weights_dir, offline)})",
                             "give a named style or leave out --style")
        return takers, []
    if choice.kind == "blend":
        blend = choice.value
        names = [n for n, _ in blend.parts]  # type: ignore[union-attr]
        takers = {s.name: blend for s in specs if "blend" in s.style_kinds
                  and set(names) <= set(s.named_styles(weights_dir, offline))}
        if not takers:
            raise UsageError(f"--style {blend}: no generator writing this text blends "
                             f"{', '.join(names)} ({_listing(specs, weights_dir, offline, 'blend')})",
                             f"blend the named styles of one generator that blends; {_LISTS}")
        return takers, []
    name = str(choice.value)
    takers = {s.name: name for s in specs if "name" in s.style_kinds
              and name in s.named_styles(weights_dir, offline)}
    if takers:
        return takers, []
    if find_stored is None:
        from .store import find as find_stored
    stored = find_stored(name)
    if stored is not None:
        return route_stored(stored, specs)
    for s in specs:
        why = s.withheld_styles(weights_dir, offline).get(name) if "name" in s.style_kinds else None
        if why:
            raise UsageError(f"style {name!r} of {s.name} is withheld as illegible: {why}",
                             f"choose another style; {_listing(specs, weights_dir, offline)}")
    raise UsageError(f"unknown style {name!r} ({_listing(specs, weights_dir, offline)})",
                     f"--style takes a named style, a number from 0 to {MAX_SEED} for a seeded "
                     f"hand, or a stored style; {_LISTS}")


def route_stored(style: UserStyle, specs: Sequence["GeneratorSpec"]) -> tuple[dict[str, object], list[str]]:
    """A stored style goes to each generator whose model has a part; the others (with a model
    that could have one) are noted."""
    takers = {s.name: style for s in specs
              if "user" in s.style_kinds and s.weights and style.part(s.weights) is not None}
    if not takers:
        has = ", ".join(style.models) or "no model"
        raise UsageError(f"style {style.name} has no part for the generators writing this text "
                         f"({', '.join(s.name for s in specs)}); it has {has}",
                         f"add samples for them with `hwrender styles add {style.name} DIR --force`")
    left = [s.name for s in specs if s.name not in takers and s.weights]
    notes = [f"style {style.name} has no {n} part; {n} writes its default" for n in left]
    return takers, notes


def _listing(specs, weights_dir, offline, kind: str = "name") -> str:
    """``latin: bold, fine, neat; emnist: seeded hands only``: what each generator takes."""
    rows = []
    for s in specs:
        names = sorted(s.named_styles(weights_dir, offline)) if kind in s.style_kinds else []
        seeds = "seed" in s.style_kinds
        if names:
            rows.append(f"{s.name}: {', '.join(names)}{' or a number' if seeds else ''}")
        elif kind == "blend":
            rows.append(f"{s.name}: no blends")
        else:
            rows.append(f"{s.name}: {'numbers only' if seeds else 'no named styles'}")
    return "; ".join(rows)

"""The generator registry: what each plugin declares, and how plugins are found.

Plugins register through the ``hwrender.generators`` entry-point group. Each entry point names a
``register(register)`` hook; the hook calls ``register(GeneratorSpec(...))`` once per generator it
offers, and ``register(TrainerSpec(...))`` (``hwrender.train``) once per model it can train. Built-in families use the same hook as third-party ones. A spec is cheap metadata; the
generator itself (which may import torch and load weights) is built only when first used.

``HWRENDER_PLUGINS=font,test`` limits which entry points are loaded (comma-separated names).
"""

from __future__ import annotations

import abc
import os
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Callable, Iterable, Sequence

from .errors import GeneratorError, HwrenderWarning, UsageError

if TYPE_CHECKING:  # pragma: no cover
    from .ink import InkImage

ENTRY_POINT_GROUP = "hwrender.generators"
UNITS = ("word", "glyph", "char")
ANY_SCRIPT = "*"


class Generator(abc.ABC):
    """A generator turns units of text into ink images, one batch at a time.

    ``units`` are words (unit ``word``), single glyphs (``glyph``) or single characters (``char``);
    every unit uses only characters the generator's spec covers. ``style`` names a style (or is
    ``None`` for the default); the same style and seed give the same ink. ``device`` is a torch
    device string for neural generators and ignored by the others.
    """

    spec: "GeneratorSpec"

    @abc.abstractmethod
    def generate(
        self, units: Sequence[str], style: str | None, seed: int, device: str = "cpu"
    ) -> list["InkImage"]:
        """Return one InkImage per unit, in order."""


@dataclass(frozen=True)
class GeneratorSpec:
    """What a generator declares, without loading it.

    - ``scripts``: ISO 15924 codes it serves (``"Latn"``, ``"Hang"``, ``"Hani"``, ``"Zyyy"`` for
      digits and punctuation), or ``"*"`` for any script.
    - ``unit``: ``word``, ``glyph`` or ``char``: what one ``generate`` unit is.
    - ``charset``: the characters it can write: a string/set, a zero-argument callable returning
      one (resolved lazily, once), or ``None`` for every character of its scripts.
    - ``priority``: the highest-priority generator that covers a character writes it.
    - ``auto``: ``False`` keeps it out of the default plan (only ``--generator SCRIPT=NAME`` uses it).
    - ``fallback``: the generator that takes characters nothing else covers under ``--missing fallback``.
    - ``weights``: name of its model in the weights store, if it needs weights.
    - ``status``: optional callable giving a one-line status for listings (instead of the store's).
    - ``default_style``: the style written without ``--style``, as a ``--style`` value (a name or a
      number), or a zero-argument callable giving it (resolved lazily); ``None`` if unnamed.
    """

    name: str
    scripts: tuple[str, ...]
    unit: str
    factory: Callable[[], Generator]
    charset: object = None
    priority: int = 0
    styles: tuple[str, ...] = ()
    description: str = ""
    weights: str | None = None
    auto: bool = True
    fallback: bool = False
    status: Callable[[], str] | None = field(default=None, compare=False)
    default_style: str | Callable[[], str | None] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not self.name or not self.name.replace("-", "").replace("_", "").isalnum():
            raise ValueError(f"generator name must be alphanumeric (with - or _), got {self.name!r}")
        if self.unit not in UNITS:
            raise ValueError(f"generator {self.name!r}: unit must be one of {UNITS}, got {self.unit!r}")
        object.__setattr__(self, "scripts", tuple(self.scripts))
        object.__setattr__(self, "styles", tuple(self.styles))

    @cached_property
    def _charset(self) -> frozenset[str] | None:
        cs = self.charset() if callable(self.charset) else self.charset
        return None if cs is None else frozenset(cs)

    def covers(self, ch: str) -> bool:
        cs = self._charset
        return True if cs is None else ch in cs

    def serves(self, script: str) -> bool:
        return ANY_SCRIPT in self.scripts or script in self.scripts

    def default_style_name(self) -> str | None:
        """The style used without ``--style`` (for listings; may read a config, never torch)."""
        style = self.default_style() if callable(self.default_style) else self.default_style
        return None if style is None else str(style)

    def weights_status(self) -> str:
        if self.status is not None:
            return self.status()
        if self.weights is None:
            return "none needed"
        from .weights import model_status  # local: keeps listings light

        return model_status(self.weights)


class Registry:
    """Holds generator specs and builds generators on first use."""

    def __init__(self, specs: Iterable[GeneratorSpec] = ()):
        self._specs: dict[str, GeneratorSpec] = {}
        self._trainers: dict[str, object] = {}
        self._instances: dict[tuple, Generator] = {}
        for spec in specs:
            self.register(spec)

    @classmethod
    def from_entry_points(cls, only: Iterable[str] | None = None) -> "Registry":
        """Load every plugin in the entry-point group (or only those named, or in HWRENDER_PLUGINS)."""
        from importlib.metadata import entry_points

        source = "plugins"
        if only is None and os.environ.get("HWRENDER_PLUGINS"):
            only = [p.strip() for p in os.environ["HWRENDER_PLUGINS"].split(",") if p.strip()]
            source = "HWRENDER_PLUGINS"
        wanted = None if only is None else set(only)
        registry = cls()
        eps = entry_points(group=ENTRY_POINT_GROUP)
        installed = sorted({ep.name for ep in eps})
        for name in sorted((wanted or set()) - set(installed)):
            # a typo here would otherwise just leave that plugin's scripts without a generator
            warnings.warn(f"{source} names {name!r}, which is not installed; installed: "
                          f"{', '.join(installed) or 'none'}", HwrenderWarning, stacklevel=2)
        for ep in eps:
            if wanted is not None and ep.name not in wanted:
                continue
            try:
                hook = ep.load()
                hook(registry.register)
            except Exception as exc:  # a broken plugin must not break the others
                raise GeneratorError(
                    f"plugin {ep.name!r} ({ep.value}) failed to load: {exc}",
                    "reinstall it or leave it out with HWRENDER_PLUGINS",
                ) from exc
        return registry

    def register(self, spec) -> None:
        """Add a ``GeneratorSpec`` or a ``hwrender.train.TrainerSpec``."""
        if not isinstance(spec, GeneratorSpec):
            from .train.task import TrainerSpec  # torch-free

            if not isinstance(spec, TrainerSpec):
                raise GeneratorError(f"a plugin registered {type(spec).__name__}",
                                     "register GeneratorSpec or TrainerSpec objects only")
            if spec.name in self._trainers:
                raise GeneratorError(f"two plugins register a trainer named {spec.name!r}",
                                     "uninstall one of them")
            self._trainers[spec.name] = spec
            return
        if spec.name in self._specs:
            raise GeneratorError(f"two plugins register a generator named {spec.name!r}",
                                 "uninstall one of them")
        self._specs[spec.name] = spec

    def __contains__(self, name: str) -> bool:
        return name in self._specs

    def specs(self) -> list[GeneratorSpec]:
        """All specs, highest priority first (ties by name)."""
        return sorted(self._specs.values(), key=lambda s: (-s.priority, s.name))

    def get(self, name: str) -> GeneratorSpec:
        try:
            return self._specs[name]
        except KeyError:
            known = ", ".join(sorted(self._specs)) or "none"
            raise GeneratorError(f"unknown generator {name!r}",
                                 f"known generators: {known}; see `hwrender generators`") from None

    def trainers(self) -> list:
        """Trainable model families (``TrainerSpec``), by name."""
        return [self._trainers[k] for k in sorted(self._trainers)]

    def trainer(self, name: str):
        try:
            return self._trainers[name]
        except KeyError:
            known = ", ".join(sorted(self._trainers)) or "none installed"
            # a name the user typed: a usage error (exit 2), like an unknown -g generator
            raise UsageError(f"no trainable model named {name!r}",
                                 f"trainable models: {known}") from None

    def scripts(self) -> list[str]:
        """Scripts served by generators the default plan may use."""
        return sorted({s for spec in self._specs.values() if spec.auto for s in spec.scripts})

    def fallback(self) -> GeneratorSpec | None:
        fb = [s for s in self.specs() if s.fallback]
        return fb[-1] if fb else None

    def instance(self, name: str, weights_dir: str | None = None,
                 offline: bool | None = None) -> Generator:
        """The generator object for ``name``, built once per registry and weights choice.

        Factories of generators that need weights (``spec.weights`` set) are called as
        ``factory(weights_dir=..., offline=...)`` and resolve them through ``hwrender.weights``;
        the others are called with no arguments.
        """
        spec = self.get(name)
        key = (name, weights_dir, offline) if spec.weights else (name, None, None)
        if key not in self._instances:
            gen = spec.factory(weights_dir=weights_dir, offline=offline) if spec.weights \
                else spec.factory()
            gen.spec = spec
            self._instances[key] = gen
        return self._instances[key]


_default: Registry | None = None


def default_registry() -> Registry:
    """The registry of installed plugins (loaded once per process)."""
    global _default
    if _default is None:
        _default = Registry.from_entry_points()
    return _default

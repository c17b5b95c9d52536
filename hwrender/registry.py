"""The generator registry: what each plugin declares, and how plugins are found.

Plugins register through the ``hwrender.generators`` entry-point group. Each entry point names a
``register(register)`` hook; the hook calls ``register(GeneratorSpec(...))`` once per generator it
offers, and ``register(TrainerSpec(...))`` (``hwrender.train``) once per model it can train. Built-in families use the same hook as third-party ones. A spec is cheap metadata; the
generator itself (which may import torch and load weights) is built only when first used.

``HWRENDER_PLUGINS=font,latin`` limits which entry points are loaded (comma-separated names).

Callables in a spec (a generator's ``factory``, a trainer's ``build``/``evaluate``/``card``) may be
given as ``"package.module:attr"`` strings: the module is imported on the first call, so a plugin's
``__init__.py`` can be metadata only (no imports of its torch modules).
"""

from __future__ import annotations

import abc
import importlib
import os
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Callable, Iterable, Sequence

from .errors import GeneratorError, HwrenderWarning, UsageError
from .styles.types import STYLE_KINDS

if TYPE_CHECKING:  # pragma: no cover
    from .ink import InkImage

ENTRY_POINT_GROUP = "hwrender.generators"
UNITS = ("word", "glyph", "char")
ANY_SCRIPT = "*"


class Ref:
    """A callable named ``"package.module:attr"``, imported on its first call (then kept).

    Specs wrap such strings in a ``Ref`` so that callers simply call ``spec.factory(...)``; a
    module or name that is missing is a GeneratorError naming the plugin's string.
    """

    __slots__ = ("ref", "_target")

    def __init__(self, ref: str):
        module, sep, attr = ref.partition(":")
        if not sep or not module or not all(p.isidentifier() for p in [*module.split("."),
                                                                        *attr.split(".")]):
            raise ValueError(f"expected 'package.module:attr', got {ref!r}")
        self.ref = ref
        self._target: Callable | None = None

    def resolve(self) -> Callable:
        if self._target is None:
            module, _, attr = self.ref.partition(":")
            try:
                target: object = importlib.import_module(module)
                for part in attr.split("."):
                    target = getattr(target, part)
            except (ImportError, AttributeError) as exc:
                raise GeneratorError(f"plugin callable {self.ref!r} cannot be loaded "
                                     f"({type(exc).__name__}: {exc})",
                                     "reinstall the plugin that registers it") from None
            if not callable(target):
                raise GeneratorError(f"plugin callable {self.ref!r} is not callable",
                                     "reinstall the plugin that registers it")
            self._target = target
        return self._target

    def __call__(self, *args, **kwargs):
        return self.resolve()(*args, **kwargs)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Ref) and other.ref == self.ref

    def __hash__(self) -> int:
        return hash(self.ref)

    def __repr__(self) -> str:
        return f"Ref({self.ref!r})"


def lazy(value):
    """``value`` as a callable: a ``"module:attr"`` string becomes a :class:`Ref`; a callable or
    ``None`` is returned as is."""
    return Ref(value) if isinstance(value, str) else value


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
    - ``text_font``: a TrueType file the PDF text layer may use for the characters it has (the
      ``font`` generator's own font), so selected text looks like the writing; ``None`` if none.
    - ``style_kinds``: what ``--style`` may hand it (``hwrender.styles.types.STYLE_KINDS``):
      ``seed`` (a number is a seeded hand), ``name`` (its model's named styles), ``blend``
      (``a:0.7,b:0.3`` of named styles), ``user`` (a stored style with a part for ``weights``).
      Other kinds leave it writing its default.
    - ``config_styles``: ``config -> names``: the named styles a model's config.json gives this
      generator, so ``--weights DIR`` offers the styles of the model in DIR (``styles`` holds those
      of the shipped model); ``None``: ``styles`` whatever the weights.
    - ``fitter``: ``FitRequest -> FitResult | None`` learning a stored style's part for the model
      ``weights`` (``hwrender styles add``); ``"module:attr"`` allowed, imported on first use.
    """

    name: str
    scripts: tuple[str, ...]
    unit: str
    factory: Callable[..., Generator] | str  # or "package.module:attr", imported on first use
    charset: object = None
    priority: int = 0
    styles: tuple[str, ...] = ()
    description: str = ""
    weights: str | None = None
    auto: bool = True
    fallback: bool = False
    status: Callable[[], str] | None = field(default=None, compare=False)
    default_style: str | Callable[[], str | None] | None = field(default=None, compare=False)
    text_font: os.PathLike | str | None = field(default=None, compare=False)
    style_kinds: frozenset[str] = frozenset({"name"})
    config_styles: Callable[[dict], Iterable[str]] | str | None = field(default=None, compare=False)
    fitter: Callable | str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not self.name or not self.name.replace("-", "").replace("_", "").isalnum():
            raise ValueError(f"generator name must be alphanumeric (with - or _), got {self.name!r}")
        if self.unit not in UNITS:
            raise ValueError(f"generator {self.name!r}: unit must be one of {UNITS}, got {self.unit!r}")
        object.__setattr__(self, "scripts", tuple(self.scripts))
        object.__setattr__(self, "styles", tuple(self.styles))
        object.__setattr__(self, "factory", lazy(self.factory))
        object.__setattr__(self, "config_styles", lazy(self.config_styles))
        object.__setattr__(self, "fitter", lazy(self.fitter))
        kinds = frozenset(self.style_kinds)
        if not kinds <= STYLE_KINDS:
            raise ValueError(f"generator {self.name!r}: style_kinds must be within "
                             f"{sorted(STYLE_KINDS)}, got {sorted(kinds)}")
        object.__setattr__(self, "style_kinds", kinds)

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

    def named_styles(self, weights_dir: str | os.PathLike | None = None,
                     offline: bool | None = None) -> tuple[str, ...]:
        """The named styles of the model this generator loads with ``weights_dir`` (``--weights``):
        read from that model's config.json without torch; the shipped model's are ``styles``."""
        if weights_dir is None or not self.weights or self.config_styles is None:
            return self.styles
        return tuple(self.config_styles(_model_config(self.weights, weights_dir, offline)))

    def withheld_styles(self, weights_dir: str | os.PathLike | None = None,
                        offline: bool | None = None) -> dict[str, str]:
        """Styles the model was trained on but does not offer, each with why (its config.json's
        ``withheld``); {} where there is none or the config cannot be read (only error messages
        ask)."""
        if not self.weights:
            return {}
        try:
            if weights_dir is None:
                from .weights import model_files

                config = model_files(self.weights, None, offline=offline).config
            else:
                config = _model_config(self.weights, weights_dir, offline)
        except Exception:  # noqa: BLE001 - an error message's detail, never a new error
            return {}
        withheld = config.get("withheld") if isinstance(config, dict) else None
        return {str(k): str(v) for k, v in withheld.items()} if isinstance(withheld, dict) else {}

    def weights_status(self) -> str:
        if self.status is not None:
            return self.status()
        if self.weights is None:
            return "none needed"
        from .weights import model_status  # local: keeps listings light

        return model_status(self.weights)


def _model_config(name: str, weights_dir: str | os.PathLike, offline: bool | None) -> dict:
    """config.json of the model ``name`` that ``--weights`` gives: read directly where the folder
    is plain to see (cheap), else through the store, whose errors name the fix."""
    import json
    from pathlib import Path

    from .weights import CONFIG_FILE, WEIGHTS_FILE, local_folder, looks_like_path, model_files

    folder: Path | None = Path(weights_dir)
    if folder.is_dir() or looks_like_path(weights_dir):
        if not (folder / WEIGHTS_FILE).exists() and (folder / name).is_dir():
            folder = folder / name  # a folder of model folders, as the store resolves it
    else:
        folder = local_folder(os.fspath(weights_dir))
    try:
        config = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))  # type: ignore[operator]
        if isinstance(config, dict):
            return config
    except (OSError, TypeError, ValueError):
        pass
    return model_files(name, weights_dir, offline=offline).config


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

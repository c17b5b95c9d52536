"""``hwrender styles add``: fit every installed model family to a samples folder, then store the
parts as one style (nothing is stored unless every fit finished)."""

from __future__ import annotations

import shutil
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from ..errors import GeneratorError, InputError, UsageError
from . import store
from .types import STYLE_FORMAT, STYLE_VERSION, FitRequest, FitResult, UserStyle, load_samples

# Sample sheets and the model families that learn from them (for a one-line note when a sheet's
# family is not installed).
SHEET_MODELS = {"latin": ("latin",), "emnist": ("emnist", "latin"), "hangul": ("glyph-styler",),
                "cjk": ("glyph-styler",)}

# progress(model, fraction, message): the CLI draws a bar per model from it
Progress = Callable[[str, float, str], None]


def fitters(registry=None) -> dict[str, object]:
    """Model name -> fitter, one per model family of the installed generators (specs that share
    a model, such as hangul and cjk, share its fitter)."""
    from ..registry import default_registry

    registry = registry or default_registry()
    out: dict[str, object] = {}
    for spec in registry.specs():
        if spec.weights and spec.fitter is not None and "user" in spec.style_kinds:
            out.setdefault(spec.weights, spec.fitter)
    return out


def add(name: str, samples_dir: str | Path, *, force: bool = False, device: str = "auto",
        steps: int | None = None, weights: str | Path | None = None, offline: bool = False,
        seed: int = 0, progress: Progress | None = None, registry=None,
        notes: list[str] | None = None) -> UserStyle:
    """Fit every installed model family to the samples in ``samples_dir`` and store the result
    as the style ``name`` (``force`` replaces one of that name). ``progress(model, fraction,
    message)`` reports each fit; ``notes`` (a list) collects lines for the user (sheets no
    installed model learns from). Ctrl-C or an error leaves the store as it was."""
    from .. import __version__
    from ..device import check_device_name, resolve_device
    from ..registry import default_registry

    registry = registry or default_registry()
    if steps is not None and (not isinstance(steps, int) or isinstance(steps, bool) or steps < 1):
        raise UsageError(f"--steps must be a whole number of 1 or more, got {steps!r}",
                         "leave it out for each model's default")
    store.check_name(name, registry)
    store.check_free(name, force)
    samples = load_samples(samples_dir)
    store.writable_root()  # before minutes of fitting, not after
    if not samples:
        raise InputError(f"{samples_dir} holds no usable sample (all empty or deleted)",
                         "extract a filled-in sheet with `hwrender extract IMG -o DIR`")
    families = fitters(registry)
    if not families:
        raise GeneratorError("no installed generator can learn a style",
                             "install hwrender's latin, emnist or glyph-styler models")
    missing = _missing_families(samples, families)
    if notes is not None:
        notes.extend(f"{line}; they are left out" for line in missing)
    device = resolve_device(check_device_name(device))
    results: dict[str, tuple[FitResult, float]] = {}
    report = progress or (lambda model, fraction, message="": None)
    work = Path(tempfile.mkdtemp(prefix="hwrender-fit-"))
    try:
        for model, fitter in families.items():
            scratch = work / model
            scratch.mkdir()
            request = FitRequest(model=model, samples=list(samples),
                                 weights_dir=_weights_for(model, weights),
                                 device=device, seed=seed, steps=steps, offline=offline,
                                 work_dir=scratch,
                                 # 1.0 is said once, below, when the fit returned
                                 progress=lambda f, m="", model=model: report(
                                     model, min(float(f), 0.99), m))
            started = time.perf_counter()
            result = fitter(request)
            elapsed = time.perf_counter() - started
            report(model, 1.0, f"fitted in {elapsed:.0f} s" if result is not None
                   else "no sample serves it")
            if result is not None:
                results[model] = (result, elapsed)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if not results and missing:
        raise GeneratorError(missing[0], "install the hwrender model it names, or extract a "
                                         "sheet an installed model learns from")
    if not results:
        raise InputError(f"no sample in {samples_dir} serves any installed generator "
                         f"({', '.join(families)})",
                         "extract a sheet of `hwrender template latin|emnist|hangul|cjk`")
    index = {
        "format": STYLE_FORMAT, "version": STYLE_VERSION, "name": name,
        "created": datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "hwrender": __version__, "samples": len(samples),
        "parts": {model: {"config": r.config, "used": int(r.used), "fit_s": round(s, 2),
                          "figures": dict(r.figures), "notes": [str(n) for n in r.notes]}
                  for model, (r, s) in results.items()},
    }
    tensors = {model: r.tensors for model, (r, _) in results.items()}
    return store.install(name, lambda folder: store.write_style(folder, index, tensors), force=force)


def _weights_for(model: str, weights: str | Path | None) -> Path | None:
    """The folder ``--weights`` gives for ``model``: a folder of model folders gives its
    ``model`` subfolder; a single model's folder serves only its own family (the others fit to
    their shipped model), so one run's folder does not break the other fitters."""
    import json

    if weights is None:
        return None
    folder = Path(weights)
    if (folder / model).is_dir():
        return folder / model
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return folder  # unreadable here: the fitter's model loader names the problem
    family = config.get("family") or config.get("model") if isinstance(config, dict) else None
    return folder if not isinstance(family, str) or family == model else None


def _missing_families(samples, families) -> list[str]:
    """A line per sheet whose model family is not installed (its samples are not learned)."""
    out = []
    for sheet in sorted({s.template for s in samples}):
        models = SHEET_MODELS.get(sheet, ())
        if models and not any(m in families for m in models):
            out.append(f"the {sheet} samples serve {' or '.join(models)}, which is not installed")
    return out

"""A trained glyph styler: the U-Net, its style table, and the bundled source font drawn in the
frames the model was trained with. Turns characters and a style into ink images.

Loaded once per weights folder and shared by the ``hangul`` and ``cjk`` generators (one network).
Imports torch: reached only through a generator's factory, the trainer or ``hwrender interpolate``.
"""

from __future__ import annotations

import copy
import functools
import os
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np
import torch

from hwrender.errors import UsageError, WeightsError
from hwrender.ink import InkImage
from hwrender.neural import cached, load_module
from hwrender.text.scripts import hangul_or_han

from . import SOURCE_FONT, WEIGHTS_NAME
from .data import (
    SCRIPTS,
    Frame,
    GlyphRenderer,
    em_box_columns,
    font_cmap,
    served,
)
from .model import GlyphUNet, ModelConfig, to_alpha, to_model

if TYPE_CHECKING:  # pragma: no cover
    from hwrender.styles.types import UserStyle

FAMILY = "glyph-styler"
CHUNK = 256  # glyphs per forward pass: bounded memory, still one pass for most pages
MARGIN = 0.06  # of an em, kept around the em box so overhanging strokes are not cut
TRACKING = 0.04  # of an em, added to each advance: handwriting is set a little looser than type
INK_FLOOR = 0.08  # alpha below this is GAN haze on the paper, not ink
INK_COLUMN = 0.25  # a column with ink this dark is part of the glyph's width
HAZE_PEAK = INK_FLOOR + 0.5 * (1.0 - INK_FLOOR)  # a blot never this dark is haze (half ink on the page)
HAZE_LINK = INK_FLOOR + 0.1 * (1.0 - INK_FLOOR)  # ink this dark joins pixels into one blot (10 % on the page)
HAZE_PX = 8  # ... if it is this small (px at the network's size); a stroke is more
SPECK_PX = 2  # a blot this small is speckle however dark: a pen's dot at 64 px is 9 px or more
GAP = 0.12  # of an em, between the ink of neighbouring syllables or ideographs


def source_font_path(config: Mapping[str, Any], folder: str | os.PathLike | None = None) -> Path:
    """The source font a model was trained with: a file in its model folder (``folder``), or the
    bundled one by file name. Never a path outside those: a config must not open other files."""
    from hwrender.weights import config_file

    name = (config.get("source_font") or {}).get("file")
    if not name:
        return SOURCE_FONT
    if folder is None:  # a config with no folder (training): only the bundled fonts
        return config_file(SOURCE_FONT.parent, "source_font.file", name)
    return config_file(folder, "source_font.file", name, shipped=SOURCE_FONT.parent)


def _size(high: int) -> "Setting":
    from hwrender.weights import Setting

    return Setting(int, 1, high)


def config_schema() -> dict[str, Any]:
    """config.json of a glyph styler, checked before the network is built. The size bounds are
    far above the shipped model (ngf 32, embed_dim 128, 24 styles) and far below what would
    exhaust memory; the file's tensor shapes are then compared with the built network's."""
    from hwrender.weights import Setting

    return {
        "family": Setting(str, choices=(FAMILY,)),
        "model": Setting(dict),
        "model.image_size": Setting(int, 8, 512, optional=True),
        "model.ngf": _size(512), "model.ndf": _size(512), "model.max_mult": _size(64),
        "model.embed_dim": _size(4096), "model.n_styles": _size(100_000),
        "model.dropout": Setting(float, 0.0, 1.0, optional=True),
        "model.dropout_layers": Setting(int, 0, 16, optional=True),
        "model.upsample": Setting(str, choices=("deconv", "subpixel"), optional=True),
        "model.final_upsample": Setting(str, choices=("deconv", "subpixel"), optional=True),
        "styles": Setting(list, 1, 100_000), "style_scripts": Setting(list, 1, 100_000),
        "default_styles": Setting(dict, optional=True),
        "frames": Setting(dict),
        "x_height_em": Setting(float, 0.05, 2.0, optional=True),
        "variation": Setting(float, 0.0, 10.0, optional=True),
        "cleanup": Setting(dict, optional=True),
        "source_font": Setting(dict, optional=True),
        "source_font.file": Setting(str, optional=True),
        "source_font.index": Setting(int, 0, 1000, optional=True),
    }


def _check_tables(files) -> None:
    """What the schema cannot say: the style table, its scripts and the frames agree."""
    config, where = files.config, files.folder / "config.json"

    def bad(problem: str) -> WeightsError:
        from hwrender.weights import CONFIG_FIX

        return WeightsError(f"{where}: {problem}", CONFIG_FIX)

    styles, scripts, n = config["styles"], config["style_scripts"], config["model"]["n_styles"]
    if not len(styles) == len(scripts) == n:
        raise bad(f"styles ({len(styles)}), style_scripts ({len(scripts)}) and model.n_styles ({n}) "
                  "must be as many")
    if not all(isinstance(x, str) for x in styles + scripts):
        raise bad("styles and style_scripts must hold strings")
    for key, frame in config["frames"].items():
        if not (isinstance(frame, list) and len(frame) == 3 and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in frame)):
            raise bad(f"frames.{key} is not three numbers")
    for script in sorted(set(scripts) & set(SCRIPTS)):
        if f"source:{script}" not in config["frames"]:
            raise bad(f"frames.source:{script} is missing")
    for script, style in (config.get("default_styles") or {}).items():
        if style not in styles:
            raise bad(f"default_styles.{script} is {style!r}, not one of the model's styles")


def glyph_seed(seed: int, i: int) -> int:
    """A 63-bit seed for the glyphs of a call from position ``i`` on (splitmix64 of both)."""
    m = (1 << 64) - 1
    x = (int(seed) * 0x9E3779B97F4A7C15 + i + 1) & m
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & m
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & m
    return (x ^ (x >> 31)) & 0x7FFF_FFFF_FFFF_FFFF


def bf16_fast() -> bool:
    """Whether this CPU runs bfloat16 natively (AVX512-BF16/AMX): then inference uses it.
    ``HWRENDER_BF16=0`` turns it off (read at each call: the golden check writes in float32, so
    its bytes are the same on every CPU)."""
    if os.environ.get("HWRENDER_BF16", "").lower() in ("0", "false", "no"):
        return False
    return _native_bf16()


@functools.cache
def _native_bf16() -> bool:
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


class Cleanup:
    """What the styler does to the network's output before anyone sees it: a 3x3 median filter
    (or a Gaussian ``blur``, which keeps 1 px strokes) removes the pixel-shuffle speckle the
    output layer leaves around strokes, and a smoothstep
    from ``lo`` to ``hi`` turns the soft grey edges into ink or paper. Fitted on training
    characters by ``scripts/choose_glyph_styles.py --fit-cleanup`` and kept in config.json
    ``cleanup``; a model without that key is used as the network draws it."""

    def __init__(self, median: int = 0, lo: float = 0.0, hi: float = 1.0, blur: float = 0.0):
        if median not in (0, 1, 3, 5) or not 0.0 <= lo < hi <= 1.0 or not 0.0 <= blur <= 3.0:
            raise WeightsError(f"bad cleanup settings in config.json: median {median}, lo {lo}, hi {hi}, "
                               f"blur {blur}",
                               "use median 0, 3 or 5, blur 0 to 3 (px) and 0 <= lo < hi <= 1, "
                               "or drop the key")
        self.median, self.lo, self.hi, self.blur = median, lo, hi, blur

    @classmethod
    def from_config(cls, data: Mapping[str, Any] | None) -> "Cleanup":
        if not data:
            return cls()
        try:
            return cls(int(data.get("median", 0)), float(data.get("lo", 0.0)), float(data.get("hi", 1.0)),
                       float(data.get("blur", 0.0)))
        except (TypeError, ValueError, AttributeError) as exc:
            raise WeightsError(f"bad cleanup settings in config.json: {data!r}",
                               "give {\"median\": 3, \"lo\": 0.3, \"hi\": 0.7}, or drop the key") from exc

    def to_config(self) -> dict[str, Any]:
        return {"median": self.median, "blur": self.blur, "lo": self.lo, "hi": self.hi}

    @staticmethod
    def per_script(data: Mapping[str, Any] | None) -> dict[str, "Cleanup"]:
        """config.json ``cleanup``: one for every script (``{"median": 3, ...}``) or one per script
        (``{"Hang": {...}, "Hani": {...}}``); a script without one is used as the network draws it."""
        if isinstance(data, Mapping) and data and set(data) <= set(SCRIPTS):
            return {script: Cleanup.from_config(part) for script, part in data.items()}
        every = Cleanup.from_config(data)
        return {script: every for script in SCRIPTS}

    @property
    def active(self) -> bool:
        return self.median > 1 or self.blur > 0.0 or self.lo > 0.0 or self.hi < 1.0

    def __call__(self, alpha: torch.Tensor) -> torch.Tensor:
        """Float alpha (N, S, S) in [0, 1] → the cleaned alpha, same shape."""
        if not self.active:
            return alpha
        import torch.nn.functional as F

        if self.median > 1:
            k = self.median
            n, h, w = alpha.shape
            x = F.pad(alpha[:, None], (k // 2,) * 4, mode="replicate")
            alpha = F.unfold(x, k).median(1).values.view(n, h, w)
        if self.blur > 0.0:  # a Gaussian: averages the speckle away and keeps thin strokes
            r = max(1, int(np.ceil(2.0 * self.blur)))
            g = torch.exp(-(torch.arange(-r, r + 1, dtype=alpha.dtype) ** 2) / (2.0 * self.blur ** 2))
            g = (g / g.sum()).to(alpha.device)
            x = F.pad(alpha[:, None], (r, r, r, r), mode="replicate")
            x = F.conv2d(F.conv2d(x, g.view(1, 1, 1, -1)), g.view(1, 1, -1, 1))
            alpha = x[:, 0]
        t = ((alpha - self.lo) / (self.hi - self.lo)).clamp(0.0, 1.0)
        return t * t * (3.0 - 2.0 * t)


class GlyphStyler:
    """The network and everything it needs at inference (see the module docstring)."""

    def __init__(self, model: GlyphUNet, config: Mapping[str, Any], source_font: Path | None = None,
                 name: str = FAMILY):
        self.model = model.eval()
        self.config = dict(config)
        self.name = name
        self.cfg = model.cfg
        self.size = self.cfg.image_size
        self.styles: list[str] = list(config["styles"])
        self.style_scripts: list[str] = list(config["style_scripts"])
        self.default_styles: dict[str, str] = dict(config.get("default_styles", {}))
        # styles the model was trained on but does not offer, each with why (it draws them
        # illegibly: scripts/choose_glyph_styles.py --withhold-above); their rows stay in the table
        self.withheld: dict[str, str] = dict(config.get("withheld", {}))
        self.frames = {k: Frame.from_list(v) for k, v in config["frames"].items()}
        self.x_height_em = float(config.get("x_height_em", 0.543))
        self.variation = float(config.get("variation", 1.0))
        self.cleanups = Cleanup.per_script(config.get("cleanup"))
        self.source_font = Path(source_font or source_font_path(config))
        self.source_index = int((config.get("source_font") or {}).get("index", 0))
        self._renderers: dict[str, GlyphRenderer] = {}
        self._charsets: dict[str, frozenset[str]] = {}
        self._source_cache: dict[str, np.ndarray] = {}
        # the base model's identity, which a fitted style (``fit``) records and is checked against
        self.weights_file: Path | None = None
        self.weights_sha256: str | None = None

    @property
    def bf16(self) -> bool:
        """Whether inference runs under bfloat16 autocast on the CPU (``bf16_fast``, now)."""
        return bf16_fast()

    # -- loading -----------------------------------------------------------------------------
    @classmethod
    def load(cls, weights: str | os.PathLike | None = None, offline: bool | None = None) -> "GlyphStyler":
        """The styler of a model folder (``--weights DIR``), a store name, or the shipped model:
        loaded once per process, shared by the ``hangul`` and ``cjk`` generators."""
        weights = str(weights) if weights is not None else None
        return cached((FAMILY, weights, offline), lambda: _load(weights, offline))

    def charset(self, script: str) -> frozenset[str]:
        """What this model writes for ``script``: the served set its source font covers."""
        cs = self._charsets.get(script)
        if cs is None:
            cmap = font_cmap(self.source_font, self.source_index)
            cs = self._charsets[script] = served(script) & cmap
        return cs

    def identity(self) -> str:
        """The sha256 of the loaded weights file (the manifest's when it has one): what a style
        fitted to this model records, so that it is never applied to another one."""
        if self.weights_sha256 is None:
            if self.weights_file is None:
                raise WeightsError("this glyph styler was not loaded from a weights folder",
                                   "load it with GlyphStyler.load(FOLDER)")
            import hashlib

            digest = hashlib.sha256()
            with open(self.weights_file, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
            self.weights_sha256 = digest.hexdigest()
        return self.weights_sha256

    # -- styles --------------------------------------------------------------------------------
    def known_styles(self, script: str | None = None) -> list[str]:
        return [s for s, sc in zip(self.styles, self.style_scripts)
                if (script is None or sc == script or sc == "*") and s not in self.withheld]

    def style_vector(self, style: str | None, script: str) -> torch.Tensor:
        """The one place a style name becomes a style vector (embed_dim,).

        ``None``: the model's default style for the script. A style name of the model (fonts it
        was trained on, styles fine-tuned into it). A number: a seeded blend of the script's
        styles, a new hand per number. ``A+B`` / ``A*0.3+B*0.7``: a blend of named styles.
        """
        table = self.model.styles.weight.detach()
        if style is None:
            style = self.default_styles.get(script) or (self.known_styles(script) or self.styles)[0]
        if style in self.withheld:
            raise UsageError(f"the glyph styler's style {style!r} is withheld as illegible: "
                             f"{self.withheld[style]}",
                             f"choose another: {', '.join(self.known_styles(script))}, or a number")
        if style in self.styles:
            return table[self.styles.index(style)].clone()
        if style.isdigit():
            own = [self.styles.index(s) for s in self.known_styles(script)] or list(range(len(self.styles)))
            rng = np.random.default_rng([int(style), 0 if script == "Hang" else 1])
            w = torch.from_numpy(rng.dirichlet(np.full(len(own), 0.6))).to(table.dtype)
            return (w[:, None] * table[own]).sum(0)
        if "+" in style:
            parts = [p.strip() for p in style.split("+") if p.strip()]
            vecs, weights = [], []
            for p in parts:
                name, _, weight = p.partition("*")
                vecs.append(self.style_vector(name.strip(), script))
                weights.append(float(weight) if weight else 1.0)
            w = torch.tensor(weights)
            return (w[:, None] * torch.stack(vecs)).sum(0) / w.sum()
        raise UsageError(f"the glyph styler has no style {style!r}",
                         f"known styles: {', '.join(self.known_styles(script))}, or a number")

    # -- drawing -------------------------------------------------------------------------------
    def renderer(self, script: str) -> GlyphRenderer:
        r = self._renderers.get(script)
        if r is None:
            r = self._renderers[script] = GlyphRenderer(
                self.source_font, self.source_index, self.frames[f"source:{script}"], self.size)
        return r

    def sources(self, chars: Sequence[str]) -> np.ndarray:
        """Source glyphs (N, S, S) uint8, drawn once per character and kept."""
        missing = [c for c in dict.fromkeys(chars) if c not in self._source_cache]
        for script in ("Hang", "Hani"):
            todo = [c for c in missing if hangul_or_han(c) == script]
            if todo:
                imgs, _ = self.renderer(script).render(todo)
                self._source_cache.update(zip(todo, imgs))
        if len(self._source_cache) > 50_000:  # bounded: a long text of rare characters
            keep = set(chars)
            self._source_cache = {c: a for c, a in self._source_cache.items() if c in keep}
        return np.stack([self._source_cache[c] for c in chars]) if chars else \
            np.zeros((0, self.size, self.size), np.uint8)

    def _model_on(self, device: str) -> GlyphUNet:
        """The network on ``device``: the loaded one on the CPU, one kept copy per other device
        (keyed by the network, so the styler copies ``hwrender eval`` makes share it)."""
        if device == "cpu":
            return self.model
        return cached((FAMILY, self.model, device), lambda: copy.deepcopy(self.model).to(device).eval())

    @torch.inference_mode()
    def run(self, chars: Sequence[str], styles: torch.Tensor, seed: int | None,
            device: str = "cpu", variation: float | None = None) -> np.ndarray:
        """Styled glyphs (N, S, S) float alpha for ``chars`` with style vectors ``styles`` (N, E).

        A ``seed`` turns decoder dropout on with seeded masks, different for every glyph (the
        same character twice is drawn twice); ``None`` gives the deterministic mean glyph.
        """
        from hwrender.device import resolve_device

        n = len(chars)
        out = np.zeros((n, self.size, self.size), np.float32)
        if n == 0:
            return out
        device = resolve_device(str(device))  # "auto" comes straight from the options
        model = self._model_on(device)
        cpu = str(device).startswith("cpu")
        var = self.variation if variation is None else variation
        src_all = self.sources(chars)
        for i in range(0, n, CHUNK):
            j = min(n, i + CHUNK)
            x = to_model(torch.from_numpy(src_all[i:j])).to(device)
            if cpu:
                x = x.contiguous(memory_format=torch.channels_last)
            masks = None if seed is None else model.dropout_masks(j - i, glyph_seed(seed, i), var,
                                                                  device)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=cpu and self.bf16):
                y, _ = model(x, styles[i:j].to(device), masks)
            out[i:j] = self._clean(to_alpha(y), chars[i:j]).cpu().numpy()
        return out

    def _clean(self, alpha: torch.Tensor, chars: Sequence[str]) -> torch.Tensor:
        """Each glyph through its script's cleanup (one call per script in the chunk)."""
        scripts = [hangul_or_han(ch) for ch in chars]
        for script in set(scripts):
            cleanup = self.cleanups.get(script)
            if cleanup is None or not cleanup.active:
                continue
            rows = [k for k, s in enumerate(scripts) if s == script]
            alpha[rows] = cleanup(alpha[rows])
        return drop_haze(alpha)

    def ink_images(self, chars: Sequence[str], alphas: np.ndarray, style: str | None) -> list[InkImage]:
        """Cut each styled glyph to its em box (plus a margin) and attach the line metrics."""
        inks = []
        for ch, a in zip(chars, alphas):
            script = hangul_or_han(ch)
            frame = self.frames[f"source:{script}"]
            adv = self.renderer(script).advance(ch) or frame.size
            margin = MARGIN * frame.size
            c0, c1 = em_box_columns(frame, adv, self.size, margin)
            a = np.clip((a[:, c0:c1] - INK_FLOOR) / (1.0 - INK_FLOOR), 0.0, 1.0)
            advance = (frame.x - c0) + adv + TRACKING * frame.size
            if unicodedata.category(ch) == "Lo":  # a syllable or ideograph, not punctuation
                a, advance = _set_by_ink(a, advance, GAP * frame.size)
            inks.append(InkImage(
                alpha=np.ascontiguousarray(a, np.float32), baseline=frame.y,
                x_height=self.x_height_em * frame.size, advance=advance, text=ch,
                meta={"style": style, "substituted": []}))
        return inks

    def user_style(self, style: "UserStyle") -> "tuple[GlyphStyler, dict[str, torch.Tensor]]":
        """The styler that draws a stored style (``hwrender styles add``) and its style vector
        per script: this one with the fitted tensors in a copy of the network, built once per
        style (see ``fit``). A script the style has no vector for is not in the dict."""
        part = style.part(FAMILY)
        try:  # a style refitted under the same name (``--force``) in this process is built again
            stat = part.tensors_path.stat() if part is not None else None
            when = (stat.st_mtime_ns, stat.st_size) if stat else None
        except OSError:
            when = None
        return cached((FAMILY, "user", self.model, style, when), lambda: self._build_user(style))

    def _build_user(self, style: "UserStyle"):
        from .fit import apply_part

        part = style.part(FAMILY)
        if part is None:
            raise UsageError(f"style {style} has nothing for the glyph styler",
                             f"add Hangul or Han samples: `hwrender styles add {style} DIR --force`")
        return apply_part(self, style, part.config, part.tensors())  # a damaged part: WeightsError

    def _write_user(self, chars: Sequence[str], style: "UserStyle", seed: int, device: str,
                    script: str | None) -> list[InkImage]:
        """A stored style: each script it was fitted on in its fitted network and vector; a
        script it has no samples of (a Hangul-only sheet writing Han) in that script's default
        style, drawn by the untouched network."""
        fitted, vectors = self.user_style(style)
        scripts = [script or hangul_or_han(ch) for ch in chars]
        alphas = np.zeros((len(chars), self.size, self.size), np.float32)
        for sc in dict.fromkeys(scripts):
            rows = [k for k, s in enumerate(scripts) if s == sc]
            styler, vec = (fitted, vectors[sc]) if sc in vectors else (self, self.style_vector(None, sc))
            alphas[rows] = styler.run([chars[k] for k in rows], vec.expand(len(rows), -1), seed, device)
        return self.ink_images(chars, alphas, str(style))

    def write(self, chars: Sequence[str], style: "str | UserStyle | None", seed: int,
              device: str = "cpu", script: str | None = None) -> list[InkImage]:
        """Ink images of ``chars`` in ``style``: what a generator's ``generate`` returns."""
        if not chars:
            return []
        if style is not None and not isinstance(style, str):
            return self._write_user(chars, style, seed, device, script)
        vecs = {}
        rows = []
        for ch in chars:
            sc = script or hangul_or_han(ch)
            if sc not in vecs:
                vecs[sc] = self.style_vector(style, sc)
            rows.append(vecs[sc])
        alphas = self.run(chars, torch.stack(rows), seed, device)
        return self.ink_images(chars, alphas, style)


def speckle_share(alpha: torch.Tensor | np.ndarray) -> float:
    """Speckle in glyphs (N, S, S) float alpha: isolated grey pixels (``INK_FLOOR`` to 0.5, none of
    the 8 neighbours darker), per ink pixel (alpha >= 0.5). A font's anti-aliasing grades an edge
    from the stroke outwards, so its grey pixels have a darker neighbour: it scores near 0."""
    import torch.nn.functional as F

    a = torch.as_tensor(alpha, dtype=torch.float32)
    ink = int((a >= 0.5).sum())
    if ink == 0:
        return 0.0
    peak = F.max_pool2d(a[:, None], 3, stride=1, padding=1)[:, 0]
    isolated = (a >= INK_FLOOR) & (a < 0.5) & (peak <= a)
    return int(isolated.sum()) / ink


def drop_haze(alpha: torch.Tensor) -> torch.Tensor:
    """Float alpha (N, S, S) without the network's speckle: 8-connected blots of ink (above
    ``HAZE_LINK``) of ``SPECK_PX`` px or fewer, and blots of ``HAZE_PX`` or fewer whose darkest pixel
    stays under ``HAZE_PEAK``. On the page they are grey dots and haze beside the strokes, which no
    pen makes: the narrowest stroke is 2-3 px wide here, so a dot or a short stroke is larger."""
    import torch.nn.functional as F

    def grow(x: torch.Tensor) -> torch.Tensor:  # each pixel's largest value among its 8 neighbours
        return F.max_pool2d(x[:, None], 3, stride=1, padding=1)[:, 0]

    ink = alpha > HAZE_LINK
    # a blot with a pixel whose 3x3 neighbourhood is all ink has 9 px or more: a stroke. Reaching
    # out from those (a few px of fringe, so a few rounds) leaves only thin and small blots to label.
    full = -grow(-ink.float()) > 0
    big = full
    while True:
        more = ink & (grow(big.float()) > 0)
        if torch.equal(more, big):
            break
        big = more
    small = ink & ~big
    if not bool(small.any()):
        return alpha
    n = small.numel()
    ids = torch.arange(1, n + 1, dtype=torch.float64, device=alpha.device).view(small.shape)
    labels = torch.where(small, ids, torch.zeros_like(ids))
    while True:  # each blot takes its largest pixel number
        more = torch.where(small, grow(labels), labels)
        if torch.equal(more, labels):
            break
        labels = more
    labels = labels.long().flatten()
    sizes = torch.bincount(labels, minlength=n + 1)
    peaks = torch.zeros(n + 1, dtype=alpha.dtype, device=alpha.device).scatter_reduce(
        0, labels, alpha.flatten(), "amax")
    drop = (sizes <= SPECK_PX) | ((sizes <= HAZE_PX) & (peaks < HAZE_PEAK))
    drop[0] = False
    return torch.where(drop[labels].view(alpha.shape), torch.zeros_like(alpha), alpha)


def _set_by_ink(alpha: np.ndarray, advance: float, gap: float) -> tuple[np.ndarray, float]:
    """Space a glyph by the ink it has, as a hand does, not by the source font's em: cut it to
    its inked columns (one blank column kept each side) and advance by that width plus ``gap``.
    A style drawn smaller than the em then no longer leaves holes inside words. A glyph with
    no ink keeps its em box and advance."""
    cols = np.flatnonzero(alpha.max(0) > INK_COLUMN)
    if cols.size == 0:
        return alpha, advance
    c0, c1 = max(0, int(cols[0]) - 1), min(alpha.shape[1], int(cols[-1]) + 2)
    return alpha[:, c0:c1], (c1 - c0) + gap


def _load(weights: str | None, offline: bool | None) -> GlyphStyler:
    from hwrender import weights as store

    if weights is None or not (Path(weights).is_dir() or store.looks_like_path(weights)):
        name = weights or WEIGHTS_NAME
        status = store.model_status(name)
        if status == "unknown model":
            raise WeightsError(
                f"the glyph styler has no trained weights yet (no model {name!r} in the weights store)",
                f"train one with `hwrender train {FAMILY}` and give its folder "
                "(e.g. --weights runs/glyph-styler/model); meanwhile --missing fallback writes "
                "Hangul and Han with a system font")
        files = store.resolve(name, offline=offline)
    else:
        files = store.model_files(WEIGHTS_NAME, weights, offline)  # a missing folder: "no such folder"
    config = files.config
    if config.get("family") != FAMILY:
        raise WeightsError(f"{files.folder} is not a glyph styler model (family {config.get('family')!r})",
                           "pass the folder of a model trained with `hwrender train glyph-styler`")
    files.validate(config_schema())
    _check_tables(files)
    source_path = source_font_path(config, files.folder)  # before the network: a bad path costs nothing
    mcfg = ModelConfig.from_dict(config["model"])
    styler = GlyphStyler(load_module(files, lambda: GlyphUNet(mcfg)), config, source_path,
                         name=files.name)
    styler.weights_file = files.weights
    record = files.manifest.files.get(files.weights.name) if files.manifest else None
    styler.weights_sha256 = record.sha256 if record else None  # checked when the files resolved
    return styler

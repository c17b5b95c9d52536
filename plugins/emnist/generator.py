"""The ``emnist`` generator: writes text character by character with the trained AC-GAN.

EMNIST centres and scales every character to fill its 28x28 box, so a raw sample says nothing of
how tall the character is or where it sits. The adapter puts each one back on a baseline: it
crops the sample to its ink and scales and places it by the class's measured extent (top and
bottom in x-heights, the medians over the training fonts, kept in the model's config), so
capitals and digits stand cap-high, ``a`` is x-high, ``g`` hangs below the line and ``b``
reaches up. Letter spacing follows each character's ink width.

Style: one latent per document (``--style N`` seeds it; no style gives the default hand; a stored
style of ``hwrender styles add`` brings the latent fitted to a person's hand, see ``fit``, and
any generator tensors fine-tuned with it), plus a small per-character variation drawn from the
page's seed.
"""

from __future__ import annotations

import copy
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from hwrender.errors import GeneratorError, UsageError, WeightsError
from hwrender.ink import InkImage
from hwrender.neural import load_module
from hwrender.registry import Generator
from hwrender.styles.types import UserStyle
from hwrender.weights import CONFIG_FIX, Setting, model_files

from .classes import get as class_set
from .model import Generator as Net
from .model import NetConfig

MODEL_NAME = "emnist"
X_HEIGHT_PX = 16.0  # ink images are drawn at this x-height: EMNIST's native 24 px ≈ 1.5 x-heights
GAP = 0.14  # space between letters, in x-heights
DEFAULT_STYLE_SEED = 7  # the default hand unless the model's config names a measured better one
STYLE_SPREAD = 0.75  # document latents ~ N(0, STYLE_SPREAD²): typical, not extreme, hands
VARIATION = 0.25  # per-character latent variation around the document's latent
INK_THRESHOLD = 0.15  # alpha that counts as ink when cropping a sample
# The alpha level vector ink is traced at (hwrender.render.trace.ink_level): EMNIST's faint breaks
# inside strokes, cut at the default 0.25, become specks Tesseract reads as '.', ':' or a quote;
# at 0.1 its eval lines read at CER 0.053 against the raster's 0.057 (0.064 at 0.25; bench_ink)
INK_LEVEL = 0.1


def config_schema() -> dict:
    """config.json of an emnist model, checked before the network is built. The size bounds are
    far above the shipped model and far below what would exhaust memory; the file's tensor
    shapes are then compared with the built network's."""
    size = lambda high: Setting(int, 1, high, optional=True)  # noqa: E731
    return {
        "chars": Setting(str, 1, 1000),
        "classes": Setting(str, choices=("byclass", "balanced")),
        "net": Setting(dict),
        "net.num_classes": size(1000), "net.latent_dim": size(4096), "net.class_dim": size(4096),
        "net.g_width": size(1024), "net.d_width": size(1024),
        "net.dropout": Setting(float, 0.0, 1.0, optional=True),
        "placement": Setting(dict),
        "default_style_seed": Setting(int, 0, 2 ** 63 - 1, optional=True),
        "train": Setting(dict, optional=True),
    }


def _check_tables(files, classes, net: NetConfig, placement) -> None:
    """What the schema cannot say: one network output per class, and numbers in each placement."""
    where = files.folder / "config.json"
    if net.num_classes != len(classes):
        raise WeightsError(f"{where}: net.num_classes is {net.num_classes}, but classes "
                           f"{classes.name!r} has {len(classes)}", CONFIG_FIX)
    for ch, entry in placement.items():
        try:
            ok = all(isinstance(entry[k]["median"], (int, float)) for k in ("top", "bottom", "width"))
        except (KeyError, TypeError):
            ok = False
        if not ok:
            raise WeightsError(f"{where}: placement.{ch} lacks a numeric top, bottom or width median",
                               CONFIG_FIX)


def style_seed_latent(seed: int, dim: int) -> torch.Tensor:
    """The document latent of seeded hand ``seed`` (``--style N``)."""
    g = torch.Generator().manual_seed(seed)
    return STYLE_SPREAD * torch.randn(dim, generator=g)


def model_identity(files) -> str:
    """What a fitted style records of the model it was fitted to: the sha256 of its weights file
    (the manifest's, already checked, when there is one)."""
    from hwrender.weights.manifest import WEIGHTS_FILE, _sha256

    record = files.manifest.files.get(WEIGHTS_FILE) if files.manifest is not None else None
    return record.sha256 if record is not None else _sha256(files.weights)


class EmnistGenerator(Generator):
    def __init__(self, weights_dir: str | None = None, offline: bool | None = None):
        # a folder, a store name, or (None) the shipped model
        files = model_files(MODEL_NAME, weights_dir, offline)
        files.validate(config_schema(), closed=("net",))
        config = files.config
        self.folder = files.folder
        self.train_config = config.get("train", {})
        self.chars = config["chars"]
        self.classes = class_set(config["classes"])
        self.net_config = NetConfig(**config["net"])
        self.placement = config.get("placement") or {}
        _check_tables(files, self.classes, self.net_config, self.placement)
        # chosen by measurement (scripts/choose_emnist_style.py) when the model was shipped
        self.default_style_seed = int(config.get("default_style_seed", DEFAULT_STYLE_SEED))
        missing = [c for c in self.writable() if c not in self.placement]
        if missing:
            raise GeneratorError(f"model {files.folder} has no placement for {''.join(missing)}",
                                 "retrain it on data with a placement.json, or use the shipped model")
        self.net = load_module(files, lambda: Net(self.net_config), prefix="generator.")
        self._device = "cpu"
        self._files = files
        self._identity: str | None = None
        self._user: dict = {}  # (style, tensors file's mtime, device) -> (latent, net)

    def writable(self) -> str:
        """Characters this model writes: its classes, plus merged lower case in balanced sets."""
        return "".join(sorted(set(self.chars) | ({*"cijklmopsuvwxyz"} if self.classes.name ==
                                                 "balanced" else set())))

    def _to(self, device: str) -> None:
        if device != self._device:
            self.net.to(device)
            self._device = device

    def style_latent(self, style: str | None, dim: int) -> torch.Tensor:
        if style is not None and not str(style).isdigit():
            raise UsageError(f"generator 'emnist' has no style {style!r}",
                             "give a number (a seeded hand) or no --style")
        seed = self.default_style_seed if style is None else int(style)
        return style_seed_latent(seed, dim)

    def user_style(self, style: UserStyle, device: str) -> tuple[torch.Tensor, torch.nn.Module]:
        """The fitted latent and the network to write with (a tuned copy when the style holds
        generator tensors), built once per style and device."""
        part = style.part(MODEL_NAME)
        if part is None:
            raise UsageError(f"style {style} has no part for generator 'emnist'",
                             f"refit it from a sheet with EMNIST characters: "
                             f"`hwrender styles add {style} DIR --force`")
        try:
            stamp = part.tensors_path.stat().st_mtime_ns
        except OSError:
            stamp = None
        key = (style, stamp, device)
        if key not in self._user:
            if self._identity is None:
                self._identity = model_identity(self._files)
            if part.config.get("base_sha256") != self._identity:
                raise WeightsError(f"style {style} was fitted to another emnist model",
                                   f"refit with `hwrender styles add {style} DIR --force`")
            tensors = part.tensors()
            latent = tensors.get("style")
            if latent is None or tuple(latent.shape) != (self.net_config.latent_dim,):
                raise WeightsError(f"style {style}: {part.tensors_path} holds no emnist style latent",
                                   f"refit with `hwrender styles add {style} DIR --force`")
            tuned = {k.removeprefix("generator."): v.float() for k, v in tensors.items()
                     if k.startswith("generator.")}
            net = self.net
            if tuned:
                net = copy.deepcopy(self.net)
                try:
                    net.load_state_dict(tuned, strict=False)
                except RuntimeError:
                    raise WeightsError(f"style {style}: its tuned tensors do not fit this emnist model",
                                       f"refit with `hwrender styles add {style} DIR --force`") from None
            self._user = {k: v for k, v in self._user.items() if k[0] != style}  # refitted: drop the old
            self._user[key] = (latent.float(), net.to(device).eval())
        return self._user[key]

    @torch.no_grad()
    def samples(self, chars: Sequence[str], style: str | None, seed: int,
                device: str = "cpu") -> np.ndarray:
        """Raw 28x28 samples (alpha 0..1, ink 1), one per character."""
        self._to(device)
        dim = self.net_config.latent_dim
        g = torch.Generator().manual_seed(int(seed))
        if isinstance(style, UserStyle):
            latent, net = self.user_style(style, device)
        else:
            latent, net = self.style_latent(style, dim), self.net
        z = latent + VARIATION * torch.randn(len(chars), dim, generator=g)
        labels = torch.tensor([self.classes.label(c) for c in chars], dtype=torch.long)
        out = net(z.to(device), labels.to(device))
        return ((out.squeeze(1).float().cpu() + 1) / 2).clamp_(0, 1).numpy()

    def generate(self, units: Sequence[str], style: str | None, seed: int,
                 device: str = "cpu") -> list[InkImage]:
        if not units:
            return []
        bad = [u for u in units if len(u) != 1 or u not in self.placement]
        if bad:
            raise GeneratorError(f"generator 'emnist' got units it cannot write: {bad[:5]}",
                                 "it writes one EMNIST character per unit")
        raw = self.samples(units, style, seed, device)
        return [self._place(ch, alpha) for ch, alpha in zip(units, raw)]

    def _place(self, ch: str, alpha: np.ndarray) -> InkImage:
        entry = self.placement[ch]
        top, bottom = entry["top"]["median"], entry["bottom"]["median"]
        rows = np.flatnonzero(alpha.max(1) > INK_THRESHOLD)
        cols = np.flatnonzero(alpha.max(0) > INK_THRESHOLD)
        if not len(rows):  # an empty sample: keep the advance so the word stays readable
            width = entry["width"]["median"] * X_HEIGHT_PX
            return InkImage(np.zeros((1, max(1, round(width))), np.float32), baseline=1.0,
                            x_height=X_HEIGHT_PX, advance=width + GAP * X_HEIGHT_PX, text=ch)
        crop = alpha[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
        height = max(2, round((top - bottom) * X_HEIGHT_PX))
        width = max(1, round(crop.shape[1] * height / crop.shape[0]))  # EMNIST kept the aspect
        t = torch.from_numpy(np.ascontiguousarray(crop))[None, None]
        scaled = F.interpolate(t, size=(height, width), mode="bilinear", align_corners=False,
                               antialias=True)[0, 0].clamp_(0, 1).numpy()
        return InkImage(scaled, baseline=top * X_HEIGHT_PX, x_height=X_HEIGHT_PX,
                        advance=width + GAP * X_HEIGHT_PX, text=ch, meta={"ink_level": INK_LEVEL})

"""The ``latin`` generator: writes each Latin word of a page with the trained word GAN.

Every training word is drawn at the generator's width (``NetConfig.width``: ``CHAR_WIDTH`` px a
character, or with width classes 8 px for a narrow one and 24 for a wide one), so the adapter
squeezes each generated word by the training data's median ratio of natural ink width to that
width (``width_ratio`` in the model's config) and trims it to its ink. The baseline and x-height are the training frame's (``BASELINE``, ``X_HEIGHT``).

Ink: a generator's ink levels drift from its training words' (the stage 6 model drew its
mid-greys darker), so its alpha goes through the model's ``ink_curve``, a monotone map fitted at
export that gives generated words the training words' distribution of ink levels
(``fit_ink_curve``: quantile matching). A model without one is drawn as is. It matches the
average hand; it does not stop Tesseract dropping lines of the heaviest hands, so each hand
then goes through its own **ink cap** (``hand_ink_level``): the hand writes the model's probe
words (training words, in its config's ``ink_cap``); if it inks a larger share of their pixels
than the median training font does on the same words, its levels are remapped so that it inks
that share. Lighter hands are left alone. Measured once per style, then cached.

Style: a document's words share one style vector (``--style N`` seeds it, a named style maps to a
seed in the config, a blend ``neat:0.7,bold:0.3`` mixes named hands' vectors, no style gives the
default hand, a stored ``UserStyle`` brings its fitted vector: ``fit.py``); each word adds a small
variation drawn from the page's seed in word order. Same style, seed and text: the same ink. Words
are batched by width, up to ``BATCH`` at a time. A user style may also hold fine-tuned generator
tensors and its writer's width per letter (``width_ratio``); the net built from them is cached
per style, and a style fitted to another base model (``base_sha256``) is refused.

Hand profiles (``hands.py``): a named style with a ``profile`` in the config, and (when the
config's ``hand_profiles`` switch is on) every seeded hand, has its words steered to a real
writer's slant, width per letter, stroke, word space and size, measured on the training fonts
(``font_profiles``); a user style (with ``hands.OWN_PROFILE`` on) to the profile its fit
measured on the writer's words. The default hand and styles without a profile are drawn as before.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from hwrender.errors import GeneratorError, UsageError, WeightsError
from hwrender.ink import InkImage
from hwrender.neural import load_module
from hwrender.registry import Generator
from hwrender.styles.types import Blend, UserStyle

from . import hands
from . import words as W
from .model import NetConfig, WordGenerator

MODEL_NAME = "latin"
BATCH = 64
# The truncation trick (BigGAN): trained with style and word latents ~ N(0, 1), a page draws its
# hand at STYLE_SPREAD and each word's variation at WORD_SPREAD: typical hands rather than the
# extreme ones, each keeping its weight and size from word to word (the spreads tried: the model
# card and CHANGELOG)
STYLE_SPREAD = 0.5
WORD_SPREAD = 0.5
INK_FLOOR = 0.06  # alpha below this is paper (the generator's faint background noise)
DEFAULT_STYLE_SEED = 0
INK_LEVELS = 17  # points of the fitted ink curve (0, 1/16, ..., 1)
INK_CAP_SEED = 97  # word variation of a hand's probe words (the ink cap)


def fit_ink_curve(real: np.ndarray, fake: np.ndarray, levels: int = INK_LEVELS) -> list[float]:
    """The ink curve (values at ``levels`` evenly spaced alphas 0..1) that maps generated alpha
    ``fake`` onto the distribution of real alpha ``real``: y(x) = Q_real(F_fake(x)), monotone,
    with paper (0) kept as paper and full ink (1) as full ink."""
    real = np.sort(np.asarray(real, np.float64).ravel())
    fake = np.sort(np.asarray(fake, np.float64).ravel())
    if not len(real) or not len(fake):
        raise ValueError("fit_ink_curve needs real and generated pixels")
    x = np.linspace(0.0, 1.0, levels)
    share = np.searchsorted(fake, x, side="right") / len(fake)
    y = np.quantile(real, np.clip(share, 0.0, 1.0))
    y[0], y[-1] = 0.0, 1.0
    return [round(float(v), 4) for v in np.maximum.accumulate(np.clip(y, 0.0, 1.0))]


def apply_ink_curve(alpha: torch.Tensor, curve: torch.Tensor | None) -> torch.Tensor:
    """``alpha`` (0..1) through the piecewise-linear ``curve`` (values at evenly spaced alphas)."""
    if curve is None:
        return alpha
    steps = len(curve) - 1
    pos = alpha.clamp(0, 1) * steps
    lo = pos.floor().clamp_(max=steps - 1)
    frac = pos - lo
    lo = lo.long()
    return torch.lerp(curve[lo], curve[lo + 1], frac)


def hand_ink_level(alpha: np.ndarray, share: float) -> float | None:
    """The level ``L`` that a hand's ``alpha`` (its probe words' pixels, 0..1) must be mapped to
    0.5 from, for only ``share`` of the pixels to be ink (alpha > 0.5): None when the hand inks
    no more than ``share`` already."""
    alpha = np.asarray(alpha, np.float64).ravel()
    if not len(alpha) or float(np.mean(alpha > 0.5)) <= share:
        return None
    return float(np.quantile(alpha, 1.0 - share))


def apply_hand_level(alpha: torch.Tensor, level: float | None) -> torch.Tensor:
    """Alpha remapped piecewise-linearly so that ``level`` becomes 0.5 (0 and 1 stay)."""
    if level is None or level <= 0.5 or level >= 1.0:
        return alpha
    return torch.where(alpha < level, alpha * (0.5 / level),
                       0.5 + (alpha - level) * (0.5 / (1.0 - level)))


@torch.no_grad()
def draw(net: WordGenerator, words: Sequence[str], z: torch.Tensor, device="cpu"):
    """(indices, [B, H, W] alpha 0..1 on the CPU at the generator's width) of ``net``'s words for
    the latents ``z`` [len(words), z_dim], one width (``NetConfig.width``) a batch of at most
    ``BATCH``."""
    by_len: dict[int, list[int]] = {}
    for i, w in enumerate(words):
        by_len.setdefault(net.cfg.width(w), []).append(i)
    for idx_all in by_len.values():
        for start in range(0, len(idx_all), BATCH):
            idx = idx_all[start:start + BATCH]
            text, lengths = W.encode([words[i] for i in idx])
            img = net(text.to(device), lengths.to(device), z[idx].to(device))
            yield idx, ((img[:, 0].float() + 1) / 2).cpu()


def framed(ink: InkImage) -> np.ndarray:
    """A generated word's alpha back in the training frame (``HEIGHT`` rows, the baseline at
    ``BASELINE``): what the evaluation sets on its Tesseract lines."""
    top = int(round(W.BASELINE - ink.baseline))
    out = np.zeros((W.HEIGHT, ink.width), np.float32)
    out[top:top + ink.height] = ink.alpha
    return out


def _marked(word: np.ndarray, steered: np.ndarray, text: str, edges, seed: int,
            steer: "hands.Steer | None") -> np.ndarray:
    """``word`` (the GAN's base word, squeezed, unsteered) with ``text``'s marks drawn
    (``marks.SURE``): placed on the unsheared columns, in a pen as wide as ``steered``'s strokes
    (the word as its hand's steer leaves it), on a layer of their own, where the steer's shear
    moved their letters: no erosion or halo sharpening thins them, no shear bends their shape."""
    from . import marks

    s = steer.shear if steer is not None else 0.0
    pad = hands.shear_pad(word.shape[0], s, W.BASELINE)
    layer = np.zeros((word.shape[0], word.shape[1] + 2 * pad), np.float32)
    word = marks.draw(word, text, edges, seed, marks.sure_pen([steered]), layer,
                      place=lambda x, y: x + pad + s * (W.BASELINE - y))
    if steer is not None:
        word = _steered(word, steer)
    return np.maximum(word, layer)


def _steered(word: np.ndarray, steer: "hands.Steer") -> np.ndarray:
    """One word's alpha through its hand's steer (``hands.apply`` on a batch of one)."""
    return hands.apply(torch.from_numpy(word)[None], steer, W.BASELINE)[0].numpy()


def _named_styles(styles, folder) -> dict[str, tuple[int, float]]:
    """The config's ``styles``: name -> seed, or name -> {"seed": S, "spread": X} (a hand drawn at
    its own spread), as (seed, spread)."""
    out = {}
    try:
        for name, value in dict(styles).items():
            if isinstance(value, dict):
                out[str(name)] = (int(value["seed"]), float(value.get("spread", STYLE_SPREAD)))
            else:
                out[str(name)] = (int(value), STYLE_SPREAD)
    except (KeyError, TypeError, ValueError):
        raise GeneratorError(f"model {folder} has malformed named styles",
                             'give each as a seed or {"seed": S, "spread": X} in config.json') from None
    return out


def _profile(value, folder, what) -> hands.Profile:
    try:
        if not isinstance(value, dict) or set(value) - set(hands.KEYS):
            raise TypeError
        profile = hands.Profile.from_dict(value)
        if not all(np.isfinite(getattr(profile, k)) for k in hands.KEYS):
            raise ValueError
        return profile
    except (KeyError, TypeError, ValueError):
        raise GeneratorError(f"model {folder} has a malformed profile for {what}",
                             f"give it as {{{', '.join(hands.KEYS)}}} numbers in config.json") from None


def _named_profiles(styles, folder) -> dict[str, hands.Profile]:
    """name -> profile of the named styles that have one (``{"seed": S, "profile": {...}}``)."""
    return {str(name): _profile(value["profile"], folder, f"style {name!r}")
            for name, value in dict(styles).items()
            if isinstance(value, dict) and "profile" in value}


def _font_profiles(profiles, folder) -> dict[str, dict]:
    """font id -> profile dict (checked): what seeded hands' profiles are mixed from."""
    for fid, value in dict(profiles).items():
        _profile(value, folder, f"font {fid!r}")
    if len(profiles) == 1:
        raise GeneratorError(f"model {folder} has one font profile",
                             "seeded hands mix two: give none or several")
    return dict(profiles)


def config_schema() -> dict:
    """config.json of a latin model, checked before the network is built. The size bounds are far
    above the shipped model (g_ch 16, embed_dim 64) and far below what would exhaust memory; the
    file's tensor shapes are then compared with the built network's."""
    from hwrender.weights import Setting

    size = lambda high: Setting(int, 1, high, optional=True)  # noqa: E731
    return {
        "charset": Setting(str),
        "net": Setting(dict),
        "net.vocab": Setting(int, 2, 100_000),
        "net.height": Setting(int, 8, 256, optional=True),
        "net.char_width": Setting(int, 8, 256, optional=True),
        "net.style_dim": size(4096), "net.word_dim": size(4096), "net.embed_dim": size(4096),
        "net.text_dim": Setting(int, 2, 4096, optional=True),
        "net.g_ch": size(1024), "net.d_ch": size(1024), "net.r_ch": size(1024),
        "net.r_hidden": size(4096),
        "net.narrow": Setting(str, optional=True), "net.wide": Setting(str, optional=True),
        "width_ratio": Setting(float, 0.05, 20.0, optional=True),
        "default_style_seed": Setting(int, 0, 2 ** 63 - 1, optional=True),
        "ink_curve": Setting(list, 2, 1024, optional=True),
        "ink_cap": Setting(dict, optional=True),
        "styles": Setting(dict, optional=True),
        "hand_profiles": Setting(bool, optional=True),
        "font_profiles": Setting(dict, optional=True),
    }


def load_model_files(source: str | None = None, offline: bool | None = None):
    """The ``latin`` model: from a folder, a store name, or (``None``) the shipped one."""
    from hwrender.weights import model_files

    return model_files(MODEL_NAME, source, offline)


class LatinGenerator(Generator):
    def __init__(self, weights_dir: str | None = None, offline: bool | None = None):
        files = load_model_files(weights_dir, offline)
        files.validate(config_schema(), closed=("net",))
        config = files.config
        self.folder = files.folder
        self.config = config
        if config.get("charset") != W.CHARSET:
            raise GeneratorError(f"model {files.folder} was trained on another character set",
                                 "retrain it with this hwrender (`hwrender train latin`)")
        self.net_config = NetConfig(**config["net"])
        if self.net_config.vocab != len(W.CHARSET) + 1:  # else writing indexes past the embedding
            from hwrender.weights import CONFIG_FIX

            raise WeightsError(f"{files.folder / 'config.json'}: net.vocab is {self.net_config.vocab}, "
                               f"not {len(W.CHARSET) + 1} (the character set and the padding)", CONFIG_FIX)
        self.width_ratio = float(config.get("width_ratio", 1.0))
        self.styles = _named_styles(config.get("styles") or {}, files.folder)
        self.profiles = _named_profiles(config.get("styles") or {}, files.folder)
        self.hand_profiles = bool(config.get("hand_profiles", False))
        self.font_profiles = _font_profiles(config.get("font_profiles") or {}, files.folder)
        self._steers: dict[object, hands.Steer | None] = {}
        self._probed: tuple | None = None
        self.default_style_seed = int(config.get("default_style_seed", DEFAULT_STYLE_SEED))
        curve = config.get("ink_curve")
        self.ink_curve = None if curve is None else torch.tensor(curve, dtype=torch.float32)
        if self.ink_curve is not None and (self.ink_curve.ndim != 1 or len(self.ink_curve) < 2):
            raise GeneratorError(f"model {files.folder} has a malformed ink_curve",
                                 "re-export it with `hwrender train latin`")
        cap = config.get("ink_cap")
        if cap is not None and not (isinstance(cap, dict) and cap.get("words")
                                    and 0 < float(cap.get("share", 0)) < 1):
            raise GeneratorError(f"model {files.folder} has a malformed ink_cap",
                                 "re-export it with `hwrender train latin`")
        self.ink_cap = cap
        self._hand_levels: dict[object, float | None] = {}
        self._files = files
        self._identity: str | None = None
        self._users: dict[UserStyle, tuple[torch.Tensor, WordGenerator | None, float]] = {}
        self.net = load_module(files, lambda: WordGenerator(self.net_config),
                               prefix="generator.").to(memory_format=torch.channels_last)
        self._device = "cpu"

    def _to(self, device: str) -> None:
        if device != self._device:
            self.net.to(device)
            self._device = device

    def identity(self) -> str:
        """The sha256 of the loaded weights file: what a fitted style records as its base model."""
        if self._identity is None:
            from hwrender.weights.manifest import WEIGHTS_FILE, _sha256

            manifest = self._files.manifest
            record = manifest.files.get(WEIGHTS_FILE) if manifest is not None else None
            self._identity = record.sha256 if record is not None else _sha256(self._files.weights)
        return self._identity

    def _user(self, style: UserStyle) -> tuple[torch.Tensor, WordGenerator | None, float]:
        """(style vector, fine-tuned net or None, width ratio) of a stored style, built once."""
        if style not in self._users:
            part = style.part(MODEL_NAME)
            config = part.config
            fix = f"refit with `hwrender styles add {style} DIR --force`"
            if config.get("base_sha256") != self.identity():
                raise WeightsError(f"style {style} was fitted to another {MODEL_NAME} model", fix)
            tensors = part.tensors()
            vector = tensors.pop("style", None)
            if vector is None or vector.shape != (self.net_config.style_dim,):
                raise WeightsError(f"style {style} has no {MODEL_NAME} style vector of "
                                   f"{self.net_config.style_dim} values", fix)
            net = None
            if tensors:  # fine-tuned layers: a copy of the base net holding them
                import copy

                own = self.net.state_dict()
                wrong = [k for k, v in tensors.items() if k not in own or own[k].shape != v.shape]
                if wrong:
                    raise WeightsError(f"style {style} holds tensors the {MODEL_NAME} model has "
                                       f"not ({wrong[0]})", fix)
                net = copy.deepcopy(self.net).cpu()
                net.load_state_dict({**net.state_dict(), **{k: v.float() for k, v in tensors.items()}})
                net.eval()
            ratio = float(config.get("width_ratio", self.width_ratio))
            self._users[style] = (vector.float(), net, ratio)
        return self._users[style]

    def _net(self, style, device: str) -> WordGenerator:
        """The net that draws ``style`` (a user style's fine-tuned copy, else the model's), on ``device``."""
        self._to(device)
        net = self._user(style)[1] if isinstance(style, UserStyle) else None
        return self.net if net is None else net.to(device)

    def style_vector(self, style) -> torch.Tensor:
        """[style_dim]: the document's style vector (see :meth:`hand`; a blend mixes its named
        hands' vectors by weight; a user style's is fitted)."""
        if isinstance(style, UserStyle):
            return self._user(style)[0]
        if isinstance(style, Blend):
            return sum(weight * self.style_vector(name) for name, weight in style.parts)
        style_seed, spread = self.hand(style)
        g = torch.Generator().manual_seed(style_seed)
        return spread * torch.randn(self.net_config.style_dim, generator=g)

    def drawn_width(self, style, steer: hands.Steer | None) -> float:
        """How many times a default hand's width the letters drawn in code (capitals, ``æ ß``:
        ``hyphens.LETTER_WIDTH``) take in ``style``, as its words do: its steer's squeeze (a
        narrow hand's 0.73, a wide one's 1.5) times its own width ratio over the model's (an own
        hand's)."""
        squeeze = steer.width_factor if steer is not None else 1.0
        return squeeze * self.style_width_ratio(style) / self.width_ratio

    def drawn_form(self, style):
        """The ``symbols.Form`` of the capitals ``style`` draws in code: the default hand's is
        ``Form()`` (its capitals as they were), a named hand's from its seed, spread and profile
        (named hands that share a seed differ by their profiles, and by this; a copy of a named
        hand under another name draws like it), a numbered hand's from its seed, a blend's its
        parts' mixed by weight, an own hand's ``Form()``."""
        from .symbols import Form

        if isinstance(style, Blend):
            return Form.mix([(self.drawn_form(name), w) for name, w in style.parts])
        if style is None or isinstance(style, UserStyle):
            return Form()
        key = self.hand(style)
        if style in self.styles:
            return Form.of("named:%d:%g:%r" % (*key, self.profile(style)))
        return Form() if key == self.hand(None) else Form.of("%d:%g" % key)

    def style_width_ratio(self, style) -> float:
        """Natural width over the generator's width: the writer's for a user style."""
        return self._user(style)[2] if isinstance(style, UserStyle) else self.width_ratio

    def hand(self, style: str | None) -> tuple[int, float]:
        """(seed, spread) of the document's style vector: ``None`` the model's default hand, a
        number that seeded hand, a name the model's named style (which may be drawn at its own
        spread: further from the average hand than the numbered ones)."""
        if style is None:
            return self.default_style_seed, STYLE_SPREAD
        if str(style).isdigit():
            return int(style), STYLE_SPREAD
        if style in self.styles:
            return self.styles[style]
        named = ", ".join(sorted(self.styles)) or "none"
        raise UsageError(f"generator 'latin' has no style {style!r} (named styles: {named})",
                         "give a number (a seeded hand), a named style, or no --style")

    def latents(self, n: int, style: str | None, seed: int) -> torch.Tensor:
        """[n, z_dim]: the document's style vector joined with each word's own variation."""
        cfg = self.net_config
        style_z = self.style_vector(style)
        g = torch.Generator().manual_seed(int(seed))
        word_z = WORD_SPREAD * torch.randn(n, cfg.word_dim, generator=g)
        return torch.cat([style_z.expand(n, -1), word_z], dim=1)

    def hand_level(self, style: str | None, device: str = "cpu") -> float | None:
        """The style's ink-cap level (``hand_ink_level`` on the model's probe words), cached."""
        if self.ink_cap is None:
            return None
        key = self._hand_key(style)
        if key not in self._hand_levels:
            pixels = [alpha.numpy().ravel() for _, alpha in self._probe(style, device)[1]]
            self._hand_levels[key] = hand_ink_level(np.concatenate(pixels),
                                                    float(self.ink_cap["share"]))
        return self._hand_levels[key]

    def _probe(self, style, device: str):
        """(words, [(indices, alpha through the ink curve)]): the ink cap's probe words in the
        style's hand, kept for the last hand asked (its ink level and its features both read them)."""
        key = self._hand_key(style)
        if self._probed is None or self._probed[0] != key:
            words = [w for w in self.ink_cap["words"] if W.writable(w)]
            z = self.latents(len(words), style, INK_CAP_SEED)
            batches = [(idx, apply_ink_curve(alpha, self.ink_curve))
                       for idx, alpha in draw(self._net(style, device), words, z, device)]
            self._probed = (key, words, batches)
        return self._probed[1:]

    def _hand_key(self, style):
        """What a style's drawn hand depends on: a numbered and a named hand of the same seed
        and spread draw the same words."""
        return style if isinstance(style, (UserStyle, Blend)) else self.hand(style)

    def profile(self, style) -> hands.Profile | None:
        """The real writer's statistics a style's words are steered to, or None (drawn as the
        GAN draws them): a named style's own, a seeded hand's mixed from the training fonts
        (when ``hand_profiles`` is on), a blend's mixed from its parts' (a part without one
        counts as its hand as drawn), a user style's the one its fit measured on the writer's
        words (with ``hands.OWN_PROFILE`` on). No style: None."""
        if style is None:
            return None
        if isinstance(style, UserStyle):
            value = style.part(MODEL_NAME).config.get("profile") if hands.OWN_PROFILE else None
            if value is None or self.ink_cap is None:  # no probe words to steer it by
                return None
            return _profile(value, self.folder, f"style {style}")
        if isinstance(style, Blend):
            parts = [(self.profile(name), weight) for name, weight in style.parts]
            if all(p is None for p, _ in parts):
                return None
            return hands.Profile.mix([(p or hands.Profile.from_dict(self.hand_features(name)), w)
                                      for (p, w), (name, _) in zip(parts, style.parts)])
        if str(style).isdigit():
            if not (self.hand_profiles and self.font_profiles):
                return None
            return hands.sampled(self.font_profiles, int(style))
        self.hand(style)  # an unknown name is refused here
        return self.profiles.get(style)

    def hand_features(self, style, device: str = "cpu") -> dict[str, float]:
        """The style's hand as the GAN draws it (no profile): ``hands.word_features`` of the
        probe words at their natural width, measured once per hand."""
        key = ("features", self._hand_key(style))
        if key not in self._hand_levels:
            self._hand_levels[key] = self._probe_features(style, None, device)  # type: ignore
        return self._hand_levels[key]  # type: ignore[return-value]

    def _probe_features(self, style, steer: hands.Steer | None, device: str) -> dict[str, float]:
        """``hands.word_features`` of the probe words (letters only, as the fonts' profiles
        were measured) in the style's hand, steered by ``steer``."""
        return hands.word_features(*self._probe_alphas(style, steer, device), W.X_HEIGHT)

    @torch.no_grad()
    def _probe_alphas(self, style, steer: hands.Steer | None,
                      device: str) -> tuple[list[np.ndarray], list[str]]:
        """The probe words of letters only in the style's hand, steered by ``steer``, and their texts."""
        if self.ink_cap is None:
            raise GeneratorError(f"model {self.folder} has no probe words to measure a hand on",
                                 "re-export it with `hwrender train latin` (config ink_cap)")
        level = self.hand_level(style, device)
        words, batches = self._probe(style, device)
        ratio = self.style_width_ratio(style) * (steer.width_factor if steer else 1.0)
        alphas, texts = [], []
        for idx, alpha in batches:
            width = max(1, round(alpha.shape[2] * ratio))
            squeezed = F.interpolate(apply_hand_level(alpha, level)[:, None],
                                     size=(alpha.shape[1], width), mode="bilinear",
                                     align_corners=False, antialias=True)[:, 0].clamp_(0, 1)
            if steer is not None:
                squeezed = hands.apply(squeezed, steer, W.BASELINE)
            for k, i in enumerate(idx):
                if words[i].isalpha():
                    alphas.append(squeezed[k].numpy())
                    texts.append(words[i])
        return alphas, texts

    def steer(self, style, device: str = "cpu") -> hands.Steer | None:
        """What ``generate`` does to the style's words to reach its profile (None: nothing):
        ``hands.steer`` from the hand's features, then once more from what that steer gives
        (the slant a shear reaches depends on the hand's letters); with ``hands.GUARD`` on, its
        halo sharpened as ``hands.guard`` finds on the probe words."""
        profile = self.profile(style)
        if profile is None:
            return None
        key = (self._hand_key(style), profile, hands.GUARD)
        if key not in self._steers:
            hand = self.hand_features(style, device)
            own = isinstance(style, UserStyle)
            if own:  # its width per letter is the style's width ratio already
                profile = replace(profile, width=hand["width"])
            first = hands.steer(profile, hand, W.X_HEIGHT)
            st = hands.refine(first, profile, self._probe_features(style, first, device),
                              W.X_HEIGHT)
            if own:
                st = replace(st, width_factor=1.0)
            if hands.GUARD:
                steered, _ = self._probe_alphas(style, st, device)
                hand, _ = self._probe_alphas(style, None, device)
                st = replace(st, sharpen=hands.guard(steered, hand, W.X_HEIGHT))
            self._steers[key] = st
        return self._steers[key]

    @torch.no_grad()
    def _batches(self, words: Sequence[str], style: str | None, seed: int, device: str):
        """(indices, [B, H, W] alpha 0..1 at the generator's width) for the words, one width a batch."""
        level = self.hand_level(style, device)
        net = self._net(style, device)
        for idx, alpha in draw(net, words, self.latents(len(words), style, seed), device):
            yield idx, apply_hand_level(apply_ink_curve(alpha, self.ink_curve), level)

    def raw(self, words: Sequence[str], style: str | None, seed: int,
            device: str = "cpu") -> list[np.ndarray]:
        """Generated words at the canonical width (``CHAR_WIDTH`` px a character, what the data
        stores and the evaluation's recognizer reads), alpha 0..1 (ink 1), one per word, in order."""
        out: list[np.ndarray] = [np.empty(0)] * len(words)
        for idx, alpha in self._batches(words, style, seed, device):
            for k, i in enumerate(idx):
                word = alpha[k]
                canonical = W.CHAR_WIDTH * len(words[i])
                if word.shape[1] != canonical:  # width classes: back to the canonical width
                    word = F.interpolate(word[None, None], size=(word.shape[0], canonical),
                                         mode="bilinear", align_corners=False,
                                         antialias=True)[0, 0].clamp_(0, 1)
                out[i] = word.numpy()
        return out

    def generate(self, units: Sequence[str], style: str | None, seed: int,
                 device: str = "cpu") -> list[InkImage]:
        if not units:
            return []
        bad = [u for u in units if not W.writable(u)]
        if bad:
            raise GeneratorError(f"generator 'latin' got words it cannot write: {bad[:5]}",
                                 "its character set is printable ASCII and Latin-1/Extended-A letters")
        return self._write(units, style, seed, device)

    def _write(self, units: Sequence[str], style: str | None, seed: int, device: str,
               lone: Sequence[bool] = ()) -> list[InkImage]:
        """``generate`` on checked units; ``lone[i]``: unit i is a letter standing alone between
        drawn characters (``a<b``, ``x-ray``), written inside a context word and cut out
        (``glyphs.in_context``)."""
        # the GAN's '-', most diacritics and lone punctuation are made good in code
        from . import glyphs, hyphens

        if any(map(hyphens.in_parts, units)):  # '-', symbols the GAN cannot draw, capital runs
            steer = self.steer(style, device)
            return hyphens.generate(lambda w, lone_: self._write(w, style, seed, device, lone_),
                                    units, seed, steer.shear if steer is not None else 0.0,
                                    self.drawn_width(style, steer), self.drawn_form(style))
        # naïve -> naive, its marks drawn after; a lone "!" -> "60!", the "60" cut off after;
        # a lone letter x between drawn characters -> "xnn", the n's cut off after
        between = [k < len(lone) and bool(lone[k]) for k in range(len(units))]
        context = [glyphs.in_context(u) if cut or glyphs.WORDS else None
                   for u, cut in zip(units, between)]
        out = self._written(units, context, style, seed, device)
        # a one-letter word (q, ū, Polish w) is written alone too, with other word variations;
        # the model's own recognizer keeps the drawing it reads better (ties: the cut). A cut
        # that kept no stroke (the letter went with its neighbour's blot) is always replaced.
        from .punctuation import STRONG

        empty = {k for k, c in enumerate(context) if c is not None and out[k].alpha.max() <= STRONG}
        reading = glyphs.reader(self, device) is not None
        rivals = [k for k, c in enumerate(context)
                  if c is not None and (k in empty or (reading and not between[k]))]
        if rivals:
            alone = self._written([units[k] for k in rivals], [None] * len(rivals), style,
                                  seed + glyphs.SEED_STEP, device)
            scores = glyphs.losses(self, [out[k] for k in rivals] + alone,
                                   self.style_width_ratio(style), device)
            for n, k in enumerate(rivals):
                if k in empty or scores[len(rivals) + n] < scores[n]:
                    out[k] = alone[n]
        return out

    def _written(self, units: Sequence[str], context, style, seed: int,
                 device: str) -> list[InkImage]:
        """The GAN's ink for ``units`` (none with a drawn part), ``context[i]`` (``glyphs
        .in_context``) the word unit i is cut from, or None: written as it is."""
        from . import glyphs, marks, punctuation

        written = [c[0] if c else punctuation.written(marks.base_word(u))
                   for u, c in zip(units, context)]
        out: list[InkImage | None] = [None] * len(units)
        steer = self.steer(style, device)
        ratio = self.style_width_ratio(style) * (steer.width_factor if steer else 1.0)
        for idx, alpha in self._batches(written, style, seed, device):
            # one squeeze to the natural width for the whole batch (all one width)
            width = max(1, round(alpha.shape[2] * ratio))
            squeezed = F.interpolate(alpha[:, None], size=(alpha.shape[1], width), mode="bilinear",
                                     align_corners=False, antialias=True)[:, 0].clamp_(0, 1)
            squeezed = self._cleared(squeezed, [written[i] for i in idx], width / alpha.shape[2])
            steered = hands.apply(squeezed, steer, W.BASELINE).numpy() if steer else None
            squeezed = squeezed.numpy()
            for k, i in enumerate(idx):
                word = squeezed[k] if steered is None else steered[k]
                if written[i] != units[i]:  # a context cut off, marks drawn (or both)
                    # cut and marks work on the unsheared columns; then the word is steered
                    word, scale = squeezed[k], width / alpha.shape[2]
                    text, edges = units[i], None
                    if context[i] is not None:  # the letter's slot cut out of its context word
                        _, a, b = context[i]
                        edges = marks.edges(written[i], self.net_config.width, scale)
                        word = glyphs.cut_slot(word, edges[a], edges[b], INK_FLOOR)
                        # é was cut as the e of "nen": its mark is drawn over the cut
                        text = written[i][:a] + units[i] + written[i][b:]
                    elif punctuation.alone(units[i]):
                        edge = self.net_config.width(punctuation.CONTEXT) * scale
                        word = punctuation.cut(word, edge, INK_FLOOR)
                    else:
                        edges = marks.edges(units[i], self.net_config.width, scale)
                    if edges is not None and marks.base_word(text) != text:
                        if marks.SURE:  # the pen of the word as its hand's steer leaves it
                            plain = (word if steer is None else steered[k] if context[i] is None
                                     else _steered(word, steer))
                            out[i] = self._ink(units[i], _marked(word, plain, text, edges, seed,
                                                                 steer), steer)
                            continue
                        word = marks.draw(word, text, edges, seed)
                    if steer is not None:
                        word = _steered(word, steer)
                out[i] = self._ink(units[i], word, steer)
        return out  # type: ignore[return-value]

    def _cleared(self, batch: torch.Tensor, texts: Sequence[str], scale: float) -> torch.Tensor:
        """A squeezed batch whose ``f`` and ``p`` descenders are cleared and drawn again in each
        word's pen (``strays.mend``), before the hand's steer."""
        from . import marks, strays

        for k, text in enumerate(texts):
            if any(ch in strays.LETTERS for ch in text):
                word = batch[k].numpy()
                cleared = strays.mend(word, text, marks.edges(text, self.net_config.width, scale),
                                      W.BASELINE, marks.sure_pen([word]))
                if cleared is not word:
                    batch[k] = torch.from_numpy(cleared)
        return batch

    def interpolate(self, units: Sequence[str], style_a: str, style_b: str, t: float, seed: int,
                    device: str = "cpu") -> list[InkImage]:
        """``units`` in the hand ``(1 - t) * A + t * B``: style vectors and profiles blended
        (``hwrender interpolate``; A and B are numbers or named styles)."""
        from hwrender.device import resolve_device

        return self.generate(units, Blend(((str(style_a), 1.0 - t), (str(style_b), t))), seed,
                             resolve_device(str(device)))  # "auto" comes straight from the CLI

    def glyphs(self, chars: Sequence[str], style, seed: int, device: str = "cpu") -> list[InkImage]:
        """One ink per character for a font: drawn alone, or cut from context words where the
        recognizer reads that better (``glyphs.py``)."""
        from . import glyphs

        return glyphs.draw(self, chars, style, seed, device)

    def _ink(self, word: str, alpha: np.ndarray, steer: hands.Steer | None = None) -> InkImage:
        """Trim a squeezed word to its ink (1 px margin) on the training frame's baseline, rows
        as well as columns: layout reads ascent and descent as the ink's extent (it keeps each
        word inside its line's band by turning or shrinking it), and the 32 px frame reaches
        2.3 x-heights above the baseline, the band's edge. The baseline stays inside the image."""
        alpha = np.where(alpha < INK_FLOOR, 0.0, alpha).astype(np.float32)
        cols = np.flatnonzero(alpha.max(0) > 2 * INK_FLOOR)
        if len(cols):
            alpha = alpha[:, max(0, cols[0] - 1):cols[-1] + 2]
        top = 0
        rows = np.flatnonzero(alpha.max(1) > 0)  # every row with ink: ``framed`` undoes this
        if len(rows):
            top = min(max(0, int(rows[0]) - 1), W.BASELINE)
            alpha = alpha[top:max(int(rows[-1]) + 2, W.BASELINE)]
        advance = float(alpha.shape[1])
        x_height = float(W.X_HEIGHT)
        if steer is not None:  # the writer's word space and size
            advance = max(0.5 * advance, advance + steer.space)
            x_height /= steer.x_height_factor
        return InkImage(alpha, baseline=float(W.BASELINE - top), x_height=x_height,
                        advance=advance, text=word)

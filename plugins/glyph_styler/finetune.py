"""Fine-tuning a new style (``hwrender train glyph-styler --finetune FROM --data GLYPHS``).

Learns one new style vector (and, with ``--set finetune_decoder=true``, the decoder) from a folder
of labelled glyph images, starting from the existing style nearest them, and exports the model
it started from with the new style added (named by ``--name``, default ``personal``).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import torch

from hwrender.errors import UsageError
from hwrender.train import RunContext
from hwrender.text.scripts import hangul_or_han

from . import WEIGHTS_NAME
from .base import GlyphTask, export_state, keep_source_font, model_ref, style_loss
from .card import model_card
from .data import SCRIPTS, load_ink, place_glyphs, read_glyph_folder
from .model import GlyphUNet, to_model
from .styler import GlyphStyler


class StyleFit:
    """A copy of a network and new style vectors fitted to (source, target) glyph pairs: what
    ``--finetune`` and ``hwrender styles add`` (``fit``) share.

    The network stays frozen except the decoder levels from ``decoder_from`` on (``None``: none,
    0: the whole decoder). One style vector (``start_from`` a (E,) row) or one per group of pairs
    (a (K, E) table and ``groups``: each pair's row, e.g. its script). Batch statistics stay
    frozen and dropout on while fitting (a few hundred glyphs must not move them).
    """

    def __init__(self, model: GlyphUNet, sources: torch.Tensor, targets: torch.Tensor, device,
                 decoder_from: int | None = None, lr: float = 0.01, decoder_lr: float = 2e-5,
                 l1_weight: float = 100.0, const_weight: float = 15.0,
                 groups: torch.Tensor | None = None):
        self.device = device
        self.cpu = str(device).startswith("cpu")
        self.model = copy.deepcopy(model).to(device)
        if self.cpu:
            self.model = self.model.to(memory_format=torch.channels_last)
        self.model.requires_grad_(False)
        self.decoder_from = decoder_from
        if decoder_from is not None:
            for j in range(decoder_from, len(self.model.decoder.deconvs)):
                self.model.decoder.deconvs[j].requires_grad_(True)
                self.model.decoder.norms[j].requires_grad_(True)
                films = self.model.decoder.films
                if films is not None and j < len(films):
                    films[j].requires_grad_(True)
        self.sources, self.targets = sources, targets
        self.groups = groups
        self.lr, self.decoder_lr = lr, decoder_lr
        self.l1_weight, self.const_weight = l1_weight, const_weight
        self.style: torch.nn.Parameter | None = None
        self.opt: torch.optim.Optimizer | None = None

    def x(self, u8: torch.Tensor) -> torch.Tensor:
        x = to_model(u8).to(self.device)
        return x.contiguous(memory_format=torch.channels_last) if self.cpu else x

    @torch.no_grad()
    def nearest_style(self, rows, pairs: torch.Tensor | None = None, n: int = 64) -> int:
        """The style row (of ``rows``) whose glyphs are nearest the given ones (of ``pairs``, up
        to ``n`` of them): where a new style starts."""
        pairs = torch.arange(len(self.targets)) if pairs is None else pairs
        pairs = pairs[:n]
        src, tgt = self.x(self.sources[pairs]), self.x(self.targets[pairs])
        self.model.eval()
        rows = list(rows)
        losses = [(self.model(src, torch.full((len(src),), s, dtype=torch.long,
                                              device=self.device))[0] - tgt).abs().mean().item()
                  for s in rows]
        return rows[int(np.argmin(losses))]

    def start_from(self, init: torch.Tensor) -> None:
        """Start the style vector(s) at ``init`` and build the optimiser."""
        self.style = torch.nn.Parameter(init.detach().clone().float().to(self.device))
        params = [{"params": [self.style], "lr": self.lr}]
        moving = self.moving()
        if moving:
            params.append({"params": list(moving.values()), "lr": self.decoder_lr})
        self.opt = torch.optim.Adam(params, betas=(0.9, 0.999))

    def moving(self) -> dict[str, torch.nn.Parameter]:
        """The network's parameters that the fit moves, by their state-dict names."""
        return {k: p for k, p in self.model.named_parameters() if p.requires_grad}

    def train_mode(self) -> None:
        self.model.train()
        for m in self.model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.eval()

    def vectors(self, idx: torch.Tensor) -> torch.Tensor:
        if self.style.dim() == 1:
            return self.style.unsqueeze(0).expand(len(idx), -1)
        return self.style[self.groups[idx].to(self.device)]

    def step(self, idx: torch.Tensor) -> dict[str, float]:
        """One optimiser step on the pairs ``idx``."""
        self.train_mode()
        loss, l1, const = style_loss(self.model, self.x(self.sources[idx]), self.x(self.targets[idx]),
                                     self.vectors(idx), self.l1_weight, self.const_weight)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        return {"l1": l1.item() / 2, "const": const.item(), "loss": loss.item()}


class FinetuneTask(GlyphTask):
    """One new style vector (and optionally the decoder) fitted to a person's glyphs."""

    # checkpoint keys: the network, the style being learnt and its optimiser
    stateful = ("G", "style", "opt")

    def setup(self, ctx: RunContext) -> None:
        cfg = self.config
        if ctx.data is None:
            raise UsageError("--finetune needs --data: a folder of glyph images named by character",
                             "e.g. --data my_glyphs/ holding 가.png, 나.png … (or a labels.csv)")
        self._on_device(ctx)
        base = GlyphStyler.load(model_ref(ctx.finetune))
        self.base = base
        items = read_glyph_folder(Path(ctx.data))
        covered = base.charset("Hang") | base.charset("Hani")
        skipped = sorted({c for c, _ in items if c not in covered})
        items = [(c, p) for c, p in items if c in covered]
        if skipped:
            ctx.log(f"skipping {len(skipped)} characters the styler does not write: "
                    f"{''.join(skipped[:20])}")
        if not items:
            raise UsageError(f"none of the glyphs in {ctx.data} is Hangul or Han the styler writes",
                             "name the images by their character, e.g. 가.png")
        chars = [c for c, _ in items]
        sources = base.sources(chars)
        self.chars = chars
        self.sources = torch.from_numpy(sources)
        self.targets = torch.from_numpy(place_glyphs([load_ink(p) for _, p in items], sources))
        self.style_name = ctx.name or "personal"
        self.fit = StyleFit(base.model, self.sources, self.targets, self.device,
                            decoder_from=0 if cfg.finetune_decoder else None,
                            lr=cfg.finetune_lr, decoder_lr=cfg.finetune_decoder_lr,
                            l1_weight=cfg.l1_weight, const_weight=cfg.const_weight)
        init = self.fit.nearest_style(range(base.model.cfg.n_styles))
        ctx.log(f"fine-tuning style {self.style_name!r} on {len(chars)} glyphs, "
                f"starting from {base.styles[init]!r}")
        self.fit.start_from(base.model.styles.weight[init])
        # the checkpoint keys of earlier versions: the network, the style and its optimiser
        self.G, self.style, self.opt = self.fit.model, self.fit.style, self.fit.opt
        self.unseen = self._unseen_chars(chars)

    def num_examples(self) -> int:
        return len(self.targets) * max(1, self.config.finetune_repeats)

    def train_step(self, batch: torch.Tensor, step: int) -> dict[str, float]:
        return self.fit.step(batch % len(self.targets))

    def _unseen_chars(self, seen: list[str]) -> list[str]:
        """A few characters of the glyphs' main script that the fine-tuning data lacks."""
        script = max(SCRIPTS, key=lambda s: sum(hangul_or_han(c) == s for c in seen))
        pool = [c for c in "가나다라마바사아자차카타파하글씨" + "永和书法天地人你好" if c not in seen
                and hangul_or_han(c) == script and c in self.base.charset(script)]
        return pool[:8]

    def sample_grid(self, step: int):
        from hwrender.train.grid import tile

        n = min(8, len(self.chars))
        vec = self.style.detach().unsqueeze(0)
        src = self.sources[:n].numpy()
        fake = self._generate(self.G, src, vec.expand(n, -1))
        images = [a.astype(np.float32) / 255 for a in src] + list(fake) + \
            [a.astype(np.float32) / 255 for a in self.targets[:n].numpy()]
        labels = ["source", self.style_name, "given"]
        if self.unseen:
            usrc = self.base.sources(self.unseen)
            ufake = self._generate(self.G, usrc, vec.expand(len(usrc), -1))
            pad = [np.zeros_like(fake[0])] * (n - len(usrc)) if len(usrc) < n else []
            images += [a.astype(np.float32) / 255 for a in usrc][:n] + pad + list(ufake)[:n] + pad
            labels += ["unseen", self.style_name]
        return tile(images, n, row_labels=labels)

    def export(self, folder: Path, summary: Mapping[str, Any]) -> None:
        from hwrender.weights import save_model

        config = copy.deepcopy(self.base.config)
        styles, scripts = list(config["styles"]), list(config["style_scripts"])
        state = {k: v.detach().cpu() for k, v in self.G.state_dict().items()}
        table = state["styles.weight"].float()
        row = self.style.detach().float().cpu()
        if self.style_name in styles:
            table[styles.index(self.style_name)] = row
        else:
            table = torch.cat([table, row[None]], 0)
            styles.append(self.style_name)
            scripts.append("*")  # a person's hand: offered for both scripts
        state["styles.weight"] = table
        config["styles"], config["style_scripts"] = styles, scripts
        config["model"] = {**config["model"], "n_styles": len(styles)}
        state = export_state(state, self.config.export_dtype)
        config.setdefault("finetuned", []).append({
            "style": self.style_name, "from": str(self.ctx.finetune), "glyphs": len(self.chars),
            "decoder": self.config.finetune_decoder, "steps": summary.get("steps"),
            "seconds": summary.get("seconds")})
        keep_source_font(self.base.source_font, folder)
        save_model(folder, state, config, model_card(config), name=WEIGHTS_NAME)

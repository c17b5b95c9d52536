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
from .styler import GlyphStyler


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
        self.G = self._place(copy.deepcopy(base.model))
        self.G.requires_grad_(False)
        if cfg.finetune_decoder:
            self.G.decoder.requires_grad_(True)
        init = self._best_style()
        ctx.log(f"fine-tuning style {self.style_name!r} on {len(chars)} glyphs, "
                f"starting from {base.styles[init]!r}")
        self.style = torch.nn.Parameter(base.model.styles.weight[init].detach().clone()
                                        .to(self.device))
        groups = [{"params": [self.style], "lr": cfg.finetune_lr}]
        if cfg.finetune_decoder:
            groups.append({"params": list(self.G.decoder.parameters()),
                           "lr": cfg.finetune_decoder_lr})
        self.opt = torch.optim.Adam(groups, betas=(0.9, 0.999))
        self.unseen = self._unseen_chars(chars)

    @torch.no_grad()
    def _best_style(self) -> int:
        """The existing style whose glyphs are nearest the given ones: where the new one starts."""
        src = self._x(self.sources[:64])
        tgt = self._x(self.targets[:64])
        self.G.eval()
        losses = []
        for s in range(self.G.cfg.n_styles):
            fake = self.G(src, torch.full((len(src),), s, dtype=torch.long, device=self.device))[0]
            losses.append((fake - tgt).abs().mean().item())
        return int(np.argmin(losses))

    def _train_mode(self) -> None:
        """Dropout on, batch statistics frozen: a few hundred glyphs must not move them."""
        self.G.train()
        for m in self.G.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.eval()

    def num_examples(self) -> int:
        return len(self.targets) * max(1, self.config.finetune_repeats)

    def train_step(self, batch: torch.Tensor, step: int) -> dict[str, float]:
        cfg = self.config
        idx = batch % len(self.targets)
        src = self._x(self.sources[idx])
        tgt = self._x(self.targets[idx])
        self._train_mode()
        style = self.style.unsqueeze(0).expand(len(idx), -1)
        loss, l1, const = style_loss(self.G, src, tgt, style, cfg.l1_weight, cfg.const_weight)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        return {"l1": l1.item() / 2, "const": const.item(), "loss": loss.item()}

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

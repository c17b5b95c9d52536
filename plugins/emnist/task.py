"""Training the EMNIST AC-GAN: the three steps of each batch, and export for the weights store.

Per batch (the "E/F/MNIST - GAN" project's order): (1) the discriminator on real and fake
characters (real/fake with one-sided label smoothing, class cross-entropy on the real ones,
Gaussian noise on its inputs); (2) the generator through the discriminator (which only its own optimiser steps);
(3) the auto-encoder on the real batch: encoder → latent → generator with the true class, L1 to
the input, plus a moment penalty that keeps encoded latents on the N(0, 1) prior the generator
samples from. ``autoencoder=false`` leaves step 3 out: a plain AC-GAN, to compare against.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import torch
import torch.nn.functional as F

from hwrender.errors import UsageError
from hwrender.train import RunContext, TrainTask, apply_overrides, check_ranges
from hwrender.train.ema import update_ema
from hwrender.weights import model_files, save_model

from .card import model_card
from .classes import get as class_set
from .model import Discriminator, Encoder, Generator, NetConfig, init_weights

MODEL_NAME = "emnist"


@dataclass(frozen=True)
class EmnistConfig:
    classes: str = "byclass"  # or "balanced" (47)
    variant: str = "default"  # "tiny" for tests
    latent_dim: int = 64  # a hand's latent (--style N seeds one)
    class_dim: int = 32  # class embedding width
    g_width: int = 48  # generator channels at 14x14, twice that at 7x7
    d_width: int = 32  # discriminator and encoder channels at 14x14
    dropout: float = 0.3  # discriminator dropout (the "E/F/MNIST - GAN" project's)
    autoencoder: bool = True  # the encoder path that keeps G from collapsing (false: plain AC-GAN)
    lr_g: float = 2e-4  # Adam learning rate of the generator step (DCGAN's)
    lr_d: float = 2e-4  # Adam learning rate of the discriminator step
    lr_ae: float = 2e-4  # Adam learning rate of the auto-encoder step
    beta1: float = 0.5  # Adam beta1 of all three (DCGAN's: steadier GAN training than 0.9)
    real_label: float = 0.9  # one-sided label smoothing
    input_noise: float = 0.1  # std of Gaussian noise added to the discriminator's inputs
    class_weight: float = 1.0  # auxiliary classifier loss weight
    classify_fakes: bool = False  # classify the fakes too (Odena et al.), off as it colludes with G
    recon_weight: float = 3.0  # auto-encoder L1 weight
    latent_weight: float = 0.1  # keeps encoded latents on the prior
    ema: float = 0.999  # EMA of the generator, used for samples and export
    bf16: bool = False  # CPU autocast to bfloat16 (measured: see benchmarks/bench_emnist.py)
    per_class_per_font: int = 40  # samples per class and font of the font-built set (no --data)

    def net(self, num_classes: int) -> NetConfig:
        if self.variant == "tiny":
            return NetConfig(num_classes, 8, 4, 8, 8, self.dropout)
        return NetConfig(num_classes, self.latent_dim, self.class_dim, self.g_width,
                         self.d_width, self.dropout)


def build_task(options: list[str]) -> "EmnistTask":
    config = apply_overrides(EmnistConfig(), options)
    if config.classes not in ("byclass", "balanced"):
        raise UsageError(f"unknown class set {config.classes!r}", "use classes=byclass or classes=balanced")
    if config.variant not in ("default", "tiny"):
        raise UsageError(f"unknown variant {config.variant!r}", "use variant=default or variant=tiny")
    check_ranges(config, {
        **{k: (1, None, "[]") for k in ("latent_dim", "class_dim", "g_width", "d_width", "per_class_per_font")},
        **{k: (0, None, "(]") for k in ("lr_g", "lr_d", "lr_ae")},
        "dropout": (0, 1, "[)"), "beta1": (0, 1, "[)"), "ema": (0, 1, "[)"), "real_label": (0, 1, "(]")})
    return EmnistTask(config)


class EmnistTask(TrainTask):
    name = MODEL_NAME
    stateful = ("G", "D", "E", "G_ema", "opt_g", "opt_d", "opt_ae")

    def __init__(self, config: EmnistConfig, images: torch.Tensor | None = None,
                 labels: torch.Tensor | None = None, placement: dict | None = None):
        self.config = config
        self._given = (images, labels, placement)

    # -- setup ----------------------------------------------------------------------------
    def setup(self, ctx: RunContext) -> None:
        cfg = self.config
        images, labels, placement = self._given
        self.provenance: dict[str, Any] = {"source": "given in memory"}
        if images is None:
            from .dataset import training_set

            data = training_set(ctx.data, cfg.classes, cfg.per_class_per_font, ctx.log)
            images, labels, placement, self.provenance = data
        self.chars = class_set(cfg.classes).chars
        self.net_config = cfg.net(len(self.chars))
        if int(labels.max()) >= len(self.chars) or int(labels.min()) < 0:
            raise UsageError(f"labels run outside the {len(self.chars)} {cfg.classes} classes",
                             "train with --set classes=... matching the data")
        self.device = torch.device(ctx.device)
        self.images = images  # uint8 N x 28 x 28, ink bright (EMNIST convention)
        self.labels = labels.long()
        self.placement = placement or {}
        net = self.net_config
        self.G = Generator(net).to(self.device)
        self.D = Discriminator(net).to(self.device)
        self.E = Encoder(net).to(self.device)
        for m in (self.G, self.D, self.E):
            init_weights(m)
        if ctx.finetune:
            self._load_pretrained(ctx.finetune)
        self.G_ema = copy.deepcopy(self.G).eval().requires_grad_(False)
        betas = (cfg.beta1, 0.999)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=cfg.lr_g, betas=betas)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=cfg.lr_d, betas=betas)
        self.opt_ae = torch.optim.Adam([*self.G.parameters(), *self.E.parameters()],
                                       lr=cfg.lr_ae, betas=betas)
        # Fixed inputs for sample grids: the same latents every time, so grids compare.
        g = torch.Generator().manual_seed(1234)
        self._grid_z = torch.randn(10, net.latent_dim, generator=g)

    def _load_pretrained(self, source: str) -> None:
        """Start from a trained model's networks. Its tensors are checked against these
        networks' shapes first: a model of another size or class set is one WeightsError."""
        files = model_files(MODEL_NAME, source)
        for prefix, module in (("generator.", self.G), ("discriminator.", self.D),
                               ("encoder.", self.E)):
            # loaded into the networks setup() built, so the run's random numbers stay as they were
            shapes = files.module_shapes(lambda: module)
            module.load_state_dict(files.load_state_dict(shapes, prefix=prefix))

    def num_examples(self) -> int:
        return len(self.labels)

    # -- one step -------------------------------------------------------------------------
    def _real(self, batch: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.images[batch].to(self.device, non_blocking=True).float().div_(127.5).sub_(1.0)
        return x.unsqueeze(1), self.labels[batch].to(self.device)

    def _noisy(self, x: torch.Tensor) -> torch.Tensor:
        s = self.config.input_noise
        return x + s * torch.randn_like(x) if s > 0 else x

    def train_step(self, batch: torch.Tensor, step: int) -> dict[str, float]:
        cfg = self.config
        x, y = self._real(batch)
        n = len(y)
        autocast = torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=cfg.bf16)
        z = torch.randn(n, self.net_config.latent_dim, device=self.device)
        y_fake = torch.randint(0, len(self.chars), (n,), device=self.device)
        real_t = torch.full((n,), cfg.real_label, device=self.device)
        zeros = torch.zeros(n, device=self.device)
        ones = torch.ones(n, device=self.device)

        # (1) discriminator
        with autocast:
            fake = self.G(z, y_fake)
            rf_real, cls_real = self.D(self._noisy(x))
            rf_fake, cls_fake = self.D(self._noisy(fake.detach()))
            d_adv = F.binary_cross_entropy_with_logits(rf_real.float(), real_t) + \
                F.binary_cross_entropy_with_logits(rf_fake.float(), zeros)
            d_cls = F.cross_entropy(cls_real.float(), y)
            if cfg.classify_fakes:  # Odena et al.'s original: the classifier also learns fakes
                d_cls = d_cls + F.cross_entropy(cls_fake.float(), y_fake)
            d_loss = d_adv + cfg.class_weight * d_cls
        self.opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        self.opt_d.step()

        # (2) generator through the frozen discriminator (no weight gradients computed for it)
        self.D.requires_grad_(False)
        with autocast:
            rf, cls = self.D(self._noisy(fake))
            g_adv = F.binary_cross_entropy_with_logits(rf.float(), ones)
            g_cls = F.cross_entropy(cls.float(), y_fake)
            g_loss = g_adv + cfg.class_weight * g_cls
        self.opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        self.opt_g.step()
        self.D.requires_grad_(True)

        out = {"d_adv": d_adv.item(), "d_cls": d_cls.item(), "g_adv": g_adv.item(),
               "g_cls": g_cls.item(),
               "d_acc_real": (cls_real.argmax(1) == y).float().mean().item()}

        # (3) auto-encoder on the real batch
        if cfg.autoencoder:
            with autocast:
                latent = self.E(x)
                recon = self.G(latent, y)
                l1 = (recon.float() - x).abs().mean()
                latent = latent.float()
                moments = latent.mean(0).pow(2).mean() + (latent.var(0) - 1).pow(2).mean()
                ae_loss = cfg.recon_weight * l1 + cfg.latent_weight * moments
            self.opt_ae.zero_grad(set_to_none=True)
            ae_loss.backward()
            self.opt_ae.step()
            out["recon_l1"] = l1.item()
            out["latent_moments"] = moments.item()
        update_ema(self.G_ema, self.G, step, self.config.ema)
        return out

    # -- samples and export ---------------------------------------------------------------
    @torch.no_grad()
    def sample_grid(self, step: int):
        from hwrender.train.grid import tile

        k = len(self._grid_z)
        z = self._grid_z.repeat(len(self.chars), 1).to(self.device)
        y = torch.arange(len(self.chars), device=self.device).repeat_interleave(k)
        imgs = ((self.G_ema(z, y) + 1) / 2).squeeze(1).float().cpu().numpy()
        return tile(list(imgs), columns=k, row_labels=list(self.chars))

    def export(self, folder: Path, summary: Mapping[str, Any]) -> None:
        state = {}
        for prefix, module in (("generator.", self.G_ema), ("discriminator.", self.D),
                               ("encoder.", self.E)):
            state.update({prefix + k: v.detach().half() if v.is_floating_point() else v
                          for k, v in module.state_dict().items()})
        config = export_config(self.config, self.chars, self.net_config, self.placement,
                               self.provenance, summary)
        save_model(folder, state, config, model_card(config), name=MODEL_NAME)


def export_config(cfg: EmnistConfig, chars: str, net: NetConfig, placement: Mapping,
                  provenance: Mapping, summary: Mapping) -> dict[str, Any]:
    from dataclasses import asdict

    return {
        "model": MODEL_NAME, "architecture": "acgan-autoencoder" if cfg.autoencoder else "acgan",
        "classes": cfg.classes, "chars": chars, "net": asdict(net), "train": asdict(cfg),
        "placement": dict(placement), "data": dict(provenance), "run": dict(summary),
        "weights_dtype": "float16",
    }

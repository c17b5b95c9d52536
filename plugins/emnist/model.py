"""The AC-GAN's networks: a class-conditional generator, a two-headed discriminator, an encoder.

After Odena et al. 2017 (AC-GAN) and the "E/F/MNIST - GAN" project, which stacks an auto-encoder
on the generator: the encoder maps a real character to a latent, and the generator must rebuild
that character from the latent and its true class. A generator that ignores its latent cannot
rebuild different writers' characters, so it cannot collapse to one image per class.

All three are DCGAN-sized for 28x28 and fast on a CPU (see benchmarks/bench_emnist.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class NetConfig:
    num_classes: int = 62
    latent_dim: int = 64
    class_dim: int = 32  # class embedding width
    g_width: int = 48  # channels at 14x14; 2x that at 7x7
    d_width: int = 32
    dropout: float = 0.3  # discriminator dropout (the project's LeakyReLU + dropout)


class Generator(nn.Module):
    """(latent, class) → 28x28 grey character in [-1, 1] (tanh); ink is +1, paper -1."""

    def __init__(self, cfg: NetConfig):
        super().__init__()
        w = cfg.g_width
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.num_classes, cfg.class_dim)
        self.project = nn.Sequential(
            nn.Linear(cfg.latent_dim + cfg.class_dim, 2 * w * 7 * 7, bias=False),
            nn.BatchNorm1d(2 * w * 7 * 7), nn.ReLU(inplace=True))
        # 14 → 28 is a sub-pixel convolution (4 channels at 14x14 shuffled into 1 at 28x28):
        # on CPU, convolutions with a 28x28 output and 1-24 channels ran 2.5x slower than this
        # whole stage (oneDNN is poor at so few channels; see benchmarks/bench_emnist.py).
        self.up = nn.Sequential(
            nn.ConvTranspose2d(2 * w, w, 4, 2, 1, bias=False),  # 7 → 14
            nn.BatchNorm2d(w), nn.ReLU(inplace=True),
            nn.Conv2d(w, 4 * w // 3, 3, 1, 1, bias=False),
            nn.BatchNorm2d(4 * w // 3), nn.ReLU(inplace=True),
            nn.Conv2d(4 * w // 3, 4, 3, 1, 1), nn.PixelShuffle(2), nn.Tanh())  # 14 → 28

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        h = self.project(torch.cat([z, self.embed(labels)], 1))
        return self.up(h.view(len(z), 2 * self.cfg.g_width, 7, 7))


class MaskDropout(nn.Module):
    """Dropout from a uniform draw: same effect as nn.Dropout, about 2x faster on CPU, where
    ``bernoulli_`` alone took a fifth of a training step (see benchmarks/bench_emnist.py)."""

    def __init__(self, p: float):
        super().__init__()
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p <= 0:
            return x
        return x * (torch.rand_like(x) >= self.p) * (1.0 / (1.0 - self.p))


class Discriminator(nn.Module):
    """28x28 image → (real/fake logit, class logits); LeakyReLU and dropout between layers."""

    def __init__(self, cfg: NetConfig):
        super().__init__()
        w = cfg.d_width
        self.features = nn.Sequential(
            nn.Conv2d(1, w, 4, 2, 1), nn.LeakyReLU(0.2, inplace=True), MaskDropout(cfg.dropout),
            nn.Conv2d(w, 2 * w, 4, 2, 1), nn.BatchNorm2d(2 * w), nn.LeakyReLU(0.2, inplace=True),
            MaskDropout(cfg.dropout),
            nn.Conv2d(2 * w, 4 * w, 3, 2, 1), nn.BatchNorm2d(4 * w), nn.LeakyReLU(0.2, inplace=True),
            MaskDropout(cfg.dropout), nn.Flatten())
        n = 4 * w * 4 * 4
        self.real_fake = nn.Linear(n, 1)
        self.classes = nn.Linear(n, cfg.num_classes)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.features(x)
        return self.real_fake(h).squeeze(1), self.classes(h)


class Encoder(nn.Module):
    """28x28 image → latent (the auto-encoder path's first half)."""

    def __init__(self, cfg: NetConfig):
        super().__init__()
        w = cfg.d_width
        self.net = nn.Sequential(
            nn.Conv2d(1, w, 4, 2, 1), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(w, 2 * w, 4, 2, 1), nn.BatchNorm2d(2 * w), nn.LeakyReLU(0.2, inplace=True),
            nn.Flatten(), nn.Linear(2 * w * 7 * 7, cfg.latent_dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def init_weights(module: nn.Module) -> None:
    """DCGAN initialisation: N(0, 0.02) convolutions, N(1, 0.02) batch-norm scales."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)

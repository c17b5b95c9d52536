"""``hwrender eval emnist``: is the generator legible, varied and close to the real characters?

An independent classifier (a small CNN trained only on the real training split, never on
generator output; cached after its first training) judges:

- legibility: its accuracy on generated characters of every class, next to its accuracy on the
  real test characters (the held-out fonts, or EMNIST's own test split); characters are
  generated as ``write`` makes them: ``samples_per_class`` seeded hands (``--style N``), each
  writing every class once;
- diversity: mean pairwise distance between same-class samples in its feature space, generated
  over real, per class and overall (a collapsed class scores near 0);
- FID between generated and real test characters on its features.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from hwrender.train import apply_overrides
from hwrender.train.cache import cached_judge, data_cache
from hwrender.train.metrics import frechet_distance

from . import data as emnist_data

ACCURACY_GAP = 5.0  # points: generated accuracy may trail the real test accuracy by this much
DIVERSITY_RATIO = 0.8
COLLAPSE_RATIO = 0.5  # a class whose diversity is under half the real one's has collapsed


@dataclass(frozen=True)
class EvalConfig:
    samples_per_class: int = 200  # seeded hands, each writing every class once
    real_per_class: int = 200  # real test characters per class
    classifier_epochs: int = 3  # epochs of the judge's training
    classifier_batch: int = 256  # batch size of the judge's training
    seed: int = 0  # of the judge, the hands and the real characters picked
    per_class_per_font: int = 0  # the font-built set judged on (0: the one the model trained on)


class Classifier(nn.Module):
    """A small CNN; ``features`` (128-d) is the space diversity and FID are measured in."""

    def __init__(self, num_classes: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(64, 128, 3, padding=1), nn.BatchNorm2d(128), nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d(2), nn.Flatten(),
            nn.Linear(512, 128), nn.ReLU(inplace=True))
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(128, num_classes))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


def _as_input(images: np.ndarray | torch.Tensor) -> torch.Tensor:
    """uint8 (0..255) or float (0..1) N x 28 x 28 → float N x 1 x 28 x 28 in [-1, 1]."""
    t = torch.as_tensor(images)
    t = t.float() / 255.0 if t.dtype == torch.uint8 else t.float()
    return (t * 2 - 1).unsqueeze(1)


def train_classifier(images: np.ndarray, labels: np.ndarray, num_classes: int, epochs: int,
                     batch: int, seed: int, device: str) -> Classifier:
    torch.manual_seed(seed)
    model = Classifier(num_classes).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    steps = epochs * max(1, len(labels) // batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps)
    x_all, y_all = torch.from_numpy(images), torch.from_numpy(labels).long()
    g = torch.Generator().manual_seed(seed)
    model.train()
    for _ in range(epochs):
        perm = torch.randperm(len(y_all), generator=g)
        for i in range(len(perm) // batch):
            idx = perm[i * batch:(i + 1) * batch]
            x = _as_input(x_all[idx]).to(device)
            # small shifts so the judge does not rely on exact centring
            dx, dy = torch.randint(-2, 3, (2,), generator=g).tolist()
            x = torch.roll(x, (dy, dx), (2, 3))
            loss = F.cross_entropy(model(x), y_all[idx].to(device), label_smoothing=0.05)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
    return model.eval()


@torch.no_grad()
def _predict(model: Classifier, images, device: str, batch: int = 1024):
    feats, preds = [], []
    for i in range(0, len(images), batch):
        x = _as_input(images[i:i + batch]).to(device)
        f = model.features(x)
        feats.append(f.cpu())
        preds.append(model.head(f).argmax(1).cpu())
    return torch.cat(feats).double(), torch.cat(preds)


def _diversity(features: torch.Tensor, labels: torch.Tensor, num_classes: int) -> np.ndarray:
    """Per class: mean pairwise Euclidean distance between its samples' features."""
    out = np.full(num_classes, np.nan)
    for c in range(num_classes):
        f = features[labels == c]
        if len(f) >= 2:
            d = torch.cdist(f, f)
            out[c] = float(d.sum() / (len(f) * (len(f) - 1)))
    return out


def _per_class_sample(labels: np.ndarray, per_class: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    picks = []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        picks.append(rng.choice(idx, size=min(per_class, len(idx)), replace=False))
    return np.sort(np.concatenate(picks))


def judge_for(train: emnist_data.EmnistSet, cfg: EvalConfig, device: str, log) -> Classifier:
    """The judge of ``train``'s classes, trained on it once and then kept in the data cache."""
    images, labels, num_classes = train.images, train.labels, len(train.class_set)
    digest = hashlib.sha256(images.tobytes()[:50_000_000] + labels.tobytes())
    digest.update(f"{cfg.classifier_epochs}:{cfg.classifier_batch}:{cfg.seed}:{num_classes}".encode())
    path = data_cache() / f"emnist-judge-{digest.hexdigest()[:16]}.safetensors"

    def fit() -> Classifier:
        log(f"training the judge classifier on {len(labels)} real characters "
            f"({cfg.classifier_epochs} epochs)")
        return train_classifier(images, labels, num_classes, cfg.classifier_epochs,
                                cfg.classifier_batch, cfg.seed, device)

    return cached_judge(path, lambda: Classifier(num_classes), fit, device=device)


def evaluate(weights: Path | None = None, data: Path | None = None, device: str = "cpu",
             options: Sequence[str] = (), log=lambda message: None) -> dict[str, Any]:
    from .dataset import resolve_folder
    from .generator import EmnistGenerator

    cfg = apply_overrides(EvalConfig(), list(options))
    gen = EmnistGenerator(weights_dir=str(weights) if weights else None)
    classes = gen.classes
    ppf = cfg.per_class_per_font or gen.train_config.get("per_class_per_font", 40)
    folder = resolve_folder(data, classes.name, ppf, log)
    train = emnist_data.load(folder, "train", classes.name)
    test = emnist_data.load(folder, "test", classes.name)
    n = len(classes)
    judge = judge_for(train, cfg, device, log)

    pick = _per_class_sample(test.labels, cfg.real_per_class, cfg.seed)
    real_x, real_y = test.images[pick], torch.from_numpy(test.labels[pick])
    real_f, real_p = _predict(judge, real_x, device)
    real_acc = float((real_p == real_y).double().mean()) * 100

    # Generated the way `write` generates: each "document" is a seeded hand (--style N) writing
    # every class once, with the adapter's per-character variation.
    docs = [gen.samples(list(classes.chars), str(cfg.seed + d), seed=10_000 + d, device=device)
            for d in range(cfg.samples_per_class)]
    gen_x = torch.from_numpy(np.stack(docs, 1).reshape(-1, 28, 28))  # class-major
    gen_y = torch.arange(n).repeat_interleave(cfg.samples_per_class)
    gen_f, gen_p = _predict(judge, gen_x, device)
    gen_acc = float((gen_p == gen_y).double().mean()) * 100

    per_class_acc = [float((gen_p[gen_y == c] == c).double().mean()) * 100 for c in range(n)]
    div_real = _diversity(real_f, real_y, n)
    div_gen = _diversity(gen_f, gen_y, n)
    ratios = div_gen / div_real
    ratio = float(np.nanmean(div_gen) / np.nanmean(div_real))
    worst = int(np.nanargmin(ratios))
    collapsed = [classes.chars[c] for c in range(n) if ratios[c] < COLLAPSE_RATIO]
    fid = frechet_distance(gen_f, real_f)
    train_pick = _per_class_sample(train.labels, cfg.real_per_class, cfg.seed + 1)
    fid_ref = frechet_distance(_predict(judge, train.images[train_pick], device)[0], real_f)

    figures = [
        {"name": "judge accuracy on real test characters (%)", "value": round(real_acc, 2),
         "target": "reference", "pass": None},
        {"name": "judge accuracy on generated characters (%)", "value": round(gen_acc, 2),
         "target": f">= {real_acc - ACCURACY_GAP:.1f} (real - {ACCURACY_GAP:g})",
         "pass": gen_acc >= real_acc - ACCURACY_GAP},
        {"name": "intra-class diversity, generated / real", "value": round(ratio, 3),
         "target": f">= {DIVERSITY_RATIO}", "pass": ratio >= DIVERSITY_RATIO},
        {"name": f"lowest class diversity ratio ({classes.chars[worst]!r})",
         "value": round(float(ratios[worst]), 3), "target": f">= {COLLAPSE_RATIO} (no collapse)",
         "pass": not collapsed},
        {"name": "FID, generated vs real test (judge features)", "value": round(fid, 3),
         "target": f"reference: real train vs real test {fid_ref:.3f}", "pass": None},
    ]
    return {
        "model": str(gen.folder), "data": str(folder), "classes": classes.name,
        "samples_per_class": cfg.samples_per_class, "real_test_characters": int(len(pick)),
        "figures": figures,
        "per_class": {classes.chars[c]: {"generated_accuracy": round(per_class_acc[c], 1),
                                         "diversity_ratio": None if math.isnan(ratios[c])
                                         else round(float(ratios[c]), 3)} for c in range(n)},
        "collapsed_classes": collapsed,
    }

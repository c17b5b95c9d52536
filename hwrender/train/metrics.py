"""Measures shared by the families' evaluations: edit distance and CER, FID, and Tesseract OCR."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path
from typing import Sequence

import numpy as np
import torch


def levenshtein(a: Sequence, b: Sequence) -> int:
    """Edit distance (insertions, deletions, substitutions) between two sequences."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def cer(reference: str, hypothesis: str) -> float:
    """Character error rate, whitespace ignored (Tesseract spaces Han characters apart)."""
    ref = "".join(reference.split())
    hyp = "".join(hypothesis.split())
    return levenshtein(ref, hyp) / max(1, len(ref))


def frechet_distance(a: torch.Tensor, b: torch.Tensor) -> float:
    """FID between two feature sets (rows): |mu_a - mu_b|² + Tr(Sa + Sb - 2 (Sa Sb)^½)."""
    a, b = a.double(), b.double()
    mu_a, mu_b = a.mean(0), b.mean(0)
    sa, sb = torch.cov(a.T), torch.cov(b.T)
    # Tr((Sa Sb)^½) = sum of sqrt(eig(Sa^½ Sb Sa^½)), a symmetric PSD matrix: stable with eigh.
    w, v = torch.linalg.eigh(sa)
    root_a = (v * w.clamp(min=0).sqrt()) @ v.T
    middle = torch.linalg.eigvalsh(root_a @ sb @ root_a).clamp(min=0).sqrt().sum()
    return float((mu_a - mu_b).pow(2).sum() + sa.trace() + sb.trace() - 2 * middle)


def tesseract_langs() -> set[str]:
    """The languages the installed Tesseract reads (empty when it is not installed)."""
    try:
        out = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True,
                             timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return set()
    return {line.strip() for line in out.splitlines()[1:]}


def ocr_line(image: np.ndarray, lang: str, options: Sequence[str] = ()) -> str:
    """Tesseract's reading of one text line (uint8, dark ink on white), page mode 7; ``options``
    are extra ``-c NAME=VALUE`` settings."""
    from PIL import Image

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "line.png"
        Image.fromarray(image, "L").save(path)
        try:
            settings = [arg for opt in options for arg in ("-c", opt)]
            out = subprocess.run(["tesseract", str(path), "-", "-l", lang, "--psm", "7", *settings],
                                 capture_output=True, text=True, timeout=60)
        except subprocess.TimeoutExpired:
            return ""
    return out.stdout.strip()


def figure(name: str, value, target: str = "", passed: bool | None = None) -> dict:
    """One row of an evaluation report: a measured value, its target and whether it is met."""
    return {"name": name, "value": value, "target": target, "pass": passed}

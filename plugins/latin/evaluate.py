"""``hwrender eval latin``: does the word GAN write legible, varied words close to real ones?

- **Independent recognizer**: a CRNN trained here only on the real training words (training
  fonts, training vocabulary), never on generated words and never part of GAN training (a
  different width and seed from the GAN's own recognizer; cached after its first training).
  ``judge_singles`` of its steps read lone characters (every charset character alone in the
  training fonts), so a lone ``é`` or ``;`` in the token section measures the hand, not a judge
  that never saw a letter alone. It
  reads generated out-of-vocabulary words (the held-out words, written by ``styles`` seeded hands):
  CER, next to its CER on the same kind of words rendered in the held-out fonts.
- **Tesseract** (``eng``, ``--psm 7``) reads lines of held-out words written by the generator
  (``ocr_rounds`` times, each round with other hands and seeds, averaged), and the same lines
  rendered in the training fonts (clean); CER of each.
- **Diversity**: the same words written by several hands, mean pairwise distance on the
  recognizer's features, over the same for the words rendered in as many training fonts.
- **FID** on the recognizer's features: generated words against real held-out words.
- **Tokens** (``tokens.py``; ``--set tokens=only`` runs this section alone): every digit,
  punctuation mark, symbol and non-ASCII letter alone, template tokens (prices, times, dates,
  e-mail addresses, invoice numbers, symbol words) and held-out accented words, written as a page
  writes them (``generate``: marks and hyphens drawn in code) by the named and a few seeded hands,
  read by the independent recognizer: accuracy per character class (an alignment of truth and
  reading), next to the same words in the held-out fonts. Tesseract reads lines of template
  tokens (next to a plain font and Comic Neue). The share of words whose ink reaches the top or
  bottom row of the 32 px frame (cut there), per class: accents, descenders, capitals.
  ``--set rerank=K`` measures all of it with recognizer-guided sampling (``rerank.py``).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch

from hwrender.errors import UsageError
from hwrender.train import apply_overrides
from hwrender.train.cache import cached_judge, data_cache
from hwrender.train.metrics import (
    cer,
    frechet_distance,
    levenshtein,
    ocr_line,
    tesseract_langs,
)
from hwrender.train.metrics import figure as _figure

from . import words as W
from .model import NetConfig, Recognizer, ctc_loss, greedy_decode

TARGET_CER = 0.05
TARGET_OCR = 0.10
OCR_RATIO = 2.0
LINE_GAP = 0.7  # word gap in a line, in x-heights
KEEP_ROWS = ("textord_noise_rejrows=0",)  # Tesseract setting of the diagnostic figure
OCR_SCALE = 3  # Tesseract reads 32 px words best enlarged


@dataclass(frozen=True)
class EvalConfig:
    words: int = 600  # generated out-of-vocabulary words
    styles: int = 10  # seeded hands writing them (and the diversity test)
    diversity_words: int = 60
    ocr_lines: int = 100  # fewer lines make the figure move between checkpoints
    # each round writes the same lines with other hands (styles 10r..10r+9) and seeds: one round
    # still moves with the hands
    ocr_rounds: int = 3
    line_words: int = 4
    judge_steps: int = 3000  # the independent recognizer's training
    judge_batch: int = 64
    judge_width: int = 40  # not the GAN recognizer's width: another network judges
    # share of the judge's steps spent on lone characters (every charset character alone in the
    # training fonts, ``judge_draws`` augmented draws each): trained on words only, it read a lone
    # accented letter poorly even in a real font (accents alone 0.51 in the held-out fonts), so
    # the token classes measured the judge more than the hands. 0: words only (the old judge)
    judge_singles: float = 0.15
    judge_draws: int = 3
    seed: int = 0
    per_font: int = 0  # 0: the value the model was trained with
    augment: str = ""  # training words' augmentation ("": the model's; chooses the recognizer)
    # training words' token share (< 0: the model's); the judge learns from these words, so two
    # models are compared with one judge by giving both the same share
    token_share: float = -1.0
    tokens: str = "on"  # the token section: on, off, or only (that section alone, quickly)
    token_hands: int = 4  # seeded hands writing the tokens, beside the default and named ones
    token_words: int = 140  # template token words a hand (with every rare character alone)
    accented_words: int = 60  # held-out accented words a hand
    token_lines: int = 30  # Tesseract lines of template tokens
    frame_words: int = 150  # words a class for the ink-outside-the-frame share
    rerank: int = 0  # K > 1: rare words drawn K times, the model's recognizer keeps one


def evaluate(weights: Path | None = None, data: Path | None = None, device: str = "cpu",
             options: Sequence[str] = (), log: Callable[[str], None] | None = None) -> dict:
    from .dataset import training_set
    from .generator import LatinGenerator

    log = log or (lambda message: None)
    cfg = apply_overrides(EvalConfig(), list(options))
    start = time.perf_counter()
    gen = LatinGenerator(weights_dir=str(weights) if weights else None)
    if cfg.tokens not in ("on", "off", "only"):
        raise UsageError(f"tokens={cfg.tokens!r} is not on, off or only",
                         "pass --set tokens=on, tokens=off or tokens=only")
    if cfg.rerank > 1:
        from . import rerank

        rerank.enable(gen, cfg.rerank)
    trained = gen.config.get("train", {})
    per_font = cfg.per_font or int(trained.get("per_font", 1000))
    augment = cfg.augment or str(trained.get("augment", "full"))
    tokens = cfg.token_share if cfg.token_share >= 0 else float(trained.get("token_share", 0.0))
    train, heldout = training_set(data, per_font, int(trained.get("data_seed", 0)), log=log,
                                  augment=augment, token_share=tokens)
    singles = lone_characters(train, augment, cfg, log) if cfg.judge_singles > 0 else None
    judge = judge_for(train, cfg, device, log, singles)
    rng = np.random.default_rng(cfg.seed)
    figures, notes = [], []
    if cfg.tokens == "only":
        figures += _token_figures(gen, judge, train, cfg, device, notes, log)
        return _report(gen, figures, notes, cfg, start)

    # 1. the independent recognizer on generated out-of-vocabulary words
    oov = sorted({t for t in heldout.texts if W.writable(t)})
    words = [oov[i] for i in rng.choice(len(oov), size=min(cfg.words, len(oov)), replace=False)]
    generated: list[np.ndarray] = []
    per_style = -(-len(words) // cfg.styles)
    for s in range(cfg.styles):
        chunk = words[s * per_style:(s + 1) * per_style]
        generated += gen.raw(chunk, str(s), seed=cfg.seed + s, device=device)
    gen_cer, gen_feats = read(judge, generated, words, device)
    held_fonts = _holdout_rows(heldout)
    real_idx = held_fonts if len(held_fonts) else np.arange(len(heldout))
    real_idx = rng.choice(real_idx, size=min(len(real_idx), cfg.words), replace=False)
    real_imgs = [heldout.image(int(i)).astype(np.float32) / 255 for i in real_idx]
    real_cer, real_feats = read(judge, real_imgs, [heldout.texts[int(i)] for i in real_idx], device)
    figures.append(_figure("recognizer CER, generated out-of-vocabulary words",
                           round(gen_cer, 4), f"≤ {TARGET_CER}", gen_cer <= TARGET_CER))
    figures.append(_figure("recognizer CER, real words in "
                           + ("held-out fonts" if len(held_fonts) else "the evaluation set"),
                           round(real_cer, 4), "reference"))

    # 2. FID on the recognizer's features
    fid = frechet_distance(gen_feats, real_feats)
    train_idx = rng.choice(len(train), size=min(len(train), cfg.words), replace=False)
    train_imgs = [train.image(int(i)).astype(np.float32) / 255 for i in train_idx]
    _, train_feats = read(judge, train_imgs, [train.texts[int(i)] for i in train_idx], device)
    figures.append(_figure("FID, generated vs real held-out words (recognizer features)",
                           round(fid, 2), "reference"))
    figures.append(_figure("FID, real training vs real held-out words", round(
        frechet_distance(train_feats, real_feats), 2), "reference"))

    # 3. diversity across hands
    div_words = words[:cfg.diversity_words]
    figures += _diversity(gen, judge, div_words, cfg, device, log)
    figures += _hand_figures(gen, notes, log)

    # 4. Tesseract on lines
    figures += _ocr_figures(gen, words, cfg, device, notes, log)

    # 5. digits, punctuation, symbols, accents
    if cfg.tokens == "on":
        figures += _token_figures(gen, judge, train, cfg, device, notes, log)
    return _report(gen, figures, notes, cfg, start)


def _report(gen, figures, notes, cfg: EvalConfig, start: float) -> dict:
    return {"model": "latin", "weights": str(gen.folder), "figures": figures, "notes": notes,
            "config": {k: getattr(cfg, k) for k in cfg.__dataclass_fields__},
            "seconds": round(time.perf_counter() - start, 1)}


# ------------------------------------------------------------------------------ the judge
def _judge_net(cfg: EvalConfig) -> Recognizer:
    net = NetConfig(len(W.CHARSET) + 1, W.HEIGHT, W.CHAR_WIDTH, r_ch=cfg.judge_width,
                    r_hidden=160)
    return Recognizer(net)


def judge_for(train, cfg: EvalConfig, device: str, log, singles=None) -> Recognizer:
    """The independent recognizer for ``train`` (and ``singles``, lone characters a share
    ``cfg.judge_singles`` of its steps read), trained once and cached in the data cache."""
    digest = hashlib.sha256(train.pixels[:, :2_000_000].tobytes())
    digest.update("\n".join(train.texts).encode())
    digest.update(f"{cfg.judge_steps}:{cfg.judge_batch}:{cfg.judge_width}:{cfg.seed}".encode())
    if singles is not None and cfg.judge_singles > 0:  # none keeps the words-only judge's key
        digest.update(f":singles {cfg.judge_singles}".encode())
        digest.update(singles.pixels.tobytes())
        digest.update("".join(singles.texts).encode())
    path = data_cache() / f"latin-judge-{digest.hexdigest()[:16]}.safetensors"
    if path.is_file():
        log(f"using the cached recognizer {path}")
    else:
        log(f"training the independent recognizer ({cfg.judge_steps} steps; cached afterwards)")
    return cached_judge(path, lambda: _judge_net(cfg),
                        lambda: train_judge(train, cfg, device, log, singles), device=device)


def lone_characters(train, augment: str, cfg: EvalConfig, log) -> W.WordData | None:
    """Every charset character a training font of ``train`` draws, alone, rendered
    ``cfg.judge_draws`` times with the training words' augmentation ``augment``: what the judge
    reads besides words. None when ``train``'s fonts are not corpus fonts (IAM words)."""
    from hwrender import fonts as corpus

    from .dataset import _record
    from .render import Augment, WordFont, render

    paths = corpus.available(script="Latn")
    aug = Augment.named(augment)
    images, texts, ids, widths, names = [], [], [], [], []
    for font_id in train.fonts:
        if font_id not in paths:
            continue
        record = _record(font_id)
        font = WordFont(paths[font_id], record.ttc_index if record else 0)
        rng = np.random.default_rng([cfg.seed, 31, len(names)])
        for ch in W.CHARSET:
            if ch not in font.chars:
                continue
            for _ in range(cfg.judge_draws):
                alpha, width, _ = render(font, ch, aug, rng)
                if width > 0:
                    images.append(W.canonical(alpha, 1))
                    texts.append(ch)
                    ids.append(len(names))
                    widths.append(width)
        names.append(font_id)
    if not images:
        log("the judge reads words only: the training words' fonts are not installed corpus fonts")
        return None
    log(f"the judge also reads {len(texts)} lone characters from {len(names)} fonts")
    return W.WordData.from_images(images, texts, ids, names, widths)


def train_judge(train, cfg: EvalConfig, device: str, log, singles=None) -> Recognizer:
    torch.manual_seed(cfg.seed + 17)
    model = _judge_net(cfg).to(device).train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=cfg.judge_steps)
    lengths = train.lengths()
    by_len = {n: np.flatnonzero(lengths == n) for n in np.unique(lengths)}
    sizes = np.array([len(v) for v in by_len.values()], np.float64)
    keys = list(by_len)
    rng = np.random.default_rng(cfg.seed + 17)
    lone = np.random.default_rng(cfg.seed + 19)  # its own draws: without singles, the old judge
    for step in range(cfg.judge_steps):
        data = train
        if singles is not None and lone.random() < cfg.judge_singles:
            data = singles
            idx = lone.choice(len(singles), size=min(cfg.judge_batch, len(singles)), replace=False)
        else:
            n = keys[rng.choice(len(keys), p=sizes / sizes.sum())]
            idx = rng.choice(by_len[n], size=min(cfg.judge_batch, len(by_len[n])), replace=False)
        x = (torch.from_numpy(data.batch(idx)).float().div(127.5).sub(1.0)).unsqueeze(1)
        text, lens = W.encode([data.texts[i] for i in idx])
        log_probs = model(x.to(device))
        frames = torch.full((len(idx),), log_probs.shape[0], dtype=torch.long)
        loss = ctc_loss(log_probs, text.to(device), lens.to(device), frames.to(device))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if step % 250 == 0:
            log(f"judge step {step}/{cfg.judge_steps}: CTC {loss.item():.3f}")
    return model


def _judged(judge: Recognizer, images: Sequence[np.ndarray], device: str):
    """(indices, log_probs, pooled features) of canonical-width word images (alpha 0..1), read
    by ``judge`` in batches of one width."""
    by_width: dict[int, list[int]] = {}
    for i, img in enumerate(images):
        by_width.setdefault(img.shape[1], []).append(i)
    for idx in by_width.values():
        for start in range(0, len(idx), 128):
            part = idx[start:start + 128]
            x = torch.from_numpy(np.stack([images[i] for i in part])).float()
            log_probs, pooled = judge.read((x * 2 - 1).unsqueeze(1).to(device))
            yield part, log_probs, pooled


@torch.no_grad()
def read(judge: Recognizer, images: Sequence[np.ndarray], texts: Sequence[str],
         device: str) -> tuple[float, torch.Tensor]:
    """(CER of the judge's best-path readings, pooled features [N, C]) of canonical-width words."""
    errors = total = 0
    feats = [None] * len(images)
    for part, log_probs, pooled in _judged(judge, images, device):
        for k, seq in zip(part, greedy_decode(log_probs)):
            truth = [W.char_index()[c] for c in texts[k]]
            errors += levenshtein(seq, truth)
            total += len(truth)
        pooled = pooled.cpu()
        for j, k in enumerate(part):
            feats[k] = pooled[j]
    return errors / max(1, total), torch.stack(feats)


@torch.no_grad()
def readings(judge: Recognizer, images: Sequence[np.ndarray], device: str) -> list[str]:
    """The judge's best-path text of each canonical-width word image (alpha 0..1)."""
    out = [""] * len(images)
    for part, log_probs, _ in _judged(judge, images, device):
        for k, seq in zip(part, greedy_decode(log_probs)):
            out[k] = W.decode(seq)
    return out


def _holdout_rows(heldout) -> np.ndarray:
    """Rows of the evaluation set written in held-out fonts (never trained on)."""
    from hwrender import fonts as corpus

    held = set()
    for k, name in enumerate(heldout.fonts):
        try:
            if corpus.get(name).holdout:
                held.add(k)
        except Exception:
            continue
    return np.flatnonzero(np.isin(heldout.font_ids, sorted(held)))


# ------------------------------------------------------------------------------ diversity
def _train_fonts(n: int) -> list:
    from hwrender import fonts as corpus

    from .dataset import skip_reason
    from .render import WordFont

    out = []
    for fid, path in sorted(corpus.available(script="Latn", split="train").items()):
        if skip_reason(fid) is None:
            out.append(WordFont(path, corpus.get(fid).ttc_index))
        if len(out) >= n:
            break
    return out


def _pairwise(feats: torch.Tensor) -> float:
    d = torch.cdist(feats, feats)
    n = len(feats)
    return float(d.sum() / max(1, n * (n - 1)))


def _diversity(gen, judge, words: Sequence[str], cfg: EvalConfig, device: str, log) -> list[dict]:
    from .render import render_word

    fonts = _train_fonts(cfg.styles)
    if len(fonts) < 2:
        return [_figure("diversity across hands", None, "needs the training fonts installed")]
    gen_d, real_d = [], []
    for word in words:
        hands = [gen.raw([word], str(s), seed=cfg.seed, device=device)[0] for s in range(cfg.styles)]
        _, f = read(judge, hands, [word] * len(hands), device)
        gen_d.append(_pairwise(f))
        real = []
        for font in fonts:
            if all(c in font.chars for c in word):
                alpha, _ = render_word(font, word)
                real.append(W.canonical(alpha, len(word)).astype(np.float32) / 255)
        if len(real) >= 2:
            _, f = read(judge, real, [word] * len(real), device)
            real_d.append(_pairwise(f))
    ratio = float(np.mean(gen_d) / max(1e-9, np.mean(real_d)))
    return [_figure(f"diversity across {cfg.styles} hands / across {len(fonts)} training fonts "
                    "(recognizer features)", round(ratio, 3), "reference (0: one hand)")]


# ------------------------------------------------------------------------------ Tesseract
def _line(alphas: Sequence[np.ndarray]) -> np.ndarray:
    """Words side by side on the shared baseline, enlarged, dark on white, uint8."""
    from PIL import Image

    gap = round(LINE_GAP * W.X_HEIGHT)
    pad = 12
    width = sum(a.shape[1] for a in alphas) + gap * (len(alphas) - 1) + 2 * pad
    canvas = np.zeros((W.HEIGHT + 2 * pad, width), np.float32)
    x = pad
    for a in alphas:
        canvas[pad:pad + W.HEIGHT, x:x + a.shape[1]] = np.maximum(
            canvas[pad:pad + W.HEIGHT, x:x + a.shape[1]], a)
        x += a.shape[1] + gap
    img = Image.fromarray(np.rint((1 - canvas) * 255).astype(np.uint8), "L")
    img = img.resize((img.width * OCR_SCALE, img.height * OCR_SCALE), Image.Resampling.BICUBIC)
    return np.asarray(img)


def font_line(font, words: Sequence[str]) -> np.ndarray | None:
    """``words`` rendered in ``font`` as one Tesseract line (``_line``), or None where the font
    lacks one of their characters."""
    from .render import render_word

    if not all(c in font.chars for w in words for c in w):
        return None
    return _line([render_word(font, w)[0] for w in words])


def _hand_figures(gen, notes: list, log) -> list[dict]:
    """The spread of seeded and named hands against held-out fonts, and each named hand's
    Tesseract CER (``hands.eval_figures``); a note where the fonts or Tesseract are missing."""
    from hwrender.fonts import NotInstalled

    from . import hands

    if shutil.which("tesseract") is None or "eng" not in tesseract_langs():
        notes.append("hand spread skipped: Tesseract is not installed")
        return []
    try:
        return hands.eval_figures(gen, log=log)
    except NotInstalled as exc:
        notes.append(f"hand spread skipped: {exc} (`hwrender fonts install --model latin`)")
        return []


def _ocr_figures(gen, words: Sequence[str], cfg: EvalConfig, device: str, notes: list,
                 log) -> list[dict]:
    from .generator import framed

    if shutil.which("tesseract") is None or "eng" not in tesseract_langs():
        notes.append("Tesseract skipped: not installed (apt-get install tesseract-ocr "
                     "tesseract-ocr-eng)")
        return []
    fonts = _train_fonts(10_000)
    if not fonts:
        notes.append("training-font Tesseract reference skipped: no Latin training font is "
                     "installed (`hwrender fonts install --script Latn`)")
    lines = [words[i:i + cfg.line_words]
             for i in range(0, cfg.line_words * cfg.ocr_lines, cfg.line_words)]
    lines = [line for line in lines if len(line) == cfg.line_words]
    gen_cers, font_cers, plain_cers, gen_kept, font_kept = [], [], [], [], []
    matched = []  # generated CER of the lines the fonts could write too (the ratio's numerator)
    plain = _plain_font()
    if plain is None:
        notes.append("plain-font Tesseract reference skipped: fc-match finds no DejaVu Sans "
                     "(apt-get install fonts-dejavu-core fontconfig)")
    empty = 0
    rounds = max(1, cfg.ocr_rounds)
    per_round: list[list[float]] = [[] for _ in range(rounds)]
    for k, line in enumerate(lines):
        text = " ".join(line)
        cers = []
        for r in range(rounds):  # round r: hands 10r.., seeds 1000r..
            inks = gen.generate(line, str(cfg.styles * r + k % cfg.styles),
                                seed=cfg.seed + k + 1000 * r, device=device)
            image = _line([framed(i) for i in inks])
            read = ocr_line(image, "eng")
            empty += not read
            cers.append(cer(text, read))
            per_round[r].append(cers[-1])
            gen_kept.append(cer(text, ocr_line(image, "eng", KEEP_ROWS)))
        gen_cers.append(float(np.mean(cers)))
        image = font_line(fonts[k % len(fonts)], line) if fonts else None
        if image is not None:
            matched.append(gen_cers[-1])
            font_cers.append(cer(text, ocr_line(image, "eng")))
            font_kept.append(cer(text, ocr_line(image, "eng", KEEP_ROWS)))
        image = None if plain is None else font_line(plain, line)
        if image is not None:
            plain_cers.append(cer(text, ocr_line(image, "eng")))
    g = float(np.mean(gen_cers))
    log(f"Tesseract CER: generated {g:.3f} ({len(lines)} lines x {rounds} rounds of hands)")
    rounds_text = f" x {rounds} rounds of hands" if rounds > 1 else ""
    figures = [_figure(f"Tesseract CER, generated lines ({len(gen_cers)}{rounds_text})",
                       round(g, 4), f"≤ {TARGET_OCR}", g <= TARGET_OCR)]
    if rounds > 1:
        figures.append(_figure("Tesseract CER, generated, each round of hands",
                               " / ".join(f"{np.mean(c):.4f}" for c in per_round), "diagnostic"))
    if font_cers:
        # the ratio compares the same lines: those their training font (one a line, in turn) wrote
        f, gm = float(np.mean(font_cers)), float(np.mean(matched))
        figures += [
            _figure(f"Tesseract CER, the same lines in training fonts ({len(font_cers)})",
                    round(f, 4), "reference"),
            _figure(f"Tesseract CER, generated, on those {len(matched)} lines", round(gm, 4),
                    "reference"),
            _figure("Tesseract CER ratio, generated / fonts (the same lines)",
                    round(gm / max(f, 1e-9), 2), f"≤ {OCR_RATIO}", gm <= OCR_RATIO * max(f, 1e-9)),
        ]
    return figures + ([_figure(f"Tesseract CER, the same lines in a plain font ({plain.path.stem}, "
                  f"{len(plain_cers)})", round(float(np.mean(plain_cers)), 4), "reference")]
         if plain_cers else []) + [
        # diagnostics: lines Tesseract returned nothing for (each scores CER 1.0), and the same
        # reading with its noise-row rejection off (which drops whole lines of broken strokes)
        _figure(f"Tesseract: generated lines read as empty (of {len(gen_cers) * rounds})", empty,
                "diagnostic"),
        _figure("Tesseract CER with noise-row rejection off (textord_noise_rejrows=0): "
                "generated / training fonts",
                f"{np.mean(gen_kept):.4f} / {np.mean(font_kept) if font_kept else float('nan'):.4f}",
                "diagnostic"),
    ]


def _plain_font():
    """A plain sans-serif typeface (DATA.md's reference for Tesseract), or None."""
    from .render import WordFont

    try:
        out = subprocess.run(["fc-match", "-f", "%{file}", "DejaVu Sans:style=Book"],
                             capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    path = Path(out.stdout.strip())
    if out.returncode or not path.is_file() or path.suffix.lower() not in (".ttf", ".otf"):
        return None
    try:
        return WordFont(path)
    except (UsageError, OSError):  # a font that cannot write words here: no reference
        return None


# ------------------------------------------------------------------------------ tokens
TARGET_CLASS = 0.9  # the target: the recognizer reads each rare class this well
TARGET_TOKEN_OCR = 0.05


def _canonical(ink, word: str) -> np.ndarray:
    """A written word (``generate``'s ink) back in the frame at the canonical width, 0..1."""
    from .generator import framed

    return W.canonical(framed(ink), len(word)).astype(np.float32) / 255


def _holdout_fonts() -> list:
    from hwrender import fonts as corpus

    from .dataset import skip_reason
    from .render import WordFont

    return [WordFont(path, corpus.get(fid).ttc_index) for fid, path in
            sorted(corpus.available(script="Latn", split="holdout").items())
            if skip_reason(fid) is None]


def _rate(pair: tuple[int, int]) -> float:
    return round(pair[0] / max(1, pair[1]), 4)


def _token_figures(gen, judge, train, cfg: EvalConfig, device: str, notes: list,
                   log) -> list[dict]:
    from . import tokens as T
    from .render import render_word

    t0 = time.perf_counter()
    hands = [None, *sorted(gen.styles), *(str(s) for s in range(1, cfg.token_hands + 1))]
    words = T.singles() + T.token_words(cfg.token_words) + T.accented_words(cfg.accented_words)
    pairs: list[tuple[str, str]] = []
    for h, hand in enumerate(hands):
        inks = gen.generate(words, hand, seed=cfg.seed + 500 + h, device=device)
        pairs += zip(words, readings(judge, [_canonical(i, w) for i, w in zip(inks, words)], device))
    gen_table = T.class_accuracy(pairs)
    real_pairs = []
    for font in _holdout_fonts():
        mine = [w for w in words if all(c in font.chars for c in w)]
        images = [W.canonical(render_word(font, w)[0], len(w)).astype(np.float32) / 255
                  for w in mine]
        real_pairs += zip(mine, readings(judge, images, device))
    real_table = T.class_accuracy(real_pairs)
    log(f"token words read in {time.perf_counter() - t0:.1f} s")

    figures = []
    gen_groups, real_groups = T.group_accuracy(gen_table), T.group_accuracy(real_table)
    for g, pair in gen_groups.items():
        ref = _rate(real_groups[g]) if g in real_groups else None
        met = _rate(pair) >= TARGET_CLASS if g != "letters" else None
        figures.append(_figure(f"recognizer accuracy on token words, {g} ({pair[1]} characters, "
                               f"{len(hands)} hands)", _rate(pair),
                               f"≥ {TARGET_CLASS} (held-out fonts {ref})", met))
    # accented letters alone (the singles) and inside words apart: the recognizer, trained on
    # words, reads a lone letter poorly even in a real font
    single = set(T.singles())
    for where, keep in (("in words", lambda w: w not in single), ("alone", lambda w: w in single)):
        mine = T.group_accuracy(T.class_accuracy((w, r) for w, r in pairs if keep(w)))
        real = T.group_accuracy(T.class_accuracy((w, r) for w, r in real_pairs if keep(w)))
        if "accents" in mine:
            ref = _rate(real["accents"]) if "accents" in real else None
            figures.append(_figure(f"recognizer accuracy, accents {where} "
                                   f"({mine['accents'][1]} characters)", _rate(mine["accents"]),
                                   f"diagnostic (held-out fonts {ref})"))
    for cls, pair in gen_table.items():
        ref = _rate(real_table[cls]) if cls in real_table else None
        met = _rate(pair) >= TARGET_CLASS if T.group(cls) != "letters" else None
        figures.append(_figure(f"recognizer accuracy, class {cls!r}", _rate(pair),
                               f"≥ {TARGET_CLASS} (held-out fonts {ref})", met))
    below = [c for c, p in gen_table.items() if T.group(c) != "letters" and _rate(p) < TARGET_CLASS]
    figures.append(_figure(f"token classes read under {TARGET_CLASS}", f"{len(below)} of "
                           f"{sum(T.group(c) != 'letters' for c in gen_table)}: " + " ".join(below),
                           "diagnostic"))
    figures += _token_ocr(gen, hands, cfg, device, notes, log)
    figures += _frame_figures(gen, train, hands, cfg, device)
    return figures


def _token_ocr(gen, hands, cfg: EvalConfig, device: str, notes: list, log) -> list[dict]:
    from hwrender import fonts as corpus

    from . import tokens as T
    from .generator import framed
    from .render import WordFont

    if shutil.which("tesseract") is None or "eng" not in tesseract_langs():
        notes.append("token Tesseract figures skipped: Tesseract with eng is not installed")
        return []
    refs = {}
    plain = _plain_font()
    if plain is not None:
        refs[f"a plain font ({plain.path.stem})"] = plain
    try:
        record = corpus.get("comic-neue")
        path = corpus.available(script="Latn").get("comic-neue")
        if path is not None:
            refs["Comic Neue"] = WordFont(path, record.ttc_index)
    except (UsageError, OSError):
        pass
    t0 = time.perf_counter()
    lines = T.lines(T.token_words(cfg.token_lines * cfg.line_words, T.EVAL_SEED + 1),
                    cfg.line_words)
    gen_cers = []
    ref_cers: dict[str, list[float]] = {name: [] for name in refs}
    for k, line in enumerate(lines):
        text = " ".join(line)
        inks = gen.generate(line, hands[k % len(hands)], seed=cfg.seed + 700 + k, device=device)
        gen_cers.append(cer(text, ocr_line(_line([framed(i) for i in inks]), "eng")))
        for name, font in refs.items():
            image = font_line(font, line)
            if image is not None:
                ref_cers[name].append(cer(text, ocr_line(image, "eng")))
    g = float(np.mean(gen_cers))
    log(f"token lines: Tesseract CER {g:.3f} ({time.perf_counter() - t0:.1f} s)")
    figures = [_figure(f"Tesseract CER, token lines ({len(lines)}, {len(hands)} hands in turn)",
                       round(g, 4), f"≤ {TARGET_TOKEN_OCR}", g <= TARGET_TOKEN_OCR)]
    for name, values in ref_cers.items():
        if values:
            figures.append(_figure(f"Tesseract CER, the token lines in {name} ({len(values)})",
                                   round(float(np.mean(values)), 4), "reference"))
    return figures


def _frame_figures(gen, train, hands, cfg: EvalConfig, device: str) -> list[dict]:
    """Share of words whose ink reaches the frame's top or bottom row, per class, generated
    (``raw``: the 32 px frame before trimming) and in the training words."""
    from . import tokens as T
    from .vocabulary import BASE_LISTS, DICT_DIR, _word_list, is_heldout

    rng = np.random.default_rng(cfg.seed + 31)
    base = [w for name in BASE_LISTS if (DICT_DIR / name).is_file()
            for w in _word_list(DICT_DIR, name) if w.isascii() and w.isalpha() and is_heldout(w)]
    base = sorted(set(base))
    pick = lambda pool: [pool[i] for i in rng.choice(len(pool), min(cfg.frame_words, len(pool)),  # noqa: E731
                                                     replace=False)] if pool else []
    sets = {
        "accents": T.accented_words(cfg.frame_words, T.EVAL_SEED + 2),
        "descenders": pick([w for w in base if w.islower() and any(c in "gjpqy" for c in w)]),
        "capitals": pick([w[0].upper() + w[1:] for w in base if w.islower()]),
        "none of these": pick([w for w in base if w.islower() and not any(c in "gjpqy" for c in w)]),
    }
    figures = []
    for cls, words in sets.items():
        if not words:
            continue
        top = bottom = n = 0
        for h, hand in enumerate(hands):
            for alpha in gen.raw(words, hand, seed=cfg.seed + 900 + h, device=device):
                t, b = T.touches_frame(alpha)
                top, bottom, n = top + t, bottom + b, n + 1
        real = [i for i, t in enumerate(train.texts)
                if (cls in T.frame_classes(t)) or (cls == "none of these" and not T.frame_classes(t))]
        real = rng.choice(real, min(2000, len(real)), replace=False) if real else []
        cut = [T.touches_frame(train.image(int(i)).astype(np.float32) / 255) for i in real]
        ref = round(float(np.mean([t or b for t, b in cut])), 4) if cut else None
        figures.append(_figure(f"words with ink at the frame's top / bottom row, {cls} "
                               f"({n} words)", f"{top / n:.3f} / {bottom / n:.3f}",
                               f"diagnostic (training words, either row: {ref})"))
    return figures

"""Measure hands of a Latin word GAN, to choose its named styles (``config.json`` ``styles``).

Each hand (a seeded style vector at ``--spread``) writes lines of 4 *training* words (never the
held-out words or the hands 0-29 that ``hwrender eval latin`` reads) the way the evaluation writes
its lines; Tesseract's CER on them and the hand's ink share (pixels over 0.5) are printed a hand a
line, most legible first. The shipped ``neat``, ``fine`` and ``bold`` came from

    python scripts/choose_latin_styles.py --seeds 100-139 --spread 0.5    # neat: lowest CER
    python scripts/choose_latin_styles.py --seeds 200-259 --spread 1.0    # fine / bold: the
                                          # lightest / heaviest with CER <= 0.035

Hand profiles (``hwrender_plugins.latin.hands``):

    python scripts/choose_latin_styles.py --profiles --write     # every training font's profile
                                                  # into config.json font_profiles
    python scripts/choose_latin_styles.py --named --seeds 100-105 --write   # the named hands
    python scripts/choose_latin_styles.py --picture docs/latin-hands.png    # all of them, one line

``--named``: each name of ``NAMED`` takes the training font its rule picks (a font another name
took is passed over), then the first hand among ``--seeds`` that Tesseract reads at CER ``--accept`` or better with that
profile, else the best of them (at most ``MAX_CER``, or the name is left out). ``--write`` stores the result in the model's
config.json and re-pins its manifest (``hwrender weights verify latin`` passes).
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

MAX_CER = 0.08  # issue 30: every named hand reads at Tesseract CER <= 0.08
# name -> (profile feature, "max" or "min"): the training font a named hand takes its profile from
NAMED = {"slanted": ("slant", "max"), "narrow": ("width", "min"),
         "wide": ("width", "max"), "heavy": ("stroke", "max"), "light": ("coverage", "min"),
         "airy": ("space", "max"), "compact": ("space", "min"), "small": ("size", "min"),
         "large": ("size", "max"), "upright": ("typical", "min")}


def measure(gen, lines, seed: int, spread: float, profile=None) -> dict:
    from hwrender_plugins.latin.evaluate import _line
    from hwrender_plugins.latin.generator import framed

    from hwrender.train.metrics import cer, ocr_line

    gen.styles = {"candidate": (seed, spread)}
    gen.profiles = {} if profile is None else {"candidate": profile}
    cers, ink = [], []
    for k, line in enumerate(lines):
        inks = gen.generate(line, "candidate", seed=k)
        words = [framed(i) for i in inks]  # in the 32 px training frame, as the evaluation
        ink += [float((w > 0.5).mean()) for w in words]
        cers.append(cer(" ".join(line), ocr_line(_line(words), "eng")))
    return {"seed": seed, "spread": spread, "cer": round(float(np.mean(cers)), 4),
            "ink": round(float(np.mean(ink)), 4)}


def pick_fonts(profiles: dict) -> dict:
    """name -> font id of each ``NAMED`` rule, each font used once (in ``NAMED``'s order);
    ``typical``: the upright font nearest the fonts' medians (features over their spread)."""
    ids = sorted(profiles)
    table = {k: np.array([profiles[f][k] for f in ids]) for k in profiles[ids[0]]}
    z = {k: (v - np.median(v)) / (np.std(v) or 1.0) for k, v in table.items()}
    table["typical"] = np.abs(table["slant"]) * 100 + sum(np.abs(v) for v in z.values())
    out, used = {}, set()
    for name, (key, how) in NAMED.items():
        order = np.argsort(table[key] if how == "min" else -table[key], kind="stable")
        fid = next(ids[i] for i in order if ids[i] not in used)
        used.add(fid)
        out[name] = fid
    return out


def write_config(folder, update: dict) -> None:
    """Merge ``update`` into the model's config.json (its layout kept) and re-pin the manifest."""
    from pathlib import Path

    from hwrender.weights import update_card

    path = Path(folder) / "config.json"
    config = json.loads(path.read_text(encoding="utf-8"))
    for key, value in update.items():
        if key == "styles":
            config["styles"] = {**config.get("styles", {}), **value}
        else:
            config[key] = value
    path.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    update_card(folder, (Path(folder) / "README.md").read_text(encoding="utf-8"))


def font_profiles(gen) -> dict:
    """Every training font's profile that is on this machine (the fonts the model trained on)."""
    from hwrender_plugins.latin import hands

    from hwrender import fonts as corpus

    here = corpus.available(script="Latn", split="train")
    ids = [f["id"] for f in gen.config.get("data", {}).get("fonts", []) if f["id"] in here]
    return hands.font_profiles({fid: here[fid] for fid in ids}, hands.probe_words(gen.config))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", help="model folder (default: the shipped model)")
    parser.add_argument("--seeds", default="100-139", help="hands to measure, FIRST-LAST")
    parser.add_argument("--spread", type=float, default=0.5, help="style spread of the hands")
    parser.add_argument("--lines", type=int, default=12)
    parser.add_argument("--json", help="also write the rows to this file")
    parser.add_argument("--profiles", action="store_true", help="measure the training fonts' profiles")
    parser.add_argument("--named", action="store_true", help="choose the named hands with profiles")
    parser.add_argument("--write", action="store_true", help="store the result in config.json")
    parser.add_argument("--picture", help="draw every named hand writing one sentence to this PNG")
    parser.add_argument("--accept", type=float, default=0.04,
                        help="--named: take the first hand with at most this CER")
    args = parser.parse_args(argv)
    from hwrender_plugins.latin import words as W
    from hwrender_plugins.latin.dataset import training_set
    from hwrender_plugins.latin.generator import LatinGenerator

    first, last = (int(v) for v in args.seeds.split("-"))
    gen = LatinGenerator(weights_dir=args.weights)
    if args.picture:
        picture(gen, args.picture)
        return 0
    if args.profiles:
        profiles = font_profiles(gen)
        for fid, p in profiles.items():
            print(f"{fid:26s} " + "  ".join(f"{k} {v:.3f}" for k, v in p.items()))
        if args.write:
            write_config(gen.folder, {"font_profiles": profiles})
        return 0
    trained = gen.config.get("train", {})
    if args.named:  # the pool training words are drawn from: no word images to build
        from hwrender_plugins.latin.hands import training_lines

        return choose_named(gen, training_lines(args.lines), range(first, last + 1), args)
    train, _ = training_set(None, int(trained.get("per_font", 1000)),
                            int(trained.get("data_seed", 0)), augment=trained.get("augment", "full"),
                            token_share=float(trained.get("token_share", 0.0)))
    vocab = sorted({t for t in train.texts if W.writable(t) and t.isalpha()})
    rng = np.random.default_rng(123)
    words = [vocab[i] for i in rng.choice(len(vocab), size=4 * args.lines, replace=False)]
    lines = [words[i:i + 4] for i in range(0, len(words), 4)]
    rows = [measure(gen, lines, s, args.spread) for s in range(first, last + 1)]
    for row in sorted(rows, key=lambda r: r["cer"]):
        print(f"hand {row['seed']:5d}  spread {row['spread']}  Tesseract CER {row['cer']:.4f}  "
              f"ink {row['ink']:.4f}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(rows, f, indent=1)
    return 0


SENTENCE = "Please send the parcel to our new home by Friday"


def picture(gen, path, sentence: str = SENTENCE, scale: int = 2) -> None:
    """Every named hand writing ``sentence``, one row each with its name: dark ink on white."""
    from hwrender_plugins.latin import hands
    from hwrender_plugins.latin import words as W
    from hwrender_plugins.latin.generator import framed
    from PIL import Image, ImageDraw, ImageFont

    label, gap = 90, hands.WORD_SPACE * W.X_HEIGHT
    rows = []
    for name in gen.styles:
        inks = gen.generate(sentence.split(), name, 0)
        size = W.X_HEIGHT / inks[0].x_height  # a hand's size: what layout scales it by
        width = int(sum(i.advance + gap for i in inks)) + 8
        row = np.zeros((W.HEIGHT, width), np.float32)
        x = 4.0
        for ink in inks:
            a = framed(ink)
            left = int(round(x))
            np.maximum(row[:, left:left + a.shape[1]], a, out=row[:, left:left + a.shape[1]])
            x += ink.advance + gap
        rows.append((name, row, size))
    pitch = int(W.HEIGHT * scale * 1.2)
    width = int(max(r.shape[1] * z for _, r, z in rows) * scale) + label
    image = Image.new("L", (width, len(rows) * pitch), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default()
    for k, (name, row, size) in enumerate(rows):
        ink = Image.fromarray(np.rint((1 - row) * 255).astype(np.uint8), "L")
        ink = ink.resize((round(row.shape[1] * scale * size), round(W.HEIGHT * scale * size)),
                         Image.Resampling.BICUBIC)
        top = k * pitch + round(W.BASELINE * scale * (1.1 - size))  # baselines on one grid
        image.paste(ink, (label, top))
        top = k * pitch + round(0.1 * W.BASELINE * scale)
        draw.text((6, top + (W.BASELINE - 8) * scale), name, fill=90, font=font)
    image.save(path, optimize=True)


def choose_named(gen, lines, seeds, args) -> int:
    """The named hands with profiles (see the module doc)."""
    from hwrender_plugins.latin import hands

    if not gen.font_profiles:
        print("no font_profiles in config.json: run --profiles --write first", file=sys.stderr)
        return 1
    chosen, rows = {}, []
    for name, fid in pick_fonts(gen.font_profiles).items():
        profile = hands.Profile.from_dict(gen.font_profiles[fid])
        best = None
        for s in seeds:  # the first hand read well enough, else the best
            row = measure(gen, lines, s, args.spread, profile)
            best = row if best is None or row["cer"] < best["cer"] else best
            if row["cer"] <= args.accept:
                break
        ok = best["cer"] <= MAX_CER
        print(f"{name:9s} {fid:26s} hand {best['seed']:4d}  Tesseract CER {best['cer']:.4f}  "
              f"ink {best['ink']:.4f}{'' if ok else '  (left out)'}", flush=True)
        rows.append({"name": name, "font": fid, **best})
        if ok:
            chosen[name] = {"seed": best["seed"], "spread": args.spread, "font": fid,
                            "profile": profile.to_dict()}
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(rows, f, indent=1)
    if args.write:
        write_config(gen.folder, {"styles": chosen})
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Pick the EMNIST model's default hand: the style seed whose characters the judge reads best.

    python scripts/choose_emnist_style.py weights/emnist [--seeds 40] [--write]

Each candidate seed is a document latent (as ``--style N`` makes); every class is written with
the adapter's per-character variation, and the eval judge (trained on real characters only)
reads them. ``--write`` stores the best seed as ``default_style_seed`` in the model's config.json
and re-pins its manifest; run ``hwrender eval emnist --weights DIR --write-card`` afterwards.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("weights", type=Path)
    parser.add_argument("--seeds", type=int, default=40)
    parser.add_argument("--per-class", type=int, default=8)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args(argv)

    from hwrender_plugins.emnist import data as emnist_data
    from hwrender_plugins.emnist.dataset import resolve_folder
    from hwrender_plugins.emnist.evaluate import EvalConfig, _predict, judge_for
    from hwrender_plugins.emnist.generator import EmnistGenerator

    gen = EmnistGenerator(weights_dir=str(args.weights))
    folder = resolve_folder(None, gen.classes.name, gen.train_config.get("per_class_per_font", 40))
    train = emnist_data.load(folder, "train", gen.classes.name)
    judge = judge_for(train, EvalConfig(), "cpu", print)
    chars = gen.chars * args.per_class
    labels = torch.tensor([gen.classes.label(c) for c in chars])
    scores = []
    for seed in range(args.seeds):
        images = torch.from_numpy(gen.samples(list(chars), str(seed), seed=1000 + seed))
        accuracy = float((_predict(judge, images, "cpu")[1] == labels).double().mean()) * 100
        scores.append((accuracy, seed))
    scores.sort(reverse=True)
    print("best seeds (judge accuracy %):", ", ".join(f"{s}: {a:.1f}" for a, s in scores[:8]))
    print(f"median over {args.seeds} seeds: {sorted(a for a, _ in scores)[args.seeds // 2]:.1f}")
    if args.write:
        from hwrender.weights import update_card

        path = args.weights / "config.json"
        config = json.loads(path.read_text(encoding="utf-8"))
        config["default_style_seed"] = scores[0][1]
        config["default_style_selection"] = (
            f"best judge accuracy ({scores[0][0]:.1f} %) of {args.seeds} seeded hands, "
            "scripts/choose_emnist_style.py")
        path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        update_card(args.weights, (args.weights / "README.md").read_text(encoding="utf-8"))
        print(f"default_style_seed = {scores[0][1]} written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

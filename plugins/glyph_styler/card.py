"""The glyph styler's model card (README.md of an exported model): what it is, its styles and
cleanup, how it was trained and how to reproduce it, the fonts and licences, the eval figures.

Written from config.json alone; the shipped card is checksummed, so its text changes only with a
new model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from hwrender.train.card import changed_settings, figures_table, run_phases, train_command

from . import GENERATORS, TRAINER_NAME, WEIGHTS_NAME
from .config import SETTINGS_BEFORE, GlyphStylerConfig
from .data import SCRIPTS


def trainer_name(train: Mapping[str, Any]) -> str:
    """The ``hwrender train`` model that makes a run of these settings: ``hangul`` or ``cjk`` for
    one script's fonts only, else ``glyph-styler``."""
    scripts = list(train.get("scripts") or [])
    return next((name for name, script in GENERATORS.items() if scripts == [script]), TRAINER_NAME)


def _changed(train: Mapping[str, Any]) -> str:
    """The training settings that differ from the defaults, as ``--set`` takes them (less the
    scripts that ``hangul`` / ``cjk`` set)."""
    implied = {"scripts"} if trainer_name(train) != TRAINER_NAME else set()
    # a setting the run predates ran at its old value (an fp32 run's card says cpu_bf16=False)
    return changed_settings({**SETTINGS_BEFORE, **train}, GlyphStylerConfig(),
                            template="`--set {key}={value}`", skip=implied)


def _cleanup_text(config: Mapping[str, Any]) -> str:
    """The card's words for config.json ``cleanup`` (one for all scripts, or one per script)."""
    from .styler import Cleanup

    def words(c: Cleanup) -> str:
        if not c.active:
            return "none (the network as it draws)"
        parts = [f"median {c.median}"] if c.median > 1 else []
        parts += [f"blur {c.blur} px"] if c.blur > 0 else []
        parts += [f"smoothstep {c.lo}-{c.hi}"] if (c.lo, c.hi) != (0.0, 1.0) else []
        return ", ".join(parts)

    given = Cleanup.per_script(config.get("cleanup"))
    per = {script: given.get(script, Cleanup()) for script in SCRIPTS}
    if len({repr(c.to_config()) for c in per.values()}) == 1:
        return words(per[SCRIPTS[0]])
    return "; ".join(f"{script} {words(c)}" for script, c in per.items())


def _reproduce(config: Mapping[str, Any]) -> str:
    """The card's "Reproduce" line(s): the first phase's command, then one ``--resume`` per later
    phase (the settings it changed, to the step the next phase starts at or the run's end). A
    warm-started run (``init_from``) first gives the lines that made its starting model."""
    first, *later = run_phases(config.get("train", {}), config.get("run", {}))
    model = trainer_name(first.settings)
    undone = ", with the later phases' changes undone" if later else ""
    command = (f"`{train_command(model, max_steps=first.end)}`; settings other than the "
               f"defaults: {_changed(first.settings)} (all of them: config.json \"train\"{undone}).")
    warm = config.get("warm_start")
    if warm:
        made = warm.get("run", {})
        then = (f"- Then a new run warm-started from that model's exported generator "
                f"({made.get('steps')} steps, {made.get('seconds')} s; discriminator and "
                f"optimisers fresh, `init_from` names it): {command}")
        lines = [_reproduce(warm), then]
    else:
        lines = [f"- Reproduce: {command}"]
    for phase in later:
        lines.append(f"- Then, from step {phase.start} ({phase.changes_text()}): "
                     f"`{train_command(model, '--resume', max_steps=phase.end)}` with "
                     f"{_changed(phase.settings)}.")
    return "\n".join(lines)


def _in_all(config: Mapping[str, Any]) -> str:
    """For a warm-started model: the steps and seconds of every run that made it."""
    steps = seconds = 0.0
    runs = 0
    while config:
        run = config.get("run", {})
        steps += run.get("steps") or 0
        seconds += run.get("seconds") or 0
        runs += 1
        config = config.get("warm_start") or {}
    if runs == 1:
        return ""
    return f"; {runs} runs in all (warm starts): {int(steps)} steps, {round(seconds, 1)} s"


def card_for(folder: Path, report: Mapping[str, Any]) -> str:
    """The model card of an exported model with its evaluation figures (``eval --write-card``)."""
    from hwrender.weights import load_config

    return model_card(load_config(folder), report)


def _withheld_text(config: Mapping[str, Any]) -> str:
    withheld = config.get("withheld", {})
    if not withheld:
        return ""
    rows = "".join(f"\n- `{s}`: {why}." for s, why in withheld.items())
    return ("\n\nWithheld as illegible (trained, kept in the table and in the evaluation's figures, "
            f"but not offered: `--style` refuses them and seeded hands leave them out):{rows}\n")


def model_card(config: Mapping[str, Any], report: Mapping[str, Any] | None = None) -> str:
    """The model card: what it is, the fonts and licences, the run, and the eval figures if any."""
    fonts = config.get("fonts", [])
    rows = "\n".join(f"| {f['id']} | {f['script']} | {f['license'] or '?'} | "
                     f"{'held out (eval only)' if f['holdout'] else 'trained'} | {f['url']} |"
                     for f in fonts)
    m = config["model"]
    run = config.get("run", {})
    held = config.get("heldout_chars", {})
    source = config.get("source_font", {})
    text = f"""# {WEIGHTS_NAME}: U-Net glyph styler for Hangul and Han

A zi2zi-style image-to-image network (after kaonashi-tyc/zi2zi and jeina7/Handwriting_styler): it
redraws a glyph of the bundled source font ({source.get('file')}, {source.get('license') or
'licence of the given font'}) in one of {len(config['styles'])} handwriting styles, one per
training font. {m['image_size']}x{m['image_size']} px; U-Net with ngf {m['ngf']} and a
{m['embed_dim']}-d learned style embedding at the bottleneck; decoder dropout gives the variation.

Styles: {', '.join(f'`{s}`' for s in config['styles'] if s not in config.get('withheld', {}))}.{_withheld_text(config)}
Defaults: {', '.join(f'{k} `{v}`' for k, v in config.get('default_styles', {}).items())}{
f" (chosen by {config['default_styles_chosen_by']})" if config.get('default_styles_chosen_by') else ''}.
Variation (decoder dropout scale at inference, 0 gives every copy of a character the same
glyph): {config.get('variation', 1.0)}.
Output cleanup (fitted by `scripts/choose_glyph_styles.py --fit-cleanup`): {_cleanup_text(config)}.
Every style on one sentence, next to the font it learnt from: [styles.png](styles.png) (drawn
by `python scripts/glyph_styler_styles.py --weights THIS_FOLDER` in the hwrender repository).

## Training
- {run.get('pairs')} (source, target) glyph pairs; {len(held.get('Hang', ''))} Hangul and
  {len(held.get('Hani', ''))} Han characters held out of every font (listed in config.json).
- {run.get('steps')} steps, {run.get('epochs')} epochs, {run.get('seconds')} s on
  {run.get('hardware')}{_in_all(config)}.
{_reproduce(config)}

## Fonts and licences
The weights were trained on renderings of these fonts; no font file is included.

| font | script | licence | use | source |
| --- | --- | --- | --- | --- |
{rows}
"""
    for ft in config.get("finetuned", []):
        text += (f"\nStyle `{ft['style']}` was fine-tuned from {ft['from']} on {ft['glyphs']} "
                 f"glyph images{' (decoder too)' if ft.get('decoder') else ''}: {ft['steps']} "
                 f"steps, {ft['seconds']} s.\n")
    text += "\n## Evaluation\n"
    if not report:
        return text + f"Run `hwrender eval {TRAINER_NAME} --weights THIS_FOLDER --write-card`.\n"
    notes = "".join(f"\n- {n}" for n in report.get("notes", []))
    return text + "\n".join(figures_table(report, spaced_rule=True)) + "\n" + \
        (f"\nNotes:{notes}\n" if notes else "")

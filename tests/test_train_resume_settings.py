"""--resume across a setting added to a task's config after its checkpoint was written (issue 31).

The old run behaved as the new setting's default does: resuming at the default is no change, and a
setting the task lets a resume change (``resume_may_change``) can be switched on for the rest of
the run, recorded as a phase like any other change.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pytest
import torch
from test_train_loop import ToyConfig, ToyTask, _opts

from hwrender.errors import UsageError
from hwrender.train.loop import load_checkpoint, train

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@dataclass
class NewerConfig(ToyConfig):
    """ToyConfig with two settings added since the checkpoint: one a resume may change, one not."""

    boost: bool = False  # scales the learning rate by 2 when on
    shape: int = 3  # a setting no resume may change


class NewerTask(ToyTask):
    resume_may_change = frozenset({"lr", "boost"})

    def train_step(self, batch, step):
        for group in self.opt.param_groups:
            group["lr"] = self.config.lr * (2 if self.config.boost else 1)
        return super().train_step(batch, step)


def _old_run(tmp_path):
    train(ToyTask(), _opts(tmp_path, max_steps=4), progress=False)
    assert "boost" not in load_checkpoint(tmp_path / "run" / "checkpoint.pt")["run"]["config"]


def test_a_new_setting_at_its_default_resumes_as_no_change(tmp_path):
    _old_run(tmp_path)
    messages: list[str] = []
    summary = train(NewerTask(NewerConfig()), _opts(tmp_path, max_steps=8, resume=True),
                    progress=False, log=messages.append)
    assert summary.steps == 8 and summary.phases == []
    assert not any("changed settings" in m for m in messages)
    # and it matches a run that had the setting from the start (same steps, same draws)
    fresh = train(NewerTask(NewerConfig()), _opts(tmp_path, out=tmp_path / "fresh", max_steps=8),
                  progress=False)
    assert fresh.last_metrics == summary.last_metrics


def test_a_new_setting_a_resume_may_change_can_be_switched_on(tmp_path):
    _old_run(tmp_path)
    messages: list[str] = []
    summary = train(NewerTask(NewerConfig(boost=True)), _opts(tmp_path, max_steps=8, resume=True),
                    progress=False, log=messages.append)
    assert "resumed with changed settings: boost False -> True" in messages
    phase = {"step": 4, "set": {"boost": True}, "was": {"boost": False}}
    assert summary.phases == [phase]
    payload = load_checkpoint(tmp_path / "run" / "checkpoint.pt")
    assert payload["phases"] == [phase] and payload["run"]["config"]["boost"] is True
    assert payload["task_state"]["opt"]["param_groups"][0]["lr"] == pytest.approx(0.1)


def test_a_new_setting_no_resume_may_change_must_stay_at_its_default(tmp_path):
    _old_run(tmp_path)
    with pytest.raises(UsageError, match="different run"):
        train(NewerTask(NewerConfig(shape=4)), _opts(tmp_path, max_steps=8, resume=True),
              progress=False)


def test_a_setting_left_out_of_the_run_key_at_its_default_can_be_switched_off(tmp_path):
    """A task may leave a setting out of its run key while it is at its default (the glyph
    styler does for cpu_bf16); a run started with it on resumes with it off."""

    class Omitting(NewerTask):
        def config_dict(self):
            config = super().config_dict()
            if not config["boost"]:
                del config["boost"]
            return config

    train(Omitting(NewerConfig(boost=True)), _opts(tmp_path, max_steps=4), progress=False)
    summary = train(Omitting(NewerConfig()), _opts(tmp_path, max_steps=8, resume=True),
                    progress=False)
    assert summary.phases == [{"step": 4, "set": {"boost": False}, "was": {"boost": True}}]


@dataclass
class BoostedConfig(NewerConfig):
    boost: bool = True  # the default changed since the setting was added


class BoostedTask(NewerTask):
    settings_before = {"boost": False}


def test_a_setting_whose_default_changed_reads_old_run_keys_as_its_old_value(tmp_path):
    """A checkpoint from before a setting existed ran as the setting's old value
    (``settings_before``), not as today's default: resuming at the new default is a change,
    recorded as a phase; at the old value it is none."""
    _old_run(tmp_path)
    summary = train(BoostedTask(BoostedConfig(boost=False)),
                    _opts(tmp_path, max_steps=6, resume=True), progress=False)
    assert summary.phases == []
    summary = train(BoostedTask(BoostedConfig()), _opts(tmp_path, max_steps=8, resume=True),
                    progress=False)
    assert summary.phases == [{"step": 6, "set": {"boost": True}, "was": {"boost": False}}]

    class Strict(BoostedTask):  # a setting no resume may change cannot be switched either
        resume_may_change = frozenset({"lr"})

    _old_run(tmp_path / "again")
    with pytest.raises(UsageError, match="different run"):
        train(Strict(BoostedConfig()), _opts(tmp_path / "again", max_steps=8, resume=True),
              progress=False)


def test_glyph_styler_resume_switches_cpu_bf16_on(tmp_path):
    """A glyph styler checkpoint from before cpu_bf16 (or with it off: the run key leaves it out)
    goes on with bf16 autocast when resumed with the default (on since), and the card's phases
    say so; resumed with it off, it is the same run."""
    from test_glyph_styler import HANG, HANI, make_font
    from hwrender_plugins.glyph_styler.task import build_task

    corpus = tmp_path / "corpus"
    make_font(corpus / "Hang" / "hand-a.ttf", HANG, 1)
    make_font(corpus / "Hani" / "brush-c.ttf", HANI, 3)
    source = make_font(tmp_path / "source.ttf", HANG + HANI, 0)
    options = ["variant=tiny", f"source_font={source}"]
    opts = _opts(tmp_path, data=corpus, max_steps=2, checkpoint_every=100)
    train(build_task([*options, "cpu_bf16=false"]), opts, progress=False)
    assert "cpu_bf16" not in load_checkpoint(opts.out / "checkpoint.pt")["run"]["config"]
    summary = train(build_task([*options, "cpu_bf16=false"]),
                    dataclasses.replace(opts, max_steps=3, resume=True), progress=False)
    assert summary.phases == []
    task = build_task(options)  # the default
    summary = train(task, dataclasses.replace(opts, max_steps=4, resume=True), progress=False)
    assert summary.phases == [{"step": 3, "set": {"cpu_bf16": True}, "was": {"cpu_bf16": False}}]
    assert all(torch.isfinite(torch.tensor(v)) for v in summary.last_metrics.values())

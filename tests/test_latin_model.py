"""The Latin word GAN: shapes and masks, CTC decoding, training steps, export, the generator."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from hwrender_plugins.latin import words as W
from hwrender_plugins.latin.model import (
    CharPatchDiscriminator,
    Discriminator,
    NetConfig,
    PatchDiscriminator,
    Recognizer,
    WordGenerator,
    column_mask,
    ctc_loss,
    greedy_decode,
    jitter_words,
    widen_base,
)
from hwrender_plugins.latin.task import LatinTask, build_task

from hwrender.errors import UsageError
from hwrender.train import RunContext
from hwrender.train.loop import LoopOptions, TrainingInterrupted, train

CAVEAT = Path(__file__).resolve().parents[1] / "plugins" / "font" / "fonts" / "Caveat-Regular.ttf"
WORDS = ["hat", "sea", "dog", "pen", "word", "blue", "note", "quiz", "zebra", "lemon", "Jump!",
         "café", "Zoë", "über", "1984", "ox"]


@pytest.fixture(scope="module")
def tiny_data():
    """Caveat writes 16 short words, three times each (augmented)."""
    from hwrender_plugins.latin.dataset import build_words
    from hwrender_plugins.latin.render import Augment

    return build_words({"caveat": CAVEAT}, WORDS * 3, per_font=48, seed=0, augment=Augment(),
                       log=lambda m: None)


def tiny(data, *options: str) -> LatinTask:
    task = build_task(["variant=tiny", "r_steps=2", *options])
    task._given = data
    return task


def test_shapes_and_masks_for_a_variable_length_batch():
    cfg = NetConfig(vocab=len(W.CHARSET) + 1, g_ch=4, d_ch=4, r_ch=4, r_hidden=8)
    g, d, r = WordGenerator(cfg).eval(), Discriminator(cfg), Recognizer(cfg)
    text, lengths = W.encode(["a", "word", "longest"])
    assert text.shape == (3, 7) and lengths.tolist() == [1, 4, 7] and int(text[0, 1]) == 0
    x = g(text, lengths, torch.randn(3, cfg.z_dim))
    assert x.shape == (3, 1, 32, 16 * 7) and x.min() >= -1 and x.max() <= 1
    # past each word's end the image is blank paper (-1), and the text there changes nothing
    assert torch.all(x[0, :, :, 16:] == -1) and torch.all(x[1, :, :, 64:] == -1)
    assert x[1, :, :, :64].max() > -1
    mask = column_mask(lengths, 16, 112)
    assert mask.shape == (3, 1, 1, 112) and mask[1].sum() == 64
    # a padded word comes out as it does alone (the BiLSTM is packed; batch norm in eval mode)
    alone = g(*W.encode(["word"]), torch.zeros(1, cfg.z_dim))
    padded = g(text, lengths, torch.zeros(3, cfg.z_dim))
    assert torch.allclose(alone[0], padded[1, :, :, :64], atol=1e-5)
    assert d(x).shape == (3,) and d(x, lengths).shape == (3,)
    patch = PatchDiscriminator(cfg)
    scores = patch(x, lengths * 16)
    assert scores.shape == (3, 8 * 28)  # one score a 4 x 4 px cell of the 32 x 112 image
    # patches past a word's end score 0 (left out of the hinge loss's signal)
    cells = scores.view(3, 8, 28)
    assert torch.all(cells[0, :, 4:] == 0) and torch.all(cells[1, :, 16:] == 0)
    assert cells[2].abs().sum() > 0
    log_probs = r(x)
    assert log_probs.shape == (28, 3, cfg.vocab)  # W/4 frames, time-major
    assert torch.allclose(log_probs.exp().sum(2), torch.ones(28, 3), atol=1e-4)


def test_greedy_ctc_decoding_merges_repeats_and_drops_blanks():
    # frames: h h - e l - l l o -  → "hello"
    path = [W.char_index()[c] if c != "-" else 0 for c in "hh-el-llo-"]
    log_probs = torch.full((len(path), 1, len(W.CHARSET) + 1), -20.0)
    for t, k in enumerate(path):
        log_probs[t, 0, k] = 0.0
    assert W.decode(greedy_decode(log_probs)[0]) == "hello"
    text, lengths = W.encode(["hello"])
    frames = torch.tensor([len(path)])
    assert ctc_loss(log_probs, text, lengths, frames) < 0.01
    wrong, _ = W.encode(["help!"])
    assert ctc_loss(log_probs, wrong, lengths, frames) > 1.0


def test_recognizer_learns_to_read_known_images(tiny_data):
    """A tiny CRNN overfits four rendered words and then reads them back exactly."""
    torch.manual_seed(0)
    pick = [tiny_data.texts.index(w) for w in ("hat", "sea", "dog", "pen")]
    x = torch.from_numpy(tiny_data.batch(pick)).float().div(127.5).sub(1).unsqueeze(1)
    text, lengths = W.encode([tiny_data.texts[i] for i in pick])
    r = Recognizer(NetConfig(vocab=len(W.CHARSET) + 1, r_ch=8, r_hidden=32))
    opt = torch.optim.Adam(r.parameters(), 3e-3)
    for _ in range(300):
        lp = r(x)
        loss = ctc_loss(lp, text, lengths, torch.full((4,), lp.shape[0]))
        opt.zero_grad()
        loss.backward()
        opt.step()
    r.eval()
    with torch.no_grad():
        read = [W.decode(s) for s in greedy_decode(r(x))]
    assert read == ["hat", "sea", "dog", "pen"]


@pytest.mark.parametrize("widths", ["uniform", "classes"])
def test_batches_hold_one_word_width_each(tiny_data, tmp_path, widths):
    task = tiny(tiny_data, f"widths={widths}")
    task.setup(RunContext(out=tmp_path, device="cpu", seed=0, batch_size=4))
    batches = task.batches(0, torch.Generator().manual_seed(0), 4)
    width = task.net_config.width
    assert all(len({width(tiny_data.texts[i]) for i in b.tolist()}) == 1 for b in batches)
    if widths == "uniform":  # one width is one length
        assert all(len({len(tiny_data.texts[i]) for i in b.tolist()}) == 1 for b in batches)
    seen = sorted(i for b in batches for i in b.tolist())
    assert len(seen) == len(set(seen)) >= len(tiny_data) - 3 * 8  # small remainders dropped
    # the real words come at their batch's width, resized from the canonical one
    for b in batches:
        x, text, lengths = task._batch(b)
        assert x.shape[3] == width(tiny_data.texts[int(b[0])])
        assert [W.decode(t[:n]) for t, n in zip(text.tolist(), lengths.tolist())] == \
            [tiny_data.texts[i] for i in b.tolist()]


def test_width_classes_give_narrow_and_wide_letters_their_own_slots():
    narrow, wide = W.width_classes()
    assert {"i", "l", ".", "í", "ł"} <= set(narrow) and not {"n", "m", "o"} & set(narrow)
    assert {"m", "w", "M", "W", "ŵ"} <= set(wide) and not {"n", "o", "i"} & set(wide)
    assert W.slot_width("nun", narrow, wide) == 48 == W.slot_width("nun")
    assert W.slot_width("mil", narrow, wide) == 24 + 8 + 8
    cfg = NetConfig(vocab=len(W.CHARSET) + 1, g_ch=4, d_ch=4, r_ch=4, r_hidden=8, narrow=narrow,
                    wide=wide)
    g = WordGenerator(cfg).eval()
    words = ["minimum", "i", "hello", "Wow!"]
    z = torch.randn(len(words), cfg.z_dim)
    x = g(*W.encode(words), z)
    assert x.shape == (4, 1, 32, cfg.width("minimum")) and cfg.width("minimum") == 120
    for k, word in enumerate(words):
        # each word alone is what the mixed batch drew for it, and paper past its width
        alone = g(*W.encode([word]), z[k:k + 1])
        assert alone.shape[3] == cfg.width(word)
        assert torch.allclose(alone[0], x[k, :, :, :cfg.width(word)], atol=1e-5)
        assert torch.all(x[k, :, :, cfg.width(word):] == -1)
    widths = torch.tensor([cfg.width(w) for w in words])
    # the discriminator's mask leaves the columns past a padded word's width out of its score
    # (training never needs it: every batch is one width)
    d = Discriminator(cfg).eval()  # eval: spectral norm's power iteration stands still
    scores, masked = d(x), d(x, widths)
    assert masked.shape == (4,) and torch.allclose(scores[0], masked[0])  # the widest: no padding
    assert not torch.allclose(scores[1], masked[1])  # "i": 8 px of 120


def test_a_uniform_model_fine_tunes_into_width_classes(tiny_data, tmp_path):
    """``widen_base``: a uniform model's weights in a width-class generator draw words of normal
    characters exactly as before; fine-tuning a uniform export into classes loads them so."""
    narrow, wide = W.width_classes()
    base = dict(vocab=len(W.CHARSET) + 1, g_ch=4, d_ch=4, r_ch=4, r_hidden=8)
    old = WordGenerator(NetConfig(**base)).eval()
    new = WordGenerator(NetConfig(**base, narrow=narrow, wide=wide)).eval()
    state = old.state_dict()
    state["base.weight"], state["base.bias"] = widen_base(state["base.weight"], state["base.bias"],
                                                          old.base_h)
    new.load_state_dict(state)
    z = torch.randn(2, old.cfg.z_dim)
    text = W.encode(["hand", "so"])
    assert torch.allclose(old(*text, z), new(*text, z), atol=1e-5)
    # through the trainer: a uniform run's export, fine-tuned with classes
    summary = train(tiny(tiny_data, "widths=uniform"), _opts(tmp_path / "u"), progress=False)
    task = tiny(tiny_data)
    task.setup(RunContext(out=tmp_path / "c", device="cpu", seed=0, batch_size=4,
                          finetune=str(summary.model)))
    assert task.net_config.classes and 2 * task.G.base.weight.shape[0] == 3 * old.base.weight.shape[0]


def test_fresh_recognizer_fine_tunes_the_generator_but_not_the_old_recognizer(tiny_data, tmp_path):
    """``--finetune`` loads the model's generator and recognizer; ``fresh_recognizer=true`` the
    generator alone (the recognizer starts as a new run's)."""
    summary = train(tiny(tiny_data), _opts(tmp_path / "a"), progress=False)
    kept, fresh = (tiny(tiny_data, *opts) for opts in ((), ("fresh_recognizer=true",)))
    for task, out in ((kept, "k"), (fresh, "f")):
        torch.manual_seed(0)
        task.setup(RunContext(out=tmp_path / out, device="cpu", seed=0, batch_size=4,
                              finetune=str(summary.model)))
    for (k, a), b in zip(kept.G.state_dict().items(), fresh.G.state_dict().values()):
        assert torch.equal(a, b), k
    torch.manual_seed(0)
    new = tiny(tiny_data)
    new.setup(RunContext(out=tmp_path / "n", device="cpu", seed=0, batch_size=4))
    trained = {k: v for k, v in kept.R.state_dict().items() if v.is_floating_point()}
    started = {k: v for k, v in fresh.R.state_dict().items() if v.is_floating_point()}
    assert any(not torch.equal(v, started[k]) for k, v in trained.items())
    assert all(torch.equal(v, started[k]) for k, v in new.R.state_dict().items()
               if v.is_floating_point())


def test_fresh_recognizer_without_finetune_is_a_usage_error_but_resumes(tiny_data, tmp_path):
    """``fresh_recognizer=true`` changes only a ``--finetune`` run: on a new run it is a usage
    error that leaves no folder; a ``--finetune`` run with it continues with ``--resume`` and no
    ``--finetune`` (its checkpoint holds every module)."""
    with pytest.raises(UsageError, match="fresh_recognizer") as err:
        train(tiny(tiny_data, "fresh_recognizer=true"), _opts(tmp_path / "x"), progress=False)
    assert "--finetune" in err.value.hint
    assert not (tmp_path / "x").exists()
    base = train(tiny(tiny_data), _opts(tmp_path / "a"), progress=False)
    run = _opts(tmp_path / "f", max_steps=3, finetune=str(base.model))
    train(tiny(tiny_data, "fresh_recognizer=true"), run, progress=False)
    again = _opts(tmp_path / "f", max_steps=6, resume=True)
    assert train(tiny(tiny_data, "fresh_recognizer=true"), again, progress=False).steps == 6


def test_training_steps_move_the_losses_and_the_weights(tiny_data, tmp_path):
    task = tiny(tiny_data)
    task.setup(RunContext(out=tmp_path, device="cpu", seed=0, batch_size=4))
    batch = max(task.batches(0, torch.Generator().manual_seed(0), 8), key=len)
    r_before = {k: v.clone() for k, v in task.R.state_dict().items()}
    first = task.train_step(batch, 0)
    assert set(first) == {"r_ctc", "r_cer"}  # the recognizer phase
    for _ in range(5):
        later = task.train_step(batch, 1)
    assert later["r_ctc"] < first["r_ctc"]
    assert any(not torch.equal(v, r_before[k]) for k, v in task.R.state_dict().items())
    g_before = {k: v.clone() for k, v in task.G.state_dict().items()}
    d_before = {k: v.clone() for k, v in task.D.state_dict().items()}
    # what one recognizer step on the real batch alone does, from the same state
    import copy

    alone = copy.deepcopy(task)
    torch.manual_seed(5)  # the same jitter of the real batch (r_jitter) in both
    alone._recognizer_step(*alone._batch(batch))
    torch.manual_seed(5)
    gan = task.train_step(batch, 2)  # the GAN phase
    assert set(gan) >= {"d", "g_adv", "ctc", "ctc_scale", "fake_cer", "pair_l1"}
    assert all(np.isfinite(v) for v in gan.values()) and gan["ctc_scale"] > 0
    for old, module in ((g_before, task.G), (d_before, task.D)):
        assert any(v.is_floating_point() and not torch.equal(v, old[k])
                   for k, v in module.state_dict().items())
    # the recognizer learns from real words only: its GAN-phase update is exactly a step on the
    # real batch, with nothing from the generated words
    assert all(torch.equal(v, alone.R.state_dict()[k]) for k, v in task.R.state_dict().items())
    # the patch critic trains through the same step: per-patch hinge loss, both nets move
    patch = tiny(tiny_data, "d_arch=patch")
    patch.setup(RunContext(out=tmp_path / "p", device="cpu", seed=0, batch_size=4))
    assert isinstance(patch.D, PatchDiscriminator)
    d_before = {k: v.clone() for k, v in patch.D.state_dict().items()}
    g_before = {k: v.clone() for k, v in patch.G.state_dict().items()}
    out = patch.train_step(batch, 2)
    assert np.isfinite(out["d"]) and 0 < out["d"]
    for old, module in ((g_before, patch.G), (d_before, patch.D)):
        assert any(v.is_floating_point() and not torch.equal(v, old[k])
                   for k, v in module.state_dict().items())
    # so does the character-conditioned critic, which reads the texts of both batches
    char = tiny(tiny_data, "d_arch=char")
    char.setup(RunContext(out=tmp_path / "c", device="cpu", seed=0, batch_size=4))
    assert isinstance(char.D, CharPatchDiscriminator)
    d_before = {k: v.clone() for k, v in char.D.state_dict().items()}
    out = char.train_step(batch, 2)
    assert np.isfinite(out["d"]) and 0 < out["d"]
    assert any(v.is_floating_point() and not torch.equal(v, d_before[k])
               for k, v in char.D.state_dict().items())
    frozen = tiny(tiny_data, "r_online=false")
    frozen.setup(RunContext(out=tmp_path / "f", device="cpu", seed=0, batch_size=4))
    before = {k: v.clone() for k, v in frozen.R.state_dict().items()}
    frozen.train_step(batch, 2)
    assert all(torch.equal(v, before[k]) for k, v in frozen.R.state_dict().items())


def test_ctc_gradient_is_rescaled_to_the_adversarial_spread(tiny_data, tmp_path):
    """ctc_ratio=0 leaves only the adversarial gradient; the CTC part changes the update."""
    results = {}
    for ratio in (0.0, 1.0):
        torch.manual_seed(0)
        task = tiny(tiny_data, f"ctc_ratio={ratio}")
        task.setup(RunContext(out=tmp_path / str(ratio), device="cpu", seed=0, batch_size=8))
        batch = max(task.batches(0, torch.Generator().manual_seed(0), 8), key=len)
        torch.manual_seed(1)
        task.train_step(batch, 5)
        results[ratio] = {k: v.clone() for k, v in task.G.state_dict().items()}
    assert any(not torch.equal(results[0.0][k], results[1.0][k]) for k in results[0.0])


def test_a_gradient_spike_is_clipped_to_the_running_mean(tiny_data, tmp_path):
    task = tiny(tiny_data, "g_clip=3")
    task.setup(RunContext(out=tmp_path, device="cpu", seed=0, batch_size=8))
    params = [p for p in task.G.parameters()]

    def set_grads(scale):
        for p in params:
            p.grad = torch.full_like(p, scale)
        return float(torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in params])))

    first = set_grads(1.0)
    assert task._clip_generator(3.0) == pytest.approx(first)  # the first step only sets the mean
    assert task.g_norm == pytest.approx(first)
    spike = set_grads(100.0)
    assert task._clip_generator(3.0) == pytest.approx(spike, rel=1e-4)
    after = float(torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in params])))
    assert after == pytest.approx(3.0 * first, rel=1e-4)
    assert task.g_norm == pytest.approx(0.99 * first + 0.01 * 3.0 * first)
    # a GAN step reports the norm, and the running mean travels with the checkpoint
    batch = max(task.batches(0, torch.Generator().manual_seed(0), 8), key=len)
    assert "g_norm" in task.train_step(batch, 5)
    assert task.state_dict()["g_norm"] == task.g_norm


def _opts(tmp_path, **kw):
    base = dict(out=tmp_path / "run", batch_size=8, max_steps=6, checkpoint_every=3, log_every=1)
    base.update(kw)
    return LoopOptions(**base)


def test_resume_continues_the_same_run(tiny_data, tmp_path):
    train(tiny(tiny_data), _opts(tmp_path, out=tmp_path / "a"), progress=False)

    def stop(step, losses):
        if step == 4:
            import os
            import signal

            os.kill(os.getpid(), signal.SIGINT)

    broken = _opts(tmp_path, out=tmp_path / "b")
    with pytest.raises(TrainingInterrupted):
        train(tiny(tiny_data), broken, progress=False, on_step=stop)
    broken.resume = True
    train(tiny(tiny_data), broken, progress=False)
    from safetensors.torch import load_file

    a = load_file(str(tmp_path / "a" / "model" / "model.safetensors"))
    b = load_file(str(tmp_path / "b" / "model" / "model.safetensors"))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_export_round_trip_and_the_generator(tiny_data, tmp_path):
    from hwrender_plugins.latin.generator import LatinGenerator

    summary = train(tiny(tiny_data), _opts(tmp_path), progress=False)
    folder = Path(summary.model)
    config = json.loads((folder / "config.json").read_text())
    assert config["charset"] == W.CHARSET and 0.2 < config["width_ratio"] < 2.0
    curve = config["ink_curve"]  # fitted at export: monotone, paper stays paper
    assert len(curve) == 17 and curve[0] == 0.0 and curve[-1] == 1.0
    assert all(a <= b for a, b in zip(curve, curve[1:]))
    assert (tmp_path / "run" / "samples" / "final.png").is_file()
    card = (folder / "README.md").read_text()
    assert "latin" in card
    # the card names the settings the run changed, as --set takes them (tiny() sets these two)
    assert "settings other than the defaults: `variant=tiny`, `r_steps=2`" in card

    gen = LatinGenerator(weights_dir=str(folder))
    # the exported float16 generator reproduces the trained EMA generator
    state = torch.load(tmp_path / "run" / "checkpoint.pt", weights_only=True)["task_state"]["G_ema"]
    net = WordGenerator(gen.net_config)
    net.load_state_dict(state)
    net.eval()
    text, lengths = W.encode(["word"])
    z = torch.randn(1, gen.net_config.z_dim)
    with torch.no_grad():
        assert torch.allclose(net(text, lengths, z), gen.net(text, lengths, z), atol=3e-2)

    words = ["a", "longer", "wörds,"]
    inks = gen.generate(words, None, seed=3)
    assert [i.text for i in inks] == words
    # trimmed to their ink around the training frame's baseline, and back in that frame whole
    from hwrender_plugins.latin.generator import framed

    assert all(0 <= i.baseline <= i.height <= W.HEIGHT for i in inks)
    assert all(framed(i).shape[0] == W.HEIGHT and framed(i).sum() == pytest.approx(i.alpha.sum())
               for i in inks)
    again = gen.generate(words, None, seed=3)
    assert all(np.array_equal(p.alpha, q.alpha) for p, q in zip(inks, again))
    assert not all(np.array_equal(p.alpha, q.alpha)
                   for p, q in zip(inks, gen.generate(words, "7", seed=3)))
    assert not all(np.array_equal(p.alpha, q.alpha)
                   for p, q in zip(inks, gen.generate(words, None, seed=4)))
    with pytest.raises(UsageError, match="no style"):
        gen.generate(words, "neat", seed=3)

    # each hand goes through the exported ink cap: probe words of one length, a share of ink
    cap = config["ink_cap"]
    assert len({len(w) for w in cap["words"]}) == 1 and 0 < cap["share"] < 1
    assert cap["words"][0] in tiny_data.texts
    gen.ink_cap, gen._hand_levels = None, {}
    uncapped = np.concatenate([p.ravel() for p in gen.raw(words, None, seed=3)])
    gen.ink_cap = {**cap, "share": 0.25 * float(np.mean(uncapped > 0.5))}  # a quarter of its ink
    capped = np.concatenate([p.ravel() for p in gen.raw(words, None, seed=3)])
    assert gen.hand_level(None) is not None and 0 < np.mean(capped > 0.5) < np.mean(uncapped > 0.5)
    assert np.array_equal(capped == 0, uncapped == 0)  # paper stays paper

    # the words are drawn through the model's ink curve: a curve of paper leaves no ink
    gen.ink_curve = torch.zeros(17)
    assert all(p.max() == 0 for p in gen.raw(words, None, seed=3))


def test_the_ink_curve_maps_generated_ink_onto_the_real_distribution():
    from hwrender_plugins.latin.generator import apply_ink_curve, fit_ink_curve

    rng = np.random.default_rng(0)
    real = np.where(rng.random(20_000) < 0.7, 0.0, rng.random(20_000))  # paper and ink levels
    heavy = np.sqrt(real)  # the same shapes drawn darker
    curve = fit_ink_curve(real, heavy)
    assert curve[0] == 0.0 and curve[-1] == 1.0 and all(a <= b for a, b in zip(curve, curve[1:]))
    assert curve[8] < 0.4  # mid-grey (0.5) comes down toward 0.25, where sqrt put it
    mapped = apply_ink_curve(torch.from_numpy(heavy).float(), torch.tensor(curve))
    assert abs(float(mapped.mean()) - real.mean()) < 0.1 * abs(heavy.mean() - real.mean())
    same = fit_ink_curve(real, real)
    assert max(abs(y - x) for x, y in zip(np.linspace(0, 1, 17), same)) < 0.05
    identity = torch.linspace(0, 1, 5)
    x = torch.tensor([0.0, 0.1, 0.5, 0.99, 1.0])
    assert torch.allclose(apply_ink_curve(x, identity), x)
    assert torch.allclose(apply_ink_curve(x, torch.tensor([0.0, 0.0, 0.2, 0.6, 1.0])),
                          torch.tensor([0.0, 0.0, 0.2, 0.984, 1.0]))
    assert apply_ink_curve(x, None) is x


def test_the_hand_ink_cap_lightens_only_heavy_hands():
    from hwrender_plugins.latin.generator import apply_hand_level, hand_ink_level

    rng = np.random.default_rng(0)
    hand = np.where(rng.random(50_000) < 0.6, 0.0, rng.random(50_000))  # 40 % ink levels
    heavy_share = float(np.mean(hand > 0.5))  # ~0.2
    assert hand_ink_level(hand, heavy_share + 0.01) is None  # light enough: left alone
    level = hand_ink_level(hand, 0.1)
    assert 0.5 < level < 1
    mapped = apply_hand_level(torch.from_numpy(hand).float(), level)
    assert abs(float((mapped > 0.5).float().mean()) - 0.1) < 0.005  # now inks the capped share
    x = torch.tensor([0.0, 0.25, level, 1.0])
    assert torch.allclose(apply_hand_level(x, level), torch.tensor([0.0, 0.125 / level, 0.5, 1.0]))
    assert apply_hand_level(x, None) is x
    assert torch.all(torch.diff(apply_hand_level(torch.linspace(0, 1, 101), level)) >= 0)


def test_rare_letters_are_drawn_more_often(tiny_data, tmp_path):
    from hwrender_plugins.latin.task import rare_weights

    texts = ["the", "then", "ten", "hex", "Wet", "éth"]
    assert rare_weights(texts, 0, 8.0) is None
    w = rare_weights(texts, 4, 3.0).tolist()
    # 't', 'h', 'e' are in 4 or 5 words (weight 1); 'n' in two (4 / 2); 'x', 'W' in one (4 / 1,
    # capped at 3); 'é' is not an ASCII letter, so "éth" counts 'h', its rarest ASCII letter
    assert w == [1.0, 2.0, 2.0, 3.0, 3.0, 1.0]
    task = tiny(tiny_data, "rare_target=4")
    task.setup(RunContext(out=tmp_path, device="cpu", seed=0, batch_size=2))
    weights = task.weights.numpy()
    assert weights.max() >= 2 * weights.min()
    counts = np.zeros(len(tiny_data))
    g = torch.Generator().manual_seed(0)
    for epoch in range(40):
        for b in task.batches(epoch, g, 2):
            assert len({len(tiny_data.texts[i]) for i in b.tolist()}) == 1
            np.add.at(counts, b.numpy(), 1)
    most, least = weights == weights.max(), weights == weights.min()
    assert counts[most].mean() > 1.5 * counts[least].mean()


def test_bad_settings_are_one_line_usage_errors():
    with pytest.raises(UsageError, match="variant"):
        build_task(["variant=huge"])
    with pytest.raises(UsageError, match="unknown setting"):
        build_task(["g_width=3"])
    with pytest.raises(UsageError, match="widths=classes"):
        build_task(["widths=proportional"])
    with pytest.raises(UsageError, match="d_arch=patch") as bad:
        build_task(["d_arch=stylegan"])
    assert bad.value.one_line() == ("unknown d_arch 'stylegan' (use d_arch=resnet, d_arch=patch "
                                    "or d_arch=char)")


def test_a_trained_model_writes_a_page_and_longer_words_are_wider(tiny_data, tmp_path):
    """Through the public API, as `hwrender write -g Latn=latin --weights DIR` does."""
    from hwrender_plugins.latin.generator import LatinGenerator
    from PIL import Image

    import hwrender

    summary = train(tiny(tiny_data), _opts(tmp_path), progress=False)
    gen = LatinGenerator(weights_dir=summary.model)
    short, long = gen.generate(["cat", "encyclopedia"], None, seed=0)
    assert long.width > 2 * short.width
    out = tmp_path / "page.png"
    hwrender.write("Hello World, this is hwrender: naïve café, 1984.", out, seed=1,
                   generators={"Latn": "latin", "Zyyy": "latin"}, weights=summary.model)
    page = np.asarray(Image.open(out).convert("L"))
    assert (page < 235).mean() > 0.001  # an untrained tiny model writes faint grey ink


def test_eval_reports_finite_figures_and_reads_the_models_own_words(tiny_data, tmp_path,
                                                                    monkeypatch):
    from hwrender_plugins.latin import dataset
    from hwrender_plugins.latin import evaluate as E

    monkeypatch.setenv("HWRENDER_DATA_DIR", str(tmp_path / "cache"))
    folder = Path(train(tiny(tiny_data), _opts(tmp_path), progress=False).model)
    asked = []

    def built_words(data_dir, per_font, seed, log=print, augment="full", **kw):
        asked.append(augment)  # the augmentation picks the word set, and so the judge
        return tiny_data, tiny_data.subset(range(0, len(tiny_data), 3))

    monkeypatch.setattr(dataset, "training_set", built_words)
    small = ["words=12", "styles=2", "diversity_words=4", "ocr_lines=2", "judge_steps=3",
             "judge_batch=4", "judge_width=4", "tokens=off"]  # tokens: test_latin_tokens.py
    report = E.evaluate(folder, options=small)
    assert asked == ["light"]  # the model's own (LatinConfig.augment)
    E.evaluate(folder, options=small + ["augment=full"])
    assert asked == ["light", "full"]
    values = {f["name"]: f["value"] for f in report["figures"]}
    assert 0 <= values["recognizer CER, generated out-of-vocabulary words"] <= 2
    assert np.isfinite(values["FID, generated vs real held-out words (recognizer features)"])
    assert any(name.startswith("diversity") for name in values)
    numbers = [v for v in values.values() if isinstance(v, float)]
    assert all(np.isfinite(v) for v in numbers), values  # no figure of nothing (NaN)
    assert list((tmp_path / "cache").glob("latin-judge-*.safetensors"))  # cached for next time


def test_tesseract_rounds_write_each_line_with_other_hands_and_average_them(monkeypatch):
    from hwrender_plugins.latin import evaluate as E

    from hwrender.ink import InkImage

    calls = []

    class Hands:  # a stand-in generator: one ink image a word, recording the hand and seed
        def generate(self, line, style, seed, device="cpu"):
            calls.append((" ".join(line), style, seed))
            alpha = np.zeros((W.HEIGHT, 8), np.float32)
            return [InkImage(alpha, baseline=float(W.BASELINE), x_height=float(W.X_HEIGHT),
                             advance=8.0, text=w) for w in line]

    reads = iter(["ab cd", "", "ab cx", "ef gh", "ef gh", "ef gh"])  # line 1 round 2: empty
    monkeypatch.setattr(E.shutil, "which", lambda name: "/usr/bin/tesseract")
    monkeypatch.setattr(E, "tesseract_langs", lambda: {"eng"})
    monkeypatch.setattr(E, "_train_fonts", lambda n: [])
    monkeypatch.setattr(E, "_plain_font", lambda: None)
    monkeypatch.setattr(E, "ocr_line", lambda image, lang, options=(): (
        "" if options else next(reads)))
    cfg = E.EvalConfig(styles=2, ocr_lines=2, line_words=2, ocr_rounds=3)
    notes = []
    figures = E._ocr_figures(Hands(), ["ab", "cd", "ef", "gh"], cfg, "cpu", notes, lambda *a: None)
    assert [c[1] for c in calls] == ["0", "2", "4", "1", "3", "5"]  # other hands each round
    assert len({c[2] for c in calls}) == 6  # and other seeds
    values = {f["name"]: f["value"] for f in figures}
    miss = E.cer("ab cd", "ab cx")
    assert 0 < miss < 1
    # line 0 reads at CER 0, 1 (empty) and `miss` in its three rounds; line 1 at 0 in all
    assert values["Tesseract CER, generated lines (2 x 3 rounds of hands)"] == pytest.approx(
        round((1 + miss) / 6, 4))
    assert values["Tesseract CER, generated, each round of hands"] == \
        f"0.0000 / 0.5000 / {miss / 2:.4f}"
    assert values["Tesseract: generated lines read as empty (of 6)"] == 1
    assert any("training-font" in n for n in notes)


def test_char_critic_maps_columns_to_characters_and_scores_by_text():
    narrow, wide = W.width_classes()
    cfg = NetConfig(len(W.CHARSET) + 1, d_ch=4, narrow=narrow, wide=wide)
    d = CharPatchDiscriminator(cfg).eval()
    text, _ = W.encode(["mi", "a"])
    cols = d.columns(text, 10)
    m, i, a = (W.char_index()[c] for c in "mia")
    # at 1/4 resolution: m is wide (24 px, 6 columns), i narrow (8 px, 2), a normal (16 px, 4)
    assert cols[0].tolist() == [m] * 6 + [i] * 2 + [0] * 2
    assert cols[1].tolist() == [a] * 4 + [0] * 6
    img = torch.rand(2, 1, 32, 40) * 2 - 1
    scores = d(img, text).view(2, 8, 10)
    assert torch.all(scores[1, :, 4:] == 0) and torch.all(scores[0, :, 8:] == 0)
    # the same image scored against another text: the projection term changes the score
    other, _ = W.encode(["wi", "o"])
    assert not torch.allclose(d(img, other).view(2, 8, 10)[:, :, :4], scores[:, :, :4])


def test_jitter_distorts_words_differentiably_and_keeps_paper_paper():
    img = -torch.ones(4, 1, 32, 96)
    img[:, :, 10:22, 20:24] = 1.0  # a vertical stroke
    img[:, :, 14:16, 40:80] = 1.0  # a horizontal one
    assert torch.equal(jitter_words(img, 0.0), img)
    g = torch.Generator().manual_seed(0)
    x = img.clone().requires_grad_(True)
    out = jitter_words(x, 1.0, g)
    assert out.shape == img.shape and out.min() >= -1 - 1e-5 and out.max() <= 1 + 1e-5
    assert not torch.allclose(out, img, atol=1e-3)
    assert not torch.allclose(out[0], out[1], atol=1e-3)  # each word its own distortion
    ink = (out + 1) / 2
    assert ink[:, :, :, :8].max() < 0.01 and ink[:, :, :4].max() < 0.01  # paper where none was
    # the ink moves a little; it neither vanishes nor floods the word
    share = ink.sum((1, 2, 3)) / ((img + 1) / 2).sum((1, 2, 3))
    assert ((share > 0.6) & (share < 1.6)).all()
    out.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    again = jitter_words(img, 1.0, torch.Generator().manual_seed(0))
    assert torch.allclose(again, out.detach())  # seeded: the same distortion


def test_the_recognizer_reads_through_the_jitter_when_asked(tiny_data, tmp_path, monkeypatch):
    import hwrender_plugins.latin.task as T

    seen = []
    real = T.jitter_words
    monkeypatch.setattr(T, "jitter_words", lambda x, s, *a: seen.append(s) or real(x, s, *a))
    task = tiny(tiny_data, "r_jitter=0.5")
    task.setup(RunContext(out=tmp_path, device="cpu", seed=0, batch_size=4))
    batch = max(task.batches(0, torch.Generator().manual_seed(0), 8), key=len)
    out = task.train_step(batch, 2)  # GAN phase: the real batch, then the generated one
    assert seen == [0.5, 0.5] and np.isfinite(out["ctc"])


def test_words_are_trimmed_to_their_ink_rows_around_the_baseline():
    """Layout reads ascent and descent as the ink's extent, not the 32 px frame's."""
    from hwrender_plugins.latin.generator import LatinGenerator

    frame = np.zeros((W.HEIGHT, 40), np.float32)
    word = frame.copy()
    word[12:26, 5:30] = 0.9  # ink from 11 px above the baseline (row 23) to 3 px below
    ink = LatinGenerator._ink(None, "ag", word)
    assert (ink.height, ink.baseline) == (16, W.BASELINE - 11)  # rows 11..26 with a 1 px margin
    assert ink.ascent == 12 and ink.descent == 4 and ink.alpha.max() == pytest.approx(0.9)
    apostrophe = frame.copy()
    apostrophe[5:9, 10:13] = 1.0  # all above the baseline: the image still reaches it
    ink = LatinGenerator._ink(None, "'", apostrophe)
    assert ink.baseline == W.BASELINE - 4 and ink.descent == 0
    comma = frame.copy()
    comma[23:28, 10:13] = 1.0  # all below the baseline: only the 1 px margin above it
    ink = LatinGenerator._ink(None, ",", comma)
    assert ink.ascent == 1 and ink.descent == 6
    blank = LatinGenerator._ink(None, " ", frame)
    assert blank.height == W.HEIGHT and blank.baseline == W.BASELINE


def test_capital_words_are_drawn_caps_weight_times_as_often(tmp_path):
    from hwrender_plugins.latin.task import inner_capital, sampling_weights

    texts = ["the", "The", "NY", "R&D", "a", "PO#3", "x-Ray", '"Word', "(A)"]
    assert [inner_capital(t) for t in texts] == [False, False, True, True, False, True, True, False, False]
    assert sampling_weights(texts, 0, 8.0, 1.0) is None
    assert sampling_weights(texts, 0, 8.0, 3.0).tolist() == [1.0, 1.0, 3.0, 3.0, 1.0, 3.0, 3.0, 1.0, 1.0]
    # with rare letters: the two weights multiply
    # ('t' and 'h' are in 3 words: 4 / 3; 'n' in 2; 'x' and 'W' in 1, capped at 3)
    both = sampling_weights(["the", "then", "ten", "hex", "WET"], 4, 3.0, 2.0).tolist()
    assert both == pytest.approx([4 / 3, 2.0, 2.0, 3.0, 6.0])
    with pytest.raises(UsageError, match="caps_weight"):
        build_task(["caps_weight=0"])
    from hwrender_plugins.latin.dataset import build_words
    from hwrender_plugins.latin.render import Augment

    data = build_words({"caveat": CAVEAT}, ["NY", "R&D", "hat", "sea", "dog", "pen", "Word", "note"] * 2,
                       per_font=16, seed=0, augment=Augment(), log=lambda m: None)
    capital = np.array([inner_capital(t) for t in data.texts])
    assert capital.any() and not capital.all()
    task = tiny(data, "caps_weight=4")
    task.setup(RunContext(out=tmp_path, device="cpu", seed=0, batch_size=2))
    counts = np.zeros(len(data))
    g = torch.Generator().manual_seed(0)
    for epoch in range(40):
        for b in task.batches(epoch, g, 2):
            np.add.at(counts, b.numpy(), 1)
    assert counts[capital].mean() > 2 * counts[~capital].mean()

"""The Latin word GAN's training settings (``--set key=value``), their defaults and why each.

Torch-free, so that the model card (``card``) reads the defaults without the training code. What
each setting did when it was tried is in the model card (weights/latin/README.md) and CHANGELOG.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LatinConfig:
    variant: str = "default"  # "tiny" for tests
    g_ch: int = 16
    d_ch: int = 16
    r_ch: int = 32
    r_hidden: int = 128
    style_dim: int = 64
    word_dim: int = 16
    r_steps: int = 1500  # recognizer pre-training steps before the GAN starts
    # the recognizer keeps learning from the real batch at every GAN step (as in ScrabbleGAN):
    # frozen, it reads letters no person would
    r_online: bool = True
    lr_r: float = 1e-3
    lr_g: float = 1e-4
    lr_d: float = 2e-4  # two time-scale update rule: a discriminator that keeps up
    beta1: float = 0.0  # BigGAN's Adam betas (0, 0.999)
    # the CTC gradient's spread, in adversarial ones (3, not the paper's 1: the discriminator's
    # gradient is mostly noise)
    ctc_ratio: float = 3.0
    # strength of the jitter (``model.jitter_words``) the recognizer reads words through (0: off):
    # it rewards letters that read under small warps, not shapes only this recognizer takes
    r_jitter: float = 1.0
    # mode seeking (MSGAN) pushes apart fakes of one text and two latents, so that --style
    # changes the hand
    diversity_ratio: float = 0.25
    # G's gradient norm is clipped to g_clip times its running mean (0: off): the balanced update
    # has no bound, and an unclipped run collapsed
    g_clip: float = 3.0
    ema: float = 0.999
    # the discriminator, "resnet" (one score a word), "patch" (a PatchGAN critic) or "char"
    # (patches projected onto the character each should show)
    d_arch: str = "resnet"
    per_font: int = 1400  # training words rendered per font (built data)
    data_seed: int = 0
    # augmentation of the built training words (``render.AUGMENTS``): "light" keeps them
    # readable, and a generator writes no more legibly than its words
    augment: str = "light"
    # words with a rare ASCII letter or digit are drawn more often, up to rare_target / (words
    # holding it) times, at most rare_cap (0: every word once an epoch)
    rare_target: int = 0
    rare_cap: float = 8.0
    # words holding a capital after their first letter (ALL-CAPS, NY, R&D, PO#) are drawn this many
    # times as often (``task.sampling_weights``; 1: as often as any word). Stage 11 (card, Lineage)
    # at 3: capitals 0.76 -> 0.83 to the judge, but the seeded hands' spread fell under its target
    # and more words touch the frame's bottom row; not kept
    caps_weight: float = 1.0
    # "classes" gives narrow and wide characters half and one and a half slots
    # (``words.width_classes``), so m and w are not drawn like n; "uniform" 16 px each
    widths: str = "classes"
    # the share of token words in the built training vocabulary (``vocabulary._token``: e-mail
    # addresses, invoice and phone numbers, dates, times, prices, symbol words); 0 is the
    # vocabulary the models before it were trained on
    token_share: float = 0.0
    # --finetune without the model's recognizer: a fresh one learns the real words first
    # (r_steps), so the generator is no longer read by the recognizer it grew up with
    fresh_recognizer: bool = False


# the values a setting may take, where only some make sense (``task.build_task`` checks them)
CHOICES = {"variant": ("default", "tiny"), "widths": ("classes", "uniform"),
           "d_arch": ("resnet", "patch", "char")}

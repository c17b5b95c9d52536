"""The bounds and allowed values of the user's options, in one place: the option checks, layout's
``check_fits``, rendering's ``check_dpi`` and the CLI help all read them here. Plain constants, so
every part of the core may import this module."""

from __future__ import annotations

# Seeds (--seed, and a number as --style) are 0..2**32-1: every generator's seeding
# (torch.manual_seed, numpy's default_rng) takes these, and a bigger number overflowed one of them.
MAX_SEED = 2**32 - 1
# Natural variation runs from 0 (regular) to this; past 2 the jitter stops looking like
# handwriting and words start to collide.
MAX_VARIATION = 2.0
# Smaller writing is a smudge at any resolution, and the ink resampler pads each image by the
# inverse of its scale: 1e-4 mm asked for terabytes. In points (0.5 mm).
MIN_X_HEIGHT = 0.5 * 72.0 / 25.4
# PDF readers (Acrobat's limit, ISO 32000 annex C) refuse pages over 200 in: 14,400 pt. No paper is
# that large, so every format keeps to it and a typo ("2100x297mm") fails before any work.
MAX_PAGE_SIDE = 14_400.0
MAX_DPI = 1200
# Below this a page is a few hundred pixels wide, and ink shrunk that far is resampled with
# padding that grows as 1/dpi.
MIN_DPI = 10
MAX_PAGE_PIXELS = 200_000_000

ALIGNS = ("left", "justify")
ORIENTATIONS = ("portrait", "landscape")

"""Child processes that signal tests start get the default signal dispositions.

An ignored signal stays ignored across exec: under ``nohup`` (SIGHUP) or as a background job of a
non-interactive shell (SIGINT) a child would inherit the ignore, and hwrender rightly leaves an
ignored signal alone. The tests are about the default case, so they ask for it.
"""

from __future__ import annotations

import signal


def default_signals() -> None:
    """``preexec_fn`` for subprocess: SIGHUP, SIGINT and SIGTERM back to their defaults."""
    for signum in (signal.SIGHUP, signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_DFL)

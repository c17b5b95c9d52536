"""The errors hwrender raises on purpose: each carries a one-line message and the fix.

The CLI prints ``hwrender: error: <message> (<hint>)`` and exits with ``exit_code``;
``HWRENDER_DEBUG=1`` shows the traceback instead.
"""

from __future__ import annotations


class HwrenderError(Exception):
    """Base class: a problem the user can fix. ``exit_code`` 1 = runtime, 2 = usage."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def one_line(self) -> str:
        text = self.message if not self.hint else f"{self.message} ({self.hint})"
        return " ".join(text.split())  # never more than one line

    def __str__(self) -> str:
        return self.one_line()


class UsageError(HwrenderError):
    """A bad option value or combination (exit 2)."""

    exit_code = 2


class InputError(HwrenderError):
    """The text to write is missing, empty, unreadable or not UTF-8 (exit 2)."""

    exit_code = 2


class UnsupportedCharacterError(HwrenderError):
    """Characters that no generator covers (exit 1)."""

    def __init__(self, message: str, hint: str | None = None, characters=()):
        super().__init__(message, hint)
        self.characters = list(characters)  # [(char, position), ...]


class OutputError(HwrenderError):
    """The output path cannot be written (exit 1)."""


class WeightsError(HwrenderError):
    """Missing, corrupt or mismatching weights (exit 1)."""


class GeneratorError(HwrenderError):
    """A generator is unknown or failed (exit 1)."""


class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived while output files were half written; raised so that they are
    removed on the way out (like ``KeyboardInterrupt`` for Ctrl-C). ``exit_code`` is 128 + signal."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum
        self.exit_code = 128 + signum

    def __str__(self) -> str:
        import signal

        try:
            return f"terminated by {signal.Signals(self.signum).name}"
        except ValueError:
            return f"terminated by signal {self.signum}"


class HwrenderWarning(UserWarning):
    """Something hwrender did differently from what was asked, without failing: the CLI prints
    ``hwrender: warning: <message>`` on stderr (not with -q)."""

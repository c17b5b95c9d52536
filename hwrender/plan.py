"""The plan: which generator writes each character.

For a character of (resolved) script S, the candidates are the generator the user named for S
(``--generator S=NAME``) and then every auto generator serving S, highest priority first; the
first that covers the character writes it. Characters nobody covers are an error naming each one
and its position, unless ``missing="fallback"`` sends them to the fallback generator.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Iterable, Mapping

from fontTools import unicodedata as fu

from .errors import UnsupportedCharacterError, UsageError
from .registry import GeneratorSpec, Registry
from .text.segment import Word, position

MISSING_MODES = ("error", "fallback")


@dataclass(frozen=True)
class Piece:
    """Consecutive characters of one word that one generator writes."""

    text: str
    start: int
    script: str
    generator: str


def parse_script(value: str) -> str:
    """``Latn``, ``latin``, ``Latin`` → ``Latn``; unknown → UsageError."""
    v = value.strip()
    if len(v) == 4 and fu.script_name(v.title(), default=None):
        return v.title()
    code = fu.script_code(v.replace("-", "_").replace(" ", "_"), default=None)
    if code is None:
        code = fu.script_code(v.title(), default=None)
    if code is None:
        raise UsageError(f"unknown script {value!r} in --generator",
                         "use an ISO 15924 code or name such as Latn, Hang, Hani or Latin")
    return code


def parse_overrides(values: Iterable[str] | Mapping[str, str] | None,
                    registry: Registry) -> dict[str, str]:
    """``["Latn=emnist", ...]`` → ``{"Latn": "emnist"}``, checked against the registry."""
    if not values:
        return {}
    pairs = values.items() if isinstance(values, Mapping) else []
    if not isinstance(values, Mapping):
        for item in values:
            if "=" not in item:
                raise UsageError(f"--generator {item!r} is not SCRIPT=NAME",
                                 "write it like --generator Latn=font")
            script, name = item.split("=", 1)
            pairs.append((script, name))  # type: ignore[union-attr]
    out: dict[str, str] = {}
    for script, name in pairs:
        code = parse_script(script)
        spec = registry.get(name.strip())
        if not spec.serves(code):
            raise UsageError(f"generator {spec.name!r} does not write {code} "
                             f"(it serves {', '.join(spec.scripts)})",
                             "see `hwrender generators` for who serves what")
        out[code] = spec.name
    return out


class Planner:
    """Assigns generators to characters; caches the decision per (script, character)."""

    def __init__(self, registry: Registry, overrides: Mapping[str, str] | None = None,
                 missing: str = "error"):
        if missing not in MISSING_MODES:
            raise UsageError(f"unknown --missing mode {missing!r}", "use error or fallback")
        self.registry = registry
        self.overrides = dict(overrides or {})
        self.missing = missing
        self._candidates: dict[str, list[GeneratorSpec]] = {}
        self._choice: dict[tuple[str, str], str | None] = {}
        self._runs: dict[tuple[str, str], tuple[list, list]] = {}
        # script -> characters the -g generator for it does not have (another one writes them)
        self.passed_over: dict[str, list[str]] = {}
        self._fallback = registry.fallback()
        if missing == "fallback" and self._fallback is None:
            raise UsageError("--missing fallback needs a fallback generator and none is installed",
                             "reinstall hwrender (it ships the 'font' fallback)")

    def candidates(self, script: str) -> list[GeneratorSpec]:
        if script not in self._candidates:
            specs = [s for s in self.registry.specs() if s.auto and s.serves(script)]
            if script in self.overrides:
                first = self.registry.get(self.overrides[script])
                specs = [first] + [s for s in specs if s.name != first.name]
            self._candidates[script] = specs
        return self._candidates[script]

    def choose(self, ch: str, script: str) -> str | None:
        key = (script, ch)
        if key not in self._choice:
            name = next((s.name for s in self.candidates(script) if s.covers(ch)), None)
            if name is None and self.missing == "fallback":
                name = self._fallback.name  # type: ignore[union-attr]
            asked = self.overrides.get(script)
            if asked is not None and name != asked:
                self.passed_over.setdefault(script, []).append(ch)
            self._choice[key] = name
        return self._choice[key]

    def plan_word(self, word: Word, missing_out: list[tuple[str, int]]) -> list[Piece]:
        """Split a word into pieces per generator. Uncovered characters are appended to
        ``missing_out`` as (character, offset) and left out of the pieces; the caller raises
        ``self.error(text, missing_out)`` with the whole text, which gives line:column."""
        pieces: list[Piece] = []
        for run in word.runs:
            spans, missing = self._plan_run(run.text, run.script)
            missing_out.extend((run.text[i], run.start + i) for i in missing)
            for i, j, name in spans:
                if (pieces and pieces[-1].generator == name and pieces[-1].script == run.script
                        and pieces[-1].start + len(pieces[-1].text) == run.start + i):
                    last = pieces[-1]
                    pieces[-1] = Piece(last.text + run.text[i:j], last.start, last.script, name)
                else:
                    pieces.append(Piece(run.text[i:j], run.start + i, run.script, name))
        return pieces

    def _plan_run(self, text: str, script: str) -> tuple[list[tuple[int, int, str]], list[int]]:
        """(start, end, generator) spans and uncovered offsets of one run, cached: real text
        repeats its words, which makes planning a long document cheap."""
        key = (text, script)
        hit = self._runs.get(key)
        if hit is not None:
            return hit
        spans: list[tuple[int, int, str]] = []
        missing: list[int] = []
        for i, ch in enumerate(text):
            name = self.choose(ch, script)
            if name is None:
                missing.append(i)
            elif spans and spans[-1][2] == name and spans[-1][1] == i:
                spans[-1] = (spans[-1][0], i + 1, name)
            else:
                spans.append((i, i + 1, name))
        if len(self._runs) > 200_000:  # bounded memory on huge vocabularies
            self._runs.clear()
        self._runs[key] = (spans, missing)
        return spans, missing

    def override_notes(self) -> list[str]:
        """One line per script whose -g generator lacks some of the planned characters."""
        notes = []
        for script, chars in self.passed_over.items():
            shown = " ".join(chars[:5]) + (f" and {len(chars) - 5} more" if len(chars) > 5 else "")
            takers = sorted({n for ch in chars if (n := self._choice.get((script, ch)))})
            instead = f"written with {', '.join(takers)} instead" if takers else "nothing writes them"
            notes.append(f"-g {script}={self.overrides[script]}: that generator does not have "
                         f"{shown}; {instead}")
        return notes

    def error(self, text: str, missing: list[tuple[str, int]]) -> UnsupportedCharacterError:
        """One line naming the uncovered characters (first few) with line:column positions."""
        shown = []
        for ch, off in missing[:5]:
            line, col = position(text, off)
            name = unicodedata.name(ch, "").title() or "unnamed"
            shown.append(f"{ch!r} (U+{ord(ch):04X} {name}) at {line}:{col}")
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        scripts = ", ".join(self.registry.scripts()) or "none"
        return UnsupportedCharacterError(
            f"no generator writes {', '.join(shown)}{more}; installed generators serve {scripts}",
            "pass --missing fallback to write them with the fallback font, or install a plugin "
            "for that script",
            characters=missing,
        )

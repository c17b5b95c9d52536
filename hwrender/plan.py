"""The plan: which generator writes each character.

For a character of (resolved) script S, the candidates are the generator the user named for S
(``--generator S=NAME``) and then every auto generator serving S, highest priority first; the
first that covers the character writes it. A common character (digit, punctuation) tries, before
the fallback font: S's real generators, then those of the script on its other side (``Run.alt``),
then any generator that declares common characters (``Zyyy``), so ``2026`` after Han is written by
the Latin model rather than by the fallback font. A letter with combining marks (no precomposed
form after NFC) is written whole by a generator that covers the letter and its marks; where none
does, the marks are left out with a warning. What the fallback font writes although a real
generator serves the script is a warning too. Characters nobody covers are an error naming each
one and its position, unless ``missing="fallback"`` sends them to the fallback generator.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Iterable, Mapping

from fontTools import unicodedata as fu

from .errors import UnsupportedCharacterError, UsageError
from .registry import GeneratorSpec, Registry
from .text.segment import COMMON, WEAK, Word, char_script, position

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
        if name.strip() not in registry:
            known = ", ".join(sorted(s.name for s in registry.specs())) or "none"
            raise UsageError(f"unknown generator {name.strip()!r} in --generator {script}={name}",
                             f"known generators: {known}; see `hwrender generators`")
        spec = registry.get(name.strip())
        if not spec.serves(code):
            raise UsageError(f"generator {spec.name!r} does not write {code} "
                             f"(it serves {', '.join(spec.scripts)})",
                             "see `hwrender generators` for who serves what")
        out[code] = spec.name
    return out


def _is_mark(ch: str) -> bool:
    return unicodedata.category(ch)[0] == "M"


def _shown(items: list[str], limit: int = 5, sep: str = " ") -> str:
    return sep.join(items[:limit]) + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _marks(clusters) -> str:
    """``q́ (U+0301 on 'q'), ...`` for the first few clusters."""
    shown = [f"{c} ({' '.join(f'U+{ord(m):04X}' for m in c if _is_mark(m))}"
             f"{' on ' + repr(c[0]) if not _is_mark(c[0]) else ''})" for c in clusters]
    return _shown(shown, sep=", ")


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
        self._orders: dict[tuple, list[GeneratorSpec]] = {}
        self._choice: dict[tuple, str | None] = {}
        self._runs: dict[tuple, tuple[list, list]] = {}
        # script -> characters the -g generator for it does not have (another one writes them)
        self.passed_over: dict[str, dict[str, None]] = {}
        # real generator -> characters of its script that the fallback font writes instead
        self.fell_back: dict[str, dict[str, None]] = {}
        self.right_to_left: dict[str, None] = {}  # scripts of right-to-left letters written
        # letters with combining marks that nothing writes whole: the marks are left out
        self.unplaced: dict[str, None] = {}
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

    def order(self, ch: str, script: str, alt: str | None = None) -> list[GeneratorSpec]:
        """The generators to try for ``ch`` in a run of ``script``, best first."""
        weak = char_script(ch) in WEAK
        key = (script, alt if weak else None, weak)
        if key not in self._orders:
            own = self.candidates(script)
            if not weak:
                specs = own
            else:  # the fallback font only after every real generator that writes commons
                asked = [self.overrides.get(script), self.overrides.get(COMMON)]
                specs = [s for s in own if not s.fallback or s.name in asked]
                if COMMON in self.overrides:  # -g Zyyy=NAME: after the run's own -g generator
                    specs.insert(1 if script in self.overrides else 0,
                                 self.registry.get(self.overrides[COMMON]))
                if alt is not None:
                    specs += [s for s in self.candidates(alt)
                              if not s.fallback or s.name == self.overrides.get(alt)]
                specs += [s for s in self.registry.specs()
                          if s.auto and not s.fallback and COMMON in s.scripts]
                specs += [s for s in own if s.fallback]
                specs = list({s.name: s for s in specs}.values())
            self._orders[key] = specs
        return self._orders[key]

    def choose(self, ch: str, script: str, alt: str | None = None) -> str | None:
        """The generator for ``ch`` (one character, or a letter and its combining marks, which
        only a word generator covering all of them can write) in a run of ``script``."""
        key = (script, alt, ch)
        if key not in self._choice:
            order = self.order(ch[0], script, alt)
            whole = len(ch) > 1
            name = next((s.name for s in order if all(map(s.covers, ch))
                         and (not whole or s.unit == "word")), None)
            fb = self._fallback
            if name is None and self.missing == "fallback" and fb is not None \
                    and (not whole or fb.unit == "word"):
                name = fb.name
            elif name is not None and self.registry.get(name).fallback:
                real = next((s for s in order if not s.fallback), None)
                weak = char_script(ch[0]) in WEAK
                if real is not None and script not in self.overrides \
                        and not (weak and self.overrides.get(COMMON) == name):
                    self.fell_back.setdefault(real.name, {})[ch] = None
            if name is not None and unicodedata.bidirectional(ch[0]) in ("R", "AL"):
                self.right_to_left[script] = None
            asked = self.overrides.get(script)
            if asked is not None and name != asked and name is not None:
                self.passed_over.setdefault(script, {})[ch] = None
            self._choice[key] = name
        return self._choice[key]

    def plan_word(self, word: Word, missing_out: list[tuple[str, int]]) -> list[Piece]:
        """Split a word into pieces per generator. Uncovered characters are appended to
        ``missing_out`` as (character, offset) and left out of the pieces; the caller raises
        ``self.error(text, missing_out)`` with the whole text, which gives line:column.

        Common characters written by a generator that does not serve the run's script (digits
        after Han written by the Latin model) form pieces of script ``Zyyy``: a word, not a row
        of separately placed characters."""
        pieces: list[Piece] = []
        end = -1  # where the last piece ends in the text (left-out marks included)
        for run in word.runs:
            spans, missing = self._plan_run(run.text, run.script, run.alt)
            missing_out.extend((run.text[i], run.start + i) for i in missing)
            for i, j, text, name in spans:
                script = run.script if self.registry.get(name).serves(run.script) else COMMON
                if pieces and pieces[-1].generator == name and pieces[-1].script == script \
                        and end == run.start + i:
                    last = pieces[-1]
                    pieces[-1] = Piece(last.text + text, last.start, script, name)
                else:
                    pieces.append(Piece(text, run.start + i, script, name))
                end = run.start + j
        return pieces

    def _plan_run(self, text: str, script: str, alt: str | None = None
                  ) -> tuple[list[tuple[int, int, str, str]], list[int]]:
        """(start, end, text, generator) spans and uncovered offsets of one run, cached: real
        text repeats its words, which makes planning a long document cheap."""
        key = (text, script, alt)
        hit = self._runs.get(key)
        if hit is not None:
            return hit
        spans: list[tuple[int, int, str, str]] = []
        missing: list[int] = []
        i = 0
        while i < len(text):
            j = i + 1
            while j < len(text) and _is_mark(text[j]):
                j += 1
            cluster = text[i:j]
            if _is_mark(cluster[0]):  # marks with no letter before them
                self.unplaced[cluster] = None
                i = j
                continue
            name = self.choose(cluster, script, alt) if j - i > 1 else None
            if name is None and j - i > 1:  # nothing writes the letter with its marks
                self.unplaced[cluster] = None
                cluster = cluster[0]
            if name is None:
                name = self.choose(cluster, script, alt)
            if name is None:
                missing.append(i)
            elif spans and spans[-1][3] == name and spans[-1][1] == i:
                spans[-1] = (spans[-1][0], j, spans[-1][2] + cluster, name)
            else:
                spans.append((i, j, cluster, name))
            i = j
        if len(self._runs) > 200_000:  # bounded memory on huge vocabularies
            self._runs.clear()
        self._runs[key] = (spans, missing)
        return spans, missing

    def override_notes(self) -> list[str]:
        """One line for each thing the plan did that the user did not ask for: characters the
        -g generator of a script lacks, characters the fallback font writes although a real
        generator serves their script, and combining marks left out."""
        notes = []
        for script, chars in self.passed_over.items():
            takers = sorted({n for (sc, _, ch), n in self._choice.items()
                             if sc == script and ch in chars and n})
            instead = f"written with {', '.join(takers)} instead" if takers else "nothing writes them"
            notes.append(f"-g {script}={self.overrides[script]}: that generator does not have "
                         f"{_shown(list(chars))}; {instead}")
        loose = []  # letters with marks the fallback font writes: it sets the marks beside them
        for real, chars in self.fell_back.items():
            loose += [c for c in chars if len(c) > 1]
            single = [c for c in chars if len(c) == 1]
            if single:
                notes.append(f"{real} does not have {_shown(single)}; written with the "
                             f"fallback font ({self._fallback.name}) instead")  # type: ignore[union-attr]
        if loose:
            notes.append(f"no generator places the combining marks of {_marks(loose)}: the "
                         f"fallback font ({self._fallback.name}) writes them beside "  # type: ignore[union-attr]
                         "the letter")
        if self.unplaced:
            notes.append(f"no generator can place the combining marks of {_marks(self.unplaced)}; "
                         "left them out")
        if self.right_to_left:
            notes.append(f"right-to-left text (script {', '.join(self.right_to_left)}) is written left "
                         "to right with its letters unjoined: hwrender does not lay out right-to-left "
                         "scripts yet")
        return notes

    def error(self, text: str, missing: list[tuple[str, int]]) -> UnsupportedCharacterError:
        """One line naming the uncovered characters (first few) with line:column positions."""
        shown = []
        for ch, off in missing[:5]:
            line, col = position(text, off)
            name = unicodedata.name(ch, "") or "unnamed"  # as Unicode spells it (title case mangled CJK names)
            shown.append(f"{ch!r} (U+{ord(ch):04X} {name}) at {line}:{col}")
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        scripts = ", ".join(self.registry.scripts()) or "none"
        if all(unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") for ch, _ in missing):
            # control bytes, lone surrogates, unassigned code points: no plugin writes these
            return UnsupportedCharacterError(
                f"the text holds {', '.join(shown)}{more}, which is not writable text",
                "remove it from the text, e.g. with tr -d, or check the file's encoding",
                characters=missing)
        return UnsupportedCharacterError(
            f"no generator writes {', '.join(shown)}{more}; installed generators serve {scripts}",
            "pass --missing fallback to write them with the fallback font, or install a plugin "
            "for that script",
            characters=missing,
        )

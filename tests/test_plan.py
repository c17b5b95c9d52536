"""The plan: every character goes to the right generator, or a clear error names it."""

import pytest

from hwrender.errors import GeneratorError, UnsupportedCharacterError, UsageError
from hwrender.plan import Planner, parse_overrides, parse_script
from hwrender.registry import Generator, GeneratorSpec, Registry
from hwrender.text import segment


class _Dummy(Generator):
    def generate(self, units, style, seed, device="cpu"):  # pragma: no cover - never called
        raise AssertionError


def spec(name, scripts, charset=None, priority=0, **kw):
    return GeneratorSpec(name=name, scripts=scripts, unit="word", factory=_Dummy,
                         charset=charset, priority=priority, **kw)


@pytest.fixture
def registry():
    return Registry([
        spec("latin", ("Latn", "Zyyy"), charset="abcdefghijklmnopqrstuvwxyzABC ,.!", priority=10),
        spec("hangul", ("Hang",), charset="안녕하세요", priority=10),
        spec("emnist", ("Latn",), charset="abcABC0123456789", priority=5),
        spec("font", ("*",), charset="abcdefghijklmnopqrstuvwxyzé,.!?0123456789", priority=-100,
             fallback=True),
        spec("hidden", ("*",), priority=-1000, auto=False),
    ])


def plan(text, planner):
    missing = []
    pieces = [[(p.text, p.generator) for p in planner.plan_word(w, missing)]
              for para in segment(text) for w in para.words]
    return pieces, missing


def test_highest_priority_covering_generator_wins(registry):
    pieces, missing = plan("abc, 안녕 café", Planner(registry))
    assert missing == []
    assert pieces == [[("abc,", "latin")], [("안녕", "hangul")], [("caf", "latin"), ("é", "font")]]


def test_override_puts_named_generator_first_then_falls_through(registry):
    pieces, _ = plan("abz", Planner(registry, {"Latn": "emnist"}))
    assert pieces == [[("ab", "emnist"), ("z", "latin")]]


def test_override_notes_name_what_the_named_generator_lacks(registry):
    planner = Planner(registry, {"Latn": "emnist"})
    plan("abz abyz", planner)
    assert planner.override_notes() == [
        "-g Latn=emnist: that generator does not have z y; written with latin instead"]
    full = Planner(registry, {"Latn": "emnist"})
    plan("abc", full)
    assert full.override_notes() == []  # it had every character: nothing to say


def test_non_auto_generator_is_used_only_when_named(registry):
    pieces, _ = plan("q", Planner(registry))
    assert pieces == [[("q", "latin")]]
    pieces, _ = plan("q", Planner(registry, parse_overrides(["Latn=hidden"], registry)))
    assert pieces == [[("q", "hidden")]]


def test_uncovered_characters_named_with_positions(registry):
    planner = Planner(registry)
    text = "abc\n안녕 ☃ 한"
    _, missing = plan(text, planner)
    assert [c for c, _ in missing] == ["☃", "한"]
    err = planner.error(text, missing)
    assert isinstance(err, UnsupportedCharacterError)
    msg = err.one_line()
    assert "'☃' (U+2603" in msg and "at 2:4" in msg and "'한' (U+D55C" in msg and "at 2:6" in msg
    assert "--missing fallback" in msg and "\n" not in msg


def test_missing_fallback_sends_uncovered_to_fallback(registry):
    pieces, missing = plan("☃", Planner(registry, missing="fallback"))
    assert missing == [] and pieces == [[("☃", "font")]]


def test_parse_script_accepts_codes_and_names():
    assert parse_script("Latn") == "Latn"
    assert parse_script("latin") == "Latn"
    assert parse_script("Hangul") == "Hang"
    with pytest.raises(UsageError, match="unknown script 'Klingon-ish'"):
        parse_script("Klingon-ish")


def test_parse_overrides_errors(registry):
    with pytest.raises(UsageError, match="is not SCRIPT=NAME"):
        parse_overrides(["Latn"], registry)
    with pytest.raises(GeneratorError, match="unknown generator 'nope'"):
        parse_overrides(["Latn=nope"], registry)
    with pytest.raises(UsageError, match="does not write Hang"):
        parse_overrides(["Hang=emnist"], registry)


def test_unknown_missing_mode(registry):
    with pytest.raises(UsageError, match="--missing"):
        Planner(registry, missing="skip")

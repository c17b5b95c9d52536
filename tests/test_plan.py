"""The plan: every character goes to the right generator, or a clear error names it."""

import pytest

from hwrender.errors import UnsupportedCharacterError, UsageError
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


def test_right_to_left_text_is_written_with_a_note(registry):
    """Arabic under the fallback came out left to right and unjoined, with no word said."""
    reg = Registry([spec("font", ("*",), charset="abcمرحبا", priority=-100, fallback=True)])
    planner = Planner(reg, missing="fallback")
    pieces, missing = plan("abc مرحبا", planner)
    assert missing == [] and planner.override_notes() == [
        "right-to-left text (script Arab) is written left to right with its letters unjoined: "
        "hwrender does not lay out right-to-left scripts yet"]
    latin = Planner(reg, missing="fallback")
    plan("abc", latin)
    assert latin.override_notes() == []


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
    with pytest.raises(UsageError, match="unknown generator 'nope'") as info:
        parse_overrides(["Latn=nope"], registry)
    assert info.value.exit_code == 2  # a usage error, not a runtime one
    assert "emnist, font, hangul, hidden, latin" in info.value.one_line()
    with pytest.raises(UsageError, match="does not write Hang"):
        parse_overrides(["Hang=emnist"], registry)


def test_unknown_missing_mode(registry):
    with pytest.raises(UsageError, match="--missing"):
        Planner(registry, missing="skip")


# -- common characters, combining marks ----------------------------------------------------------

def han_registry(*extra):
    return Registry([
        spec("cjk", ("Hani",), charset="你好世界。！", priority=50),
        spec("font", ("*",), charset="abcdefghijklmnopqrstuvwxyz0123456789!q\u0301", priority=-100,
             fallback=True),
        *extra,
    ])


def pieces_of(text, planner):
    missing = []
    got = [[(p.text, p.generator, p.script) for p in planner.plan_word(w, missing)]
           for para in segment(text) for w in para.words]
    assert missing == []
    return got


def test_digits_after_han_go_to_a_real_generator_not_the_fallback():
    latin = spec("latin", ("Latn", "Zyyy"), charset="abcxyz0123456789!-", priority=50)
    planner = Planner(han_registry(latin))
    assert pieces_of("你好世界 2026!", planner) == [
        [("你好世界", "cjk", "Hani")], [("2026!", "latin", "Zyyy")]]
    assert pieces_of("你好2026世界", planner) == [
        [("你好", "cjk", "Hani"), ("2026", "latin", "Zyyy"), ("世界", "cjk", "Hani")]]
    assert pieces_of("abc 2026!", planner) == [[("abc", "latin", "Latn")], [("2026!", "latin", "Latn")]]
    assert planner.override_notes() == []  # nothing went to the fallback font


def test_common_characters_prefer_the_neighbouring_scripts_generator():
    latin = spec("latin", ("Latn", "Zyyy"), charset="abc0123456789", priority=50)
    greek = spec("greek", ("Grek",), charset="αβγ0123456789", priority=10)
    planner = Planner(han_registry(latin, greek))
    # 2026 joins the Han before it; cjk lacks digits: the Greek after it writes them, not the
    # higher-priority Latin one
    assert pieces_of("你好 2026 αβγ", planner)[1] == [("2026", "greek", "Zyyy")]
    # with no neighbour that has digits, any real generator that writes common characters
    assert pieces_of("αβγ 你好 2026", planner)[2] == [("2026", "latin", "Zyyy")]


def test_fallback_font_for_a_served_script_is_a_warning_not_silent():
    planner = Planner(han_registry())
    assert pieces_of("你好 2026!", planner) == [[("你好", "cjk", "Hani")], [("2026!", "font", "Hani")]]
    assert planner.override_notes() == [
        "cjk does not have 2 0 6 !; written with the fallback font (font) instead"]
    only_font = Planner(Registry([spec("font", ("*",), charset="abc", fallback=True)]))
    pieces_of("abc", only_font)
    assert only_font.override_notes() == []  # nothing better was there to write it


def test_real_registry_writes_digits_after_han_with_the_latin_model():
    from hwrender.registry import default_registry

    reg = default_registry()
    if "latin" not in reg or not reg.get("latin").auto or "cjk" not in reg:
        pytest.skip("needs the bundled latin and cjk generators")
    planner = Planner(reg)
    got = pieces_of("你好世界 2026! Hello 2026!", planner)
    assert got == [[("你好世界", "cjk", "Hani")], [("2026!", "latin", "Zyyy")],
                   [("Hello", "latin", "Latn")], [("2026!", "latin", "Latn")]]
    assert not any("fallback" in n for n in planner.override_notes())


def test_letter_with_combining_mark_is_written_whole_by_a_generator_that_has_both(registry):
    # latin lacks U+0301; this font has q and U+0301
    registry_font = Registry([*registry.specs()[:-2],
                              spec("font", ("*",), charset="abcqz\u0301", priority=-100, fallback=True)])
    planner = Planner(registry_font)
    assert pieces_of("aq\u0301b", planner) == [
        [("a", "latin", "Latn"), ("q\u0301", "font", "Latn"), ("b", "latin", "Latn")]]
    # the bundled Caveat has no mark anchors: measured, it sets the acute after the q
    assert planner.override_notes() == [
        "no generator places the combining marks of q\u0301 (U+0301 on 'q'): the fallback font "
        "(font) writes them beside the letter"]


def test_combining_mark_nothing_can_place_is_left_out_with_one_note(registry):
    planner = Planner(registry)  # no generator has U+030C
    assert pieces_of("aq\u030cb q\u030c x\u030c", planner) == [
        [("aqb", "latin", "Latn")], [("q", "latin", "Latn")], [("x", "latin", "Latn")]]
    assert planner.override_notes() == [
        "no generator can place the combining marks of q\u030c (U+030C on 'q'), "
        "x\u030c (U+030C on 'x'); left them out"]


def test_combining_marks_are_not_split_over_char_generators():
    char = GeneratorSpec(name="chars", scripts=("Latn",), unit="char", factory=_Dummy,
                         charset="qb\u0301", priority=10)
    planner = Planner(Registry([char]))
    assert pieces_of("q\u0301b", planner) == [[("qb", "chars", "Latn")]]
    assert "U+0301 on 'q'" in planner.override_notes()[0]


def test_a_g_choice_of_the_fallback_font_keeps_common_characters():
    latin = spec("latin", ("Latn", "Zyyy"), charset="abc0123456789!-", priority=50)
    reg = han_registry(latin)
    planner = Planner(reg, parse_overrides(["Latn=font"], reg))
    assert pieces_of("abc 1984!", planner) == [[("abc", "font", "Latn")], [("1984!", "font", "Latn")]]
    planner = Planner(reg, parse_overrides(["Zyyy=font"], reg))
    assert pieces_of("abc 1984!", planner) == [[("abc", "latin", "Latn")], [("1984!", "font", "Latn")]]
    assert planner.override_notes() == []  # asked for: nothing to warn about

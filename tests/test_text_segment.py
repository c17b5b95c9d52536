"""Segmentation into paragraphs, lines, words and script runs."""

from hypothesis import given, settings, strategies as st

from hwrender.text import iter_paragraphs, normalize, position, segment


def words(paragraph):
    return [w.text for w in paragraph.words]


def test_paragraphs_lines_words():
    paras = segment("Hello, World\nsecond line\n\n\n  third   paragraph  ")
    assert [[[w.text for w in line.words] for line in p.lines] for p in paras] == [
        [["Hello,", "World"], ["second", "line"]],
        [["third", "paragraph"]],
    ]


def test_blank_line_with_spaces_separates_paragraphs():
    assert len(segment("one\n   \ntwo")) == 2
    assert len(segment("one\ntwo")) == 1


def test_common_characters_join_neighbouring_run():
    (p,) = segment("Hello, World 2026!")
    assert [(r.text, r.script) for w in p.words for r in w.runs] == [
        ("Hello,", "Latn"), ("World", "Latn"), ("2026!", "Latn")]


def test_leading_common_takes_next_script():
    (p,) = segment("2026년 안녕")
    assert [r.script for w in p.words for r in w.runs] == ["Hang", "Hang"]


def test_mixed_scripts_split_into_runs_with_offsets():
    text = "你好。abc한국"
    (p,) = segment(text)
    runs = p.words[0].runs
    assert [(r.text, r.script, r.alt) for r in runs] == [
        ("你好", "Hani", None), ("。", "Hani", "Latn"), ("abc", "Latn", None), ("한국", "Hang", None)]
    for r in runs:
        assert text[r.start:r.start + len(r.text)] == r.text


def test_common_characters_know_the_script_on_their_other_side():
    """The plan tries that script's generator when the first one cannot write them."""
    (p,) = segment("你好世界 2026! Hello (x) 世界!")
    got = [(r.text, r.script, r.alt) for w in p.words for r in w.runs]
    assert got == [("你好世界", "Hani", None), ("2026!", "Hani", "Latn"), ("Hello", "Latn", None),
                   ("(x", "Latn", None), (")", "Latn", "Hani"),
                   ("世界!", "Hani", None)]
    (p,) = segment("你好世界 2026!")
    assert [(r.script, r.alt) for r in p.words[1].runs] == [("Hani", None)]


def test_common_characters_prefer_a_neighbour_in_their_own_word():
    (p,) = segment("你好 2026Hello a-b-你")
    got = [(r.text, r.script, r.alt) for w in p.words for r in w.runs]
    assert got == [("你好", "Hani", None), ("2026", "Latn", "Hani"), ("Hello", "Latn", None),
                   ("a-b", "Latn", None), ("-", "Latn", "Hani"), ("你", "Hani", None)]


def test_combining_marks_join_the_character_before_them():
    (p,) = segment("你q\u0301! a\u0301 -\u0301你")
    assert [(r.text, r.script, r.alt) for w in p.words for r in w.runs] == [
        ("你", "Hani", None), ("q\u0301!", "Latn", None), ("á", "Latn", None),
        ("-\u0301", "Hani", "Latn"), ("你", "Hani", None)]


def test_all_common_text_stays_common():
    (p,) = segment("123 !?")
    assert {r.script for w in p.words for r in w.runs} == {"Zyyy"}


def test_normalize_nfc_newlines_tabs_bom():
    assert normalize("\ufeffe\u0301\r\na\tb\rc") == "é\na b\nc"


def test_normalize_drops_invisible_formatting():
    """Zero-width space and joiners, a soft hyphen, a word joiner, a byte-order mark inside the
    text, a variation selector, bidi marks: each was "no generator writes U+200B ... install a
    plugin". A form feed breaks the line."""
    text = "zero\u200bwidth co\u00adop e\u200d\u200c\u2060f g\ufeffh a\ufe0fb \u200eab\u202c\fnext"
    assert normalize(text) == "zerowidth coop ef gh ab ab\nnext"
    assert normalize("한\u3164글") == "한글"
    # but the joiner, variation selector and tags of an emoji sequence stay with it
    for emoji in ("\U0001F468\u200d\U0001F469\u200d\U0001F467", "\u2764\ufe0f", "\U0001F44D\U0001F3FD",
                  "\U0001F3F4\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F"):
        assert normalize(f"a {emoji} b") == f"a {emoji} b"


def test_control_characters_are_named_as_such(tmp_path):
    from hwrender.errors import UnsupportedCharacterError
    from hwrender.plan import Planner
    from hwrender.registry import default_registry

    planner = Planner(default_registry())
    err = planner.error("a\x00b", [("\x00", 1)])
    assert isinstance(err, UnsupportedCharacterError) and "not writable text" in err.message
    assert "tr -d" in err.hint and "plugin" not in err.hint


def test_position_is_one_based_line_and_column():
    text = "ab\ncd\nef"
    assert position(text, 0) == (1, 1)
    assert position(text, 4) == (2, 2)
    assert position(text, 6) == (3, 1)


def test_tokens_stream_through_one_huge_paragraph():
    """A text without blank lines is one paragraph; its words still come one at a time."""
    from hwrender.text import Break, Word, iter_tokens

    text = "line of words\n" * 200000
    it = iter_tokens(text)
    got = [next(it) for _ in range(5)]
    assert [t.text if isinstance(t, Word) else t for t in got] == [
        "line", "of", "words", Break(False, 13), "line"]


def test_leading_common_words_wait_for_the_first_strong_script_across_lines():
    from hwrender.text import Break, Word, iter_tokens

    tokens = list(iter_tokens("1.\n2026 - 안녕\n\n3 abc"))
    words = [(t.text, t.runs[0].script) for t in tokens if isinstance(t, Word)]
    assert words == [("1.", "Hang"), ("2026", "Hang"), ("-", "Hang"), ("안녕", "Hang"),
                     ("3", "Latn"), ("abc", "Latn")]
    assert [t.paragraph for t in tokens if isinstance(t, Break)] == [False, True]


def test_iter_paragraphs_is_lazy():
    text = "word\n\n" * 100000
    it = iter_paragraphs(text)
    assert next(it).words[0].text == "word"  # no full pass needed for the first paragraph


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab 한你,.\n1é")), max_size=60))
def test_words_and_runs_cover_the_text(text):
    text = normalize(text)
    got = [w.text for p in iter_paragraphs(text) for w in p.words]
    assert got == text.split()
    for p in iter_paragraphs(text):
        for w in p.words:
            assert "".join(r.text for r in w.runs) == w.text
            assert text[w.start:w.start + len(w.text)] == w.text

"""Every argument of the Python API is checked: a bad type or value is a HwrenderError naming the
argument (never a plain TypeError/AttributeError, never silently accepted), and the forms whose
meaning is clear work."""

from __future__ import annotations

import io
import math
from dataclasses import fields
from pathlib import Path

import pytest

from hwrender.api import (
    _FIELD_KINDS,
    MAX_SEED,
    RenderOptions,
    parse_style,
    render_pages,
    write,
)
from hwrender.errors import InputError, UsageError
from hwrender.layout.geometry import MAX_VARIATION
from hwrender.registry import GeneratorSpec, Registry

FAST = dict(dpi=30)


@pytest.fixture
def seen_registry():
    """The test generator, also accepting numbered styles, recording the style each call got."""
    from hwrender_plugins.testing import TestGenerator

    class Seen(TestGenerator):
        styles: list = []

        def generate(self, units, style, seed, device="cpu"):
            Seen.styles.append(style)
            return super().generate(units, None, seed, device)

    Seen.styles = []
    return Registry([GeneratorSpec(name="test", scripts=("*",), unit="word", factory=Seen,
                                   styles=("thin", "bold"), style_kinds={"seed", "name"})]), Seen


def _closed():
    buf = io.BytesIO()
    buf.close()
    return buf


BAD_OPTIONS = [
    ("style", 1.5), ("style", True), ("style", ["neat"]),
    ("style", "99999999999999999999999"), ("style", "-1"), ("style", str(MAX_SEED + 1)),
    ("style", "²"), ("style", "  "),
    ("generators", {"Latn": 5}), ("generators", 5), ("generators", ["Latn=test", 3]),
    ("variation", "high"), ("variation", math.nan), ("variation", math.inf),
    ("variation", MAX_VARIATION + 0.5), ("variation", -0.1), ("variation", True),
    ("seed", "abc"), ("seed", 1.5), ("seed", True), ("seed", None), ("seed", -1),
    ("seed", MAX_SEED + 1), ("seed", 10**30),
    ("page_numbers", "yes"), ("page_numbers", 1), ("page_numbers", None),
    ("offline", "no"), ("margin_line", 1),
    ("dpi", True), ("dpi", "300"), ("dpi", "nan"), ("dpi", math.nan), ("dpi", math.inf),
    ("dpi", None), ("dpi", -5), ("dpi", 10**9),
    ("line_spacing", math.nan), ("line_spacing", "wide"), ("word_spacing", None),
    ("paragraph_gap", math.inf), ("paragraph_gap", "1"),
    ("x_height", math.nan), ("x_height", True), ("line_height", [8]), ("indent", None),
    ("title", 5), ("author", b"me"), ("subject", 1.0), ("format", 5),
    ("title", "x\udcff"), ("author", "\ud800"),  # bytes of an argument that were not UTF-8
    ("align", None), ("missing", None), ("device", None), ("orientation", 5),
    ("weights", 5), ("paper", None), ("page_size", None), ("page_size", 5),
    ("margins", None), ("ink_color", None), ("paper_color", 5),
]


@pytest.mark.parametrize("name, value", BAD_OPTIONS, ids=[f"{n}={v!r}" for n, v in BAD_OPTIONS])
def test_bad_option_is_a_usage_error_naming_it(seen_registry, name, value):
    registry, _ = seen_registry
    with pytest.raises(UsageError) as err:
        write("hello", io.BytesIO(), registry=registry, **{**FAST, "format": "png", name: value})
    words = err.value.one_line().lower()
    assert name.replace("_", " ") in words.replace("_", " ").replace("-", " ") or \
        (name == "page_numbers" and "page numbers" in words) or \
        (name in ("paper_color", "ink_color") and "colour" in words)
    assert "\n" not in err.value.one_line()


BAD_TEXT = [None, 5, 1.5, ["hello"], b"caf\xe9"]


@pytest.mark.parametrize("text", BAD_TEXT, ids=repr)
def test_bad_text_is_an_input_error_naming_it(seen_registry, text):
    registry, _ = seen_registry
    with pytest.raises(InputError, match="text"):
        render_pages(text, registry=registry, **FAST)


def test_utf8_bytes_are_text(seen_registry):
    registry, _ = seen_registry
    from_bytes = render_pages("naïve".encode(), registry=registry, **FAST)
    from_str = render_pages("naïve", registry=registry, **FAST)
    assert [i.tobytes() for i in from_bytes] == [i.tobytes() for i in from_str]


# "out.pdf/": a folder's name (Path() dropped the slash, and a file out.pdf was written)
BAD_OUTPUTS = [None, 5, 1.5, b"page.pdf", "", "out.pdf/", _closed(), io.StringIO(), object()]


@pytest.mark.parametrize("output", BAD_OUTPUTS, ids=repr)
def test_bad_output_is_a_usage_error_before_any_work(seen_registry, output):
    registry, gen = seen_registry
    with pytest.raises(UsageError, match="output"):
        write("hello", output, registry=registry, format="pdf", **FAST)
    assert gen.styles == []  # nothing was generated


def test_pathlike_output_and_weights(seen_registry, tmp_path):
    registry, _ = seen_registry

    class Where:
        def __fspath__(self):
            return str(tmp_path / "page.png")

    assert write("hi", Where(), registry=registry, weights=tmp_path, **FAST) == [tmp_path / "page.png"]


def test_options_must_be_render_options(seen_registry):
    registry, _ = seen_registry
    with pytest.raises(UsageError, match="RenderOptions"):
        render_pages("hi", {"dpi": 30}, registry=registry)


def test_every_field_has_a_kind():
    assert set(_FIELD_KINDS) == {f.name for f in fields(RenderOptions)}


def test_every_default_passes_the_check():
    assert RenderOptions().checked() == RenderOptions()


@pytest.mark.parametrize("style, given", [(5, "5"), ("5", "5"), (" 7 ", "7"), ("007", "7"),
                                          (MAX_SEED, str(MAX_SEED)), ("bold", "bold")])
def test_style_forms_that_work(seen_registry, style, given):
    registry, gen = seen_registry
    render_pages("hi", registry=registry, style=style, **FAST)
    assert set(gen.styles) == {given}


def test_generators_as_one_string_and_as_a_mapping(seen_registry):
    registry, _ = seen_registry
    one = render_pages("hi", registry=registry, generators="Latn=test", **FAST)
    listed = render_pages("hi", registry=registry, generators=["Latn=test"], **FAST)
    mapped = render_pages("hi", registry=registry, generators={"Latn": "test"}, **FAST)
    assert one[0].tobytes() == listed[0].tobytes() == mapped[0].tobytes()
    assert RenderOptions(generators="Latn=test, Hang=test").checked().generators == \
        ["Latn=test", "Hang=test"]


def test_whole_floats_and_ints_are_numbers(seen_registry):
    registry, _ = seen_registry
    as_float = render_pages("hi", registry=registry, dpi=30.0, variation=2, line_spacing=1,
                            seed=MAX_SEED)
    as_int = render_pages("hi", registry=registry, dpi=30, variation=2.0, line_spacing=1.0,
                          seed=MAX_SEED)
    assert as_float[0].size == as_int[0].size and as_float[0].tobytes() == as_int[0].tobytes()


@pytest.mark.parametrize("raw", ["99999999999999999999999", "²", "-3", ""])
def test_bad_style_numbers_are_usage_errors_naming_style(raw):
    with pytest.raises(UsageError, match="--style"):
        parse_style(raw)


def test_a_style_with_other_digits_is_a_name():
    assert parse_style("٣x") == "٣x"  # looked up as a style name, never int()-ed


def test_parse_style_numbers_are_ascii_and_in_range():
    assert parse_style(None) is None
    assert parse_style("0") == "0"
    assert parse_style(" +12 ") == "12"
    for not_ascii in ("²", "٣", "5²"):  # str.isdigit() says yes, int() says no
        with pytest.raises(UsageError, match="--style .*0-9"):
            parse_style(not_ascii)
    with pytest.raises(UsageError, match=f"--style .*0 to {MAX_SEED}.*hwrender generators"):
        parse_style(str(MAX_SEED + 1))


def test_unknown_style_says_where_styles_come_from(seen_registry):
    registry, _ = seen_registry
    with pytest.raises(UsageError, match="bold, thin.*hwrender generators"):
        render_pages("hi", registry=registry, style="nobody", **FAST)


def test_dpi_check_takes_any_value():
    from hwrender.render import check_dpi

    for bad in ("nan", "abc", None, True, math.inf, 10**400):
        with pytest.raises(UsageError, match="--dpi"):
            check_dpi(bad)


def test_written_file_unchanged_by_path_or_str(seen_registry, tmp_path):
    registry, _ = seen_registry
    a = write("hi", str(tmp_path / "a.pdf"), registry=registry, **FAST)
    b = write("hi", Path(tmp_path / "b.pdf"), registry=registry, **FAST)
    assert a[0].read_bytes() == b[0].read_bytes()


@pytest.mark.parametrize("kwargs, match", [
    (dict(x_height="0.0001mm"), "too small"),
    (dict(dpi=0.01), "below the minimum"),
    (dict(page_size="210x5100mm"), "larger than a PDF page"),
])
def test_sizes_that_would_exhaust_memory_fail_before_any_work(seen_registry, kwargs, match):
    registry, gen = seen_registry
    with pytest.raises(UsageError, match=match):
        render_pages("hi", registry=registry, **kwargs)
    assert gen.styles == []


def test_a_page_size_pair_is_millimetres_like_every_bare_number(seen_registry):
    """``page_size=(80, 60)`` was taken as points: a 28 x 21 mm page."""
    registry, _ = seen_registry
    (page,) = render_pages("hi", registry=registry, page_size=(80, 60), margins=5, dpi=50.8)
    assert page.size == (160, 120)  # 80 x 60 mm at 2 px/mm
    with pytest.raises(UsageError, match="page height '-60mm'"):
        render_pages("hi", registry=registry, page_size=(80, -60), dpi=50.8)


def test_ink_the_colour_of_its_paper_is_warned_about(seen_registry):
    """White ink on white paper wrote blank pages without a word."""
    from hwrender.errors import HwrenderWarning

    registry, _ = seen_registry
    with pytest.warns(HwrenderWarning, match=r"contrast of only 1\.00:1"):
        render_pages("hi", registry=registry, ink_color="white", paper_color="white", dpi=30)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", HwrenderWarning)  # a pale grey pencil is fine
        render_pages("hi", registry=registry, ink_color="#aaaaaa", dpi=30)
        render_pages("hi", registry=registry, ink_color="white", paper_color="black", dpi=30)

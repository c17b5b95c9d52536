"""The pipeline end to end through the Python API, with the torch-free test generator."""

from __future__ import annotations

import io

import pytest
from PIL import Image

import hwrender
from hwrender.api import RenderOptions, iter_pages, render_pages, write
from hwrender.errors import InputError, UnsupportedCharacterError, UsageError
from hwrender.registry import GeneratorSpec, Registry
from hwrender.text.breaking import NO_LINE_START

FAST = dict(dpi=40)


def _registry(cls, **kw):
    return Registry([GeneratorSpec(name="test", scripts=("*",), unit=kw.pop("unit", "word"),
                                   factory=cls, priority=0, **kw)])


@pytest.fixture
def counting_registry():
    """Test generator that records every batch it is asked for."""
    from hwrender_plugins.testing import TestGenerator

    class Counting(TestGenerator):
        calls: list = []

        def generate(self, units, style, seed, device="cpu"):
            Counting.calls.append(list(units))
            return super().generate(units, style, seed, device)

    Counting.calls = []
    return _registry(Counting), Counting


def lorem(n):
    words = "the quick brown fox jumps over a lazy dog while seven wizards quietly hex".split()
    return " ".join(words[i % len(words)] for i in range(n))


def test_render_pages_gives_page_sized_images(test_registry):
    (img,) = render_pages("Hello World", registry=test_registry, dpi=72)
    assert img.size == (595, 842)  # A4 in points at 72 dpi
    assert img.mode == "RGB"
    lo, hi = img.convert("L").getextrema()
    assert lo < 128 < hi  # ink on paper


def test_landscape_letter(test_registry):
    (img,) = render_pages("Hi", registry=test_registry, page_size="Letter",
                          orientation="landscape", dpi=72)
    assert img.size == (792, 612)


def test_same_seed_same_bytes_other_seed_differs(test_registry):
    def png(seed):
        (img,) = render_pages(lorem(40), registry=test_registry, seed=seed, **FAST)
        buf = io.BytesIO()
        img.save(buf, "PNG")
        return buf.getvalue()

    assert png(3) == png(3)
    assert png(3) != png(4)


def test_same_seed_same_pdf_bytes(test_registry):
    def pdf(seed):
        buf = io.BytesIO()
        write(lorem(60), buf, registry=test_registry, format="pdf", seed=seed, **FAST)
        return buf.getvalue()

    assert pdf(5) == pdf(5)
    assert pdf(5) != pdf(6)


def test_one_megabyte_text_streams_page_by_page(counting_registry):
    """A 1 MB text: the first pages come out after a bounded amount of generation and memory."""
    import tracemalloc

    registry, gen = counting_registry
    text = lorem(200_000)
    assert len(text.encode()) > 1_000_000
    tracemalloc.start()
    try:
        pages = iter_pages(text, registry=registry, **FAST)
        for _ in range(3):
            next(pages)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sum(len(c) for c in gen.calls) <= 3000  # not the 200,000 words of the whole text
    assert peak < 80 * 2**20, f"peak {peak / 2**20:.0f} MiB"


def test_long_text_flows_onto_several_pages_in_reading_order(test_registry):
    text = lorem(900)
    pages = list(iter_pages(text, registry=test_registry, **FAST))
    assert len(pages) >= 3
    assert [p.layout.number for p in pages] == list(range(1, len(pages) + 1))
    words = [s.text for p in pages for s in p.layout.spans]
    assert words == text.split()


def test_paragraphs_and_newlines_start_new_lines(test_registry):
    (page,) = iter_pages("one two\nthree\n\nfour", registry=test_registry, variation=0, **FAST)
    base = {s.text: s.baseline for s in page.layout.spans}
    pitch = page.layout.line_pitch
    assert base["one"] == base["two"]
    assert base["three"] == pytest.approx(base["one"] + pitch, abs=1e-6)
    # a paragraph gap of one empty line by default
    assert base["four"] == pytest.approx(base["three"] + 2 * pitch, abs=1e-6)


def test_baselines_sit_on_the_ruled_lines(test_registry):
    (page,) = iter_pages(lorem(120), registry=test_registry, paper="ruled", **FAST)
    grid = page.layout.baselines
    for p in page.layout.placements:
        nearest = min(grid, key=lambda g: abs(g - p.baseline))
        assert abs(nearest - p.baseline) < 0.2 * page.layout.line_pitch


def test_word_longer_than_a_line_is_split_and_kept_inside(test_registry):
    word = "x" * 400
    pages = list(iter_pages(word, registry=test_registry, **FAST))
    spans = [s for p in pages for s in p.layout.spans]
    assert len(spans) > 1 and "".join(s.text for s in spans) == word
    for p in pages:
        g = p.layout.geometry
        for s in p.layout.spans:
            assert g.content_left - 1e-6 <= s.x0 and s.x1 <= g.content_right + 1e-6


def test_han_breaks_between_characters_without_closing_punctuation_at_line_start(test_registry):
    text = "你好世界。" * 200
    pages = list(iter_pages(text, registry=test_registry, **FAST))
    spans = [s for p in pages for s in p.layout.spans]
    assert len(spans) > 3  # one unbroken "word" spread over many lines
    assert "".join(s.text for s in spans) == text
    assert all(s.text[0] not in NO_LINE_START for s in spans)


def test_page_numbers_are_written(test_registry):
    pages = list(iter_pages(lorem(900), registry=test_registry, page_numbers=True, **FAST))
    for p in pages:
        g = p.layout.geometry
        numbers = [s for s in p.layout.spans if s.baseline > g.content_bottom]
        assert [s.text for s in numbers] == [str(p.layout.number)]


def test_page_numbers_come_from_the_generator_of_the_bodys_digits():
    """``-g Latn=font --page-numbers``: the body's digits were the font's, the page number the
    neural Latin model's (another hand, and 8 s to load it)."""
    from hwrender_plugins.testing import TestGenerator

    asked: dict[str, list] = {"digits": [], "plain": []}

    def spy(name):
        class Spy(TestGenerator):
            def generate(self, units, style, seed, device="cpu"):
                asked[name].extend(units)
                return super().generate(units, style, seed, device)
        return Spy

    registry = Registry([
        GeneratorSpec(name="digits", scripts=("Zyyy", "Latn"), unit="word", factory=spy("digits"),
                      priority=10, auto=True),
        GeneratorSpec(name="plain", scripts=("Latn",), unit="word", factory=spy("plain"), priority=0,
                      auto=True)])
    list(iter_pages("Page 7 of the notes", registry=registry, generators=["Latn=plain"],
                    page_numbers=True, **FAST))
    assert "1" in asked["plain"] and asked["digits"] == []


def test_pages_stream_with_bounded_work(counting_registry):
    registry, gen = counting_registry
    pages = iter_pages(lorem(20000), registry=registry, **FAST)
    next(pages)
    generated = sum(len(c) for c in gen.calls)
    assert generated <= 2000, f"{generated} words generated before the first page"


def test_one_generate_call_per_generator_and_batch(counting_registry):
    registry, gen = counting_registry
    list(iter_pages(lorem(100), registry=registry, **FAST))
    assert len(gen.calls) == 1 and len(gen.calls[0]) == 100


def test_empty_text_is_an_input_error(test_registry):
    for text in ("", "   \n\t \n"):
        with pytest.raises(InputError, match="empty"):
            render_pages(text, registry=test_registry)


def test_unsupported_characters_fail_before_any_generation(counting_registry):
    _, gen = counting_registry
    registry = _registry(gen, charset="abc ")
    with pytest.raises(UnsupportedCharacterError) as err:
        render_pages("abc " * 500 + "\nab☃c", registry=registry)
    assert "'☃' (U+2603" in str(err.value) and "2:3" in str(err.value)
    assert gen.calls == []


def test_unknown_option_is_a_usage_error(test_registry):
    with pytest.raises(UsageError, match="unknown option 'colour'"):
        render_pages("x", registry=test_registry, colour="red")


@pytest.mark.parametrize("kwargs, match", [
    (dict(page_size="A7x"), "page size"),
    (dict(paper="napkin"), "napkin"),
    (dict(ink_color="blu"), "colour"),
    (dict(margins="150mm"), "margin"),
    (dict(x_height="0mm"), "0mm"),
    (dict(dpi=0), "dpi|DPI"),
    (dict(align="center"), "alignment"),
    (dict(variation=5), "variation"),
    (dict(generators=["Latn=nope"]), "unknown generator"),
    (dict(generators=["Qaaz=test"]), "unknown script"),
    (dict(style="nobody-knows"), "unknown style"),
    (dict(device="banana"), "unknown device"),
])
def test_bad_options_fail_fast_with_one_line(test_registry, kwargs, match):
    from hwrender.errors import HwrenderError

    with pytest.raises(HwrenderError, match=match) as err:
        render_pages("hello", registry=test_registry, **kwargs)
    assert "\n" not in err.value.one_line()


def test_write_pdf_to_file_object_and_png_files(tmp_path, test_registry):
    from pypdf import PdfReader

    buf = io.BytesIO()
    write("Hello World", buf, registry=test_registry, format="pdf", **FAST)
    reader = PdfReader(io.BytesIO(buf.getvalue()))
    assert len(reader.pages) == 1
    assert reader.pages[0].extract_text().split() == ["Hello", "World"]

    paths = write(lorem(900), tmp_path / "page.png", registry=test_registry, **FAST)
    assert [p.name for p in paths][:3] == ["page.png", "page-2.png", "page-3.png"]
    assert all(p.exists() for p in paths)
    assert Image.open(paths[0]).size == Image.open(paths[-1]).size


def test_failure_mid_document_leaves_no_files(tmp_path):
    from hwrender_plugins.testing import TestGenerator

    class FailsLater(TestGenerator):
        n = 0

        def generate(self, units, style, seed, device="cpu"):
            FailsLater.n += 1
            if FailsLater.n > 3:
                raise RuntimeError("generator crashed")
            return super().generate(units, style, seed, device)

    registry = _registry(FailsLater)
    for name in ("doc.pdf", "page.png", "page.jpg"):
        FailsLater.n = 0
        with pytest.raises(RuntimeError):
            write(lorem(3000), tmp_path / name, registry=registry, **FAST)
    assert list(tmp_path.iterdir()) == []


def test_bare_numbers_are_millimetres_everywhere(test_registry):
    a = list(iter_pages("hello", registry=test_registry, x_height=3, margins=15, indent=5, **FAST))
    b = list(iter_pages("hello", registry=test_registry, x_height="3mm", margins="15mm",
                        indent="5mm", **FAST))
    assert a[0].layout == b[0].layout
    assert a[0].layout.geometry.margin_left == pytest.approx(15 * 72 / 25.4)


def test_png_and_jpeg_carry_dpi_and_ink_colour(tmp_path, test_registry):
    write("Hello", tmp_path / "p.png", registry=test_registry, dpi=60, ink_color="red",
          variation=0)
    with Image.open(tmp_path / "p.png") as img:
        assert img.format == "PNG" and img.info["dpi"] == pytest.approx((60, 60), abs=0.01)
        assert (255, 0, 0) in {c for _, c in img.convert("RGB").getcolors(1 << 16)}
    write("Hello", tmp_path / "p.jpg", registry=test_registry, dpi=72)
    with Image.open(tmp_path / "p.jpg") as img:
        assert img.format == "JPEG" and img.info["dpi"] == pytest.approx((72, 72), abs=0.01)


def test_pdf_metadata_and_format_overriding_the_suffix(tmp_path, test_registry):
    from pypdf import PdfReader

    from hwrender.errors import HwrenderWarning

    with pytest.warns(HwrenderWarning, match="out.png is named as PNG but is written as PDF"):
        write("Hello", tmp_path / "out.png", registry=test_registry, format="pdf", title="Notes",
              author="Ada", **FAST)
    assert (tmp_path / "out.png").read_bytes().startswith(b"%PDF-")
    meta = PdfReader(tmp_path / "out.png").metadata
    assert meta.title == "Notes" and meta.author == "Ada"
    assert meta.creator == f"hwrender {hwrender.__version__}"


def test_a_page_number_pattern_in_a_pdf_name_is_refused(tmp_path, test_registry):
    """``-o 'scan-{n:03d}.pdf'`` wrote a file of that very name."""
    with pytest.raises(UsageError, match=r"holds every page in one file.*pages\.pdf"):
        write("Hello", tmp_path / "scan-{n:03d}.pdf", registry=test_registry, **FAST)
    assert list(tmp_path.iterdir()) == []


def test_options_object_and_public_names():
    opts = RenderOptions(paper="ruled")
    assert opts.paper == "ruled" and opts.dpi == 300
    assert hwrender.write is write and hwrender.render_pages is render_pages


def test_write_to_dash_fails_when_the_reader_leaves_early():
    """A pipe that takes only part of the page data is an error, not a silent half PDF."""
    import subprocess
    import sys

    code = ("import hwrender; hwrender.write('hello ' * 3000, '-', generators=['Latn=font', "
            "'Zyyy=font'], dpi=100)")
    run = subprocess.run(f'"{sys.executable}" -c "{code}" | head -c 100 > /dev/null; '
                         'exit ${PIPESTATUS[0]}', shell=True, executable="/bin/bash",
                         capture_output=True, text=True)
    assert run.returncode != 0
    assert "BrokenPipeError" in run.stderr


def test_the_fit_is_checked_once_and_before_any_generation(counting_registry, monkeypatch):
    """Options are checked in one place: layout_pages' check_fits, called once, up front."""
    import hwrender.layout as layout
    import hwrender.layout.flow as flow
    import hwrender.layout.geometry as geometry

    calls, check = [], geometry.check_fits

    def counted(g, s):
        calls.append(s)
        return check(g, s)

    for module in (layout, flow, geometry):
        monkeypatch.setattr(module, "check_fits", counted)
    registry, seen = counting_registry
    render_pages("hello world", registry=registry, **FAST)
    assert len(calls) == 1
    with pytest.raises(UsageError, match="variation"):
        iter_pages("hello", registry=registry, variation=5, **FAST)  # at the call, not at next()
    assert len(calls) == 2 and len(seen.calls) == 1  # no generation for the bad options


def test_option_bounds_live_in_one_module():
    from hwrender import bounds, options
    from hwrender.layout import geometry
    from hwrender.render import compose

    assert hwrender.api.MAX_SEED is bounds.MAX_SEED is options.MAX_SEED
    assert geometry.MAX_VARIATION is bounds.MAX_VARIATION and geometry.MAX_PAGE_SIDE is bounds.MAX_PAGE_SIDE
    assert compose.MAX_DPI is bounds.MAX_DPI and compose.MIN_DPI is bounds.MIN_DPI


def test_the_text_font_comes_through_the_registry():
    """The core reads no plugin's files: the PDF text layer uses the font a generator declares."""
    from hwrender_plugins.font import FONT_PATH
    from hwrender_plugins.testing import TestGenerator

    def pdf(**spec) -> bytes:
        buf = io.BytesIO()
        write("hello", buf, format="pdf", registry=_registry(TestGenerator, **spec), **FAST)
        return buf.getvalue()

    assert b"Caveat" in pdf(text_font=FONT_PATH)
    assert b"Caveat" not in pdf()
    from hwrender.registry import default_registry

    assert FONT_PATH in [s.text_font for s in default_registry().specs()]

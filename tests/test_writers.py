"""The output writers: one per format behind one interface, every file through the same atomic
output, and the inks each page carries for the vector writers."""

from __future__ import annotations

from hwrender.api import iter_pages


def lorem(n):
    words = "the quick brown fox jumps over a lazy dog while seven wizards quietly hex".split()
    return " ".join(words[i % len(words)] for i in range(n))


def test_each_page_carries_the_inks_of_its_placements(test_registry):
    pages = list(iter_pages(lorem(300), registry=test_registry, dpi=40, page_size="105x148mm", page_numbers=True))
    assert len(pages) > 1
    for page in pages:
        wanted = {p.ink for p in page.layout.placements}
        assert wanted and set(page.inks) == wanted  # page numbers included, nothing else


# ---------------------------------------------------------------------------------------------
# the registry

import io  # noqa: E402

import pytest  # noqa: E402

from hwrender.api import write  # noqa: E402
from hwrender.errors import GeneratorError, UsageError  # noqa: E402
from hwrender.registry import GeneratorSpec, Registry  # noqa: E402
from hwrender.render import output  # noqa: E402
from hwrender.render.writers import FORMATS, WRITERS, Writer, writer_for  # noqa: E402


def test_every_format_is_one_writer_its_suffixes_choose():
    assert FORMATS == ("png", "jpeg", "pdf", "svg")
    for name, writer in WRITERS.items():
        assert writer.name == name and writer.pages_per_file in ("one", "all")
        for suffix in writer.suffixes:
            assert output.resolve_format(f"page{suffix}", None) == name
        for alias in writer.aliases:
            assert output.resolve_format("-", alias) == name
    assert writer_for("pdf").pages_per_file == "all" and writer_for("svg").pages_per_file == "one"


def test_a_new_format_is_one_writer(test_registry, tmp_path, monkeypatch):
    class TextWriter(Writer):
        name, suffixes = "txt", (".txt",)

        def uses_coverage(self, ctx):
            return False

        def write(self, pages, file, ctx):
            for page in pages:
                assert page.coverage is None and page.inks  # asked for no raster; has the inks
                file.write(" ".join(s.text for s in page.layout.spans).encode())

    monkeypatch.setitem(WRITERS, "txt", TextWriter())
    monkeypatch.setitem(output.SUFFIXES, ".txt", "txt")
    monkeypatch.setitem(output.ALIASES, "txt", "txt")
    text = lorem(300)
    paths = write(text, tmp_path / "page.txt", registry=test_registry, dpi=40, page_size="105x148mm")
    assert [p.name for p in paths][:2] == ["page.txt", "page-2.txt"]
    assert " ".join(p.read_text() for p in paths) == text


# ---------------------------------------------------------------------------------------------
# one atomic output for every writer


@pytest.fixture
def failing_registry():
    """The test generator, failing on its second batch (after the first pages were written)."""
    from hwrender_plugins.testing import TestGenerator

    class Failing(TestGenerator):
        calls = 0

        def generate(self, units, style, seed, device="cpu"):
            Failing.calls += 1
            if Failing.calls == 2:
                raise GeneratorError("the generator broke", "nothing to do")
            return super().generate(units, style, seed, device)

    return Registry([GeneratorSpec(name="test", scripts=("*",), unit="word", factory=Failing, priority=0)])


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_failed_write_leaves_no_file(failing_registry, tmp_path, fmt):
    from hwrender.pipeline import CHUNK_WORDS

    (tmp_path / "page-2.x").write_bytes(b"old")  # something else in the folder stays
    done: list[int] = []
    with pytest.raises(GeneratorError):
        write(lorem(2 * CHUNK_WORDS), tmp_path / f"page.{fmt}", registry=failing_registry, dpi=40,
              page_size="105x148mm", on_page=done.append)
    assert len(done) > 1  # pages were written before the failure
    assert sorted(p.name for p in tmp_path.iterdir()) == ["page-2.x"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_failed_write_to_a_stream_writes_nothing(failing_registry, fmt):
    from hwrender.pipeline import CHUNK_WORDS

    buf = io.BytesIO()
    with pytest.raises((GeneratorError, UsageError)):
        write(lorem(2 * CHUNK_WORDS), buf, registry=failing_registry, format=fmt, dpi=40, page_size="105x148mm")
    assert buf.getvalue() == b""


def test_stream_outputs_write_in_order_on_success_only():
    buf = io.BytesIO()
    with output.StreamOutputs(buf) as out:
        with out.open() as fh:
            fh.write(b"one ")
        out.open("ignored").write(b"two")
        assert buf.getvalue() == b""
    assert buf.getvalue() == b"one two" and out.paths == []
    with pytest.raises(RuntimeError):
        with output.StreamOutputs(buf) as out:
            out.open().write(b"three")
            raise RuntimeError("boom")
    assert buf.getvalue() == b"one two"


@pytest.mark.parametrize("opts, drawn", [
    ({}, "coverage"), ({"ink_render": "vector"}, "inks"), ({"strokes": True}, "strokes"),
    ({"strokes": True, "ink_render": "vector"}, "strokes"),
])
def test_the_pdf_writer_hands_the_ink_the_options_ask_for(test_registry, monkeypatch, opts, drawn):
    from hwrender.render import pdf

    calls = []
    add_page = pdf.PdfWriter.add_page

    def record(self, page, coverage=None, **kw):
        calls.append((coverage, kw))
        return add_page(self, page, coverage, **kw)

    monkeypatch.setattr(pdf.PdfWriter, "add_page", record)
    buf = io.BytesIO()
    write("Hello World", buf, registry=test_registry, dpi=40, **opts)
    ((coverage, kw),) = calls
    assert buf.getvalue().startswith(b"%PDF")
    if drawn == "coverage":
        assert coverage is not None and kw == {}  # the raster call, unchanged
    elif drawn == "inks":
        assert coverage is None and set(kw) == {"inks"} and kw["inks"]
    else:
        assert coverage is None and set(kw) == {"strokes", "stroke_width"} and kw["strokes"]
        assert kw["stroke_width"] > 0


def test_a_stream_of_one_page_formats_stops_at_the_second_page():
    """PNG to a stream holds one page: the error comes after inking two pages, not all of them."""
    inked: list[int] = []
    with pytest.raises(UsageError, match="this text needs more than one"):
        write(lorem(3000), io.BytesIO(), format="png", generators=["Latn=font", "Zyyy=font"],
              dpi=40, page_size="105x148mm", on_page=inked.append)
    assert inked == [1]  # only the second page was drawn after it (all of them were, before)

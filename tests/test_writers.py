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

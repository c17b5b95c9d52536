"""Vector ink in the PDF: traced outlines as even-odd filled paths, pen-plotter strokes as open
paths, and the page size and invisible text layer kept as with raster ink."""

from __future__ import annotations

import io

import numpy as np
import pytest

from hwrender.ink import InkImage
from hwrender.layout.types import PageGeometry, PageLayout, Placement, TextSpan
from hwrender.render import ink_coverage, trace
from hwrender.render.pdf import PdfWriter
from test_render_pdf import A5, build_page, read, xobjects

DPI = 72


def square(x0, y0, x1, y1) -> np.ndarray:
    """A closed contour of four straight cubics, clockwise on screen (y down), in ink pixels."""
    corners = np.array([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], float)
    ends = np.roll(corners, -1, axis=0)
    return np.stack([corners, corners + (ends - corners) / 3, corners + 2 * (ends - corners) / 3, ends], axis=1)


def ring_alpha(size=24, wall=6) -> np.ndarray:
    a = np.zeros((size + 4, size + 4), np.float32)
    a[2:-2, 2:-2] = 1.0
    a[2 + wall:-2 - wall, 2 + wall:-2 - wall] = 0.0
    return a


def one_word(text="o", x=100.0, baseline=200.0, scale=2.0, rotation=0.0, geometry=A5) -> PageLayout:
    return PageLayout(number=1, geometry=geometry,
                      placements=[Placement(0, x, baseline, scale, rotation, text, 0)],
                      spans=[TextSpan(text, x, x + 50, baseline, 9.0, 3.0, 0, 0, False)],
                      first_baseline=baseline, line_pitch=24, line_count=1)


def write(page, **kw) -> bytes:
    buf = io.BytesIO()
    opts = {k: kw.pop(k) for k in ("ink_color", "paper") if k in kw}
    with PdfWriter(buf, dpi=kw.pop("dpi", DPI), **opts) as w:
        w.add_page(page, **kw)
    return buf.getvalue()


def content(data: bytes) -> str:
    return read(data).pages[0].get_contents().get_data().decode("latin-1")


def ink_ops(data: bytes) -> list[str]:
    """The operators and operands of the page's vector ink: one Form XObject of paths, no image."""
    forms = xobjects(read(data).pages[0])
    assert [f["/Subtype"] for f in forms.values()] == ["/Form"]
    return next(iter(forms.values())).get_data().decode("ascii").split()


def ink_of(data: bytes, dpi: float = DPI, shape=None) -> np.ndarray:
    """The page rasterised back (pdfium), as ink coverage 0..1 of black ink on white paper
    (cut to ``shape``: pdfium rounds the page's pixel size up, compose rounds it)."""
    pdfium = pytest.importorskip("pypdfium2")
    doc = pdfium.PdfDocument(data)
    try:
        image = doc[0].render(scale=dpi / 72).to_pil().convert("L")
    finally:
        doc.close()
    cov = 1.0 - np.asarray(image, np.float64) / 255.0
    return cov if shape is None else cov[: shape[0], : shape[1]]


def test_vector_ink_is_filled_paths_with_the_text_layer_and_page_size():
    inks = {0: InkImage(ring_alpha(), baseline=26, x_height=20)}
    page = build_page("The quick brown fox\njumps over the lazy dog.")
    data = write(page, inks=inks, ink_color="#c01020")
    reader = read(data)
    assert reader.pages[0].extract_text().strip() == "The quick brown fox\njumps over the lazy dog."
    assert float(reader.pages[0].mediabox.width) == pytest.approx(A5.width, abs=0.01)
    assert float(reader.pages[0].mediabox.height) == pytest.approx(A5.height, abs=0.01)
    ops = ink_ops(data)
    assert ops.count("f*") == len(page.placements)  # one even-odd fill per word
    assert ops.count("c") > 0 and "S" not in ops  # curves, filled
    rgb = [float(v) for v in ops[ops.index("rg") - 3 : ops.index("rg")]]
    assert rgb == pytest.approx([0xC0 / 255, 0x10 / 255, 0x20 / 255], abs=1e-4)  # the ink colour
    assert "3 Tr" in content(data)


def test_holes_stay_open_under_the_even_odd_rule(monkeypatch):
    # Both squares wind the same way: a non-zero fill would paint the hole, even-odd keeps it.
    ring = [square(0, 0, 40, 40), square(10, 10, 30, 30)]
    monkeypatch.setattr(trace, "ink_outlines", lambda inks, scales=None: [ring for _ in inks])
    ink = InkImage(np.ones((40, 40), np.float32), baseline=40, x_height=20)
    cov = ink_of(write(one_word(scale=1.0), inks={0: ink}, ink_color="black"))
    # the word's origin is (100, 200) and its baseline is the ink's bottom row: it spans y 160..200
    assert cov[162:198, 102:108].min() > 0.95  # the ring's wall
    assert cov[172:188, 112:128].max() < 0.05  # its hole
    assert cov[150:158].max() < 0.05 and cov[:, 142:].max() < 0.05  # nothing outside it


@pytest.mark.parametrize("rotation", [0.0, 7.0, -12.0])
def test_vector_ink_lands_where_the_raster_ink_does(rotation):
    """The traced outlines, mapped by the placement and flipped into PDF space, cover the same page
    pixels as the raster ink of the same placement (the counter of the ring included)."""
    inks = {0: InkImage(ring_alpha(), baseline=22, x_height=20)}
    page = one_word(scale=2.0, rotation=rotation)
    raster = ink_coverage(page, inks, DPI) / 255.0 > 0.5
    vector = ink_of(write(page, inks=inks, ink_color="black"), shape=raster.shape) > 0.5
    assert raster.sum() > 500
    iou = (raster & vector).sum() / (raster | vector).sum()
    assert iou > 0.9, iou  # a filled counter alone would bring it to 0.75


def test_vector_ink_of_a_real_word_matches_the_raster():
    """A word's worth of ink (several strokes, a dot, a counter) at print resolution."""
    a = np.zeros((30, 60), np.float32)
    yy, xx = np.mgrid[:30, :60]
    a[(np.hypot(xx - 14, yy - 18) < 9) & (np.hypot(xx - 14, yy - 18) > 5)] = 1.0  # an o
    a[10:27, 30:34] = 1.0  # an i's stem
    a[(np.hypot(xx - 32, yy - 5) < 2.5)] = 1.0  # its dot
    a[10:27, 42:45] = 1.0
    a[10:13, 42:56] = 1.0  # an r-ish hook
    inks = {0: InkImage(a, baseline=27, x_height=16)}
    page = one_word("oir", scale=1.5)
    raster = ink_coverage(page, inks, 150) / 255.0 > 0.5
    vector = ink_of(write(page, inks=inks, ink_color="black", dpi=150), 150, raster.shape) > 0.5
    assert (raster & vector).sum() / (raster | vector).sum() > 0.85


def test_untraceable_ink_draws_nothing_and_keeps_the_text():
    inks = {0: InkImage(np.zeros((10, 10), np.float32), baseline=10, x_height=5),
            1: InkImage(np.zeros((0, 0), np.float32), baseline=0, x_height=5)}
    page = one_word("blank")
    page.placements.append(Placement(1, 160, 200, 1.0, 0.0, "none", 5))
    data = write(page, inks=inks)
    assert xobjects(read(data).pages[0]) == {}  # no ink at all
    assert read(data).pages[0].extract_text().strip() == "blank"


def test_a_placement_without_its_ink_is_named():
    with pytest.raises(KeyError, match="'o'"):
        write(one_word(), inks={})


def test_vector_coordinates_are_compact_integers():
    """Hundredths of a point under one scaling, so the stream holds no long decimals."""
    inks = {0: InkImage(ring_alpha(), baseline=26, x_height=20)}
    ops = ink_ops(write(build_page("compact " * 8), inks=inks))
    assert ops[:7] == ["0.01", "0", "0", "-0.01", "0", f"{A5.height:g}", "cm"]  # y down, in 0.01 pt
    path = ops[ops.index("rg") + 1 :]
    numbers = [tok for tok in path if tok not in ("cm", "m", "c", "h", "f*")]
    assert len(numbers) > 100 and all(tok.lstrip("-").isdigit() for tok in numbers)


def test_strokes_are_open_round_capped_stroked_paths():
    page = one_word("z")
    strokes = [np.array([[100.0, 150.0], [160.0, 150.0], [100.0, 190.0], [160.0, 190.0]]),  # a z
               np.array([[200.0, 170.0]])]  # a dot: one point
    data = write(page, strokes=strokes, stroke_width=4.0, ink_color="black")
    ops = ink_ops(data)
    assert ops.count("S") == 2 and "f*" not in ops and "f" not in ops and "h" not in ops
    block = " ".join(ops)
    assert "1 J" in block and "1 j" in block and "400 w" in block  # 4 pt in hundredths
    assert read(data).pages[0].extract_text().strip() == "z"
    cov = ink_of(data)
    assert cov[150, 110:150].min() > 0.9 and cov[190, 110:150].min() > 0.9  # the two bars
    assert cov[170, 130] > 0.9  # the diagonal
    assert cov[170, 110] < 0.05 and cov[145, 130] < 0.05  # open: nothing filled, the pen 4 pt wide
    assert cov[170, 200] > 0.9 and cov[170, 204] < 0.1  # the dot, 2 pt in radius


def test_stroke_width_is_checked_when_there_are_strokes():
    with pytest.raises(ValueError, match="stroke_width"):
        write(one_word(), strokes=[np.zeros((2, 2))], stroke_width=0)
    # a page without ink has no strokes and no median stroke width (0): nothing to draw, no error
    data = write(one_word("blank"), strokes=[np.zeros((0, 2))], stroke_width=0.0)
    assert xobjects(read(data).pages[0]) == {} and read(data).pages[0].extract_text().strip() == "blank"


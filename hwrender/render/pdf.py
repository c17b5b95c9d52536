"""The PDF writer: one page per PageLayout at its real size, paper as vectors, ink as a soft-masked
image, and an invisible text layer so the PDF can be searched and copied.

Pages are added one at a time and only their compressed streams are kept, so a long document never
holds more than one page raster. The ink image is written directly (an Indexed 1-bit base image of the
ink colour plus the coverage as an 8-bit /SMask, both Flate compressed): reportlab's ``drawImage``
takes ~0.5 s for an A4 page at 300 dpi (md5 and ASCII85 of the RGB raster), this path ~0.1 s.

With ``inks`` (``--ink-render vector``) the ink is instead drawn as paths: each placement's traced
outline (``trace.ink_outlines``, cubic Beziers) mapped onto the page by ``trace.placement_matrix``,
one even-odd filled path per word, so counters stay open and the ink is sharp at any zoom. With
``strokes`` (pen-plotter centre lines) it is open stroked polylines with round caps and joins. The
paths go in one Form XObject per page, Flate-compressed, with coordinates as integers in hundredths
of a point under one scaling ``cm``: exact to 0.01 pt, compact, and quick to write (reportlab's path
objects format each number in Python, and its page streams are ASCII85-encoded in Python too).

The text layer (render mode 3) writes each line's words, as layout set them, at their baselines,
stretched with Tz over the ink's width, with explicit spaces between words. Characters the text
font has (a generator's ``text_font``: the font generator's Caveat) go in a reportlab subset of it
(its ToUnicode is exact); everything else (Hangul, Han, Kana, Greek, ...) goes in an embedded
glyphless Identity-H font whose codes are the UTF-16 values themselves, with an identity ToUnicode
CMap, so every BMP character extracts in every viewer. (reportlab's TTF subsetting
maps characters missing from the font to code 0, which extracts as NUL: unusable on its own.)
"""

from __future__ import annotations

import functools
import io
import math
import os
import threading
import zlib
from dataclasses import dataclass
from typing import BinaryIO, Mapping, Optional, Sequence, Union

import numpy as np
from reportlab.lib.rl_accel import escapePDF, fp_str
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as rl_canvas

from ..errors import UsageError
from .. import __version__
from ..bounds import MAX_PAGE_SIDE
from ..ink import InkImage
from ..layout.types import PageLayout, TextSpan
from .colors import ColorLike, parse_color
from .compose import DEFAULT_DPI, check_dpi, page_pixel_size
from .paper import PaperGeometry, PaperStyle, paper_geometry


_VECTOR_UNIT = 0.01  # vector ink coordinates are written in hundredths of a point
# Measured on a 250-word page of paths (1.6 MB of operators): Flate level 3 is 3 % larger than
# level 6 and 4x quicker (0.04 s against 0.16 s).
_PATH_COMPRESS_LEVEL = 3


@dataclass(frozen=True)
class PdfMetadata:
    """The document information dictionary. ``None`` for creator/producer means hwrender's own."""

    title: str = ""
    author: str = ""
    subject: str = ""
    keywords: Sequence[str] = ()
    creator: Optional[str] = None
    producer: Optional[str] = None


# ----------------------------------------------------------------------------------------------
# text-layer fonts

_TTF_NAME = "HwrenderText"
_GLYPHLESS_NAME = "HwrenderGlyphless"
_font_lock = threading.Lock()
_ttfs: dict[str, tuple[str, frozenset]] = {}  # font file -> (reportlab name, code points it has)


def _ttf(path: Optional["os.PathLike | str"]) -> tuple[str, frozenset]:
    """The text font registered with reportlab: its name and the code points it has glyphs for
    (no name and nothing covered without a font, so everything goes in the glyphless font)."""
    if path is None:
        return "", frozenset()
    key = os.fspath(path)
    with _font_lock:
        if key not in _ttfs:
            # The first font keeps the plain name, which the PDF's resources show.
            name = _TTF_NAME if not _ttfs else f"{_TTF_NAME}{len(_ttfs) + 1}"
            font = TTFont(name, key)
            pdfmetrics.registerFont(font)
            _ttfs[key] = (name, frozenset(font.face.charToGlyph))
        return _ttfs[key]


def _identity_to_unicode() -> bytes:
    """A ToUnicode CMap mapping every 2-byte code to the same UTF-16 code unit (surrogates excepted)."""
    ranges = [f"<{hi:02X}00> <{hi:02X}FF> <{hi:02X}00>" for hi in range(256) if not 0xD8 <= hi <= 0xDF]
    body = []
    for i in range(0, len(ranges), 100):  # at most 100 entries per block
        chunk = ranges[i : i + 100]
        body += [f"{len(chunk)} beginbfrange", *chunk, "endbfrange"]
    return "\n".join([
        "/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def", "/CMapType 2 def",
        "1 begincodespacerange", "<0000> <FFFF>", "endcodespacerange",
        *body,
        "endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end",
    ]).encode("ascii")


@functools.lru_cache(maxsize=1)
def _glyphless_ttf() -> bytes:
    """A TrueType font whose every glyph is blank and half an em wide (a few hundred bytes)."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    fb = FontBuilder(1000, isTTF=True)
    fb.setupGlyphOrder([".notdef", "blank"])
    fb.setupCharacterMap({})
    blank = TTGlyphPen(None).glyph()
    fb.setupGlyf({".notdef": blank, "blank": blank})
    fb.setupHorizontalMetrics({".notdef": (500, 0), "blank": (500, 0)})
    fb.setupHorizontalHeader(ascent=800, descent=-200)
    fb.setupNameTable({"familyName": _GLYPHLESS_NAME, "styleName": "Regular"})
    fb.setupOS2(sTypoAscender=800, sTypoDescender=-200, usWinAscent=800, usWinDescent=200)
    fb.setupPost()
    # fontTools stamps head.created/modified with the clock: fix them so the same text and seed
    # give the same PDF bytes in any process, at any time.
    fb.font["head"].created = fb.font["head"].modified = 0
    fb.font.recalcTimestamp = False
    out = io.BytesIO()
    fb.save(out)
    return out.getvalue()


class _GlyphlessFont:
    """An embedded Type0 font (Identity-H) that draws nothing, for text the TTF cannot encode.

    Its codes are the characters' UTF-16 values and its ToUnicode CMap maps them back one to
    one, so any BMP character is searchable and copies correctly in every viewer, and no viewer
    asks for a font it lacks (non-embedded CJK fonts make Acrobat offer a font-pack download).
    The same idea as Tesseract's GlyphLessFont.
    """

    _dynamicFont = 0
    _multiByte = 1
    shapable = False

    def __init__(self) -> None:
        self.fontName = self.name = _GLYPHLESS_NAME
        self.substitutionFonts: list = []

    def formatForPdf(self, text: str) -> str:
        return escapePDF(text.encode("utf_16_be"))

    def stringWidth(self, text: str, size: float, encoding=None) -> float:
        return 0.5 * size * len(text)

    def addObjects(self, doc) -> None:
        D, N, A = pdfdoc.PDFDictionary, pdfdoc.PDFName, pdfdoc.PDFArray
        internal = "F" + repr(len(doc.fontMapping) + 1)
        ttf = _glyphless_ttf()
        flate = [pdfdoc.PDFZCompress]
        font_file = pdfdoc.PDFStream(D({"Length1": len(ttf)}), ttf, flate)
        # Every CID (= UTF-16 code) draws glyph 1, the blank one.
        cid_to_gid = pdfdoc.PDFStream(content=b"\x00\x01" * 65536, filters=flate)
        descriptor = D({
            "Type": N("FontDescriptor"), "FontName": N(_GLYPHLESS_NAME), "Flags": 5,
            "FontBBox": A([0, -200, 500, 800]), "ItalicAngle": 0, "Ascent": 800, "Descent": -200,
            "CapHeight": 800, "StemV": 80, "FontFile2": doc.Reference(font_file),
        })
        cid_font = D({
            "Type": N("Font"), "Subtype": N("CIDFontType2"), "BaseFont": N(_GLYPHLESS_NAME),
            "CIDSystemInfo": D({"Registry": pdfdoc.PDFString("Adobe"), "Ordering": pdfdoc.PDFString("Identity"),
                                "Supplement": 0}),
            "FontDescriptor": doc.Reference(descriptor), "DW": 500, "W": A([0, 65535, 500]),
            "CIDToGIDMap": doc.Reference(cid_to_gid),
        })
        font = D({
            "Type": N("Font"), "Subtype": N("Type0"), "BaseFont": N(_GLYPHLESS_NAME),
            "Encoding": N("Identity-H"), "DescendantFonts": A([doc.Reference(cid_font)]),
            "ToUnicode": doc.Reference(pdfdoc.PDFStream(content=_identity_to_unicode(), filters=flate)),
        })
        doc.idToObject["BasicFonts"].dict[internal] = doc.Reference(font, internal)
        doc.fontMapping[self.name] = "/" + internal


def _glyphless_font() -> str:
    with _font_lock:
        if _GLYPHLESS_NAME not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(_GlyphlessFont())  # type: ignore[arg-type]
    return _GLYPHLESS_NAME


class _Info(pdfdoc.PDFInfo):
    """The document information dictionary without the fields that were not given (ReportLab
    writes ``(anonymous)`` and ``(unspecified)`` for them, which viewers show as the author)."""

    def format(self, document):
        D = {"ModDate": pdfdoc.PDFDate(ts=document._timeStamp, dateFormatter=self._dateFormatter)}
        D["CreationDate"] = D["ModDate"]
        for key, value in (("Title", self.title), ("Author", self.author), ("Subject", self.subject),
                           ("Keywords", self.keywords), ("Creator", self.creator),
                           ("Producer", self.producer)):
            if value:
                D[key] = pdfdoc.PDFString(value)
        D["Trapped"] = pdfdoc.PDFName(self.trapped)
        return pdfdoc.PDFDictionary(D).format(document)


def _font_runs(text: str, ttf: tuple[str, frozenset]) -> list[tuple[str, str]]:
    """Split ``text`` into (font name, run): the TTF where it has the glyph, the glyphless font elsewhere."""
    ttf_name, cover = ttf
    runs: list[tuple[bool, list[str]]] = []
    for ch in text:
        if ord(ch) > 0xFFFF:
            ch = "\ufffd"  # UCS-2 codes cannot carry it; keep the place rather than drop it
        in_ttf = ord(ch) in cover or (ch == " " and bool(cover))
        if runs and runs[-1][0] == in_ttf:
            runs[-1][1].append(ch)
        else:
            runs.append((in_ttf, [ch]))
    out = []
    for in_ttf, chars in runs:
        run = "".join(chars)
        out.append((ttf_name if in_ttf else _glyphless_font(), run))
    return out


# ----------------------------------------------------------------------------------------------
# writer


class PdfWriter:
    """Stream pages into one PDF written to ``file`` (a binary file object) on ``close()``.

    ``add_page(page, coverage)`` takes the page's layout and its ink coverage (uint8, from
    ``ink_coverage`` at the writer's ``dpi``; ``None`` for a page without ink). ``text_font`` is
    a TrueType file for the text layer's characters it has (``hwrender.write`` passes the one the
    registry's generators declare); without it every character goes in the glyphless font.
    """

    def __init__(
        self,
        file: BinaryIO,
        *,
        paper: PaperStyle = PaperStyle(),
        ink_color: ColorLike = "blue-black",
        dpi: float = DEFAULT_DPI,
        metadata: Union[PdfMetadata, Mapping[str, object], None] = None,
        text_layer: bool = True,
        text_font: Optional["os.PathLike | str"] = None,
        invariant: bool = False,
        compress_level: int = 6,
    ):
        check_dpi(dpi)
        self.paper = paper
        self.ink_rgb = parse_color(ink_color)
        self.dpi = float(dpi)
        self.text_layer = text_layer
        self.text_font = text_font
        self.compress_level = compress_level
        self.page_count = 0
        self._file = file
        self._closed = False
        self._base_images: dict[tuple[int, int], object] = {}
        if metadata is None:
            metadata = PdfMetadata()
        elif not isinstance(metadata, PdfMetadata):
            metadata = PdfMetadata(**dict(metadata))  # type: ignore[arg-type]
        self.metadata = metadata
        # invariant=True: no timestamps or random IDs, so the same input gives the same bytes.
        self._canvas = rl_canvas.Canvas(file, pageCompression=1, invariant=1 if invariant else 0)
        version = __version__
        import reportlab

        c = self._canvas
        c.setTitle(metadata.title)
        c.setAuthor(metadata.author)
        c.setSubject(metadata.subject)
        c.setKeywords(list(metadata.keywords))
        c.setCreator(metadata.creator if metadata.creator is not None else f"hwrender {version}")
        c.setProducer(
            metadata.producer if metadata.producer is not None
            else f"hwrender {version} (ReportLab {reportlab.Version})"
        )
        info = _Info()  # a field not given is left out, not ReportLab's "(anonymous)"
        info.__dict__.update(c._doc.info.__dict__)
        info.title, info.author, info.subject = metadata.title, metadata.author, metadata.subject
        c._doc.info = info

    def __enter__(self) -> "PdfWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()

    def add_page(
        self,
        page: PageLayout,
        coverage: Optional[np.ndarray] = None,
        inks: Optional[Mapping[int, InkImage]] = None,
        strokes: Optional[Sequence[np.ndarray]] = None,
        stroke_width: float = 1.0,
    ) -> None:
        """Add ``page``: its paper, then its ink, then the text layer.

        The ink is any of: ``coverage`` (the raster, an image), ``inks`` (the page's ink images by
        ``Placement.ink``, drawn as traced vector outlines) and ``strokes`` ((n, 2) polylines in page
        points, y down, drawn as open paths ``stroke_width`` points wide); a caller passes one.
        """
        if self._closed:
            raise ValueError("PdfWriter is closed")
        check_dpi(self.dpi, page.geometry)
        c = self._canvas
        geo = page.geometry
        if max(geo.width, geo.height) > MAX_PAGE_SIDE:  # a geometry built by hand, not make_geometry
            raise UsageError(f"page {page.number} is {geo.width:g} x {geo.height:g} pt, larger than a PDF page can be",
                             f"keep each side at most {MAX_PAGE_SIDE:,.0f}pt (200in)")
        c.setPageSize((geo.width, geo.height))
        self._draw_paper(paper_geometry(page, self.paper))
        if coverage is not None:
            size = page_pixel_size(geo, self.dpi)
            if coverage.shape != (size[1], size[0]) or coverage.dtype != np.uint8:
                raise ValueError(
                    f"coverage must be uint8 of shape {(size[1], size[0])} for page {page.number} at "
                    f"{self.dpi:g} dpi, got {coverage.dtype} {coverage.shape}"
                )
            if coverage.any():
                self._draw_ink(coverage, geo.width, geo.height)
        code = [] if inks is None else self._outline_code(page, inks)
        if strokes is not None:
            code += self._stroke_code(strokes, stroke_width)
        if code:
            self._draw_vector_ink(code, geo.width, geo.height)
        if self.text_layer and page.spans:
            self._draw_text(page)
        c.showPage()
        self.page_count += 1

    def close(self) -> None:
        """Write the document to the file object (it is not closed)."""
        if self._closed:
            return
        if self.page_count == 0:
            raise ValueError("a PDF needs at least one page")
        self._closed = True
        self._canvas.save()

    # -- paper -----------------------------------------------------------------------------------

    def _draw_paper(self, geom: PaperGeometry) -> None:
        c = self._canvas
        h = geom.height
        c.saveState()
        c.setFillColorRGB(*(v / 255 for v in geom.background))
        c.rect(0, 0, geom.width, geom.height, stroke=0, fill=1)
        groups: dict[tuple, list] = {}
        for line in geom.lines:
            groups.setdefault((line.width, line.color), []).append(line)
        c.setLineCap(0)
        for (width, color), lines in groups.items():
            c.setStrokeColorRGB(*(v / 255 for v in color))
            c.setLineWidth(width)
            path = c.beginPath()
            for ln in lines:
                path.moveTo(ln.x0, h - ln.y0)
                path.lineTo(ln.x1, h - ln.y1)
            c.drawPath(path, stroke=1, fill=0)
        if geom.dot_xs and geom.dot_ys:
            # A zero-length segment with round caps is a dot of the line width's diameter.
            c.setLineCap(1)
            c.setLineWidth(2 * geom.dot_radius)
            c.setStrokeColorRGB(*(v / 255 for v in geom.dot_color))
            path = c.beginPath()
            for y in geom.dot_ys:
                for x in geom.dot_xs:
                    path.moveTo(x, h - y)
                    path.lineTo(x, h - y)
            c.drawPath(path, stroke=1, fill=0)
        c.restoreState()

    # -- ink -------------------------------------------------------------------------------------

    def _draw_ink(self, coverage: np.ndarray, width_pt: float, height_pt: float) -> None:
        c = self._canvas
        doc = c._doc
        rows, cols = coverage.shape
        n = self.page_count + 1
        smask = pdfdoc.PDFStream(content=zlib.compress(np.ascontiguousarray(coverage).tobytes(), self.compress_level))
        d = smask.dictionary
        d["Type"] = pdfdoc.PDFName("XObject")
        d["Subtype"] = pdfdoc.PDFName("Image")
        d["Width"], d["Height"] = cols, rows
        d["ColorSpace"] = pdfdoc.PDFName("DeviceGray")
        d["BitsPerComponent"] = 8
        d["Filter"] = pdfdoc.PDFArray([pdfdoc.PDFName("FlateDecode")])
        smask_ref = doc.Reference(smask, f"HwInkMask{n}")

        # The colour image is one flat colour: 1-bit Indexed costs almost nothing to compress.
        base = pdfdoc.PDFStream(content=self._flat_bits(cols, rows))
        d = base.dictionary
        d["Type"] = pdfdoc.PDFName("XObject")
        d["Subtype"] = pdfdoc.PDFName("Image")
        d["Width"], d["Height"] = cols, rows
        d["ColorSpace"] = pdfdoc.PDFArray([
            pdfdoc.PDFName("Indexed"), pdfdoc.PDFName("DeviceRGB"), 0,
            pdfdoc.PDFText(bytes(self.ink_rgb)),
        ])
        d["BitsPerComponent"] = 1
        d["SMask"] = smask_ref
        d["Filter"] = pdfdoc.PDFArray([pdfdoc.PDFName("FlateDecode")])
        name = f"HwInk{n}"
        doc.addForm(name, base)
        c._formsinuse.append(name)
        c._currentPageHasImages = 1
        c.saveState()
        c.transform(width_pt, 0, 0, height_pt, 0, 0)
        c._code.append(f"/{doc.getXObjectName(name)} Do")
        c.restoreState()

    def _draw_vector_ink(self, code: list[str], width_pt: float, height_pt: float) -> None:
        """Paint ``code`` (path operators in hundredths of a point, y down) as one Form XObject.

        A form's stream is Flate-compressed here, once; in the page's own content stream
        reportlab would also ASCII85 it in pure Python (~0.5 s and +25 % for a page of paths).
        """
        c = self._canvas
        doc = c._doc
        # Page points, y down, in hundredths: every coordinate in the form is an integer.
        head = f"{_VECTOR_UNIT:g} 0 0 {-_VECTOR_UNIT:g} 0 {fp_str(height_pt)} cm\n"
        level = min(self.compress_level, _PATH_COMPRESS_LEVEL)
        form = pdfdoc.PDFStream(content=zlib.compress((head + "".join(code)).encode("ascii"), level))
        d = form.dictionary
        d["Type"] = pdfdoc.PDFName("XObject")
        d["Subtype"] = pdfdoc.PDFName("Form")
        d["BBox"] = pdfdoc.PDFArray([0, 0, fp_str(width_pt), fp_str(height_pt)])
        d["Resources"] = pdfdoc.PDFDictionary({})
        d["Filter"] = pdfdoc.PDFArray([pdfdoc.PDFName("FlateDecode")])
        name = f"HwInkPaths{self.page_count + 1}"
        doc.addForm(name, form)
        c._formsinuse.append(name)
        c._code.append(f"/{doc.getXObjectName(name)} Do")

    def _outline_code(self, page: PageLayout, inks: Mapping[int, InkImage]) -> list[str]:
        from .trace import ink_outlines, placement_matrix

        placed = []
        for p in page.placements:
            try:
                ink = inks[p.ink]
            except KeyError:
                raise KeyError(f"placement {p.text!r} refers to ink {p.ink}, which is not among the inks given") from None
            if p.scale > 0 and math.isfinite(p.scale) and ink.width > 0 and ink.height > 0:
                placed.append((p, ink))  # compose.ink_coverage draws nothing for the others either
        code: list[str] = []
        at = np.zeros(2, np.int64)  # where the coordinates' origin is now, moved word by word
        # the page's inks traced in one batch (many times faster than one by one), or as cached,
        # fitted as finely as the page fill fits them (so both share one trace)
        for (p, ink), outline in zip(placed, ink_outlines([ink for _, ink in placed],
                                                            [p.scale for p, _ in placed])):
            contours = [np.asarray(k, dtype=np.float64) for k in outline]
            contours = [k for k in contours if len(k)]
            if not contours:
                continue  # untraceable ink (blank, a speck): the word keeps its place and text
            a, b, cc, d, e, f = placement_matrix(p, ink)
            m = np.array([[a, b], [cc, d]]) / _VECTOR_UNIT
            t = np.array([e, f]) / _VECTOR_UNIT
            # Coordinates relative to the word's own origin are a digit shorter than page ones
            # (~15 % smaller, and quicker to compress); the moves are integers, so nothing drifts.
            origin = np.rint(t).astype(np.int64)
            code.append("1 0 0 1 %d %d cm\n" % tuple((origin - at).tolist()))
            at, t = origin, t - origin
            for k in contours:
                pts = np.rint(k.reshape(-1, 2) @ m + t).astype(np.int64).reshape(len(k), 4, 2)
                # moveto the first point, then each segment's two controls and its end
                numbers = np.concatenate([pts[0, 0], pts[:, 1:].ravel()]).tolist()
                code.append(("%d %d m\n" + "%d %d %d %d %d %d c\n" * len(k) + "h\n") % tuple(numbers))
            code.append("f*\n")  # one even-odd fill per word: holes stay holes
        if code:
            code.insert(0, "%s %s %s rg\n" % tuple(fp_str(v / 255) for v in self.ink_rgb))
        return code

    def _stroke_code(self, strokes: Sequence[np.ndarray], width: float) -> list[str]:
        code: list[str] = []
        for line in strokes:
            pts = np.asarray(line, dtype=np.float64).reshape(-1, 2)
            if len(pts) == 0:
                continue
            if len(pts) == 1:
                pts = np.repeat(pts, 2, axis=0)  # a dot: a zero-length line with round caps
            numbers = np.rint(pts / _VECTOR_UNIT).astype(np.int64).ravel().tolist()
            code.append(("%d %d m\n" + "%d %d l\n" * (len(pts) - 1) + "S\n") % tuple(numbers))
        if code:
            # checked only when there is something to draw: a page without ink has no stroke width
            if not (isinstance(width, (int, float)) and math.isfinite(width) and width > 0):
                raise ValueError(f"stroke_width must be a positive number of points, got {width!r}")
            rgb = " ".join(fp_str(v / 255) for v in self.ink_rgb)
            # round caps and joins: a pen's
            code.insert(0, f"{rgb} RG {fp_str(width / _VECTOR_UNIT)} w 1 J 1 j\n")
        return code

    def _flat_bits(self, cols: int, rows: int) -> bytes:
        key = (cols, rows)
        data = self._base_images.get(key)
        if data is None:
            data = self._base_images[key] = zlib.compress(bytes(((cols + 7) // 8) * rows), 9)
        return data  # type: ignore[return-value]

    # -- text ------------------------------------------------------------------------------------

    def _draw_text(self, page: PageLayout) -> None:
        c = self._canvas
        h = page.geometry.height
        t = c.beginText()
        t.setTextRenderMode(3)  # invisible: searchable and selectable, never painted
        ttf = _ttf(self.text_font)
        for pieces in _lines(page.spans):
            y = h - pieces[0][0].baseline  # one baseline per line keeps extractors from splitting it
            for i, piece in enumerate(pieces):
                text = "".join(span.text for span in piece)
                runs = _font_runs(text, ttf)
                x0, x1 = piece[0].x0, max(span.x1 for span in piece)
                size = max(max(span.ascent + span.descent for span in piece), 1.0)
                natural = sum(pdfmetrics.stringWidth(run, font, size) for font, run in runs)
                if i + 1 < len(pieces):
                    # An explicit space: extractors need not guess it from the gap. It falls
                    # in the gap after x1; the next piece is positioned on its own.
                    runs = _font_runs(text + " ", ttf)
                # Stretch (or squeeze) the text over the ink's width.
                scale = 100.0 * (x1 - x0) / natural if natural > 0 else 100.0
                t.setTextOrigin(x0, y)
                t.setHorizScale(min(max(scale, 1.0), 1000.0))
                for font, run in runs:
                    t.setFont(font, size)
                    t.textOut(run)
        c.drawText(t)


def _lines(spans: Sequence[TextSpan]) -> list[list[list[TextSpan]]]:
    """The page's text as layout set it: lines (consecutive spans with one ``line`` number), each
    a list of pieces written without a space inside (a word split between generators, a run of
    Han characters), so each piece is one string in the PDF and extractors cannot put spaces
    inside it."""
    lines: list[list[list[TextSpan]]] = []
    current = None
    for span in spans:
        if not span.text:
            continue
        if not lines or span.line != current:
            lines.append([[span]])
            current = span.line
        elif span.space_before:
            lines[-1].append([span])
        else:
            lines[-1][-1].append(span)
    return lines

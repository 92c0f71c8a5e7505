"""The PDFs the platform prints carry their Chinese font (core.pdffonts): read back by a real
PDF reader (pdfium), every font the poster's text is drawn in is embedded, and it is the
subset of WenQuanYi Zen Hei, not a font only named (STSong-Light) that a print shop would
substitute."""

import ctypes

import pytest

from dangjian.attendance import posters
from dangjian.themedays import selectors as themedays_selectors
from tests.attendance.conftest import NOW

pdfium = pytest.importorskip("pypdfium2")
raw = pytest.importorskip("pypdfium2.raw")

pytestmark = pytest.mark.django_db


def text_fonts(data: bytes) -> set[tuple[str, bool]]:
    """(base font name, embedded) of every text object on every page."""
    fonts = set()
    pdf = pdfium.PdfDocument(data)
    for page in pdf:
        for index in range(raw.FPDFPage_CountObjects(page.raw)):
            obj = raw.FPDFPage_GetObject(page.raw, index)
            if raw.FPDFPageObj_GetType(obj) != raw.FPDF_PAGEOBJ_TEXT:
                continue
            font = raw.FPDFTextObj_GetFont(obj)
            size = raw.FPDFFont_GetBaseFontName(font, None, 0)
            buffer = ctypes.create_string_buffer(size)
            raw.FPDFFont_GetBaseFontName(font, buffer, size)
            fonts.add((buffer.value.decode(), bool(raw.FPDFFont_GetIsEmbedded(font))))
    return fonts


def test_the_pdf_poster_embeds_a_subset_of_wenquanyi_for_its_chinese(activity):
    url = themedays_selectors.checkin_url(activity)
    data = posters.poster_pdf(activity, url, NOW)

    fonts = text_fonts(data)
    assert fonts, "the poster draws its text"
    for name, embedded in fonts:
        assert embedded, name
        # reportlab names each subset of a font by its number: WenQuanYiZenHei-0, -1, ...
        assert name.startswith("WenQuanYiZenHei-"), name
    # The TrueType program itself is in the file; the CID font only named is not.
    assert b"/FontFile2" in data
    assert b"STSong" not in data
    assert len(data) < 1_000_000, "a subset, not the whole 17 MB font"

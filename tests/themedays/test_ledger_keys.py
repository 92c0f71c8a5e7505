"""A record's key is printed whole in the ledger PDF, however long its id grows: the index
and an inspector's search find `attendance:99999991` as one word (a province's ids pass
eight digits), in whichever column of a table it stands."""

import io
import re

import pypdfium2
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import SimpleDocTemplate

from dangjian.core.pdffonts import register_cjk_font
from dangjian.themedays.ledger.render import _Story

KEYS = ["roster:7", "item_evidence:15434", "attendance:99999991", "rectification_event:1234567890"]


def printed_text(story) -> str:
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4).build(story.flow)
    document = pypdfium2.PdfDocument(out.getvalue())
    return "\n".join(page.get_textpage().get_text_range() for page in document)


def test_a_key_is_never_wrapped_in_the_first_or_a_later_narrow_column():
    story = _Story(register_cjk_font())
    story.table(
        ["编号", "签到记录", "说明"],
        [[key, key, "张三 已签到"] for key in KEYS],
        [22 * mm, 28 * mm, 60 * mm],
    )
    text = printed_text(story)
    for key in KEYS:
        whole = re.compile(re.escape(key) + r"(?!\d)")
        assert len(whole.findall(text)) == 2, key


def test_text_that_is_not_a_key_still_wraps_in_its_cell():
    story = _Story(register_cjk_font())
    long = "这是一段很长的说明文字，" * 6
    story.table(["编号", "说明"], [["photo:1", long]], [22 * mm, 40 * mm])
    text = printed_text(story)
    assert "photo:1" in text
    # Wrapped: the sentence is broken over several lines of the PDF's text.
    assert long not in text.replace("\r", "")
    assert long in re.sub(r"\s+", "", text)

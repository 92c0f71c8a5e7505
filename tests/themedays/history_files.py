"""Historical theme-day files as an admin fills them in: the template's header row and
the rows given, as an .xlsx upload."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from dangjian.themedays.history import HISTORY_COLUMNS

HEADERS = [title for _name, title in HISTORY_COLUMNS]


def history_file(rows: list[list], name: str = "历史.xlsx") -> SimpleUploadedFile:
    wb = Workbook()
    ws = wb.active
    ws.append(HEADERS)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return SimpleUploadedFile(name, buf.getvalue())


def row(
    month,
    branch,
    title,
    held_at,
    *,
    venue="村党员活动室",
    count="",
    names="",
    ends="",
    summary="学习党章，重温入党誓词。",
) -> list:
    """One day's row, in the template's column order."""
    return [month, branch, title, held_at, ends, venue, count, names, summary]

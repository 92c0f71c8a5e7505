"""A county's monthly supervision sheet as files: an .xlsx (openpyxl, every cell through
core.spreadsheets) and a printable PDF (reportlab, the Chinese in the font it embeds,
core.pdffonts). Both carry the sheet's content hash, so that a printed copy can be matched
to the archived one."""

import io
from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from dangjian.attendance.posters import wrap_text
from dangjian.core.batching import chunks
from dangjian.core.pdffonts import register_cjk_font
from dangjian.core.spreadsheets import xlsx_row
from dangjian.registry.models import Organization
from dangjian.supervision import monthly
from dangjian.supervision.monthly import SheetRow

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"
# Rows per PDF table: reportlab splits a long table across pages by measuring it again for
# every page, which a county's thousand rows would make quadratic.
PDF_ROWS_PER_TABLE = 40


@dataclass
class SheetContent:
    county: Organization
    month: date
    threshold: int
    branches: int
    rows: list[SheetRow]
    # The name of the organization directly under the county that each branch belongs to.
    units: dict[int, str]
    generated_at: datetime
    content_hash: str
    with_items: bool
    with_sent_back: bool

    @property
    def title(self) -> str:
        return _("%(county)s %(year)d年%(month)d月 月度督查表") % {
            "county": self.county.name,
            "year": self.month.year,
            "month": self.month.month,
        }

    def summary(self) -> str:
        counts = monthly.reason_counts(self.rows)
        parts = [
            f"{monthly.REASONS[reason]} {counts[reason]}"
            for reason in monthly.REASONS
            if self._has(reason)
        ]
        return _("检查党支部 %(branches)d 个，列出 %(listed)d 个：%(parts)s") % {
            "branches": self.branches,
            "listed": len(self.rows),
            "parts": "，".join(parts),
        }

    def policy_line(self) -> str:
        at = timezone.localtime(self.generated_at).strftime("%Y-%m-%d %H:%M")
        return _("生成时间 %(at)s；签到率低于 %(threshold)d%% 列为偏低；内容校验码 %(hash)s") % {
            "at": at,
            "threshold": self.threshold,
            "hash": self.content_hash,
        }

    def _has(self, reason: str) -> bool:
        if reason == monthly.ITEMS_MISSING:
            return self.with_items
        if reason == monthly.SENT_BACK:
            return self.with_sent_back
        return True

    def header(self) -> list[str]:
        head = [_("序号"), _("党支部"), _("所属党组织"), _("无审核通过的计划"), _("未开展")]
        head += [_("签到率（%）")]
        if self.with_items:
            head += [_("规定动作缺项")]
        if self.with_sent_back:
            head += [_("退回未补充")]
        head += [_("逾期整改"), _("督查问题")]
        return head

    def lines(self) -> list[list]:
        out = []
        for number, row in enumerate(self.rows, start=1):
            f, reasons = row.facts, row.reasons
            mark = {r: _("是") for r in reasons}
            line = [number, f.name, self.units.get(f.branch_id, "")]
            line += [mark.get(monthly.NO_APPROVED_PLAN, ""), mark.get(monthly.NOT_HELD, "")]
            line += [f.sign_in_percent if f.sign_in_percent is not None else ""]
            if self.with_items:
                line += [f.items_missing or ""]
            if self.with_sent_back:
                line += [f.sent_back or ""]
            line += [f.overdue_rectifications or ""]
            line += ["、".join(str(monthly.REASONS[r]) for r in reasons)]
            out.append(line)
        return out


def sheet_xlsx(content: SheetContent) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = _("月度督查")
    ws.append(xlsx_row(ws, [content.title]))
    ws["A1"].font = Font(bold=True, size=13)
    ws.append(xlsx_row(ws, [content.summary()]))
    ws.append(xlsx_row(ws, [content.policy_line()]))
    ws.append([])
    ws.append(xlsx_row(ws, content.header()))
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    header_row = ws.max_row
    for line in content.lines():
        ws.append(xlsx_row(ws, line))
    widths = [6, 36, 24] + [12] * (len(content.header()) - 4) + [40]
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def sheet_pdf(content: SheetContent) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = register_cjk_font()
    title = ParagraphStyle("title", fontName=font, fontSize=16, leading=22, spaceAfter=4)
    body = ParagraphStyle("body", fontName=font, fontSize=9, leading=13)
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=content.title,
    )
    story = [
        Paragraph(_escape(content.title), title),
        Paragraph(_escape(content.summary()), body),
        Paragraph(_escape(content.policy_line()), body),
        Spacer(1, 4 * mm),
    ]
    lines = content.lines()
    width = doc.width
    middle = len(content.header()) - 4
    fixed = [10 * mm, 58 * mm, 45 * mm]
    rest = width - sum(fixed)
    widths = fixed + [rest * 0.4 / middle] * middle + [rest * 0.6]
    pad = 2 * 3  # a cell's left and right padding (reportlab's default 3 pt each)

    def cells(line: list) -> list:
        """Plain strings, wrapped to the column by measuring: a Paragraph per cell would
        cost ten times as much for a county's thousand rows."""
        return [
            "\n".join(wrap_text(str(value), widths[i] - pad, lambda t: stringWidth(t, font, 8)))
            if isinstance(value, str)
            else value
            for i, value in enumerate(line)
        ]

    header = cells(content.header())
    style = TableStyle(
        [
            ("FONTNAME", (0, 0), (-1, -1), font),
            ("FONTSIZE", (0, 0), (-1, -1), 8),
            ("LEADING", (0, 0), (-1, -1), 10),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f3e3e3")),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ]
    )
    if not lines:
        story.append(Paragraph(_escape(_("本月无需督查的党支部。")), body))
    for batch in chunks(lines, PDF_ROWS_PER_TABLE):
        table = Table([header] + [cells(line) for line in batch], colWidths=widths, repeatRows=1)
        table.setStyle(style)
        story.append(table)
    doc.build(story)
    return out.getvalue()


def _escape(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass
class SheetAttachment:
    """One of a sheet's files as core.files.attachment_response serves it."""

    file: object
    content_type: str
    name: str


def sheet_attachment(sheet, kind: str) -> SheetAttachment:
    """The sheet's `xlsx` or `pdf`, named for the county and month."""
    types = {"xlsx": XLSX, "pdf": PDF}
    if kind not in types:
        raise ValueError(kind)
    name = _("%(county)s-%(month)s-月度督查表") % {
        "county": sheet.county.name,
        "month": f"{sheet.month:%Y-%m}",
    }
    return SheetAttachment(getattr(sheet, kind), types[kind], f"{name}.{kind}")

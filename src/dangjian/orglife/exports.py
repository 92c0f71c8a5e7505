"""A branch's dues register as an .xlsx workbook (openpyxl): members × months with what
each paid, their arrears, and the totals; every cell through core.spreadsheets."""

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from dangjian.core.spreadsheets import xlsx_row
from dangjian.orglife.selectors import Register

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def register_xlsx(register: Register) -> tuple[bytes, str, str]:
    """(content, filename, content type). Amounts are written as numbers with two decimals
    (Decimal to float is exact at the cent for these sizes), an unpaid counted month as 欠."""
    wb = Workbook()
    ws = wb.active
    ws.title = _("党费台账")
    ws.append(xlsx_row(ws, [f"{register.branch.name} · {register.year} · {_('党费台账')}"]))
    ws["A1"].font = Font(bold=True, size=13)
    if register.counted:
        ws.append(xlsx_row(ws, [_("欠缴统计至 %s") % f"{register.counted[-1]:%Y-%m}"]))
    ws.append([])
    header = [_("姓名"), _("类别"), _("每月应交")]
    header += [_("%d月") % m.month for m in register.months]
    header += [_("已缴合计"), _("未缴月数"), _("欠缴金额")]
    ws.append(xlsx_row(ws, header))
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for row in register.rows:
        unpaid = set(row.arrears.unpaid_months)
        line = [
            row.member.name,
            row.base.get_category_display() if row.base else _("未核定"),
            None if row.monthly_amount is None else float(row.monthly_amount),
        ]
        for month, record in row.records.items():
            if record is not None:
                line.append(float(record.amount))
            else:
                line.append(_("欠") if month in unpaid else None)
        line += [
            float(row.paid_total),
            len(row.arrears.unpaid_months),
            float(row.arrears.owed) if row.arrears.is_assessed else None,
        ]
        ws.append(xlsx_row(ws, line))
    total = [_("合计"), None, None] + [None] * len(register.months)
    total += [float(register.paid_total), None, float(register.owed_total)]
    ws.append(xlsx_row(ws, total))
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for i in range(1, len(header) + 1):
        ws.column_dimensions[get_column_letter(i)].width = 14 if i <= 3 else 9
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue(), f"{register.branch.name}-{register.year}-党费台账.xlsx", XLSX

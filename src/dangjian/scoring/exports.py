"""A ranking as an .xlsx workbook (openpyxl), with the period, scope and filters in its
title rows so that a printed sheet says what it ranks. Names and categories are typed text:
they go through core.spreadsheets, as every export's cells do."""

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from dangjian.core.spreadsheets import xlsx_row
from dangjian.registry.models import Organization
from dangjian.scoring.formula import Period
from dangjian.scoring.selectors import RankedRow

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def ranking_xlsx(
    org: Organization,
    period: Period,
    rows: list[RankedRow],
    *,
    level: str,
    filters: str = "",
    study: dict[int, float | None] | None = None,
) -> tuple[bytes, str, str]:
    """(content, filename, content type). `study`, when given, is each row's study package
    completion percent, in a last column."""
    wb = Workbook()
    ws = wb.active
    ws.title = _("排名")
    what = _("党支部排名") if level == "branch" else _("下级组织排名")
    ws.append(xlsx_row(ws, [f"{org.name} · {period.label} · {what}"]))
    ws["A1"].font = Font(bold=True, size=13)
    if filters:
        ws.append(xlsx_row(ws, [filters]))
    ws.append([])
    header = [_("名次"), _("组织"), _("类别"), _("所属领域"), _("分类"), _("得分")]
    # A branch's county and town tell apart branches of the same name.
    places = level == "branch"
    if places:
        header[2:2] = [_("区县"), _("乡镇（街道）")]
    if level == "children":
        header += [_("党支部数"), _("已开展支部数")]
    else:
        header += [_("已开展月数") if period.kind != "month" else _("当月已开展")]
    if study is not None:
        header += [_("学习套餐完成率（%）")]
    ws.append(xlsx_row(ws, header))
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    kinds = {"committee": _("党委"), "general_branch": _("党总支"), "branch": _("党支部")}
    for r in rows:
        kind = kinds.get(r.kind, r.kind)
        line = [r.rank, r.name, kind, r.sector_name, r.category, float(r.score)]
        if places:
            line[2:2] = [r.county, r.town]
        if level == "children":
            line += [r.branches, r.held]
        else:
            line += [r.held_months if period.kind != "month" else (_("是") if r.held else _("否"))]
        if study is not None:
            line += [study.get(r.org_id)]
        ws.append(xlsx_row(ws, line))
    widths = [8, 36, 10, 12, 12, 10, 12, 14]
    if places:
        widths[2:2] = [12, 20]
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = ws.cell(row=ws.max_row - len(rows) + 1, column=1)
    out = io.BytesIO()
    wb.save(out)
    filename = f"{org.name}-{period.label}-{'支部' if level == 'branch' else '下级'}排名.xlsx"
    return out.getvalue(), filename, XLSX

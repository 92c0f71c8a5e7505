"""The import templates: one header row (Chinese); the .xlsx adds a help sheet."""

import csv
import io

from django.utils.translation import gettext as _

from dangjian.core.errors import DomainError
from dangjian.core.spreadsheets import csv_row, xlsx_row
from dangjian.registry.imports.tables import CSV_TYPE, MEMBER_COLUMNS, ORG_COLUMNS, XLSX_TYPE


def _member_notes() -> list[tuple[str, str, str]]:
    return [
        ("姓名", _("必填"), _("不超过50个字")),
        ("身份证号", _("必填"), _("18位居民身份证号码；请把该列设置为文本格式，以免末几位丢失")),
        ("性别", _("选填"), _("男或女；不填时按身份证号确定")),
        ("出生日期", _("选填"), _("如 1985-03-14；不填时按身份证号确定")),
        ("手机号", _("必填"), _("11位大陆手机号码，用于登录，不能与他人重复")),
        ("所在党支部", _("必填"), _("党支部的组织编码，或在本组织下唯一的党支部全称")),
        ("入党日期", _("必填"), _("如 2010-07-01；入党时应年满18周岁")),
        ("转正日期", _("正式党员必填"), _("预备党员不填")),
        ("党员类型", _("必填"), _("正式党员或预备党员")),
        ("是否流动党员", _("选填"), _("是或否，不填为否")),
        ("流动去向", _("流动党员必填"), _("如 广东省深圳市")),
    ]


def _member_rules() -> list[str]:
    return [
        _("第1行为表头，请勿修改；从第2行起每行一名党员。"),
        _("整个文件全部校验通过才会导入；有错误时不导入任何数据，并列出出错的行和列。"),
        _("以身份证号识别党员：已登记的党员再次导入时更新其信息，不会重复登记。"),
        _("新导入的党员暂不能登录，需由管理员为其设置密码。"),
        _("导出的党员名册中身份证号已脱敏，不能直接用于导入。"),
    ]


def _org_notes() -> list[tuple[str, str, str]]:
    return [
        ("组织编码", _("必填"), _("唯一编码，不超过32个字符；再次导入时按编码更新")),
        ("组织名称", _("必填"), _("不超过100个字")),
        (
            "上级组织编码",
            _("选填"),
            _("已有组织或本文件中组织的编码；不填则设在导入所在的组织之下"),
        ),
        ("组织类别", _("必填"), _("党委、党总支或党支部")),
        (
            "所属领域",
            _("必填"),
            _("农村、社区、机关、事业单位、国有企业、非公企业、学校、社会组织或其他"),
        ),
        ("分类", _("选填"), _("不超过50个字，如 五星")),
    ]


def _org_rules() -> list[str]:
    return [
        _("第1行为表头，请勿修改；从第2行起每行一个党组织。"),
        _("整个文件全部校验通过才会导入；有错误时不导入任何数据，并列出出错的行和列。"),
        _(
            "已有的组织（编码相同）再次导入时更新名称、类别、领域和分类；移动组织请在组织管理中操作。"
        ),
    ]


def table_template(
    fmt: str, columns, notes, rules, sheet_title: str, stem: str
) -> tuple[bytes, str, str]:
    headers = [header for _field, header in columns]
    if fmt == "csv":
        out = io.StringIO()
        csv.writer(out).writerow(csv_row(headers))
        # With a BOM, Excel in China opens UTF-8 CSV without garbling the headers.
        return out.getvalue().encode("utf-8-sig"), f"{stem}.csv", CSV_TYPE
    if fmt == "xlsx":
        from openpyxl import Workbook
        from openpyxl.styles import Font

        wb = Workbook()
        ws = wb.active
        ws.title = sheet_title
        ws.append(xlsx_row(ws, headers))
        for cell in ws[1]:
            cell.font = Font(bold=True)
            # Text format, so that Excel keeps ID numbers and phones as typed.
            ws.column_dimensions[cell.column_letter].width = 18
            ws.column_dimensions[cell.column_letter].number_format = "@"
        help_ws = wb.create_sheet(_("填写说明"))
        help_ws.append(xlsx_row(help_ws, [_("列"), _("是否必填"), _("说明")]))
        for row in notes:
            help_ws.append(xlsx_row(help_ws, row))
        help_ws.append([])
        for rule in rules:
            help_ws.append(xlsx_row(help_ws, [rule]))
        help_ws.column_dimensions["A"].width = 16
        help_ws.column_dimensions["B"].width = 14
        help_ws.column_dimensions["C"].width = 70
        buf = io.BytesIO()
        wb.save(buf)
        return buf.getvalue(), f"{stem}.xlsx", XLSX_TYPE
    raise DomainError("validation_error", _("模板格式应为 csv 或 xlsx"), field="format")


def member_template(fmt: str) -> tuple[bytes, str, str]:
    """The member import template: one header row (Chinese); the .xlsx adds a help sheet."""
    return table_template(
        fmt, MEMBER_COLUMNS, _member_notes(), _member_rules(), _("党员信息"), _("党员导入模板")
    )


def org_template(fmt: str) -> tuple[bytes, str, str]:
    return table_template(
        fmt, ORG_COLUMNS, _org_notes(), _org_rules(), _("党组织信息"), _("党组织导入模板")
    )

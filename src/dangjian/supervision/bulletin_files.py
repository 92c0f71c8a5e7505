"""A quarterly bulletin's files, drawn from its figures (`bulletin_figures`): the PDF
(reportlab, charts drawn on the server with reportlab.graphics) and the workbook (openpyxl,
every cell through core.spreadsheets).

The PDF embeds a subset of its Chinese font (core.pdffonts): a bulletin is filed and printed
for years."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from dangjian.core.pdffonts import register_cjk_font
from dangjian.core.spreadsheets import xlsx_cell, xlsx_row
from dangjian.supervision.bulletin_figures import PDF_LIST_ROWS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"
BAR = "#c0392b"
MUTED = "#7f8c8d"


def title_of(figures: dict) -> str:
    year, number = figures["period"].split("-Q")
    return _("%(org)s %(year)s 年第 %(q)s 季度党建工作通报") % {
        "org": figures["org"]["name"],
        "year": year,
        "q": number,
    }


# PDF -------------------------------------------------------------------------------------


class _Pdf:
    """The story of the PDF, section by section."""

    def __init__(self, figures: dict, *, version: int, note: str):
        from reportlab.lib.styles import ParagraphStyle

        self.f = figures
        self.version = version
        self.note = note
        self.font = register_cjk_font()
        base = {"fontName": self.font, "wordWrap": "CJK"}
        self.styles = {
            "title": ParagraphStyle("t", fontSize=17, leading=24, alignment=1, **base),
            "h": ParagraphStyle("h", fontSize=12.5, leading=18, spaceBefore=8, **base),
            "p": ParagraphStyle("p", fontSize=9.5, leading=14, **base),
            "cell": ParagraphStyle("c", fontSize=8.5, leading=11, **base),
            "muted": ParagraphStyle("m", fontSize=8.5, leading=12, textColor=MUTED, **base),
        }
        self.story: list = []

    def para(self, text: str, style: str = "p"):
        from reportlab.platypus import Paragraph

        self.story.append(Paragraph(escape(text), self.styles[style]))

    def table(self, header: list[str], rows: list[list], widths: list[float], total: int = -1):
        from reportlab.lib import colors
        from reportlab.lib.units import mm
        from reportlab.platypus import Paragraph, Table, TableStyle

        if not rows:
            self.para(_("无。"), "muted")
            return
        shown = rows[:PDF_LIST_ROWS]
        cell = self.styles["cell"]
        data = [[Paragraph(escape(str(v)), cell) for v in line] for line in [header, *shown]]
        table = Table(data, colWidths=[w * mm for w in widths], repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#bdc3c7")),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f4e4e1")),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ]
            )
        )
        self.story.append(table)
        total = len(rows) if total < 0 else total
        if total > len(shown):
            self.para(
                _("共 %(n)d 条，此处列出前 %(shown)d 条，其余见 Excel 附表。")
                % {"n": total, "shown": len(shown)},
                "muted",
            )

    def bars(self, labels: list[str], values: list[float], *, top: float = 100.0):
        """A vertical bar chart of `values` (scores 0–100 by default) under `labels`."""
        from reportlab.graphics.charts.barcharts import VerticalBarChart
        from reportlab.graphics.shapes import Drawing
        from reportlab.lib import colors
        from reportlab.lib.units import mm

        if not values:
            return
        drawing = Drawing(170 * mm, 62 * mm)
        chart = VerticalBarChart()
        chart.x, chart.y = 12 * mm, 16 * mm
        chart.width, chart.height = 152 * mm, 42 * mm
        chart.data = [values]
        chart.valueAxis.valueMin = 0
        chart.valueAxis.valueMax = max(top, max(values) or 1)
        chart.valueAxis.labels.fontName = self.font
        chart.valueAxis.labels.fontSize = 7
        chart.categoryAxis.categoryNames = [label[:8] for label in labels]
        chart.categoryAxis.labels.fontName = self.font
        chart.categoryAxis.labels.fontSize = 7
        chart.categoryAxis.labels.angle = 30 if len(labels) > 6 else 0
        chart.categoryAxis.labels.boxAnchor = "ne" if len(labels) > 6 else "n"
        chart.bars[0].fillColor = colors.HexColor(BAR)
        chart.barLabelFormat = "%.1f" if top == 100.0 else "%d"
        chart.barLabels.fontName = self.font
        chart.barLabels.fontSize = 6.5
        chart.barLabels.nudge = 5
        drawing.add(chart)
        self.story.append(drawing)

    def build(self, drawn=None) -> bytes:
        from reportlab.lib.pagesizes import A4
        from reportlab.lib.units import mm
        from reportlab.platypus import SimpleDocTemplate

        f = self.f
        title = title_of(f)
        self.para(title, "title")
        edition = _("第 %d 版") % self.version
        self.para(f"{edition} · {_('统计截至')} {f['as_of']}", "muted")
        if self.note:
            self.para(self.note, "muted")
        self._sections()
        if drawn is not None:  # the story and its charts are drawn; the pages are laid out next
            drawn()
        out = io.BytesIO()
        doc = SimpleDocTemplate(
            out,
            pagesize=A4,
            leftMargin=18 * mm,
            rightMargin=18 * mm,
            topMargin=16 * mm,
            bottomMargin=16 * mm,
            title=title,
            author=f["org"]["name"],
        )
        doc.build(self.story)
        return out.getvalue()

    def _sections(self) -> None:
        f = self.f
        s, missed = f["summary"], f["missed"]
        self.para(_("一、总体情况"), "h")
        self.para(
            _(
                "本季度（%(months)s）共有党支部 %(branches)d 个，开展主题党日的 %(held)d 个，"
                "平均得分 %(score)s 分；未开展主题党日的支部月 %(missed)d 个（%(all)d 个支部"
                "整季度未开展）；补录 %(late)d 次，考勤更正 %(corr)d 条（批准 %(approved)d 条）；"
                "抽查党支部 %(sampled)d 个次，发现问题 %(problems)d 个；下达整改 %(rect)d 项，"
                "逾期未整改 %(overdue)d 项；规定动作缺项 %(items)d 项；活动记录退回补充 "
                "%(back)d 次。"
            )
            % {
                "months": "、".join(f["months"]),
                "branches": s["branches"],
                "held": s["held"],
                "score": s["score"],
                "missed": missed["branch_months"],
                "all": missed["all_months"],
                "late": f["late_records"]["count"],
                "corr": f["corrections"]["count"],
                "approved": f["corrections"]["approved"],
                "sampled": f["spot_checks"]["sampled"],
                "problems": f["spot_checks"]["problems"],
                "rect": f["rectifications"]["count"],
                "overdue": f["rectifications"]["overdue"],
                "items": f["items_missing"]["items"],
                "back": f["send_backs"]["count"],
            }
        )
        self.para(_("二、下级组织排名"), "h")
        children = f["children"]
        self.bars([c["name"] for c in children], [float(c["score"]) for c in children])
        self.table(
            [_("名次"), _("组织"), _("平均得分"), _("党支部数"), _("已开展")],
            [[c["rank"], c["name"], c["score"], c["branches"], c["held"]] for c in children],
            [14, 80, 24, 24, 22],
        )
        self.para(_("三、各领域排名"), "h")
        sectors = f["sectors"]
        self.bars([c["name"] for c in sectors], [float(c["score"]) for c in sectors])
        self.table(
            [_("名次"), _("领域"), _("平均得分"), _("党支部数"), _("已开展")],
            [[c["rank"], c["name"], c["score"], c["branches"], c["held"]] for c in sectors],
            [14, 80, 24, 24, 22],
        )
        self.para(_("四、党支部排名前后各十名"), "h")
        header = [_("名次"), _("党支部"), _("所属"), _("得分"), _("开展月数")]
        widths = [14, 62, 48, 20, 20]
        for label, rows in ((_("前十名"), f["top"]), (_("后十名"), f["bottom"])):
            self.para(label, "muted")
            self.table(
                header,
                [[r["rank"], r["name"], r["under"], r["score"], r["held_months"]] for r in rows],
                widths,
            )
        self.para(_("五、得分分布"), "h")
        self.bars(
            [f"{i * 10}-{i * 10 + 10}" for i in range(len(f["distribution"]))],
            [float(n) for n in f["distribution"]],
            top=0.0,
        )
        self.para(_("六、未开展主题党日的月份"), "h")
        self._by_child(missed["by_child"], _("未开展支部月"))
        self.table(
            [_("党支部"), _("所属"), _("未开展月份")],
            [[r["name"], r["under"], "、".join(r["months"])] for r in missed["rows"]],
            [70, 50, 44],
        )
        self.para(_("七、补录与考勤更正"), "h")
        late = f["late_records"]
        self.table(
            [_("党支部"), _("所属"), _("活动"), _("日期"), _("补录原因")],
            [[r["branch"], r["under"], r["title"], r["date"], r["reason"]] for r in late["rows"]],
            [38, 30, 40, 20, 36],
        )
        corr = f["corrections"]
        self.para(
            _("考勤更正 %(n)d 条：批准 %(a)d 条，未批准 %(r)d 条，待审批 %(p)d 条。")
            % {
                "n": corr["count"],
                "a": corr["approved"],
                "r": corr["refused"],
                "p": corr["pending"],
            }
        )
        self._by_child(corr["by_child"], _("批准的更正"))
        self.para(_("八、抽查发现与整改"), "h")
        spot, rect = f["spot_checks"], f["rectifications"]
        self.para(
            _(
                "抽查 %(checks)d 次、党支部 %(sampled)d 个次：合格 %(passed)d，存在问题 "
                "%(problems)d，待检查 %(pending)d。下达整改 %(n)d 项：整改中 %(open)d，待验收 "
                "%(answered)d，已通过 %(accepted)d，逾期 %(overdue)d。"
            )
            % {**spot, **{k: v for k, v in rect.items() if k != "count"}, "n": rect["count"]}
        )
        self.table(
            [_("党支部"), _("所属"), _("抽查期间"), _("检查发现")],
            [[r["branch"], r["under"], r["period"], r["finding"]] for r in spot["rows"]],
            [40, 32, 20, 72],
        )
        self.table(
            [_("党支部"), _("整改事项"), _("期限"), _("状态")],
            [
                [
                    r["branch"],
                    r["title"],
                    r["deadline"],
                    r["status"] + (_("（逾期）") if r["overdue"] else ""),
                ]
                for r in rect["rows"]
            ],
            [44, 70, 22, 28],
        )
        self._reviews()

    def _by_child(self, counts: list[dict], what: str) -> None:
        if counts:
            self.table([_("下级组织"), what], [[c["name"], c["count"]] for c in counts], [110, 54])

    def _reviews(self) -> None:
        """The required items missing from held days, and the records sent back."""
        f = self.f
        missing, back = f["items_missing"], f["send_backs"]
        self.para(_("九、规定动作缺项"), "h")
        self.para(
            _(
                "已开展的主题党日 %(records)d 次中，%(with)d 次有规定动作未完成或缺少佐证，"
                "共缺 %(items)d 项。"
            )
            % {
                "records": missing["records"],
                "with": missing["with_missing"],
                "items": missing["items"],
            }
        )
        if missing["by_item"]:
            self.table(
                [_("规定动作"), _("缺项次数")],
                [[i["name"], i["count"]] for i in missing["by_item"]],
                [110, 54],
            )
        self.table(
            [_("党支部"), _("所属"), _("月份"), _("缺项")],
            [[r["branch"], r["under"], r["month"], "、".join(r["items"])] for r in missing["rows"]],
            [50, 36, 18, 60],
        )
        self.para(_("十、活动记录退回补充"), "h")
        self.para(
            _("退回补充 %(n)d 次：已补充 %(a)d 次，未补充 %(u)d 次（逾期 %(o)d 次）。")
            % {
                "n": back["count"],
                "a": back["answered"],
                "u": back["unanswered"],
                "o": back["overdue"],
            }
        )
        self.table(
            [_("党支部"), _("活动日期"), _("退回日期"), _("退回原因"), _("补充期限"), _("已补充")],
            [
                [
                    r["branch"],
                    r["date"],
                    r["sent_back"],
                    r["reason"],
                    r["deadline"],
                    _("是") if r["answered"] else _("否"),
                ]
                for r in back["rows"]
            ],
            [36, 20, 20, 50, 20, 18],
        )


def render_pdf(figures: dict, *, version: int = 1, note: str = "", drawn=None) -> bytes:
    """The bulletin's PDF. `drawn`, if given, is called once the text and charts are drawn,
    before the pages are laid out (a step of a generation's job)."""
    return _Pdf(figures, version=version, note=note).build(drawn)


# XLSX ------------------------------------------------------------------------------------


def _sheet(wb, title: str, header: list[str], rows) -> None:
    ws = wb.create_sheet(title)
    cells = [xlsx_cell(ws, h) for h in header]
    for cell in cells:
        cell.font = Font(bold=True)
    ws.append(cells)
    for row in rows:
        ws.append(xlsx_row(ws, row))


def render_xlsx(figures: dict, *, ranking: list[dict], note: str = "") -> bytes:
    """The workbook: a summary sheet, then one sheet per list, every row of each (the
    branch ranking whole)."""
    f = figures
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("概况"))
    heading = xlsx_cell(ws, title_of(f))
    heading.font = Font(bold=True, size=13)
    ws.append([heading])
    if note:
        ws.append(xlsx_row(ws, [note]))
    s, missed, late, corr = f["summary"], f["missed"], f["late_records"], f["corrections"]
    spot, rect = f["spot_checks"], f["rectifications"]
    for label, value in (
        (_("统计截至"), f["as_of"]),
        (_("党支部数"), s["branches"]),
        (_("已开展支部数"), s["held"]),
        (_("平均得分"), float(s["score"])),
        (_("未开展支部月"), missed["branch_months"]),
        (_("整季度未开展的支部"), missed["all_months"]),
        (_("补录次数"), late["count"]),
        (_("考勤更正"), corr["count"]),
        (_("批准的考勤更正"), corr["approved"]),
        (_("抽查党支部个次"), spot["sampled"]),
        (_("抽查发现问题"), spot["problems"]),
        (_("下达整改"), rect["count"]),
        (_("逾期整改"), rect["overdue"]),
        (_("规定动作缺项"), f["items_missing"]["items"]),
        (_("有缺项的主题党日"), f["items_missing"]["with_missing"]),
        (_("退回补充"), f["send_backs"]["count"]),
        (_("退回未补充"), f["send_backs"]["unanswered"]),
    ):
        ws.append(xlsx_row(ws, [label, value]))
    _sheet(
        wb,
        _("下级组织排名"),
        [_("名次"), _("组织"), _("平均得分"), _("党支部数"), _("已开展")],
        (
            [c["rank"], c["name"], float(c["score"]), c["branches"], c["held"]]
            for c in f["children"]
        ),
    )
    _sheet(
        wb,
        _("领域排名"),
        [_("名次"), _("领域"), _("平均得分"), _("党支部数"), _("已开展")],
        ([c["rank"], c["name"], float(c["score"]), c["branches"], c["held"]] for c in f["sectors"]),
    )
    _sheet(
        wb,
        _("党支部排名"),
        [_("名次"), _("党支部"), _("所属"), _("领域"), _("得分"), _("开展月数")],
        (
            [r["rank"], r["name"], r["under"], r["sector"], float(r["score"]), r["held_months"]]
            for r in ranking
        ),
    )
    _sheet(
        wb,
        _("未开展月份"),
        [_("党支部"), _("所属"), _("未开展月数"), _("未开展月份")],
        ([r["name"], r["under"], len(r["months"]), "、".join(r["months"])] for r in missed["rows"]),
    )
    _sheet(
        wb,
        _("补录"),
        [_("党支部"), _("所属"), _("活动"), _("日期"), _("补录原因")],
        ([r["branch"], r["under"], r["title"], r["date"], r["reason"]] for r in late["rows"]),
    )
    _sheet(
        wb,
        _("考勤更正"),
        [
            _("党支部"),
            _("所属"),
            _("党员"),
            _("原状态"),
            _("更正为"),
            _("审批"),
            _("原因"),
            _("活动日期"),
        ],
        (
            [
                r["branch"],
                r["under"],
                r["member"],
                r["from"],
                r["to"],
                r["status"],
                r["reason"],
                r["date"],
            ]
            for r in corr["rows"]
        ),
    )
    _sheet(
        wb,
        _("抽查发现"),
        [_("党支部"), _("所属"), _("抽查期间"), _("检查发现")],
        ([r["branch"], r["under"], r["period"], r["finding"]] for r in spot["rows"]),
    )
    _sheet(
        wb,
        _("整改"),
        [_("党支部"), _("所属"), _("整改事项"), _("期限"), _("状态"), _("逾期")],
        (
            [
                r["branch"],
                r["under"],
                r["title"],
                r["deadline"],
                r["status"],
                _("是") if r["overdue"] else "",
            ]
            for r in rect["rows"]
        ),
    )
    _sheet(
        wb,
        _("规定动作缺项"),
        [_("党支部"), _("所属"), _("月份"), _("缺项数"), _("缺项")],
        (
            [r["branch"], r["under"], r["month"], len(r["items"]), "、".join(r["items"])]
            for r in f["items_missing"]["rows"]
        ),
    )
    _sheet(
        wb,
        _("退回补充"),
        [
            _("党支部"),
            _("所属"),
            _("活动日期"),
            _("退回日期"),
            _("退回原因"),
            _("补充期限"),
            _("已补充"),
        ],
        (
            [
                r["branch"],
                r["under"],
                r["date"],
                r["sent_back"],
                r["reason"],
                r["deadline"],
                _("是") if r["answered"] else _("否"),
            ]
            for r in f["send_backs"]["rows"]
        ),
    )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()

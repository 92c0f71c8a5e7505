"""The ledger's files: a PDF (reportlab, the embedded CJK font of core.pdffonts) with a table
of contents (at its end, and as the PDF's bookmarks), an index of every record
(目录.xlsx: section, record, what it is, the PDF page it is on, the original's path in the
ZIP), and the originals (photos, rectification files), all in one ZIP.

Every record appears once in the index under a stable key (`photo:12`, `attendance:40`),
the same in the PDF's text and the XLSX, so that an inspector, or a test, can find each."""

import hashlib
import io
import logging
import re
import shutil
import zipfile
from dataclasses import dataclass
from datetime import datetime
from html import escape

from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.attendance.models import AttendanceStatus
from dangjian.core import clock
from dangjian.core.pdffonts import register_cjk_font
from dangjian.core.spreadsheets import xlsx_row
from dangjian.orglife.models import PayMethod
from dangjian.scoring import formula
from dangjian.scoring.models import PeriodKind
from dangjian.supervision.models import RectificationStatus
from dangjian.themedays.items import RequiredItem
from dangjian.themedays.ledger.contents import ActivityPart, Contents, RectificationPart
from dangjian.themedays.models import ActivityStatus
from dangjian.themedays.selectors import EVENT_LABELS

logger = logging.getLogger(__name__)

UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')
ORIGINALS = "原件"
STATUSES = set(ActivityStatus.values)
# How every record is named in the index and printed in the PDF (`photo:12`).
_RECORD_KEY = re.compile(r"[a-z_]+:\d+")


@dataclass
class Entry:
    """One record in the index."""

    section: str
    key: str
    text: str
    anchor: str  # the heading it is printed under, whose page the index gives
    original: str = ""  # its file's path in the ZIP
    page: int | None = None


@dataclass
class Original:
    path: str
    field: object  # a FieldFile


def safe_name(text: str, limit: int = 40) -> str:
    """A file or folder name any unzip tool keeps: no separators or control characters."""
    return UNSAFE_NAME.sub("_", text).strip(" ._")[:limit] or "_"


def _local(at: datetime | None) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M") if at else "—"


def _score(hundredths: int | None) -> str:
    return "—" if hundredths is None else str(formula.from_hundredths(hundredths))


class _Story:
    """The PDF's flowables and the index's entries, built together."""

    def __init__(self, font: str):
        from reportlab.lib.styles import ParagraphStyle

        self.font = font
        self.flow: list = []
        self.entries: list[Entry] = []
        self.originals: list[Original] = []
        self.anchor = ""
        # Filled while the PDF is laid out: each heading's page, and the chapters and
        # activities in order for the table of contents.
        self.pages: dict[str, int] = {}
        self.toc: list[tuple[int, str, str]] = []
        base = {"fontName": font, "wordWrap": "CJK"}
        self.h1 = ParagraphStyle("h1", fontSize=16, leading=22, spaceBefore=6, spaceAfter=8, **base)
        self.h2 = ParagraphStyle(
            "h2", fontSize=13, leading=18, spaceBefore=10, spaceAfter=4, **base
        )
        self.h3 = ParagraphStyle("h3", fontSize=11, leading=15, spaceBefore=6, spaceAfter=2, **base)
        self.body = ParagraphStyle("body", fontSize=9, leading=13, **base)
        self.small = ParagraphStyle("small", fontSize=8, leading=11, **base)

    def heading(self, text: str, level: int, key: str) -> None:
        from reportlab.platypus import Paragraph

        p = Paragraph(escape(text), (self.h1, self.h2, self.h3)[level])
        p.ledger_key, p.ledger_level = key, level
        self.anchor = key
        self.flow.append(p)

    def para(self, text: str, style=None) -> None:
        from reportlab.platypus import Paragraph

        html = escape(text).replace("\n", "<br/>")
        self.flow.append(Paragraph(html, style or self.body))

    def record(self, section: str, key: str, text: str, original: str = "") -> None:
        self.entries.append(Entry(section, key, text, self.anchor, original))

    def table(self, header: list[str], rows: list[list[str]], widths: list[float]) -> None:
        from reportlab.lib import colors
        from reportlab.platypus import Paragraph, Table, TableStyle

        if not rows:
            return
        from reportlab.pdfbase.pdfmetrics import stringWidth

        def key_size(text: str, width: float) -> float:
            # A record's key (`item_evidence:15434`, `attendance:99999991`), in whichever
            # column, is found whole by the index and by a search of the PDF: it is never
            # wrapped, but set smaller where its cell is too narrow.
            return min(8.0, (width - 6) / max(stringWidth(text, self.font, 1), 1))

        def cell(value, width):
            # A Paragraph only where the text must wrap: laying out thousands of them is
            # most of a ledger's time, and most cells (names, times) fit on one line.
            text = str(value)
            if _RECORD_KEY.fullmatch(text) or (
                "\n" not in text and stringWidth(text, self.font, 8) <= width - 6
            ):
                return text
            return Paragraph(escape(text), self.small)

        cells = [[cell(v, w) for v, w in zip(row, widths, strict=True)] for row in [header, *rows]]
        smaller = [
            ("FONTSIZE", (col, n), (col, n), size)
            for n, row in enumerate(rows, start=1)
            for col, (value, width) in enumerate(zip(row, widths, strict=True))
            if _RECORD_KEY.fullmatch(str(value)) and (size := key_size(str(value), width)) < 8
        ]
        t = Table(cells, colWidths=widths, repeatRows=1)
        t.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, -1), self.font, 8, 11),
                    ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f3e3e3")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
                + smaller
            )
        )
        self.flow.append(t)


def _activity(story: _Story, n: int, part: ActivityPart, folder: str) -> None:
    from reportlab.lib.units import mm

    a = part.activity
    flags = []
    if a.is_historical:
        flags.append(_("历史导入"))
    elif a.is_late_record:
        flags.append(_("补录"))
    flag = f"（{'、'.join(flags)}）" if flags else ""
    story.heading(f"{n}. {a.title}{flag}", 1, f"activity:{a.pk}")
    status = ActivityStatus(a.status).label
    story.record(_("活动计划"), f"activity:{a.pk}", f"{a.title} · {_local(a.starts_at)} · {status}")
    lines = [
        _("活动编号：activity:%s") % a.pk,
        _("时间：%(start)s 至 %(end)s") % {"start": _local(a.starts_at), "end": _local(a.ends_at)},
        _("地点：%s") % a.venue_address,
        _("状态：%s") % status,
    ]
    if a.campaign_id:
        lines.append(_("活动要求：%s") % a.campaign)
    if a.agenda:
        lines.append(_("议程：%s") % "、".join(str(x) for x in a.agenda))
    if a.optional_items:
        lines.append(_("自选动作：%s") % "、".join(str(x) for x in a.optional_items))
    if a.is_late_record and a.late_reason:
        lines.append(_("补录原因：%s") % a.late_reason)
    story.para("\n".join(lines))
    if part.historical:
        h = part.historical
        names = "、".join(part.attendee_names) or "—"
        text = _(
            "historical:%(pk)s 历史记录：参加%(count)d人；参加人员：%(names)s；"
            "来源：%(file)s 第%(row)d行"
        ) % {
            "pk": a.pk,
            "count": h.attendee_count,
            "names": names,
            "file": h.source_file or "—",
            "row": h.source_row,
        }
        story.para(text)
        story.record(_("历史导入"), f"historical:{a.pk}", text)

    if part.events:
        story.heading(_("计划审核记录"), 2, f"events:{a.pk}")
        rows = []
        for e in part.events:
            who = e.actor.name if e.actor else _("系统")
            action = str(EVENT_LABELS.get(e.action, e.action))
            to = ActivityStatus(e.to_status).label if e.to_status in STATUSES else e.to_status
            rows.append([f"event:{e.pk}", _local(e.at), who, action, to, e.reason])
            story.record(_("计划审核记录"), f"event:{e.pk}", f"{_local(e.at)} {who} {action}")
        story.table(
            [_("编号"), _("时间"), _("操作人"), _("操作"), _("状态"), _("说明")],
            rows,
            [22 * mm, 28 * mm, 25 * mm, 22 * mm, 20 * mm, 53 * mm],
        )

    if part.roster:
        story.heading(_("参加名单与签到"), 2, f"roster_section:{a.pk}")
        rows = []
        for r in part.roster:
            att = part.attendance.get(r.member_id)
            status = AttendanceStatus(att.status).label if att else AttendanceStatus.PENDING.label
            if att and att.is_corrected:
                status += _("（已更正）")
            rows.append(
                [
                    f"roster:{r.pk}",
                    f"attendance:{att.pk}" if att else "—",
                    r.member.name,
                    _("流动") if r.is_flowing else "",
                    status,
                    _local(att.checked_in_at) if att else "—",
                    _local(att.checked_out_at) if att else "—",
                ]
            )
            story.record(_("参加名单"), f"roster:{r.pk}", r.member.name)
            if att:
                story.record(_("签到记录"), f"attendance:{att.pk}", f"{r.member.name} {status}")
        story.table(
            [
                _("名单编号"),
                _("签到编号"),
                _("姓名"),
                _("流动党员"),
                _("签到情况"),
                _("签到时间"),
                _("签退时间"),
            ],
            rows,
            [24 * mm, 26 * mm, 22 * mm, 14 * mm, 20 * mm, 32 * mm, 32 * mm],
        )
    rostered = {r.member_id for r in part.roster}
    off_roster = [att for m, att in part.attendance.items() if m not in rostered]
    for att in off_roster:
        text = f"{att.member.name} {AttendanceStatus(att.status).label}"
        story.para(_("名单外签到 attendance:%(pk)s %(text)s") % {"pk": att.pk, "text": text})
        story.record(_("签到记录"), f"attendance:{att.pk}", text)
    for c in part.corrections:
        text = _("更正 correction:%(pk)s %(name)s：%(reason)s（%(status)s）") % {
            "pk": c.pk,
            "name": c.member.name,
            "reason": c.reason,
            "status": c.get_status_display(),
        }
        story.para(text, story.small)
        story.record(_("签到更正"), f"correction:{c.pk}", text)

    if part.photos:
        story.heading(_("活动照片"), 2, f"photos:{a.pk}")
        for i, p in enumerate(part.photos, 1):
            path = f"{folder}/{i:02d}_photo_{p.pk}.jpg"
            marks = [
                label
                for flag, label in (
                    (p.is_time_mismatch, _("时间不符")),
                    (p.is_location_mismatch, _("地点不符")),
                    (p.is_late, _("补传")),
                )
                if flag
            ]
            text = _("photo:%(pk)s 上传于%(at)s，拍摄于%(taken)s%(marks)s；原件：%(path)s") % {
                "pk": p.pk,
                "at": _local(p.created_at),
                "taken": _local(p.taken_at),
                "marks": f"（{'、'.join(marks)}）" if marks else "",
                "path": path,
            }
            story.para(text, story.small)
            story.record(_("活动照片"), f"photo:{p.pk}", text, path)
            story.originals.append(Original(path, p.image))

    if part.summary:
        story.heading(_("活动总结"), 2, f"summary:{a.pk}")
        story.para(f"summary:{a.pk}", story.small)
        story.para(part.summary.text)
        story.record(_("活动总结"), f"summary:{a.pk}", part.summary.text[:60])

    if part.items:
        _items(story, part)

    if part.comments:
        story.heading(_("心得体会与评论"), 2, f"comments:{a.pk}")
        for c in part.comments:
            kind = _("心得体会") if c.is_reflection else (_("回复") if c.parent_id else _("评论"))
            hidden = _("（已隐藏：%s）") % c.hidden_reason if c.is_hidden else ""
            when = _local(c.created_at)
            text = f"comment:{c.pk} {c.author.name}（{kind}，{when}）{hidden}：{c.body}"
            story.para(text, story.small)
            story.record(_("心得体会与评论"), f"comment:{c.pk}", text[:80])

    if part.ratings or part.score:
        story.heading(_("评价与得分"), 2, f"scores:{a.pk}")
        for r in part.ratings:
            current = _("（现行）") if r.is_current else ""
            text = _("rating:%(pk)s %(org)s 评分 %(score)d%(current)s：%(remark)s") % {
                "pk": r.pk,
                "org": r.rater_org.name,
                "score": r.score,
                "current": current,
                "remark": r.remark or "—",
            }
            story.para(text, story.small)
            story.record(_("上级评分"), f"rating:{r.pk}", text)
        if part.score:
            s = part.score
            text = _("score:%(pk)s 活动得分 %(total)s（评分规则第%(v)d版；%(when)s计算）") % {
                "pk": a.pk,
                "total": _score(s.total_hundredths),
                "v": s.policy_version,
                "when": _local(s.computed_at),
            }
            story.para(text)
            story.record(_("活动得分"), f"score:{a.pk}", text)


def _items(story: _Story, part: ActivityPart) -> None:
    from reportlab.lib.units import mm

    story.heading(_("规定动作及佐证"), 2, f"items:{part.activity.pk}")
    rows = []
    for e in part.items:
        label = RequiredItem(e.item).label
        done = _("已完成") if e.is_done else _("未完成")
        evidence = [
            text
            for text in (
                e.text,
                _("议事事项：%s") % e.matters if e.matters else "",
                _("议定结果：%s") % e.decisions if e.decisions else "",
                _("学习套餐：%s") % e.package.title if e.package else "",
                " ".join(f"photo:{p.pk}" for p in e.photos.all()),
            )
            if text
        ]
        rows.append([f"item_evidence:{e.pk}", label, done, "\n".join(evidence) or "—"])
        story.record(_("规定动作"), f"item_evidence:{e.pk}", f"{label} {done}")
    story.table(
        [_("编号"), _("规定动作"), _("完成情况"), _("佐证")],
        rows,
        [28 * mm, 28 * mm, 18 * mm, 106 * mm],
    )


def _dues(story: _Story, contents: Contents) -> None:
    from reportlab.lib.units import mm

    register = contents.dues
    story.heading(_("四、党费登记"), 0, "dues")
    if not register.rows:
        story.para(_("本年度没有党费记录。"))
        return
    rows = []
    for r in register.rows:
        due = "—" if r.monthly_amount is None else str(r.monthly_amount)
        paid = [x for x in r.records.values() if x is not None]
        unpaid = "、".join(f"{m.month}月" for m in r.arrears.unpaid_months) or "—"
        owed = str(r.arrears.owed) if r.arrears.is_assessed else "—"
        key = f"dues_base:{r.base.pk}" if r.base is not None else "—"
        rows.append([key, r.member.name, due, str(len(paid)), str(r.paid_total), unpaid, owed])
        if r.base is not None:
            story.record(_("党费基数"), f"dues_base:{r.base.pk}", f"{r.member.name} {due}")
    story.table(
        [
            _("编号"),
            _("姓名"),
            _("每月应交"),
            _("已交月数"),
            _("已交合计"),
            _("未交月份"),
            _("欠缴"),
        ],
        rows,
        [26 * mm, 22 * mm, 18 * mm, 16 * mm, 20 * mm, 58 * mm, 20 * mm],
    )
    story.para(
        _("应交合计：%(owed)s；已交合计：%(paid)s")
        % {"owed": register.owed_total, "paid": register.paid_total}
    )
    story.heading(_("缴纳记录"), 2, "dues_records")
    # Each record with its member as the register read it (no query a record).
    records = sorted(
        ((x, r.member.name) for r in register.rows for x in r.records.values() if x is not None),
        key=lambda pair: (pair[0].month, pair[1], pair[0].pk),
    )
    table = []
    for x, name in records:
        method = PayMethod(x.method).label
        table.append(
            [
                f"dues_record:{x.pk}",
                x.month.strftime("%Y-%m"),
                name,
                str(x.amount),
                _local(x.paid_at),
                method,
                x.note,
            ]
        )
        story.record(
            _("党费缴纳记录"),
            f"dues_record:{x.pk}",
            f"{x.month:%Y-%m} {name} {x.amount} {method}",
        )
    story.table(
        [_("编号"), _("月份"), _("姓名"), _("金额"), _("缴纳时间"), _("方式"), _("备注")],
        table,
        [26 * mm, 16 * mm, 24 * mm, 18 * mm, 30 * mm, 20 * mm, 46 * mm],
    )


def _rectification(story: _Story, n: int, part: RectificationPart, folder: str) -> None:
    from reportlab.lib.units import mm

    r = part.rectification
    story.heading(f"{n}. {r.title}", 1, f"rectification:{r.pk}")
    status = RectificationStatus(r.status).label
    text = _("整改 rectification:%(pk)s，%(org)s 于%(at)s提出，期限%(deadline)s，%(status)s") % {
        "pk": r.pk,
        "org": r.opened_by_org.name,
        "at": _local(r.opened_at),
        "deadline": r.deadline.isoformat(),
        "status": status,
    }
    story.para(text)
    story.para(_("整改要求：%s") % r.requirement)
    story.record(_("整改"), f"rectification:{r.pk}", text)
    rows = []
    for e in part.events:
        who = e.actor.name if e.actor else _("系统")
        rows.append([f"rectification_event:{e.pk}", _local(e.at), who, e.action, e.text])
        story.record(
            _("整改过程"), f"rectification_event:{e.pk}", f"{_local(e.at)} {who} {e.action}"
        )
    story.table(
        [_("编号"), _("时间"), _("操作人"), _("操作"), _("内容")],
        rows,
        [30 * mm, 28 * mm, 25 * mm, 18 * mm, 69 * mm],
    )
    for f in part.attachments:
        path = f"{folder}/{f.pk}_{safe_name(f.name, 60)}"
        text = _("附件 rectification_file:%(pk)s %(name)s；原件：%(path)s") % {
            "pk": f.pk,
            "name": f.name,
            "path": path,
        }
        story.para(text, story.small)
        story.record(_("整改附件"), f"rectification_file:{f.pk}", text, path)
        story.originals.append(Original(path, f.file))


def _overview(story: _Story, contents: Contents) -> None:
    from reportlab.lib.units import mm

    story.heading(_("一、年度得分"), 0, "overview")
    labels = dict(PeriodKind.choices)
    rows = []
    for s in contents.period_scores:
        if s.kind == PeriodKind.MONTH:
            period = s.period_start.strftime("%Y-%m")
        elif s.kind == PeriodKind.QUARTER:
            period = f"{s.period_start.year}Q{(s.period_start.month - 1) // 3 + 1}"
        else:
            period = str(s.period_start.year)
        rows.append([f"period_score:{s.pk}", labels[s.kind], period, _score(s.score_hundredths)])
        story.record(
            _("年度得分"),
            f"period_score:{s.pk}",
            f"{labels[s.kind]} {period} {_score(s.score_hundredths)}",
        )
    if rows:
        story.table([_("编号"), _("周期"), _("期间"), _("得分")], rows, [40 * mm] * 4)
    else:
        story.para(_("本年度尚无得分记录。"))


def build_story(contents: Contents, font: str) -> _Story:
    from reportlab.platypus import PageBreak

    story = _Story(font)
    title = _("%(branch)s %(year)d年度台账") % {
        "branch": contents.branch.name,
        "year": contents.year,
    }
    story.para(title, story.h1)
    story.para(
        _(
            "活动%(a)d次，整改%(r)d项。目录在文末（PDF阅读器的书签亦可跳转）；"
            "记录编号见各条目，目录.xlsx 列出每条记录所在页码和原件。"
        )
        % {"a": len(contents.activities), "r": len(contents.rectifications)}
    )
    story.flow.append(PageBreak())
    _overview(story, contents)
    story.flow.append(PageBreak())
    story.heading(_("二、主题党日活动"), 0, "activities")
    if not contents.activities:
        story.para(_("本年度没有活动记录。"))
    for n, part in enumerate(contents.activities, 1):
        folder = f"{ORIGINALS}/{n:02d}_{safe_name(part.activity.title)}"
        _activity(story, n, part, folder)
    story.flow.append(PageBreak())
    story.heading(_("三、整改"), 0, "rectifications")
    if not contents.rectifications:
        story.para(_("本年度没有整改事项。"))
    for n, part in enumerate(contents.rectifications, 1):
        _rectification(story, n, part, f"{ORIGINALS}/整改{n:02d}")
    story.flow.append(PageBreak())
    _dues(story, contents)
    story.flow.append(PageBreak())
    story.heading(_("目录"), 0, "contents")
    story.flow.append(_LateContents(story))
    return story


class _LateContents:
    """The table of contents, laid out last, when every heading's page is known: one pass
    over the document instead of the two a table of contents at the front needs (the
    document's layout is most of a ledger's time)."""

    def __new__(cls, story: _Story):
        from reportlab.platypus import Flowable

        class LateContents(Flowable):
            def __init__(self):
                super().__init__()
                self._table = None

            def _made(self):
                if self._table is None:
                    self._table = _contents_table(story)
                return self._table

            def wrap(self, avail_width, avail_height):
                return self._made().wrap(avail_width, avail_height)

            def split(self, avail_width, avail_height):
                return self._made().split(avail_width, avail_height)

            def drawOn(self, canvas, x, y, _sW=0):  # noqa: N802 - reportlab's name
                self._made().drawOn(canvas, x, y, _sW)

        return LateContents()


def _contents_table(story: _Story):
    from reportlab.lib.units import mm
    from reportlab.platypus import Table, TableStyle

    rows = [
        [("" if level == 0 else "    ") + text, str(story.pages.get(key, ""))]
        for level, text, key in story.toc
        if key != "contents"
    ]
    table = Table(rows or [["", ""]], colWidths=[160 * mm, 20 * mm])
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), story.font, 9, 12),
                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
            ]
        )
    )
    return table


def render_pdf(contents: Contents, story: _Story) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate

    font = story.font
    pages = story.pages
    footer = f"{contents.branch.name} {contents.year}"

    def on_page(canvas, doc):
        canvas.setFont(font, 8)
        canvas.drawRightString(A4[0] - 15 * mm, 10 * mm, f"{footer} · {doc.page}")

    class Doc(BaseDocTemplate):
        def afterFlowable(self, flowable):
            key = getattr(flowable, "ledger_key", None)
            if key is not None:
                pages[key] = self.page
                level = flowable.ledger_level
                if level < 2:
                    text = flowable.getPlainText()
                    story.toc.append((level, text, key))
                    # The PDF's bookmarks: the same contents in the reader's side panel.
                    self.canv.bookmarkPage(key)
                    self.canv.addOutlineEntry(text, key, level=level, closed=level > 0)

    buf = io.BytesIO()
    doc = Doc(
        buf,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=18 * mm,
        title=footer,
        author="Dangjian Cloud",
    )
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body")
    doc.addPageTemplates([PageTemplate("page", [frame], onPage=on_page)])
    doc.build(story.flow)
    for e in story.entries:
        e.page = pages.get(e.anchor)
    return buf.getvalue()


def render_index(entries: list[Entry]) -> bytes:
    from openpyxl import Workbook

    # Write-only: the index has a row for every record of the year.
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("目录"))
    # Before the first row: a write-only sheet writes its columns with it.
    for col, width in zip("ABCDEF", (6, 14, 24, 60, 8, 50), strict=True):
        ws.column_dimensions[col].width = width
    headers = [_("序号"), _("章节"), _("记录编号"), _("内容"), _("PDF页码（所在小节）"), _("原件")]
    ws.append(xlsx_row(ws, headers))
    for n, e in enumerate(entries, 1):
        ws.append(xlsx_row(ws, [n, e.section, e.key, e.text, e.page, e.original]))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def write_zip(out, contents: Contents) -> dict:
    """Write the ledger ZIP into the binary file `out`; the counts per section, and the
    originals that could not be read (listed in the index as missing)."""
    font = register_cjk_font()
    story = build_story(contents, font)
    pdf = render_pdf(contents, story)
    missing = []
    stem = safe_name(f"{contents.branch.name}{contents.year}年台账", 80)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{stem}.pdf", pdf)
        stamp = timezone.localtime(clock.now()).timetuple()[:6]
        for original in story.originals:
            # Photos and most files are compressed already: stored, not deflated again.
            info = zipfile.ZipInfo(original.path, date_time=stamp)
            info.compress_type = zipfile.ZIP_STORED
            try:
                with original.field.open("rb") as src, zf.open(info, "w") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
            except (OSError, ValueError):
                logger.warning("ledger: original %s missing", original.path, exc_info=True)
                missing.append(original.path)
        for e in story.entries:
            if e.original in missing:
                e.text += _("（原件缺失）")
        zf.writestr(_("目录.xlsx"), render_index(story.entries))
    counts: dict[str, int] = {}
    for e in story.entries:
        counts[e.section] = counts.get(e.section, 0) + 1
    return {"counts": counts, "missing": missing, "records": len(story.entries)}


def sha256_of(file) -> tuple[str, int]:
    file.seek(0)
    digest, size = hashlib.sha256(), 0
    while chunk := file.read(1 << 20):
        digest.update(chunk)
        size += len(chunk)
    file.seek(0)
    return digest.hexdigest(), size

"""Historical theme days (历史导入): the days branches held before the platform, imported
from a spreadsheet by an admin above them, so that a branch's ledger and its months start
where its paper records do.

The file is read and reported by the registry's import machinery (`registry.imports`):
every row is checked, problems are listed per row and column, and nothing is written
unless every row is good. An imported activity is closed, flagged historical and a late
record (the database insists), so it counts as held and never as on time
(docs/product.md, "Historical theme days").
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian import permissions
from dangjian.core import clock
from dangjian.core.errors import DomainError
from dangjian.core.text import single_line
from dangjian.interaction.models import Summary
from dangjian.permissions import Action
from dangjian.registry.imports.members import BranchColumn
from dangjian.registry.imports.result import (
    WRITE_BATCH,
    ImportResult,
    all_or_nothing,
    record_file,
)
from dangjian.registry.imports.tables import Errors, raise_invalid, records
from dangjian.registry.imports.templates import table_template
from dangjian.registry.models import Member, Organization, OrgKind, User
from dangjian.registry.validation import clean_text, parse_date
from dangjian.themedays import schedule
from dangjian.themedays.models import (
    Activity,
    ActivityEvent,
    ActivityStatus,
    HistoricalRecord,
    PlanningTask,
)

HISTORY_COLUMNS: list[tuple[str, str]] = [
    ("month", "月份"),
    ("branch", "党支部"),
    ("title", "活动名称"),
    ("held_at", "举办时间"),
    ("ends_at", "结束时间"),
    ("venue", "活动地点"),
    ("attendee_count", "参加人数"),
    ("attendees", "参加人员"),
    ("summary", "活动总结"),
]
HISTORY_HEADERS = dict(HISTORY_COLUMNS)
HISTORY_REQUIRED = ("month", "branch", "title", "held_at", "venue", "summary")
# Without an end, a paper record's day is taken to have lasted this long.
DEFAULT_DURATION = timedelta(hours=2)
# Without a time of day, the start is taken to be this.
DEFAULT_START = time(9, 0)
SUMMARY_MAX_CHARS = 5000
MAX_ATTENDEES = 100000
LATE_REASON = "历史记录导入"
NAME_SEPARATORS = re.compile(r"[、,，;；\s]+")
MONTH_RE = re.compile(r"^(\d{4})\s*(?:[-/.年])\s*(\d{1,2})\s*月?$")
DATETIME_FORMATS = (
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y.%m.%d %H:%M",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日%H:%M",
    "%Y年%m月%d日 %H时%M分",
    "%Y年%m月%d日%H时%M分",
)


# The row's rules, as pure functions -------------------------------------------------------


def parse_month(value) -> date:
    """The first day of the month a cell names: a date (any day of it), or text such as
    2025-03, 2025/3, 2025.03, 2025年3月. ValueError otherwise."""
    if isinstance(value, datetime):
        return value.date().replace(day=1)
    if isinstance(value, date):
        return value.replace(day=1)
    text = clean_text(value)
    match = MONTH_RE.match(text)
    if match:
        year, month = int(match.group(1)), int(match.group(2))
        return date(year, month, 1)
    return _date(text).replace(day=1)


def parse_moment(value) -> datetime:
    """A local (Asia/Shanghai) time from a cell: an Excel date-time, or text such as
    2025-03-15 09:00; a date alone starts at DEFAULT_START. ValueError otherwise."""
    zone = timezone.get_default_timezone()
    if isinstance(value, datetime):
        return value.replace(tzinfo=zone) if timezone.is_naive(value) else value
    if isinstance(value, date):
        return datetime.combine(value, DEFAULT_START, tzinfo=zone)
    text = clean_text(value)
    for fmt in DATETIME_FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=zone)  # noqa: DTZ007 - local
        except ValueError:
            continue
    return datetime.combine(_date(text), DEFAULT_START, tzinfo=zone)


def _date(text: str) -> date:
    parsed = parse_date(text)
    if parsed is None:
        raise ValueError(text)
    return parsed


def split_names(value) -> list[str]:
    """The names of a cell listing attendees, in order, each once."""
    names = [n for n in NAME_SEPARATORS.split(clean_text(value)) if n]
    return list(dict.fromkeys(names))


def parse_count(value) -> int:
    """A whole number of attendees, 0 to MAX_ATTENDEES. ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(value)
        value = int(value)
    count = value if isinstance(value, int) else int(clean_text(value))
    if not 0 <= count <= MAX_ATTENDEES:
        raise ValueError(value)
    return count


def attendee_problem(count: int | None, named: int) -> str | None:
    """Why a row's attendees cannot stand (None when they can): a count or names are
    needed, and a count may not be smaller than the names given."""
    if count is None and not named:
        return _("请填写参加人数或参加人员")
    if count is not None and count < named:
        return _("参加人数少于所列参加人员的人数")
    return None


def timing_problem(month: date, starts_at: datetime, ends_at: datetime, now: datetime):
    """Why a historical day's times cannot stand, as (column, message), None when they can:
    held within its month, over by now, within the years an activity may have and no longer
    than an activity may last."""
    local = timezone.localtime(starts_at)
    if (local.year, local.month) != (month.year, month.month):
        return "held_at", _("举办时间不在所填月份内")
    if ends_at > now:
        return "held_at", _("只能导入已经举办过的活动")
    try:
        schedule.check_schedule(starts_at=starts_at, ends_at=ends_at, now=now)
    except DomainError as exc:
        column = "ends_at" if exc.details.get("field") == "ends_at" else "held_at"
        return column, exc.message
    return None


# Reading the file ---------------------------------------------------------------------------


@dataclass
class _Row:
    row: int
    branch: Organization
    month: date
    title: str
    starts_at: datetime
    ends_at: datetime
    venue: str
    count: int | None
    names: list[str]
    summary: str
    member_ids: list[int] = field(default_factory=list)
    campaign_id: int | None = None


class _HistoryBranches(BranchColumn):
    """The branch column: a branch's code or unique name in the import's organization,
    which the actor administers from above (a branch does not import its own history)."""

    def __init__(self, actor: User, org: Organization):
        super().__init__(actor, org)
        self.actor = actor

    def resolve(self, value):
        branch, problem = super().resolve(value)
        if branch is not None and not permissions.may_import_history(self.actor, branch):
            return None, _("只有上级组织的管理员可以导入该党支部的历史记录")
        return branch, problem

    @staticmethod
    def _check(o: Organization, text: str):
        if o.kind != OrgKind.BRANCH:
            return None, _("“%(value)s”不是党支部") % {"value": text}
        if not o.is_active:
            return None, _("党支部“%(value)s”已撤销") % {"value": text}
        return o, None


def _text(raw: dict, name: str, limit: int, errors: Errors, number: int) -> str:
    value = clean_text(raw.get(name))
    if not value:
        errors.add(number, HISTORY_HEADERS[name], _("不能为空"))
    elif len(value) > limit:
        errors.add(number, HISTORY_HEADERS[name], _("不能超过%d个字") % limit)
    return value


def _clean_row(number: int, raw: dict, branches, errors: Errors, now: datetime) -> _Row | None:
    h = HISTORY_HEADERS
    before = errors.count
    month = starts_at = ends_at = count = None
    try:
        month = parse_month(raw.get("month"))
    except ValueError:
        errors.add(number, h["month"], _("月份应写成 2025-03 这样的格式"))
    branch, problem = branches.resolve(raw.get("branch"))
    if problem:
        errors.add(number, h["branch"], problem)
    title = _text(raw, "title", 200, errors, number)
    venue = _text(raw, "venue", 300, errors, number)
    summary_raw = raw.get("summary")
    summary = str(summary_raw).strip() if summary_raw is not None else ""
    if not summary:
        errors.add(number, h["summary"], _("不能为空"))
    elif len(summary) > SUMMARY_MAX_CHARS:
        errors.add(number, h["summary"], _("不能超过%d个字") % SUMMARY_MAX_CHARS)
    try:
        starts_at = parse_moment(raw.get("held_at"))
        # The last days of year 9999 have no two hours after them.
        ends_at = starts_at + DEFAULT_DURATION
    except (ValueError, OverflowError):
        errors.add(number, h["held_at"], _("举办时间应写成 2025-03-15 09:00 这样的格式"))
        starts_at = None
    ends_raw = raw.get("ends_at")
    if starts_at is not None and clean_text(ends_raw):
        try:
            ends_at = parse_moment(ends_raw)
        except ValueError:
            errors.add(number, h["ends_at"], _("结束时间应写成 2025-03-15 11:00 这样的格式"))
            ends_at = None
    if clean_text(raw.get("attendee_count")):
        try:
            count = parse_count(raw.get("attendee_count"))
        except ValueError:
            errors.add(number, h["attendee_count"], _("参加人数应为0到%d的整数") % MAX_ATTENDEES)
            count = -1
    names = split_names(raw.get("attendees"))
    if count != -1 and (problem := attendee_problem(count, len(names))):
        errors.add(number, h["attendee_count"], problem)
    timing = month and starts_at and ends_at and timing_problem(month, starts_at, ends_at, now)
    if timing:
        errors.add(number, h[timing[0]], timing[1])
    if errors.count > before:
        return None
    return _Row(
        number, branch, month, title, starts_at, ends_at, venue, count, names, single(summary)
    )


def single(text: str) -> str:
    """A summary keeps its line breaks; other control characters go (core.text)."""
    return "\n".join(single_line(line) for line in text.splitlines()).strip()


def _match_members(rows: list[_Row], errors: Errors) -> None:
    """Each named attendee is one member of the row's branch (active or not: a member may
    have left since), found by name."""
    wanted = {r.branch.pk for r in rows if r.names}
    by_branch: dict[int, dict[str, list[int]]] = {pk: {} for pk in wanted}
    members = Member.objects.filter(branch_id__in=wanted).values_list("branch_id", "name", "pk")
    for branch_id, name, pk in members.iterator(chunk_size=5000):
        by_branch[branch_id].setdefault(name, []).append(pk)
    for r in rows:
        for name in r.names:
            found = by_branch.get(r.branch.pk, {}).get(name, [])
            if len(found) == 1:
                r.member_ids.append(found[0])
            elif found:
                message = _("“%(name)s”在该党支部有重名，请改为只填参加人数") % {"name": name}
                errors.add(r.row, HISTORY_HEADERS["attendees"], message)
            else:
                message = _("“%(name)s”不是该党支部的党员") % {"name": name}
                errors.add(r.row, HISTORY_HEADERS["attendees"], message)


def _one_a_month(rows: list[_Row], errors: Errors) -> None:
    """One theme day a branch and month: a month the branch already has an activity for
    (planned, held or imported), or that the file names twice, is refused. The month's
    campaign, where the branch was given one, is the imported day's."""
    branch_ids = {r.branch.pk for r in rows}
    months = {r.month for r in rows}
    taken: set[tuple[int, date]] = set()
    existing = (
        Activity.objects.filter(branch_id__in=branch_ids)
        .exclude(status=ActivityStatus.CANCELLED)
        .values_list("branch_id", "campaign__month", "starts_at")
    )
    for branch_id, campaign_month, starts_at in existing.iterator(chunk_size=5000):
        month = campaign_month or timezone.localtime(starts_at).date().replace(day=1)
        taken.add((branch_id, month))
    tasks = PlanningTask.objects.filter(
        branch_id__in=branch_ids, campaign__month__in=months, campaign__parent__isnull=True
    ).values_list("branch_id", "campaign__month", "campaign_id")
    campaigns = {(b, m): c for b, m, c in tasks}
    seen: dict[tuple[int, date], int] = {}
    for r in rows:
        key = (r.branch.pk, r.month)
        if key in taken:
            errors.add(r.row, HISTORY_HEADERS["month"], _("该党支部本月已有主题党日活动记录"))
        elif key in seen:
            errors.add(
                r.row,
                HISTORY_HEADERS["month"],
                _("与第%d行是同一党支部的同一月份") % seen[key],
            )
        else:
            seen[key] = r.row
        r.campaign_id = campaigns.get(key)


# Writing ------------------------------------------------------------------------------------


def import_history(*, actor: User, org: Organization, file, filename: str) -> ImportResult:
    """Import historical theme days into branches under `org` from an .xlsx or .csv file:
    one row a day (month, branch, title, start and end, venue, attendees as a count or
    names, summary). All or nothing; one audit entry for the file. Each day becomes a closed
    activity flagged historical and late, with its summary, the attendees in its
    HistoricalRecord and an "import" step in its history, and is scored afterwards."""
    permissions.require(actor, Action.IMPORT, org)
    if not permissions.may_import_history(actor, org):
        raise permissions.forbidden()
    now = clock.now()
    errors = Errors()
    branches = _HistoryBranches(actor, org)
    rows = [
        r
        for number, raw in records(file, HISTORY_COLUMNS, HISTORY_REQUIRED)
        if (r := _clean_row(number, raw, branches, errors, now)) is not None
    ]
    _match_members(rows, errors)
    _one_a_month(rows, errors)
    raise_invalid(errors)
    with all_or_nothing(_("有活动记录刚被他人录入，请刷新后重新导入。")), transaction.atomic():
        activities = _write(actor, rows, filename, now)
        record_file(
            actor=actor,
            org=org,
            action="themedays.import_history",
            filename=filename,
            untitled=_("历史主题党日导入"),
            after={"created": len(activities), "activity_ids": [a.pk for a in activities]},
            at=now,
        )
        _score(activities)
    return ImportResult(created=len(activities), updated=0)


def _write(actor: User, rows: list[_Row], filename: str, now: datetime) -> list[Activity]:
    activities = Activity.objects.bulk_create(
        [
            Activity(
                branch=r.branch,
                campaign_id=r.campaign_id,
                title=r.title,
                starts_at=r.starts_at,
                ends_at=r.ends_at,
                venue_address=r.venue,
                # A paper record has no position: no check-in ever happens here.
                latitude=0,
                longitude=0,
                radius_m=0,
                agenda=[],
                status=ActivityStatus.CLOSED,
                is_late_record=True,
                is_historical=True,
                late_reason=LATE_REASON,
                roster_frozen_at=now,
                created_by=actor,
                created_at=now,
                updated_at=now,
                closed_at=now,
            )
            for r in rows
        ],
        batch_size=WRITE_BATCH,
    )
    HistoricalRecord.objects.bulk_create(
        [
            HistoricalRecord(
                activity=a,
                month=r.month,
                attendee_count=r.count if r.count is not None else len(r.member_ids),
                source_file=(filename or "")[:200],
                source_row=r.row,
                imported_by=actor,
                imported_at=now,
            )
            for a, r in zip(activities, rows, strict=True)
        ],
        batch_size=WRITE_BATCH,
    )
    through = HistoricalRecord.attendees.through
    through.objects.bulk_create(
        [
            through(historicalrecord_id=a.pk, member_id=m)
            for a, r in zip(activities, rows, strict=True)
            for m in r.member_ids
        ],
        batch_size=WRITE_BATCH,
    )
    Summary.objects.bulk_create(
        [
            Summary(
                activity=a,
                text=r.summary,
                updated_by=actor,
                is_late=True,
                created_at=now,
                updated_at=now,
            )
            for a, r in zip(activities, rows, strict=True)
        ],
        batch_size=WRITE_BATCH,
    )
    ActivityEvent.objects.bulk_create(
        [
            ActivityEvent(
                activity=a,
                actor=actor,
                at=now,
                action="import_history",
                from_status="",
                to_status=ActivityStatus.CLOSED,
                reason=LATE_REASON,
            )
            for a in activities
        ],
        batch_size=WRITE_BATCH,
    )
    return activities


def _score(activities: list[Activity]) -> None:
    from dangjian.scoring import services as scoring

    for activity in activities:
        scoring.inputs_changed(activity_id=activity.pk)


def history_template(fmt: str) -> tuple[bytes, str, str]:
    """The historical theme-day template: the header row; the .xlsx adds a help sheet."""
    return table_template(
        fmt, HISTORY_COLUMNS, _notes(), _rules(), _("历史主题党日"), _("历史主题党日导入模板")
    )


def _notes() -> list[tuple[str, str, str]]:
    return [
        ("月份", _("必填"), _("活动所属月份，如 2025-03")),
        ("党支部", _("必填"), _("党支部的组织编码，或在本组织下唯一的党支部全称")),
        ("活动名称", _("必填"), _("不超过200个字")),
        ("举办时间", _("必填"), _("如 2025-03-15 09:00，须在所填月份内且已经过去")),
        ("结束时间", _("选填"), _("如 2025-03-15 11:00；不填按2小时计")),
        ("活动地点", _("必填"), _("不超过300个字")),
        ("参加人数", _("与参加人员至少填一项"), _("整数；同时填写参加人员时不得少于其人数")),
        ("参加人员", _("与参加人数至少填一项"), _("该党支部党员的姓名，用顿号或逗号分隔")),
        ("活动总结", _("必填"), _("不超过%d个字") % SUMMARY_MAX_CHARS),
    ]


def _rules() -> list[str]:
    return [
        _("第1行为表头，请勿修改；从第2行起每行一次主题党日活动。"),
        _("整个文件全部校验通过才会导入；有错误时不导入任何数据，并列出出错的行和列。"),
        _("每个党支部每月只能有一次主题党日记录；已有记录的月份不能再导入。"),
        _("导入的活动标记为“历史导入”和“补录”，计为已开展，但不计为按时开展。"),
        _("只有党支部的上级组织管理员可以导入。"),
    ]

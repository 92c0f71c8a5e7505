"""Importing historical theme days: all or nothing with a per-row report, each day a closed
activity flagged historical and late (held, never on time), scoped to an admin above the
branch; and the row rules as pure functions."""

import io
from datetime import date, datetime

import pytest
import time_machine
from openpyxl import Workbook, load_workbook

from dangjian.audit.models import AuditEntry
from dangjian.core.errors import DomainError
from dangjian.interaction.models import Summary
from dangjian.scoring.models import ActivityScore
from dangjian.themedays import history
from dangjian.themedays.models import Activity, ActivityStatus, HistoricalRecord
from tests.themedays.history_files import HEADERS, history_file, row

NOW = datetime.fromisoformat("2026-12-01T09:00:00+08:00")


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


def run(actor, org, rows):
    return history.import_history(actor=actor, org=org, file=history_file(rows), filename="h.xlsx")


def test_each_row_becomes_a_closed_historical_late_activity_with_its_summary_and_attendees(
    world, django_capture_on_commit_callbacks
):
    a = world.a
    rows = [
        row("2026-03", a.branch.code, "三月主题党日", "2026-03-12 09:00", names=a.member.name),
        row(
            "2026年4月",
            a.branch.name,
            "四月主题党日",
            "2026-04-08",
            count=15,
            ends="2026-04-08 10:30",
        ),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        result = run(a.admin, a.org, rows)
    assert (result.created, result.updated) == (2, 0)
    march, april = Activity.objects.filter(branch=a.branch).order_by("starts_at")
    for activity in (march, april):
        assert activity.status == ActivityStatus.CLOSED
        assert activity.is_historical and activity.is_late_record
        assert activity.roster.count() == 0
        assert Summary.objects.get(activity=activity).text == "学习党章，重温入党誓词。"
        assert activity.events.get().action == "import_history"
        # Held, so scored; never on time: the stored score says it is a late record.
        assert ActivityScore.objects.get(activity=activity).is_late_record
    assert march.starts_at == datetime.fromisoformat("2026-03-12T09:00:00+08:00")
    assert march.ends_at == datetime.fromisoformat("2026-03-12T11:00:00+08:00")
    assert april.starts_at.hour == 1 and april.ends_at.minute == 30  # 09:00 and 10:30 local
    record = HistoricalRecord.objects.get(activity=march)
    assert record.attendee_count == 1 and list(record.attendees.all()) == [a.member]
    assert (record.month, record.source_row) == (date(2026, 3, 1), 2)
    assert HistoricalRecord.objects.get(activity=april).attendee_count == 15
    entry = AuditEntry.objects.get(action="themedays.import_history")
    assert entry.after["created"] == 2 and entry.org_id == a.org.pk


def test_one_bad_row_writes_nothing_and_the_report_names_each_bad_row(world):
    a = world.a
    rows = [
        row("2026-03", a.branch.code, "好的一行", "2026-03-12 09:00", count=10),
        row("2026-05", a.branch.code, "时间不在月份内", "2026-06-01 09:00", count=10),
        row("2026-07", a.branch.code, "没有人数", "2026-07-01 09:00"),
        row("2026-08", a.branch.code, "不是党员", "2026-08-01 09:00", names="查无此人"),
        row("2027-01", a.branch.code, "还没举办", "2027-01-05 09:00", count=3),
        row("2026-09", world.b.branch.code, "别的县", "2026-09-01 09:00", count=3),
        row("2026-03", a.branch.code, "同月第二次", "2026-03-20 09:00", count=3),
        row(
            "2026-10",
            a.branch.code,
            "人数少于名单",
            "2026-10-01 09:00",
            count=0,
            names=a.member.name,
        ),
        row("9999-12", a.branch.code, "时间的尽头", "9999-12-31 23:30", count=1),
        row("0001-01", a.branch.code, "时间的开端", "0001-01-01 00:30", count=1),
    ]
    with pytest.raises(DomainError) as exc:
        run(a.admin, a.org, rows)
    assert exc.value.code == "import_invalid"
    reported = {(e["row"], e["column"]) for e in exc.value.details["errors"]}
    assert reported == {
        (3, "举办时间"),
        (4, "参加人数"),
        (5, "参加人员"),
        (6, "举办时间"),
        (7, "党支部"),
        (8, "月份"),
        (9, "参加人数"),
        (10, "举办时间"),
        (11, "举办时间"),
    }
    assert not Activity.objects.exists()
    assert not HistoricalRecord.objects.exists()
    assert not AuditEntry.objects.filter(action="themedays.import_history").exists()


def test_a_month_the_branch_already_has_a_day_for_is_refused(world):
    a = world.a
    run(a.admin, a.org, [row("2026-03", a.branch.code, "三月", "2026-03-12 09:00", count=5)])
    with pytest.raises(DomainError) as exc:
        run(a.admin, a.org, [row("2026-03", a.branch.code, "又一次", "2026-03-20 09:00", count=5)])
    assert exc.value.details["errors"][0]["message"] == "该党支部本月已有主题党日活动记录"
    assert Activity.objects.count() == 1


def test_a_file_without_the_required_columns_or_without_rows_is_refused(world):
    wb = Workbook()
    wb.active.append(HEADERS[:2])
    wb.active.append(["2026-03", world.a.branch.code])
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(DomainError) as exc:
        history.import_history(actor=world.a.admin, org=world.a.org, file=buf, filename="")
    assert exc.value.code == "import_invalid"
    assert {e["column"] for e in exc.value.details["errors"]} >= {"活动名称", "举办时间"}
    with pytest.raises(DomainError) as exc:
        run(world.a.admin, world.a.org, [])
    assert exc.value.code == "import_invalid"


def test_only_an_admin_above_the_branch_imports_its_history(world):
    a = world.a
    one = [row("2026-03", a.branch.code, "三月", "2026-03-12 09:00", count=5)]
    for user, org, code in (
        (a.branch_admin, a.branch, "forbidden"),
        (a.member.user, a.branch, "forbidden"),
        (world.b.admin, a.org, "not_found"),
        (world.outsider, a.org, "not_found"),
    ):
        with pytest.raises(DomainError) as exc:
            run(user, org, one)
        assert exc.value.code == code, user
    # From the county, a branch of another county is not there at all.
    with pytest.raises(DomainError) as exc:
        run(a.admin, a.org, [row("2026-03", world.b.branch.code, "三月", "2026-03-12", count=5)])
    assert exc.value.details["errors"][0]["column"] == "党支部"
    assert run(world.city_admin, a.branch, one).created == 1
    assert not Activity.objects.filter(branch=world.b.branch).exists()


def test_the_template_has_every_column_and_a_help_sheet():
    content, name, _type = history.history_template("xlsx")
    wb = load_workbook(io.BytesIO(content))
    assert [c.value for c in wb.worksheets[0][1]] == HEADERS
    assert len(wb.worksheets) == 2 and name.endswith(".xlsx")


# The row rules, without a database ------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "month"),
    [
        ("2025-03", date(2025, 3, 1)),
        ("2025/3", date(2025, 3, 1)),
        ("2025.03", date(2025, 3, 1)),
        ("2025年3月", date(2025, 3, 1)),
        ("2025-03-18", date(2025, 3, 1)),
        (date(2025, 3, 18), date(2025, 3, 1)),
        (datetime(2025, 3, 18, 9, 0), date(2025, 3, 1)),
    ],
)
def test_a_month_is_read_from_what_people_write(value, month):
    assert history.parse_month(value) == month


@pytest.mark.parametrize("value", ["", "三月", "2025-13", "2025-3-40", None])
def test_a_month_that_is_not_one_is_refused(value):
    with pytest.raises(ValueError):
        history.parse_month(value)


@pytest.mark.parametrize(
    ("value", "local"),
    [
        ("2025-03-15 09:30", (2025, 3, 15, 9, 30)),
        ("2025/03/15 14:00", (2025, 3, 15, 14, 0)),
        ("2025年3月15日 9:00", (2025, 3, 15, 9, 0)),
        ("2025-03-15", (2025, 3, 15, 9, 0)),
        (datetime(2025, 3, 15, 8, 0), (2025, 3, 15, 8, 0)),
        (date(2025, 3, 15), (2025, 3, 15, 9, 0)),
    ],
)
def test_a_time_is_read_as_shanghai_time(value, local):
    moment = history.parse_moment(value)
    assert moment.utcoffset().total_seconds() == 8 * 3600
    assert (moment.year, moment.month, moment.day, moment.hour, moment.minute) == local


@pytest.mark.parametrize(
    ("value", "names"),
    [
        ("张三、李四", ["张三", "李四"]),
        ("张三，李四,王五；赵六", ["张三", "李四", "王五", "赵六"]),
        ("张三 张三", ["张三"]),
        ("", []),
        (None, []),
    ],
)
def test_attendees_are_split_on_the_separators_people_use(value, names):
    assert history.split_names(value) == names


@pytest.mark.parametrize(
    ("value", "count"), [(12, 12), (12.0, 12), ("12", 12), (0, 0), ("100000", 100000)]
)
def test_a_count_is_a_whole_number(value, count):
    assert history.parse_count(value) == count


@pytest.mark.parametrize("value", [-1, 1.5, "十二", True, 100001])
def test_a_count_that_is_not_one_is_refused(value):
    with pytest.raises(ValueError):
        history.parse_count(value)


@pytest.mark.parametrize(
    ("count", "named", "fine"),
    [(None, 0, False), (None, 3, True), (3, 3, True), (5, 3, True), (2, 3, False), (0, 0, True)],
)
def test_attendees_need_a_count_or_names_and_a_count_covers_the_names(count, named, fine):
    assert (history.attendee_problem(count, named) is None) is fine


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text + "+08:00")


@pytest.mark.parametrize(
    ("month", "start", "end", "column"),
    [
        (date(2025, 3, 1), "2025-03-15T09:00", "2025-03-15T11:00", None),
        (date(2025, 3, 1), "2025-04-01T09:00", "2025-04-01T11:00", "held_at"),
        (date(2025, 3, 1), "2025-03-31T23:30", "2025-04-01T01:00", None),
        (date(2026, 12, 1), "2026-12-01T08:00", "2026-12-01T10:00", "held_at"),  # not over
        (date(2025, 3, 1), "2025-03-15T09:00", "2025-03-15T08:00", "ends_at"),
        (date(2025, 3, 1), "2025-03-15T09:00", "2025-03-16T09:00", "ends_at"),  # > 12 h
        (date(1999, 3, 1), "1999-03-15T09:00", "1999-03-15T11:00", "held_at"),
    ],
)
def test_a_historical_day_is_held_in_its_month_over_by_now_and_of_a_possible_length(
    month, start, end, column
):
    problem = history.timing_problem(month, _at(start), _at(end), NOW)
    assert (problem[0] if problem else None) == column

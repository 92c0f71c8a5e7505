"""The history tables partitioned by month on PostgreSQL (core.partitions): the partitions
made ahead and idempotently, rows of a month without a partition moved into one when it is
made, the attempt log's old months archived then dropped, and the main reads pruned to the
partitions they need (EXPLAIN). SQLite keeps plain tables: the portable tests at the end run
there too."""

import csv
import gzip
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection

from dangjian.attendance import retention
from dangjian.attendance.models import AttendanceRecord, CheckInAttempt, record_month
from dangjian.audit.models import AuditEntry
from dangjian.core import partitions, scheduling
from dangjian.notifications import services as notifications
from dangjian.notifications.models import Notification
from tests.attendance.conftest import DURING, at, check_in

ATTEMPTS = "attendance_checkinattempt"
RECORDS = "attendance_attendancerecord"
NOTICES = "notifications_notification"

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="partitioning is PostgreSQL's; SQLite keeps plain tables",
)


def rows_in(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
        return cursor.fetchone()[0]


def attempt_at(when: datetime, **fields) -> CheckInAttempt:
    return CheckInAttempt.objects.create(kind="check_in", code="too_early", at=when, **fields)


def plan(queryset) -> str:
    """The plan PostgreSQL runs the query with, as JSON text (the partitions it reads)."""
    return json.dumps(json.loads(queryset.explain(format="json")))


def partitions_read(queryset) -> set[str]:
    found = set()

    def walk(node):
        name = node.get("Relation Name")
        if name:
            found.add(name)
        for child in node.get("Plans", []):
            walk(child)

    walk(json.loads(queryset.explain(format="json"))[0]["Plan"])
    return found


@postgresql_only
@pytest.mark.django_db
def test_the_attempts_records_and_notices_are_partitioned_by_month_with_a_default_partition():
    for table in (ATTEMPTS, RECORDS, NOTICES):
        assert partitions.is_partitioned(table)
        this_month = partitions.month_of(datetime.now(UTC))
        assert this_month in partitions.months(table)
        assert rows_in(f"{table}_default") == 0


@postgresql_only
@pytest.mark.django_db
def test_ensure_makes_this_month_and_the_next_ones_once():
    today = date(2031, 5, 17)
    made = partitions.ensure(ATTEMPTS, months_ahead=2, today=today)
    assert made == [f"{ATTEMPTS}_p203105", f"{ATTEMPTS}_p203106", f"{ATTEMPTS}_p203107"]
    assert partitions.ensure(ATTEMPTS, months_ahead=2, today=today) == []
    assert {date(2031, 5, 1), date(2031, 6, 1), date(2031, 7, 1)} <= set(
        partitions.months(ATTEMPTS)
    )


@postgresql_only
@pytest.mark.django_db
def test_rows_of_a_month_waiting_in_the_default_partition_move_into_its_new_partition():
    when = datetime(2032, 3, 9, 1, 0, tzinfo=UTC)
    attempt = attempt_at(when)
    attempt_at(when + timedelta(days=40))  # April's, which gets a partition of its own too
    assert rows_in(f"{ATTEMPTS}_default") == 2
    made = partitions.ensure(ATTEMPTS, months_ahead=0, today=date(2032, 3, 9))
    assert made == [f"{ATTEMPTS}_p203203", f"{ATTEMPTS}_p203204"]
    assert rows_in(f"{ATTEMPTS}_default") == 0
    assert rows_in(f"{ATTEMPTS}_p203203") == 1
    assert CheckInAttempt.objects.get(pk=attempt.pk).at == when


@postgresql_only
@pytest.mark.django_db
def test_the_scheduled_job_makes_the_coming_months_partitions_of_every_table(settings):
    settings.PARTITION_MONTHS_AHEAD = 1
    with at(datetime(2033, 8, 20, 12, 0, tzinfo=UTC)):
        result = scheduling.run_job("ensure-partitions")
    assert result[NOTICES] == [f"{NOTICES}_p203308", f"{NOTICES}_p203309"]
    for table in (ATTEMPTS, RECORDS, NOTICES):
        assert {date(2033, 8, 1), date(2033, 9, 1)} <= set(partitions.months(table))


@postgresql_only
@pytest.mark.django_db
def test_attempts_older_than_the_retention_are_archived_then_their_partition_dropped(
    settings, tmp_path
):
    settings.ATTEMPT_RETENTION_YEARS = 3
    settings.ATTEMPT_ARCHIVE_DIR = tmp_path
    old = [attempt_at(datetime(2022, 2, d, 8, 0, tzinfo=UTC), device_id=f"d{d}") for d in (3, 4)]
    kept = attempt_at(datetime(2024, 6, 1, 8, 0, tzinfo=UTC))
    with at(datetime(2026, 12, 6, 12, 0, tzinfo=UTC)):
        done = retention.archive_old_attempts()
    path = tmp_path / f"{ATTEMPTS}_p202202.csv.gz"
    assert done == [{"month": "2022-02", "file": str(path), "rows": 2}]
    with gzip.open(path, "rt") as archive:
        rows = list(csv.DictReader(archive))
    assert sorted(int(r["id"]) for r in rows) == sorted(a.pk for a in old)
    assert {r["device_id"] for r in rows} == {"d3", "d4"}
    assert date(2022, 2, 1) not in partitions.months(ATTEMPTS)
    assert list(CheckInAttempt.objects.values_list("pk", flat=True)) == [kept.pk]
    entry = AuditEntry.objects.get(action="attempts.archive")
    assert entry.object_label == f"{ATTEMPTS}_p202202"
    assert entry.after["rows"] == 2


@postgresql_only
@pytest.mark.django_db
def test_no_retention_keeps_every_attempt(settings, tmp_path):
    settings.ATTEMPT_RETENTION_YEARS = 0
    settings.ATTEMPT_ARCHIVE_DIR = tmp_path
    attempt_at(datetime(2001, 1, 1, tzinfo=UTC))
    assert retention.archive_old_attempts() == []
    assert CheckInAttempt.objects.count() == 1
    assert list(tmp_path.iterdir()) == []


@postgresql_only
@pytest.mark.django_db
def test_a_members_attempts_of_a_month_read_that_months_partition_only(world):
    month = partitions.month_of(datetime.now(UTC))
    start = datetime(month.year, month.month, 1, tzinfo=UTC)
    end = datetime.combine(partitions.add_months(month, 1), datetime.min.time(), tzinfo=UTC)
    attempts = CheckInAttempt.objects.filter(member=world.a.member, at__gte=start, at__lt=end)
    assert partitions_read(attempts) == {partitions.partition_name(ATTEMPTS, month)}


@postgresql_only
@pytest.mark.django_db
def test_an_activitys_records_and_attempts_leave_out_the_other_months(world, activity):
    month = record_month(activity.created_at)
    records = AttendanceRecord.objects.of_activity(activity)
    assert partitions_read(records) == {partitions.partition_name(RECORDS, month)}
    # Attempts: none older than the activity; the months before it are not read.
    read = partitions_read(CheckInAttempt.objects.of_activity(activity))
    earlier = partitions.partition_name(ATTEMPTS, partitions.add_months(month, -1))
    assert earlier not in read
    assert read


@postgresql_only
@pytest.mark.django_db
def test_the_check_in_reads_the_record_from_its_activitys_partition_only(world, activity):
    # The facts' record join: the other months' partitions are pruned when the query runs.
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN (ANALYZE, COSTS OFF, FORMAT JSON) " + checkin_facts_sql(),
            {
                "user": world.a.member.user.pk,
                "key": None,
                "now": datetime.now(UTC),
                "token": activity.checkin_token,
                "device": "",
            },
        )
        explained = json.dumps(cursor.fetchone()[0])
    month = record_month(activity.created_at)
    assert partitions.partition_name(RECORDS, month) in explained
    assert "Subplans Removed" in explained or explained.count(f"{RECORDS}_p") == 1


def checkin_facts_sql() -> str:
    from dangjian.attendance.checkin import FACTS_SQL

    return FACTS_SQL["postgresql"]


@postgresql_only
@pytest.mark.django_db
def test_a_notice_key_sent_again_next_month_is_still_sent_once_to_each_user(world):
    users = [world.a.member.user.pk, world.b.member.user.pk]
    with at(datetime(2026, 12, 31, 15, 59, tzinfo=UTC)):
        assert notifications.notify(user_ids=users[:1], kind="k", title="t", dedupe_key="x:1") == 1
    with at(datetime(2027, 1, 1, 0, 1, tzinfo=UTC)):
        assert notifications.notify(user_ids=users, kind="k", title="t", dedupe_key="x:1") == 1
    notices = Notification.objects.filter(dedupe_key="x:1")
    assert notices.count() == 2
    assert set(notices.values_list("month", flat=True)) == {date(2026, 12, 1)}


# Portable: on both databases --------------------------------------------------------------


@pytest.mark.django_db
def test_a_check_in_writes_its_record_with_the_activitys_month(world, activity):
    with at(DURING):
        check_in(world.a.member.user, activity)
    record = AttendanceRecord.objects.get(activity=activity, member=world.a.member)
    assert record.month == record_month(activity.created_at)
    assert record.month == activity.created_at.astimezone(UTC).date().replace(day=1)


@pytest.mark.django_db
def test_ensure_does_nothing_where_the_tables_are_not_partitioned():
    if connection.vendor == "postgresql":
        pytest.skip("on PostgreSQL the tables are partitioned")
    assert partitions.ensure_all(months_ahead=2) == {table: [] for table in partitions.MONTHLY}
    assert retention.archive_old_attempts() == []

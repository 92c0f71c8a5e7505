"""core.rawsql's direct cursor: on PostgreSQL, outside transactions and query logging, the
module's statements go through libpq's prepared-statement calls. It reads what Django's
cursor reads, raises Django's errors and leaves the connection usable, gives way to
Django's cursor inside a transaction (which psycopg would have begun) and when queries
are logged or counted, and prepares again on a new connection or after psycopg has
deallocated every prepared statement of the session. The tests run outside a
test transaction (as production does); the check-in's own tests outside one
(tests/attendance/test_hot_path.py, test_concurrency.py) go through it too."""

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from dangjian.attendance.models import AttendanceRecord, CheckInAttempt
from dangjian.core import rawsql
from dangjian.themedays.models import Activity
from tests.attendance.conftest import NOW, approve, make_campaign
from tests.core.test_rawsql import _attempt_values, _record_values

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL code path"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def activity(world):
    with time_machine.travel(NOW, tick=False):
        return approve(
            world, world.a.branch, world.a.branch_admin, world.a.admin, make_campaign(world)
        )


SQL = (
    "SELECT a.id, a.status, a.starts_at, a.latitude, a.radius_m, a.roster_frozen_at,"
    " TRUE, NULL::int, %s::text FROM themedays_activity a WHERE a.id = %s"
)


@pytest.mark.parametrize("binary", [False, True])
def test_it_reads_what_djangos_cursor_reads(world, activity, binary):
    with rawsql.cursor(binary=binary) as cursor:
        assert isinstance(cursor, rawsql._DirectCursor)
        cursor.execute(SQL, ["50% off", activity.pk])
        row = cursor.fetchone()
        assert cursor.fetchone() is None
        cursor.execute(SQL, ["again", -1])
        assert cursor.fetchone() is None
    with CaptureQueriesContext(connection) as captured, rawsql.cursor(binary=binary) as cursor:
        assert not isinstance(cursor, rawsql._DirectCursor)
        cursor.execute(SQL, ["50% off", activity.pk])
        assert cursor.fetchone() == row
    assert len(captured.captured_queries) == 1
    stored = Activity.objects.get(pk=activity.pk)
    assert row == (
        stored.pk,
        stored.status,
        stored.starts_at,
        stored.latitude,
        stored.radius_m,
        None,
        True,
        None,
        "50% off",
    )


def test_a_pair_written_through_it_is_read_back_by_the_orm(world, activity):
    member = world.a.member
    record_values = _record_values(member.pk, activity.pk)
    with rawsql.cursor(binary=True) as cursor:
        assert isinstance(cursor, rawsql._DirectCursor)
        pk = rawsql.insert_pair(
            AttendanceRecord,
            record_values,
            CheckInAttempt,
            _attempt_values(member.user_id, member.pk, activity.pk),
            on=cursor,
        )

    stored = AttendanceRecord.objects.get(pk=pk)
    loaded = rawsql.loaded(AttendanceRecord, record_values, pk)
    names = [f.attname for f in AttendanceRecord._meta.concrete_fields]
    assert [getattr(stored, n) for n in names] == [getattr(loaded, n) for n in names]
    attempt = CheckInAttempt.objects.get(activity=activity)
    assert (attempt.ip, attempt.client["platform"]) == ("2001:db8::1", "iPhone")


def test_a_unique_violation_is_an_integrity_error_and_the_connection_goes_on(world, activity):
    member = world.a.member
    values = _record_values(member.pk, activity.pk)
    rawsql.insert(AttendanceRecord, values)

    with pytest.raises(IntegrityError), rawsql.cursor() as cursor:
        assert isinstance(cursor, rawsql._DirectCursor)
        rawsql.insert(AttendanceRecord, values, on=cursor)

    # The failed statement was its own transaction: nothing is left open or half-written.
    assert AttendanceRecord.objects.filter(activity=activity).count() == 1
    with rawsql.cursor() as cursor:
        cursor.execute("SELECT %s::int + 1", [41])
        assert cursor.fetchone() == (42,)


def test_in_a_transaction_it_gives_way_to_djangos_cursor(world, activity):
    member = world.a.member
    with rawsql.cursor() as cursor, transaction.atomic():
        assert isinstance(cursor, rawsql._DirectCursor)
        rawsql.insert(AttendanceRecord, _record_values(member.pk, activity.pk), on=cursor)
        # Inside the transaction: rolled back with it.
        transaction.set_rollback(True)

    assert not AttendanceRecord.objects.filter(activity=activity).exists()


def test_a_new_connection_prepares_its_statements_again(world, activity):
    for _ in range(2):
        with rawsql.cursor() as cursor:
            cursor.execute(SQL, ["x", activity.pk])
            assert cursor.fetchone()[0] == activity.pk
        connection.close()


def test_without_prepared_statements_it_is_not_used(world, activity):
    connection.ensure_connection()
    connection.connection.prepare_threshold = None
    try:
        with rawsql.cursor() as cursor:
            assert not isinstance(cursor, rawsql._DirectCursor)
            cursor.execute(SQL, ["x", activity.pk])
            assert cursor.fetchone()[0] == activity.pk
    finally:
        connection.close()


def _prepared(prefix: str) -> int:
    # Django's own cursor binds on the client: this query prepares nothing itself.
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE name LIKE %s", [prefix])
        return cursor.fetchone()[0]


def test_it_prepares_again_after_psycopg_deallocates_everything(world, activity):
    with rawsql.cursor() as cursor:
        cursor.execute(SQL, ["before", activity.pk])
        assert cursor.fetchone()[0] == activity.pk
    assert _prepared("_dj_%") >= 1
    # Inside a transaction Django's cursor runs the statement and psycopg prepares it; when
    # the transaction rolls back, psycopg sends DEALLOCATE ALL, ours go too.
    with pytest.raises(RuntimeError), transaction.atomic(), rawsql.cursor() as cursor:
        for _ in range(2):
            cursor.execute(SQL, ["inside", activity.pk])
        assert _prepared("_pg3_%") >= 1
        raise RuntimeError("roll back")
    assert _prepared("_dj_%") == _prepared("_pg3_%") == 0

    with rawsql.cursor() as cursor:
        cursor.execute(SQL, ["after", activity.pk])
        assert cursor.fetchone()[-1] == "after"
    assert _prepared("_dj_%") >= 1

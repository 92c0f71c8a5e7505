"""core.rawsql's short cuts give what the ORM gives: the INSERT parameters of a row given as
values equal what each field's get_db_prep_save() makes of them, the instances made
without Model.__init__ equal those of from_db(), binary results equal text ones, and a
row written and `loaded` equals the row read back. On both databases of the suite."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.db.models.signals import post_init

from dangjian.attendance.models import AttendanceRecord, CheckInAttempt
from dangjian.core import clock, rawsql
from dangjian.registry.models import User
from dangjian.themedays.models import Activity
from tests.attendance.conftest import NOW, approve, make_campaign

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="a PostgreSQL code path"
)


def _record_values(member_id: int, activity_id: int) -> dict:
    now = clock.now()
    return {
        "activity_id": activity_id,
        "member_id": member_id,
        "status": "checked_in",
        "checked_in_at": now,
        "checkin_distance_m": 12,
        "device_id": "phone-1234",
        "is_device_shared": True,
        "created_at": now,
        "updated_at": now,
    }


def _attempt_values(user_id: int, member_id: int, activity_id: int | None) -> dict:
    return {
        "activity_id": activity_id,
        "user_id": user_id,
        "member_id": member_id,
        "kind": "check_in",
        "code": "out_of_range",
        "latitude": Decimal("33.067600"),
        "longitude": Decimal("107.023800"),
        "accuracy_m": 20.5,
        "distance_m": 1200,
        "at": clock.now(),
        "ip": "2001:db8::1",
        "user_agent": "Mozilla/5.0",
        "device_id": "",
        "client": {"client_time": "2026-12-03T10:00:00+08:00", "platform": "iPhone"},
    }


def _comparable(value):
    # The ORM's prepared values are psycopg wrappers on PostgreSQL (Int4, Jsonb, Inet).
    if hasattr(value, "obj"):  # Jsonb
        return ("json", value.obj)
    if type(value).__name__ in ("IPv4Address", "IPv6Address"):
        # Inet(): the ORM parses the address; PostgreSQL parses the text the same way.
        return (None, str(value))
    return (type(value).__name__ if type(value).__name__.startswith("Int") else None, value)


@pytest.mark.parametrize(
    ("model", "values"),
    [
        (AttendanceRecord, _record_values(7, 9)),
        (CheckInAttempt, _attempt_values(3, 7, 9)),
        (CheckInAttempt, {**_attempt_values(3, 7, None), "ip": "10.1.2.3", "distance_m": None}),
    ],
)
def test_row_params_are_what_each_field_prepares(db, model, values):
    _sql, fields = rawsql._insert_statement(model, False, "default")
    obj = model(**values)
    expected = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]

    got = rawsql.row_params(model, values)

    assert [_comparable(v) for v in got] == [_comparable(v) for v in expected]
    assert [type(v) for v in got if type(v).__name__.startswith("Int")] == [
        type(v) for v in expected if type(v).__name__.startswith("Int")
    ]


def test_row_params_fill_in_defaults_and_refuse_a_missing_required_field(db):
    values = {k: v for k, v in _record_values(7, 9).items() if k != "is_device_shared"}
    values["activity_id"] = None
    names = [f.attname for f in rawsql._insert_statement(AttendanceRecord, False, "default")[1]]

    params = dict(zip(names, rawsql.row_params(AttendanceRecord, values), strict=True))

    assert params["is_device_shared"] is False
    assert params["is_corrected"] is False
    assert params["leave_id"] is None
    assert params["checked_out_at"] is None
    # A value given as None stays None (the database's constraints have their say).
    assert params["activity_id"] is None
    attempt = {k: v for k, v in _attempt_values(3, 7, 9).items() if k != "client"}
    field = CheckInAttempt._meta.get_field("client")
    assert _comparable(rawsql.row_params(CheckInAttempt, attempt)[-1]) == _comparable(
        field.get_db_prep_save({}, connection)
    )
    values = attempt
    with pytest.raises(KeyError, match="CheckInAttempt.kind"):
        rawsql.row_params(CheckInAttempt, {k: v for k, v in values.items() if k != "kind"})


@postgresql_only
def test_a_naive_datetime_is_refused_rather_than_read_in_another_zone(db):
    values = {**_record_values(7, 9), "checked_in_at": clock.now().replace(tzinfo=None)}

    with pytest.raises(ValueError, match="naive"):
        rawsql.row_params(AttendanceRecord, values)


@pytest.fixture
def activity(world):
    with time_machine.travel(NOW, tick=False):
        return approve(
            world, world.a.branch, world.a.branch_admin, world.a.admin, make_campaign(world)
        )


def test_a_pair_written_and_loaded_equals_the_rows_read_back(world, activity):
    member = world.a.member
    record_values = _record_values(member.pk, activity.pk)
    attempt_values = _attempt_values(member.user_id, member.pk, activity.pk)

    pk = rawsql.insert_pair(AttendanceRecord, record_values, CheckInAttempt, attempt_values)
    loaded = rawsql.loaded(AttendanceRecord, record_values, pk)

    stored = AttendanceRecord.objects.get(pk=pk)
    names = [f.attname for f in AttendanceRecord._meta.concrete_fields]
    assert [getattr(loaded, n) for n in names] == [getattr(stored, n) for n in names]
    assert loaded._state.adding is False
    assert loaded._state.db == "default"
    attempt = CheckInAttempt.objects.get(activity=activity, member=member)
    assert attempt.client == attempt_values["client"]
    assert attempt.latitude == Decimal("33.067600")
    assert attempt.ip == "2001:db8::1"
    assert attempt.code == "out_of_range"


def test_an_instance_made_without_init_is_what_from_db_makes(world):
    user = world.a.member.user
    names = ("id", "phone", "name", "is_active")
    values = [user.pk, user.phone, user.name, True]

    cheap = rawsql._from_db(User, "default", names, values)
    orm = User.from_db("default", names, values)

    assert cheap.__dict__.keys() - {"_state"} == orm.__dict__.keys() - {"_state"}
    assert {n: getattr(cheap, n) for n in names} == {n: getattr(orm, n) for n in names}
    assert cheap.get_deferred_fields() == orm.get_deferred_fields()
    assert (cheap._state.adding, cheap._state.db) == (False, "default")
    # A deferred field loads on access, as after .only().
    assert cheap.created_at == user.created_at


def test_a_model_with_init_listeners_takes_the_orm_way(world):
    heard = []

    def listener(sender, instance, **kwargs):
        heard.append(instance)

    post_init.connect(listener, sender=Activity)
    try:
        activity = rawsql._from_db(Activity, "default", ("id", "status"), [5, "approved"])
    finally:
        post_init.disconnect(listener, sender=Activity)

    assert heard == [activity]


@postgresql_only
def test_binary_results_equal_text_results(world, activity):
    Activity.objects.filter(pk=activity.pk).update(roster_frozen_at=clock.now())
    columns = ("id", "status", "starts_at", "latitude", "radius_m", "roster_frozen_at")
    sql = (
        f"SELECT {rawsql.select_list(Activity, 'a', columns)}, TRUE, NULL::int"  # noqa: S608
        f" FROM {rawsql.table(Activity)} a WHERE a.id = %s"
    )
    rows = []
    for binary in (False, True):
        with rawsql.cursor(binary=binary) as cursor:
            cursor.execute(sql, [activity.pk])
            rows.append(cursor.fetchone())

    assert rows[0] == rows[1]
    assert rows[1][2] - rows[0][2] == timedelta(0)
    assert rows[1][2].utcoffset() == timedelta(0)

"""core.bulk against what the ORM reads back, on whichever database the suite runs on
(SQLite by default, PostgreSQL with DATABASE_URL)."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, transaction

from dangjian.attendance.models import CheckInAttempt
from dangjian.core import bulk
from dangjian.registry.models import User

pytestmark = pytest.mark.django_db
AT = datetime(2026, 3, 14, 9, 30, 15, 123456, tzinfo=ZoneInfo("Asia/Shanghai"))
NAMES = (
    "activity_id",
    "user_id",
    "member_id",
    "kind",
    "code",
    "latitude",
    "longitude",
    "accuracy_m",
    "distance_m",
    "at",
    "ip",
    "user_agent",
    "client",
)
# CheckInAttempt's references have no constraints in the database: no parents needed.
ROWS = [
    (
        11,
        12,
        13,
        "check_in",
        "accepted",
        Decimal("33.067812"),
        Decimal("107.023456"),
        12.5,
        40,
        AT,
        "10.0.0.1",
        "微信 8.0",
        {"clock": "2026-03-14T09:30:00", "时区": "Asia/Shanghai", "n": [1, 2.5, None]},
    ),
    (None, None, None, "check_out", "out_of_range", None, None, None, None, AT, None, "", {}),
]
SHARED = {"same": "object"}


def read_back(ids=None) -> list[tuple]:
    rows = CheckInAttempt.objects.order_by("pk")
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    return list(rows.values_list(*NAMES))


def test_inserted_rows_read_back_through_the_orm_as_they_were_given():
    assert bulk.insert_rows(CheckInAttempt, NAMES, ROWS) == 2
    assert read_back() == ROWS


def test_a_repeated_object_is_written_in_every_row_it_is_given_for():
    rows = [ROWS[1][:-1] + (SHARED,)] * 3 + [ROWS[0]]
    bulk.insert_rows(CheckInAttempt, NAMES, rows)
    assert [row[-1] for row in read_back()] == [SHARED] * 3 + [ROWS[0][-1]]


def test_fields_not_named_take_the_model_defaults():
    bulk.insert_rows(CheckInAttempt, ("kind", "code", "at"), [("check_in", "accepted", AT)])
    attempt = CheckInAttempt.objects.get()
    assert (attempt.client, attempt.user_agent, attempt.device_id, attempt.ip) == ({}, "", "", None)


def test_rows_without_their_creation_time_get_the_current_time_and_field_defaults():
    bulk.insert_rows(User, ("phone", "name", "password"), [("13900008888", "新用户", "!x")])
    user = User.objects.get(phone="13900008888")
    assert user.is_active and user.created_at is not None


def test_inserted_objects_come_back_saved_with_their_keys_and_creation_times():
    before = User.objects.count()
    users = [User(phone=f"1390000{i:04d}", name=f"用户{i}", password="!x") for i in range(3)]
    bulk.insert(User, users)
    assert all(u.pk is not None and not u._state.adding for u in users)
    assert User.objects.count() == before + 3
    for user in users:
        stored = User.objects.get(pk=user.pk)
        assert (stored.phone, stored.name, stored.created_at) == (
            user.phone,
            user.name,
            user.created_at,
        )
        assert stored.created_at is not None


def test_reserved_ids_are_used_by_the_rows_given_them_and_by_no_later_row():
    ids = bulk.reserve_ids(CheckInAttempt, 3)
    assert len(set(ids)) == 3
    more = bulk.reserve_ids(CheckInAttempt, 2)
    assert not set(ids) & set(more)
    later = CheckInAttempt.objects.create(kind="check_in", code="accepted", at=AT)
    assert later.pk not in ids + more
    bulk.insert_rows(CheckInAttempt, ("id", *NAMES), [(ids[1], *ROWS[0])])
    assert read_back([ids[1]]) == [ROWS[0]]
    assert bulk.reserve_ids(CheckInAttempt, 0) == []


def test_update_writes_the_named_fields_of_each_row_and_leaves_the_others():
    bulk.insert_rows(CheckInAttempt, NAMES, ROWS * 3)
    attempts = list(CheckInAttempt.objects.order_by("pk"))
    for i, attempt in enumerate(attempts):
        attempt.code = f"code-{i}"
        attempt.latitude = None if i % 2 else Decimal(f"30.{i:06d}")
        attempt.at = AT + timedelta(days=i)
        attempt.client = {"i": i, "名": "值"}
        attempt.user_agent = "not written"
    bulk.update(CheckInAttempt, attempts, ["code", "latitude", "at", "client"])
    stored = list(
        CheckInAttempt.objects.order_by("pk").values_list(
            "code", "latitude", "at", "client", "user_agent"
        )
    )
    assert stored == [
        (a.code, a.latitude, a.at, a.client, ROWS[i % 2][11]) for i, a in enumerate(attempts)
    ]


def test_update_of_no_objects_does_nothing():
    bulk.update(CheckInAttempt, [], ["code"])
    bulk.insert(CheckInAttempt, [])
    assert not CheckInAttempt.objects.exists()


def test_a_duplicate_key_raises_djangos_integrity_error():
    User.objects.create_user(phone="13900009999", name="已有")
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk.insert(User, [User(phone="13900009999", name="重复", password="!x")])
    assert User.objects.filter(phone="13900009999").count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the claim is PostgreSQL's")
def test_plain_types_reach_the_driver_as_the_fields_would_prepare_them():
    samples = {
        "AutoField": 7,
        "BigAutoField": 7,
        "BigIntegerField": 7,
        "BooleanField": True,
        "CharField": "文字",
        "DateField": date(2026, 3, 14),
        "DateTimeField": AT,
        "FloatField": 1.25,
        "IntegerField": 7,
        "PositiveBigIntegerField": 7,
        "PositiveIntegerField": 7,
        "PositiveSmallIntegerField": 7,
        "SmallIntegerField": 7,
        "TextField": "文字",
    }
    assert set(samples) | {"ForeignKey", "OneToOneField"} == bulk.PLAIN_TYPES
    checked = 0
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if field.get_internal_type() not in bulk.PLAIN_TYPES:
                continue
            target = field.target_field if field.is_relation else field
            value = samples[target.get_internal_type()]
            prepared = field.get_db_prep_save(value, connection)
            # psycopg's sized integers (Int4) are ints that name their SQL type.
            assert isinstance(prepared, type(value)) and prepared == value, field
            assert field.get_db_prep_save(None, connection) is None, field
            checked += 1
    assert checked > 100

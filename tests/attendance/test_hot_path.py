"""The check-in as it runs in production: not inside a test's transaction. On PostgreSQL the
usual check-in writes its record and attempt in one statement with no BEGIN/COMMIT around
it, and an attempt that must write anything else is run again in a transaction; these
tests go down each of those roads (on SQLite every attempt has its transaction)."""

from contextlib import ExitStack, contextmanager
from datetime import timedelta

from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from dangjian.attendance import checkin, services
from dangjian.attendance.models import AttendanceRecord, CheckInAttempt
from dangjian.scoring import services as scoring
from dangjian.themedays.models import RosterEntry
from tests.attendance.conftest import DURING, START, at, check_in, near
from tests.attendance.test_check_in import refusal
from tests.conftest import COMMITTED

pytestmark = COMMITTED


@contextmanager
def statements():
    """The first word of each statement sent, on every connection (the check-in's own go
    through core.db.hot_connection's on PostgreSQL)."""
    sent: list[str] = []
    with ExitStack() as stack:
        captured = [stack.enter_context(CaptureQueriesContext(c)) for c in connections.all()]
        yield sent
    sent += [q["sql"].split()[0] for c in captured for q in c.captured_queries]


def test_a_check_in_writes_its_record_and_attempt_in_few_statements_and_no_savepoint(
    world, activity, monkeypatch
):
    # The score's recompute is background work in production (debounced, after the
    # commit); here only what the request itself runs is counted.
    hooked = []
    monkeypatch.setattr(
        scoring, "inputs_changed", lambda **kwargs: hooked.append(kwargs), raising=True
    )
    user = world.a.member.user
    with at(DURING), statements() as sent:
        outcome = check_in(user, activity)
    assert hooked == [{"activity_id": activity.pk, "debounce": True}]
    assert outcome.created and outcome.record.id is not None
    record = AttendanceRecord.objects.get(activity=activity, member=world.a.member)
    assert (record.pk, record.status, record.checked_in_at) == (
        outcome.record.id,
        "checked_in",
        DURING,
    )
    assert list(CheckInAttempt.objects.values_list("code", "member_id")) == [
        ("accepted", world.a.member.pk)
    ]
    # The facts, then the writes: on PostgreSQL one statement, with no BEGIN/COMMIT.
    if connection.vendor == "postgresql":
        assert sent == ["SELECT", "WITH"]
    else:
        assert sent == ["SELECT", "BEGIN", "INSERT", "INSERT", "COMMIT"]


def test_a_check_in_over_the_api_reads_the_key_with_the_facts_then_writes(
    world, activity, api, monkeypatch
):
    # As above: only what the request itself runs is counted.
    monkeypatch.setattr(scoring, "inputs_changed", lambda **kwargs: None, raising=True)
    client = api(world.a.member.user)
    lat, lon = near(20)
    payload = {"token": activity.checkin_token, "latitude": lat, "longitude": lon}
    with at(DURING), statements() as sent:
        answer = client.post("/attendance/check-in", {**payload, "accuracy_m": 10})
    assert answer.status_code == 201, answer.content
    assert list(CheckInAttempt.objects.values_list("code", "user_id", "member_id")) == [
        ("accepted", world.a.member.user.pk, world.a.member.pk)
    ]
    if connection.vendor == "postgresql":
        assert sent == ["SELECT", "WITH"]
    else:
        assert sent == ["SELECT", "BEGIN", "INSERT", "INSERT", "COMMIT"]


def test_an_api_key_nobody_holds_is_refused_before_anything_is_written(world, activity, api):
    client = api(None)
    client.headers_ = {"Authorization": "Bearer nobody-holds-this"}
    lat, lon = near(20)
    payload = {"token": activity.checkin_token, "latitude": lat, "longitude": lon}
    with at(DURING):
        answer = client.post("/attendance/check-in", {**payload, "accuracy_m": 10})
    assert (answer.status_code, answer.json()["code"]) == (401, "unauthenticated")
    assert not CheckInAttempt.objects.exists()


def test_a_refusal_outside_a_transaction_is_logged_and_writes_no_record(world, activity):
    with at(DURING):
        refused = refusal(check_in, world.a.member.user, activity, metres=1200)
    assert refused.code == "out_of_range"
    assert not AttendanceRecord.objects.exists()
    assert list(CheckInAttempt.objects.values_list("code", flat=True)) == ["out_of_range"]


def test_a_repeated_check_in_outside_a_transaction_changes_nothing(world, activity):
    with at(DURING):
        first = check_in(world.a.member.user, activity)
    with at(DURING + timedelta(minutes=2)):
        again = check_in(world.a.member.user, activity)
    assert (again.created, again.record.id, again.record.checked_in_at) == (
        False,
        first.record.id,
        DURING,
    )
    codes = sorted(CheckInAttempt.objects.values_list("code", flat=True))
    assert codes == ["accepted", "repeated"]


def test_a_check_in_after_the_start_freezes_the_roster_in_its_transaction(world, activity):
    assert activity.roster_frozen_at is None
    with at(START + timedelta(minutes=5)):
        outcome = check_in(world.a.member.user, activity)
    assert outcome.created
    activity.refresh_from_db()
    assert activity.roster_frozen_at is not None
    assert RosterEntry.objects.filter(activity=activity, member=world.a.member).exists()
    assert CheckInAttempt.objects.get().code == "accepted"


def test_a_member_on_leave_who_comes_is_checked_in_in_a_transaction(world, activity):
    leave = services.request_leave(actor=world.a.member.user, activity=activity, reason="出差")
    services.approve_leave(actor=world.a.branch_admin, leave=leave)
    with at(DURING):
        outcome = check_in(world.a.member.user, activity)
    assert (outcome.created, outcome.record.status) == (True, "checked_in")
    assert AttendanceRecord.objects.get(activity=activity).status == "checked_in"
    assert CheckInAttempt.objects.get().code == "accepted"


def test_a_shared_phone_is_flagged_on_every_record_outside_a_test_transaction(world, activity):
    phone = checkin.ClientInfo(device_id="shared-phone-0002")
    with at(DURING):
        first = check_in(world.a.member.user, activity, client=phone)
        second = check_in(world.a.flowing.user, activity, client=phone)
    assert not first.record.is_device_shared
    assert second.record.is_device_shared
    flagged = set(
        AttendanceRecord.objects.filter(is_device_shared=True).values_list("member_id", flat=True)
    )
    assert flagged == {world.a.member.pk, world.a.flowing.pk}
    assert CheckInAttempt.objects.count() == 2

"""Two check-ins at the same instant: the database's unique constraint decides. Real
concurrency needs real connections and row locks, so this runs against PostgreSQL (SQLite
serializes every write transaction and would prove nothing)."""

import threading

import pytest
from django.db import connection, connections

from dangjian.attendance import checkin, services
from dangjian.attendance.models import AttendanceRecord, CheckInAttempt
from dangjian.interaction.models import Comment
from tests.attendance.conftest import (
    AFTER_END,
    CHECKOUT_CLOSES,
    DURING,
    SECOND,
    at,
    check_in,
    check_out,
)
from tests.conftest import COMMITTED

pytestmark = COMMITTED
THREADS = 8


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL (DATABASE_URL=postgres://...)")


def race(fn) -> tuple[list, list]:
    """Run `fn` in THREADS threads released at the same instant."""
    barrier = threading.Barrier(THREADS)
    results, errors = [], []

    def worker():
        try:
            barrier.wait()
            results.append(fn())
        except Exception as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results, errors


def test_concurrent_check_ins_of_one_member_leave_exactly_one_record(world, activity):
    user = world.a.member.user
    with at(DURING):
        results, errors = race(lambda: check_in(user, activity))
    assert errors == []
    assert AttendanceRecord.objects.filter(activity=activity, member=world.a.member).count() == 1
    assert sum(1 for r in results if r.created) == 1
    assert len({r.record.id for r in results}) == 1
    codes = sorted(CheckInAttempt.objects.values_list("code", flat=True))
    assert codes == ["accepted"] + ["repeated"] * (THREADS - 1)


def test_concurrent_check_outs_leave_one_check_out_and_one_reflection(world, activity):
    user = world.a.member.user
    with at(DURING):
        check_in(user, activity)
    with at(AFTER_END):
        results, errors = race(lambda: check_out(user, activity))
    assert errors == []
    record = AttendanceRecord.objects.get(activity=activity, member=world.a.member)
    assert record.status == "checked_out"
    assert record.checked_out_at == AFTER_END
    assert Comment.objects.filter(activity=activity, is_reflection=True).count() == 1


def test_one_phone_checking_in_two_members_at_the_same_instant_is_flagged_at_closing(
    world, activity
):
    phone = checkin.ClientInfo(device_id="scripted-phone-01")
    users = [world.a.member.user, world.a.flowing.user]
    barrier = threading.Barrier(len(users))
    errors = []

    def worker(user):
        try:
            barrier.wait()
            with at(DURING):
                check_in(user, activity, client=phone)
        except Exception as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert AttendanceRecord.objects.filter(activity=activity).count() == 2
    with at(CHECKOUT_CLOSES + SECOND):
        summary = services.close_activity(activity=activity)
    assert summary["shared_device_records"] == 2
    flagged = AttendanceRecord.objects.filter(activity=activity, is_device_shared=True)
    assert set(flagged.values_list("member_id", flat=True)) == {
        world.a.member.pk,
        world.a.flowing.pk,
    }

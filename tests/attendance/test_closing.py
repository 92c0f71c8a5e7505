import io
from datetime import timedelta

import pytest
from django.core.management import call_command

from dangjian.attendance import checkin, selectors, services
from dangjian.attendance.models import AttendanceRecord
from dangjian.audit.models import AuditEntry
from dangjian.notifications.models import Notification
from dangjian.themedays import services as themedays
from dangjian.themedays.models import ActivityEvent, ActivityStatus
from tests.attendance.conftest import (
    AFTER_END,
    CHECKOUT_CLOSES,
    DURING,
    SECOND,
    at,
    check_in,
    check_out,
)

pytestmark = pytest.mark.django_db


def statuses(activity) -> dict[str, str]:
    return {r.name: r.status for r in selectors.attendance_rows(activity)}


@pytest.fixture
def held(world, activity):
    """The member checked in and out, the flowing member only in; the branch admin (also a
    member of the branch) never came."""
    with at(DURING):
        check_in(world.a.member.user, activity)
        check_in(world.a.flowing.user, activity)
    with at(AFTER_END):
        check_out(world.a.member.user, activity)
    return activity


def test_before_closing_statuses_are_pending_checked_in_checked_out(world, held):
    assert statuses(held) == {
        world.a.member.name: "checked_out",
        world.a.flowing.name: "checked_in",
        world.a.branch_admin.name: "pending",
    }


def test_closing_marks_absent_and_not_checked_out_and_running_it_twice_changes_nothing(world, held):
    with at(CHECKOUT_CLOSES + SECOND):
        assert services.close_due_activities() == 1
    held.refresh_from_db()
    assert held.status == ActivityStatus.CLOSED
    assert held.closed_at == CHECKOUT_CLOSES + SECOND
    after_first = statuses(held)
    assert after_first == {
        world.a.member.name: "checked_out",
        world.a.flowing.name: "not_checked_out",
        world.a.branch_admin.name: "absent",
    }
    snapshot = list(AttendanceRecord.objects.order_by("pk").values())
    with at(CHECKOUT_CLOSES + timedelta(hours=3)):
        assert services.close_due_activities() == 0
        assert services.close_activity(activity=held) is None
    assert list(AttendanceRecord.objects.order_by("pk").values()) == snapshot
    assert ActivityEvent.objects.filter(activity=held, action="close").count() == 1
    entry = AuditEntry.objects.get(action="activity.close")
    assert entry.after["absent"] == 1
    assert entry.after["not_checked_out"] == 1


def test_nothing_closes_while_the_check_out_window_is_open(world, held):
    with at(CHECKOUT_CLOSES - SECOND):
        assert services.close_due_activities() == 0
    held.refresh_from_db()
    assert held.status == ActivityStatus.APPROVED


def test_the_scheduled_jobs_close_due_activities(world, held):
    with at(CHECKOUT_CLOSES + timedelta(minutes=1)):
        out = io.StringIO()
        call_command("run_scheduled", stdout=out)
    assert "close-due-activities: 1" in out.getvalue()
    held.refresh_from_db()
    assert held.status == ActivityStatus.CLOSED


def test_closing_freezes_a_roster_that_was_never_frozen(world, activity):
    with at(CHECKOUT_CLOSES + timedelta(minutes=1)):
        services.close_due_activities()
    activity.refresh_from_db()
    assert activity.roster_frozen_at is not None
    assert set(statuses(activity).values()) == {"absent"}
    assert AttendanceRecord.objects.filter(activity=activity).count() == 3


def test_approved_leave_stays_on_leave_and_on_the_roster_after_closing(world, activity):
    leave = services.request_leave(actor=world.a.member.user, activity=activity, reason="住院")
    services.approve_leave(actor=world.a.branch_admin, leave=leave)
    with at(CHECKOUT_CLOSES + timedelta(minutes=1)):
        services.close_due_activities()
    assert statuses(activity)[world.a.member.name] == "on_leave"
    counts = selectors.live_counts(activity)
    assert counts["roster"] == 3
    assert (counts["on_leave"], counts["absent"]) == (1, 2)


def test_a_cancelled_activity_is_never_closed_nor_marks_absences(world, activity):
    themedays.cancel_activity(actor=world.a.branch_admin, activity=activity, reason="暴雨")
    with at(CHECKOUT_CLOSES + timedelta(minutes=1)):
        assert services.close_due_activities() == 0
    assert not AttendanceRecord.objects.exists()


def test_closing_tells_the_superior_about_one_phone_checking_in_several_members(world, activity):
    phone = checkin.ClientInfo(device_id="shared-phone-0001")
    with at(DURING):
        check_in(world.a.member.user, activity, client=phone)
        check_in(world.a.flowing.user, activity, client=phone)
    with at(CHECKOUT_CLOSES + timedelta(minutes=1)):
        services.close_due_activities()
    notice = Notification.objects.get(kind="attendance_shared_device")
    assert notice.user_id == world.a.admin.pk
    assert [d.names for d in selectors.shared_devices(activity)] == [
        [world.a.member.name, world.a.flowing.name]
    ]


def test_closing_flags_a_shared_phone_whose_check_ins_raced_past_each_other(world, activity):
    phone = checkin.ClientInfo(device_id="scripted-phone-02")
    with at(DURING):
        check_in(world.a.member.user, activity, client=phone)
        check_in(world.a.flowing.user, activity, client=phone)
    # What two check-ins at the same instant leave: neither saw the other's record.
    AttendanceRecord.objects.filter(activity=activity).update(is_device_shared=False)
    with at(CHECKOUT_CLOSES + SECOND):
        summary = services.close_activity(activity=activity)
    assert summary["shared_device_records"] == 2
    assert AttendanceRecord.objects.filter(activity=activity, is_device_shared=True).count() == 2
    assert Notification.objects.filter(kind="attendance_shared_device").count() == 1

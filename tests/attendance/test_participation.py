"""A member's own attendance: the one leave rule (a table, no database) that the leave
service enforces and the phone asks before it offers 请假, the member's own status, and
their history."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dangjian.attendance import participation, services
from dangjian.attendance.models import ATTENDED, AttendanceStatus
from dangjian.attendance.participation import LeaveFacts, OwnStatus, leave_refusal, own_status
from dangjian.core.errors import DomainError
from tests.attendance.conftest import CHECKOUT_CLOSES, DURING, SECOND, at, check_in

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 12, 10, 9, 0, tzinfo=SHANGHAI)
BEFORE = START - timedelta(days=1)


def facts(**overrides) -> LeaveFacts:
    return LeaveFacts(**{"activity_status": "approved", "starts_at": START, **overrides})


# (facts, now, the refusal's code or None when leave may be asked)
LEAVE_TABLE = [
    (facts(), BEFORE, None),
    (facts(), START - SECOND, None),
    (facts(), START, "start_passed"),
    (facts(activity_status="closed"), BEFORE, "start_passed"),
    (facts(activity_status="draft"), BEFORE, "not_approved"),
    (facts(activity_status="submitted"), BEFORE, "not_approved"),
    (facts(activity_status="rejected"), BEFORE, "not_approved"),
    (facts(activity_status="cancelled"), BEFORE, "cancelled"),
    # The check-in window opens before the start: once in, no leave.
    (facts(attendance="checked_in"), START - timedelta(minutes=10), "checked_in"),
    (facts(attendance="checked_out"), BEFORE, "checked_in"),
    (facts(attendance="not_checked_out"), BEFORE, "checked_in"),
    (facts(attendance="on_leave", leave="approved"), BEFORE, "leave_exists"),
    (facts(leave="pending"), BEFORE, "leave_exists"),
    (facts(leave="approved"), BEFORE, "leave_exists"),
    # A refused request makes room for another.
    (facts(leave="refused"), BEFORE, None),
]


@pytest.mark.parametrize(("given", "now", "code"), LEAVE_TABLE)
def test_the_leave_rule_as_a_table(given, now, code):
    refusal = leave_refusal(given, now)
    assert (refusal.code if refusal else None) == code
    if refusal is not None:
        assert isinstance(refusal, DomainError) and refusal.message


def test_every_attended_status_closes_leave():
    for status in ATTENDED:
        assert leave_refusal(facts(attendance=status), BEFORE).code == "checked_in"


# (stored attendance status, latest leave request's status, what the member reads)
OWN_TABLE = [
    ("pending", None, OwnStatus.PENDING, "未签到"),
    ("pending", "pending", OwnStatus.LEAVE_PENDING, "请假待审批"),
    ("pending", "refused", OwnStatus.LEAVE_REFUSED, "请假未批准"),
    ("checked_in", None, OwnStatus.CHECKED_IN, "已签到"),
    ("checked_in", "pending", OwnStatus.CHECKED_IN, "已签到"),
    ("checked_out", None, OwnStatus.CHECKED_OUT, "已签退"),
    ("not_checked_out", None, OwnStatus.NOT_CHECKED_OUT, "已签到，未签退"),
    ("on_leave", "approved", OwnStatus.ON_LEAVE, "已请假"),
    ("absent", None, OwnStatus.ABSENT, "缺勤"),
    ("absent", "refused", OwnStatus.ABSENT, "缺勤"),
]


@pytest.mark.parametrize(("attendance", "leave", "expected", "label"), OWN_TABLE)
def test_the_members_own_status_as_a_table(attendance, leave, expected, label):
    status = own_status(attendance, leave)
    assert status == expected and str(status.label) == label


def test_every_attendance_status_reads_as_an_own_status():
    for status in AttendanceStatus:
        assert own_status(status).value == status.value


# The service enforces the same rule ------------------------------------------------------


@pytest.mark.django_db
def test_the_leave_service_refuses_leave_after_checking_in(world, activity):
    with at(DURING):
        check_in(world.a.member.user, activity)
        assert activity.starts_at > DURING  # still before the start
        with pytest.raises(DomainError) as refused:
            services.request_leave(actor=world.a.member.user, activity=activity, reason="有事")
    assert refused.value.code == "checked_in"


@pytest.mark.django_db
def test_the_leave_facts_read_the_members_record_and_latest_request(world, activity):
    member = world.a.member
    assert participation.leave_facts(activity, member).leave is None
    leave = services.request_leave(actor=member.user, activity=activity, reason="出差")
    services.refuse_leave(actor=world.a.branch_admin, leave=leave, note="重要学习")
    assert participation.leave_facts(activity, member).leave == "refused"
    again = services.request_leave(actor=member.user, activity=activity, reason="生病")
    services.approve_leave(actor=world.a.branch_admin, leave=again)
    got = participation.leave_facts(activity, member)
    assert (got.attendance, got.leave) == ("on_leave", "approved")
    assert leave_refusal(got, activity.starts_at - SECOND).code == "leave_exists"


@pytest.mark.django_db
def test_the_history_is_the_members_own_records_latest_first(world, activity):
    from dangjian.attendance.services import close_activity

    with at(DURING):
        check_in(world.a.member.user, activity)
    with at(CHECKOUT_CLOSES + SECOND):
        close_activity(activity=activity)
    mine = list(participation.history_of(world.a.member))
    assert [(r.activity_id, r.status) for r in mine] == [(activity.pk, "not_checked_out")]
    flowing = list(participation.history_of(world.a.flowing))
    assert [(r.activity_id, r.status) for r in flowing] == [(activity.pk, "absent")]
    assert list(participation.history_of(world.b.member)) == []

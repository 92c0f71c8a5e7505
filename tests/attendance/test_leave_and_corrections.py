from datetime import timedelta

import pytest

from dangjian.attendance import selectors, services
from dangjian.attendance.models import AttendanceRecord, Correction, LeaveRequest
from dangjian.audit.models import AuditEntry
from dangjian.core.errors import DomainError
from dangjian.notifications.models import Notification
from dangjian.registry.models import RoleGrant
from tests.attendance.conftest import CHECKOUT_CLOSES, DURING, START, at, check_in
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def refusal(fn, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as refused:
        fn(**kwargs)
    return refused.value


def status(activity, member) -> str:
    return {r.member_id: r.status for r in selectors.attendance_rows(activity)}[member.pk]


# Leave -----------------------------------------------------------------------------------


def test_a_member_asks_for_leave_and_the_branch_approves_it_before_the_start(world, activity):
    leave = services.request_leave(actor=world.a.member.user, activity=activity, reason="出差在外")
    assert leave.status == "pending"
    assert Notification.objects.filter(user=world.a.branch_admin, kind="leave_requested").exists()
    assert status(activity, world.a.member) == "pending"
    services.approve_leave(actor=world.a.branch_admin, leave=leave)
    leave.refresh_from_db()
    assert (leave.status, leave.decided_by) == ("approved", world.a.branch_admin)
    assert status(activity, world.a.member) == "on_leave"
    assert selectors.live_counts(activity)["roster"] == 3
    assert AuditEntry.objects.filter(action="attendance.leave_approve").exists()


def test_refused_leave_leaves_the_member_expected_and_a_new_request_can_follow(world, activity):
    leave = services.request_leave(actor=world.a.member.user, activity=activity, reason="有事")
    services.refuse_leave(actor=world.a.branch_admin, leave=leave, note="本次为重要学习")
    assert status(activity, world.a.member) == "pending"
    again = services.request_leave(actor=world.a.member.user, activity=activity, reason="生病")
    assert again.pk != leave.pk


def test_leave_is_asked_once_with_a_reason_and_before_the_start(world, activity):
    user = world.a.member.user
    assert (
        refusal(services.request_leave, actor=user, activity=activity, reason="  ").code
        == "reason_required"
    )
    services.request_leave(actor=user, activity=activity, reason="出差")
    assert (
        refusal(services.request_leave, actor=user, activity=activity, reason="出差").code
        == "leave_exists"
    )
    with at(START):
        assert (
            refusal(
                services.request_leave, actor=world.a.flowing.user, activity=activity, reason="x"
            ).code
            == "start_passed"
        )


def test_leave_is_approved_before_the_start_only(world, activity):
    leave = services.request_leave(actor=world.a.member.user, activity=activity, reason="出差")
    with at(START + timedelta(seconds=1)):
        refused = refusal(services.approve_leave, actor=world.a.branch_admin, leave=leave)
    assert refused.code == "start_passed"


def test_only_the_branchs_admins_decide_leave(world, activity):
    leave = services.request_leave(actor=world.a.member.user, activity=activity, reason="出差")
    # The member reads their own request but cannot decide it; another member cannot see it.
    assert (
        refusal(services.approve_leave, actor=world.a.member.user, leave=leave).code == "forbidden"
    )
    assert (
        refusal(services.approve_leave, actor=world.a.flowing.user, leave=leave).code == "not_found"
    )
    assert refusal(services.approve_leave, actor=world.b.admin, leave=leave).code == "not_found"
    assert refusal(services.approve_leave, actor=world.outsider, leave=leave).code == "not_found"
    # The county's admin is an admin of the branch too.
    services.approve_leave(actor=world.a.admin, leave=leave)


def test_members_of_other_branches_cannot_ask_for_leave(world, activity):
    refused = refusal(
        services.request_leave, actor=world.b.member.user, activity=activity, reason="x"
    )
    assert refused.code == "not_found"


# Corrections -----------------------------------------------------------------------------


@pytest.fixture
def closed(world, activity, clock):
    """Closed; the tests then stand an hour after the close."""
    with at(DURING):
        check_in(world.a.flowing.user, activity)
    clock.move_to(CHECKOUT_CLOSES + timedelta(minutes=1))
    services.close_due_activities()
    clock.move_to(CHECKOUT_CLOSES + timedelta(hours=1))
    activity.refresh_from_db()
    return activity


def test_a_correction_takes_effect_only_when_a_superiors_admin_approves_and_stays_flagged(
    world, closed
):
    correction = services.propose_correction(
        actor=world.a.branch_admin,
        activity=closed,
        member=world.a.member,
        to_status="checked_out",
        reason="手机损坏，现场签到表可证明",
    )
    assert (correction.from_status, correction.status) == ("absent", "pending")
    assert status(closed, world.a.member) == "absent"
    assert correction in selectors.corrections_to_review(world.a.admin)
    assert correction not in selectors.corrections_to_review(world.a.branch_admin)
    assert Notification.objects.filter(user=world.a.admin, kind="correction_proposed").exists()

    services.approve_correction(actor=world.a.admin, correction=correction)
    row = {r.member_id: r for r in selectors.attendance_rows(closed)}[world.a.member.pk]
    assert (row.status, row.is_corrected) == ("checked_out", True)
    record = AttendanceRecord.objects.get(activity=closed, member=world.a.member)
    assert record.correction == correction
    assert selectors.live_counts(closed)["corrected"] == 1
    entry = AuditEntry.objects.get(action="attendance.correction_approve")
    assert entry.before == {"status": "absent"}


def test_the_branch_admin_cannot_approve_their_own_branchs_correction(world, closed):
    correction = services.propose_correction(
        actor=world.a.branch_admin,
        activity=closed,
        member=world.a.member,
        to_status="checked_in",
        reason="手机没电",
    )
    refused = refusal(
        services.approve_correction, actor=world.a.branch_admin, correction=correction
    )
    assert refused.code == "forbidden"
    assert (
        refusal(services.approve_correction, actor=world.b.admin, correction=correction).code
        == "not_found"
    )


def test_nobody_approves_their_own_correction(world, closed):
    correction = services.propose_correction(
        actor=world.a.admin,
        activity=closed,
        member=world.a.member,
        to_status="checked_in",
        reason="手机没电",
    )
    refused = refusal(services.approve_correction, actor=world.a.admin, correction=correction)
    assert refused.code == "self_approval"
    services.approve_correction(actor=world.city_admin, correction=correction)


def test_a_refused_correction_changes_nothing_and_needs_a_reason(world, closed):
    correction = services.propose_correction(
        actor=world.a.branch_admin,
        activity=closed,
        member=world.a.member,
        to_status="checked_in",
        reason="忘记签到",
    )
    assert (
        refusal(
            services.refuse_correction, actor=world.a.admin, correction=correction, note=""
        ).code
        == "reason_required"
    )
    services.refuse_correction(actor=world.a.admin, correction=correction, note="无旁证")
    assert status(closed, world.a.member) == "absent"
    assert Correction.objects.get().status == "refused"


def test_a_correction_needs_a_reason_a_roster_member_and_a_change(world, closed):
    base = {"actor": world.a.branch_admin, "activity": closed}
    assert (
        refusal(
            services.propose_correction,
            **base,
            member=world.a.member,
            to_status="checked_in",
            reason=" ",
        ).code
        == "reason_required"
    )
    assert (
        refusal(
            services.propose_correction,
            **base,
            member=world.b.member,
            to_status="checked_in",
            reason="x",
        ).code
        == "not_on_roster"
    )
    assert (
        refusal(
            services.propose_correction,
            **base,
            member=world.a.member,
            to_status="absent",
            reason="x",
        ).code
        == "no_change"
    )
    assert (
        refusal(
            services.propose_correction,
            **base,
            member=world.a.member,
            to_status="pending",
            reason="x",
        ).code
        == "validation_error"
    )
    services.propose_correction(**base, member=world.a.member, to_status="on_leave", reason="x")
    assert (
        refusal(
            services.propose_correction,
            **base,
            member=world.a.member,
            to_status="checked_in",
            reason="y",
        ).code
        == "correction_exists"
    )


def test_corrections_wait_for_the_start(world, activity):
    refused = refusal(
        services.propose_correction,
        actor=world.a.branch_admin,
        activity=activity,
        member=world.a.member,
        to_status="checked_in",
        reason="x",
    )
    assert refused.code == "not_started"


def test_leave_requests_are_listed_for_the_branchs_admins(world, activity):
    leave = services.request_leave(actor=world.a.member.user, activity=activity, reason="出差")
    assert list(selectors.pending_leaves(world.a.branch_admin)) == [leave]
    assert list(selectors.pending_leaves(world.b.admin)) == []
    assert LeaveRequest.objects.count() == 1


def test_an_admin_elsewhere_does_not_find_their_own_leave_among_those_to_decide(world, activity):
    # A member of branch a who administers county b: their leave is branch a's to decide.
    member = make_member(world.city_admin, world.a.branch, name="跨区任职党员")
    RoleGrant.objects.create(user=member.user, org=world.b.org)
    leave = services.request_leave(actor=member.user, activity=activity, reason="外出开会")
    assert list(selectors.pending_leaves(member.user)) == []
    assert selectors.waiting_count(member.user) == 0
    assert list(selectors.pending_leaves(world.a.branch_admin)) == [leave]


# Corrections for members who have no record -------------------------------------------------


@pytest.mark.parametrize("to_status", ["checked_in", "checked_out", "not_checked_out"])
def test_a_correction_to_attended_for_a_member_who_never_scanned_writes_a_flagged_record(
    world, activity, to_status
):
    # Present, but the phone could not scan: during the activity there is no record yet.
    with at(DURING + timedelta(minutes=10)):
        correction = services.propose_correction(
            actor=world.a.branch_admin,
            activity=activity,
            member=world.a.member,
            to_status=to_status,
            reason="手机无法扫码，现场签到表可证明",
        )
        assert correction.from_status == "pending"
        services.approve_correction(actor=world.a.admin, correction=correction)
    correction.refresh_from_db()
    assert correction.status == "approved"
    record = AttendanceRecord.objects.get(activity=activity, member=world.a.member)
    assert (record.status, record.is_corrected, record.correction) == (
        to_status,
        True,
        correction,
    )
    # No check-in time is made up: the flag says where the status came from.
    assert record.checked_in_at is None
    row = {r.member_id: r for r in selectors.attendance_rows(activity)}[world.a.member.pk]
    assert (row.status, row.is_corrected) == (to_status, True)
    entry = AuditEntry.objects.get(action="attendance.correction_approve")
    assert entry.before == {"status": "pending"}


def test_a_member_corrected_to_checked_in_checks_out_and_the_record_stays_flagged(world, activity):
    from tests.attendance.conftest import AFTER_END, check_out

    with at(DURING + timedelta(minutes=10)):
        correction = services.propose_correction(
            actor=world.a.branch_admin,
            activity=activity,
            member=world.a.member,
            to_status="checked_in",
            reason="手机无法扫码",
        )
        services.approve_correction(actor=world.a.admin, correction=correction)
    with at(AFTER_END):
        outcome = check_out(world.a.member.user, activity)
    assert outcome.created
    record = AttendanceRecord.objects.get(activity=activity, member=world.a.member)
    assert (record.status, record.is_corrected) == ("checked_out", True)
    assert record.checked_out_at == AFTER_END


# Nobody decides their own request -----------------------------------------------------------


def test_a_branch_secretary_cannot_approve_their_own_leave(world, activity):
    secretary = world.a.branch_admin  # a member of the branch, on the roster
    leave = services.request_leave(actor=secretary, activity=activity, reason="到县里开会")
    refused = refusal(services.approve_leave, actor=secretary, leave=leave)
    assert refused.code == "self_approval"
    assert "自己" in refused.message
    leave.refresh_from_db()
    assert leave.status == "pending"
    assert not AttendanceRecord.objects.filter(activity=activity).exists()
    # Another admin of the branch (the county's) decides it.
    services.approve_leave(actor=world.a.admin, leave=leave)
    leave.refresh_from_db()
    assert (leave.status, leave.decided_by) == ("approved", world.a.admin)


@pytest.mark.parametrize(
    ("request_of", "decider", "refused"),
    [
        ("leave of user 7", 7, True),
        ("leave of user 7", 8, False),
        ("correction proposed by user 7", 7, True),
        ("correction proposed by user 7", 8, False),
        ("correction whose proposer is gone", 7, False),
    ],
)
def test_nobody_decides_a_request_of_their_own(request_of, decider, refused):
    from dangjian import permissions
    from dangjian.registry.models import Member, User

    request = {
        "leave of user 7": LeaveRequest(member=Member(user_id=7)),
        "correction proposed by user 7": Correction(proposed_by_id=7),
        "correction whose proposer is gone": Correction(proposed_by_id=None),
    }[request_of]
    actor = User(pk=decider)
    if refused:
        with pytest.raises(DomainError) as error:
            permissions.require_not_own_request(actor, request)
        assert error.value.code == "self_approval"
    else:
        assert permissions.require_not_own_request(actor, request) is None


def test_a_branch_secretary_does_not_find_their_own_leave_among_those_to_decide(world, activity):
    secretary = world.a.branch_admin
    own = services.request_leave(actor=secretary, activity=activity, reason="到县里开会")
    other = services.request_leave(actor=world.a.member.user, activity=activity, reason="出差")
    assert list(selectors.pending_leaves(secretary)) == [other]
    assert selectors.waiting_count(secretary) == 1
    assert set(selectors.pending_leaves(world.a.admin)) == {own, other}

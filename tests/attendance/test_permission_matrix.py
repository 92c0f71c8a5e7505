"""Attendance's part of the permission matrix: role × object (an activity of branch a, its
leave requests and corrections) × action, through the API and the back office. Out of
scope answers as missing (404); readable but not to be acted on is 403; every refusal
changes nothing. Each role's row is tried in one case (permission_matrix.cases, by_row);
the tables' rows are checked by tests/permission_matrix/test_every_matrix.py."""

from datetime import timedelta

import pytest

from dangjian.attendance import services
from dangjian.attendance.models import Correction, LeaveRequest, RequestStatus
from tests.attendance.conftest import CHECKOUT_CLOSES, at
from tests.permission_matrix.cases import (
    WIDER_ROLES,
    A,
    Expect,
    F,
    L,
    N,
    assert_refused,
    matrix_cases,
)

pytestmark = pytest.mark.django_db

ROLES = WIDER_ROLES

# What the API answers: the roster and the QR code of an activity of branch a; asking leave
# for it (only its roster's members: the city's admin is not one, 403 `not_on_roster`);
# deciding the leave another member of branch a asked for (a member cannot even see it).
# fmt: off
API_MATRIX = [
    # role                  roster  qr  ask_leave  decide_leave
    ("city_admin",          A,      A,  F,         A),
    ("county_admin",        A,      A,  F,         A),
    ("other_county_admin",  N,      N,  N,         N),
    ("branch_admin",        A,      A,  A,         A),
    ("member",              F,      F,  A,         N),
    ("other_branch_member", N,      N,  N,         N),
    ("outsider",            N,      N,  N,         N),
    ("anonymous",           L,      L,  L,         L),
]
# fmt: on
API_ACTIONS = ("roster", "qr", "ask_leave", "decide_leave")
# What an allowed action answers through the API (anything else: 200).
ALLOWED = {"ask_leave": 201}
FORBIDDEN_CODES = {"ask_leave": "not_on_roster"}

# Approving a correction the branch admin proposed, in the back office: only an admin of a
# superior organization (the branch's own admins see it but may not decide it: 403). The
# back office is for admins only: anyone else gets 403 whatever the object.
# fmt: off
CORRECTION_MATRIX = [
    # role                  approve
    ("city_admin",          A),
    ("county_admin",        A),
    ("other_county_admin",  N),
    ("branch_admin",        F),
    ("member",              F),
    ("other_branch_member", F),
    ("outsider",            F),
    ("anonymous",           L),
]
# fmt: on
CORRECTION_ACTIONS = ("approve",)


def _answered(resp, action: str, expect: Expect) -> None:
    """Through the API: an allowed action's status, or the refusal the table expects."""
    if expect is Expect.ALLOW:
        assert resp.status_code == ALLOWED.get(action, 200), resp.content
    else:
        assert_refused(resp, "api", expect, forbidden_code=FORBIDDEN_CODES.get(action, ""))


@pytest.mark.parametrize(
    "role, answers", matrix_cases(API_MATRIX, API_ACTIONS, roles=ROLES, by_row=True)
)
def test_attendance_api_permission_matrix(world, activity, api, role, answers):
    actor = ROLES[role](world)
    client = api(actor)
    _answered(client.get(f"/activities/{activity.pk}/attendance"), "roster", answers["roster"])
    _answered(client.get(f"/activities/{activity.pk}/qr.png"), "qr", answers["qr"])

    before = LeaveRequest.objects.count()
    answer = client.post(f"/activities/{activity.pk}/leave", {"reason": "外出务工"})
    _answered(answer, "ask_leave", answers["ask_leave"])
    asked = answers["ask_leave"] is Expect.ALLOW
    assert LeaveRequest.objects.count() == before + (1 if asked else 0)

    leave = services.request_leave(actor=world.a.flowing.user, activity=activity, reason="出差")
    answer = client.post(f"/leaves/{leave.pk}/approve")
    _answered(answer, "decide_leave", answers["decide_leave"])
    leave.refresh_from_db()
    decided = answers["decide_leave"] is Expect.ALLOW
    assert leave.status == (RequestStatus.APPROVED if decided else RequestStatus.PENDING)


@pytest.mark.parametrize(
    "role, answers", matrix_cases(CORRECTION_MATRIX, CORRECTION_ACTIONS, roles=ROLES, by_row=True)
)
def test_correction_decision_permission_matrix(world, activity, page, clock, role, answers):
    clock.move_to(CHECKOUT_CLOSES + timedelta(minutes=1))
    services.close_due_activities()
    with at(CHECKOUT_CLOSES + timedelta(hours=1)):
        correction = services.propose_correction(
            actor=world.a.branch_admin,
            activity=activity,
            member=world.a.member,
            to_status="checked_out",
            reason="手机损坏，现场签到表可证明",
        )
        answer = page(ROLES[role](world)).post(
            f"/console/attendance/corrections/{correction.pk}/approve/"
        )
    correction = Correction.objects.get(pk=correction.pk)
    if answers["approve"] is Expect.ALLOW:
        assert answer.status_code == 302  # back to the activity, with a message
        assert correction.status == RequestStatus.APPROVED
    else:
        assert_refused(answer, "page", answers["approve"])
        assert correction.status == RequestStatus.PENDING

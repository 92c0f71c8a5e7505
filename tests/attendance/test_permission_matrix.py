"""Attendance's part of the permission matrix: role × object (an activity of branch a, its
leave requests and corrections) × action, through the API and the back office. Out of
scope answers as missing (404); readable but not to be acted on is 403; every refusal
changes nothing."""

from datetime import timedelta

import pytest

from dangjian.attendance import services
from dangjian.attendance.models import Correction, LeaveRequest, RequestStatus
from tests.attendance.conftest import CHECKOUT_CLOSES, at

pytestmark = pytest.mark.django_db

ROLES = {
    "city_admin": lambda w: w.city_admin,
    "county_admin": lambda w: w.a.admin,
    "other_county_admin": lambda w: w.b.admin,
    "branch_admin": lambda w: w.a.branch_admin,
    "member": lambda w: w.a.member.user,
    "other_branch_member": lambda w: w.b.member.user,
    "outsider": lambda w: w.outsider,
    "anonymous": lambda w: None,
}

# What the API answers: the roster and the QR code of an activity of branch a; asking leave
# for it (only its roster's members: the city's admin is not one, 403 `not_on_roster`);
# deciding the leave another member of branch a asked for (a member cannot even see it).
# fmt: off
API_MATRIX = {
    #                        roster  qr    ask leave  decide leave
    "city_admin":           (200,    200,  403,       200),
    "county_admin":         (200,    200,  403,       200),
    "other_county_admin":   (404,    404,  404,       404),
    "branch_admin":         (200,    200,  201,       200),
    "member":               (403,    403,  201,       404),
    "other_branch_member":  (404,    404,  404,       404),
    "outsider":             (404,    404,  404,       404),
    "anonymous":            (401,    401,  401,       401),
}
# Approving a correction the branch admin proposed, in the back office: only an admin of a
# superior organization (the branch's own admins see it but may not decide it: 403). The
# back office is for admins only: anyone else gets 403 whatever the object.
CORRECTION_MATRIX = {
    "city_admin": "approved",
    "county_admin": "approved",
    "other_county_admin": 404,
    "branch_admin": 403,
    "member": 403,
    "other_branch_member": 403,
    "outsider": 403,
    "anonymous": 302,
}
# fmt: on


def test_the_matrices_cover_every_role():
    assert set(API_MATRIX) == set(ROLES) == set(CORRECTION_MATRIX)


@pytest.mark.parametrize("role", list(API_MATRIX))
def test_attendance_api_permission_matrix(world, activity, api, role):
    actor = ROLES[role](world)
    roster, qr, ask, decide = API_MATRIX[role]
    client = api(actor)
    assert client.get(f"/activities/{activity.pk}/attendance").status_code == roster
    assert client.get(f"/activities/{activity.pk}/qr.png").status_code == qr

    before = LeaveRequest.objects.count()
    answer = client.post(f"/activities/{activity.pk}/leave", {"reason": "外出务工"})
    assert answer.status_code == ask, answer.content
    if ask == 403:
        assert answer.json()["code"] == "not_on_roster"
    assert LeaveRequest.objects.count() == before + (1 if ask == 201 else 0)

    leave = services.request_leave(actor=world.a.flowing.user, activity=activity, reason="出差")
    answer = client.post(f"/leaves/{leave.pk}/approve")
    assert answer.status_code == decide, answer.content
    leave.refresh_from_db()
    expected = RequestStatus.APPROVED if decide == 200 else RequestStatus.PENDING
    assert leave.status == expected


@pytest.mark.parametrize("role", list(CORRECTION_MATRIX))
def test_correction_decision_permission_matrix(world, activity, page, clock, role):
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
    expected = CORRECTION_MATRIX[role]
    correction = Correction.objects.get(pk=correction.pk)
    if isinstance(expected, int):
        assert answer.status_code == expected
        assert correction.status == RequestStatus.PENDING
    else:
        assert answer.status_code == 302  # back to the activity, with a message
        assert correction.status == expected

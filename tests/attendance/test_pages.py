"""The member's check-in page (/m/checkin/<token>/) and the back-office attendance pages."""

from datetime import timedelta

import pytest

from dangjian.attendance import checkin, services
from dangjian.attendance.models import AttendanceRecord, Correction, LeaveRequest
from dangjian.audit.models import AuditEntry
from dangjian.core.errors import DomainError
from tests.attendance.conftest import (
    AFTER_END,
    CHECKOUT_CLOSES,
    DURING,
    at,
    check_in,
    check_out,
    near,
)

pytestmark = pytest.mark.django_db


def checkin_path(activity) -> str:
    return f"/m/checkin/{activity.checkin_token}/"


def position(metres=20, accuracy=15, **extra):
    lat, lon = near(metres)
    return {"latitude": lat, "longitude": lon, "accuracy": accuracy, **extra}


# The phone page --------------------------------------------------------------------------


def test_the_check_in_address_sends_a_stranger_to_log_in_and_back(page, activity):
    resp = page(None).get(checkin_path(activity))
    assert resp.status_code == 302
    assert resp["Location"] == f"/login/?next={checkin_path(activity)}"


def test_a_member_sees_the_activity_and_the_check_in_button(world, page, activity):
    with at(DURING):
        resp = page(world.a.member.user).get(checkin_path(activity))
    html = resp.content.decode()
    assert resp.status_code == 200
    assert activity.title in html
    assert "签到时间" in html and "08:30–09:15" in html
    assert 'name="action" value="check_in"' in html
    assert "dj/checkin.js" in html


def test_an_unknown_token_shows_a_clear_message(world, page, activity):
    resp = page(world.a.member.user).get("/m/checkin/" + "q" * 32 + "/")
    assert resp.status_code == 404
    assert "签到二维码无效或已更换" in resp.content.decode()


def test_posting_the_position_checks_in_and_answers_in_chinese(world, page, activity):
    client = page(world.a.member.user)
    with at(DURING):
        resp = client.post(
            checkin_path(activity),
            position(device_id="phone-1234567890", client_time="2026-12-10T00:00:00Z"),
            HTTP_USER_AGENT="Mozilla/5.0 (Linux; Android 14) MicroMessenger",
        )
    assert resp.status_code == 200
    answer = resp.json()
    assert answer["ok"] and answer["status"] == "checked_in"
    assert answer["message"].startswith("签到成功！签到时间 08:55")
    record = AttendanceRecord.objects.get()
    assert record.device_id == "phone-1234567890"
    with at(DURING + timedelta(minutes=1)):
        page_after = client.get(checkin_path(activity)).content.decode()
    assert "你已签到" in page_after


def test_from_a_kilometre_away_the_page_says_how_far_and_the_limit(world, page, activity):
    with at(DURING):
        resp = page(world.a.member.user).post(checkin_path(activity), position(metres=1000))
    assert resp.status_code == 409
    assert resp.json()["code"] == "out_of_range"
    assert resp.json()["message"].startswith("你距离活动地点 1.0 公里，签到范围为 300 米")


def test_too_early_says_when_it_opens(world, page, activity):
    with at(DURING - timedelta(hours=2)):
        resp = page(world.a.member.user).post(checkin_path(activity), position())
    assert resp.json()["code"] == "too_early"
    assert "08:30" in resp.json()["message"]


def test_no_position_is_asked_for_again(world, page, activity):
    with at(DURING):
        resp = page(world.a.member.user).post(checkin_path(activity), {"latitude": "abc"})
    assert (resp.status_code, resp.json()["code"]) == (422, "validation_error")
    assert "位置" in resp.json()["message"]


def test_after_the_end_the_page_checks_out_with_a_reflection(world, page, activity):
    client = page(world.a.member.user)
    with at(DURING):
        client.post(checkin_path(activity), position())
    with at(AFTER_END):
        html = client.get(checkin_path(activity)).content.decode()
        assert 'name="reflection"' in html
        empty = client.post(checkin_path(activity), position(action="check_out"))
        assert empty.json()["code"] == "reflection_required"
        done = client.post(
            checkin_path(activity), position(action="check_out", reflection="收获很大")
        )
    assert done.json()["ok"] and done.json()["status"] == "checked_out"
    assert done.json()["message"].startswith("签退成功")


def test_other_branches_members_and_outsiders_cannot_check_in(world, page, activity):
    with at(DURING):
        other = page(world.b.member.user).post(checkin_path(activity), position())
        outsider = page(world.outsider).get(checkin_path(activity))
    assert other.json()["code"] == "not_on_roster"
    assert "你不在本次活动的参加人员名单中" in other.json()["message"]
    # A user without a member record gets the plain explanation page.
    assert outsider.status_code == 200
    assert activity.title not in outsider.content.decode()
    assert not AttendanceRecord.objects.exists()


# The back office -------------------------------------------------------------------------


def console(activity, rest="") -> str:
    return f"/console/activities/{activity.pk}/attendance/{rest}"


def test_the_attendance_page_is_for_the_admins_of_the_branch_and_above(world, page, activity):
    for user in (world.a.branch_admin, world.a.admin, world.city_admin):
        resp = page(user).get(console(activity))
        assert resp.status_code == 200, user
    assert page(world.b.admin).get(console(activity)).status_code == 404
    assert page(world.a.member.user).get(console(activity)).status_code == 403
    assert page(world.outsider).get(console(activity)).status_code == 403
    assert page(None).get(console(activity)).status_code == 302


def test_the_live_view_refreshes_itself_and_counts(world, page, activity):
    with at(DURING):
        check_in(world.a.member.user, activity)
        resp = page(world.a.branch_admin).get(console(activity, "live/"), HTTP_HX_REQUEST="true")
    html = resp.content.decode()
    assert 'hx-trigger="every 10s"' in html
    assert world.a.member.name in html and "已签到" in html
    assert page(world.b.admin).get(console(activity, "live/")).status_code == 404
    assert page(world.outsider).get(console(activity, "live/")).status_code == 403


def test_the_poster_downloads_as_pdf_png_and_the_qr_code(world, page, activity):
    client = page(world.a.branch_admin)
    pdf = client.get(console(activity, "poster.pdf"))
    assert (pdf.status_code, pdf["Content-Type"]) == (200, "application/pdf")
    assert pdf.content.startswith(b"%PDF-")
    png = client.get(console(activity, "poster.png"))
    assert png["Content-Type"] == "image/png" and png.content.startswith(b"\x89PNG")
    qr = client.get(console(activity, "poster.qr"))
    assert qr["Content-Type"] == "image/png"
    assert client.get(console(activity, "poster.gif")).status_code == 404
    assert page(world.b.admin).get(console(activity, "poster.pdf")).status_code == 404
    assert page(world.outsider).get(console(activity, "poster.pdf")).status_code == 403


def test_regenerating_the_token_invalidates_the_old_poster(world, page, activity):
    old = activity.checkin_token
    resp = page(world.a.branch_admin).post(console(activity, "token/"))
    assert resp.status_code == 302
    activity.refresh_from_db()
    assert activity.checkin_token != old
    assert page(world.b.admin).post(console(activity, "token/")).status_code == 404


def current_code(activity) -> checkin.ClientInfo:
    """A scan of the code the rotating-QR screen shows at DURING."""
    from dangjian.attendance import codes, selectors

    return checkin.ClientInfo(code=codes.code_at(selectors.rotating_qr(activity).secret, DURING))


def test_rotating_mode_shows_a_changing_code_on_the_screen(world, page, activity):
    client = page(world.a.branch_admin)
    client.post(console(activity, "rotating/"), {"enabled": "1"})
    with at(DURING):
        check_in(world.a.member.user, activity, client=current_code(activity))
        screen = client.get(console(activity, "screen/")).content.decode()
        code = client.get(console(activity, "screen/code/")).content.decode()
    assert "<svg" in screen and 'hx-trigger="every 5s"' in screen
    assert "<svg" in code and "30 秒后更换" in code
    assert "已签到 1 / 应到 3" in code
    assert page(world.outsider).get(console(activity, "screen/")).status_code == 403
    client.post(console(activity, "rotating/"), {"enabled": "0"})
    with at(DURING):
        assert "<svg" not in client.get(console(activity, "screen/code/")).content.decode()


def test_the_refusal_log_shows_who_was_refused_and_why(world, page, activity):
    with at(DURING):
        for metres in (800, 900):
            with pytest.raises(DomainError):
                check_in(world.a.member.user, activity, metres=metres)
    resp = page(world.a.branch_admin).get(console(activity, "refusals/?code=out_of_range"))
    html = resp.content.decode()
    assert "超出签到范围" in html and "900 米" in html and world.a.member.name in html
    assert page(world.b.admin).get(console(activity, "refusals/")).status_code == 404


def test_leave_is_decided_on_the_page_and_in_the_inbox(world, page, activity):
    leave = services.request_leave(actor=world.a.member.user, activity=activity, reason="出差")
    inbox = page(world.a.branch_admin).get("/console/attendance/").content.decode()
    assert "出差" in inbox
    assert "出差" not in page(world.b.admin).get("/console/attendance/").content.decode()
    assert page(world.b.admin).post(
        f"/console/attendance/leaves/{leave.pk}/approve/"
    ).status_code == (404)
    resp = page(world.a.branch_admin).post(f"/console/attendance/leaves/{leave.pk}/approve/")
    assert resp.status_code == 302
    assert LeaveRequest.objects.get().status == "approved"


def test_leave_decisions_say_so_return_where_asked_and_are_audited(world, page, activity):
    approved = services.request_leave(actor=world.a.member.user, activity=activity, reason="出差")
    refused = services.request_leave(actor=world.a.flowing.user, activity=activity, reason="探亲")
    client = page(world.a.branch_admin)
    resp = client.post(f"/console/attendance/leaves/{approved.pk}/approve/", {"note": "不用"})
    assert resp["Location"] == console(activity) + "#leave"
    page_html = client.get(console(activity)).content.decode()
    assert f"已批准 {world.a.member.name} 的请假。" in page_html
    resp = client.post(
        f"/console/attendance/leaves/{refused.pk}/refuse/",
        {"note": "请按时参加", "next": "/console/attendance/"},
        follow=True,
    )
    assert resp.redirect_chain == [("/console/attendance/", 302)]
    assert f"已不批准 {world.a.flowing.name} 的请假。" in resp.content.decode()
    approved.refresh_from_db()
    refused.refresh_from_db()
    assert (approved.status, approved.decision_note) == ("approved", "")
    assert (refused.status, refused.decision_note) == ("refused", "请按时参加")
    entries = AuditEntry.objects.filter(action__startswith="attendance.leave_").order_by("id")
    assert [(e.action, e.object_id, e.actor_id) for e in entries] == [
        ("attendance.leave_approve", str(approved.pk), world.a.branch_admin.pk),
        ("attendance.leave_refuse", str(refused.pk), world.a.branch_admin.pk),
    ]
    # Decided already: the service's refusal is shown, nothing changes.
    again = client.post(f"/console/attendance/leaves/{refused.pk}/approve/", follow=True)
    assert "该请假申请已处理" in again.content.decode()
    assert LeaveRequest.objects.get(pk=refused.pk).status == "refused"


def test_the_live_count_of_those_present_includes_who_never_checked_out(
    world, page, activity, clock
):
    clock.move_to(DURING)
    check_in(world.a.member.user, activity)
    check_in(world.a.flowing.user, activity)
    clock.move_to(AFTER_END)
    check_out(world.a.flowing.user, activity)
    clock.move_to(CHECKOUT_CLOSES + timedelta(minutes=1))
    services.close_due_activities()
    html = page(world.a.branch_admin).get(console(activity, "live/")).content.decode()
    assert "<strong>2</strong><span>已签到</span>" in html
    assert "<strong>1</strong><span>已签退</span>" in html
    assert "<strong>1</strong><span>未签退</span>" in html


def test_a_correction_is_proposed_by_the_branch_and_approved_by_the_county(
    world, page, activity, clock
):
    clock.move_to(CHECKOUT_CLOSES + timedelta(minutes=1))
    services.close_due_activities()
    resp = page(world.a.branch_admin).post(
        console(activity, "corrections/"),
        {"member_id": world.a.member.pk, "to_status": "checked_out", "reason": "手机损坏"},
    )
    assert resp.status_code == 302
    correction = Correction.objects.get()
    # The branch's own admin cannot approve it; the county's admin can.
    denied = page(world.a.branch_admin).post(
        f"/console/attendance/corrections/{correction.pk}/approve/"
    )
    assert denied.status_code == 403
    assert "手机损坏" in page(world.a.admin).get("/console/attendance/").content.decode()
    page(world.a.admin).post(f"/console/attendance/corrections/{correction.pk}/approve/")
    record = AttendanceRecord.objects.get(member=world.a.member)
    assert (record.status, record.is_corrected) == ("checked_out", True)
    html = page(world.a.branch_admin).get(console(activity)).content.decode()
    assert "已更正" in html
    outsider = page(world.outsider).post(
        console(activity, "corrections/"),
        {"member_id": world.a.member.pk, "to_status": "absent", "reason": "x"},
    )
    assert outsider.status_code == 403


def test_a_member_asks_for_leave_on_the_phone(world, page, activity):
    path = f"/m/activities/{activity.pk}/leave/"
    client = page(world.a.member.user)
    assert "提交请假申请" in client.get(path).content.decode()
    empty = client.post(path, {"reason": " "})
    assert "请假须说明原因" in empty.content.decode()
    resp = client.post(path, {"reason": "外出务工"}, follow=True)
    html = resp.content.decode()
    assert "请假申请已提交" in html and "外出务工" in html and "待审批" in html
    assert LeaveRequest.objects.get().member == world.a.member
    assert page(world.b.member.user).get(path).status_code == 404
    assert page(None).get(path).status_code == 302


def test_a_member_who_could_not_scan_is_corrected_to_checked_in_on_the_pages(world, page, activity):
    with at(DURING + timedelta(minutes=10)):
        resp = page(world.a.branch_admin).post(
            console(activity, "corrections/"),
            {"member_id": world.a.member.pk, "to_status": "checked_in", "reason": "手机无法扫码"},
        )
        assert resp.status_code == 302
        correction = Correction.objects.get()
        decide = f"/console/attendance/corrections/{correction.pk}/approve/"
        assert page(world.b.admin).post(decide).status_code == 404
        assert page(world.outsider).post(decide).status_code == 403
        approved = page(world.a.admin).post(
            f"/console/attendance/corrections/{correction.pk}/approve/", follow=True
        )
        assert "已批准考勤更正" in approved.content.decode()
        html = page(world.a.branch_admin).get(console(activity)).content.decode()
    assert Correction.objects.get().status == "approved"
    record = AttendanceRecord.objects.get(activity=activity, member=world.a.member)
    assert (record.status, record.is_corrected, record.correction) == (
        "checked_in",
        True,
        correction,
    )
    assert "已更正" in html


def test_a_branch_secretary_is_told_they_cannot_approve_their_own_leave(world, page, activity):
    secretary = world.a.branch_admin
    leave = services.request_leave(actor=secretary, activity=activity, reason="到县里开会")
    resp = page(secretary).post(f"/console/attendance/leaves/{leave.pk}/approve/", follow=True)
    assert resp.status_code == 200
    assert "不能审批自己的请假申请" in resp.content.decode()
    assert LeaveRequest.objects.get().status == "pending"
    page(world.a.admin).post(f"/console/attendance/leaves/{leave.pk}/approve/")
    assert LeaveRequest.objects.get().status == "approved"

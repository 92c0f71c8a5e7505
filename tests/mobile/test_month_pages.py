"""The branch secretary's month on the phone (/m/month/, issue 22 point 3), through the real
HTTP stack: this month's theme day with its next step, the poster, live attendance, leave
decisions, the rotating QR screen, the record (photos, summary) and a rectification's
answer; each page refused to a plain member (403) and the outsider (404)."""

from datetime import date, timedelta

import pytest
import time_machine
from django.urls import reverse

from dangjian.attendance import codes
from dangjian.attendance import selectors as attendance_selectors
from dangjian.attendance import services as attendance
from dangjian.attendance.checkin import ClientInfo
from dangjian.attendance.models import AttendanceRecord, LeaveRequest, RequestStatus
from dangjian.audit.models import AuditEntry
from dangjian.interaction import services as interaction
from dangjian.interaction.models import Photo, Summary
from dangjian.notifications.models import Notification
from dangjian.supervision import services as supervision
from dangjian.supervision.models import Rectification, RectificationStatus
from dangjian.themedays import services as themedays
from tests.attendance.conftest import check_in
from tests.interaction.conftest import AFTER_CLOSE, DURING, approved_activity, image_bytes, upload
from tests.interaction.conftest import VENUE as PHOTO_VENUE
from tests.themedays.conftest import DAY, NOW

pytestmark = pytest.mark.django_db

BEFORE = DAY - timedelta(days=2)  # the 8th: approved, not started
CHECKIN_OPEN = DAY - timedelta(minutes=10)  # 08:50: check-in open, leave still decidable


def html(response) -> str:
    return response.content.decode()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.API_TOKEN_TTL = timedelta(days=60)


@pytest.fixture
def activity(world):
    return approved_activity(world)


def at(when):
    return time_machine.travel(when, tick=False)


def refused_to_others(world, page, method: str, url: str, data=None) -> None:
    """A plain member of the branch may read its activity but not run it: 403; the
    outsider and the other county's secretary see nothing: 404."""
    call = {"get": lambda c: c.get(url), "post": lambda c: c.post(url, data or {})}[method]
    assert call(page(world.a.member.user)).status_code == 403
    assert call(page(world.outsider)).status_code == 404
    assert call(page(world.b.branch_admin)).status_code == 404


# This month --------------------------------------------------------------------------------


def test_the_month_page_asks_an_anonymous_visitor_to_sign_in(world, page):
    response = page(None).get(reverse("mobile:month"))
    assert response.status_code == 302


def test_the_month_page_lists_no_branch_for_a_plain_member_or_the_outsider(world, activity, page):
    with at(BEFORE):
        for user in (world.a.member.user, world.outsider):
            response = page(user).get(reverse("mobile:month"))
            assert response.status_code == 200
            assert world.a.branch.name not in html(response)
            assert "您不是党支部的管理员" in html(response)


def test_without_a_plan_the_next_step_is_to_draft_it(world, page):
    with at(NOW):
        campaign = themedays.create_campaign(
            actor=world.city_admin,
            org=world.city,
            month="2026-12",
            theme="学习贯彻党的二十届四中全会精神",
            holding_from=date(2026, 12, 1),
            holding_until=date(2026, 12, 20),
        )
        themedays.request_distribution(actor=world.city_admin, campaign=campaign)
        body = html(page(world.a.branch_admin).get(reverse("mobile:month")))
    assert "学习贯彻党的二十届四中全会精神" in body
    assert "未制定计划" in body
    assert "下一步：<strong>制定并提交活动计划</strong>" in body
    assert reverse("mobile:plan_start", args=[world.a.branch.pk, campaign.pk]) in body
    assert world.b.branch.name not in body


def test_once_approved_the_next_step_is_the_poster_with_pending_leave_counted(
    world, activity, page
):
    with at(BEFORE):
        attendance.request_leave(actor=world.a.member.user, activity=activity, reason="出差")
        body = html(page(world.a.branch_admin).get(reverse("mobile:month")))
    assert "已通过" in body
    assert "下一步：<strong>下载或分享签到海报，通知党员</strong>" in body
    assert reverse("mobile:month_poster", args=[activity.pk]) in body
    assert "1 条待审批" in body


def test_during_the_activity_the_next_step_is_attendance_then_the_record_until_written(
    world, activity, page
):
    client = page(world.a.branch_admin)
    with at(DURING):
        body = html(client.get(reverse("mobile:month")))
        assert "下一步：<strong>投屏签到，查看实时签到</strong>" in body
        interaction.upload_photo(
            actor=world.a.branch_admin,
            activity=activity,
            file=upload(image_bytes(taken_at=DURING, gps=PHOTO_VENUE)),
        )
    with at(AFTER_CLOSE):
        body = html(client.get(reverse("mobile:month")))
        assert "下一步：<strong>上传活动照片，填写活动总结</strong>" in body
        assert reverse("mobile:month_record", args=[activity.pk]) in body
        interaction.write_summary(actor=world.a.branch_admin, activity=activity, text="总结")
        body = html(client.get(reverse("mobile:month")))
    assert "本月主题党日各项工作已完成" in body


# The poster --------------------------------------------------------------------------------


def test_the_poster_page_previews_and_offers_the_pdf_and_the_image(world, activity, page):
    client = page(world.a.branch_admin)
    with at(BEFORE):
        body = html(client.get(reverse("mobile:month_poster", args=[activity.pk])))
        assert f"/m/checkin/{activity.checkin_token}/" in body
        pdf = client.get(reverse("mobile:month_poster_file", args=[activity.pk, "pdf"]))
        png = client.get(
            reverse("mobile:month_poster_file", args=[activity.pk, "png"]) + "?inline=1"
        )
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert "attachment" in pdf["Content-Disposition"]
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    assert "Content-Disposition" not in png


def test_a_plan_not_yet_approved_has_no_poster(world, page):
    with at(NOW):
        campaign = themedays.create_campaign(
            actor=world.city_admin,
            org=world.city,
            month="2026-12",
            theme="主题",
            holding_from=date(2026, 12, 1),
            holding_until=date(2026, 12, 20),
        )
        from tests.themedays.conftest import plan_kwargs

        draft = themedays.draft_activity(
            actor=world.a.branch_admin, branch=world.a.branch, campaign=campaign, **plan_kwargs()
        )
        response = page(world.a.branch_admin).get(reverse("mobile:month_poster", args=[draft.pk]))
    assert response.status_code == 404


def test_the_poster_is_refused_to_a_member_and_the_outsider(world, activity, page):
    with at(BEFORE):
        refused_to_others(world, page, "get", reverse("mobile:month_poster", args=[activity.pk]))
        url = reverse("mobile:month_poster_file", args=[activity.pk, "pdf"])
        refused_to_others(world, page, "get", url)


# Attendance --------------------------------------------------------------------------------


def test_a_check_in_appears_on_the_live_attendance_and_its_polled_partial(world, activity, page):
    client = page(world.a.branch_admin)
    with at(CHECKIN_OPEN):
        check_in(world.a.member.user, activity)
        body = html(client.get(reverse("mobile:month_attendance", args=[activity.pk])))
        live = client.get(reverse("mobile:month_attendance_live", args=[activity.pk]))
    assert 'hx-trigger="every 5s"' in body
    assert world.a.member.name in body
    part = html(live)
    assert "<html" not in part
    assert 'data-testid="count-present"><strong>1</strong>' in part
    assert "已签到" in part
    assert "no-cache" in live["Cache-Control"]


def test_the_attendance_pages_are_refused_to_a_member_and_the_outsider(world, activity, page):
    with at(CHECKIN_OPEN):
        for name in ("month_attendance", "month_attendance_live", "month_screen"):
            refused_to_others(world, page, "get", reverse(f"mobile:{name}", args=[activity.pk]))
        url = reverse("mobile:month_rotating", args=[activity.pk])
        refused_to_others(world, page, "post", url, {"enabled": "1"})


def test_the_secretary_approves_and_refuses_leave_before_the_start(world, activity, page):
    client = page(world.a.branch_admin)
    with at(BEFORE):
        first = attendance.request_leave(
            actor=world.a.member.user, activity=activity, reason="出差"
        )
        second = attendance.request_leave(
            actor=world.a.flowing.user, activity=activity, reason="在外地"
        )
        body = html(client.get(reverse("mobile:month_attendance", args=[activity.pk])))
        assert "出差" in body and "批准" in body
        response = client.post(reverse("mobile:month_leave_decide", args=[first.pk, "approve"]))
        assert response.status_code == 302
        back = reverse("mobile:month_attendance", args=[activity.pk]) + "#leave"
        assert response.url == back
        assert f"已批准 {world.a.member.name} 的请假。" in html(client.get(back))
        response = client.post(
            reverse("mobile:month_leave_decide", args=[second.pk, "refuse"]),
            {"note": "请按时参加"},
        )
        assert response.url == back
        assert f"已不批准 {world.a.flowing.name} 的请假。" in html(client.get(back))
        again = client.post(reverse("mobile:month_leave_decide", args=[second.pk, "approve"]))
        assert again.url == back
        assert "该请假申请已处理" in html(client.get(back))
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == RequestStatus.APPROVED and first.decided_by == world.a.branch_admin
    assert second.status == RequestStatus.REFUSED and second.decision_note == "请按时参加"
    assert AttendanceRecord.objects.get(member=world.a.member).status == "on_leave"
    entries = AuditEntry.objects.filter(action__startswith="attendance.leave_").order_by("id")
    assert [(e.action, e.object_id, e.actor_id) for e in entries] == [
        ("attendance.leave_approve", str(first.pk), world.a.branch_admin.pk),
        ("attendance.leave_refuse", str(second.pk), world.a.branch_admin.pk),
    ]


def test_a_leave_decision_is_refused_to_a_member_and_the_outsider(world, activity, page):
    with at(BEFORE):
        leave = attendance.request_leave(actor=world.a.flowing.user, activity=activity, reason="x")
        url = reverse("mobile:month_leave_decide", args=[leave.pk, "approve"])
        assert page(world.outsider).post(url).status_code == 404
        assert page(world.b.branch_admin).post(url).status_code == 404
        assert page(world.a.member.user).post(url).status_code in (403, 404)
    assert LeaveRequest.objects.get(pk=leave.pk).status == RequestStatus.PENDING


def test_a_leave_decision_other_than_approve_or_refuse_is_not_found(world, activity, page):
    with at(BEFORE):
        leave = attendance.request_leave(actor=world.a.flowing.user, activity=activity, reason="x")
        approve = reverse("mobile:month_leave_decide", args=[leave.pk, "approve"])
        response = page(world.a.branch_admin).post(approve.replace("/approve/", "/maybe/"))
    # As on the console: a mistyped link refuses nobody's leave.
    assert response.status_code == 404
    assert LeaveRequest.objects.get(pk=leave.pk).status == RequestStatus.PENDING


def test_switching_the_rotating_qr_on_opens_the_screen_with_a_code_that_changes(
    world, activity, page
):
    client = page(world.a.branch_admin)
    with at(CHECKIN_OPEN):
        response = client.post(
            reverse("mobile:month_rotating", args=[activity.pk]), {"enabled": "1"}
        )
        assert response.url == reverse("mobile:month_screen", args=[activity.pk])
        body = html(client.get(response.url))
        assert "<svg" in body
        assert 'hx-trigger="every 5s"' in body
        secret = attendance_selectors.rotating_qr(activity).secret
        scan = ClientInfo(code=codes.code_at(secret, CHECKIN_OPEN))
        check_in(world.a.member.user, activity, client=scan)
        code = client.get(reverse("mobile:month_screen_code", args=[activity.pk]))
        assert "<svg" in html(code) and "<html" not in html(code)
        roster = attendance_selectors.live_counts(activity)["roster"]
        assert f"已签到 1 / 应到 {roster}" in html(code)


def test_the_screen_says_so_while_the_rotating_qr_is_off(world, activity, page):
    with at(CHECKIN_OPEN):
        body = html(
            page(world.a.branch_admin).get(reverse("mobile:month_screen", args=[activity.pk]))
        )
    assert "<svg" not in body
    assert "动态二维码未开启" in body


# The record --------------------------------------------------------------------------------


def test_the_secretary_uploads_photos_and_writes_the_summary(world, activity, page):
    client = page(world.a.branch_admin)
    photo = image_bytes(taken_at=DURING, gps=PHOTO_VENUE)
    with at(DURING):
        response = client.post(
            reverse("mobile:month_record_photos", args=[activity.pk]),
            {"photos": [upload(photo)]},
        )
        assert response.status_code == 302
        client.post(
            reverse("mobile:month_record_summary", args=[activity.pk]),
            {"text": "全体党员学习了全会精神。"},
        )
        body = html(client.get(reverse("mobile:month_record", args=[activity.pk])))
    assert Photo.objects.filter(activity=activity).count() == 1
    assert Summary.objects.get(activity=activity).text == "全体党员学习了全会精神。"
    assert "活动照片（1）" in body
    assert "全体党员学习了全会精神。" in body


def test_before_the_start_the_record_page_says_to_wait(world, activity, page):
    with at(BEFORE):
        body = html(
            page(world.a.branch_admin).get(reverse("mobile:month_record", args=[activity.pk]))
        )
    assert "活动尚未开始" in body
    assert 'name="photos"' not in body


def test_the_record_pages_are_refused_to_a_member_and_the_outsider(world, activity, page):
    with at(DURING):
        refused_to_others(world, page, "get", reverse("mobile:month_record", args=[activity.pk]))
        url = reverse("mobile:month_record_summary", args=[activity.pk])
        refused_to_others(world, page, "post", url, {"text": "不该写入"})
    assert not Summary.objects.exists()


# Rectifications ----------------------------------------------------------------------------


@pytest.fixture
def rectification(world):
    with at(NOW):
        return supervision.open_rectification(
            actor=world.a.admin,
            branch=world.a.branch,
            title="三会一课记录不全",
            requirement="补齐十一月支部委员会会议记录。",
            deadline=date(2026, 12, 15),
        )


def test_an_open_rectification_is_listed_and_answered_on_the_phone(world, rectification, page):
    client = page(world.a.branch_admin)
    with at(NOW + timedelta(days=1)):
        body = html(client.get(reverse("mobile:month")))
        url = reverse("mobile:month_rectification", args=[rectification.pk])
        assert url in body and "三会一课记录不全" in body
        assert "下达整改" in html(client.get(url))
        pdf = upload(
            b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
            "记录.pdf",
            "application/pdf",
        )
        response = client.post(url, {"text": "已补齐会议记录。", "files": [pdf]})
        assert response.url == reverse("mobile:month")
        detail = html(client.get(url))
    rectification.refresh_from_db()
    assert rectification.status == RectificationStatus.ANSWERED
    assert "报送整改情况" in detail and "已补齐会议记录。" in detail
    attachment = rectification.attachments.get()
    served = client.get(reverse("mobile:month_rectification_attachment", args=[attachment.pk]))
    assert served.status_code == 200


def test_an_empty_answer_is_refused_with_the_services_words(world, rectification, page):
    client = page(world.a.branch_admin)
    url = reverse("mobile:month_rectification", args=[rectification.pk])
    with at(NOW + timedelta(days=1)):
        response = client.post(url, {"text": "  "}, follow=True)
    assert "请填写整改情况" in html(response)
    assert Rectification.objects.get().status == RectificationStatus.OPEN


def test_a_rectification_is_refused_to_a_member_and_the_outsider(world, rectification, page):
    url = reverse("mobile:month_rectification", args=[rectification.pk])
    with at(NOW + timedelta(days=1)):
        assert page(world.outsider).get(url).status_code == 404
        assert page(world.b.branch_admin).get(url).status_code == 404
        assert page(world.a.member.user).get(url).status_code in (403, 404)
        for user in (world.outsider, world.a.member.user, world.b.branch_admin):
            assert page(user).post(url, {"text": "不该提交"}).status_code in (403, 404)
    assert Rectification.objects.get().status == RectificationStatus.OPEN


# Reaching the month ------------------------------------------------------------------------


def test_the_secretarys_home_and_plan_page_lead_to_the_month_pages(world, activity, page):
    client = page(world.a.branch_admin)
    with at(BEFORE):
        home = html(client.get(reverse("mobile:home")))
        plan = html(client.get(reverse("mobile:plan_edit", args=[activity.pk])))
        member_home = html(page(world.a.member.user).get(reverse("mobile:home")))
    assert reverse("mobile:month") in home
    assert reverse("mobile:month") not in member_home
    for name in ("mobile:month_poster", "mobile:month_attendance", "mobile:month_record"):
        assert reverse(name, args=[activity.pk]) in plan


def test_the_notices_a_secretary_gets_open_the_phone_pages(world, activity, rectification, page):
    with at(BEFORE):
        leave = attendance.request_leave(
            actor=world.a.member.user, activity=activity, reason="出差"
        )
    mine = Notification.objects.filter(user=world.a.branch_admin)
    assert mine.get(kind="plan_approved").link == reverse("mobile:plan_edit", args=[activity.pk])
    assert mine.get(kind="leave_requested").link == (
        reverse("mobile:month_attendance", args=[leave.activity_id]) + "#leave"
    )
    assert mine.get(kind="rectification").link == reverse(
        "mobile:month_rectification", args=[rectification.pk]
    )
    # The superior who opened it hears of the answer in the back office.
    with at(NOW + timedelta(days=1)):
        supervision.answer_rectification(
            actor=world.a.branch_admin, rectification=rectification, text="已整改"
        )
    answered = Notification.objects.get(user=world.a.admin, kind="rectification")
    assert answered.link.startswith("/console/supervision/rectifications/")


ACTIVITY_PAGES = [
    ("get", "month_poster", ()),
    ("get", "month_poster_file", ("png",)),
    ("get", "month_attendance", ()),
    ("get", "month_attendance_live", ()),
    ("get", "month_screen", ()),
    ("get", "month_screen_code", ()),
    ("get", "month_record", ()),
    ("post", "month_rotating", ()),
    ("post", "month_record_photos", ()),
    ("post", "month_record_summary", ()),
]


@pytest.mark.parametrize(
    "method, name, extra", ACTIVITY_PAGES, ids=[n for _m, n, _e in ACTIVITY_PAGES]
)
def test_every_activity_page_is_403_to_a_member_and_404_to_the_outsider(
    world, activity, page, method, name, extra
):
    with at(DURING):
        url = reverse(f"mobile:{name}", args=[activity.pk, *extra])
        refused_to_others(world, page, method, url)
        assert getattr(page(world.a.branch_admin), method)(url).status_code in (200, 302)


def test_an_answers_file_is_404_to_the_outsider_and_the_other_county(world, rectification, page):
    pdf = upload(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "a.pdf", "application/pdf")
    with at(NOW + timedelta(days=1)):
        supervision.answer_rectification(
            actor=world.a.branch_admin, rectification=rectification, text="已整改", files=[pdf]
        )
        url = reverse(
            "mobile:month_rectification_attachment", args=[rectification.attachments.get().pk]
        )
        assert page(world.outsider).get(url).status_code == 404
        assert page(world.b.branch_admin).get(url).status_code == 404
        assert page(world.a.branch_admin).get(url).status_code == 200

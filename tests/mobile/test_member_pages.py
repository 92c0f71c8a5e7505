"""The member's pages tell the truth: the home says where the member stands on the month's
activity (已签到, 已签退, 已请假, 请假待审批, 请假未批准, 缺勤) from the attendance records,
offers 请假 only while the leave service would take it, words the branch's plan for who
reads it, and tells flowing members how they take part; 我的 lists the member's own
participation; members who attended add photos and remove their own."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from dangjian.attendance import services as attendance
from dangjian.audit.models import AuditEntry
from dangjian.interaction.models import Photo
from dangjian.mobile import participation as pages
from dangjian.themedays import services as themedays
from tests.attendance.conftest import (  # noqa: F401
    CHECKOUT_CLOSES,
    DURING,
    END,
    SECOND,
    START,
    approve,
    at,
    campaign,
    check_in,
    check_out,
    clock,
    make_campaign,
)
from tests.attendance.conftest import activity as activity  # noqa: F401
from tests.interaction.conftest import image_bytes, use_tmp_media

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
HELD = START + timedelta(minutes=30)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    use_tmp_media(settings, tmp_path)


def home(client) -> str:
    response = client.get(reverse("mobile:home"))
    assert response.status_code == 200
    return response.content.decode()


def status_on(body: str) -> str | None:
    marker = 'data-testid="own-status" data-status="'
    if marker not in body:
        return None
    return body.split(marker, 1)[1].split('"', 1)[0]


def leave_offered(body: str, activity) -> bool:  # noqa: F811
    return reverse("mobile:leave", args=[activity.pk]) in body


# Status and the leave button on the home ---------------------------------------------------


def test_after_checking_in_the_home_says_checked_in_and_offers_no_leave(world, page, activity):  # noqa: F811
    client = page(world.a.member.user)
    body = home(client)
    # Days before: no status yet, leave offered.
    assert status_on(body) is None and leave_offered(body, activity)
    with at(DURING):
        body = home(client)
        assert status_on(body) == "pending" and "未签到" in body
        check_in(world.a.member.user, activity)
        body = home(client)
    assert status_on(body) == "checked_in" and "<strong>已签到</strong>" in body
    assert not leave_offered(body, activity)
    with at(END + timedelta(minutes=5)):
        check_out(world.a.member.user, activity)
        body = home(client)
    assert status_on(body) == "checked_out" and "<strong>已签退</strong>" in body


def test_leave_waiting_refused_and_approved_reads_on_the_home(world, page, activity):  # noqa: F811
    member = world.a.member
    client = page(member.user)
    leave = attendance.request_leave(actor=member.user, activity=activity, reason="出差在外")
    body = home(client)
    assert status_on(body) == "leave_pending" and "请假待审批" in body
    assert not leave_offered(body, activity)
    attendance.refuse_leave(actor=world.a.branch_admin, leave=leave, note="重要学习")
    body = home(client)
    assert status_on(body) == "leave_refused" and "请假未批准" in body
    # A refused request makes room for another: offered again.
    assert leave_offered(body, activity)
    again = attendance.request_leave(actor=member.user, activity=activity, reason="生病")
    attendance.approve_leave(actor=world.a.branch_admin, leave=again)
    body = home(client)
    assert status_on(body) == "on_leave" and "<strong>已请假</strong>" in body
    assert not leave_offered(body, activity)
    # The leave page says why, in the rule's words, and has no form.
    leave_page = client.get(reverse("mobile:leave", args=[activity.pk])).content.decode()
    assert "你已提交过本次活动的请假申请。" in leave_page and 'name="reason"' not in leave_page


def test_after_the_close_a_member_who_never_came_reads_absent(world, page, activity):  # noqa: F811
    with at(CHECKOUT_CLOSES + SECOND):
        attendance.close_activity(activity=activity)
        body = home(page(world.a.member.user))
    assert status_on(body) == "absent" and "<strong>缺勤</strong>" in body
    assert not leave_offered(body, activity)


def test_others_see_none_of_the_members_status(world, page, activity):  # noqa: F811
    with at(DURING):
        check_in(world.a.member.user, activity)
        other = home(page(world.b.member.user))
        outsider = page(world.outsider).get(reverse("mobile:home")).content.decode()
    assert status_on(other) is None and activity.title not in other
    assert status_on(outsider) is None and "没有找到您的党员信息" in outsider


def test_a_flowing_member_is_told_to_take_part_on_the_feed_not_to_scan(world, page, activity):  # noqa: F811
    with at(DURING):
        flowing = home(page(world.a.flowing.user))
        local = home(page(world.a.member.user))
    assert 'data-testid="flowing-hint"' in flowing and 'data-testid="scan-poster"' not in flowing
    assert "点赞、发表评论" in flowing
    assert reverse("mobile:feed_activity", args=[activity.pk]) in flowing
    assert 'data-testid="scan-poster"' in local and 'data-testid="flowing-hint"' not in local
    # On the activity's own page the hint leads to its comments.
    with at(DURING):
        detail = page(world.a.flowing.user).get(reverse("mobile:feed_activity", args=[activity.pk]))
    body = detail.content.decode()
    assert 'data-testid="flowing-hint"' in body and 'href="#comments"' in body
    assert 'data-testid="scan-poster"' not in body


# The plan as its reader reads it -----------------------------------------------------------


def test_the_plan_is_worded_for_each_status(world, page, campaign):  # noqa: F811
    secretary, member = page(world.a.branch_admin), page(world.a.member.user)
    from tests.themedays.conftest import plan_kwargs

    assert "本支部计划：未制定计划" in home(secretary)
    plan = themedays.draft_activity(
        actor=world.a.branch_admin, branch=world.a.branch, campaign=campaign, **plan_kwargs()
    )
    assert "本支部计划：草稿，尚未提交审核" in home(secretary)
    assert "本支部的活动时间和地点审核通过后在这里公布。" in home(member)
    themedays.submit_activity(actor=world.a.branch_admin, activity=plan)
    assert "本支部计划：已提交，等待上级审核" in home(secretary)
    assert "已提交上级审核" in home(member)
    themedays.reject_activity(actor=world.a.admin, activity=plan, reason="请补充议程")
    sent_back = home(secretary)
    assert "本支部计划：被上级退回，请修改后重新提交" in sent_back
    assert "本支部计划：草稿" not in sent_back
    assert "按上级意见修改" in home(member)
    themedays.submit_activity(actor=world.a.branch_admin, activity=plan)
    themedays.approve_activity(actor=world.a.admin, activity=plan)
    assert "本支部计划：已通过审核" in home(secretary)
    assert plan.title in home(member)
    with at(DURING + timedelta(minutes=10)):
        assert "本支部计划：已开展" in home(secretary)
    with at(CHECKOUT_CLOSES + SECOND):
        attendance.close_activity(activity=plan)
        assert "本支部计划：活动已结束" in home(secretary)


# The participation history under 我的 ------------------------------------------------------


def test_the_history_lists_the_members_own_activities_with_times_paginated(
    world,
    page,
    activity,  # noqa: F811
    monkeypatch,
):
    january = themedays.create_campaign(
        actor=world.city_admin,
        org=world.city,
        month="2027-01",
        theme="一月主题",
        holding_from=date(2027, 1, 1),
        holding_until=date(2027, 1, 20),
    )
    day = datetime(2027, 1, 12, 9, 0, tzinfo=SHANGHAI)
    later = approve(
        world,
        world.a.branch,
        world.a.branch_admin,
        world.a.admin,
        january,
        title="一月主题党日",
        starts_at=day,
        ends_at=day.replace(hour=11),
    )
    with at(DURING):
        check_in(world.a.member.user, activity)
    leave = attendance.request_leave(actor=world.a.member.user, activity=later, reason="出差")
    attendance.approve_leave(actor=world.a.branch_admin, leave=leave)

    client = page(world.a.member.user)
    profile = client.get(reverse("mobile:profile")).content.decode()
    assert reverse("mobile:participation") in profile
    body = client.get(reverse("mobile:participation")).content.decode()
    assert "一月主题党日" in body and "已请假" in body
    assert activity.title in body and "已签到" in body
    assert "签到 08:55" in body and "距活动地点 20 米" in body
    assert body.index("一月主题党日") < body.index(activity.title)  # latest first

    monkeypatch.setattr(pages, "PAGE_SIZE", 1)
    first = client.get(reverse("mobile:participation")).content.decode()
    second = client.get(reverse("mobile:participation") + "?page=2").content.decode()
    assert "一月主题党日" in first and activity.title not in first
    assert activity.title in second and "第 2 / 2 页" in second

    # Scoped to the member: others see only their own.
    flowing = page(world.a.flowing.user).get(reverse("mobile:participation")).content.decode()
    assert "还没有参加记录" in flowing
    other = page(world.b.member.user).get(reverse("mobile:participation")).content.decode()
    assert activity.title not in other and "一月主题党日" not in other
    outsider = page(world.outsider).get(reverse("mobile:participation")).content.decode()
    assert "没有找到您的党员信息" in outsider and activity.title not in outsider
    anonymous = page(None).get(reverse("mobile:participation"))
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")


# Photos by members ---------------------------------------------------------------------------


def post_photo(client, activity):  # noqa: F811
    from django.core.files.uploadedfile import SimpleUploadedFile

    file = SimpleUploadedFile("现场.jpg", image_bytes(), content_type="image/jpeg")
    return client.post(reverse("mobile:photo_upload", args=[activity.pk]), {"photo": file})


def test_a_member_who_attended_adds_a_photo_and_removes_it(world, page, activity):  # noqa: F811
    client = page(world.a.member.user)
    detail = reverse("mobile:feed_activity", args=[activity.pk])
    with at(DURING):
        check_in(world.a.member.user, activity)
        # Photos are taken from the start.
        assert 'data-testid="photo-upload"' not in client.get(detail).content.decode()
    with at(HELD):
        assert 'data-testid="photo-upload"' in client.get(detail).content.decode()
        flowing = page(world.a.flowing.user).get(detail).content.decode()
        assert 'data-testid="photo-upload"' not in flowing
        response = post_photo(client, activity)
        assert response.status_code == 302 and response["Location"] == detail + "#photos"
        photo = Photo.objects.get()
        assert photo.uploaded_by == world.a.member.user
        body = client.get(detail).content.decode()
        assert "照片已上传" in body
        assert reverse("mobile:photo_remove", args=[photo.pk]) in body
        # Another member of the branch sees the photo, without a remove button.
        neighbour = page(world.a.flowing.user).get(detail).content.decode()
        assert reverse("portal:photo", args=[photo.pk, "thumb"]) in neighbour
        assert reverse("mobile:photo_remove", args=[photo.pk]) not in neighbour
        removed = client.post(reverse("mobile:photo_remove", args=[photo.pk]))
        assert removed.status_code == 302
    assert not Photo.objects.exists()
    assert AuditEntry.objects.filter(action="photo.remove", actor=world.a.member.user).exists()


def test_members_who_did_not_attend_and_outsiders_add_and_remove_nothing(world, page, activity):  # noqa: F811
    with at(DURING):
        check_in(world.a.member.user, activity)
    with at(HELD):
        post_photo(page(world.a.member.user), activity)
        photo = Photo.objects.get()
        # On the roster, did not attend: 403; another county's member: 404.
        assert post_photo(page(world.a.flowing.user), activity).status_code == 403
        assert post_photo(page(world.b.member.user), activity).status_code == 404
        outsider = post_photo(page(world.outsider), activity)
        assert "没有找到您的党员信息" in outsider.content.decode()
        remove = reverse("mobile:photo_remove", args=[photo.pk])
        assert page(world.a.flowing.user).post(remove).status_code == 403
        assert page(world.b.member.user).post(remove).status_code == 404
        assert "没有找到您的党员信息" in page(world.outsider).post(remove).content.decode()
    assert list(Photo.objects.values_list("pk", flat=True)) == [photo.pk]


def test_the_branch_secretary_removes_a_members_photo_from_the_phone(world, page, activity):  # noqa: F811
    with at(DURING):
        check_in(world.a.member.user, activity)
    with at(HELD):
        post_photo(page(world.a.member.user), activity)
        photo = Photo.objects.get()
        secretary = page(world.a.branch_admin)
        detail = reverse("mobile:feed_activity", args=[activity.pk])
        assert (
            reverse("mobile:photo_remove", args=[photo.pk])
            in secretary.get(detail).content.decode()
        )
        assert secretary.post(reverse("mobile:photo_remove", args=[photo.pk])).status_code == 302
    assert not Photo.objects.exists()

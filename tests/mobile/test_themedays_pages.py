"""Theme days on the phone: this month's theme day and the inbox on the member's home, and
the branch secretary's plan editor (draft, submit, late record), through the real HTTP
stack."""

from datetime import date, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dangjian.notifications import services as notifications
from dangjian.notifications.models import Notification
from dangjian.themedays import services
from dangjian.themedays.models import DEFAULT_REQUIRED_ITEMS, Activity, ActivityStatus
from tests.themedays.conftest import DAY, NOW, plan_kwargs

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
HTMX = {"HX-Request": "true"}


def html(response) -> str:
    return response.content.decode()


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def campaign(world, clock):
    return services.create_campaign(
        actor=world.city_admin,
        org=world.city,
        month="2026-12",
        theme="学习贯彻党的二十届四中全会精神",
        guidance="各支部围绕主题开展学习研讨。",
        optional_items=["红色教育", "走访慰问"],
        holding_from=date(2026, 12, 1),
        holding_until=date(2026, 12, 20),
    )


def start_url(world, campaign) -> str:
    return reverse("mobile:plan_start", args=[world.a.branch.pk, campaign.pk])


def plan_post(**overrides) -> dict:
    data = {
        "title": "十二月主题党日",
        "date": "2026-12-10",
        "start_time": "09:00",
        "end_time": "11:00",
        "venue_address": "村党员活动室",
        "latitude": "33.0678",
        "longitude": "107.0234",
        "radius_m": "300",
        "required": list(DEFAULT_REQUIRED_ITEMS),
        "extra_agenda": "观看专题片",
        "optional": ["红色教育"],
        "optional_other": "",
        "checkin_opens_before_min": "30",
        "checkin_closes_after_min": "15",
        "checkout_closes_after_min": "60",
        "action": "save",
    }
    data.update(overrides)
    return data


# Access ----------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_login_page(world, campaign, page):
    draft = services.draft_activity(
        actor=world.a.branch_admin, branch=world.a.branch, campaign=campaign, **plan_kwargs()
    )
    for url in (
        reverse("mobile:inbox"),
        reverse("mobile:plans"),
        start_url(world, campaign),
        reverse("mobile:plan_edit", args=[draft.pk]),
    ):
        response = page(None).get(url)
        assert response.status_code == 302
        assert response["Location"] == f"/login/?next={url}"


def test_the_outsider_and_the_other_countys_admins_get_404_for_the_plan_editor(
    world, campaign, page
):
    draft = services.draft_activity(
        actor=world.a.branch_admin, branch=world.a.branch, campaign=campaign, **plan_kwargs()
    )
    pages = [
        ("get", start_url(world, campaign)),
        ("post", start_url(world, campaign)),
        ("get", reverse("mobile:plan_edit", args=[draft.pk])),
        ("post", reverse("mobile:plan_edit", args=[draft.pk])),
        ("post", reverse("mobile:plan_late", args=[draft.pk])),
    ]
    for user in (world.outsider, world.b.admin, world.b.branch_admin, world.b.member.user):
        client = page(user)
        for method, url in pages:
            data = plan_post() if method == "post" else None
            assert getattr(client, method)(url, data).status_code == 404, (user, url)
    # A member of the branch reads it but may not plan for it.
    member = page(world.a.member.user)
    for method, url in pages:
        data = plan_post() if method == "post" else None
        assert getattr(member, method)(url, data).status_code == 403, url
    assert Activity.objects.count() == 1


def test_nobody_reads_or_marks_another_users_notice(world, page):
    notifications.notify(user_ids=[world.a.member.user_id], kind="x", title="给汉台区党员")
    notice = Notification.objects.get()
    for user in (world.outsider, world.b.member.user):
        client = page(user)
        assert client.post(reverse("mobile:notice_read", args=[notice.pk])).status_code == 404
        assert client.post(reverse("mobile:notice_open", args=[notice.pk])).status_code == 404
        assert "给汉台区党员" not in html(client.get(reverse("mobile:inbox")))
    notice.refresh_from_db()
    assert notice.read_at is None


# The member's home -----------------------------------------------------------------------


def test_the_home_shows_this_months_theme_day_and_the_inbox(
    world, page, campaign, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.request_distribution(actor=world.city_admin, campaign=campaign)
    body = html(page(world.a.member.user).get(reverse("mobile:home")))
    for text in (
        "本月主题党日",
        "学习贯彻党的二十届四中全会精神",
        "各支部围绕主题开展学习研讨。",
        "开展时间 12月1日 至 12月20日",
        *DEFAULT_REQUIRED_ITEMS,
        "红色教育、走访慰问",
        "本支部的活动时间和地点审核通过后在这里公布",
        "1条未读",
        "本月主题党日：学习贯彻党的二十届四中全会精神",
    ):
        assert text in body, text
    # A plain member does not plan.
    assert start_url(world, campaign) not in body
    assert reverse("mobile:plans") not in body


def test_the_home_shows_the_branchs_time_and_place_once_approved(world, page, campaign):
    activity = services.draft_activity(
        actor=world.a.branch_admin, branch=world.a.branch, campaign=campaign, **plan_kwargs()
    )
    services.submit_activity(actor=world.a.branch_admin, activity=activity)
    before = html(page(world.a.member.user).get(reverse("mobile:home")))
    assert 'data-testid="theme-activity"' not in before
    services.approve_activity(actor=world.a.admin, activity=activity)
    after = html(page(world.a.member.user).get(reverse("mobile:home")))
    assert 'data-testid="theme-activity"' in after
    assert "12月10日 09:00–11:00" in after and "村党员活动室" in after
    # County b's members see the month's theme, not county a's activity.
    other = html(page(world.b.member.user).get(reverse("mobile:home")))
    assert "学习贯彻党的二十届四中全会精神" in other and "村党员活动室" not in other


def test_a_month_without_a_campaign_says_so(world, page, clock):
    assert "本月暂无主题党日活动要求" in html(page(world.a.member.user).get(reverse("mobile:home")))


def test_a_county_supplement_shows_on_its_own_branches_home_only(world, page, campaign):
    services.add_supplement(
        actor=world.a.admin,
        parent=campaign,
        org=world.a.org,
        guidance="结合区委全会",
        required_items=["学习区委全会精神"],
    )
    a = html(page(world.a.member.user).get(reverse("mobile:home")))
    assert "汉台区补充要求" in a and "学习区委全会精神" in a
    b = html(page(world.b.member.user).get(reverse("mobile:home")))
    assert "学习区委全会精神" not in b


def test_the_infographic_is_shown_to_the_branches_it_is_addressed_to(world, page, clock):
    own = services.create_campaign(
        actor=world.a.admin,
        org=world.a.org,
        month="2026-12",
        theme="汉台区主题党日",
        holding_from=date(2026, 12, 1),
        holding_until=date(2026, 12, 20),
    )
    attachment = services.add_campaign_attachment(
        actor=world.a.admin,
        campaign=own,
        file=SimpleUploadedFile("图解.png", PNG, content_type="image/png"),
        name="图解.png",
    )
    url = reverse("mobile:campaign_attachment", args=[own.pk, attachment.pk])
    assert url in html(page(world.a.member.user).get(reverse("mobile:home")))
    response = page(world.a.member.user).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    for user in (world.b.member.user, world.outsider):
        assert page(user).get(url).status_code == 404


def test_the_inbox_marks_notices_read_and_opens_what_they_are_about(world, page):
    user = world.a.member.user
    notifications.notify(user_ids=[user.pk], kind="a", title="第一条", link="/m/feed/")
    notifications.notify(user_ids=[user.pk], kind="b", title="第二条", link="https://evil.example/")
    first, second = Notification.objects.order_by("id")
    client = page(user)
    body = html(client.get(reverse("mobile:inbox")))
    assert "2条未读" in body and "第一条" in body and "第二条" in body

    partial = client.post(reverse("mobile:notice_read", args=[first.pk]), headers=HTMX)
    assert partial.status_code == 200 and "<html" not in html(partial)
    assert f'id="notice-{first.pk}"' in html(partial) and "标为已读" not in html(partial)
    first.refresh_from_db()
    assert first.read_at is not None

    opened = client.post(reverse("mobile:notice_open", args=[second.pk]))
    # Only links inside the site are followed.
    assert opened["Location"] == reverse("mobile:inbox")
    second.refresh_from_db()
    assert second.read_at is not None
    assert "没有未读通知" in html(client.get(reverse("mobile:inbox")))

    notifications.notify(user_ids=[user.pk], kind="c", title="第三条", link="/m/feed/")
    third = Notification.objects.latest("id")
    assert client.post(reverse("mobile:notice_open", args=[third.pk]))["Location"] == "/m/feed/"
    notifications.notify(user_ids=[user.pk], kind="d", title="第四条")
    done = client.post(reverse("mobile:inbox_read_all"), follow=True)
    assert "已将 1 条通知标为已读" in html(done)


def test_an_admin_without_a_member_record_has_an_inbox(world, page):
    notifications.notify(user_ids=[world.a.admin.pk], kind="x", title="待审核：计划")
    assert "待审核：计划" in html(page(world.a.admin).get(reverse("mobile:inbox")))


# The plan editor -------------------------------------------------------------------------


def test_the_branch_secretary_is_offered_the_plan_on_the_home_and_the_plans_page(
    world, page, campaign
):
    client = page(world.a.branch_admin)
    home = html(client.get(reverse("mobile:home")))
    assert start_url(world, campaign) in home and "制定活动计划" in home
    assert "本支部计划：未制定计划" in home
    plans = html(client.get(reverse("mobile:plans")))
    assert "汉台区某村党支部" in plans and start_url(world, campaign) in plans
    assert "南郑区" not in plans
    assert "您不是党支部的管理员" in html(page(world.a.admin).get(reverse("mobile:plans")))


def test_the_editor_is_pre_filled_from_the_campaign(world, page, campaign):
    body = html(page(world.a.branch_admin).get(start_url(world, campaign)))
    assert 'value="12月主题党日：学习贯彻党的二十届四中全会精神"' in body
    for item in DEFAULT_REQUIRED_ITEMS:
        assert f'value="{item}"' in body
    assert body.count('name="required"') == 6 and body.count("checked") >= 6
    assert 'name="optional" value="红色教育"' in body
    assert 'name="radius_m" value="300"' in body
    assert 'name="checkin_opens_before_min" value="30"' in body
    assert 'name="checkin_closes_after_min" value="15"' in body
    assert 'name="checkout_closes_after_min" value="60"' in body
    assert 'min="2026-12-01"' in body and 'max="2026-12-20"' in body
    assert "使用我的当前位置" in body and "dj/plan.js" in body
    assert "//" not in body.split("dj/plan.js")[0].rsplit("<script", 1)[-1]  # local, no CDN


def test_a_plan_missing_a_required_item_is_refused_naming_it(world, page, campaign):
    agenda = [i for i in DEFAULT_REQUIRED_ITEMS if i != "缴纳党费"]
    response = page(world.a.branch_admin).post(
        start_url(world, campaign), plan_post(required=agenda)
    )
    body = html(response)
    assert response.status_code == 422
    assert "活动议程缺少规定动作：缴纳党费" in body
    assert 'class="td-check missing"' in body
    assert Activity.objects.count() == 0
    # What was typed stays on the form.
    assert 'value="村党员活动室"' in body and "观看专题片" in body


def test_field_refusals_are_shown_next_to_their_fields_in_chinese(world, page, campaign):
    client = page(world.a.branch_admin)
    url = start_url(world, campaign)
    cases = [
        ({"latitude": "北纬33度"}, "坐标应为数字"),
        ({"date": "2026-12-25"}, "活动日期应在 2026-12-01 至 2026-12-20 之间"),
        ({"end_time": "08:00"}, "结束时间应晚于开始时间"),
        ({"venue_address": ""}, "请填写活动地点"),
        ({"radius_m": "5000"}, "签到半径应在 50 到 1000 米之间"),
        ({"date": ""}, "请选择活动日期"),
        ({"checkin_opens_before_min": "999"}, "不能超过 120 分钟"),
    ]
    for change, message in cases:
        body = html(client.post(url, plan_post(**change)))
        assert f'<p class="field-error">{message}' in body, message
        assert "请修正下面标出的错误，本次未保存任何内容" in body
    assert Activity.objects.count() == 0


def test_a_secretary_drafts_then_submits_and_every_step_is_shown(world, page, campaign):
    client = page(world.a.branch_admin)
    saved = client.post(start_url(world, campaign), plan_post())
    activity = Activity.objects.get()
    assert saved["Location"] == reverse("mobile:plan_edit", args=[activity.pk])
    assert activity.status == ActivityStatus.DRAFT
    assert activity.agenda == [*DEFAULT_REQUIRED_ITEMS, "观看专题片"]
    assert activity.optional_items == ["红色教育"]
    assert activity.radius_m == 300 and str(activity.latitude) == "33.067800"
    # The campaign's link now leads to the plan.
    assert client.get(start_url(world, campaign))["Location"] == saved["Location"]

    body = html(client.get(saved["Location"]))
    assert "草稿已保存" in body and 'data-testid="plan-status">草稿' in body
    assert 'value="观看专题片"' not in body and "观看专题片</textarea>" in body
    submitted = client.post(saved["Location"], plan_post(action="submit"), follow=True)
    body = html(submitted)
    assert "活动计划已提交，请等待上级党组织审核" in body
    assert 'data-testid="plan-status">待审核' in body
    assert "起草计划" in body and "提交审核" in body
    activity.refresh_from_db()
    assert activity.status == ActivityStatus.SUBMITTED


def test_submitting_straight_from_a_new_plan(world, page, campaign):
    response = page(world.a.branch_admin).post(
        start_url(world, campaign), plan_post(action="submit"), follow=True
    )
    assert "活动计划已提交" in html(response)
    assert Activity.objects.get().status == ActivityStatus.SUBMITTED


def test_a_rejected_plan_shows_the_reason_and_is_resubmitted(world, page, campaign):
    activity = services.draft_activity(
        actor=world.a.branch_admin, branch=world.a.branch, campaign=campaign, **plan_kwargs()
    )
    services.submit_activity(actor=world.a.branch_admin, activity=activity)
    services.reject_activity(actor=world.a.admin, activity=activity, reason="地点不明确")
    client = page(world.a.branch_admin)
    url = reverse("mobile:plan_edit", args=[activity.pk])
    assert "上级退回：地点不明确" in html(client.get(url))
    client.post(url, plan_post(venue_address="村党群服务中心二楼", action="submit"))
    activity.refresh_from_db()
    assert activity.status == ActivityStatus.SUBMITTED
    assert activity.venue_address == "村党群服务中心二楼"


def test_editing_an_approved_plan_sends_it_back_to_review(world, page, campaign):
    activity = services.draft_activity(
        actor=world.a.branch_admin, branch=world.a.branch, campaign=campaign, **plan_kwargs()
    )
    services.submit_activity(actor=world.a.branch_admin, activity=activity)
    services.approve_activity(actor=world.a.admin, activity=activity)
    client = page(world.a.branch_admin)
    url = reverse("mobile:plan_edit", args=[activity.pk])
    body = html(client.get(url))
    assert "修改计划会重新提交上级审核" in body and "保存修改" in body
    response = client.post(url, plan_post(start_time="14:00", end_time="16:00"), follow=True)
    assert "计划已重新提交上级审核" in html(response)
    activity.refresh_from_db()
    assert activity.status == ActivityStatus.SUBMITTED


def test_a_plan_whose_start_passed_needs_a_late_record_with_a_reason(world, page, campaign, clock):
    clock.move_to(DAY + timedelta(days=1))
    client = page(world.a.branch_admin)
    response = client.post(start_url(world, campaign), plan_post(action="submit"), follow=True)
    body = html(response)
    assert "草稿已保存，但未能提交：活动开始时间已过，不能按正常流程提交" in body
    activity = Activity.objects.get()
    assert activity.status == ActivityStatus.DRAFT
    assert "提交补录" in body and 'id="plan-form"' not in body

    late = reverse("mobile:plan_late", args=[activity.pk])
    assert "补录须说明原因" in html(client.post(late, {"reason": ""}, follow=True))
    body = html(client.post(late, {"reason": "系统故障未及时录入"}, follow=True))
    assert "补录已提交上级审核" in body and 'data-testid="late-flag"' in body
    activity.refresh_from_db()
    assert activity.status == ActivityStatus.SUBMITTED and activity.is_late_record


def test_impossible_dates_are_refused_next_to_the_date_before_anything_is_saved(
    world, page, campaign
):
    client = page(world.a.branch_admin)
    for change in (
        {"date": "0001-01-01", "start_time": "00:00", "end_time": "01:00"},
        {"date": "9999-12-31", "start_time": "22:00", "end_time": "23:00"},
    ):
        response = client.post(start_url(world, campaign), plan_post(**change))
        assert response.status_code == 422, change
        assert '<p class="field-error">活动时间应在 2000 年至 2031 年之间' in html(response)
    assert Activity.objects.count() == 0


def test_a_submitted_plan_cannot_be_moved_to_a_day_that_has_passed(world, page, campaign):
    activity = services.draft_activity(
        actor=world.a.branch_admin, branch=world.a.branch, campaign=campaign, **plan_kwargs()
    )
    services.submit_activity(actor=world.a.branch_admin, activity=activity)
    url = reverse("mobile:plan_edit", args=[activity.pk])
    for user in (world.outsider, world.b.branch_admin):
        assert page(user).post(url, plan_post(date="2026-12-01")).status_code == 404
    response = page(world.a.branch_admin).post(
        url, plan_post(date="2026-12-01", start_time="07:00", end_time="08:00")
    )
    assert response.status_code == 422
    assert (
        '<p class="field-error">开始时间不能改到已经过去的时间；已开展但未及时录入的活动请提交补录'
        in html(response)
    )
    activity.refresh_from_db()
    assert activity.starts_at == DAY and activity.status == ActivityStatus.SUBMITTED

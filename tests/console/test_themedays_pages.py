"""The theme-day pages of the back office, through the real URL routing, middleware,
templates and database: campaigns, distribution, supplements, the review queue, progress,
the activity page and political birthdays."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dangjian.notifications.models import Notification
from dangjian.themedays import services
from dangjian.themedays.models import (
    DEFAULT_OPTIONAL_ITEMS,
    DEFAULT_REQUIRED_ITEMS,
    Activity,
    ActivityStatus,
    Campaign,
    PlanningTask,
)
from tests.conftest import COMMITTED
from tests.themedays.conftest import DAY, NOW, plan_kwargs

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


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
        holding_from=date(2026, 12, 1),
        holding_until=date(2026, 12, 20),
    )


@pytest.fixture
def draft(world, campaign):
    return services.draft_activity(
        actor=world.a.branch_admin, branch=world.a.branch, campaign=campaign, **plan_kwargs()
    )


@pytest.fixture
def submitted(world, draft):
    return services.submit_activity(actor=world.a.branch_admin, activity=draft)


def campaign_post(**overrides) -> dict:
    data = {
        "month": "2026-12",
        "theme": "学习贯彻全会精神",
        "guidance": "围绕主题开展学习研讨",
        "required_items": "\n".join(DEFAULT_REQUIRED_ITEMS),
        "optional_items": "红色教育\n走访慰问",
        "holding_from": "2026-12-01",
        "holding_until": "2026-12-20",
    }
    data.update(overrides)
    return data


def object_pages(w, campaign, activity):
    """(method, url) of every theme-day page about county a's objects or the city's."""
    return [
        ("get", reverse("console:campaign_list", args=[w.a.org.pk])),
        ("get", reverse("console:campaign_create", args=[w.a.org.pk])),
        ("get", reverse("console:birthdays", args=[w.a.branch.pk])),
        ("get", reverse("console:activity_detail", args=[activity.pk])),
        ("post", reverse("console:activity_approve", args=[activity.pk])),
        ("post", reverse("console:activity_reject", args=[activity.pk])),
        ("post", reverse("console:activity_cancel", args=[activity.pk])),
        ("get", reverse("console:campaign_progress", args=[campaign.pk]) + f"?org={w.a.org.pk}"),
    ]


# Access ----------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_login_page(world, submitted, page):
    client = page(None)
    pages = [
        *object_pages(world, submitted.campaign, submitted),
        ("get", reverse("console:review_queue")),
        ("get", reverse("console:campaign_detail", args=[submitted.campaign_id])),
    ]
    for method, url in pages:
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/?next="), url


def test_the_outsider_and_plain_members_have_no_back_office(world, submitted, page):
    for user in (world.outsider, world.a.member.user):
        client = page(user)
        for method, url in [
            *object_pages(world, submitted.campaign, submitted),
            ("get", reverse("console:review_queue")),
        ]:
            assert getattr(client, method)(url).status_code == 403, (user, url)


def test_the_other_countys_admin_gets_404_for_county_a(world, submitted, page):
    client = page(world.b.admin)
    for method, url in object_pages(world, submitted.campaign, submitted):
        assert getattr(client, method)(url).status_code == 404, url
    # A county-a campaign too, and its attachments.
    own = services.create_campaign(
        actor=world.a.admin,
        org=world.a.org,
        month="2026-12",
        theme="汉台区专项",
        holding_from=date(2026, 12, 1),
        holding_until=date(2026, 12, 20),
    )
    for url in (
        reverse("console:campaign_detail", args=[own.pk]),
        reverse("console:campaign_attachment", args=[own.pk, 1]),
        reverse("console:supplement_create", args=[own.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("console:campaign_distribute", args=[own.pk])).status_code == 404
    assert PlanningTask.objects.count() == 0
    submitted.refresh_from_db()
    assert submitted.status == ActivityStatus.SUBMITTED


def test_the_navigation_links_theme_days_and_the_review_queue(world, page):
    body = html(page(world.a.admin).get(reverse("console:index")))
    assert reverse("console:campaign_list", args=[world.a.org.pk]) in body
    assert reverse("console:review_queue") in body
    detail = html(page(world.a.admin).get(reverse("console:org_detail", args=[world.a.town.pk])))
    assert reverse("console:campaign_list", args=[world.a.town.pk]) in detail


# Campaigns -------------------------------------------------------------------------------


def test_the_editor_comes_pre_filled_with_the_six_required_items(world, page, clock):
    body = html(
        page(world.city_admin).get(reverse("console:campaign_create", args=[world.city.pk]))
    )
    assert "\n".join(DEFAULT_REQUIRED_ITEMS) in body
    assert "\n".join(DEFAULT_OPTIONAL_ITEMS) in body
    assert 'value="2026-12"' in body and 'type="month"' in body
    assert 'name="sectors"' in body and "社区" in body
    assert 'type="file"' in body and 'enctype="multipart/form-data"' in body


def test_an_admin_issues_a_campaign_with_an_infographic_and_sectors(world, page, clock):
    client = page(world.city_admin)
    infographic = SimpleUploadedFile("图解.png", PNG, content_type="image/png")
    response = client.post(
        reverse("console:campaign_create", args=[world.city.pk]),
        {
            **campaign_post(required_items="诵读党章\n缴纳党费\n\n自定动作"),
            "sectors": ["rural"],
            "attachments": [infographic],
        },
    )
    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("console:campaign_detail", args=[campaign.pk])
    assert campaign.required_items == ["诵读党章", "缴纳党费", "自定动作"]
    assert campaign.optional_items == ["红色教育", "走访慰问"]
    assert campaign.sectors == ["rural"]
    attachment = campaign.attachments.get()
    assert attachment.name == "图解.png" and attachment.content_type == "image/png"

    body = html(client.get(response["Location"]))
    for text in ("学习贯彻全会精神", "自定动作", "农村", "图解.png", "一键下发", "已保存活动要求"):
        assert text in body, text
    download = client.get(reverse("console:campaign_attachment", args=[campaign.pk, attachment.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == "image/png"
    assert b"".join(download.streaming_content) == PNG


def test_refusals_are_shown_in_chinese_and_nothing_is_saved(world, page, clock):
    client = page(world.city_admin)
    url = reverse("console:campaign_create", args=[world.city.pk])
    empty_theme = client.post(url, campaign_post(theme=""))
    assert "主题不能为空" in html(empty_theme)
    backwards = client.post(url, campaign_post(holding_until="2026-11-30"))
    assert "开展时间的结束日期不能早于开始日期" in html(backwards)
    no_items = client.post(url, campaign_post(required_items=""))
    assert "至少需要一项规定动作" in html(no_items)
    text_file = SimpleUploadedFile("notes.txt", b"hello", content_type="text/plain")
    bad_file = client.post(url, {**campaign_post(), "attachments": [text_file]})
    assert "notes.txt：附件只能是图片（PNG、JPEG、WebP）或 PDF" in html(bad_file)
    # The campaign and its attachments are saved together or not at all.
    assert Campaign.objects.count() == 0
    # A branch does not issue campaigns.
    branch_page = html(
        page(world.a.branch_admin).get(reverse("console:campaign_create", args=[world.a.branch.pk]))
    )
    assert "活动要求应由上级党组织下发" in branch_page and 'name="theme"' not in branch_page


def test_attachments_can_be_added_on_the_campaign_page(world, page, campaign):
    client = page(world.city_admin)
    url = reverse("console:campaign_attach", args=[campaign.pk])
    pdf = SimpleUploadedFile("指引.pdf", b"%PDF-1.4\n%...", content_type="application/pdf")
    response = client.post(url, {"attachments": [pdf]}, follow=True)
    assert "已上传 1 个附件" in html(response)
    assert "指引.pdf" in html(response)
    bad = client.post(url, {"attachments": [SimpleUploadedFile("x.exe", b"MZ")]}, follow=True)
    assert "x.exe：附件只能是图片" in html(bad)
    assert campaign.attachments.count() == 1
    # County admins read the campaign but may not change it.
    assert page(world.a.admin).post(url, {"attachments": [pdf]}).status_code == 403


@COMMITTED
def test_one_click_distribution_reports_the_counts_and_a_second_click_adds_nothing(
    world, page, campaign
):
    # Committed for real, so that the (eager) background work runs when the click commits.
    client = page(world.city_admin)
    url = reverse("console:campaign_distribute", args=[campaign.pk])
    first = client.post(url, follow=True)
    # Two counties, each with two branches; three members in each county's first branch.
    assert "下发完成：4 个党支部，已通知 6 名党员。" in html(first)
    assert PlanningTask.objects.filter(campaign=campaign).count() == 4
    assert Notification.objects.filter(kind="campaign").count() == 6

    second = client.post(url, headers=HTMX)
    body = html(second)
    assert second.status_code == 200
    assert 'id="distribution"' in body and "<html" not in body  # the panel, for htmx
    assert "该活动要求此前已下发，本次没有重复下发任何任务或通知" in body
    assert "共 4 个党支部，已通知 6 名党员" in body
    assert Notification.objects.filter(kind="campaign").count() == 6
    # Only the campaign's own admins may distribute it.
    assert page(world.a.admin).post(url).status_code == 403


def test_while_workers_distribute_the_page_says_so(
    world, page, campaign, django_capture_on_commit_callbacks
):
    client = page(world.city_admin)
    url = reverse("console:campaign_distribute", args=[campaign.pk])
    with django_capture_on_commit_callbacks(execute=True):
        queued = client.post(url, follow=True)
    # The work starts after the click's transaction; the page did not wait for it.
    assert "已开始在后台下发，稍后刷新本页查看下发结果" in html(queued)
    body = html(client.get(reverse("console:campaign_detail", args=[campaign.pk])))
    assert 'data-testid="distributed-branches">4<' in body
    assert 'data-testid="notified-members">6<' in body


def test_a_county_adds_a_supplement_that_only_its_own_side_sees(world, page, campaign):
    a, b = page(world.a.admin), page(world.b.admin)
    detail = reverse("console:campaign_detail", args=[campaign.pk])
    assert reverse("console:supplement_create", args=[campaign.pk]) in html(a.get(detail))
    form = html(a.get(reverse("console:supplement_create", args=[campaign.pk])))
    assert "汉台区" in form and "南郑区" not in form
    empty = a.post(
        reverse("console:supplement_create", args=[campaign.pk]),
        {"org": world.a.org.pk, "guidance": "", "required_items": ""},
    )
    assert "请填写补充要求" in html(empty)
    response = a.post(
        reverse("console:supplement_create", args=[campaign.pk]),
        {"org": world.a.org.pk, "guidance": "结合区委全会", "required_items": "学习区委全会精神"},
    )
    assert response.status_code == 302
    assert "学习区委全会精神" in html(a.get(detail))
    assert "学习区委全会精神" not in html(b.get(detail))
    # Not for an organization the admin does not hold.
    other = a.post(
        reverse("console:supplement_create", args=[campaign.pk]),
        {"org": world.b.org.pk, "guidance": "x"},
    )
    assert "汉台区" in html(other) and Campaign.objects.filter(org=world.b.org).count() == 0


def test_the_campaign_list_of_a_county_and_of_a_branch(world, page, draft):
    county = html(page(world.a.admin).get(reverse("console:campaign_list", args=[world.a.org.pk])))
    assert "学习贯彻党的二十届四中全会精神" in county and "未下发" in county
    assert reverse("console:campaign_create", args=[world.a.org.pk]) in county
    branch = html(
        page(world.a.branch_admin).get(reverse("console:campaign_list", args=[world.a.branch.pk]))
    )
    assert "草稿" in branch
    assert reverse("console:activity_detail", args=[draft.pk]) in branch
    assert reverse("mobile:plan_start", args=[world.a.branch.pk, draft.campaign_id]) in branch
    assert reverse("console:campaign_create", args=[world.a.branch.pk]) not in branch


# Review ----------------------------------------------------------------------------------


def test_the_review_queue_shows_each_plan_with_its_agenda_to_its_superiors_only(
    world, page, submitted
):
    body = html(page(world.a.admin).get(reverse("console:review_queue")))
    assert "共1份活动计划待审核" in body
    for text in ("十二月主题党日", "汉台区某村党支部", "村党员活动室", *DEFAULT_REQUIRED_ITEMS):
        assert text in body, text
    assert "2026-12-10 09:00" in body
    for user in (world.b.admin, world.a.branch_admin):
        other = html(page(user).get(reverse("console:review_queue")))
        assert "共0份活动计划待审核" in other and "十二月主题党日" not in other


def test_a_superior_approves_from_the_queue(world, page, submitted):
    queue = reverse("console:review_queue")
    response = page(world.a.admin).post(
        reverse("console:activity_approve", args=[submitted.pk]), {"next": queue}, follow=True
    )
    assert response.redirect_chain[-1][0] == queue
    assert "已通过“十二月主题党日”（汉台区某村党支部）" in html(response)
    submitted.refresh_from_db()
    assert submitted.status == ActivityStatus.APPROVED and submitted.checkin_token


def test_a_plan_whose_start_has_passed_is_not_approved_from_the_queue(
    world, page, submitted, clock
):
    clock.move_to(DAY + timedelta(minutes=1))
    queue = reverse("console:review_queue")
    response = page(world.a.admin).post(
        reverse("console:activity_approve", args=[submitted.pk]), {"next": queue}, follow=True
    )
    assert "活动开始时间已过，不能再审核通过；请退回，由支部提交补录" in html(response)
    submitted.refresh_from_db()
    assert submitted.status == ActivityStatus.SUBMITTED and not submitted.checkin_token
    url = reverse("console:activity_approve", args=[submitted.pk])
    assert page(world.outsider).post(url).status_code == 403
    assert page(world.b.admin).post(url).status_code == 404


@pytest.mark.parametrize(
    "starts_at",
    [datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 0, tzinfo=UTC)],
    ids=["year-1", "year-9999"],
)
def test_a_plan_stored_with_an_impossible_date_still_shows(world, page, submitted, starts_at):
    # As the API stored it before dates were checked.
    Activity.objects.filter(pk=submitted.pk).update(
        starts_at=starts_at, ends_at=starts_at + timedelta(minutes=30)
    )
    detail = reverse("console:activity_detail", args=[submitted.pk])
    for user in (world.a.admin, world.city_admin):
        client = page(user)
        queue = client.get(reverse("console:review_queue"))
        assert queue.status_code == 200, user
        assert "共1份活动计划待审核" in html(queue) and "十二月主题党日" in html(queue)
        assert client.get(detail).status_code == 200, user
    assert page(world.outsider).get(detail).status_code == 403
    assert page(world.b.admin).get(detail).status_code == 404


def test_rejecting_needs_a_reason_and_the_branchs_own_admin_cannot_review(world, page, submitted):
    client = page(world.a.admin)
    url = reverse("console:activity_reject", args=[submitted.pk])
    no_reason = client.post(url, {"reason": "  "}, follow=True)
    assert "退回须说明原因" in html(no_reason)
    submitted.refresh_from_db()
    assert submitted.status == ActivityStatus.SUBMITTED
    client.post(url, {"reason": "地点不明确"})
    submitted.refresh_from_db()
    assert submitted.status == ActivityStatus.REJECTED
    # The rejection and its reason are on the plan's page.
    body = html(client.get(reverse("console:activity_detail", args=[submitted.pk])))
    assert "退回修改" in body and "地点不明确" in body and "汉台区管理员" in body

    services.submit_activity(actor=world.a.branch_admin, activity=submitted)
    own = page(world.a.branch_admin)
    assert own.post(reverse("console:activity_approve", args=[submitted.pk])).status_code == 403
    assert own.post(url, {"reason": "x"}).status_code == 403


# Progress --------------------------------------------------------------------------------


def test_progress_counts_each_stage_by_sector_and_lists_the_branches_behind(world, page, submitted):
    client = page(world.city_admin)
    url = reverse("console:campaign_progress", args=[submitted.campaign_id])
    body = html(client.get(url))
    assert "统计范围：汉中市" in body
    # Four branches: one submitted, three without a plan; rural and community rows.
    assert 'data-testid="stage-none"><strong>3</strong>' in body
    assert 'data-testid="stage-submitted"><strong>1</strong>' in body
    assert "农村" in body and "社区" in body
    listed = html(client.get(url, {"org": world.city.pk, "stage": "submitted"}))
    assert "汉台区某村党支部" in listed and "南郑区某村党支部" not in listed
    rural_none = html(client.get(url, {"org": world.city.pk, "stage": "none", "sector": "rural"}))
    assert "南郑区某村党支部" in rural_none and "汉台区某社区党支部" not in rural_none
    assert reverse("console:activity_detail", args=[submitted.pk]) in listed


def test_progress_highlights_overdue_branches_near_the_end_of_the_window(
    world, page, submitted, clock
):
    clock.move_to(NOW + timedelta(days=18))
    body = html(
        page(world.a.admin).get(reverse("console:campaign_progress", args=[submitted.campaign_id]))
    )
    # A county admin starts at their county.
    assert "统计范围：汉台区" in body
    assert 'data-testid="overdue"><strong>2</strong>' in body
    assert body.count('class="overdue"') == 2
    assert "逾期" in body


def test_progress_out_of_scope_is_404(world, page, submitted):
    url = reverse("console:campaign_progress", args=[submitted.campaign_id])
    assert page(world.b.admin).get(url, {"org": world.a.org.pk}).status_code == 404
    assert page(world.b.admin).get(url, {"org": world.city.pk}).status_code == 404
    assert "统计范围：南郑区" in html(page(world.b.admin).get(url))


# The activity ----------------------------------------------------------------------------


def test_the_activity_page_shows_the_plan_its_history_and_the_roster(world, page, submitted):
    services.approve_activity(actor=world.a.admin, activity=submitted)
    body = html(
        page(world.a.branch_admin).get(reverse("console:activity_detail", args=[submitted.pk]))
    )
    for text in (
        "十二月主题党日",
        "已通过",
        "起草计划",
        "提交审核",
        "审核通过",
        "汉台区支部书记",
        "汉台区管理员",
        "汉台区流动党员",
        "3人（流动党员1人）",
        "活动开始前，名单随本支部在册党员变化",
        "取消活动",
        "08:30 – 09:15",
    ):
        assert text in body, text
    assert reverse("console:attendance", args=[submitted.pk]) in body
    assert reverse("mobile:plan_edit", args=[submitted.pk]) in body


def test_a_branch_admin_cancels_before_the_start_with_a_reason(world, page, submitted):
    services.approve_activity(actor=world.a.admin, activity=submitted)
    client = page(world.a.branch_admin)
    url = reverse("console:activity_cancel", args=[submitted.pk])
    assert "取消活动须说明原因" in html(client.post(url, {"reason": ""}, follow=True))
    body = html(client.post(url, {"reason": "村里突发汛情"}, follow=True))
    assert "活动已取消" in body and "村里突发汛情" in body
    submitted.refresh_from_db()
    assert submitted.status == ActivityStatus.CANCELLED
    assert "取消原因（必填）" not in body  # no second cancel


def test_a_late_record_carries_its_flag_on_every_page(world, page, draft, clock):
    clock.move_to(DAY + timedelta(days=1))
    services.submit_late_record(
        actor=world.a.branch_admin, activity=draft, reason="系统故障未及时录入"
    )
    client = page(world.a.admin)
    queue = html(client.get(reverse("console:review_queue")))
    assert "补录" in queue and "系统故障未及时录入" in queue
    detail = html(client.get(reverse("console:activity_detail", args=[draft.pk])))
    assert 'data-testid="late-flag"' in detail and "这是一份补录的活动记录" in detail
    progress = html(client.get(reverse("console:campaign_progress", args=[draft.campaign_id])))
    assert 'badge gold">补录' in progress


# Political birthdays ---------------------------------------------------------------------


def test_political_birthdays_of_a_branch_for_a_month(world, page, clock):
    client = page(world.a.branch_admin)
    url = reverse("console:birthdays", args=[world.a.branch.pk])
    july = html(client.get(url, {"month": 7}))
    # Everybody in the shared world joined on 1 July 2010.
    assert "7月共3名党员过政治生日" in july
    assert "汉台区流动党员" in july and "16周年" in july
    assert "南郑区党员" not in july
    assert "12月共0名党员过政治生日" in html(client.get(url))  # this month by default


def test_a_county_picks_a_branch_for_political_birthdays(world, page):
    client = page(world.a.admin)
    url = reverse("console:birthdays", args=[world.a.org.pk])
    assert "请选择一个党支部" in html(client.get(url))
    response = client.get(url, {"month": 7, "branch": "B-A1"})
    assert (
        response["Location"] == reverse("console:birthdays", args=[world.a.branch.pk]) + "?month=7"
    )
    refused = html(client.get(url, {"month": 7, "branch": "B-B1"}))
    assert "未找到该组织" in refused


def test_activities_of_a_campaign_are_listed_once_per_branch(world, draft):
    # A guard for the pages above: one live plan per branch and campaign.
    assert Activity.objects.filter(branch=world.a.branch, campaign=draft.campaign).count() == 1

"""A month's theme day in a real browser (Debian chromium): the branch secretary drafts the
plan on a phone-sized screen (the venue from the phone's position), is refused while a
required item is missing, and submits; the county admin approves it from the review queue
on a desktop; the member sees the theme day, its time and place, and the notice on their
phone's home page.

The campaign sits on the real clock (the plan is for tomorrow): the live server runs in
this process and a frozen clock would freeze it too."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dangjian.themedays import services
from dangjian.themedays.models import Activity, ActivityStatus
from tests.browser.conftest import PHONE, _context
from tests.browser.test_registry_pages import log_in
from tests.conftest import COMMITTED

pytestmark = [pytest.mark.browser, COMMITTED]
VENUE = (33.0678, 107.0234)
THEME = "学习贯彻党的二十届四中全会精神"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def campaign(world):
    today = timezone.localdate()
    campaign = services.create_campaign(
        actor=world.city_admin,
        org=world.city,
        month=f"{today:%Y-%m}",
        theme=THEME,
        guidance="各支部围绕主题开展学习研讨。",
        optional_items=["红色教育", "走访慰问"],
        holding_from=today,
        holding_until=today + timedelta(days=10),
    )
    # Committed for real, so the (eager) distribution has run when this returns.
    services.request_distribution(actor=world.city_admin, campaign=campaign)
    return campaign


@pytest.fixture
def located_phone(browser, live_server):
    """A phone-sized page whose browser stands at the venue, geolocation granted."""
    context = _context(
        browser,
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        permissions=["geolocation"],
        geolocation={"latitude": VENUE[0], "longitude": VENUE[1], "accuracy": 12},
    )
    page = context.new_page()
    page.base = live_server.url
    yield page
    context.close()


def test_a_plan_is_drafted_on_a_phone_approved_by_the_county_and_seen_by_members(
    world, campaign, located_phone, desktop, phone, shot
):
    tomorrow = timezone.localdate() + timedelta(days=1)

    # The branch secretary, on a phone: this month's theme day, then the plan editor.
    page = located_phone
    log_in(page, "/m/", world.a.branch_admin.phone)
    day = page.get_by_test_id("theme-day")
    expect(day).to_contain_text(THEME)
    expect(day).to_contain_text("本支部计划：未制定计划")
    day.get_by_role("link", name="制定活动计划").click()
    expect(page.locator(".m-header")).to_contain_text("制定活动计划")
    expect(page.get_by_label("活动名称")).to_have_value(
        f"{campaign.month.month}月主题党日：{THEME}"
    )
    expect(page.get_by_label("签到半径（米）")).to_have_value("300")

    page.get_by_label("活动日期").fill(tomorrow.isoformat())
    page.get_by_label("开始时间").fill("19:00")
    page.get_by_label("结束时间").fill("21:00")
    page.get_by_label("活动地点", exact=True).fill("村党员活动室")
    page.get_by_role("button", name="使用我的当前位置").click()
    expect(page.get_by_label("纬度")).to_have_value(f"{VENUE[0]:.6f}")
    expect(page.get_by_label("经度")).to_have_value(f"{VENUE[1]:.6f}")
    expect(page.locator("#locate-status")).to_contain_text("已填入当前位置（精度约 12 米）")
    page.get_by_label("红色教育").check()

    # One required item left out: refused, and named.
    page.get_by_label("缴纳党费").uncheck()
    page.get_by_role("button", name="提交审核").click()
    expect(page.get_by_test_id("missing-items")).to_have_text("活动议程缺少规定动作：缴纳党费")
    expect(page.locator("label.td-check.missing")).to_have_text("缴纳党费")
    assert Activity.objects.count() == 0
    # What was typed (and located) is still there; the page fits the phone.
    expect(page.get_by_label("纬度")).to_have_value(f"{VENUE[0]:.6f}")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "mobile-plan-missing-item")

    page.get_by_label("缴纳党费").check()
    page.get_by_role("button", name="提交审核").click()
    expect(page.get_by_role("status").first).to_contain_text("活动计划已提交，请等待上级党组织审核")
    expect(page.get_by_test_id("plan-status")).to_have_text("待审核")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "mobile-plan-submitted")
    activity = Activity.objects.get()
    assert activity.status == ActivityStatus.SUBMITTED
    assert activity.optional_items == ["红色教育"]
    assert (float(activity.latitude), float(activity.longitude)) == VENUE

    # The county admin, on a desktop: the review queue, then approve.
    page = desktop
    log_in(page, "/console/reviews/", world.a.admin.phone)
    review = page.locator(f'section.review[data-activity="{activity.pk}"]')
    expect(review).to_contain_text("汉台区某村党支部")
    expect(review).to_contain_text("缴纳党费")
    expect(review).to_contain_text("村党员活动室")
    shot(page, "console-review-queue")
    review.get_by_role("button", name="审核通过").click()
    expect(page.get_by_role("status").first).to_contain_text("已通过“")
    expect(page.locator("section.review")).to_have_count(0)
    activity.refresh_from_db()
    assert activity.status == ActivityStatus.APPROVED

    # A member, on a phone: the theme day with the branch's time and place, and the notice.
    page = phone
    log_in(page, "/m/", world.a.member.user.phone)
    day = page.get_by_test_id("theme-day")
    expect(day).to_contain_text(THEME)
    expect(day).to_contain_text("缴纳党费")
    when = page.get_by_test_id("theme-activity")
    expect(when).to_contain_text(f"{tomorrow.month}月{tomorrow.day}日 19:00–21:00")
    expect(when).to_contain_text("村党员活动室")
    expect(page.get_by_test_id("unread-count")).to_have_text("1条未读")
    expect(page.locator("#inbox")).to_contain_text(f"本月主题党日：{THEME}")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "mobile-home-theme-day")

    # Marking the notice read (htmx) clears it without leaving the page.
    page.locator("#inbox").get_by_role("button", name="标为已读").click()
    expect(page.locator("#inbox").get_by_role("button", name="标为已读")).to_have_count(0)
    page.reload()
    expect(page.get_by_test_id("unread-count")).to_have_count(0)


def test_a_city_admin_issues_and_distributes_a_campaign_and_follows_its_progress(
    world, desktop, shot
):
    page = desktop
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, "/console/", world.city_admin.phone)
    page.locator(".sidebar").get_by_role("link", name="主题党日").click()
    page.get_by_role("link", name="发布活动要求").click()
    expect(page.get_by_label("规定动作")).to_have_value(
        "诵读党章\n缴纳党费\n研学党规党情\n落实组织生活\n开展民主议事\n实行民主公开"
    )
    today = timezone.localdate()
    page.get_by_label("主题").fill(THEME)
    page.get_by_label("活动指引").fill("各支部围绕主题开展学习研讨。")
    page.get_by_label("开展时间自").fill(today.isoformat())
    page.get_by_label("开展时间至").fill((today + timedelta(days=10)).isoformat())
    page.locator('input[name="attachments"]').set_input_files(
        files=[{"name": "图解.png", "mimeType": "image/png", "buffer": PNG}]
    )
    shot(page, "console-campaign-form")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("heading", name=THEME)).to_be_visible()
    expect(page.get_by_role("link", name="图解.png")).to_be_visible()

    # One click (htmx): the counts; a second click adds nothing and says so.
    panel = page.locator("#distribution")
    panel.get_by_role("button", name="一键下发").click()
    expect(page.get_by_test_id("distribution-result")).to_have_text(
        "下发完成：4 个党支部，已通知 6 名党员。"
    )
    page.locator("#distribution").get_by_role("button", name="一键下发").click()
    expect(page.get_by_test_id("distribution-result")).to_contain_text("本次没有重复下发")
    shot(page, "console-campaign-distributed")

    page.get_by_role("link", name="开展进度").click()
    expect(page.get_by_test_id("stage-none")).to_contain_text("4")
    page.get_by_test_id("stage-none").click()
    expect(page.locator("table.td-branches tbody tr")).to_have_count(4)
    shot(page, "console-campaign-progress")

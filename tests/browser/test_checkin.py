"""Scanning the poster in a real browser (Debian chromium, phone viewport, geolocation
granted and set): the member opens the check-in address, logs in, is sent back, and checks
in within range; from a kilometre away the page refuses and says how far.

The activity is placed on the real clock (it starts in 20 minutes, so check-in is open):
the live server runs in this process and a frozen clock would freeze it too."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dangjian.attendance import checkin, geo
from dangjian.attendance.models import AttendanceRecord, CheckInAttempt
from dangjian.themedays import services as themedays
from dangjian.themedays.models import DEFAULT_REQUIRED_ITEMS
from tests.browser.conftest import PHONE, _context
from tests.conftest import COMMITTED
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, COMMITTED]
VENUE = (33.0678, 107.0234)
# What WeChat's browser on an Android phone says it is.
WECHAT_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0 Mobile Safari/537.36 MicroMessenger/8.0.50"
)


@pytest.fixture
def activity(world):
    now = timezone.localtime()
    start = (now + timedelta(minutes=20)).replace(second=0, microsecond=0)
    campaign = themedays.create_campaign(
        actor=world.city_admin,
        org=world.city,
        month=f"{now:%Y-%m}",
        theme="学习贯彻全会精神",
        holding_from=now.date() - timedelta(days=1),
        holding_until=max(now.date(), start.date()) + timedelta(days=1),
    )
    activity = themedays.draft_activity(
        actor=world.a.branch_admin,
        branch=world.a.branch,
        campaign=campaign,
        title="本月主题党日",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        venue_address="村党员活动室",
        latitude=f"{VENUE[0]:.6f}",
        longitude=f"{VENUE[1]:.6f}",
        agenda=list(DEFAULT_REQUIRED_ITEMS),
    )
    themedays.submit_activity(actor=world.a.branch_admin, activity=activity)
    return themedays.approve_activity(actor=world.a.admin, activity=activity)


@pytest.fixture
def phone_at(browser, live_server):
    """`phone_at(metres)`: a phone-sized page whose browser reports a position that far
    east of the venue, with geolocation permission granted."""
    contexts = []

    def make(metres: float, accuracy: float = 20):
        lat, lon = geo.destination(*VENUE, 90, metres)
        context = _context(
            browser,
            viewport=PHONE,
            is_mobile=True,
            has_touch=True,
            device_scale_factor=2,
            user_agent=WECHAT_UA,
            permissions=["geolocation"],
            geolocation={"latitude": lat, "longitude": lon, "accuracy": accuracy},
        )
        contexts.append(context)
        page = context.new_page()
        page.base = live_server.url
        return page

    yield make
    for context in contexts:
        context.close()


def scan_and_log_in(page, activity, phone: str) -> str:
    """Open the QR code's address, get sent to the login form, come back."""
    path = f"/m/checkin/{activity.checkin_token}/"
    page.goto(page.base + path)
    expect(page).to_have_url(f"{page.base}/login/?next={path}")
    page.get_by_label("手机号").fill(phone)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(page.base + path)
    return path


def test_a_member_scans_logs_in_comes_back_and_checks_in_within_range(
    world, activity, phone_at, shot
):
    page = phone_at(metres=80)
    scan_and_log_in(page, activity, world.a.member.user.phone)
    expect(page.get_by_role("heading", name="本月主题党日")).to_be_visible()
    expect(page.get_by_test_id("attendance-status")).to_have_text("未签到")
    shot(page, "checkin-phone-before")
    page.get_by_role("button", name="签到").click()
    result = page.get_by_test_id("checkin-result")
    expect(result).to_contain_text("签到成功！签到时间")
    expect(result).to_contain_text("距活动地点 80 米")
    expect(page.get_by_test_id("attendance-status")).to_have_text("已签到")
    shot(page, "checkin-phone-success")
    record = AttendanceRecord.objects.get(activity=activity)
    assert (record.member_id, record.status) == (world.a.member.pk, "checked_in")
    assert record.device_id  # the page's random phone id
    attempt = CheckInAttempt.objects.get()
    assert attempt.user_agent == WECHAT_UA
    assert attempt.accuracy_m == 20
    # Coming back to the page later says so instead of offering the button again.
    page.reload()
    expect(page.get_by_test_id("checkin-result")).to_contain_text("你已签到")


def test_from_a_kilometre_away_the_check_in_is_refused_with_the_distance(
    world, activity, phone_at, shot
):
    page = phone_at(metres=1000)
    scan_and_log_in(page, activity, world.a.flowing.user.phone)
    page.get_by_role("button", name="签到").click()
    result = page.get_by_test_id("checkin-result")
    expect(result).to_contain_text("你距离活动地点 1.0 公里，签到范围为 300 米")
    expect(result).to_have_class("alert error")
    expect(page.get_by_role("button", name="签到")).to_be_enabled()
    shot(page, "checkin-phone-out-of-range")
    assert not AttendanceRecord.objects.exists()
    assert CheckInAttempt.objects.get().code == "out_of_range"


def test_the_branch_admins_live_view_updates_itself_when_a_member_checks_in(
    world, activity, desktop, shot
):

    page = desktop
    path = f"/console/activities/{activity.pk}/attendance/"
    page.goto(page.base + path)
    page.get_by_label("手机号").fill(world.a.branch_admin.phone)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(page.base + path)
    live = page.locator("#live")
    row = live.locator("tr", has_text=world.a.member.name)
    expect(row).to_contain_text("未签到")
    expect(page.get_by_role("link", name="下载海报（PDF）")).to_be_visible()
    lat, lon = geo.destination(*VENUE, 0, 50)
    checkin.check_in(
        actor=world.a.member.user,
        token=activity.checkin_token,
        latitude=lat,
        longitude=lon,
        accuracy_m=10,
    )
    # No reload: htmx polls the live partial every 10 seconds.
    expect(row).to_contain_text("已签到", timeout=15_000)
    expect(row).to_contain_text("50 米")
    shot(page, "attendance-live")

"""Coordinate systems in a real browser (Debian chromium, phone viewport, geolocation
granted and set at Hanzhong's published reference point, tests/core/test_coords.py): the
check-in page sends the browser's position as WGS-84 and is accepted at a venue picked in
GCJ-02; the plan editor's "use my current position" selects WGS-84 for what it fills in.

On the real clock: the live server runs in this process and a frozen clock would freeze it
too."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from dangjian.attendance import geo
from dangjian.attendance.models import AttendanceRecord
from dangjian.themedays import services as themedays
from dangjian.themedays.models import DEFAULT_REQUIRED_ITEMS, Activity
from tests.browser.conftest import PHONE, _context
from tests.conftest import COMMITTED
from tests.core.test_coords import HANZHONG
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, COMMITTED]
WGS84, GCJ02 = HANZHONG["wgs84"], HANZHONG["gcj02"]


@pytest.fixture
def campaign(world):
    today = timezone.localdate()
    return themedays.create_campaign(
        actor=world.city_admin,
        org=world.city,
        month=f"{today:%Y-%m}",
        theme="学习贯彻全会精神",
        holding_from=today - timedelta(days=1),
        holding_until=today + timedelta(days=2),
    )


@pytest.fixture
def phone(browser, live_server):
    """A phone-sized page whose browser stands at the spot (WGS-84, as browsers report)."""
    context = _context(
        browser,
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        permissions=["geolocation"],
        geolocation={"latitude": WGS84[0], "longitude": WGS84[1], "accuracy": 12},
    )
    page = context.new_page()
    page.base = live_server.url
    yield page
    context.close()


def log_in(page, path: str, phone: str) -> None:
    page.goto(page.base + path)
    page.get_by_label("手机号").fill(phone)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(page.base + path)


def test_a_browser_check_in_is_accepted_at_a_venue_picked_in_gcj02(world, campaign, phone):
    start = (timezone.localtime() + timedelta(minutes=20)).replace(second=0, microsecond=0)
    activity = themedays.draft_activity(
        actor=world.a.branch_admin,
        branch=world.a.branch,
        campaign=campaign,
        title="本月主题党日",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        venue_address="村党员活动室",
        latitude=GCJ02[0],
        longitude=GCJ02[1],
        coord_system="gcj02",
        agenda=list(DEFAULT_REQUIRED_ITEMS),
    )
    themedays.submit_activity(actor=world.a.branch_admin, activity=activity)
    activity = themedays.approve_activity(actor=world.a.admin, activity=activity)

    log_in(phone, f"/m/checkin/{activity.checkin_token}/", world.a.member.user.phone)
    with phone.expect_request(lambda r: r.method == "POST") as sent:
        phone.get_by_role("button", name="签到").click()
    form = sent.value.post_data
    assert 'name="coord_system"\r\n\r\nwgs84\r\n' in form, form
    expect(phone.get_by_test_id("checkin-result")).to_contain_text("签到成功！")
    # The published pairs agree to a metre (tests/core/test_coords.py).
    expect(phone.get_by_test_id("checkin-result")).to_contain_text(re.compile("距活动地点 [01] 米"))
    record = AttendanceRecord.objects.get(activity=activity)
    assert record.member_id == world.a.member.pk and record.checkin_distance_m <= 1


def test_use_my_current_position_selects_wgs84_for_what_it_fills_in(world, campaign, phone):
    path = reverse("mobile:plan_start", args=[world.a.branch.pk, campaign.pk])
    log_in(phone, path, world.a.branch_admin.phone)
    system = phone.get_by_label("坐标来源")
    expect(system).to_have_value("wgs84")
    # Numbers read off Amap first ...
    system.select_option("gcj02")
    phone.get_by_label("纬度").fill(f"{GCJ02[0]}")
    phone.get_by_label("经度").fill(f"{GCJ02[1]}")
    # ... then the phone's own position, which is WGS-84 whatever was selected before.
    phone.get_by_role("button", name="使用我的当前位置").click()
    expect(phone.get_by_label("纬度")).to_have_value(f"{WGS84[0]:.6f}")
    expect(system).to_have_value("wgs84")
    tomorrow = timezone.localdate() + timedelta(days=1)
    phone.get_by_label("活动日期").fill(tomorrow.isoformat())
    phone.get_by_label("开始时间").fill("19:00")
    phone.get_by_label("结束时间").fill("21:00")
    phone.get_by_label("活动地点", exact=True).fill("村党员活动室")
    phone.get_by_role("button", name="保存草稿").click()
    expect(phone.get_by_role("status").first).to_contain_text("草稿已保存")
    activity = Activity.objects.get(branch=world.a.branch)
    stored = (float(activity.latitude), float(activity.longitude))
    assert geo.distance_m(*stored, *WGS84) < 0.1

"""Activation in a real browser on a phone viewport: an imported member who has never had a
password scans the check-in poster, goes from the login page into activation, gets the code
from the demo's SMS outbox (read by an admin in the console), activates, lands back on the
check-in page and checks in."""

import re

import pytest
from playwright.sync_api import expect

from dangjian.attendance.models import AttendanceRecord
from tests.browser.test_checkin import activity, phone_at  # noqa: F401 - fixtures
from tests.conftest import COMMITTED
from tests.factories import PASSWORD, make_member, next_id_number

pytestmark = [pytest.mark.browser, COMMITTED]
NEW_PASSWORD = "Hanzhong-ok-2026"


@pytest.fixture
def newcomer(world, settings):
    settings.SMS_DEMO_OUTBOX = True
    id_number = next_id_number()
    member = make_member(world.city_admin, world.a.branch, password=None, id_number=id_number)
    member.id_number = id_number
    return member


def code_from_the_outbox(desktop, admin_phone: str, phone: str) -> str:
    desktop.goto(desktop.base + "/login/?next=/console/sms-outbox/")
    desktop.get_by_label("手机号").fill(admin_phone)
    desktop.get_by_label("密码").fill(PASSWORD)
    desktop.get_by_role("button", name="登录").click()
    expect(desktop.get_by_role("heading", name="短信发件箱")).to_be_visible()
    row = desktop.locator("tr", has_text=phone).first
    expect(row).to_contain_text("已发送")
    return re.search(r"验证码为(\d{6})", row.inner_text()).group(1)


def test_an_imported_member_activates_from_the_check_in_link_and_checks_in(
    world,
    newcomer,
    activity,  # noqa: F811
    phone_at,  # noqa: F811
    desktop,
    shot,
):
    page = phone_at(metres=50)
    path = f"/m/checkin/{activity.checkin_token}/"
    page.goto(page.base + path)
    expect(page).to_have_url(f"{page.base}/login/?next={path}")
    page.get_by_role("link", name="首次使用？短信验证激活账号").click()
    expect(page).to_have_url(re.compile(r"/m/activate/\?next="))
    page.get_by_label("手机号").fill(newcomer.user.phone)
    page.get_by_role("button", name="获取验证码").click()
    expect(page.get_by_label("短信验证码")).to_be_visible()
    shot(page, "activation-phone-code")

    code = code_from_the_outbox(desktop, world.a.admin.phone, newcomer.user.phone)

    page.get_by_label("短信验证码").fill(code)
    page.get_by_label("身份证号后六位").fill(newcomer.id_number[-6:])
    page.get_by_label("设置密码").fill(NEW_PASSWORD)
    page.get_by_label("确认密码").fill(NEW_PASSWORD)
    page.get_by_role("button", name="激活并登录").click()
    expect(page).to_have_url(page.base + path)
    expect(page.get_by_role("heading", name="本月主题党日")).to_be_visible()
    page.get_by_role("button", name="签到").click()
    expect(page.get_by_test_id("checkin-result")).to_contain_text("签到成功！签到时间")
    shot(page, "activation-phone-checked-in")
    record = AttendanceRecord.objects.get(activity=activity)
    assert (record.member_id, record.status) == (newcomer.pk, "checked_in")
    newcomer.user.refresh_from_db()
    assert newcomer.user.check_password(NEW_PASSWORD)

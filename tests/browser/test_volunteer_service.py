"""A member's volunteer service in a real browser (Debian chromium, phone viewport,
geolocation granted and set): claim a published order, sign in at the place (refused from
a kilometre away, with the distance), sign out, complete with a photo, and see the hours
on the profile.

The order is placed on the real clock (it starts in 20 minutes, so signing in is open):
the live server runs in this process and a frozen clock would freeze it too. The hour of
service is had by moving the sign-in back in the database."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from dangjian.attendance import geo
from dangjian.volunteering.models import Claim, HoursEntry, Order, OrderState
from tests.browser.conftest import PHONE, _context
from tests.conftest import COMMITTED
from tests.factories import PASSWORD
from tests.interaction.conftest import image_bytes
from tests.volunteering.conftest import PLACE, make_category, make_citizen, make_order

pytestmark = [pytest.mark.browser, COMMITTED]


@pytest.fixture
def order(world):
    citizen = make_citizen(world.a.branch)
    return make_order(
        citizen,
        make_category(world.a.org),
        state=OrderState.PUBLISHED,
        starts_in=timedelta(minutes=20),
    )


@pytest.fixture
def phone_at(browser, live_server):
    contexts = []

    def make(metres: float):
        lat, lon = geo.destination(float(PLACE[0]), float(PLACE[1]), 90, metres)
        context = _context(
            browser,
            viewport=PHONE,
            is_mobile=True,
            has_touch=True,
            device_scale_factor=2,
            permissions=["geolocation"],
            geolocation={"latitude": lat, "longitude": lon, "accuracy": 15},
        )
        contexts.append(context)
        page = context.new_page()
        page.base = live_server.url
        return page

    yield make
    for context in contexts:
        context.close()


def log_in(page, phone: str, path: str) -> None:
    page.goto(page.base + path)
    page.get_by_label("手机号").fill(phone)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(page.base + path)


def test_a_member_claims_signs_in_and_out_at_the_place_completes_and_sees_the_hours(
    world, order, phone_at, shot, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    far = phone_at(1000)
    path = f"/m/volunteer/orders/{order.pk}/"
    log_in(far, world.a.member.user.phone, "/m/volunteer/")
    far.get_by_role("link", name="送服务").first.click()
    expect(far).to_have_url(far.base + path)
    far.get_by_test_id("claim").click()
    expect(far.get_by_text("接单成功")).to_be_visible()
    expect(far.get_by_test_id("claim-state")).to_have_text("已接单")
    far.get_by_test_id("sign").click()
    expect(far.get_by_text("你距离服务地点 1.0 公里")).to_be_visible()
    expect(far.get_by_test_id("claim-state")).to_have_text("已接单")

    near = phone_at(40)
    log_in(near, world.a.member.user.phone, path)
    near.get_by_test_id("sign").click()
    expect(near.get_by_text("已签到，服务开始")).to_be_visible()
    expect(near.get_by_test_id("claim-state")).to_have_text("服务中")
    assert Order.objects.get(pk=order.pk).state == OrderState.IN_SERVICE
    claim = Claim.objects.get(order=order)
    Claim.objects.filter(pk=claim.pk).update(signed_in_at=claim.signed_in_at - timedelta(hours=1))
    near.get_by_test_id("sign").click()
    expect(near.get_by_text("已签退")).to_be_visible()
    shot(near, "volunteer-signed-out")

    photo = tmp_path / "service.jpg"
    photo.write_bytes(image_bytes())
    near.get_by_label("服务照片").set_input_files(str(photo))
    near.get_by_test_id("complete").click()
    expect(near.get_by_text("服务已完成，等待群众评价")).to_be_visible()
    assert Order.objects.get(pk=order.pk).state == OrderState.COMPLETED
    assert HoursEntry.objects.get(member=world.a.member).hours == 1

    near.goto(near.base + "/m/profile/")
    expect(near.get_by_test_id("volunteer-hours").get_by_test_id("total-hours")).to_have_text(
        "1.00"
    )
    shot(near, "volunteer-profile-hours")

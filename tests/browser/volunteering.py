"""What the volunteering browser tests share: phones placed near the order's place with
geolocation granted, a member's sign-in, and a volunteer's service at the place (signing in,
an hour of service had by moving the sign-in back in the database, signing out, completing
with a photo). The live server runs in this process on the real clock, so the hour cannot
be had by travelling in time."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from dangjian.attendance import geo
from dangjian.volunteering.models import Claim, Order, OrderState
from tests.browser.conftest import PHONE, _context
from tests.factories import PASSWORD
from tests.interaction.conftest import image_bytes
from tests.volunteering.conftest import PLACE


@pytest.fixture
def phone_at(browser, live_server):
    """`phone_at(metres)`: a phone page whose position is `metres` east of PLACE."""
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
    """A member's (or admin's) sign-in with the password, landing on `path`."""
    page.goto(page.base + path)
    page.get_by_label("手机号").fill(phone)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(page.base + path)


def photo(tmp_path, name: str = "photo.jpg") -> str:
    path = tmp_path / name
    path.write_bytes(image_bytes())
    return str(path)


def serve_an_hour(page, order: Order) -> None:
    """On the volunteer's order page, at the place: sign in, then an hour later (the
    sign-in moved back an hour in the database) sign out."""
    page.get_by_test_id("sign").click()
    expect(page.get_by_text("已签到，服务开始")).to_be_visible()
    expect(page.get_by_test_id("claim-state")).to_have_text("服务中")
    assert Order.objects.get(pk=order.pk).state == OrderState.IN_SERVICE
    claim = Claim.objects.get(order=order)
    Claim.objects.filter(pk=claim.pk).update(signed_in_at=claim.signed_in_at - timedelta(hours=1))
    page.get_by_test_id("sign").click()
    expect(page.get_by_text("已签退")).to_be_visible()


def complete_with_a_photo(page, tmp_path) -> None:
    page.get_by_label("服务照片").set_input_files(photo(tmp_path, "service.jpg"))
    page.get_by_test_id("complete").click()
    expect(page.get_by_text("服务已完成，等待群众评价")).to_be_visible()

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

from dangjian.volunteering.models import HoursEntry, Order, OrderState
from tests.browser.volunteering import (  # noqa: F401 - phone_at is a fixture
    complete_with_a_photo,
    log_in,
    phone_at,
    serve_an_hour,
)
from tests.conftest import COMMITTED
from tests.volunteering.conftest import make_category, make_citizen, make_order

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


def test_a_member_claims_signs_in_and_out_at_the_place_completes_and_sees_the_hours(
    world,
    order,
    phone_at,  # noqa: F811
    shot,
    tmp_path,
    settings,
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
    serve_an_hour(near, order)
    shot(near, "volunteer-signed-out")
    complete_with_a_photo(near, tmp_path)
    assert Order.objects.get(pk=order.pk).state == OrderState.COMPLETED
    assert HoursEntry.objects.get(member=world.a.member).hours == 1

    near.goto(near.base + "/m/profile/")
    expect(near.get_by_test_id("volunteer-hours").get_by_test_id("total-hours")).to_have_text(
        "1.00"
    )
    shot(near, "volunteer-profile-hours")

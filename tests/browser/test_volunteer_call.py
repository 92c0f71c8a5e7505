"""The volunteer cloud call (志愿云呼叫) end to end in a real browser (Debian chromium): a
citizen on a phone signs in with an SMS code (read from the demo's outbox by the community's
admin), registers, and orders a service from the menu with their position and a photo; the
community's admin publishes it on the console for one volunteer; a member on a phone at the
place claims it, signs in and out, and completes it with a photo; the citizen confirms and
rates it five stars; the member's profile shows the hour.

The order is placed on the real clock (it starts in about 20 minutes, so signing in, open
from an hour before, is allowed): the live server runs in this process and a frozen clock
would freeze it too. The hour of service is had by moving the member's sign-in back an hour
in the database between signing in and signing out."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dangjian.core import clock
from dangjian.volunteering.models import HoursEntry, Order, OrderState
from tests.browser.test_activation import code_from_the_outbox
from tests.browser.volunteering import (  # noqa: F401 - phone_at is a fixture
    complete_with_a_photo,
    log_in,
    phone_at,
    photo,
    serve_an_hour,
)
from tests.conftest import COMMITTED
from tests.factories import next_phone
from tests.volunteering.conftest import make_category

pytestmark = [pytest.mark.browser, COMMITTED]
WINDOW = "%Y-%m-%dT%H:%M"


@pytest.fixture
def menu(world, settings, tmp_path):
    settings.SMS_DEMO_OUTBOX = True
    settings.MEDIA_ROOT = tmp_path / "media"
    return make_category(world.a.org, name="送健康", skills=("量血压",))


def citizen_signs_up(page, desktop, shot, world, number: str) -> None:
    page.goto(page.base + "/c/")
    expect(page).to_have_url(page.base + "/c/sign-in/?next=%2Fc%2F")
    page.get_by_label("手机号").fill(number)
    page.get_by_role("button", name="获取验证码").click()
    expect(page.get_by_text(f"验证码已发送至 {number}")).to_be_visible()
    shot(page, "volunteer-call-citizen-code")

    code = code_from_the_outbox(desktop, world.a.branch_admin.phone, number)

    page.get_by_label("短信验证码").fill(code)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_role("heading", name="首次登录，请完成登记")).to_be_visible()
    page.get_by_label("姓名").fill("李秀兰")
    page.get_by_label("查找社区（村）").fill("某村")
    page.get_by_role("button", name="查找").click()
    page.get_by_label("所在社区（村）").select_option(label=world.a.branch.name)
    page.get_by_label("住址").fill("某村5组8号")
    page.get_by_role("button", name="登记并登录").click()
    expect(page).to_have_url(page.base + "/c/")
    expect(page.get_by_text("李秀兰，您好！")).to_be_visible()
    expect(page.get_by_text(f"{world.a.branch.name} · 某村5组8号")).to_be_visible()
    expect(page.get_by_text("送健康上门")).to_be_visible()


def test_a_citizen_orders_the_admin_publishes_a_member_serves_and_the_citizen_rates(
    world,
    menu,
    phone_at,  # noqa: F811
    desktop,
    shot,
    tmp_path,
):
    citizen = phone_at(0)
    number = next_phone()
    citizen_signs_up(citizen, desktop, shot, world, number)

    # The order: from the menu, at the citizen's position, in a window starting in ~20 min.
    citizen.get_by_test_id("citizen-order-new").click()
    expect(citizen).to_have_url(citizen.base + "/c/orders/new/")
    citizen.get_by_label("服务类别").select_option(label="送健康")
    citizen.get_by_label("需求描述").fill("老伴高血压，需要上门量血压")
    expect(citizen.get_by_label("服务地点")).to_have_value("某村5组8号")
    citizen.get_by_role("button", name="使用当前位置（可选）").click()
    expect(citizen.locator("[data-locate-status]")).to_have_text("已获取当前位置。")
    starts = timezone.localtime(clock.now()) + timedelta(minutes=20)
    citizen.get_by_label("期望开始").fill(starts.strftime(WINDOW))
    citizen.get_by_label("期望结束").fill((starts + timedelta(hours=2)).strftime(WINDOW))
    citizen.get_by_label("照片（可选）").set_input_files(photo(tmp_path, "request.jpg"))
    shot(citizen, "volunteer-call-order-form")
    citizen.get_by_test_id("order-submit").click()
    expect(citizen.get_by_text("需求已提交，社区审核后将为您发布。")).to_be_visible()
    expect(citizen.get_by_test_id("order-state")).to_have_text("待审核")
    order = Order.objects.get(requester__user__phone=number)
    expect(citizen).to_have_url(f"{citizen.base}/c/orders/{order.pk}/")
    assert (order.state, order.community_id) == (OrderState.SUBMITTED, world.a.branch.pk)
    assert order.latitude is not None
    thumb = citizen.locator(".m-photos img")
    expect(thumb).to_have_count(1)
    answer = citizen.request.get(citizen.base + thumb.get_attribute("src"))
    assert answer.status == 200
    assert answer.headers["content-type"].startswith("image/")
    shot(citizen, "volunteer-call-order-submitted")

    # The community's admin (still signed in from reading the outbox) publishes it.
    desktop.goto(desktop.base + "/console/volunteering/orders/")
    row = desktop.locator(f"tr[data-order='{order.pk}']")
    expect(row).to_contain_text("待审核")
    expect(row).to_contain_text("老伴高血压")
    row.get_by_role("link", name="送健康").click()
    expect(desktop.get_by_test_id("order-state")).to_have_text("待审核")
    desktop.get_by_label("所需志愿者人数").fill("1")
    desktop.get_by_test_id("order-publish").click()
    expect(desktop.get_by_text("需求已发布，已通知可接单的党员。")).to_be_visible()
    expect(desktop.get_by_test_id("order-state")).to_have_text("待接单")
    expect(desktop.get_by_text("已接单 0/1 人")).to_be_visible()
    shot(desktop, "volunteer-call-published")

    # A member of the community, on a phone at the place, claims and serves.
    member = phone_at(40)
    log_in(member, world.a.member.user.phone, "/m/volunteer/")
    member.get_by_role("link", name="送健康").first.click()
    expect(member).to_have_url(f"{member.base}/m/volunteer/orders/{order.pk}/")
    expect(member.get_by_text("老伴高血压，需要上门量血压")).to_be_visible()
    member.get_by_test_id("claim").click()
    expect(member.get_by_text("接单成功")).to_be_visible()
    expect(member.get_by_test_id("claim-state")).to_have_text("已接单")
    expect(member.get_by_test_id("order-state")).to_have_text("已接单")
    serve_an_hour(member, order)
    shot(member, "volunteer-call-signed-out")
    complete_with_a_photo(member, tmp_path)
    expect(member.get_by_test_id("order-state")).to_have_text("待评价")
    expect(member.get_by_test_id("claim-state")).to_have_text("已完成服务")
    shot(member, "volunteer-call-completed")

    # The citizen confirms and rates.
    citizen.reload()
    expect(citizen.get_by_test_id("order-state")).to_have_text("待评价")
    expect(citizen.get_by_role("img", name="需求照片")).to_have_count(1)
    expect(citizen.get_by_role("img", name="服务照片")).to_have_count(1)
    citizen.get_by_label("评分（1–5 星）").select_option("5")
    citizen.get_by_label("评价（可选）").fill("服务很周到，谢谢！")
    citizen.get_by_test_id("order-confirm").click()
    expect(citizen.get_by_text("感谢您的评价！")).to_be_visible()
    expect(citizen.get_by_test_id("order-state")).to_have_text("已完成")
    expect(citizen.get_by_test_id("order-rating")).to_contain_text("5 星 · 服务很周到，谢谢！")
    expect(citizen.get_by_test_id("order-confirm")).to_have_count(0)
    shot(citizen, "volunteer-call-rated")

    # The member's profile shows the hour.
    member.goto(member.base + "/m/profile/")
    hours = member.get_by_test_id("volunteer-hours")
    expect(hours.get_by_test_id("total-hours")).to_have_text("1.00")
    shot(member, "volunteer-call-profile-hours")

    order.refresh_from_db()
    assert (order.state, order.rating, order.rating_comment) == (
        OrderState.CONFIRMED,
        5,
        "服务很周到，谢谢！",
    )
    entry = HoursEntry.objects.get()
    assert (entry.member_id, entry.hours, entry.org_id) == (
        world.a.member.pk,
        1,
        world.a.branch.pk,
    )

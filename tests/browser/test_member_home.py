"""The member's pages tell the truth, in a real browser on a 390 px phone: after checking in
(through the check-in service) the home says 已签到 and offers no 请假; a member whose leave
was approved reads 已请假; 我的 lists the activity in the member's participation history; the
member adds a photo to the activity they attended. No page is wider than the phone.

Activities sit on the real clock (the live server runs in this process)."""

import secrets
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dangjian.attendance import checkin
from dangjian.attendance import services as attendance
from dangjian.interaction.models import Photo
from dangjian.themedays import services as themedays
from dangjian.themedays.models import DEFAULT_REQUIRED_ITEMS, Activity, ActivityStatus
from tests.browser import test_interaction_pages
from tests.conftest import COMMITTED
from tests.interaction.conftest import VENUE, image_bytes, use_tmp_media

pytestmark = [pytest.mark.browser, COMMITTED]
WIDTH = 390


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    use_tmp_media(settings, tmp_path)


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
def checked_in(world, campaign):
    """County a's activity began ten minutes ago (check-in still open); its member checked
    in at the venue through the check-in service."""
    now = timezone.now()
    activity = Activity.objects.create(
        branch=world.a.branch,
        campaign=campaign,
        title="本月主题党日：学习全会精神",
        starts_at=now - timedelta(minutes=10),
        ends_at=now + timedelta(minutes=110),
        venue_address="村党员活动室",
        latitude=VENUE[0],
        longitude=VENUE[1],
        status=ActivityStatus.APPROVED,
        checkin_token=secrets.token_urlsafe(16),
        created_at=now - timedelta(days=7),
        updated_at=now - timedelta(days=7),
    )
    checkin.check_in(
        actor=world.a.member.user,
        token=activity.checkin_token,
        latitude=float(VENUE[0]),
        longitude=float(VENUE[1]) + 0.0002,
        accuracy_m=15,
    )
    return activity


@pytest.fixture
def on_leave(world, campaign):
    """County b's activity starts in two hours; its member asked for leave and the branch
    approved it."""
    start = (timezone.localtime() + timedelta(hours=2)).replace(second=0, microsecond=0)
    activity = themedays.draft_activity(
        actor=world.b.branch_admin,
        branch=world.b.branch,
        campaign=campaign,
        title="南郑区本月主题党日",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        venue_address="社区党员活动室",
        latitude=f"{VENUE[0]:.6f}",
        longitude=f"{VENUE[1]:.6f}",
        agenda=list(DEFAULT_REQUIRED_ITEMS),
    )
    themedays.submit_activity(actor=world.b.branch_admin, activity=activity)
    activity = themedays.approve_activity(actor=world.b.admin, activity=activity)
    leave = attendance.request_leave(actor=world.b.member.user, activity=activity, reason="出差")
    attendance.approve_leave(actor=world.b.branch_admin, leave=leave)
    return activity


def log_in(page, phone: str) -> None:
    # The first page of a cold live server on a busy machine can take longer than the
    # default timeout: load the login page once with room to spare.
    page.goto(page.base + "/login/", timeout=60_000)
    test_interaction_pages.log_in(page, "/m/", phone)


def fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH


def test_a_member_who_checked_in_reads_it_finds_it_in_history_and_adds_a_photo(
    world, checked_in, phone, shot
):
    page = phone
    log_in(page, world.a.member.user.phone)
    day = page.get_by_test_id("theme-activity")
    expect(day).to_contain_text(checked_in.title)
    expect(page.get_by_test_id("own-status")).to_contain_text("已签到")
    expect(page.get_by_test_id("leave-link")).to_have_count(0)
    fits(page)
    shot(page, "mobile-home-checked-in")

    page.get_by_role("link", name="我的资料").click()
    page.get_by_test_id("participation-link").click()
    history = page.get_by_test_id("participation")
    expect(history).to_contain_text(checked_in.title)
    expect(history).to_contain_text("已签到")
    expect(history).to_contain_text("距活动地点")
    fits(page)
    shot(page, "mobile-participation-history")

    history.get_by_role("link", name=checked_in.title).click()
    expect(page.get_by_role("heading", name=checked_in.title)).to_be_visible()
    data = image_bytes(size=(1600, 1200), taken_at=timezone.now(), gps=VENUE)
    page.get_by_label("上传活动照片").set_input_files(
        files=[{"name": "现场.jpg", "mimeType": "image/jpeg", "buffer": data}]
    )
    page.get_by_role("button", name="上传照片").click()
    expect(page.get_by_role("status")).to_contain_text("照片已上传")
    photos = page.get_by_test_id("photo")
    expect(photos).to_have_count(1)
    thumb = photos.locator("img")
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle()
    )
    expect(photos.get_by_role("button", name="删除这张照片")).to_be_visible()
    fits(page)
    shot(page, "mobile-member-photo")
    assert Photo.objects.get().uploaded_by_id == world.a.member.user.pk


def test_a_member_whose_leave_was_approved_reads_it_and_is_not_offered_leave(
    world, on_leave, phone, shot
):
    page = phone
    log_in(page, world.b.member.user.phone)
    expect(page.get_by_test_id("theme-activity")).to_contain_text(on_leave.title)
    expect(page.get_by_test_id("own-status")).to_contain_text("已请假")
    expect(page.get_by_test_id("leave-link")).to_have_count(0)
    fits(page)
    shot(page, "mobile-home-on-leave")

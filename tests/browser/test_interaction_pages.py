"""The activity record in a real browser: a flowing member on a phone comments on and
likes the branch's activity; the branch secretary uploads a photo from the back office and
sees its thumbnail."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from dangjian.core import clock
from dangjian.themedays.models import Activity, ActivityStatus
from tests.conftest import COMMITTED
from tests.factories import PASSWORD
from tests.interaction.conftest import VENUE, image_bytes, use_tmp_media

pytestmark = [pytest.mark.browser, COMMITTED]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    use_tmp_media(settings, tmp_path)


@pytest.fixture
def activity(world):
    """Approved and on right now (the live server runs on the real clock)."""
    now = clock.now()
    return Activity.objects.create(
        branch=world.a.branch,
        title="十二月主题党日：学习全会精神",
        starts_at=now - timedelta(minutes=30),
        ends_at=now + timedelta(minutes=90),
        venue_address="村党员活动室",
        latitude=VENUE[0],
        longitude=VENUE[1],
        status=ActivityStatus.APPROVED,
        created_at=now - timedelta(days=7),
        updated_at=now - timedelta(days=7),
    )


def log_in(page, path: str, phone: str) -> None:
    page.goto(page.base + path)
    page.get_by_label("手机号").fill(phone)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(page.base + path)


def test_a_flowing_member_on_a_phone_comments_and_likes(world, activity, phone, shot):
    page = phone
    log_in(page, "/m/", world.a.flowing.user.phone)
    home = page.locator(".home-feed")
    expect(home).to_contain_text("您是流动党员")
    home.get_by_role("link", name=activity.title).click()
    expect(page.get_by_role("heading", name=activity.title)).to_be_visible()

    page.get_by_label("写评论").fill("在深圳通过线上学习参加了本次主题党日，收获很大。")
    page.get_by_role("button", name="发表评论").click()
    expect(page.get_by_role("status")).to_contain_text("评论已发表")
    comments = page.locator("ul.comments")
    expect(comments).to_contain_text("在深圳通过线上学习参加了本次主题党日")
    expect(comments).to_contain_text("流动党员")

    like = page.locator(".feed-actions button.like")
    expect(like).to_contain_text("点赞")
    like.click()
    like = page.locator(".feed-actions button.like")
    expect(like).to_have_attribute("aria-pressed", "true")
    expect(like).to_contain_text("已赞")
    expect(like.locator(".like-count")).to_have_text("1")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "mobile-activity-commented-liked")

    # The feed shows the same counts.
    page.locator(".m-back").click()
    card = page.locator(f'article[data-activity="{activity.pk}"]')
    expect(card.locator(".like-count")).to_have_text("1")
    expect(card).to_contain_text("评论 1")
    shot(page, "mobile-feed")


def test_a_branch_admin_uploads_a_photo_and_sees_its_thumbnail(world, activity, desktop, shot):
    page = desktop
    path = f"/console/records/{activity.pk}/"
    log_in(page, path, world.a.branch_admin.phone)
    expect(page.get_by_role("heading", name=activity.title)).to_be_visible()
    data = image_bytes(size=(1600, 1200), taken_at=clock.now(), gps=VENUE, orientation=6)
    page.get_by_label("上传照片").set_input_files(
        files=[{"name": "IMG_2026.jpg", "mimeType": "image/jpeg", "buffer": data}]
    )
    page.get_by_role("button", name="上传", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("已上传 1 张照片")
    card = page.locator(".photo-card")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("已核验")
    thumb = card.locator("img")
    expect(thumb).to_be_visible()
    # The thumbnail really loaded (served through the scope check), upright: portrait.
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle()
    )
    size = thumb.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert size == [360, 480]
    shot(page, "console-activity-record")

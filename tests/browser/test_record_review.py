"""Record review in a real browser (issue 21): a county admin sends a closed record back
on the console with a reason and a deadline; the branch secretary, on a phone (375×667),
reads the reason, supplements the summary and a photo, and resubmits."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from dangjian.core import clock
from dangjian.interaction.models import Photo, Summary
from dangjian.supervision.models import RecordReview, ReviewStatus
from dangjian.themedays.models import Activity, ActivityStatus
from tests.conftest import COMMITTED
from tests.factories import PASSWORD
from tests.interaction.conftest import VENUE, image_bytes, use_tmp_media

pytestmark = [pytest.mark.browser, COMMITTED]
SMALL_PHONE = {"width": 375, "height": 667}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    use_tmp_media(settings, tmp_path)


@pytest.fixture
def small_phone(browser, live_server):
    context = browser.new_context(
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport=SMALL_PHONE,
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.base = live_server.url
    yield page
    context.close()


@pytest.fixture
def record(world):
    """Held and closed ten days ago, past the grace period for photos and the summary (the
    live server runs on the real clock), with no summary: thin."""
    start = clock.now() - timedelta(days=10)
    return Activity.objects.create(
        branch=world.a.branch,
        title="十一月主题党日：学习党章",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        venue_address="村党员活动室",
        latitude=VENUE[0],
        longitude=VENUE[1],
        status=ActivityStatus.CLOSED,
        created_at=start - timedelta(days=7),
        updated_at=start,
        closed_at=start + timedelta(hours=3),
    )


def log_in(page, path: str, phone: str) -> None:
    page.goto(page.base + path)
    page.get_by_label("手机号").fill(phone)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(page.base + path)


def test_a_county_admin_sends_back_a_record_and_the_secretary_supplements_it_on_a_phone(
    world, record, desktop, small_phone, shot
):
    deadline = clock.today() + timedelta(days=3)

    # The county admin, on the console: the queue (with its count in the menu), the record.
    page = desktop
    log_in(page, "/console/supervision/records/", world.a.admin.phone)
    expect(page.get_by_test_id("nav-record-review")).to_contain_text("1")
    row = page.locator(f'tr[data-activity="{record.pk}"]')
    expect(row).to_contain_text("过简")
    row.get_by_role("link", name=record.title).click()
    expect(page.get_by_test_id("review-status")).to_contain_text("未审查")
    page.get_by_label("退回原因").fill("总结过于简单，缺少现场照片，请补充。")
    page.get_by_label("补充期限").fill(deadline.isoformat())
    shot(page, "console-record-review")
    page.get_by_test_id("send-back-record").click()
    expect(page.get_by_role("status").first).to_contain_text("已退回补充")
    review = RecordReview.objects.get(activity=record)
    assert (review.status, review.deadline) == (ReviewStatus.SENT_BACK, deadline)

    # The branch secretary, on a small phone: the record, its reason and deadline.
    page = small_phone
    log_in(page, "/m/records/", world.a.branch_admin.phone)
    page.get_by_role("link", name=record.title).click()
    expect(page.get_by_test_id("send-back-reason")).to_contain_text("缺少现场照片")
    expect(page.get_by_test_id("send-back-deadline")).to_have_text(deadline.isoformat())
    page.get_by_label("活动总结").fill("本次主题党日全体党员诵读党章，交纳党费，" * 8)
    page.get_by_role("button", name="保存总结").click()
    expect(page.get_by_role("status").first).to_contain_text("活动总结已保存")
    page.get_by_label("补充照片").set_input_files(
        files=[
            {
                "name": "现场.jpg",
                "mimeType": "image/jpeg",
                "buffer": image_bytes(taken_at=record.starts_at + timedelta(minutes=20), gps=VENUE),
            }
        ]
    )
    page.get_by_role("button", name="上传", exact=True).click()
    expect(page.locator(".m-photos img")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= SMALL_PHONE["width"]
    shot(page, "mobile-record-supplemented")
    page.get_by_label("补充说明（可选）").fill("已补充总结和现场照片")
    page.get_by_test_id("resubmit-record").click()
    expect(page.get_by_role("status").first).to_contain_text("已重新提交")

    review.refresh_from_db()
    assert review.status == ReviewStatus.RESUBMITTED
    assert Summary.objects.get(activity=record).text.startswith("本次主题党日")
    assert Photo.objects.filter(activity=record).count() == 1

    # Back on the console, the record waits for review again.
    page = desktop
    page.goto(page.base + "/console/supervision/records/")
    row = page.locator(f'tr[data-activity="{record.pk}"]')
    expect(row).to_contain_text("已补充待复审")

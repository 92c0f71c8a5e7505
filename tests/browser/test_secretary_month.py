"""The branch secretary's whole month on a 360×740 phone, in a real browser (Debian
chromium), never leaving /m/: log in to the month page, draft and submit the plan (the
county approves it through the service), download the poster, approve a leave request,
see a member's check-in appear on the live attendance (htmx polling), open the rotating QR
screen, upload a photo, write the summary and answer a rectification. Every page fits the
phone's width (no horizontal scrolling).

The activity sits on the real clock (it starts in 20 minutes, so check-in is open and leave
still decidable): the live server runs in this process and a frozen clock would freeze it
too. Once the check-in is seen the activity is moved to have begun five minutes ago (the
time the photos and the summary wait for), as the clock would have moved it."""

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from dangjian.attendance import checkin
from dangjian.attendance import services as attendance
from dangjian.attendance.models import AttendanceRecord, LeaveRequest, RequestStatus
from dangjian.interaction.models import Photo, Summary
from dangjian.supervision import services as supervision
from dangjian.supervision.models import Rectification, RectificationStatus
from dangjian.themedays import services as themedays
from dangjian.themedays.models import Activity, ActivityStatus
from tests.browser.conftest import _context
from tests.browser.test_registry_pages import log_in
from tests.conftest import COMMITTED

pytestmark = [pytest.mark.browser, COMMITTED]
SMALL_PHONE = {"width": 360, "height": 740}
VENUE = (33.0678, 107.0234)
THEME = "学习贯彻党的二十届四中全会精神"


@pytest.fixture
def small_phone(browser, live_server):
    """A 360×740 phone (touch, mobile viewport) that accepts downloads."""
    context = _context(
        browser,
        viewport=SMALL_PHONE,
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        accept_downloads=True,
    )
    # Posters and page loads share two cores with other work: navigation may take longer
    # than the other waits' 10 seconds.
    context.set_default_navigation_timeout(30_000)
    page = context.new_page()
    page.base = live_server.url
    yield page
    context.close()


@pytest.fixture
def month(world, settings, tmp_path):
    """This month's campaign, distributed; a rectification the county opened for the
    branch. Returns the planned start: in 20 minutes."""
    settings.MEDIA_ROOT = tmp_path / "media"
    now = timezone.localtime()
    start = (now + timedelta(minutes=20)).replace(second=0, microsecond=0)
    if (start + timedelta(minutes=30)).date() != now.date():
        pytest.skip("the plan's start and end must fall on today's date")
    campaign = themedays.create_campaign(
        actor=world.city_admin,
        org=world.city,
        month=f"{now:%Y-%m}",
        theme=THEME,
        holding_from=now.date() - timedelta(days=1),
        holding_until=now.date() + timedelta(days=1),
    )
    themedays.request_distribution(actor=world.city_admin, campaign=campaign)
    supervision.open_rectification(
        actor=world.a.admin,
        branch=world.a.branch,
        title="三会一课记录不全",
        requirement="补齐上月支部委员会会议记录。",
        deadline=now.date() + timedelta(days=7),
    )
    return start


def fits(page) -> None:
    """No horizontal overflow: the document is no wider than the viewport."""
    width, viewport = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= viewport, f"{page.url}: {width}px wide in a {viewport}px viewport"


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (800, 600), (200, 30, 30)).save(out, format="JPEG", quality=85)
    return out.getvalue()


def test_a_secretary_does_the_whole_month_on_a_360_px_phone(world, month, small_phone, shot):
    page = small_phone
    start = month
    secretary = world.a.branch_admin

    # This month: the theme day, no plan yet, the next step is to draft it.
    log_in(page, "/m/month/", secretary.phone)
    branch = page.get_by_test_id("month-branch")
    expect(branch).to_contain_text(THEME)
    expect(page.get_by_test_id("month-stage")).to_have_text("未制定计划")
    expect(page.get_by_test_id("month-next")).to_contain_text("制定并提交活动计划")
    expect(page.locator("#rectifications")).to_contain_text("三会一课记录不全")
    fits(page)
    shot(page, "month-360-start")

    # The plan: drafted and submitted on the phone.
    page.get_by_test_id("month-next").get_by_role("link", name="去办理").click()
    expect(page.locator(".m-header")).to_contain_text("制定活动计划")
    fits(page)
    page.get_by_label("活动日期").fill(start.date().isoformat())
    page.get_by_label("开始时间").fill(f"{start:%H:%M}")
    page.get_by_label("结束时间").fill(f"{start + timedelta(minutes=30):%H:%M}")
    page.get_by_label("活动地点", exact=True).fill("村党员活动室")
    page.get_by_label("纬度").fill(f"{VENUE[0]:.6f}")
    page.get_by_label("经度").fill(f"{VENUE[1]:.6f}")
    page.get_by_role("button", name="提交审核").click()
    expect(page.get_by_test_id("plan-status")).to_have_text("待审核")
    fits(page)
    activity = Activity.objects.get(branch=world.a.branch)
    assert activity.status == ActivityStatus.SUBMITTED

    # The county approves it (through the service); back on the month page: the poster.
    activity = themedays.approve_activity(actor=world.a.admin, activity=activity)
    page.goto(page.base + "/m/month/")
    expect(page.get_by_test_id("month-stage")).to_have_text("已通过")
    expect(page.get_by_test_id("month-next")).to_contain_text("下载或分享签到海报")
    fits(page)
    page.get_by_test_id("month-next").get_by_role("link", name="去办理").click()
    expect(page.locator(".m-header")).to_contain_text("签到海报")
    expect(page.get_by_test_id("poster-preview")).to_be_visible()
    page.wait_for_function(
        "document.querySelector('[data-testid=poster-preview]').naturalWidth > 0"
    )
    fits(page)
    shot(page, "month-360-poster")
    with page.expect_download() as info:
        page.get_by_test_id("poster-pdf").click()
    download = info.value
    assert download.suggested_filename == f"checkin-poster-{activity.pk}.pdf"
    with open(download.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"

    # A member asks for leave; the secretary approves it from the attendance page.
    leave = attendance.request_leave(
        actor=world.a.flowing.user, activity=activity, reason="在外地务工"
    )
    page.goto(page.base + "/m/month/")
    page.get_by_role("link", name="签到情况 ›").click()
    expect(page.locator(".m-header")).to_contain_text("签到情况")
    card = page.get_by_test_id(f"leave-{leave.pk}")
    expect(card).to_contain_text("在外地务工")
    fits(page)
    card.get_by_role("button", name="批准", exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text(
        f"已批准 {world.a.flowing.name} 的请假"
    )
    expect(page.get_by_test_id(f"leave-{leave.pk}")).to_contain_text("已批准")
    assert LeaveRequest.objects.get(pk=leave.pk).status == RequestStatus.APPROVED

    # A member checks in at the venue; the live list shows it without a reload (htmx).
    expect(page.get_by_test_id("count-present")).to_contain_text("0")
    checkin.check_in(
        actor=world.a.member.user,
        token=activity.checkin_token,
        latitude=VENUE[0],
        longitude=VENUE[1],
        accuracy_m=15,
    )
    expect(page.get_by_test_id("count-present")).to_contain_text("1", timeout=15_000)
    expect(page.get_by_test_id("count-leave")).to_contain_text("1")
    row = page.get_by_test_id("attendance-list").locator("li", has_text=world.a.member.name)
    expect(row).to_contain_text("已签到")
    fits(page)
    shot(page, "month-360-attendance")
    assert AttendanceRecord.objects.get(member=world.a.member).status == "checked_in"

    # The rotating QR for a screen: switched on, then shown as large as the phone allows,
    # upright and turned sideways.
    page.get_by_test_id("start-screen").click()
    qr = page.get_by_test_id("screen-qr").locator("svg")
    expect(qr).to_be_visible()
    fits(page)
    box = qr.bounding_box()
    assert box["width"] >= 250 and box["x"] >= 0 and box["x"] + box["width"] <= 360
    shot(page, "month-360-screen")
    page.set_viewport_size({"width": 740, "height": 360})
    expect(qr).to_be_visible()
    box = page.get_by_test_id("screen-qr").locator("svg").bounding_box()
    assert box["y"] + box["height"] <= 360, "the QR code fits a sideways phone's height"
    fits(page)
    shot(page, "month-360-screen-landscape", full_page=False)
    page.set_viewport_size(SMALL_PHONE)
    page.get_by_role("link", name="返回签到情况").click()
    expect(page.locator(".m-header")).to_contain_text("签到情况")

    # The activity has begun: photos and the summary.
    begun = timezone.now() - timedelta(minutes=5)
    Activity.objects.filter(pk=activity.pk).update(
        starts_at=begun, ends_at=begun + timedelta(minutes=30)
    )
    page.goto(page.base + "/m/month/")
    expect(page.get_by_test_id("month-next")).to_contain_text("投屏签到，查看实时签到")
    page.get_by_role("link", name="上传活动照片，填写活动总结").click()
    expect(page.locator(".m-header")).to_contain_text("活动记录")
    fits(page)
    page.get_by_label("拍照或从相册选择").set_input_files(
        files=[{"name": "现场.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}]
    )
    page.get_by_role("button", name="上传照片").click()
    expect(page.get_by_role("status").first).to_contain_text("已上传 1 张照片")
    expect(page.get_by_test_id("record-photos").locator("img")).to_have_count(1)
    page.get_by_label("活动总结").fill("全体党员学习了全会精神，开展了民主议事。")
    page.get_by_role("button", name="保存总结").click()
    expect(page.get_by_role("status").first).to_contain_text("活动总结已保存")
    expect(page.get_by_label("活动总结")).to_have_value("全体党员学习了全会精神，开展了民主议事。")
    fits(page)
    shot(page, "month-360-record")
    assert Photo.objects.filter(activity=activity).count() == 1
    assert Summary.objects.get(activity=activity).text.startswith("全体党员学习了全会精神")

    # The rectification: answered from the month page.
    page.goto(page.base + "/m/month/")
    page.get_by_test_id("rectification-link").click()
    expect(page.locator(".m-header")).to_contain_text("整改任务")
    expect(page.get_by_test_id("rectification-status")).to_have_text("整改中")
    fits(page)
    page.get_by_label("整改情况", exact=True).fill("已补齐上月支部委员会会议记录并存档。")
    page.get_by_role("button", name="提交整改情况").click()
    expect(page.get_by_role("status").first).to_contain_text("已提交整改情况")
    expect(page.locator("#rectifications")).to_contain_text("待验收")
    fits(page)
    shot(page, "month-360-end")
    assert Rectification.objects.get().status == RectificationStatus.ANSWERED

    # The plan list and the plan itself, reached from the month, fit the phone too.
    page.get_by_role("link", name="全部活动计划 ›").click()
    expect(page.locator(".m-header")).to_contain_text("活动计划")
    fits(page)
    page.goto(page.base + "/m/month/")
    page.get_by_role("link", name="活动计划 ›", exact=True).click()
    expect(page.get_by_test_id("plan-next")).to_be_visible()
    fits(page)

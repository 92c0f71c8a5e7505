"""A home per role in a real browser (issue 22, point 2): the city admin signs in and lands
on the console's home, whose to-do panel counts what the database holds, and follows a
to-do to its page; a county admin's panel counts their county only; a branch secretary
signing in lands on the phone's month."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from dangjian.attendance.models import Correction, LeaveRequest, RequestStatus
from dangjian.core import clock
from dangjian.supervision.models import (
    RecordReview,
    Rectification,
    RectificationStatus,
    ReviewStatus,
)
from dangjian.themedays.models import Activity, ActivityStatus
from tests.conftest import COMMITTED
from tests.console import home_scene
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, COMMITTED]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def sign_in(page, phone: str) -> None:
    """Sign in from the site's root, as anyone opening the address does."""
    page.goto(page.base + "/", timeout=60_000)  # the first request warms the server
    page.get_by_label("手机号").fill(phone)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def panel_counts(page) -> dict[str, int]:
    cards = page.locator('[data-testid="todo-panel"] a[data-testid^="todo-"]')
    counts = {}
    for i in range(cards.count()):
        card = cards.nth(i)
        key = card.get_attribute("data-testid").removeprefix("todo-")
        counts[key] = int(card.locator(".kpi-value").inner_text())
    return counts


def database_counts(path: str) -> dict[str, int]:
    """What waits under the organization at `path`, read straight from the tables."""
    today = clock.today()
    rect = Rectification.objects.filter(branch__path__startswith=path)
    open_ = rect.filter(status=RectificationStatus.OPEN)
    closed = Activity.objects.filter(
        branch__path__startswith=path, status=ActivityStatus.CLOSED, is_historical=False
    )
    return {
        "plans": Activity.objects.filter(
            branch__path__startswith=path, status=ActivityStatus.SUBMITTED
        ).count(),
        "leaves": LeaveRequest.objects.filter(
            activity__branch__path__startswith=path, status=RequestStatus.PENDING
        ).count(),
        "corrections": Correction.objects.filter(
            activity__branch__path__startswith=path, status=RequestStatus.PENDING
        ).count(),
        "records": closed.exclude(record_review__status__in=["sent_back", "passed"]).count(),
        "records_sent_back": RecordReview.objects.filter(
            branch__path__startswith=path, status=ReviewStatus.SENT_BACK
        ).count(),
        "rect_overdue": open_.filter(deadline__lt=today).count(),
        "rect_due": open_.filter(
            deadline__gte=today, deadline__lte=today + timedelta(days=7)
        ).count(),
        "rect_answered": rect.filter(status=RectificationStatus.ANSWERED).count(),
        "sheet": 0,  # no month's sheets made in this test
    }


def test_the_city_admin_lands_on_the_home_and_follows_a_to_do(world, desktop, shot):
    home_scene.build(world)
    page = desktop
    sign_in(page, world.city_admin.phone)
    expect(page).to_have_url(page.base + "/console/home/")
    expect(page.get_by_role("heading", name="汉中市 · 工作台")).to_be_visible()
    counts = panel_counts(page)
    expected = database_counts(world.city.path)
    assert counts == expected
    assert (counts["plans"], counts["rect_overdue"], counts["corrections"]) == (3, 1, 1)
    expect(page.get_by_test_id("nav-plan-review")).to_contain_text("3")
    expect(page.get_by_test_id("nav-supervision")).to_contain_text("3")
    expect(page.get_by_test_id("todo-rect_overdue")).to_have_class("kpi warn")
    shot(page, "console-home")

    # The plans to review: the queue, every waiting plan on it.
    page.get_by_test_id("todo-plans").click()
    expect(page).to_have_url(page.base + "/console/reviews/")
    expect(page.get_by_role("heading", name="计划审核")).to_be_visible()
    for title in ("下月主题党日", "社区主题党日", "南郑主题党日"):
        expect(page.get_by_role("link", name=title)).to_be_visible()

    # The overdue rectifications: the scope's supervision page, filtered to them.
    page.get_by_test_id("nav-home").click()
    page.get_by_test_id("todo-rect_overdue").click()
    expect(page).to_have_url(page.base + f"/console/supervision/orgs/{world.city.pk}/?overdue=1")
    expect(page.get_by_text("学习记录不完整")).to_be_visible()
    expect(page.get_by_text("活动照片不清晰")).to_have_count(0)

    # The organization tree stays in the menu.
    page.get_by_role("link", name="组织架构").click()
    expect(page.locator("#org-tree")).to_contain_text("汉中市")


def test_a_county_admin_sees_only_their_countys_to_dos(world, desktop):
    home_scene.build(world)
    page = desktop
    sign_in(page, world.b.admin.phone)
    expect(page).to_have_url(page.base + "/console/home/")
    counts = panel_counts(page)
    assert counts == database_counts(world.b.org.path)
    assert counts["plans"] == 1 and sum(counts.values()) == 1
    expect(page.get_by_test_id("nav-plan-review").locator(".badge")).to_have_text("1")
    expect(page.get_by_test_id("nav-supervision").locator(".badge")).to_have_count(0)


def test_a_branch_secretary_lands_on_the_phones_month(world, phone):
    page = phone
    sign_in(page, world.a.branch_admin.phone)
    expect(page).to_have_url(page.base + "/m/month/")

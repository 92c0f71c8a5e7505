"""Progress on long work, in a real browser (Debian chromium): the city admin distributes a
campaign to a dozen branches and watches the job's bar move (its page polls it every
second), sees it end with the summary and the link to the campaign's progress, finds the
notice in the inbox and the job under 我的任务.

The task runs as a worker would run it, beside the request: settings.JOBS_RUN_IN_THREAD runs
the eager task in a thread (docs/architecture.md, "Background work"), one branch a step
(DISTRIBUTION_BRANCH_BATCH) with a pause after each step (JOBS_STEP_PAUSE_SECONDS), so that
the page sees the bar between its ends. The campaign sits on the real clock: the live
server runs in this process and a frozen clock would freeze it too."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dangjian.notifications.models import Job, JobStatus, Notification
from dangjian.themedays import services
from dangjian.themedays.models import PlanningTask
from tests.browser.test_registry_pages import log_in
from tests.conftest import COMMITTED
from tests.factories import make_org

pytestmark = [pytest.mark.browser, COMMITTED]
THEME = "学习贯彻党的二十届四中全会精神"
EXTRA_BRANCHES = 8
BRANCHES = 4 + EXTRA_BRANCHES  # the shared world's four, and these
MIDWAY = """() => {
  const bar = document.querySelector('[data-testid="job-progress"] progress');
  return bar !== null && Number(bar.value) > 0 && Number(bar.value) < Number(bar.max);
}"""


@pytest.fixture
def watched_distribution(settings):
    settings.JOBS_RUN_IN_THREAD = True
    settings.DISTRIBUTION_BRANCH_BATCH = 1
    settings.JOBS_STEP_PAUSE_SECONDS = 0.8


@pytest.fixture
def campaign(world):
    for n in range(EXTRA_BRANCHES):
        make_org(world.city_admin, world.a.town, f"汉台区第{n + 1}村党支部", code=f"B-X{n}")
    today = timezone.localdate()
    return services.create_campaign(
        actor=world.city_admin,
        org=world.city,
        month=f"{today:%Y-%m}",
        theme=THEME,
        holding_from=today,
        holding_until=today + timedelta(days=10),
    )


def test_an_admin_watches_a_distribution_move_then_finds_its_summary_link_and_notice(
    world, campaign, watched_distribution, desktop, shot
):
    page = desktop
    # A machine busy with other work answers slowly; the waits below are for the job.
    page.set_default_timeout(30_000)
    detail = f"/console/campaigns/{campaign.pk}/"
    log_in(page, detail, world.city_admin.phone)
    page.on("dialog", lambda dialog: dialog.accept())
    page.locator("#distribution").get_by_role("button", name="一键下发").click()

    # The bar, mid-way: some branches done, not all.
    job = page.get_by_test_id("job-progress")
    expect(job).to_be_visible()
    page.wait_for_function(MIDWAY, timeout=30_000)
    count = job.get_by_test_id("job-count").inner_text()
    done, total = (int(n) for n in count.removeprefix("已完成").split("/"))
    assert 0 < done < total == BRANCHES, count
    shot(page, "job-progress-midway")

    # The end: the summary and its link; the page stops asking.
    summary = page.get_by_test_id("job-summary")
    expect(summary).to_have_text(
        f"下发完成：{BRANCHES} 个党支部，已通知 6 名党员。", timeout=40_000
    )
    expect(job).to_have_attribute("data-status", "succeeded")
    expect(job.get_by_test_id("job-count")).to_have_text(f"已完成 {BRANCHES} / {BRANCHES}")
    assert job.get_attribute("hx-trigger") is None
    # The card around it follows without a reload (the job's end, jobFinished, redraws it).
    card = page.locator("#distribution")
    expect(card.get_by_test_id("distributed-branches")).to_have_text(str(BRANCHES))
    expect(card).not_to_contain_text("下发中")
    expect(card).to_contain_text("已下发")
    shot(page, "job-progress-done")
    stored = Job.objects.get()
    assert (stored.status, stored.done, stored.total) == (JobStatus.SUCCEEDED, BRANCHES, BRANCHES)
    assert PlanningTask.objects.filter(campaign=campaign).count() == BRANCHES

    job.get_by_role("link", name="查看结果").click()
    expect(page).to_have_url(f"{page.base}/console/campaigns/{campaign.pk}/progress/")

    # The inbox has the notice, linking to the same result.
    page.goto(page.base + "/m/inbox/")
    expect(page.locator("body")).to_contain_text(f"已完成：下发：{THEME}")
    expect(page.locator("body")).to_contain_text(f"下发完成：{BRANCHES} 个党支部")
    notice = Notification.objects.get(user=world.city_admin, kind="job")
    assert notice.link == f"/console/campaigns/{campaign.pk}/progress/"

    # 我的任务 lists it, finished.
    page.goto(page.base + "/console/")
    page.get_by_test_id("nav-jobs").click()
    row = page.get_by_test_id("job-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(f"下发：{THEME}")
    expect(row).to_contain_text(f"已完成 · {BRANCHES} / {BRANCHES}")

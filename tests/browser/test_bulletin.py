"""The quarterly bulletin in a real browser (Debian chromium, issue 21): the city's admin
generates last quarter's bulletin on the console, looks it over, publishes it and opens the
PDF, which is a PDF titled with the quarter. The quarter is the real clock's last one: the
live server runs in this process and a frozen clock would freeze it too."""

import pypdfium2
import pytest
from playwright.sync_api import expect

from dangjian.core import clock
from dangjian.scoring.formula import shift
from dangjian.scoring.models import BranchPeriodScore
from dangjian.scoring.selectors import current_period
from dangjian.supervision.models import Bulletin, BulletinStatus
from tests.browser.conftest import ARTIFACTS
from tests.conftest import COMMITTED
from tests.factories import PASSWORD
from tests.scoring.test_rankings import set_month

pytestmark = [pytest.mark.browser, COMMITTED]


def test_the_city_admin_generates_publishes_and_opens_the_quarterly_bulletin(
    world, desktop, shot, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    quarter = shift(current_period("quarter", clock.today()), -1)
    for month in quarter.months:
        set_month(world.a.branch, month, 9000)
    BranchPeriodScore.objects.create(
        branch=world.a.branch,
        kind="quarter",
        period_start=quarter.start,
        score_hundredths=9000,
        held_months=3,
        computed_at=clock.now(),
    )
    year, number = quarter.label.split("-Q")
    title = f"汉中市 {year} 年第 {number} 季度党建工作通报"

    page = desktop
    # The live server's first request loads the whole application: on a busy machine that
    # alone can take longer than the default timeout.
    page.goto(page.base + "/console/supervision/bulletins/", timeout=60_000)
    page.get_by_label("手机号").fill(world.city_admin.phone)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="季度通报", exact=True)).to_be_visible()
    form = page.get_by_test_id("bulletin-generate")
    expect(form.get_by_label("季度")).to_have_value(quarter.label)
    form.get_by_label("通报单位").select_option(label="汉中市")
    form.get_by_role("button", name="生成草稿").click()
    # The generation is a job: its page counts the five steps, then links to the draft.
    expect(page.get_by_test_id("job-count")).to_have_text("已完成 5 / 5")
    page.get_by_test_id("job-result").click()

    expect(page.get_by_test_id("bulletin-title")).to_contain_text(title)
    expect(page.get_by_test_id("bulletin-status")).to_have_text("草稿")
    expect(page.get_by_test_id("bulletin-children")).to_contain_text("汉台区45.00")
    shot(page, "bulletin-draft")
    page.get_by_test_id("bulletin-publish").click()
    expect(page.get_by_test_id("bulletin-status")).to_have_text("已发布")
    assert Bulletin.objects.get().status == BulletinStatus.PUBLISHED
    shot(page, "bulletin-published")

    href = page.get_by_test_id("bulletin-pdf").get_attribute("href")
    pdf = page.context.request.get(page.base + href)
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    body = pdf.body()
    (ARTIFACTS / "bulletin.pdf").write_bytes(body)
    assert body.startswith(b"%PDF")
    text = pypdfium2.PdfDocument(body)[0].get_textpage().get_text_range()
    assert title in text

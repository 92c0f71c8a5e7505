"""The ranking page in a real browser (desktop): its bar chart is drawn on a canvas from the
page's rows, and each branch is shown with its county and town, so that two branches of
the same name are told apart."""

from datetime import date

import pytest
from playwright.sync_api import expect

from dangjian.registry.models import Sector
from tests.browser.test_dashboards import chart_series, log_in, red_pixels
from tests.conftest import COMMITTED
from tests.factories import make_org
from tests.scoring.test_rankings import set_month

pytestmark = [pytest.mark.browser, COMMITTED]
DEC = date(2026, 12, 1)
SAME = "南团结社区党支部"


def test_the_ranking_draws_its_chart_and_shows_county_and_town(world, desktop, shot):
    a = make_org(world.city_admin, world.a.town, SAME, sector=Sector.COMMUNITY, code="S-A")
    b = make_org(world.city_admin, world.b.town, SAME, sector=Sector.COMMUNITY, code="S-B")
    set_month(a, DEC, 8000)
    set_month(b, DEC, 6000)

    page = desktop
    log_in(page, world.city_admin.phone)
    page.goto(f"{page.base}/console/dashboards/orgs/{world.city.pk}/ranking/?period=2026-12")
    chart = page.get_by_test_id("ranking-chart")
    expect(chart).to_have_attribute("data-rendered", "true")
    expect(chart.locator("canvas")).to_have_count(1)
    # Best at the top: the series runs bottom up.
    assert chart_series(page, "#chart-ranking")[-2:] == [60.0, 80.0]
    assert red_pixels(chart.screenshot()) > 100  # the bars are really painted

    headers = page.locator("table.ranking thead th")
    expect(headers.nth(2)).to_have_text("区县")
    expect(headers.nth(3)).to_have_text("乡镇（街道）")
    twins = page.locator("table.ranking tbody tr", has_text=SAME)
    expect(twins).to_have_count(2)
    expect(twins.nth(0).locator(".c-county")).to_have_text("汉台区")
    expect(twins.nth(0).locator(".c-town")).to_have_text("汉台区某镇党委")
    expect(twins.nth(1).locator(".c-county")).to_have_text("南郑区")
    expect(twins.nth(1).locator(".c-town")).to_have_text("南郑区某镇党委")

    # The category is a choice of the branches' real categories.
    options = page.locator('select[name="category"] option')
    expect(options).to_have_text(["全部", "五星", "未分类"])
    shot(page, "console-ranking-chart")

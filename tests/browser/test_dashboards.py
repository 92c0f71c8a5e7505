"""The dashboards in a real browser: a city admin opens the city's dashboard, the ranking
bar chart is drawn by ECharts (served from our own static files) with the counties' data,
a click on a bar drills down, and the tables lead on to a branch, its activity and each
member's attendance."""

import io
from datetime import date

import pytest
from playwright.sync_api import expect

from dangjian.scoring import selectors, services
from tests.conftest import COMMITTED
from tests.factories import PASSWORD
from tests.scoring.conftest import attend, like, make_activity, photos, summary
from tests.scoring.test_rankings import set_month

pytestmark = [pytest.mark.browser, COMMITTED]
DEC = date(2026, 12, 1)
RED = (0xC8, 0x16, 0x1D)


def log_in(page, phone: str) -> None:
    page.goto(page.base + "/login/")
    page.get_by_label("手机号").fill(phone)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).not_to_have_url(page.base + "/login/")


def red_pixels(png: bytes) -> int:
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    width, height = image.size
    pixels = image.load()
    return sum(
        1
        for x in range(0, width, 2)
        for y in range(0, height, 2)
        if all(abs(c - t) < 30 for c, t in zip(pixels[x, y], RED, strict=True))
    )


def chart_series(page, selector: str) -> list:
    return page.evaluate(
        """(sel) => {
            const chart = echarts.getInstanceByDom(document.querySelector(sel));
            return chart.getOption().series[0].data;
        }""",
        selector,
    )


def test_a_city_admin_drills_down_from_the_city_to_a_members_attendance(world, desktop, shot):
    activity = make_activity(world.a.branch, DEC)
    attend(activity, world.a.member)
    like(activity, world.a.flowing)
    photos(activity, 4)
    summary(activity, "学" * 400)
    services.recompute(org=world.city, period=selectors.parse_period("2026-12"))
    set_month(world.b.branch, DEC, 6000)

    page = desktop
    log_in(page, world.city_admin.phone)
    page.goto(f"{page.base}/console/dashboards/orgs/{world.city.pk}/?period=2026-12")
    expect(page.get_by_role("heading", name="汉中市 · 2026-12 月度看板")).to_be_visible()

    # The ranking chart: drawn on a canvas, with the two counties' means as its bars.
    ranking = page.locator("#chart-ranking")
    expect(ranking).to_have_attribute("data-rendered", "true")
    expect(ranking.locator("canvas")).to_have_count(1)
    # County A: (its activity's score + 0) / 2; county B: (60 + 0) / 2 = 30.
    a_score = float(selectors.org_score(world.a.org, selectors.parse_period("2026-12")))
    assert sorted(chart_series(page, "#chart-ranking")) == sorted([a_score, 30.0])
    assert red_pixels(ranking.screenshot()) > 100  # the bars are really painted
    for chart in ("#chart-distribution", "#chart-sectors", "#chart-trend"):
        expect(page.locator(chart)).to_have_attribute("data-rendered", "true")
        expect(page.locator(chart).locator("canvas")).to_have_count(1)
    shot(page, "dashboard-city")

    # Clicking county A's bar opens county A's dashboard.
    point = page.evaluate(
        """([sel, name]) => {
            const el = document.querySelector(sel);
            const chart = echarts.getInstanceByDom(el);
            const names = chart.getOption().yAxis[0].data;
            const values = chart.getOption().series[0].data;
            const i = names.indexOf(name);
            const [x, y] = chart.convertToPixel({seriesIndex: 0}, [values[i] / 2, i]);
            return {x, y};
        }""",
        ["#chart-ranking", "汉台区"],
    )
    box = ranking.bounding_box()
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
    expect(page).to_have_url(
        f"{page.base}/console/dashboards/orgs/{world.a.org.pk}/?period=2026-12"
    )
    expect(page.get_by_role("heading", name="汉台区 · 2026-12 月度看板")).to_be_visible()

    # Down the tables: the town, the branch, its activity.
    page.locator("table.ranking").get_by_role("link", name="汉台区某镇党委").first.click()
    expect(page.get_by_role("heading", name="汉台区某镇党委 · 2026-12 月度看板")).to_be_visible()
    page.locator("table.ranking").get_by_role("link", name="汉台区某村党支部").first.click()
    expect(page.locator(".page-head h1")).to_contain_text("汉台区某村党支部")
    expect(page.locator("#chart-months")).to_have_attribute("data-rendered", "true")
    shot(page, "dashboard-branch")
    page.locator("table.activities").get_by_role("link", name=activity.title).click()
    expect(page.get_by_role("heading", name=activity.title)).to_be_visible()
    roster = page.locator("table.roster tbody tr")
    expect(roster).to_have_count(3)
    expect(page.locator("table.roster")).to_contain_text(world.a.member.name)
    expect(page.locator("table.roster")).to_contain_text("已签退")

    # The sign-in count links to the members behind it.
    page.locator("table.components").get_by_role("link", name="已签到 1").click()
    expect(roster).to_have_count(1)
    expect(roster.first).to_contain_text(world.a.member.name)
    shot(page, "dashboard-activity")

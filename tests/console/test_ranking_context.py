"""Rankings with their context: each branch shown with its county and town (two branches
of the same name told apart), read in the same query whatever the page's size; the
ranking's bar chart; the category as a choice of the real categories, an unknown one
left out with a Chinese notice; the same county and town over the API."""

import io
import json
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from dangjian.registry.models import OrgKind, Sector
from dangjian.scoring import selectors
from tests.factories import make_org
from tests.scoring.conftest import clock  # noqa: F401
from tests.scoring.test_rankings import set_month

pytestmark = pytest.mark.django_db
DEC = date(2026, 12, 1)
SAME = "南团结社区党支部"


@pytest.fixture
def twins(world, clock):  # noqa: F811
    """A branch of the same name in each county's town, and one in a general branch."""
    a = make_org(world.city_admin, world.a.town, SAME, sector=Sector.COMMUNITY, code="S-A")
    b = make_org(world.city_admin, world.b.town, SAME, sector=Sector.COMMUNITY, code="S-B")
    general = make_org(
        world.city_admin, world.b.town, "某总支", kind=OrgKind.GENERAL_BRANCH, code="G-B"
    )
    deep = make_org(world.city_admin, general, "总支下第一党支部", code="S-B2", category="五星")
    set_month(a, DEC, 8000)
    set_month(b, DEC, 6000)
    set_month(deep, DEC, 5000)
    return a, b, deep


def ranking_url(world, **query) -> str:
    params = "&".join(f"{k}={v}" for k, v in {"period": "2026-12", **query}.items())
    return f"/console/dashboards/orgs/{world.city.pk}/ranking/?{params}"


def test_each_branch_is_shown_with_its_county_and_town(world, page, twins):
    html = page(world.city_admin).get(ranking_url(world)).content.decode()
    assert html.count(SAME) == 2
    for county in ("汉台区", "南郑区"):
        cells = f'<td class="c-county">{county}</td><td class="c-town">{county}某镇党委</td>'
        assert f"{SAME}</a></td>\n    {cells}" in html
    # Under a general branch: still its county and its town.
    assert (
        '总支下第一党支部</a></td>\n    <td class="c-county">南郑区</td>'
        '<td class="c-town">南郑区某镇党委</td>' in html
    )


def test_the_filtered_ranking_shows_them_too(world, page, twins):
    html = page(world.city_admin).get(ranking_url(world, held="1")).content.decode()
    assert '<td class="c-county">南郑区</td><td class="c-town">南郑区某镇党委</td>' in html
    assert '<td class="c-county">汉台区</td><td class="c-town">汉台区某镇党委</td>' in html


def test_the_places_cost_no_query_per_row(world, twins):
    period = selectors.parse_period("2026-12")
    with CaptureQueriesContext(connection) as few:
        count, rows = selectors.ranking_page(world.city, period)
    for n in range(12):
        make_org(world.city_admin, world.a.town, f"又一个党支部{n}", code=f"X-{n}")
    with CaptureQueriesContext(connection) as many:
        count_more, more = selectors.ranking_page(world.city, period)
        whole = selectors.ranking(world.city, period, places=True)
    assert count_more == count + 12 and len(more) == len(rows) + 12
    assert len(many) == len(few) + 1  # the whole ranking: one query more, not one a row
    assert len(few) == 1
    assert {r.county for r in whole} == {"汉台区", "南郑区"}
    assert {(r.name, r.county) for r in more if r.name == SAME} == {
        (SAME, "汉台区"),
        (SAME, "南郑区"),
    }


def test_the_ranking_page_costs_the_same_queries_whatever_its_rows(world, page, twins):
    client = page(world.city_admin)
    client.get(ranking_url(world))
    with CaptureQueriesContext(connection) as few:
        client.get(ranking_url(world))
    for n in range(12):
        make_org(world.city_admin, world.b.town, f"又一个党支部{n}", code=f"X-{n}")
    with CaptureQueriesContext(connection) as many:
        html = client.get(ranking_url(world)).content.decode()
    assert html.count('<td class="c-county">南郑区</td>') == 16
    assert len(many) == len(few)


def test_a_county_ranking_names_the_county_and_the_town(world, twins):
    _count, rows = selectors.ranking_page(world.b.org, selectors.parse_period("2026-12"))
    assert {(r.county, r.town) for r in rows} == {("南郑区", "南郑区某镇党委")}


def test_the_branch_ranking_exports_each_branchs_county_and_town(world, page, twins):
    url = f"/console/dashboards/orgs/{world.city.pk}/ranking.xlsx?period=2026-12"
    ws = load_workbook(io.BytesIO(page(world.city_admin).get(url).content)).active
    header = next(r for r in ws.iter_rows(values_only=True) if r and r[0] == "名次")
    assert header[:4] == ("名次", "组织", "区县", "乡镇（街道）")
    rows = [r[:4] for r in ws.iter_rows(values_only=True) if r and isinstance(r[0], int)]
    assert rows[:2] == [
        (1, SAME, "汉台区", "汉台区某镇党委"),
        (2, SAME, "南郑区", "南郑区某镇党委"),
    ]
    # The children's ranking keeps its columns: they are the counties themselves.
    children = load_workbook(
        io.BytesIO(page(world.city_admin).get(url + "&level=children").content)
    )
    header = next(r for r in children.active.iter_rows(values_only=True) if r and r[0] == "名次")
    assert "区县" not in header


def test_the_ranking_page_draws_its_bar_chart_from_its_rows(world, page, twins):
    html = page(world.city_admin).get(ranking_url(world)).content.decode()
    assert "echarts.min.js" in html and "dj/dashboards.js" in html
    assert 'data-chart="ranking" data-type="hbar" data-source="data-ranking"' in html
    assert '<script id="data-ranking" type="application/json">' in html
    data = html.split('<script id="data-ranking" type="application/json">')[1]
    chart = json.loads(data.split("</script>")[0])
    # Best first; the twins told apart by their towns.
    assert chart["names"][:3] == [
        f"{SAME}（汉台区某镇党委）",
        f"{SAME}（南郑区某镇党委）",
        "总支下第一党支部",
    ]
    assert chart["values"][:3] == [80.0, 60.0, 50.0]
    assert len(chart["names"]) == len(chart["values"]) == len(chart["links"])


def test_the_category_is_a_choice_of_the_real_categories(world, page, twins):
    client = page(world.city_admin)
    html = client.get(ranking_url(world)).content.decode()
    assert '<select name="category">' in html
    assert '<option value="五星">五星</option>' in html
    assert 'name="category" value=' not in html  # no free text
    chosen = client.get(ranking_url(world, category="五星")).content.decode()
    assert '<option value="五星" selected>五星</option>' in chosen
    assert "总支下第一党支部" in chosen and SAME not in chosen
    # The dashboard's own filter offers the same choices.
    board = client.get(f"/console/dashboards/orgs/{world.city.pk}/?period=2026-12")
    assert '<option value="五星">五星</option>' in board.content.decode()


def test_an_unknown_category_is_left_out_with_a_notice(world, page, twins):
    resp = page(world.city_admin).get(ranking_url(world, category="不存在<b>"))
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "没有这个分类：不存在&lt;b&gt;，已显示全部分类。" in html
    assert html.count(SAME) >= 2  # every branch, unfiltered


def test_uncategorized_is_a_choice_on_the_ranking(world, page, twins):
    html = page(world.city_admin).get(ranking_url(world, category="-")).content.decode()
    assert '<option value="-" selected>未分类</option>' in html
    assert SAME in html and "总支下第一党支部" not in html


def test_another_countys_admin_and_the_outsider_see_no_ranking(world, page, twins):
    assert (
        page(world.b.admin)
        .get(f"/console/dashboards/orgs/{world.a.org.pk}/ranking/?period=2026-12")
        .status_code
        == 404
    )
    assert page(world.outsider).get(ranking_url(world)).status_code == 403


def test_the_api_ranking_names_county_and_town(world, api, twins):
    resp = api(world.city_admin).get(f"/orgs/{world.city.pk}/ranking", {"period": "2026-12"})
    assert resp.status_code == 200
    items = {(i["name"], i["county"], i["town"]) for i in resp.json()["items"]}
    assert (SAME, "汉台区", "汉台区某镇党委") in items
    assert (SAME, "南郑区", "南郑区某镇党委") in items
    children = api(world.city_admin).get(
        f"/orgs/{world.city.pk}/ranking", {"period": "2026-12", "level": "children"}
    )
    assert {i["county"] for i in children.json()["items"]} == {""}
    outsider = api(world.outsider).get(f"/orgs/{world.city.pk}/ranking", {"period": "2026-12"})
    assert outsider.status_code == 404

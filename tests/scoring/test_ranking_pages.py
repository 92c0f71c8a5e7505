"""A page of a ranking, sorted and ranked in the database, is the same rows in the same
order with the same ranks as the whole ranking cut in Python; the API and the back office
page through it."""

from datetime import date, timedelta

import pytest

from dangjian.scoring import selectors
from dangjian.scoring.formula import parse_period
from tests.factories import make_org
from tests.scoring.test_rankings import set_month

pytestmark = pytest.mark.django_db
DEC = date(2026, 12, 1)
# Ties on purpose, and names whose order differs between code points and pinyin.
SCORES = [9000, 8000, 8000, 8000, 7550, 7000, 7000, 0, 6000, 9000, 5000]
NAMES = ["中", "阿", "b", "A", "张", "王", "啊", "李", "赵", "钱", "孙"]


@pytest.fixture
def many(world):
    """Eleven more branches in county A's town, plus the world's four; two with no row."""
    branches = []
    for i, (score, name) in enumerate(zip(SCORES, NAMES, strict=True)):
        branch = make_org(world.city_admin, world.a.town, f"{name}党支部", code=f"P-{i}")
        branches.append(branch)
        if i != 7:
            set_month(branch, DEC, score)
    set_month(world.a.branch, DEC, 8000)
    set_month(world.b.branch, DEC, 7000)
    return branches


def plain(rows):
    return [
        (r.org_id, r.name, r.score_hundredths, r.rank, r.held, r.activity_id, r.county, r.town)
        for r in rows
    ]


@pytest.mark.parametrize("level", ["branch", "children"])
@pytest.mark.parametrize(
    "filters", [{}, {"sector": "rural"}, {"category": "五星"}, {"sector": "community"}]
)
def test_every_page_of_a_ranking_is_the_same_slice_of_the_whole_ranking(
    world, many, level, filters
):
    period = parse_period("2026-12")
    # Branches with their county and town, as every page names them (a later page names
    # its rows after the cut).
    whole = selectors.ranking(world.city, period, level=level, places=level == "branch", **filters)
    assert level != "branch" or {r.town for r in whole} >= {world.a.town.name}
    for size in (1, 3, 4, 50):
        for offset in range(0, len(whole) + 2, size):
            count, page = selectors.ranking_page(
                world.city, period, level=level, offset=offset, limit=size, **filters
            )
            assert count == len(whole)
            assert plain(page) == plain(whole[offset : offset + size])


def test_the_api_pages_through_a_ranking_with_ranks_of_the_whole(world, api, many, settings):
    settings.API_TOKEN_TTL = timedelta(days=60)
    client = api(world.city_admin)
    url = f"/orgs/{world.city.pk}/ranking?period=2026-12"
    whole = client.get(url).json()
    assert whole["count"] == 15 == len(whole["items"])  # fewer than a page (50)
    seen = []
    for page in (1, 2, 3, 4):
        body = client.get(f"{url}&page_size=4&page={page}").json()
        assert body["count"] == 15
        seen += body["items"]
    assert seen == whole["items"]
    assert [i["rank"] for i in whole["items"][:6]] == [1, 1, 3, 3, 3, 3]
    assert client.get(f"{url}&page_size=501").status_code == 422
    assert client.get(f"{url}&page=0").status_code == 422


def test_the_back_office_ranking_pages_read_one_page_at_a_time(world, page, many, monkeypatch):
    from dangjian.console.views import dashboards

    monkeypatch.setattr(dashboards, "RANKING_PAGE_SIZE", 4)
    client = page(world.city_admin)
    url = f"/console/dashboards/orgs/{world.city.pk}/ranking/?period=2026-12"
    whole = selectors.ranking(world.city, parse_period("2026-12"))
    for number in (1, 2, 4):
        response = client.get(f"{url}&page={number}")
        assert response.status_code == 200
        shown = [line["row"].org_id for line in response.context["lines"]]
        assert shown == [r.org_id for r in whole[(number - 1) * 4 : number * 4]]
        assert response.context["total"] == 15
    # A filter Python applies (held) still pages over the filtered whole.
    response = client.get(f"{url}&held=0")
    assert [line["row"].org_id for line in response.context["lines"]] == [
        r.org_id for r in whole if not r.held
    ][:4]

"""A campaign's progress with its context: a table per county (held, not held, rate) from
one grouped query, each branch listed with its county and town, on the page and over the
API; another county's admin and the outsider see none of it."""

from datetime import date, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.registry.models import Sector
from dangjian.themedays import selectors, services
from tests.factories import make_org
from tests.themedays.conftest import DAY, NOW, plan_kwargs

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def held(world, clock):
    """The city's campaign, held by county a's village branch; a branch right under the
    city; the clock after the theme day."""
    make_org(world.city_admin, world.city, "市直机关党支部", sector=Sector.GOVERNMENT, code="D-1")
    campaign = services.create_campaign(
        actor=world.city_admin,
        org=world.city,
        month="2026-12",
        theme="十二月主题",
        holding_from=date(2026, 12, 1),
        holding_until=date(2026, 12, 20),
    )
    activity = services.draft_activity(
        actor=world.a.branch_admin, branch=world.a.branch, campaign=campaign, **plan_kwargs()
    )
    services.submit_activity(actor=world.a.branch_admin, activity=activity)
    services.approve_activity(actor=world.a.admin, activity=activity)
    clock.move_to(DAY + timedelta(hours=1))
    return campaign


def test_the_county_table_counts_held_and_not_held_with_the_rate(world, held):
    rows = selectors.county_progress(held, world.city)
    assert [(r.name, r.branches, r.held, r.not_held, r.rate) for r in rows] == [
        ("汉台区", 2, 1, 1, 50),
        ("南郑区", 2, 0, 2, 0),
        ("直属党支部", 1, 0, 1, 0),
    ]
    assert rows[0].county_id == world.a.org.pk and rows[2].county_id is None


def test_the_county_table_is_two_queries_whatever_the_number_of_branches(world, held):
    with CaptureQueriesContext(connection) as few:
        selectors.county_progress(held, world.city)
    for n in range(10):
        make_org(world.city_admin, world.b.town, f"新党支部{n}", code=f"N-{n}")
    with CaptureQueriesContext(connection) as many:
        rows = selectors.county_progress(held, world.city)
    assert len(few) == len(many) == 2
    assert rows[1].branches == 12


def test_the_progress_page_shows_the_county_table_and_each_branchs_place(world, page, held):
    url = reverse("console:campaign_progress", args=[held.pk])
    body = page(world.city_admin).get(url).content.decode()
    assert 'data-testid="county-progress"' in body
    assert (
        f'<a href="?org={world.a.org.pk}">汉台区</a></td><td class="num">2</td>'
        '<td class="num">1</td><td class="num">1</td><td class="num">50%</td>' in body
    )
    assert "直属党支部</td>" in body
    assert (
        '汉台区某村党支部</td>\n      <td class="c-county">汉台区</td>\n'
        '      <td class="c-town">汉台区某镇党委</td>' in body
    )
    assert '市直机关党支部</td>\n      <td class="c-county">—</td>' in body


def test_the_progress_page_reads_the_places_with_the_branches(world, page, held):
    url = reverse("console:campaign_progress", args=[held.pk])
    client = page(world.city_admin)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(10):
        make_org(world.city_admin, world.b.town, f"新党支部{n}", code=f"N-{n}")
    with CaptureQueriesContext(connection) as many:
        body = client.get(url).content.decode()
    assert body.count('<td class="c-county">南郑区</td>') == 12
    assert len(many) == len(few)


def test_a_county_admin_sees_their_county_without_a_county_table(world, page, held):
    url = reverse("console:campaign_progress", args=[held.pk])
    body = page(world.a.admin).get(url).content.decode()
    assert "统计范围：汉台区" in body
    assert 'data-testid="county-progress"' not in body
    assert '<td class="c-town">汉台区某镇党委</td>' in body


def test_another_countys_admin_and_the_outsider_see_nothing(world, page, held):
    url = reverse("console:campaign_progress", args=[held.pk])
    assert page(world.b.admin).get(url, {"org": world.a.org.pk}).status_code == 404
    assert page(world.outsider).get(url).status_code == 403


def test_the_api_progress_has_the_counties_and_each_branchs_place(world, api, held, settings):
    settings.API_TOKEN_TTL = timedelta(days=60)
    resp = api(world.city_admin).get(f"/campaigns/{held.pk}/progress")
    assert resp.status_code == 200
    body = resp.json()
    assert body["by_county"][0] == {
        "county_id": world.a.org.pk,
        "name": "汉台区",
        "branches": 2,
        "held": 1,
        "not_held": 1,
        "rate": 50,
    }
    places = {(b["name"], b["county"], b["town"]) for b in body["branches"]}
    assert ("汉台区某村党支部", "汉台区", "汉台区某镇党委") in places
    assert ("市直机关党支部", "", "") in places
    other = api(world.b.admin).get(f"/campaigns/{held.pk}/progress", {"org_id": world.a.org.pk})
    assert other.status_code == 404
    assert api(world.outsider).get(f"/campaigns/{held.pk}/progress").status_code == 404

"""The figures page and endpoint: the admins over an organization read its figures, nobody
else (county B's admin, a member and the outsider get the same 404 from the API; the back
office lets no non-admin in)."""

import pytest

from dangjian.core import clock
from dangjian.volunteering.models import OrderState
from tests.volunteering.conftest import make_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def orders(world, citizen, category):
    make_order(citizen, category, state=OrderState.PUBLISHED)
    make_order(citizen, category, state=OrderState.SUBMITTED)


def _who(world, name):
    return {
        "city_admin": world.city_admin,
        "county_admin": world.a.admin,
        "other_county_admin": world.b.admin,
        "member": world.a.member.user,
        "outsider": world.outsider,
        "anonymous": None,
    }[name]


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("city_admin", 200),
        ("county_admin", 200),
        ("other_county_admin", 404),
        ("member", 404),
        ("outsider", 404),
        ("anonymous", 401),
    ],
)
def test_the_api_gives_the_figures_to_the_admins_over_the_organization(
    world, orders, api, who, status
):
    response = api(_who(world, who)).get(f"/volunteer/stats?org_id={world.a.org.pk}")
    assert response.status_code == status, response.content
    if status == 200:
        body = response.json()
        assert body["orders"] == 2
        assert body["by_state"]["published"] == 1 and body["by_state"]["submitted"] == 1
        assert body["period"] == f"{clock.now():%Y-%m}"
        assert body["communities"][0]["name"] == world.a.branch.name
    elif status != 401:
        assert response.json()["code"] == "not_found"


def test_the_api_refuses_an_unreadable_period(world, api):
    response = api(world.a.admin).get(f"/volunteer/stats?org_id={world.a.org.pk}&period=2026-13")
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


def test_an_earlier_period_has_no_orders_of_this_month(world, orders, api):
    response = api(world.a.admin).get(f"/volunteer/stats?org_id={world.a.org.pk}&period=2020")
    assert response.status_code == 200
    assert response.json()["orders"] == 0


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("city_admin", 200),
        ("county_admin", 200),
        ("other_county_admin", 404),
        ("member", 403),
        ("outsider", 403),
        ("anonymous", 302),
    ],
)
def test_the_console_page_shows_the_figures_to_the_admins_over_the_organization(
    world, orders, page, who, status
):
    response = page(_who(world, who)).get(f"/console/orgs/{world.a.org.pk}/volunteering/stats/")
    assert response.status_code == status
    if status == 200:
        html = response.content.decode()
        assert "志愿服务统计" in html
        assert 'data-testid="stat-orders">2<' in html
        assert world.a.branch.name in html


def test_a_member_of_the_branch_may_not_read_its_figures(world, api):
    response = api(world.a.member.user).get(f"/volunteer/stats?org_id={world.a.branch.pk}")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"

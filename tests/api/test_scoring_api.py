"""GET /activities/{id}/score and GET /orgs/{id}/ranking: shapes, ties, filters, scope."""

from datetime import date, timedelta

import pytest

from dangjian.scoring import services
from tests.scoring.conftest import NOW, clock, make_activity, scored  # noqa: F401
from tests.scoring.test_rankings import set_month

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _long_tokens(settings):
    settings.API_TOKEN_TTL = timedelta(days=60)


def test_an_activitys_score_with_its_components(world, api, scored, clock):  # noqa: F811
    services.recompute_activity(scored.activity.pk)
    resp = api(world.a.admin).get(f"/activities/{scored.activity.pk}/score")
    assert resp.status_code == 200, resp.content
    assert resp.json() == {
        "total": 55.67,
        "policy_version": 1,
        "components": {
            "sign_in": {"value": 50.0, "weight": 70.0},
            "flowing_like": {"value": 100.0, "weight": 10.0},
            "upload": {"value": 50.0, "weight": 10.0},
            "comment": {"value": 33.33, "weight": 5.0},
            "superior": {"value": 80.0, "weight": 5.0},
        },
    }
    # The branch's members read it too; county B, the outsider and anonymous do not.
    assert (
        api(world.a.member.user).get(f"/activities/{scored.activity.pk}/score").status_code == 200
    )
    assert api(world.b.admin).get(f"/activities/{scored.activity.pk}/score").status_code == 404
    assert api(world.outsider).get(f"/activities/{scored.activity.pk}/score").status_code == 404
    assert api(None).get(f"/activities/{scored.activity.pk}/score").status_code == 401


def test_left_out_components_are_null(world, api, clock):  # noqa: F811
    activity = make_activity(world.b.other_branch, date(2026, 12, 1))  # nobody on its roster
    body = api(world.b.admin).get(f"/activities/{activity.pk}/score").json()
    assert body["components"]["sign_in"] is None
    assert body["components"]["flowing_like"] is None
    assert body["components"]["comment"] is None
    assert body["components"]["superior"] is None
    assert body["components"]["upload"] == {"value": 0.0, "weight": 100.0}
    assert body["total"] == 0.0


def test_an_activity_not_held_yet_has_no_score(world, api, clock):  # noqa: F811
    activity = make_activity(world.a.branch, date(2027, 2, 1), status="approved", freeze=False)
    resp = api(world.a.admin).get(f"/activities/{activity.pk}/score")
    assert resp.status_code == 409
    assert resp.json()["code"] == "not_held"


@pytest.fixture
def december(world):
    set_month(world.a.branch, date(2026, 12, 1), 8000)
    set_month(world.a.other_branch, date(2026, 12, 1), 9000)
    set_month(world.b.branch, date(2026, 12, 1), 8000)
    set_month(world.b.other_branch, date(2026, 12, 1), 7000)


def test_the_city_ranking_of_branches_with_ties(world, api, december):
    resp = api(world.city_admin).get(f"/orgs/{world.city.pk}/ranking?period=2026-12")
    assert resp.status_code == 200, resp.content
    items = resp.json()["items"]
    assert [i["rank"] for i in items] == [1, 2, 2, 4]
    assert {i["org_id"]: (i["score"], i["rank"]) for i in items} == {
        world.a.other_branch.pk: (90.0, 1),
        world.a.branch.pk: (80.0, 2),
        world.b.branch.pk: (80.0, 2),
        world.b.other_branch.pk: (70.0, 4),
    }
    assert set(items[0]) == {"org_id", "name", "score", "rank", "county", "town"}


def test_the_ranking_of_children_and_the_filters(world, api, december):
    client = api(world.city_admin)
    body = client.get(f"/orgs/{world.city.pk}/ranking?period=2026-12&level=children").json()
    assert [(i["org_id"], i["score"], i["rank"]) for i in body["items"]] == [
        (world.a.org.pk, 85.0, 1),
        (world.b.org.pk, 75.0, 2),
    ]
    body = client.get(
        f"/orgs/{world.city.pk}/ranking", {"period": "2026-12", "sector": "社区"}
    ).json()
    assert [i["org_id"] for i in body["items"]] == [
        world.a.other_branch.pk,
        world.b.other_branch.pk,
    ]
    body = client.get(
        f"/orgs/{world.city.pk}/ranking", {"period": "2026-12", "category": "五星"}
    ).json()
    assert {i["org_id"] for i in body["items"]} == {world.a.branch.pk, world.b.branch.pk}
    # Quarter and year rankings read the stored quarter and year rows (none here: all 0).
    body = client.get(f"/orgs/{world.city.pk}/ranking?period=2026-Q4").json()
    assert {i["rank"] for i in body["items"]} == {1}


def test_bad_periods_levels_and_sectors_are_422(world, api, december):
    client = api(world.city_admin)
    for query in ("period=2026-13", "period=2026-12&level=town", "period=2026-12&sector=火星"):
        resp = client.get(f"/orgs/{world.city.pk}/ranking?{query}")
        assert resp.status_code == 422, query
        assert resp.json()["code"] == "validation_error"


def test_a_county_admin_never_sees_the_other_countys_branches(world, api, december):
    client = api(world.a.admin)
    assert client.get(f"/orgs/{world.city.pk}/ranking?period=2026-12").status_code == 404
    assert client.get(f"/orgs/{world.b.org.pk}/ranking?period=2026-12").status_code == 404
    items = client.get(f"/orgs/{world.a.org.pk}/ranking?period=2026-12").json()["items"]
    assert {i["org_id"] for i in items} == {world.a.branch.pk, world.a.other_branch.pk}
    assert (
        api(world.outsider).get(f"/orgs/{world.a.org.pk}/ranking?period=2026-12").status_code == 404
    )


def test_the_score_follows_the_hook_end_to_end(
    world,
    api,
    clock,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    from tests.scoring.conftest import attend

    activity = make_activity(world.a.branch, date(2026, 12, 1))
    with django_capture_on_commit_callbacks(execute=True):
        attend(activity, world.a.member)
        services.inputs_changed(activity_id=activity.pk)
    body = api(world.a.admin).get(f"/orgs/{world.a.org.pk}/ranking?period=2026-12").json()
    top = body["items"][0]
    assert top["org_id"] == world.a.branch.pk and top["score"] > 0
    assert NOW  # the clock fixture keeps every request in January 2027

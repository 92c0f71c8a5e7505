"""Page numbers and sizes are bounded on every paginated list. An unbounded `?page=` reached
the database as a row offset: 10^20 failed with "datatype mismatch" on SQLite and "bigint
out of range" on PostgreSQL, a 500 on every list. The endpoints are collected from the
OpenAPI document (every GET with a `page` query parameter), so that a new list is tested
too; the console's and the phone's paginated pages show a page whatever `?page=` says."""

import pytest
import time_machine

from dangjian.api.api import api as ninja_api
from dangjian.api.pagination import MAX_PAGE, MAX_PAGE_SIZE
from dangjian.supervision import appraisal
from tests.interaction.conftest import approved_activity
from tests.supervision import awards as award_world

pytestmark = pytest.mark.django_db

HUGE = "100000000000000000000"
# Required query parameters of a paginated endpoint, besides the page.
REQUIRED = {"period": "2026-12"}


def paginated_endpoints() -> list[tuple[str, list[str]]]:
    """(path under /api/v1, its required query parameters) for every paginated GET."""
    schema = ninja_api.get_openapi_schema()
    found = []
    for path, operations in schema["paths"].items():
        parameters = operations.get("get", {}).get("parameters", [])
        if any(p["in"] == "query" and p["name"] == "page" for p in parameters):
            required = [p["name"] for p in parameters if p["in"] == "query" and p.get("required")]
            found.append((path.removeprefix("/api/v1"), required))
    return found


ENDPOINTS = paginated_endpoints()


def test_the_paginated_endpoints_are_found_in_the_openapi_document():
    paths = {path for path, _ in ENDPOINTS}

    assert {
        "/orgs",
        "/orgs/{org_id}/members",
        "/audit",
        "/campaigns",
        "/reviews",
        "/notifications",
        "/activities/{activity_id}/attendance",
        "/activities/{activity_id}/comments",
        "/orgs/{org_id}/ranking",
    } <= paths
    assert len(paths) >= 11


@pytest.fixture
def reach(world):
    """Each paginated endpoint's address with real objects of the city admin's scope, so that
    every one of them gets as far as reading its page."""
    activity = approved_activity(world)
    # The round and the appraisal are made when both may be: a round's nomination deadline
    # must not have passed and an appraisal's year must have begun, whatever day it is.
    with time_machine.travel(award_world.MATRIX_NOW, tick=False):
        award_round = award_world.open_round(world)
        found = appraisal.generate_appraisal(actor=world.city_admin, org=world.city, year=2026)
    ids = {
        "org_id": world.a.branch.pk,
        "activity_id": activity.pk,
        "round_id": award_round.pk,
        "appraisal_id": found.pk,
    }

    def address(path: str, required: list[str], **query) -> tuple[str, dict]:
        unknown = [name for name in required if name not in REQUIRED]
        assert unknown == [], f"{path}: give REQUIRED a value for {unknown}"
        return path.format(**ids), {**{name: REQUIRED[name] for name in required}, **query}

    return address


@pytest.mark.parametrize("path, required", ENDPOINTS, ids=[p for p, _ in ENDPOINTS])
@pytest.mark.parametrize("page", [HUGE, str(MAX_PAGE + 1)])
def test_a_page_number_beyond_the_bound_is_refused(world, api, reach, path, required, page):
    url, query = reach(path, required, page=page)

    response = api(world.city_admin, raise_request_exception=False).get(url, query)

    assert response.status_code == 422, response.content[:300]
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["errors"][0]["field"] == "page"


@pytest.mark.parametrize("path, required", ENDPOINTS, ids=[p for p, _ in ENDPOINTS])
def test_a_page_size_beyond_the_bound_is_refused(world, api, reach, path, required):
    url, query = reach(path, required, page_size=MAX_PAGE_SIZE + 1)

    response = api(world.city_admin, raise_request_exception=False).get(url, query)

    assert response.status_code == 422, response.content[:300]
    assert response.json()["errors"][0]["field"] == "page_size"


@pytest.mark.parametrize("path, required", ENDPOINTS, ids=[p for p, _ in ENDPOINTS])
def test_the_last_page_allowed_is_empty_not_an_error(world, api, reach, path, required):
    url, query = reach(path, required, page=MAX_PAGE, page_size=MAX_PAGE_SIZE)

    response = api(world.city_admin, raise_request_exception=False).get(url, query)

    assert response.status_code == 200, response.content[:300]
    assert response.json()["items"] == []
    assert response.json()["count"] >= 0


def test_pages_within_the_bounds_still_page(world, api):
    client = api(world.city_admin)

    first = client.get("/orgs", {"page_size": 2}).json()
    second = client.get("/orgs", {"page_size": 2, "page": 2}).json()

    assert len(first["items"]) == len(second["items"]) == 2
    assert {o["id"] for o in first["items"]}.isdisjoint(o["id"] for o in second["items"])
    assert first["count"] == second["count"] > 4


@pytest.mark.parametrize("number", [HUGE, "-1", "0", "abc", "1e400", "9" * 5000, ""])
def test_the_paginated_pages_show_a_page_whatever_the_number(world, page, number):
    admin = page(world.city_admin)
    member = page(world.a.member.user)
    pages = [
        (admin, f"/console/orgs/{world.a.branch.pk}/members/"),
        (admin, "/console/audit/"),
        (admin, "/console/records/"),
        (admin, "/console/reviews/"),
        (member, "/m/feed/"),
        (member, "/m/inbox/"),
    ]

    statuses = {url: client.get(url, {"page": number}).status_code for client, url in pages}

    assert statuses == {url: 200 for _, url in pages}

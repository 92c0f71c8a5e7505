"""A citizen (群众) reads no Party data (issue 20, point 1): signed in, every back-office
and member page and every API GET answers 404, 403 or a redirect, or — for the few that
are the citizen's own (their inbox, their account, the service menu) — a page that names
no organization, member or admin of the Party. The pages are collected from the URL
resolver and the endpoints from the OpenAPI document, so that every new one is tested."""

import json
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from dangjian.api.api import api as ninja_api
from tests.interaction.conftest import approved_activity
from tests.volunteering.conftest import make_category, make_order

pytestmark = pytest.mark.django_db

# The interfaces of the Party organizations; the citizens' own pages (/c/) are theirs.
PAGE_NAMESPACES = ("console", "mobile", "portal")
# Pages anyone may open, signed in or not: getting into an account, the landing redirect.
OPEN_PAGES = {
    "portal:home",
    "portal:login",
    "portal:healthz",
    "mobile:activate",
    "mobile:reset_password",
    "mobile:wechat_signin",
    "mobile:wechat_callback",
    "mobile:wechat_bind",
}
# API answers of the citizen's own: their account, inbox, tokens, the service menu, their
# orders. Everything else must refuse.
OWN_ENDPOINTS = {
    "/me",
    "/auth/tokens",
    "/notifications",
    "/notifications/unread-count",
    "/citizens/me",
    "/volunteer/menu",
    "/volunteer/orders",
    "/volunteer/orders/{order_id}",
}
# Answers that are the same for every signed-in account and hold nothing of anyone: the
# learning columns' labels and the blank import templates.
SAME_FOR_EVERYONE = {
    "/columns",
    "/imports/history/template",
    "/imports/members/template",
    "/imports/orgs/template",
    "/questions/import/template",
}
REFUSED = {302, 401, 403, 404, 405}

STR_PARAMS = {
    "variant": "thumb",
    "fmt": "pdf",
    "kind": "members",
    "decision": "approve",
    "step": "publish",
    "token": "x",
}
# The API's path values that are not ids: the kind of file a bulletin and a monthly sheet
# are downloaded as (both take xlsx), so that the download reaches its scope check rather
# than refusing the kind with a 422.
API_STR_PARAMS = {"kind": "xlsx"}


def page_routes() -> list[tuple[str, str]]:
    """(namespace:name, route) of every page of the Party interfaces."""

    def walk(patterns, prefix="", namespace=None):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern), p.namespace or namespace)
            elif isinstance(p, URLPattern) and namespace in PAGE_NAMESPACES:
                yield f"{namespace}:{p.name}", prefix + str(p.pattern)

    found = [r for r in walk(get_resolver().url_patterns) if r[0] not in OPEN_PAGES]
    return sorted(set(found))


def api_gets() -> list[tuple[str, tuple[str, ...]]]:
    """(path under /api/v1, its required query parameters) of every GET."""
    schema = ninja_api.get_openapi_schema()
    found = []
    for path, operations in schema["paths"].items():
        if "get" in operations:
            parameters = operations["get"].get("parameters", [])
            required = tuple(p["name"] for p in parameters if p["in"] == "query" and p["required"])
            found.append((path.removeprefix("/api/v1"), required))
    return sorted(found)


PAGES = page_routes()
ENDPOINTS = api_gets()
# What a required query parameter is given, so that each endpoint reaches its scope check.
QUERY = {"period": "2026-12", "month": 12}


def test_the_pages_and_endpoints_are_collected():
    names = {name for name, _ in PAGES}
    assert {"console:index", "console:member_detail", "mobile:home", "mobile:profile"} <= names
    assert {"console:volunteer_profiles", "mobile:volunteer_profile"} <= names
    paths = {path for path, _ in ENDPOINTS}
    assert {"/orgs", "/members/{member_id}", "/volunteer/profiles", "/citizens/me"} <= paths


@pytest.fixture
def party(world, citizen):
    """Party data around the citizen: an activity of the branch that is their community,
    a menu and an order of their own (theirs to read), and the names that must not
    show."""
    activity = approved_activity(world)
    category = make_category(world.a.org)
    order = make_order(citizen, category)
    ids = {
        "org_id": world.a.branch.pk,
        "parent_id": world.a.branch.pk,
        "branch_id": world.a.branch.pk,
        "member_id": world.a.member.pk,
        "user_id": world.a.member.user_id,
        "activity_id": activity.pk,
        "campaign_id": activity.campaign_id,
        "order_id": order.pk,
        "entry_id": category.pk,
    }
    names = [
        world.a.member.name,
        world.a.flowing.name,
        world.a.admin.name,
        world.a.branch_admin.name,
        world.b.member.name,
        world.a.org.name,
        world.a.town.name,
        world.a.other_branch.name,
        world.city.name,
        activity.title,
    ]
    # The organizations' names are public (a citizen's community and who keeps its menu);
    # the people and the Party's activities are not.
    people = names[:5] + [activity.title]
    return ids, names, people


def fill(route: str, ids: dict) -> str:
    def value(match):
        converter, name = match.group(1), match.group(2)
        if converter == "int" or name.endswith("_id"):
            return str(ids.get(name, 1))
        return STR_PARAMS.get(name, "x")

    route = re.sub(r"<(?:(\w+):)?(\w+)>", value, route)
    return re.sub(
        r"\{(\w+)\}", lambda m: API_STR_PARAMS.get(m.group(1)) or str(ids.get(m.group(1), 1)), route
    )


def _empty(body) -> bool:
    if isinstance(body, list):
        return body == []
    return isinstance(body, dict) and body.get("items") == [] and body.get("count") == 0


def leaked(text: str, names: list[str]) -> list[str]:
    return [name for name in names if name in text]


@pytest.mark.parametrize("name, route", PAGES, ids=[n for n, _ in PAGES])
def test_a_citizen_opens_no_party_page(world, citizen, party, page, name, route):
    ids, names, _ = party
    url = "/" + fill(route, ids)

    response = page(citizen.user).get(url)

    body = response.content.decode(errors="replace") if response.status_code == 200 else ""
    assert response.status_code in REFUSED | {200}, (url, response.status_code)
    assert leaked(body, names) == [], url


@pytest.mark.parametrize("path, required", ENDPOINTS, ids=[p for p, _ in ENDPOINTS])
def test_a_citizen_reads_no_party_data_over_the_api(world, citizen, party, api, path, required):
    ids, names, people = party
    url = fill(path, ids)
    query = {name: QUERY.get(name) or ids.get(name, 1) for name in required}

    response = api(citizen.user, raise_request_exception=False).get(url, query)

    if path in OWN_ENDPOINTS:
        names = people
    if path in OWN_ENDPOINTS or path in SAME_FOR_EVERYONE:
        assert response.status_code == 200, (url, response.content[:200])
    elif response.status_code == 200:
        # A list scoped to the reader: empty for a citizen.
        assert _empty(response.json()), (url, response.content[:300])
    else:
        assert response.status_code in REFUSED, (url, response.status_code, response.content[:200])
    if response.get("Content-Type", "").startswith("application/json"):
        text = json.dumps(response.json(), ensure_ascii=False)
        assert leaked(text, names) == [], url

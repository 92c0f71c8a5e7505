"""ApiMiddleware: a request to the JSON API leaves the middleware stack before the page
middleware (sessions, CSRF, session users, messages, X-Frame-Options, htmx, axes), keeps
the security headers and the language, and is routed as Django routes it; pages are
untouched. Each test would fail if an API request went down the whole stack again, or if
a page request were cut short."""

import pytest
from django.conf import settings

from tests.conftest import token_for


def test_an_api_request_gets_no_session_csrf_or_frame_headers(world, api):
    response = api(world.a.member.user).get("/me")

    assert response.status_code == 200
    assert "X-Frame-Options" not in response.headers
    assert "Cookie" not in response.headers.get("Vary", "")
    assert not response.cookies


def test_an_api_request_keeps_the_security_headers_and_the_language(world, api):
    response = api(world.outsider).get("/me")

    assert response.status_code == 200
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Language"] == "zh-hans"


def test_an_api_request_speaks_english_with_the_language_cookie(world, api):
    client = api(None)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    response = client.get("/me")

    assert response.status_code == 401
    assert response.headers["Content-Language"] == "en"
    assert response.json()["code"] == "unauthenticated"
    assert response.json()["message"] != "请先登录"


def test_a_logged_in_session_does_not_authenticate_an_api_request(world, page, api):
    browser = page(world.a.member.user)
    assert browser.get("/m/").status_code == 200

    response = browser.get("/api/v1/me")

    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_the_api_knows_its_route(world, client):
    response = client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {token_for(world.b.admin)}"}
    )

    assert response.status_code == 200
    assert response.json()["user"]["id"] == world.b.admin.pk
    assert response.resolver_match.route.endswith("me")


def test_an_unknown_api_path_is_not_found(world, api):
    assert api(world.a.admin).get("/no-such-endpoint").status_code == 404


@pytest.mark.parametrize("path", ["/login/", "/m/"])
def test_pages_still_go_down_the_whole_stack(db, client, path):
    response = client.get(path, follow=True)

    assert response.status_code == 200
    assert response.headers["X-Frame-Options"] == "DENY"
    assert settings.CSRF_COOKIE_NAME in response.cookies
    assert response.headers["Content-Language"] == "zh-hans"


def test_paths_that_capture_values_are_looked_up_each_time(world, api):
    client = api(world.a.admin)

    # Remembering the first path's match would answer the second with the first org.
    first = client.get(f"/orgs/{world.a.org.pk}")
    second = client.get(f"/orgs/{world.a.branch.pk}")

    assert (first.status_code, second.status_code) == (200, 200)
    assert first.json()["id"] == world.a.org.pk
    assert second.json()["id"] == world.a.branch.pk

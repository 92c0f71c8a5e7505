"""What Django answers outside any endpoint is the API's JSON under /api/: an unknown path
(404 `not_found`), a body over DATA_UPLOAD_MAX_MEMORY_SIZE (413 `payload_too_large`), an
unhandled exception (500 `server_error` with the request id that the log's lines carry and
the X-Request-ID header repeats). They answered Django's HTML pages before. Pages keep
their Chinese HTML error pages."""

import io
import json
import logging

import pytest
from django.test import Client

from dangjian import permissions
from dangjian.core import requestid
from dangjian.mobile import views as mobile_views

pytestmark = pytest.mark.django_db


def boom(*args, **kwargs):
    raise RuntimeError("the failure under test")


@pytest.fixture
def log_lines():
    """What the configured log handler (settings.LOGGING's console) writes during the test."""
    handlers = [
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, requestid.LogFilter) for f in h.filters)
    ]
    assert handlers, "settings.LOGGING's handler has no request id filter"
    stream = io.StringIO()
    previous = [h.setStream(stream) for h in handlers]
    yield stream
    for handler, old in zip(handlers, previous, strict=True):
        handler.setStream(old)


@pytest.mark.parametrize("path", ["/api/v1/no-such-endpoint", "/api/v2/orgs", "/api/"])
def test_an_unknown_api_path_answers_json_not_found(world, path):
    response = Client().get(path)

    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response.json()["code"] == "not_found"
    assert response.json()["message"]


def test_an_unknown_api_path_is_not_found_whoever_asks(world, api):
    for user in (world.city_admin, world.a.member.user, world.outsider, None):
        response = api(user).get("/no-such-endpoint")
        assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_a_body_over_the_limit_answers_json_payload_too_large(world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"phone": "13900000001", "password": "x" * 2000})

    response = Client().post("/api/v1/auth/token", body, content_type="application/json")

    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert response.json()["message"]


def test_a_body_within_the_limit_is_read(world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"phone": "13900000001", "password": "wrong-password"})

    response = Client().post("/api/v1/auth/token", body, content_type="application/json")

    assert (response.status_code, response.json()["code"]) == (401, "invalid_credentials")


def test_a_server_error_answers_json_with_the_request_id_that_is_logged(
    world, api, monkeypatch, log_lines
):
    monkeypatch.setattr(permissions, "own_member", boom)

    response = api(world.a.member.user, raise_request_exception=False).get("/me")

    assert response.status_code == 500
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    body = response.json()
    assert body["code"] == "server_error"
    request_id = response.headers["X-Request-ID"]
    assert body["request_id"] == request_id and len(request_id) == 12
    assert request_id in body["message"]
    logged = log_lines.getvalue()
    assert f"ERROR django.request [{request_id}] Internal Server Error: /api/v1/me" in logged
    assert "RuntimeError: the failure under test" in logged


def test_every_answer_carries_its_own_request_id(world, api, page):
    answers = [
        api(world.a.member.user).get("/me"),
        api(None).get("/me"),
        page(None).get("/login/"),
        page(None).get("/healthz"),
    ]

    ids = [a.headers["X-Request-ID"] for a in answers]
    assert all(len(i) == 12 for i in ids)
    assert len(set(ids)) == len(ids)


def test_a_refusal_is_logged_with_its_request_id(world, api, log_lines):
    response = api(None).get("/no-such-endpoint")

    request_id = response.headers["X-Request-ID"]
    assert f"WARNING django.request [{request_id}] Not Found: /api/v1/no-such-endpoint" in (
        log_lines.getvalue()
    )


def test_log_lines_outside_a_request_carry_no_request_id(log_lines):
    logging.getLogger("dangjian.test").warning("outside any request")

    assert "WARNING dangjian.test [-] outside any request" in log_lines.getvalue()


def test_a_missing_page_keeps_its_chinese_html_page(world, page):
    response = page(world.a.admin).get("/console/no-such-page/")

    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("text/html")
    assert "未找到" in response.content.decode()


def test_a_page_that_fails_answers_a_chinese_html_page_with_the_request_id(
    world, monkeypatch, log_lines
):
    monkeypatch.setattr(mobile_views.themedays, "home_context", boom)
    client = Client(raise_request_exception=False)
    client.force_login(world.a.member.user, backend="django.contrib.auth.backends.ModelBackend")

    response = client.get("/m/")

    assert response.status_code == 500
    assert response.headers["Content-Type"].startswith("text/html")
    html = response.content.decode()
    request_id = response.headers["X-Request-ID"]
    assert "服务器出错了" in html and request_id in html
    assert f"[{request_id}] Internal Server Error: /m/" in log_lines.getvalue()

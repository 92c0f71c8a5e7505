import math

import pytest

from dangjian.core.clientip import client_ip
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_it_issues_a_token_for_the_right_password_and_me_shows_roles(world, api):
    anon = api(None)
    resp = anon.post("/auth/token", {"phone": world.a.admin.phone, "password": PASSWORD})
    assert resp.status_code == 200, resp.content
    token = resp.json()["token"]
    me = anon.get("/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    body = me.json()
    assert body["user"]["phone"] == world.a.admin.phone
    assert body["roles"] == [{"org_id": world.a.org.pk, "role": "admin"}]


def test_it_refuses_a_wrong_password_with_a_stable_code(world, api):
    resp = api(None).post("/auth/token", {"phone": world.a.admin.phone, "password": "nope"})
    assert resp.status_code == 401
    assert resp.json()["code"] == "invalid_credentials"


def test_it_throttles_repeated_failures_even_with_the_right_password_after(world, api, settings):
    client = api(None)
    codes = [
        client.post("/auth/token", {"phone": world.a.member.phone, "password": "wrong"}).status_code
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    # The attempt that reaches the limit is already answered as locked out.
    assert codes == [401] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    resp = client.post("/auth/token", {"phone": world.a.member.phone, "password": PASSWORD})
    assert resp.status_code == 429
    assert resp.json()["code"] == "too_many_attempts"
    minutes = math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    assert resp.json()["message"] == f"登录失败次数过多，请 {minutes} 分钟后再试。"
    # Another phone from the same address is not locked.
    other = client.post("/auth/token", {"phone": world.b.member.phone, "password": PASSWORD})
    assert other.status_code == 200


def test_anonymous_callers_get_unauthenticated(world, api):
    resp = api(None).get("/me")
    assert resp.status_code == 401
    assert resp.json()["code"] == "unauthenticated"


def test_the_openapi_document_is_served(world, api):
    resp = api(None).get("/openapi.json")
    assert resp.status_code == 200
    assert "/api/v1/members" in resp.json()["paths"]


def test_behind_a_proxy_one_clients_failures_do_not_lock_out_another(world, api, settings):
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_REAL_IP", "REMOTE_ADDR"]
    client = api(None)
    phone = world.a.member.phone

    def login(password, ip):
        # Every request comes from the proxy (REMOTE_ADDR 127.0.0.1), which names the client.
        return client.post(
            "/auth/token", {"phone": phone, "password": password}, headers={"X-Real-IP": ip}
        ).status_code

    assert [login("wrong", "203.0.113.7") for _ in range(settings.AXES_FAILURE_LIMIT)][-1] == 429
    assert login(PASSWORD, "203.0.113.7") == 429
    assert login(PASSWORD, "198.51.100.20") == 200


def test_the_client_address_is_read_from_the_configured_header_and_validated(rf, settings):
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
    forwarded = rf.get("/", HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.7")
    assert client_ip(forwarded) == "203.0.113.7"  # the entry our proxy added, not the claim
    junk = rf.get("/", HTTP_X_FORWARDED_FOR="not-an-address", REMOTE_ADDR="192.0.2.1")
    assert client_ip(junk) == "192.0.2.1"

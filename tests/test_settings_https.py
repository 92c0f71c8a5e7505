"""HTTPS is set from the environment: SECURE_SSL_REDIRECT (plain HTTP redirected, the health
check excepted) and SECURE_HSTS_SECONDS (Strict-Transport-Security); BEHIND_TLS_PROXY makes
the proxy's X-Forwarded-Proto count. Neither could be set before."""

import runpy

from django.test import Client

from tests.test_settings_keys import SETTINGS


def load(monkeypatch, **env) -> dict:
    """settings.py run afresh with `env` (the suite's keys are in the environment)."""
    for name in ("SECURE_HSTS_SECONDS", "SECURE_SSL_REDIRECT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS))


def test_https_is_off_unless_the_environment_turns_it_on(monkeypatch):
    default = load(monkeypatch)
    on = load(monkeypatch, SECURE_HSTS_SECONDS="31536000", SECURE_SSL_REDIRECT="1")

    assert (default["SECURE_HSTS_SECONDS"], default["SECURE_SSL_REDIRECT"]) == (0, False)
    assert (on["SECURE_HSTS_SECONDS"], on["SECURE_SSL_REDIRECT"]) == (31536000, True)


def test_with_https_on_plain_http_is_redirected_except_the_health_check(db, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    client = Client()

    plain = client.get("/login/")
    secure = client.get("/login/", secure=True)
    health = client.get("/healthz")

    assert (plain.status_code, plain.headers["Location"]) == (301, "https://testserver/login/")
    assert secure.status_code == 200
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert health.status_code == 200


def test_behind_a_tls_proxy_the_forwarded_scheme_counts(db, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

    response = Client().get("/login/", headers={"X-Forwarded-Proto": "https"})

    assert response.status_code == 200

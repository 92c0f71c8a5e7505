"""Login throttling beyond the phone + address pair (core.lockout.LockoutHandler):
password spraying from one address, and guesses at one phone from many addresses; on the
API token endpoint and the login page alike."""

from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt, AccessLog
from django.test import Client

from dangjian.core import clock
from dangjian.core.lockout import wider_limit_reached
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

SPRAYED = [f"135{n:08d}" for n in range(30)]


@pytest.fixture(autouse=True)
def _proxy(settings):
    # Every request comes from the proxy, which names the client in X-Real-IP.
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_REAL_IP", "REMOTE_ADDR"]


def api_login(client, phone, password, ip):
    return client.post(
        "/api/v1/auth/token",
        {"phone": phone, "password": password},
        content_type="application/json",
        headers={"X-Real-IP": ip},
    ).status_code


def page_login(client, phone, password, ip):
    return client.post(
        "/login/", {"phone": phone, "password": password}, headers={"X-Real-IP": ip}
    ).status_code


@pytest.mark.parametrize(
    "per_ip, per_phone, locked",
    [(0, 0, False), (49, 19, False), (50, 0, True), (0, 20, True), (120, 0, True)],
)
def test_the_wider_limits(settings, per_ip, per_phone, locked):
    settings.LOGIN_FAILURES_PER_IP, settings.LOGIN_FAILURES_PER_PHONE = 50, 20
    assert wider_limit_reached(per_ip=per_ip, per_phone=per_phone) is locked


@pytest.mark.parametrize("login", [api_login, page_login], ids=["api", "page"])
def test_spraying_thirty_phones_with_four_guesses_each_from_one_address_is_locked(world, login):
    client = Client()
    codes = [
        login(client, phone, "wrong-guess", "203.0.113.7") for phone in SPRAYED for _ in range(4)
    ]
    assert 429 in codes
    assert codes[: codes.index(429)] == [401] * codes.index(429)
    # From that address even a right password waits for the cool-off ...
    assert login(client, world.a.member.phone, PASSWORD, "203.0.113.7") == 429
    # ... while another address signs in.
    assert login(client, world.a.member.phone, PASSWORD, "198.51.100.20") in (200, 302)


@pytest.mark.parametrize("login", [api_login, page_login], ids=["api", "page"])
def test_guesses_at_one_phone_from_many_addresses_lock_that_phone(world, login):
    client = Client()
    phone = world.a.member.phone
    codes = [
        login(client, phone, "wrong-guess", f"203.0.113.{n}") for n in range(10) for _ in range(3)
    ]
    assert 429 in codes
    assert login(client, phone, PASSWORD, "198.51.100.20") == 429
    # Other phones are not locked by it.
    assert login(client, world.b.member.phone, PASSWORD, "198.51.100.20") in (200, 302)


def test_the_wider_lock_ends_with_the_cool_off(world, settings):
    client = Client()
    with time_machine.travel(clock.now(), tick=False) as traveller:
        for phone in SPRAYED:
            for _ in range(4):
                api_login(client, phone, "wrong-guess", "203.0.113.7")
        assert api_login(client, world.a.member.phone, PASSWORD, "203.0.113.7") == 429
        traveller.shift(settings.AXES_COOLOFF_TIME + timedelta(seconds=1))
        assert api_login(client, world.a.member.phone, PASSWORD, "203.0.113.7") == 200


def test_a_few_failures_of_many_people_behind_one_office_address_lock_nobody(world):
    client = Client()
    for phone in SPRAYED[:10]:
        assert api_login(client, phone, "wrong-guess", "203.0.113.7") == 401
    assert api_login(client, world.a.member.phone, PASSWORD, "203.0.113.7") == 200


def test_a_right_password_on_the_page_clears_the_failures_of_its_pair_and_leaves_no_log(world):
    client, phone = Client(), world.a.member.phone
    assert page_login(client, phone, "wrong-guess", "203.0.113.9") == 401
    assert AccessAttempt.objects.filter(username=phone).exists()
    assert page_login(client, phone, PASSWORD, "203.0.113.9") == 302
    assert not AccessAttempt.objects.filter(username=phone).exists()
    assert not AccessLog.objects.exists()


def test_the_locked_login_page_says_how_many_minutes_to_wait(world, settings):
    settings.AXES_COOLOFF_TIME = timedelta(minutes=30)
    client, phone = Client(), world.a.member.phone
    for _ in range(settings.AXES_FAILURE_LIMIT):
        page_login(client, phone, "wrong-guess", "203.0.113.9")

    response = client.post(
        "/login/", {"phone": phone, "password": PASSWORD}, headers={"X-Real-IP": "203.0.113.9"}
    )

    assert response.status_code == 429
    assert "登录失败次数过多，请 30 分钟后再试。" in response.content.decode()

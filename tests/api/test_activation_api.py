"""Activation and password reset by SMS code over the API (POST /auth/sms-code, /auth/activate,
/auth/password-reset), with the `log` backend and time moved by time_machine."""

import logging
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from dangjian.audit.models import AuditEntry
from dangjian.notifications.models import SmsCode, SmsMessage
from tests.factories import PASSWORD, make_member, next_id_number, next_phone

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 5, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
NEW_PASSWORD = "Hanzhong-ok-2026"


@pytest.fixture(autouse=True)
def _demo_outbox(settings):
    # The demo keeps codes readable in the outbox: the tests read them there.
    settings.SMS_DEMO_OUTBOX = True


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def newcomer(world):
    """An imported member who has never had a password."""
    id_number = next_id_number()
    member = make_member(world.city_admin, world.a.branch, password=None, id_number=id_number)
    member.id_number = id_number
    return member


@pytest.fixture
def ask(api, django_capture_on_commit_callbacks):
    """Ask for a code as a client from `ip`; the message goes out once the request commits."""

    def post(phone, purpose="activate", ip="10.0.0.1"):
        with django_capture_on_commit_callbacks(execute=True):
            return api(None).post(
                "/auth/sms-code", {"phone": phone, "purpose": purpose}, REMOTE_ADDR=ip
            )

    return post


def last_code(phone) -> str:
    message = SmsMessage.objects.filter(phone=phone).order_by("-pk").first()
    return message.params["code"]


def activate(api, member, code, id_last6=None, password=NEW_PASSWORD):
    return api(None).post(
        "/auth/activate",
        {
            "phone": member.user.phone,
            "code": code,
            "id_last6": member.id_number[-6:] if id_last6 is None else id_last6,
            "password": password,
        },
    )


def test_a_not_activated_member_activates_with_the_code_and_is_signed_in(api, ask, clock, newcomer):
    assert ask(newcomer.user.phone).status_code == 202
    message = SmsMessage.objects.get(phone=newcomer.user.phone)
    assert message.status == "sent" and message.backend == "log"
    assert re.fullmatch(r"\d{6}", message.params["code"])
    assert message.params["code"] in message.text

    response = activate(api, newcomer, message.params["code"])
    assert response.status_code == 200, response.json()
    token = response.json()["token"]
    me = api(None).get("/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json()["user"]["id"] == newcomer.user.pk
    newcomer.user.refresh_from_db()
    assert newcomer.user.check_password(NEW_PASSWORD)
    assert AuditEntry.objects.filter(action="user.activate", object_id=newcomer.user.pk).exists()
    # Only the code's keyed hash is kept.
    row = SmsCode.objects.get(phone=newcomer.user.phone)
    assert message.params["code"] not in row.code_hash and row.used_at is not None


def test_a_code_is_used_once(api, ask, clock, newcomer):
    ask(newcomer.user.phone)
    code = last_code(newcomer.user.phone)
    assert activate(api, newcomer, code).status_code == 200
    again = activate(api, newcomer, code, password="Another-pass-2026")
    assert again.status_code == 422 and again.json()["code"] == "invalid_code"


def test_a_code_expires_after_five_minutes(api, ask, clock, newcomer):
    ask(newcomer.user.phone)
    clock.shift(timedelta(minutes=5))
    response = activate(api, newcomer, last_code(newcomer.user.phone))
    assert response.status_code == 422 and response.json()["code"] == "code_expired"


def test_a_code_still_works_just_before_five_minutes(api, ask, clock, newcomer):
    ask(newcomer.user.phone)
    clock.shift(timedelta(minutes=4, seconds=59))
    assert activate(api, newcomer, last_code(newcomer.user.phone)).status_code == 200


def test_after_five_wrong_tries_even_the_right_code_is_refused(api, ask, clock, newcomer):
    ask(newcomer.user.phone)
    code = last_code(newcomer.user.phone)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(5):
        response = activate(api, newcomer, wrong)
        assert response.status_code == 422 and response.json()["code"] == "invalid_code"
    response = activate(api, newcomer, code)
    assert response.status_code == 429 and response.json()["code"] == "too_many_attempts"
    newcomer.user.refresh_from_db()
    assert not newcomer.user.has_usable_password()
    # A new code starts again.
    clock.shift(timedelta(seconds=60))
    ask(newcomer.user.phone)
    assert activate(api, newcomer, last_code(newcomer.user.phone)).status_code == 200


def test_it_refuses_a_wrong_id_last6_and_counts_it_as_a_wrong_try(api, ask, clock, newcomer):
    ask(newcomer.user.phone)
    code = last_code(newcomer.user.phone)
    wrong_id = "000000" if newcomer.id_number[-6:] != "000000" else "111111"
    response = activate(api, newcomer, code, id_last6=wrong_id)
    assert response.status_code == 422 and response.json()["code"] == "invalid_id_number"
    assert SmsCode.objects.get(phone=newcomer.user.phone).failed_attempts == 1
    newcomer.user.refresh_from_db()
    assert not newcomer.user.has_usable_password()
    assert activate(api, newcomer, code).status_code == 200


def test_a_weak_password_leaves_the_code_usable(api, ask, clock, newcomer):
    ask(newcomer.user.phone)
    code = last_code(newcomer.user.phone)
    response = activate(api, newcomer, code, password="123")
    assert response.status_code == 422 and response.json()["code"] == "weak_password"
    assert activate(api, newcomer, code).status_code == 200


def test_an_active_account_hears_it_is_active_once_the_code_is_given(api, ask, clock, world):
    member = world.a.member
    member.id_number = member.reveal_id_number()
    ask(member.user.phone)
    response = activate(api, member, last_code(member.user.phone))
    assert response.status_code == 409 and response.json()["code"] == "already_active"
    member.user.refresh_from_db()
    assert member.user.check_password(PASSWORD)


def test_one_code_a_minute_for_a_phone(api, ask, clock, newcomer):
    assert ask(newcomer.user.phone).status_code == 202
    clock.shift(timedelta(seconds=20))
    response = ask(newcomer.user.phone, purpose="reset")
    assert response.status_code == 429
    assert response.json()["code"] == "too_many_requests"
    assert response.json()["retry_after"] == 40
    clock.shift(timedelta(seconds=40))
    assert ask(newcomer.user.phone).status_code == 202
    assert SmsMessage.objects.filter(phone=newcomer.user.phone).count() == 2


def test_ten_codes_a_day_for_a_phone(api, ask, clock, newcomer):
    for n in range(10):
        assert ask(newcomer.user.phone, ip=f"10.0.1.{n}").status_code == 202
        clock.shift(timedelta(minutes=10))
    response = ask(newcomer.user.phone, ip="10.0.2.1")
    assert response.status_code == 429 and response.json()["code"] == "too_many_requests"
    assert response.json()["retry_after"] == 24 * 3600 - 100 * 60
    clock.shift(timedelta(seconds=response.json()["retry_after"]))
    assert ask(newcomer.user.phone, ip="10.0.2.1").status_code == 202


def test_an_address_asking_for_many_phones_is_stopped(api, ask, clock, world, settings):
    settings.SMS_CODES_PER_IP_HOUR = 3
    for _ in range(3):
        assert ask(next_phone(), ip="10.9.9.9").status_code == 202
    response = ask(next_phone(), ip="10.9.9.9")
    assert response.status_code == 429 and response.json()["retry_after"] == 3600
    assert ask(next_phone(), ip="10.9.9.8").status_code == 202
    clock.shift(timedelta(hours=1))
    assert ask(next_phone(), ip="10.9.9.9").status_code == 202


def test_unknown_and_known_phones_get_identical_answers(api, ask, clock, world, newcomer):
    phones = {
        "unknown": next_phone(),
        "not activated": newcomer.user.phone,
        "active member": world.a.member.user.phone,
        "outsider": world.outsider.phone,
    }
    first = {k: ask(p, ip=f"10.3.0.{n}") for n, (k, p) in enumerate(phones.items())}
    assert {k: (r.status_code, r.json()) for k, r in first.items()} == {
        k: (first["unknown"].status_code, first["unknown"].json()) for k in phones
    }
    again = {k: ask(p, ip=f"10.4.0.{n}") for n, (k, p) in enumerate(phones.items())}
    assert {k: (r.status_code, r.json()) for k, r in again.items()} == {
        k: (again["unknown"].status_code, again["unknown"].json()) for k in phones
    }
    assert again["unknown"].status_code == 429
    # Only the accounts that can use a code got one; the outsider has no member record.
    assert set(SmsMessage.objects.values_list("phone", flat=True)) == {
        newcomer.user.phone,
        world.a.member.user.phone,
    }
    response = api(None).post(
        "/auth/activate",
        {"phone": phones["unknown"], "code": "123456", "id_last6": "123456", "password": "x"},
    )
    assert response.status_code == 422 and response.json()["code"] == "invalid_code"


def test_a_member_resets_a_forgotten_password_and_old_tokens_stop(api, ask, clock, world):
    member = world.a.member
    old = api(member.user)
    assert old.get("/me").status_code == 200
    assert ask(member.user.phone, purpose="reset").status_code == 202
    response = api(None).post(
        "/auth/password-reset",
        {
            "phone": member.user.phone,
            "code": last_code(member.user.phone),
            "password": NEW_PASSWORD,
        },
    )
    assert response.status_code == 200, response.json()
    assert old.get("/me").status_code == 401
    new = {"Authorization": f"Bearer {response.json()['token']}"}
    assert api(None).get("/me", headers=new).status_code == 200
    token = api(None).post("/auth/token", {"phone": member.user.phone, "password": NEW_PASSWORD})
    assert token.status_code == 200


def test_a_not_activated_account_gets_no_reset_code(api, ask, clock, newcomer):
    assert ask(newcomer.user.phone, purpose="reset").status_code == 202
    assert not SmsMessage.objects.filter(phone=newcomer.user.phone).exists()
    response = api(None).post(
        "/auth/password-reset",
        {"phone": newcomer.user.phone, "code": "000000", "password": NEW_PASSWORD},
    )
    assert response.status_code == 422 and response.json()["code"] == "invalid_code"


def test_a_code_for_activation_does_not_reset_and_the_reverse(api, ask, clock, world, newcomer):
    ask(newcomer.user.phone)
    response = api(None).post(
        "/auth/password-reset",
        {
            "phone": newcomer.user.phone,
            "code": last_code(newcomer.user.phone),
            "password": NEW_PASSWORD,
        },
    )
    assert response.status_code == 422 and response.json()["code"] == "invalid_code"


def test_it_refuses_a_malformed_phone_or_purpose(api, ask, clock, world):
    assert ask("12345").status_code == 422
    assert ask(next_phone(), purpose="login").status_code == 422


def test_without_the_demo_outbox_the_code_goes_to_the_log_and_leaves_the_row(
    api, ask, clock, newcomer, settings, caplog
):
    settings.SMS_DEMO_OUTBOX = False
    with caplog.at_level(logging.INFO, logger="dangjian.notifications.sms"):
        ask(newcomer.user.phone)
    code = re.search(r"验证码为(\d{6})", caplog.text).group(1)
    message = SmsMessage.objects.get(phone=newcomer.user.phone)
    assert message.status == "sent" and code not in message.text
    assert message.params["code"] == "******"
    assert newcomer.user.phone not in caplog.text
    assert activate(api, newcomer, code).status_code == 200


@pytest.mark.parametrize("path", ["/auth/activate", "/auth/password-reset"])
def test_a_phone_that_asked_for_no_code_hears_invalid_code_on_every_database(api, world, path):
    # The code's row is locked alone: PostgreSQL refuses FOR UPDATE over the outer join to
    # its (nullable) account, and every activation and reset answered 500 there.
    body = {"phone": next_phone(), "code": "123456", "id_last6": "123456", "password": "x"}
    response = api(None).post(path, body)
    assert response.status_code == 422 and response.json()["code"] == "invalid_code"


def test_the_console_audit_log_names_the_activation(api, ask, clock, world, newcomer, page):
    ask(newcomer.user.phone)
    assert activate(api, newcomer, last_code(newcomer.user.phone)).status_code == 200
    body = page(world.a.admin).get("/console/audit/").content.decode()
    assert "短信验证激活账号" in body and newcomer.user.name in body


def test_codes_older_than_a_day_are_forgotten_by_the_scheduled_job(api, ask, clock, newcomer):
    from dangjian.core import scheduling

    ask(newcomer.user.phone)
    clock.shift(timedelta(hours=23))
    ask(newcomer.user.phone, ip="10.0.0.2")
    clock.shift(timedelta(hours=1))
    assert scheduling.run_all()["forget-old-sms-codes"] == 1
    assert SmsCode.objects.filter(phone=newcomer.user.phone).count() == 1

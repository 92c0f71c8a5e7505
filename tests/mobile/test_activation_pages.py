"""The phone pages of activation and password reset: from a phone page or the login page
into the flow, code from the (demo) outbox, signed in where the member was going."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from dangjian.notifications.models import SmsMessage
from tests.factories import make_member, next_id_number, next_phone

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 5, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
NEW_PASSWORD = "Hanzhong-ok-2026"


@pytest.fixture(autouse=True)
def _demo(settings):
    settings.SMS_DEMO_OUTBOX = True


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def newcomer(world):
    id_number = next_id_number()
    member = make_member(world.city_admin, world.a.branch, password=None, id_number=id_number)
    member.id_number = id_number
    return member


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    def post(client, url, phone, next_url=""):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, {"phone": phone, "send": "1", "next": next_url})

    return post


def last_code(phone):
    return SmsMessage.objects.filter(phone=phone).order_by("-pk").first().params["code"]


def test_a_phone_page_leads_a_visitor_through_login_into_activation(world):
    client = Client()
    response = client.get("/m/profile/")
    assert response.status_code == 302 and response.url.startswith("/login/")
    login_page = client.get(response.url)
    assert "/m/activate/?next=/m/profile/" in login_page.content.decode()
    assert "/m/reset-password/?next=/m/profile/" in login_page.content.decode()


def test_a_not_activated_member_activates_and_lands_where_they_were_going(clock, newcomer, send):
    client = Client()
    page = client.get("/m/activate/?next=/m/profile/")
    assert page.status_code == 200 and "获取验证码" in page.content.decode()
    sent = send(client, "/m/activate/", newcomer.user.phone, "/m/profile/")
    assert sent.status_code == 200 and "身份证号后六位" in sent.content.decode()
    assert "短信发件箱" in sent.content.decode()  # the demo says where the code is
    response = client.post(
        "/m/activate/",
        {
            "phone": newcomer.user.phone,
            "code": last_code(newcomer.user.phone),
            "id_last6": newcomer.id_number[-6:],
            "password": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "next": "/m/profile/",
        },
    )
    assert response.status_code == 302 and response.url == "/m/profile/"
    profile = client.get("/m/profile/")
    assert profile.status_code == 200 and newcomer.name in profile.content.decode()


def test_the_page_shows_why_a_code_or_id_is_refused(clock, newcomer, send):
    client = Client()
    send(client, "/m/activate/", newcomer.user.phone)
    form = {
        "phone": newcomer.user.phone,
        "code": last_code(newcomer.user.phone),
        "id_last6": "000000" if newcomer.id_number[-6:] != "000000" else "111111",
        "password": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
    }
    response = client.post("/m/activate/", form)
    assert response.status_code == 422 and "身份证号后六位不正确" in response.content.decode()
    response = client.post("/m/activate/", {**form, "code": "abcdef"})
    assert response.status_code == 422 and "验证码不正确" in response.content.decode()
    response = client.post("/m/activate/", {**form, "password2": "something-else"})
    assert response.status_code == 422 and "两次输入的密码不一致" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_second_code_within_the_minute_is_refused_with_the_wait(clock, newcomer, send):
    client = Client()
    send(client, "/m/activate/", newcomer.user.phone)
    clock.shift(timedelta(seconds=15))
    response = send(client, "/m/activate/", newcomer.user.phone)
    assert response.status_code == 429 and "45 秒后再试" in response.content.decode()


def test_unknown_and_outsider_phones_see_the_same_page_as_a_member(clock, world, newcomer, send):
    pages = []
    for phone in (newcomer.user.phone, world.outsider.phone, next_phone()):
        response = send(Client(), "/m/activate/", phone)
        pages.append((response.status_code, response.content.decode().replace(phone, "PHONE")))
    assert pages[0][0] == 200
    # The pages differ only by their CSRF tokens.
    strip = [re.sub(r"[A-Za-z0-9]{64}", "", p) for _, p in pages]
    assert strip[0] == strip[1] == strip[2]


def test_a_member_resets_a_forgotten_password_on_the_phone(clock, world, send):
    member = world.a.member
    client = Client()
    send(client, "/m/reset-password/", member.user.phone)
    response = client.post(
        "/m/reset-password/",
        {
            "phone": member.user.phone,
            "code": last_code(member.user.phone),
            "password": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302 and response.url == "/m/"
    member.user.refresh_from_db()
    assert member.user.check_password(NEW_PASSWORD)


def test_an_admin_resets_a_forgotten_password_from_the_login_page_and_lands_home(
    clock, world, send
):
    admin = world.a.admin  # an office admin: no member record
    client = Client()
    login_page = client.get("/login/").content.decode()
    assert '<a href="/m/reset-password/?next=/">忘记密码</a>' in login_page

    send(client, "/m/reset-password/", admin.phone, next_url="/")
    response = client.post(
        "/m/reset-password/",
        {
            "phone": admin.phone,
            "code": last_code(admin.phone),
            "password": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "next": "/",
        },
    )

    assert response.status_code == 302 and response.url == "/"
    assert client.get("/").url.startswith("/console/")
    admin.refresh_from_db()
    assert admin.check_password(NEW_PASSWORD)


def test_the_activation_page_speaks_english_with_the_language_cookie(world, settings):
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = client.get("/m/activate/").content.decode()
    assert "Activate account" in body and "Send code" in body and "激活" not in body
    login = client.get("/login/").content.decode()
    assert "First time here? Activate your account by SMS" in login

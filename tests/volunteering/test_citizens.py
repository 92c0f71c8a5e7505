"""Citizens' sign-in and registration on the phone pages (/c/) and in the service
(volunteering.services.sign_in_citizen): the code machinery of registry.activation, a
phone new to the platform registering, a member's phone refused."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from dangjian.core.errors import DomainError
from dangjian.notifications.models import SmsCode, SmsMessage
from dangjian.volunteering import services
from dangjian.volunteering.models import Citizen
from tests.factories import next_phone
from tests.volunteering.conftest import make_category

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 5, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def _clock(settings):
    settings.SMS_DEMO_OUTBOX = True
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    def ask(phone, ip="10.0.0.7"):
        with django_capture_on_commit_callbacks(execute=True):
            services.send_citizen_code(phone=phone, client_ip=ip)
        return SmsMessage.objects.filter(phone=phone).order_by("-pk").first().params["code"]

    return ask


def test_every_phone_receives_a_citizen_code_a_members_too(world, send):
    for phone in (next_phone(), world.a.member.user.phone, world.outsider.phone):
        assert len(send(phone)) == 6
    assert SmsCode.objects.filter(purpose="citizen").count() == 3


def test_a_code_expires_after_five_minutes(world, send, _clock):
    phone = next_phone()
    code = send(phone)
    _clock.shift(timedelta(minutes=5, seconds=1))

    with pytest.raises(DomainError) as refused:
        services.sign_in_citizen(
            phone=phone, code=code, name="李", community_id=world.a.branch.pk, address="x"
        )

    assert refused.value.code == "code_expired"


def test_a_used_code_cannot_sign_in_twice(world, send, citizen):
    code = send(citizen.user.phone)
    services.sign_in_citizen(phone=citizen.user.phone, code=code)

    with pytest.raises(DomainError) as refused:
        services.sign_in_citizen(phone=citizen.user.phone, code=code)

    assert refused.value.code == "invalid_code"


def test_an_outsider_account_is_not_turned_into_a_citizen(world, send):
    code = send(world.outsider.phone)

    with pytest.raises(DomainError) as refused:
        services.sign_in_citizen(
            phone=world.outsider.phone,
            code=code,
            name="x",
            community_id=world.a.branch.pk,
            address="x",
        )

    assert refused.value.code == "member_account"
    assert not Citizen.objects.exists()


def test_a_disabled_citizen_cannot_sign_in(world, send, citizen):
    citizen.user.is_active = False
    citizen.user.save()
    code = send(citizen.user.phone)

    with pytest.raises(DomainError) as refused:
        services.sign_in_citizen(phone=citizen.user.phone, code=code)

    assert refused.value.code == "account_disabled"


@pytest.mark.parametrize(
    "name, address, field",
    [("", "某村", "name"), ("李", "", "address"), ("李" * 51, "某村", "name")],
)
def test_registration_refuses_missing_or_long_fields(world, send, name, address, field):
    phone = next_phone()
    code = send(phone)

    with pytest.raises(DomainError) as refused:
        services.sign_in_citizen(
            phone=phone, code=code, name=name, community_id=world.a.branch.pk, address=address
        )

    assert refused.value.details["field"] == field
    assert not Citizen.objects.exists()


# The pages ---------------------------------------------------------------------------------


def test_a_new_citizen_signs_in_and_registers_on_the_phone_pages(world, send):
    make_category(world.a.org, "送健康")
    phone = next_phone()
    client = Client()

    sent = client.post("/c/sign-in/", {"phone": phone, "send": "1"})
    assert sent.status_code == 200 and "验证码已发送" in sent.content.decode()
    code = SmsMessage.objects.get(phone=phone).params["code"]

    asked = client.post("/c/sign-in/", {"phone": phone, "code": code, "sign_in": "1"})
    assert "首次登录，请完成登记" in asked.content.decode()
    assert world.a.branch.name in asked.content.decode()

    searched = client.post(
        "/c/sign-in/", {"phone": phone, "code": code, "q": "汉台区某村", "search": "1"}
    )
    assert world.a.branch.name in searched.content.decode()
    assert world.b.branch.name not in searched.content.decode()

    done = client.post(
        "/c/sign-in/",
        {
            "phone": phone,
            "code": code,
            "name": "赵奶奶",
            "community": world.a.branch.pk,
            "address": "某村1组",
            "register": "1",
        },
    )
    assert done.status_code == 302 and done["Location"] == "/c/"
    home = client.get("/c/").content.decode()
    assert "赵奶奶" in home and "送健康" in home
    assert "我要点单" in home and "我的需求" in home
    assert Citizen.objects.get(user__phone=phone).community == world.a.branch

    client.post("/c/sign-out/")
    assert client.get("/c/")["Location"].startswith("/c/sign-in/")


def test_a_member_signing_in_as_a_citizen_is_told_to_use_the_member_login(world):
    client = Client()
    phone = world.a.member.user.phone
    client.post("/c/sign-in/", {"phone": phone, "send": "1"})
    code = SmsMessage.objects.get(phone=phone).params["code"]

    response = client.post("/c/sign-in/", {"phone": phone, "code": code, "sign_in": "1"})

    assert response.status_code == 422
    assert "请使用党员登录" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_wrong_code_is_shown_in_chinese(world):
    client = Client()
    phone = next_phone()
    client.post("/c/sign-in/", {"phone": phone, "send": "1"})

    response = client.post("/c/sign-in/", {"phone": phone, "code": "abcdef", "sign_in": "1"})

    assert response.status_code == 422
    assert "验证码不正确" in response.content.decode()


@pytest.mark.parametrize("who", ["member", "admin", "outsider", "anonymous"])
def test_the_citizen_home_is_for_citizens_only(world, page, who):
    user = {
        "member": world.a.member.user,
        "admin": world.a.admin,
        "outsider": world.outsider,
        "anonymous": None,
    }[who]

    response = page(user).get("/c/")

    assert response.status_code == 302
    assert response["Location"] == ("/c/sign-in/?next=%2Fc%2F" if user is None else "/")


def test_a_signed_in_citizen_skips_the_sign_in_page(world, page, citizen):
    response = page(citizen.user).get("/c/sign-in/")

    assert response.status_code == 302 and response["Location"] == "/c/"


def test_a_community_admin_registers_a_resident_who_then_signs_in_with_a_code(world, send):
    phone = next_phone()
    user = services.register_citizen(
        actor=world.a.branch_admin,
        phone=phone,
        name="孙奶奶",
        community=world.a.branch,
        address="某村1组1号",
    )
    assert user.citizen.community == world.a.branch
    assert not user.has_usable_password()
    code = send(phone)
    assert services.sign_in_citizen(phone=phone, code=code) == user


@pytest.mark.parametrize(
    ("who", "code"),
    [("other_county_admin", "not_found"), ("member", "not_found"), ("outsider", "not_found")],
)
def test_only_an_admin_over_the_community_registers_a_resident(world, who, code):
    actor = {
        "other_county_admin": world.b.admin,
        "member": world.a.member.user,
        "outsider": world.outsider,
    }[who]
    with pytest.raises(DomainError) as refused:
        services.register_citizen(
            actor=actor, phone=next_phone(), name="孙奶奶", community=world.a.branch, address="x"
        )
    assert refused.value.code == code
    assert not Citizen.objects.exists()


def test_registering_a_phone_already_in_use_is_refused(world):
    with pytest.raises(DomainError) as refused:
        services.register_citizen(
            actor=world.a.admin,
            phone=world.a.member.user.phone,
            name="孙奶奶",
            community=world.a.branch,
            address="某村1组1号",
        )
    assert refused.value.code == "phone_in_use"

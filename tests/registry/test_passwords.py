"""The password policy on every path that sets a password: common passwords and
passwords like the phone number are refused (AUTH_PASSWORD_VALIDATORS, registry.passwords)."""

import pytest

from dangjian.core.errors import DomainError
from dangjian.registry import services
from dangjian.registry.passwords import contains_phone
from tests.factories import PASSWORD

PHONE = "13812345678"


@pytest.mark.parametrize(
    "password, holds",
    [
        ("13812345678", True),
        ("Party@12345678!", True),
        ("x87654321-Party", True),  # backwards
        ("Qingshan-river-77", False),
        ("1381234567", False),  # a digit short of the eight kept
        ("", False),
    ],
)
def test_a_password_holding_the_phones_last_eight_digits(password, holds):
    assert contains_phone(password, PHONE) is holds


def test_no_phone_means_nothing_to_hold():
    assert contains_phone("12345678", "") is False


def weak_passwords(user) -> list[str]:
    return [
        "password123",  # common
        "qwertyuiop",  # common
        f"{user.phone}a",  # similar to the phone
        f"Dj#{user.phone[-8:]}#2026",  # holds the phone
    ]


@pytest.mark.django_db
def test_an_admin_cannot_set_a_weak_password_for_a_member(world):
    member = world.a.member
    for password in weak_passwords(member.user):
        with pytest.raises(DomainError) as exc:
            services.set_member_password(
                actor=world.a.branch_admin, member=member, password=password
            )
        assert exc.value.code == "weak_password", password
    member.user.refresh_from_db()
    assert member.user.check_password(PASSWORD)


@pytest.mark.django_db
def test_nobody_changes_their_own_password_to_a_weak_one(world):
    user = world.a.admin
    for password in weak_passwords(user):
        with pytest.raises(DomainError) as exc:
            services.change_own_password(user=user, old_password=PASSWORD, new_password=password)
        assert exc.value.code == "weak_password", password


@pytest.mark.django_db
def test_a_superior_cannot_reset_an_admins_password_to_a_weak_one(world):
    for password in weak_passwords(world.a.admin):
        with pytest.raises(DomainError) as exc:
            services.reset_admin_password(
                actor=world.city_admin, account=world.a.admin, password=password
            )
        assert exc.value.code == "weak_password", password


@pytest.mark.django_db
def test_the_bootstrap_refuses_a_weak_root_password(world):
    phone = world.city_admin.phone
    with pytest.raises(DomainError) as exc:
        services.bootstrap_city(name="汉中市", phone=phone, password=f"Hz!{phone[-8:]}!x")
    assert exc.value.code == "weak_password"


@pytest.mark.django_db
def test_the_api_answers_a_weak_password_with_422(world, api):
    member = world.a.member
    resp = api(world.a.branch_admin).post(
        f"/members/{member.pk}/password", {"password": f"{member.phone}a"}
    )
    assert resp.status_code == 422
    assert resp.json()["code"] == "weak_password"

"""Password hashing as production runs it (dangjian.settings.PASSWORD_HASHERS): Argon2id
with OWASP's minimum parameters makes every new hash, and an older hash (PBKDF2, or
Argon2 with other parameters) still signs in and is rehashed with Argon2id at that login.
The rest of the suite hashes with MD5 for speed (tests/conftest.py); these tests put the
production list back."""

import pytest
from django.contrib.auth.hashers import make_password
from django.test import Client

from dangjian import settings as production
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

ARGON2ID_OWASP = "argon2$argon2id$v=19$m=19456,t=2,p=1$"


@pytest.fixture
def production_hashers(settings):
    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS


def test_production_hashes_new_passwords_with_argon2id_at_owasps_minimum():
    assert production.PASSWORD_HASHERS[0] == "dangjian.registry.passwords.Argon2idPasswordHasher"
    assert "django.contrib.auth.hashers.PBKDF2PasswordHasher" in production.PASSWORD_HASHERS


def test_a_new_password_gets_an_argon2id_hash_of_19_mib_two_passes_one_lane(production_hashers):
    assert make_password(PASSWORD).startswith(ARGON2ID_OWASP)


@pytest.mark.parametrize(
    "old_hasher",
    [
        "pbkdf2_sha256",
        # Django's own Argon2 defaults (100 MiB, eight lanes): same algorithm, other costs.
        "argon2",
    ],
)
def test_a_login_with_an_older_hash_signs_in_and_rehashes_with_argon2id(
    world, production_hashers, settings, old_hasher
):
    user = world.a.member.user
    if old_hasher == "argon2":
        # A hash made by Django's stock Argon2PasswordHasher.
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    user.password = make_password(PASSWORD, hasher=old_hasher)
    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS
    user.save(update_fields=["password"])
    old = user.password
    assert not old.startswith(ARGON2ID_OWASP)

    resp = Client().post(
        "/api/v1/auth/token",
        {"phone": user.phone, "password": PASSWORD},
        content_type="application/json",
    )

    assert resp.status_code == 200, resp.content
    user.refresh_from_db()
    assert user.password.startswith(ARGON2ID_OWASP)
    assert user.password != old
    assert user.check_password(PASSWORD)


def test_a_wrong_password_against_an_older_hash_leaves_it_as_it_was(world, production_hashers):
    user = world.a.member.user
    user.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    user.save(update_fields=["password"])
    old = user.password

    resp = Client().post(
        "/api/v1/auth/token",
        {"phone": user.phone, "password": "Wrong-pass-2026"},
        content_type="application/json",
    )

    assert resp.status_code == 401
    assert resp.json()["code"] == "invalid_credentials"
    user.refresh_from_db()
    assert user.password == old

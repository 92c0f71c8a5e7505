"""The API key's holder (`registry.services.user_for_token`, literal SQL on every API
request, and the check-in's facts, which read it in their own statement) against what the
ORM says of the same rows."""

from datetime import timedelta

import pytest
from django.db import connection

from dangjian.attendance import checkin
from dangjian.core import clock
from dangjian.registry import services
from dangjian.registry.models import ApiKey, ApiToken, User

pytestmark = pytest.mark.django_db


def orm_holder(key: str) -> User | None:
    return User.objects.filter(
        api_tokens__key_hash=ApiToken.hash_key(key),
        api_tokens__expires_at__gt=clock.now(),
        is_active=True,
    ).first()


def test_the_holder_of_a_valid_key_is_the_user_the_orm_finds_with_every_field(world):
    key, _token = services.issue_api_token(user=world.a.member.user)
    holder = services.user_for_token(key)
    expected = orm_holder(key)
    assert holder == expected == world.a.member.user
    for field in User._meta.concrete_fields:
        assert getattr(holder, field.attname) == getattr(expected, field.attname), field.name


def test_an_expired_key_a_deactivated_account_and_an_unknown_key_have_no_holder(world):
    expired, token = services.issue_api_token(user=world.a.member.user)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=clock.now() - timedelta(seconds=1))
    deactivated, _ = services.issue_api_token(user=world.b.member.user)
    User.objects.filter(pk=world.b.member.user.pk).update(is_active=False)
    for key in (expired, deactivated, "nobody-holds-this-key"):
        assert services.user_for_token(key) is None
        assert orm_holder(key) is None


def facts_holder(key: str) -> int | None:
    # What the check-in's facts say of the key (no activity: the token is nobody's).
    with connection.cursor() as cursor:
        facts = checkin.read_facts(
            cursor,
            token="no-such-activity",
            actor=ApiKey.presented(key),
            at=checkin._db_time(clock.now(), connection),
        )
    return facts.user_id


def test_the_check_in_finds_the_same_holder_as_every_other_endpoint(world):
    valid, _ = services.issue_api_token(user=world.a.member.user)
    expired, token = services.issue_api_token(user=world.a.flowing.user)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=clock.now() - timedelta(seconds=1))
    deactivated, _ = services.issue_api_token(user=world.b.member.user)
    User.objects.filter(pk=world.b.member.user.pk).update(is_active=False)
    assert facts_holder(valid) == services.user_for_token(valid).pk == world.a.member.user.pk
    for key in (expired, deactivated, "nobody-holds-this-key"):
        assert facts_holder(key) is None
        assert services.user_for_token(key) is None

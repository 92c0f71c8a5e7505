"""The WeChat binding: one openid an account and one account an openid; who is bound."""

import pytest
from django.db import IntegrityError, transaction

from dangjian.core import clock
from dangjian.registry import selectors
from dangjian.registry.models import WechatBinding


def _bind(user, openid):
    return WechatBinding.objects.create(user=user, openid=openid, bound_at=clock.now())


def test_openids_of_answers_the_bound_accounts_only(world):
    _bind(world.a.member.user, "o-member-a")
    _bind(world.b.member.user, "o-member-b")
    ids = [world.a.member.user_id, world.b.member.user_id, world.a.flowing.user_id]
    assert selectors.openids_of(ids) == {
        world.a.member.user_id: "o-member-a",
        world.b.member.user_id: "o-member-b",
    }


def test_openids_of_leaves_out_an_inactive_account(world):
    _bind(world.a.member.user, "o-member-a")
    world.a.member.user.is_active = False
    world.a.member.user.save(update_fields=["is_active"])
    assert selectors.openids_of([world.a.member.user_id]) == {}


def test_an_openid_belongs_to_one_account(world):
    _bind(world.a.member.user, "o-same")
    with pytest.raises(IntegrityError), transaction.atomic():
        _bind(world.b.member.user, "o-same")


def test_an_account_has_one_openid(world):
    _bind(world.a.member.user, "o-first")
    with pytest.raises(IntegrityError), transaction.atomic():
        _bind(world.a.member.user, "o-second")

"""The WeChat binding: one openid an account and one account an openid; who is bound."""

import pytest
from django.db import IntegrityError, transaction

from dangjian.audit.models import AuditEntry
from dangjian.core import clock
from dangjian.core.errors import DomainError
from dangjian.registry import accounts, selectors, services, wechat
from dangjian.registry.models import User, WechatBinding
from tests.factories import PASSWORD


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


def test_bind_binds_and_audits(world):

    wechat.bind(user=world.a.member.user, openid="o-1")
    assert selectors.openids_of([world.a.member.user_id]) == {world.a.member.user_id: "o-1"}
    entry = AuditEntry.objects.get(action="wechat.bind")
    assert entry.actor == world.a.member.user and entry.org_id == world.a.branch.pk


def test_bind_refuses_an_openid_bound_to_another_account(world):

    _bind(world.b.member.user, "o-taken")
    with pytest.raises(DomainError) as caught:
        wechat.bind(user=world.a.member.user, openid="o-taken")
    assert caught.value.code == "wechat_bound_elsewhere"
    assert WechatBinding.objects.get(openid="o-taken").user == world.b.member.user


def test_bind_replaces_the_accounts_earlier_openid(world):

    _bind(world.a.member.user, "o-old-phone")
    wechat.bind(user=world.a.member.user, openid="o-new-phone")
    assert list(WechatBinding.objects.values_list("openid", flat=True)) == ["o-new-phone"]
    assert wechat.account_for_openid("o-old-phone") is None
    assert wechat.account_for_openid("o-new-phone") == world.a.member.user


def test_the_account_for_an_openid_is_the_one_the_orm_finds_with_every_field(world):
    user = world.a.member.user
    User.objects.filter(pk=user.pk).update(last_login=clock.now(), credentials_version=3)
    _bind(user, "o-member")
    _bind(world.outsider, "o-outsider")
    found = wechat.account_for_openid("o-member")
    expected = User.objects.filter(wechat_binding__openid="o-member", is_active=True).first()
    assert found == expected == user
    assert found._state.db == expected._state.db
    for field in User._meta.concrete_fields:
        assert getattr(found, field.attname) == getattr(expected, field.attname), field.name
    assert wechat.account_for_openid("o-outsider") == world.outsider
    assert wechat.account_for_openid("o-nobody") is None


def test_an_inactive_account_is_not_signed_in_by_its_openid(world):

    _bind(world.a.member.user, "o-1")
    world.a.member.user.is_active = False
    world.a.member.user.save(update_fields=["is_active"])
    assert wechat.account_for_openid("o-1") is None


@pytest.mark.parametrize(
    "take_back",
    [
        lambda w: accounts.sign_out_everywhere(actor=w.a.branch_admin, member=w.a.member),
        lambda w: services.mark_member_left(actor=w.a.branch_admin, member=w.a.member),
        lambda w: services.set_member_password(
            actor=w.a.branch_admin, member=w.a.member, password="Qingshan-river-77"
        ),
    ],
    ids=["sign_out_everywhere", "member_left", "password_set_by_admin"],
)
def test_taking_an_account_back_ends_its_wechat_binding_too(world, take_back):
    _bind(world.a.member.user, "o-member")
    take_back(world)
    assert wechat.account_for_openid("o-member") is None
    assert not WechatBinding.objects.exists()
    entry = AuditEntry.objects.get(action="wechat.unbind")
    assert entry.actor == world.a.branch_admin and entry.object_id == str(world.a.member.user_id)


def test_the_owners_own_password_change_keeps_their_wechat(world):
    _bind(world.a.member.user, "o-member")
    services.change_own_password(
        user=world.a.member.user, old_password=PASSWORD, new_password="Qingshan-river-77"
    )
    assert wechat.account_for_openid("o-member") == world.a.member.user

"""Unbinding WeChat over the API: an admin in scope for a member (every token and session
ends), the caller for their own account; audited; outside the scope 404."""

import pytest

from dangjian.audit.models import AuditEntry
from dangjian.core import clock
from dangjian.registry.models import WechatBinding
from tests.conftest import token_for

pytestmark = pytest.mark.django_db


def bind(user, openid="o-member"):
    return WechatBinding.objects.create(user=user, openid=openid, bound_at=clock.now())


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def test_an_admin_in_scope_unbinds_a_member_and_ends_their_sign_ins(world, api, page):
    member = world.a.member
    bind(member.user)
    key = token_for(member.user)
    session = page(member.user)
    resp = api(world.a.branch_admin).delete(f"/members/{member.pk}/wechat-binding")
    assert resp.status_code == 204
    assert not WechatBinding.objects.exists()
    entry = AuditEntry.objects.get(action="wechat.unbind")
    assert entry.actor == world.a.branch_admin and entry.object_id == str(member.user.pk)
    assert api(None).get("/me", headers=bearer(key)).status_code == 401
    assert session.get("/m/").status_code == 302


@pytest.mark.parametrize(
    "who, status",
    [("b.admin", 404), ("b.branch_admin", 404), ("outsider", 404), ("a.flowing.user", 404)],
)
def test_unbinding_a_member_outside_scope_is_refused(world, api, who, status):
    user = world
    for part in who.split("."):
        user = getattr(user, part)
    bind(world.a.member.user)
    resp = api(user).delete(f"/members/{world.a.member.pk}/wechat-binding")
    assert resp.status_code == status
    assert WechatBinding.objects.count() == 1
    assert not AuditEntry.objects.filter(action="wechat.unbind").exists()


def test_a_member_not_bound_answers_409_not_bound(world, api):
    resp = api(world.a.branch_admin).delete(f"/members/{world.a.member.pk}/wechat-binding")
    assert resp.status_code == 409 and resp.json()["code"] == "not_bound"


def test_the_caller_unbinds_their_own_account(world, api):
    member = world.a.member
    bind(member.user)
    bind(world.a.flowing.user, "o-other")
    resp = api(member.user).delete("/me/wechat-binding")
    assert resp.status_code == 204
    assert list(WechatBinding.objects.values_list("openid", flat=True)) == ["o-other"]
    entry = AuditEntry.objects.get(action="wechat.unbind")
    assert entry.actor == member.user and entry.object_id == str(member.user.pk)
    # Their own token keeps working: unbinding is not signing out.
    assert api(member.user).delete("/me/wechat-binding").json()["code"] == "not_bound"


def test_unbinding_needs_a_token(world, api):
    bind(world.a.member.user)
    assert api(None).delete("/me/wechat-binding").status_code == 401
    assert WechatBinding.objects.count() == 1

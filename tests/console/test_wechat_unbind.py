"""An admin in scope unbinds a member's WeChat on the console member page (the phone or the
WeChat account changed hands): audited, every sign-in of the account ends; outside the
scope refused."""

import pytest
from django.test import Client
from django.urls import reverse

from dangjian.audit.models import AuditEntry
from dangjian.core import clock
from dangjian.registry.models import WechatBinding

pytestmark = pytest.mark.django_db


def bind(member, openid="o-member"):
    return WechatBinding.objects.create(user=member.user, openid=openid, bound_at=clock.now())


def signed_in_phone(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_the_member_page_shows_the_binding_and_the_unbind_button(world, page):
    bind(world.a.member)
    url = reverse("console:member_detail", args=[world.a.member.pk])
    body = page(world.a.branch_admin).get(url).content.decode()
    assert reverse("console:member_wechat_unbind", args=[world.a.member.pk]) in body
    assert "已绑定" in body


def test_no_unbind_button_for_a_member_not_bound(world, page):
    url = reverse("console:member_detail", args=[world.a.member.pk])
    body = page(world.a.branch_admin).get(url).content.decode()
    assert reverse("console:member_wechat_unbind", args=[world.a.member.pk]) not in body
    assert "未绑定" in body


@pytest.mark.parametrize("who", ["a.branch_admin", "a.admin", "city_admin"])
def test_an_admin_in_scope_unbinds_and_the_account_is_signed_out(world, page, who):
    actor = world
    for part in who.split("."):
        actor = getattr(actor, part)
    member = world.a.member
    bind(member)
    phone = signed_in_phone(member.user)
    assert phone.get("/m/").status_code == 200
    url = reverse("console:member_wechat_unbind", args=[member.pk])
    response = page(actor).post(url, follow=True)
    assert "已解除" in response.content.decode()
    assert not WechatBinding.objects.exists()
    entry = AuditEntry.objects.get(action="wechat.unbind")
    assert entry.actor == actor and entry.object_id == str(member.user.pk)
    assert phone.get("/m/").status_code == 302


@pytest.mark.parametrize(
    "who, status", [("b.admin", 404), ("b.branch_admin", 404), ("outsider", 403)]
)
def test_unbinding_outside_scope_is_refused(world, page, who, status):
    actor = world
    for part in who.split("."):
        actor = getattr(actor, part)
    bind(world.a.member)
    url = reverse("console:member_wechat_unbind", args=[world.a.member.pk])
    assert page(actor).post(url).status_code == status
    assert WechatBinding.objects.count() == 1
    assert not AuditEntry.objects.filter(action="wechat.unbind").exists()


def test_a_member_cannot_unbind_another_member_in_the_console(world, page):
    bind(world.a.member)
    url = reverse("console:member_wechat_unbind", args=[world.a.member.pk])
    assert page(world.a.flowing.user).post(url).status_code == 403
    assert WechatBinding.objects.count() == 1


def test_unbinding_is_a_post(world, page):
    url = reverse("console:member_wechat_unbind", args=[world.a.member.pk])
    assert page(world.a.branch_admin).get(url).status_code == 405

"""The activation rate and the invitation of the members who have not activated their
account: the rule as a table, the rates in one query, the invitation's recipients, its
daily limit, its audit entry, and the city-wide invitation in batches."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.hashers import make_password
from django.test import override_settings
from django.urls import reverse

from dangjian import celery
from dangjian.audit.models import AuditEntry
from dangjian.core.errors import DomainError
from dangjian.notifications.models import SmsMessage
from dangjian.registry import invitations, selectors
from dangjian.registry.models import Member, WechatBinding
from tests.conftest import COMMITTED
from tests.factories import make_member

NOW = datetime(2026, 5, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
UNUSABLE = make_password(None)


@pytest.mark.parametrize(
    ("password", "wechat_bound", "activated"),
    [
        ("md5$salt$hash", False, True),  # a usable password
        ("md5$salt$hash", True, True),
        (UNUSABLE, False, False),  # imported, or reset by an admin
        (UNUSABLE, True, True),  # signed in inside WeChat, no password
        ("", False, False),
        ("", True, True),
        (None, False, False),
    ],
)
def test_the_rule_says_who_is_activated(password, wechat_bound, activated):
    assert invitations.is_activated(password=password, wechat_bound=wechat_bound) is activated


@pytest.mark.parametrize(
    ("last", "now", "allowed"),
    [
        (None, NOW, True),
        (NOW - timedelta(hours=11), NOW, True),  # 23:00 the day before in Shanghai
        (NOW - timedelta(hours=9), NOW, False),  # 01:00 the same day
        (NOW - timedelta(hours=1), NOW, False),
        (NOW.replace(hour=0, minute=0), NOW, False),
        (NOW.replace(hour=0, minute=0) - timedelta(seconds=1), NOW, True),
    ],
)
def test_an_organization_is_invited_at_most_once_a_local_day(last, now, allowed, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    assert invitations.invitation_may_be_sent(last_invited_at=last, now=now) is allowed


def _newcomer(world, branch=None, *, bound=False):
    member = make_member(world.city_admin, branch or world.a.branch, password=None)
    if bound:
        WechatBinding.objects.create(user=member.user, openid=f"o-{member.pk}", bound_at=NOW)
    return member


@pytest.mark.django_db
def test_the_query_agrees_with_the_rule_for_every_member(world):
    _newcomer(world)
    _newcomer(world, bound=True)
    member = make_member(world.city_admin, world.a.branch)
    member.user.password = ""
    member.user.save(update_fields=["password"])
    expected = {
        m.pk: invitations.is_activated(
            password=m.user.password,
            wechat_bound=WechatBinding.objects.filter(user=m.user).exists(),
        )
        for m in Member.objects.select_related("user")
    }
    activated = set(Member.objects.filter(invitations.activated_q()).values_list("pk", flat=True))
    assert {pk for pk, yes in expected.items() if yes} == activated
    assert False in expected.values()


@pytest.mark.django_db
def test_the_rates_count_the_subtree_and_each_child(world):
    _newcomer(world)
    _newcomer(world, world.a.other_branch)
    _newcomer(world, world.a.other_branch, bound=True)
    left = _newcomer(world)
    Member.objects.filter(pk=left.pk).update(is_active=False, left_at=NOW.date())
    total, children = selectors.activation_rates(world.a.town)
    # branch: admin, member, flowing (passwords) + one newcomer; other: two newcomers, one bound
    assert (total.members, total.activated) == (6, 4)
    by_org = {r.org.pk: (r.members, r.activated, r.percent) for r in children}
    assert by_org == {world.a.branch.pk: (4, 3, 75.0), world.a.other_branch.pk: (2, 1, 50.0)}
    city, counties = selectors.activation_rates(world.city)
    assert (city.members, city.activated) == (9, 7)
    assert {r.org.pk: r.members for r in counties} == {world.a.org.pk: 6, world.b.org.pk: 3}
    empty = selectors.activation_rates(world.b.other_branch)[0]
    assert (empty.members, empty.percent) == (0, None)


@COMMITTED
def test_it_invites_only_the_not_activated_members_once_a_day_and_audits(world, settings):
    first, second = _newcomer(world), _newcomer(world, world.a.other_branch)
    _newcomer(world, bound=True)
    elsewhere = _newcomer(world, world.b.branch)
    with time_machine.travel(NOW, tick=False):
        result = invitations.invite(actor=world.a.admin, org=world.a.org)
        assert result == {"members": 2, "batches": 1}
        sent = SmsMessage.objects.filter(template="activation_invitation")
        assert sorted(sent.values_list("phone", flat=True)) == sorted(
            [first.user.phone, second.user.phone]
        )
        assert elsewhere.user.phone not in set(sent.values_list("phone", flat=True))
        assert settings.SITE_URL + reverse("mobile:activate") in sent.first().text
        entry = AuditEntry.objects.get(action="org.invite_activation")
        assert (entry.actor_id, entry.org_id, entry.after) == (
            world.a.admin.pk,
            world.a.org.pk,
            {"members": 2, "batches": 1},
        )
        with pytest.raises(DomainError) as refused:
            invitations.invite(actor=world.a.admin, org=world.a.org)
        assert refused.value.code == "already_invited"
        # The branch is another organization, but its members heard today already.
        again = invitations.invite(actor=world.a.branch_admin, org=world.a.branch)
        assert again["members"] == 1
        assert sent.count() == 2
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        invitations.invite(actor=world.a.admin, org=world.a.org)
        assert sent.count() == 4


@COMMITTED
def test_a_city_wide_invitation_goes_in_batches_and_sends_nobody_twice(world, monkeypatch):
    monkeypatch.setattr(invitations, "INVITATION_BATCH", 3)
    calls = []
    real = invitations.invite_members
    monkeypatch.setattr(
        invitations, "invite_members", lambda ids: calls.append(list(ids)) or real(ids)
    )
    newcomers = [_newcomer(world, b) for b in (world.a.branch, world.b.branch) for _ in range(4)]
    with time_machine.travel(NOW, tick=False):
        assert invitations.invite(actor=world.city_admin, org=world.city) == {
            "members": 8,
            "batches": 3,
        }
        assert [len(c) for c in calls] == [3, 3, 2]
        phones = list(
            SmsMessage.objects.filter(template="activation_invitation").values_list(
                "phone", flat=True
            )
        )
        assert sorted(phones) == sorted(m.user.phone for m in newcomers)
        # A batch run again (a worker lost) sends nobody twice.
        for batch in calls[:3]:
            assert real(batch) == 0
        assert SmsMessage.objects.filter(template="activation_invitation").count() == 8


@pytest.mark.django_db
def test_the_dashboards_keep_a_wide_scopes_rate_for_minutes_and_count_a_branch_live(world):
    with time_machine.travel(NOW, tick=False) as traveller:
        kept = selectors.dashboard_activation_rate(world.city)
        assert (kept.members, kept.activated, kept.counted_at) == (6, 6, NOW)
        branch = selectors.dashboard_activation_rate(world.a.branch)
        assert branch.counted_at is None
        _newcomer(world)

        traveller.shift(timedelta(seconds=selectors.ACTIVATION_CACHE_SECONDS - 1))
        # The city's kept figure, with when it was counted; the branch and the organization
        # page (where the invitations are sent) count the newcomer at once.
        again = selectors.dashboard_activation_rate(world.city)
        assert (again.members, again.activated, again.counted_at) == (6, 6, NOW)
        assert selectors.dashboard_activation_rate(world.a.branch).members == branch.members + 1
        assert selectors.activation_rates(world.city)[0].members == 7

        traveller.shift(timedelta(seconds=2))
        later = selectors.dashboard_activation_rate(world.city)
        assert (later.members, later.activated) == (7, 6)
        assert later.counted_at > NOW


@pytest.mark.django_db
def test_a_county_and_the_city_keep_their_own_figures(world):
    _newcomer(world)
    county = selectors.dashboard_activation_rate(world.a.org)
    city = selectors.dashboard_activation_rate(world.city)
    assert (county.members, county.activated, city.members, city.activated) == (4, 3, 7, 6)
    assert selectors.dashboard_activation_rate(world.b.org).members == 3


@pytest.mark.django_db
def test_with_the_cache_down_the_dashboard_counts_the_rate_live(world):
    down = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens: every call fails
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    try:
        with override_settings(CACHES=down):
            first = selectors.dashboard_activation_rate(world.city)
            assert celery.redis_is_down()  # the next readers don't wait for Redis
            _newcomer(world)
            second = selectors.dashboard_activation_rate(world.city)
    finally:
        celery.reset()
    assert (first.members, second.members) == (6, 7)
    assert first.counted_at is not None

"""POST /api/v1/orgs/{id}/activation-invitations and the activation rate on the console's
organization page, with the invitation button, over HTTP (the outsider included)."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from dangjian.audit.models import AuditEntry
from dangjian.notifications.models import Job, SmsMessage
from tests.conftest import COMMITTED
from tests.factories import make_member

NOW = datetime(2026, 5, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
pytestmark = COMMITTED


@pytest.fixture
def newcomers(world):
    return [make_member(world.city_admin, world.a.branch, password=None) for _ in range(2)]


def _invitations():
    return SmsMessage.objects.filter(template="activation_invitation")


def test_a_county_admin_invites_the_not_activated_members_of_the_county(world, api, newcomers):
    with time_machine.travel(NOW, tick=False):
        response = api(world.a.admin).post(f"/orgs/{world.a.org.pk}/activation-invitations")
        assert response.status_code == 202, response.content
        assert response.json() == {"members": 2, "batches": 1, "job_id": Job.objects.get().pk}
        assert sorted(_invitations().values_list("phone", flat=True)) == sorted(
            m.user.phone for m in newcomers
        )
        again = api(world.a.admin).post(f"/orgs/{world.a.org.pk}/activation-invitations")
        assert again.status_code == 429
        assert again.json()["code"] == "already_invited"
        assert _invitations().count() == 2
        assert AuditEntry.objects.filter(action="org.invite_activation").count() == 1


@pytest.mark.parametrize("who", ["b_admin", "outsider", "member"])
def test_it_refuses_whoever_is_not_an_admin_of_the_organization(world, api, newcomers, who):
    user = {"b_admin": world.b.admin, "outsider": world.outsider, "member": world.a.member.user}[
        who
    ]
    response = api(user).post(f"/orgs/{world.a.org.pk}/activation-invitations")
    assert response.status_code == 404
    assert _invitations().count() == 0
    assert not AuditEntry.objects.filter(action="org.invite_activation").exists()


def test_it_refuses_an_anonymous_caller(world, api):
    assert api(None).post(f"/orgs/{world.a.org.pk}/activation-invitations").status_code == 401


def test_the_console_page_shows_the_rates_and_invites(world, page, newcomers):
    client = page(world.a.admin)
    html = client.get(reverse("console:org_detail", args=[world.a.town.pk])).content.decode()
    # The town: branch (admin, member, flowing + 2 newcomers) and the empty other branch.
    assert "60.0%" in html
    assert "3/5" in html
    assert "0/0" in html
    assert reverse("console:org_invite", args=[world.a.town.pk]) in html
    with time_machine.travel(NOW, tick=False):
        response = client.post(reverse("console:org_invite", args=[world.a.town.pk]), follow=True)
        assert response.status_code == 200
        assert "已向2名未激活的党员发送激活邀请短信" in response.content.decode()
        assert _invitations().count() == 2
        again = client.post(reverse("console:org_invite", args=[world.a.town.pk]), follow=True)
        assert "今天已向本组织未激活的党员发送过邀请" in again.content.decode()
        assert _invitations().count() == 2


@pytest.mark.parametrize(("who", "status"), [("b_admin", 404), ("outsider", 403), ("member", 403)])
def test_the_console_hides_another_countys_rates_and_refuses_its_invitation(
    world, page, newcomers, who, status
):
    user = {"b_admin": world.b.admin, "outsider": world.outsider, "member": world.a.member.user}
    client = page(user[who])
    assert client.get(reverse("console:org_detail", args=[world.a.org.pk])).status_code == status
    response = client.post(reverse("console:org_invite", args=[world.a.org.pk]))
    assert response.status_code == status
    assert _invitations().count() == 0
    assert not AuditEntry.objects.filter(action="org.invite_activation").exists()


def _kpi(html: str, name: str) -> str:
    match = re.search(rf'data-kpi="{name}">([^<]*)<', html)
    assert match, html
    return match.group(1)


def test_the_dashboards_show_the_activation_rate_of_their_subtree(world, page, newcomers):
    client = page(world.city_admin)
    city = client.get(reverse("console:dashboard", args=[world.city.pk])).content.decode()
    # County A: 3 with passwords + 2 newcomers; county B: 3 with passwords.
    assert _kpi(city, "activation") == "75.0%"
    county = client.get(reverse("console:dashboard", args=[world.a.org.pk])).content.decode()
    assert _kpi(county, "activation") == "60.0%"
    branch = client.get(reverse("console:dashboard", args=[world.b.branch.pk])).content.decode()
    assert _kpi(branch, "activation") == "100.0%"
    empty = client.get(reverse("console:dashboard", args=[world.b.other_branch.pk]))
    assert _kpi(empty.content.decode(), "activation") == "—"


@pytest.mark.parametrize(("who", "status"), [("b_admin", 404), ("outsider", 403)])
def test_the_dashboard_rate_of_a_county_is_not_shown_to_others(world, page, who, status):
    client = page({"b_admin": world.b.admin, "outsider": world.outsider}[who])
    assert client.get(reverse("console:dashboard", args=[world.a.org.pk])).status_code == status

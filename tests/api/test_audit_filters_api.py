"""GET /audit filtered as the audit log page is: who, the action, the days; inside the
caller's scope (another county's entries never, the outsider nothing)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from dangjian.audit.models import AuditEntry

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def log(world):
    AuditEntry.objects.all().delete()
    a, b = world.a, world.b
    for actor, action, org, day in (
        (a.admin, "org.update", a.branch, 3),
        (a.branch_admin, "member.update", a.branch, 5),
        (a.admin, "member.transfer", a.branch, 7),
        (b.admin, "member.update", b.branch, 5),
    ):
        AuditEntry.objects.create(
            actor=actor,
            actor_label=str(actor),
            action=action,
            object_type="registry.organization",
            object_id=str(org.pk),
            object_label=str(org),
            org=org,
            created_at=datetime(2026, 11, day, 23, 30, tzinfo=SHANGHAI),
        )
    return world


def actions(api, user, **params) -> list[str]:
    resp = api(user).get("/audit", params)
    assert resp.status_code == 200, resp.content
    return [e["action"] for e in resp.json()["items"]]


def test_the_audit_api_filters_by_who_action_and_days(log, api):
    admin = log.a.admin
    assert actions(api, admin, who="支部书记") == ["member.update"]
    assert actions(api, admin, who=log.a.branch_admin.phone) == ["member.update"]
    assert actions(api, admin, action="member.update") == ["member.update"]
    assert actions(api, admin, since="2026-11-05", until="2026-11-05") == ["member.update"]
    assert actions(api, admin, since="2026-11-04") == ["member.transfer", "member.update"]
    assert actions(api, log.city_admin, action="member.update") == [
        "member.update",
        "member.update",
    ]


def test_a_bad_day_is_422(log, api):
    resp = api(log.a.admin).get("/audit", {"since": "昨天"})
    assert resp.status_code == 422


def test_another_countys_admin_and_the_outsider_get_nothing_of_it(log, api):
    assert actions(api, log.b.admin, action="org.update") == []
    assert actions(api, log.outsider, action="member.update") == []

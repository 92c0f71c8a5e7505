"""The audit log's filters: who, what (a select of the actions in Chinese), the object
(its kind and number) and the days; each inside the admin's scope, paginated with the
filters kept, a bad value shown in Chinese and left out; the outsider has no log."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from dangjian.audit.models import AuditEntry
from dangjian.audit.selectors import entries_for

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def html(response) -> str:
    return response.content.decode()


def rows(response) -> int:
    return html(response).count('<td class="c-action">')


@pytest.fixture
def log(world):
    """A few entries of county a on known days, one of county b, besides the fixture's."""
    AuditEntry.objects.all().delete()

    def entry(actor, action, obj, org, day):
        AuditEntry.objects.create(
            actor=actor,
            actor_label=str(actor),
            action=action,
            object_type=obj._meta.label_lower,
            object_id=str(obj.pk),
            object_label=str(obj),
            org=org,
            created_at=datetime(2026, 11, day, 23, 30, tzinfo=SHANGHAI),
        )

    a, b = world.a, world.b
    entry(a.admin, "org.update", a.branch, a.branch, 3)
    entry(a.branch_admin, "member.update", a.member, a.branch, 5)
    entry(a.admin, "member.transfer", a.member, a.branch, 7)
    entry(b.admin, "member.update", b.member, b.branch, 5)
    return world


def test_the_filters_are_offered_with_the_actions_in_chinese(log, page):
    body = html(page(log.a.admin).get(reverse("console:audit")))
    assert 'data-testid="audit-filters"' in body
    assert '<option value="member.transfer">组织关系转接</option>' in body
    assert '<option value="registry.member">党员</option>' in body
    assert rows(page(log.a.admin).get(reverse("console:audit"))) == 3


def test_by_who_what_object_and_days(log, page):
    client = page(log.a.admin)
    url = reverse("console:audit")
    assert rows(client.get(url, {"who": "支部书记"})) == 1
    assert rows(client.get(url, {"action": "member.update"})) == 1  # county b's is not shown
    member = {"object_type": "registry.member", "object_id": str(log.a.member.pk)}
    assert rows(client.get(url, member)) == 2
    # Days in local time, both ends included: the 5th at 23:30 is the 5th.
    assert rows(client.get(url, {"since": "2026-11-05", "until": "2026-11-05"})) == 1
    assert rows(client.get(url, {"since": "2026-11-04"})) == 2
    assert rows(client.get(url, {"until": "2026-11-04"})) == 1
    both = client.get(url, {"who": "管理员", "action": "member.transfer", "since": "2026-11-01"})
    assert rows(both) == 1 and "组织关系转接" in html(both)


def test_a_bad_value_is_named_in_chinese_and_left_out(log, page):
    client = page(log.a.admin)
    response = client.get(reverse("console:audit"), {"action": "drop.table", "since": "昨天"})
    assert response.status_code == 200
    body = html(response)
    assert "日期格式应为 YYYY-MM-DD" in body
    assert "选择一个有效的选项" in body
    assert rows(response) == 3


def test_pages_keep_the_filters(log, page):
    from dangjian.console.views.base import PAGE_SIZE

    first = AuditEntry.objects.get(action="member.transfer")
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                **{
                    f.attname: getattr(first, f.attname)
                    for f in first._meta.concrete_fields
                    if f.name != "id"
                }
            )
            for _ in range(PAGE_SIZE)
        ]
    )
    client = page(log.a.admin)
    response = client.get(reverse("console:audit"), {"action": "member.transfer"})
    assert rows(response) == PAGE_SIZE
    assert "action=member.transfer&amp;page=2" in html(response)
    second = client.get(reverse("console:audit"), {"action": "member.transfer", "page": 2})
    assert rows(second) == 1


def test_filters_stay_inside_the_scope(log):
    assert entries_for(log.b.admin, action="org.update").count() == 0
    assert entries_for(log.city_admin, action="member.update").count() == 2
    assert entries_for(log.outsider).count() == 0


@pytest.mark.parametrize("who", ["outsider", "member"])
def test_the_outsider_and_a_member_have_no_audit_log(log, page, who):
    user = log.outsider if who == "outsider" else log.a.member.user
    response = page(user).get(reverse("console:audit"), {"action": "member.update"})
    assert response.status_code == 403
    assert "南郑区" not in html(response)

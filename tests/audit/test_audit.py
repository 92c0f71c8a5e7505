import pytest

from dangjian.audit import selectors
from dangjian.audit import services as audit
from dangjian.audit.models import AuditEntry
from dangjian.registry import services
from dangjian.registry.models import Organization

pytestmark = pytest.mark.django_db


def _orgs_under(org: Organization) -> set[int]:
    return set(Organization.objects.filter(path__startswith=org.path).values_list("pk", flat=True))


def test_an_admin_sees_exactly_the_entries_of_their_subtree(world):
    for county in (world.a, world.b):
        assert selectors.entries_for(county.admin).exists()
        seen = set(selectors.entries_for(county.admin).values_list("org_id", flat=True))
        assert seen <= _orgs_under(county.org)
        expected = AuditEntry.objects.filter(org_id__in=_orgs_under(county.org)).count()
        assert selectors.entries_for(county.admin).count() == expected
    # The city admin sees everything that belongs to an organization.
    assert selectors.entries_for(world.city_admin).count() == (
        AuditEntry.objects.filter(org__isnull=False).count()
    )


def test_county_a_never_sees_county_b_entries(world):
    services.update_organization(actor=world.b.admin, org=world.b.branch, category="二星")
    services.update_member(actor=world.b.admin, member=world.b.member, name="改名")
    b_entries = set(
        AuditEntry.objects.filter(org_id__in=_orgs_under(world.b.org)).values_list("pk", flat=True)
    )
    assert b_entries
    for viewer in (world.a.admin, world.a.branch_admin):
        assert not b_entries & set(selectors.entries_for(viewer).values_list("pk", flat=True))
    # Narrowing to another county's organization does not widen the scope.
    assert not selectors.entries_for(world.a.admin, org=world.b.org).exists()


def test_members_outsiders_and_anonymous_see_no_entries(world):
    from django.contrib.auth.models import AnonymousUser

    for viewer in (world.a.member.user, world.a.flowing.user, world.outsider, AnonymousUser()):
        assert not selectors.entries_for(viewer).exists()


def test_a_branch_admin_sees_the_branch_but_not_the_town_above_it(world):
    services.update_organization(actor=world.a.admin, org=world.a.town, category="示范")
    services.update_organization(actor=world.a.admin, org=world.a.branch, category="三星")
    actions = {(e.org_id, e.action) for e in selectors.entries_for(world.a.branch_admin)}
    assert (world.a.branch.pk, "org.update") in actions
    assert not [org for org, _ in actions if org != world.a.branch.pk]


def test_entries_can_be_narrowed_by_org_and_object(world):
    services.update_member(actor=world.a.admin, member=world.a.member, name="新名字")
    member_entries = selectors.entries_for(
        world.a.admin, object_type="registry.member", object_id=world.a.member.pk
    )
    assert {e.object_id for e in member_entries} == {str(world.a.member.pk)}
    assert {e.action for e in member_entries} == {"member.create", "member.update"}
    under_other = selectors.entries_for(world.a.admin, org=world.a.other_branch)
    assert {e.org_id for e in under_other} == {world.a.other_branch.pk}


def test_entries_follow_an_organization_when_it_moves(world):
    # Scope is the organization's current place in the tree, not where it was.
    services.move_organization(actor=world.city_admin, org=world.a.town, new_parent=world.b.org)
    a_admin = type(world.a.admin).objects.get(pk=world.a.admin.pk)
    b_admin = type(world.b.admin).objects.get(pk=world.b.admin.pk)
    branch_entries = AuditEntry.objects.filter(org=world.a.branch)
    assert branch_entries.exists()
    a_seen = set(selectors.entries_for(a_admin).values_list("pk", flat=True))
    b_seen = set(selectors.entries_for(b_admin).values_list("pk", flat=True))
    for entry in branch_entries:
        assert entry.pk in b_seen and entry.pk not in a_seen


def test_an_entry_records_actor_object_and_before_after(world):
    services.update_organization(actor=world.a.admin, org=world.a.branch, name="新名称")
    entry = selectors.entries_for(world.a.admin).filter(action="org.update").get()
    assert entry.actor == world.a.admin
    assert entry.actor_label == str(world.a.admin)
    assert (entry.object_type, entry.object_id) == ("registry.organization", str(world.a.branch.pk))
    assert entry.object_label == "新名称"
    assert (entry.before, entry.after) == ({"name": "汉台区某村党支部"}, {"name": "新名称"})
    assert entry.created_at is not None


def test_diff_keeps_only_the_changed_keys():
    before = {"a": 1, "b": "x", "c": None}
    after = {"a": 1, "b": "y", "c": "2026-01-01"}
    assert audit.diff(before, after) == ({"b": "x", "c": None}, {"b": "y", "c": "2026-01-01"})
    assert audit.diff(before, dict(before)) == ({}, {})

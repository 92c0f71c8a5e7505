from datetime import date

import pytest
from django.db import connection

from dangjian import permissions
from dangjian.audit.models import AuditEntry
from dangjian.core.errors import DomainError
from dangjian.registry import selectors, services
from dangjian.registry.models import (
    Member,
    Organization,
    OrgKind,
    Role,
    RoleGrant,
    Sector,
    Transfer,
    User,
)
from tests.factories import PASSWORD, MemberData, make_member, make_org

pytestmark = pytest.mark.django_db

CLEAR_ID = "610702199001011234"  # born 1990-01-01, male
BORN = date(1990, 1, 1)


def fresh(user: User) -> User:
    """The same account without the per-request permission caches."""
    return User.objects.get(pk=user.pk)


def counts() -> tuple[int, int, int, int]:
    return (
        Member.objects.count(),
        User.objects.count(),
        AuditEntry.objects.count(),
        Organization.objects.count(),
    )


def last_entry(action: str) -> AuditEntry:
    return AuditEntry.objects.filter(action=action).order_by("-id").first()


def refused(fn, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as exc:
        fn(**kwargs)
    return exc.value


# create_member ---------------------------------------------------------------------------


def test_create_member_stores_the_person_with_a_masked_id_and_an_account(world):
    data = MemberData(id_number=CLEAR_ID, birth_date=BORN, name="张三")
    member = services.create_member(actor=world.a.branch_admin, branch=world.a.branch, **data)
    member.refresh_from_db()
    assert member.branch == world.a.branch
    assert member.id_number_masked == "6107**********1234"
    assert member.reveal_id_number() == CLEAR_ID
    assert member.user.phone == data["phone"]
    assert member.user.name == "张三"
    assert member.is_active and member.status == "full"
    entry = last_entry("member.create")
    assert entry.actor == world.a.branch_admin
    assert entry.object_id == str(member.pk)
    assert entry.org == world.a.branch
    assert entry.before is None
    assert entry.after["id_number_masked"] == "6107**********1234"
    assert CLEAR_ID not in str(entry.after)


@pytest.mark.parametrize(
    "overrides, code, field",
    [
        ({"id_number": "610702199001011235"}, "invalid_id_number", "id_number"),
        ({"id_number": ""}, "invalid_id_number", "id_number"),
        ({"gender": "female"}, "validation_error", "gender"),
        ({"birth_date": date(1990, 1, 2)}, "validation_error", "birth_date"),
        ({"status": "full", "full_date": None}, "validation_error", "full_date"),
        ({"status": "probationary", "full_date": date(2011, 7, 1)},
         "validation_error", "full_date"),
        # Born 1990-01-01: seventeen on this join date.
        ({"join_date": date(2007, 12, 31), "full_date": None, "status": "probationary"},
         "validation_error", "join_date"),
        ({"phone": "12345"}, "invalid_phone", "phone"),
        ({"is_flowing": True, "flowing_location": ""}, "validation_error", "flowing_location"),
    ],
)  # fmt: skip
def test_create_member_refuses_invalid_fields_and_writes_nothing(world, overrides, code, field):
    data = MemberData(**{"id_number": CLEAR_ID, "birth_date": BORN, **overrides})
    before = counts()
    error = refused(services.create_member, actor=world.a.admin, branch=world.a.branch, **data)
    assert error.code == code
    assert error.details["field"] == field
    assert any(e["field"] == field for e in error.details["errors"])
    assert error.message  # a Chinese sentence for the page to show
    assert counts() == before


def test_create_member_accepts_an_eighteen_year_old(world):
    data = MemberData(
        id_number=CLEAR_ID, birth_date=BORN, join_date=date(2008, 1, 1), full_date=date(2009, 1, 1)
    )
    member = services.create_member(actor=world.a.admin, branch=world.a.branch, **data)
    assert member.join_date == date(2008, 1, 1)


def test_create_member_refuses_a_duplicate_id_number_and_writes_nothing(world):
    make_member(world.a.admin, world.a.branch, id_number=CLEAR_ID, birth_date=BORN)
    before = counts()
    # Even in another county, typed in lower case with spaces, with a fresh phone.
    error = refused(
        services.create_member,
        actor=world.b.admin,
        branch=world.b.branch,
        **MemberData(id_number=" 610702 199001011234 ", birth_date=BORN),
    )
    assert error.code == "duplicate_id_number"
    assert error.details["field"] == "id_number"
    assert counts() == before


def test_create_member_refuses_a_phone_that_another_member_uses(world):
    before = counts()
    error = refused(
        services.create_member,
        actor=world.a.admin,
        branch=world.a.branch,
        **MemberData(phone=world.a.member.user.phone),
    )
    assert error.code == "duplicate_phone"
    assert counts() == before


def test_create_member_links_an_existing_account_without_a_member_record(world):
    # A county admin who is not yet on any roster joins a branch: one account, not two.
    users = User.objects.count()
    member = services.create_member(
        actor=world.a.admin,
        branch=world.a.branch,
        **MemberData(phone=world.a.admin.phone),
    )
    assert member.user == world.a.admin
    assert User.objects.count() == users


def test_create_member_leaves_no_account_behind_when_a_later_step_fails(world, monkeypatch):
    before = counts()

    def boom(**kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(services.audit, "record", boom)
    with pytest.raises(RuntimeError):
        services.create_member(actor=world.a.admin, branch=world.a.branch, **MemberData())
    assert counts() == before


def test_create_member_only_into_a_branch_in_scope(world):
    before = counts()
    assert (
        refused(
            services.create_member, actor=world.a.admin, branch=world.b.branch, **MemberData()
        ).code
        == "not_found"
    )
    assert (
        refused(
            services.create_member, actor=world.a.member.user, branch=world.a.branch, **MemberData()
        ).code
        == "forbidden"
    )
    assert (
        refused(
            services.create_member, actor=world.a.admin, branch=world.a.town, **MemberData()
        ).code
        == "not_a_branch"
    )
    assert counts() == before


# update_member ---------------------------------------------------------------------------


def test_update_member_changes_fields_and_audits_only_what_changed(world):
    member = world.a.member
    services.update_member(
        actor=world.a.branch_admin,
        member=member,
        name="李四",
        is_flowing=True,
        flowing_location="浙江省杭州市",
    )
    member.refresh_from_db()
    assert (member.name, member.is_flowing, member.flowing_location) == (
        "李四",
        True,
        "浙江省杭州市",
    )
    assert member.user.name == "李四"
    entry = last_entry("member.update")
    assert entry.actor == world.a.branch_admin
    assert entry.object_id == str(member.pk)
    assert set(entry.after) == {"name", "is_flowing", "flowing_location"}
    assert entry.after["flowing_location"] == "浙江省杭州市"
    assert entry.before["is_flowing"] is False
    assert entry.before["flowing_location"] == ""


def test_update_member_with_no_change_writes_no_audit_entry(world):
    before = AuditEntry.objects.count()
    services.update_member(actor=world.a.admin, member=world.a.member, name=world.a.member.name)
    assert AuditEntry.objects.count() == before


def test_update_member_of_the_id_number_audits_the_masked_form_only(world):
    member = make_member(world.a.admin, world.a.branch, id_number=CLEAR_ID, birth_date=BORN)
    new_id = "610702199001011250"
    services.update_member(actor=world.a.admin, member=member, id_number=new_id)
    member.refresh_from_db()
    assert member.reveal_id_number() == new_id
    assert Member.objects.by_id_number(new_id).get() == member
    assert not Member.objects.by_id_number(CLEAR_ID).exists()
    entry = last_entry("member.update")
    assert entry.before == {"id_number_masked": "6107**********1234"}
    assert entry.after == {"id_number_masked": "6107**********1250"}


def test_update_member_refuses_bad_values_and_keeps_the_record(world):
    member = world.a.member
    other = world.a.flowing
    cases = [
        ({"id_number": other.reveal_id_number()}, "duplicate_id_number"),
        ({"phone": other.user.phone}, "duplicate_phone"),
        ({"phone": world.a.admin.phone}, "duplicate_phone"),
        ({"id_number": "610702199001011235"}, "invalid_id_number"),
        ({"gender": "female"}, "validation_error"),
        ({"branch": world.b.branch}, "validation_error"),
    ]
    before = counts()
    for changes, code in cases:
        assert (
            refused(services.update_member, actor=world.a.admin, member=member, **changes).code
            == code
        ), changes
    assert counts() == before
    reloaded = Member.objects.select_related("user").get(pk=member.pk)
    assert reloaded.user.phone == member.user.phone
    assert reloaded.id_number_hash == member.id_number_hash
    assert reloaded.gender == member.gender


def test_update_member_is_for_admins_in_scope_only(world):
    member = world.a.member
    assert (
        refused(services.update_member, actor=world.b.admin, member=member, name="改名").code
        == "not_found"
    )
    # Members read their own record but do not edit it through the registry.
    assert (
        refused(services.update_member, actor=member.user, member=member, name="改名").code
        == "forbidden"
    )
    member.refresh_from_db()
    assert member.name != "改名"


# transfer_member -------------------------------------------------------------------------


def test_a_transfer_moves_the_member_and_keeps_history(world):
    member = world.a.member
    transfer = services.transfer_member(
        actor=world.a.admin, member=member, to_branch=world.a.other_branch, reason="工作调动"
    )
    member.refresh_from_db()
    assert member.branch == world.a.other_branch
    assert (transfer.from_branch, transfer.to_branch, transfer.actor) == (
        world.a.branch,
        world.a.other_branch,
        world.a.admin,
    )
    services.transfer_member(actor=world.city_admin, member=member, to_branch=world.b.branch)
    history = list(selectors.transfers_of(member))
    assert [(t.from_branch, t.to_branch) for t in history] == [
        (world.a.other_branch, world.b.branch),
        (world.a.branch, world.a.other_branch),
    ]
    entry = AuditEntry.objects.filter(action="member.transfer").order_by("id").first()
    assert entry.actor == world.a.admin
    assert entry.before == {"branch_id": world.a.branch.pk}
    assert entry.after == {"branch_id": world.a.other_branch.pk, "reason": "工作调动"}
    # The member now reads the new branch, not the old one.
    user = fresh(member.user)
    assert permissions.can(user, "read", world.b.branch)
    assert not permissions.can(user, "read", world.a.branch)


def test_a_transfer_out_of_the_actors_scope_is_refused_and_changes_nothing(world):
    member = world.a.member
    before = (Transfer.objects.count(), AuditEntry.objects.count())
    cases = [
        (world.a.admin, member, world.b.branch, "not_found"),
        (world.a.branch_admin, member, world.a.other_branch, "not_found"),
        (world.b.admin, member, world.b.branch, "not_found"),
        (member.user, member, world.a.other_branch, "forbidden"),
        (world.a.admin, member, world.a.branch, "same_branch"),
        (world.a.admin, member, world.a.town, "not_a_branch"),
    ]
    for actor, who, to, code in cases:
        assert (
            refused(services.transfer_member, actor=actor, member=who, to_branch=to).code == code
        ), (actor, to)
    member.refresh_from_db()
    assert member.branch == world.a.branch
    assert (Transfer.objects.count(), AuditEntry.objects.count()) == before


def test_a_member_who_left_cannot_be_transferred(world):
    services.mark_member_left(actor=world.a.admin, member=world.a.member)
    error = refused(
        services.transfer_member,
        actor=world.a.admin,
        member=world.a.member,
        to_branch=world.a.other_branch,
    )
    assert error.code == "member_left"


# mark_member_left ------------------------------------------------------------------------


def test_a_member_marked_as_left_drops_off_the_roll_but_stays_on_record(world):
    member = world.a.member
    services.mark_member_left(
        actor=world.a.branch_admin, member=member, left_at=date(2026, 1, 15), reason="出党"
    )
    member.refresh_from_db()
    assert member.is_active is False
    assert member.left_at == date(2026, 1, 15)
    entry = last_entry("member.leave")
    assert entry.actor == world.a.branch_admin
    assert entry.before == {"is_active": True}
    assert entry.after == {"is_active": False, "left_at": "2026-01-15", "reason": "出党"}
    assert member not in selectors.members_of(world.a.admin, world.a.branch)
    assert member in selectors.members_of(world.a.admin, world.a.branch, active=None)
    # They no longer read their branch or their record; the admin still does.
    user = fresh(member.user)
    assert not permissions.can(user, "read", world.a.branch)
    assert permissions.access_member(world.a.admin, member.pk) == member
    # Marking again changes nothing and records nothing.
    entries = AuditEntry.objects.count()
    services.mark_member_left(actor=world.a.admin, member=member, left_at=date(2026, 2, 1))
    member.refresh_from_db()
    assert member.left_at == date(2026, 1, 15)
    assert AuditEntry.objects.count() == entries


def test_only_an_admin_in_scope_marks_a_member_as_left(world):
    flowing, member = world.a.flowing, world.a.member
    for actor, who, code in [
        (world.b.admin, flowing, "not_found"),
        # Another member's record is not even readable; one's own is, but not to change.
        (member.user, flowing, "not_found"),
        (member.user, member, "forbidden"),
    ]:
        assert refused(services.mark_member_left, actor=actor, member=who).code == code
    assert Member.objects.filter(pk__in=[flowing.pk, member.pk], is_active=True).count() == 2


# Organizations ---------------------------------------------------------------------------


def test_create_organization_places_it_under_the_parent_and_audits_it(world):
    org = make_org(world.a.admin, world.a.town, "新建村党支部", code="B-A9", category="三星")
    assert org.path.startswith(world.a.town.path)
    assert org.depth == world.a.town.depth + 1
    assert selectors.parent_id(org) == world.a.town.pk
    entry = last_entry("org.create")
    assert entry.actor == world.a.admin
    assert entry.org == org
    assert entry.after["name"] == "新建村党支部"
    assert entry.after["code"] == "B-A9"
    assert entry.after["path"] == org.path


def test_organization_rules_are_enforced(world):
    before = counts()
    cases = [
        (world.a.branch, OrgKind.BRANCH, {}, "invalid_parent"),
        (world.a.branch, OrgKind.COMMITTEE, {}, "invalid_parent"),
        (world.a.town, OrgKind.BRANCH, {"code": "B-A1"}, "duplicate_code"),
        (world.a.town, "club", {}, "validation_error"),
        (world.a.town, OrgKind.BRANCH, {"sector": "moon"}, "validation_error"),
        (world.a.town, OrgKind.BRANCH, {"name": "  "}, "validation_error"),
    ]
    for parent, kind, extra, code in cases:
        kw = {"name": "测试党支部", "sector": Sector.RURAL, **extra}
        error = refused(
            services.create_organization, actor=world.a.admin, parent=parent, kind=kind, **kw
        )
        assert error.code == code, (parent, kind, extra)
    assert counts() == before


def test_a_general_branch_holds_only_branches(world):
    general = make_org(world.a.admin, world.a.town, "某党总支", kind=OrgKind.GENERAL_BRANCH)
    assert make_org(world.a.admin, general, "第一党支部").kind == OrgKind.BRANCH
    for kind in (OrgKind.COMMITTEE, OrgKind.GENERAL_BRANCH):
        error = refused(
            services.create_organization,
            actor=world.a.admin,
            parent=general,
            name="不允许",
            kind=kind,
            sector=Sector.RURAL,
        )
        assert error.code == "invalid_parent"
    # Nor may a committee below it be created by changing its kind afterwards.
    assert (
        refused(
            services.update_organization, actor=world.a.admin, org=general, kind=OrgKind.BRANCH
        ).code
        == "invalid_kind"
    )


def test_update_organization_audits_before_and_after_and_guards_kind_changes(world):
    services.update_organization(actor=world.a.admin, org=world.a.branch, category="四星")
    entry = last_entry("org.update")
    assert entry.actor == world.a.admin
    assert entry.before == {"category": "五星"}
    assert entry.after == {"category": "四星"}
    # A branch with members stays a branch; a committee with children cannot become one.
    assert (
        refused(
            services.update_organization, actor=world.a.admin, org=world.a.branch, kind="committee"
        ).code
        == "invalid_kind"
    )
    assert (
        refused(
            services.update_organization, actor=world.a.admin, org=world.a.town, kind="branch"
        ).code
        == "invalid_kind"
    )
    assert (
        refused(
            services.update_organization, actor=world.a.admin, org=world.a.town, code="B-B1"
        ).code
        == "duplicate_code"
    )
    assert (
        refused(
            services.update_organization, actor=world.a.admin, org=world.a.town, path="0001"
        ).code
        == "validation_error"
    )
    world.a.town.refresh_from_db()
    assert (world.a.town.kind, world.a.town.code) == (OrgKind.COMMITTEE, "T-A")


def test_update_organization_is_for_admins_over_it(world):
    for actor, org, code in [
        (world.a.admin, world.b.branch, "not_found"),
        (world.a.branch_admin, world.a.town, "not_found"),
        (world.a.member.user, world.a.branch, "forbidden"),
        (world.a.admin, world.city, "not_found"),
    ]:
        assert refused(services.update_organization, actor=actor, org=org, name="改名").code == code
    assert not Organization.objects.filter(name="改名").exists()


def _subtree_paths(org: Organization) -> dict[int, str]:
    return dict(Organization.objects.filter(path__startswith=org.path).values_list("pk", "path"))


def test_moving_an_organization_moves_its_whole_subtree_consistently(world):
    town = world.a.town
    old_paths = _subtree_paths(town)
    assert len(old_paths) == 3  # the town and its two branches
    services.move_organization(actor=world.city_admin, org=town, new_parent=world.b.org)
    town.refresh_from_db()
    assert town.path.startswith(world.b.org.path)
    assert town.depth == world.b.org.depth + 1
    new_paths = _subtree_paths(town)
    assert set(new_paths) == set(old_paths)
    for pk, path in new_paths.items():
        # Each descendant keeps its place below the town, under the town's new path.
        assert path == town.path + old_paths[pk][len(old_paths[world.a.town.pk]) :]
    # treebeard's own consistency check: paths, depths and child counts agree.
    assert all(not problem for problem in Organization.objects.find_problems())
    county_a = Organization.objects.get(pk=world.a.org.pk)
    county_b = Organization.objects.get(pk=world.b.org.pk)
    assert (county_a.numchild, county_b.numchild) == (0, 2)

    # Members stay in their branches, and subtree queries by path prefix follow the move.
    member = Member.objects.get(pk=world.a.member.pk)
    assert member.branch_id == world.a.branch.pk
    in_b = set(Member.objects.in_subtree(county_b.path))
    assert {world.a.member, world.a.flowing, world.b.member} <= in_b
    assert not Member.objects.in_subtree(county_a.path).exists()
    assert world.a.member in selectors.members_of(fresh(world.b.admin), county_b, subtree=True)
    # Scope follows the tree: county a's admin lost the town, county b's admin gained it.
    branch = Organization.objects.get(pk=world.a.branch.pk)
    assert not permissions.can(fresh(world.a.admin), "read", branch)
    assert permissions.can(fresh(world.b.admin), "change", member)
    # The branch's own admin keeps the branch.
    assert permissions.can(fresh(world.a.branch_admin), "change", member)

    entry = last_entry("org.move")
    assert entry.actor == world.city_admin
    assert entry.before == {"parent_id": world.a.org.pk, "path": old_paths[town.pk]}
    assert entry.after == {"parent_id": world.b.org.pk, "path": town.path}


def test_an_organization_cannot_move_under_itself_or_its_descendants(world):
    paths = _subtree_paths(world.city)
    for org, new_parent, code in [
        (world.a.org, world.a.town, "invalid_parent"),
        (world.a.org, world.a.org, "invalid_parent"),
        (world.a.town, world.a.branch, "invalid_parent"),
        (world.city, world.a.org, "invalid_parent"),
    ]:
        assert (
            refused(
                services.move_organization, actor=world.city_admin, org=org, new_parent=new_parent
            ).code
            == code
        )
    assert _subtree_paths(world.city) == paths


def test_a_move_needs_change_rights_on_both_ends(world):
    paths = _subtree_paths(world.city)
    for actor, org, new_parent, code in [
        (world.a.admin, world.a.other_branch, world.b.town, "not_found"),
        (world.b.admin, world.a.other_branch, world.b.town, "not_found"),
        (world.a.branch_admin, world.a.branch, world.a.town, "not_found"),
        (world.a.member.user, world.a.branch, world.a.town, "forbidden"),
    ]:
        assert (
            refused(services.move_organization, actor=actor, org=org, new_parent=new_parent).code
            == code
        )
    assert _subtree_paths(world.city) == paths
    # Within their own subtree a county admin may move a branch.
    second_town = make_org(world.a.admin, world.a.org, "另一镇党委", kind=OrgKind.COMMITTEE)
    services.move_organization(
        actor=world.a.admin, org=world.a.other_branch, new_parent=second_town
    )
    assert selectors.parent_id(Organization.objects.get(pk=world.a.other_branch.pk)) == (
        second_town.pk
    )


def test_subtree_queries_are_a_path_prefix_match_in_one_query(world, django_assert_num_queries):
    qs = selectors.members_of(world.city_admin, world.city, subtree=True)
    sql = str(qs.query)
    assert "LIKE" in sql.upper()
    assert world.city.path in sql
    permissions.admin_paths(world.city_admin)  # warm the per-request cache
    with django_assert_num_queries(1):
        found = set(qs)
    assert found == set(Member.objects.filter(is_active=True))
    org_sql = str(Organization.objects.all().subtree_of(world.a.org.path).query)
    assert "LIKE" in org_sql.upper()
    assert set(Organization.objects.all().subtree_of(world.a.org.path)) == {
        world.a.org,
        world.a.town,
        world.a.branch,
        world.a.other_branch,
    }


def test_subtree_queries_do_not_mistake_a_sibling_for_a_descendant(world):
    # Path segments have a fixed width, so 0001 0001 is never a prefix of 0001 0011 etc.
    orgs = [
        make_org(world.city_admin, world.city, f"区{i}", kind=OrgKind.COMMITTEE) for i in range(10)
    ]
    tenth = orgs[-1]
    assert set(Organization.objects.all().subtree_of(world.a.org.path)).isdisjoint({tenth, *orgs})
    assert set(Organization.objects.all().subtree_of(tenth.path)) == {tenth}


# Roles -----------------------------------------------------------------------------------


def test_grant_and_revoke_admin_change_the_grantees_scope(world):
    grantee = world.a.member.user
    assert not permissions.can(fresh(grantee), "change", world.a.flowing)
    grant = services.grant_admin(actor=world.a.admin, org=world.a.branch, user=grantee)
    assert grant.role == Role.ADMIN and grant.granted_by == world.a.admin
    user = fresh(grantee)
    assert permissions.can(user, "change", world.a.flowing)
    assert permissions.can(user, "change", world.a.branch)
    assert not permissions.can(user, "read", world.a.other_branch)
    entry = last_entry("role.grant")
    assert entry.actor == world.a.admin
    assert entry.org == world.a.branch
    assert entry.after == {"user_id": grantee.pk, "org_id": world.a.branch.pk, "role": "admin"}

    # Granting twice keeps one grant and one entry.
    services.grant_admin(actor=world.a.admin, org=world.a.branch, user=grantee)
    assert RoleGrant.objects.filter(user=grantee, org=world.a.branch).count() == 1
    assert AuditEntry.objects.filter(action="role.grant", org=world.a.branch).count() == 2

    services.revoke_admin(actor=world.a.admin, grant=grant)
    user = fresh(grantee)
    assert not permissions.can(user, "change", world.a.flowing)
    assert permissions.can(user, "read", world.a.branch)  # still a member of it
    entry = last_entry("role.revoke")
    assert entry.actor == world.a.admin
    assert entry.before == {"user_id": grantee.pk, "org_id": world.a.branch.pk, "role": "admin"}
    assert entry.after is None


def test_the_grantors_own_cached_scope_is_not_confused_with_the_grantees(world):
    grantee = world.outsider
    services.grant_admin(actor=world.a.admin, org=world.a.town, user=grantee)
    # The same User instance, used right after the grant, already sees the new scope.
    assert permissions.can(grantee, "change", world.a.branch)
    assert not permissions.can(grantee, "read", world.a.org)


def test_only_admins_over_an_org_grant_or_revoke_on_it(world):
    grants = RoleGrant.objects.count()
    for actor, org, code in [
        (world.a.admin, world.b.branch, "not_found"),
        (world.a.admin, world.city, "not_found"),
        (world.a.member.user, world.a.branch, "forbidden"),
        (world.outsider, world.a.branch, "not_found"),
    ]:
        assert refused(services.grant_admin, actor=actor, org=org, user=world.outsider).code == code
    assert RoleGrant.objects.count() == grants
    city_grant = RoleGrant.objects.get(org=world.city)
    assert refused(services.revoke_admin, actor=world.a.admin, grant=city_grant).code == (
        "not_found"
    )
    assert RoleGrant.objects.filter(pk=city_grant.pk).exists()


# Passwords and reveals -------------------------------------------------------------------


def test_set_member_password_is_audited_and_refuses_weak_passwords(world):
    member = world.a.member
    services.set_member_password(actor=world.a.admin, member=member, password="Another-pass-42")
    member.user.refresh_from_db()
    assert member.user.check_password("Another-pass-42")
    entry = last_entry("member.set_password")
    assert entry.actor == world.a.admin
    assert "Another-pass-42" not in str(entry.before) + str(entry.after)
    assert (
        refused(
            services.set_member_password, actor=world.a.admin, member=member, password="123"
        ).code
        == "weak_password"
    )
    assert (
        refused(
            services.set_member_password, actor=world.b.admin, member=member, password="X-pass-9876"
        ).code
        == "not_found"
    )
    member.user.refresh_from_db()
    assert member.user.check_password("Another-pass-42")


def test_changing_ones_own_password_needs_the_old_one_and_is_audited(world):
    user = world.a.member.user
    assert (
        refused(
            services.change_own_password,
            user=user,
            old_password="wrong",
            new_password="New-pass-2026",
        ).code
        == "invalid_credentials"
    )
    assert (
        refused(
            services.change_own_password, user=user, old_password=PASSWORD, new_password="123"
        ).code
        == "weak_password"
    )
    services.change_own_password(user=user, old_password=PASSWORD, new_password="New-pass-2026")
    assert User.objects.get(pk=user.pk).check_password("New-pass-2026")
    entry = last_entry("user.change_password")
    assert (entry.actor, entry.org, entry.before, entry.after) == (
        user,
        world.a.branch,
        None,
        None,
    )


def test_bootstrapping_the_city_twice_only_resets_the_root_admins_password(world):
    entries = AuditEntry.objects.count()
    roots = list(Organization.objects.get_root_nodes())
    grant = services.bootstrap_city(
        name="汉中市", phone=world.city_admin.phone, password="Root-reset-2026"
    )
    assert grant.org == world.city and grant.user == world.city_admin
    assert list(Organization.objects.get_root_nodes()) == roots
    assert AuditEntry.objects.count() == entries
    assert User.objects.get(pk=world.city_admin.pk).check_password("Root-reset-2026")
    first = AuditEntry.objects.filter(org=world.city).order_by("id")[:2]
    assert [(e.action, e.actor, e.actor_label) for e in first] == [
        ("org.create", None, "system"),
        ("role.grant", None, "system"),
    ]


def test_a_branch_admin_cannot_take_over_a_county_admin_who_is_a_member_of_the_branch(world):
    # The county's admin is also on the roll of one of its branches: that branch's admin
    # manages the member record, but must not reset the password or the login phone of an
    # account that administers the whole county.
    county_admin = world.a.admin
    member = services.create_member(
        actor=world.a.admin, branch=world.a.branch, **MemberData(phone=county_admin.phone)
    )
    assert member.user == county_admin
    branch_admin = world.a.branch_admin
    before = (User.objects.get(pk=county_admin.pk).password, AuditEntry.objects.count())
    error = refused(
        services.set_member_password, actor=branch_admin, member=member, password="Taken-over-1"
    )
    assert error.code == "forbidden"
    error = refused(services.update_member, actor=branch_admin, member=member, phone="13512345678")
    assert error.code == "forbidden"
    account = User.objects.get(pk=county_admin.pk)
    assert (account.password, AuditEntry.objects.count()) == before
    assert account.phone == county_admin.phone
    # The rest of the record is the branch's business; and those above the county may reset.
    services.update_member(actor=branch_admin, member=member, flowing_location="")
    services.set_member_password(actor=world.city_admin, member=member, password="Reset-by-city-1")
    assert User.objects.get(pk=county_admin.pk).check_password("Reset-by-city-1")
    # An admin may still reset their own password and a fellow admin's of the same branch.
    peer = make_member(world.a.admin, world.a.branch)
    services.grant_admin(actor=world.a.admin, org=world.a.branch, user=peer.user)
    services.set_member_password(actor=branch_admin, member=peer, password="Peer-pass-2026")
    own = branch_admin.member
    services.set_member_password(actor=branch_admin, member=own, password="Own-pass-2026")


def test_reveal_id_number_is_for_the_member_and_admins_in_scope_and_audited(world):
    member = make_member(world.a.admin, world.a.branch, id_number=CLEAR_ID, birth_date=BORN)
    assert services.reveal_id_number(actor=world.a.branch_admin, member=member) == CLEAR_ID
    entry = last_entry("member.reveal_id_number")
    assert (entry.actor, entry.object_id) == (world.a.branch_admin, str(member.pk))
    assert CLEAR_ID not in str(entry.before) + str(entry.after) + entry.object_label
    assert services.reveal_id_number(actor=fresh(member.user), member=member) == CLEAR_ID
    entries = AuditEntry.objects.count()
    for actor, code in [
        (world.b.admin, "not_found"),
        (world.a.flowing.user, "not_found"),
        (world.outsider, "not_found"),
    ]:
        assert refused(services.reveal_id_number, actor=actor, member=member).code == code
    assert AuditEntry.objects.count() == entries


def test_the_clear_id_number_is_nowhere_in_the_member_or_audit_tables(world):
    member = make_member(world.a.admin, world.a.branch, id_number=CLEAR_ID, birth_date=BORN)
    services.update_member(actor=world.a.admin, member=member, name="王五")
    services.reveal_id_number(actor=world.a.admin, member=member)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM registry_member")
        rows = cursor.fetchall()
        cursor.execute("SELECT before, after, object_label FROM audit_auditentry")
        rows += cursor.fetchall()
    assert len(rows) > Member.objects.count()
    assert not [row for row in rows if any(CLEAR_ID in str(value) for value in row)]

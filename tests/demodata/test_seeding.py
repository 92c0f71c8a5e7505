"""The `seed` management command, run as an operator runs it, and the city it plans."""

import random
from collections import Counter
from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from dangjian import permissions
from dangjian.audit.models import AuditEntry
from dangjian.demodata import people, seeding, tree
from dangjian.registry import idcard, services
from dangjian.registry.models import Member, Organization, OrgKind, RoleGrant, Sector, User
from dangjian.registry.validation import clean_member_fields
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Organization, User, Member, RoleGrant, AuditEntry)
    }


def can_log_in(api, phone: str, password: str) -> bool:
    return api(None).post("/auth/token", {"phone": phone, "password": password}).status_code == 200


@pytest.fixture
def demo():
    run("seed", "--scale", "demo", "--no-supervision")
    return Organization.objects.get_root_nodes().get(name=seeding.CITY_NAME)


# seed --scale demo -----------------------------------------------------------------------


def test_seed_demo_builds_about_sixty_branches_of_every_sector_in_a_sound_tree(demo):
    orgs = Organization.objects.filter(path__startswith=demo.path)
    branches = orgs.filter(kind=OrgKind.BRANCH)
    assert 55 <= branches.count() <= 70
    assert set(orgs.values_list("kind", flat=True)) == set(OrgKind.values)
    assert set(branches.values_list("sector", flat=True)) == set(Sector.values) - {Sector.OTHER}
    assert set(branches.values_list("category", flat=True)) <= {"五星", "四星", "三星"}
    counties = Organization.objects.get_children(demo)
    assert [c.name for c in counties] == ["汉台区", "南郑区", "城固县", "勉县"]
    assert Organization.objects.find_problems() == ([], [], [], [], [])
    # The bulk-inserted paths are the ones treebeard would have chosen: a new child goes
    # in after the seeded ones.
    town = Organization.objects.get(name="铺镇党委")
    city_admin = User.objects.get(phone="13900000001")
    added = services.create_organization(
        actor=city_admin, parent=town, name="新建村党支部", kind=OrgKind.BRANCH, sector="rural"
    )
    assert Organization.objects.get_parent(added) == town
    assert Organization.objects.find_problems() == ([], [], [], [], [])


def test_seed_demo_loads_1500_members_with_valid_ids_unique_phones_and_sane_dates(demo):
    members = list(Member.objects.select_related("user"))
    assert len(members) == seeding.MEMBER_TARGET["demo"]
    phones = [m.user.phone for m in members]
    assert len(set(phones)) == len(phones)
    for m in members:
        parsed = idcard.parse(m.reveal_id_number())
        assert (parsed.birth_date, parsed.gender) == (m.birth_date, m.gender)
        assert m.id_number_masked == parsed.masked
        assert m.join_date >= people.add_years(m.birth_date, 18)
        assert 20 <= (date.today() - m.birth_date).days // 365 <= 86
        if m.status == "full":
            assert 365 <= (m.full_date - m.join_date).days <= 380
        else:
            assert m.full_date is None
        assert m.is_flowing == bool(m.flowing_location)
    flowing = sum(m.is_flowing for m in members) / len(members)
    probationary = sum(m.status == "probationary" for m in members) / len(members)
    assert 0.05 <= flowing <= 0.11
    assert 0.07 <= probationary <= 0.13
    # Realistic names: a common surname first, two or three characters in all.
    surnames = Counter(m.name[0] for m in members)
    assert surnames.most_common(1)[0][0] in "王李张刘陈"
    assert all(2 <= len(m.name) <= 4 for m in members)


def test_the_demo_logins_log_in_and_hold_the_roles_they_are_printed_with(demo, api):
    hantai = Organization.objects.get(name="汉台区")
    branch = Organization.objects.get(code=seeding.DEMO_BRANCH_CODE)
    user = {login.phone: User.objects.get(phone=login.phone) for login in seeding.DEMO_LOGINS}
    for phone, account in user.items():
        assert account.check_password(seeding.DEMO_PASSWORD), phone
    assert can_log_in(api, "13900000003", seeding.DEMO_PASSWORD)

    assert permissions.admin_paths(user["13900000001"]) == (demo.path,)
    assert permissions.admin_paths(user["13900000002"]) == (hantai.path,)
    assert permissions.own_member(user["13900000002"]) is None
    assert permissions.admin_paths(user["13900000003"]) == (branch.path,)
    assert branch.path.startswith(hantai.path)
    for phone in ("13900000003", "13900000004", "13900000005"):
        assert permissions.own_member(user[phone]).branch == branch
    for phone in ("13900000004", "13900000005"):
        assert permissions.admin_paths(user[phone]) == ()
    flowing = permissions.own_member(user["13900000005"])
    assert flowing.is_flowing and flowing.flowing_location


def test_seeding_demo_twice_changes_nothing_and_prints_the_logins_both_times(db):
    first = run("seed", "--scale", "demo", "--no-supervision")
    before = counts()
    passwords = dict(User.objects.values_list("phone", "password"))
    second = run("seed", "--scale", "demo", "--no-supervision")
    assert counts() == before
    assert dict(User.objects.values_list("phone", "password")) == passwords
    assert "nothing changed" in second
    for out in (first, second):
        assert "Demo logins" in out
        for login in seeding.DEMO_LOGINS:
            assert login.phone in out
        assert seeding.DEMO_PASSWORD in out


def test_seed_without_members_builds_the_tree_and_logins_and_a_later_run_adds_the_members(db, api):
    run("seed", "--scale", "demo", "--no-members", "--no-supervision")
    assert Organization.objects.filter(kind=OrgKind.BRANCH).count() > 50
    assert Member.objects.count() == 3  # the three demo logins who are members
    assert can_log_in(api, "13900000002", seeding.DEMO_PASSWORD)
    orgs = Organization.objects.count()

    run("seed", "--scale", "demo", "--no-supervision")
    assert Organization.objects.count() == orgs
    assert Member.objects.count() == seeding.MEMBER_TARGET["demo"]


def test_seed_after_bootstrap_builds_the_tree_under_the_existing_city(db):
    run("bootstrap", "--city", "汉中市", "--phone", "13900000001", "--password", PASSWORD)
    run("seed", "--scale", "demo", "--no-members", "--no-supervision")
    assert Organization.objects.get_root_nodes().count() == 1
    assert Organization.objects.find_problems() == ([], [], [], [], [])


# The city scale, planned in memory (loading it is measured on PostgreSQL, not here) ------


def test_the_city_plan_is_hanzhong_sized_and_its_rows_pass_the_member_rules():
    plan = tree.build_tree("city", random.Random(7))
    nodes = list(plan.walk())
    counties = plan.children[: len(tree.COUNTIES)]
    assert [c.name for c in counties] == [name for name, _code in tree.COUNTIES]
    towns = [t for c in counties for t in c.children if t.name.endswith(("镇党委", "街道党工委"))]
    assert 170 <= len(towns) <= 185
    assert 8500 <= len(nodes) <= 9500
    codes = [n.code for n in nodes]
    assert len(set(codes)) == len(codes)
    sizes = [n for _branch, n in people.branch_sizes(plan, seeding.MEMBER_TARGET["city"])]
    assert sum(sizes) == seeding.MEMBER_TARGET["city"]
    assert min(sizes) >= people.MIN_BRANCH_SIZE
    assert 20 <= sum(sizes) / len(sizes) <= 30

    rows = people.member_rows(plan, seeding.MEMBER_TARGET["city"], random.Random(7))
    sample = [next(rows) for _ in range(3000)]
    assert [clean_member_fields(row).errors for row in sample] == [[]] * len(sample)
    assert len({row["phone"] for row in sample}) == len(sample)
    assert len({row["id_number"] for row in sample}) == len(sample)


def test_the_same_seed_gives_the_same_city_and_another_seed_another():
    def first_rows(seed: int) -> list[dict]:
        rng = random.Random(seed)
        plan = tree.build_tree("demo", rng)
        rows = people.member_rows(plan, 1500, rng, today=date(2026, 1, 1))
        return [next(rows) for _ in range(20)]

    assert first_rows(1) == first_rows(1)
    assert first_rows(1) != first_rows(2)


def test_seeding_members_into_a_tree_planned_with_another_seed_is_refused(db):
    run("seed", "--scale", "demo", "--no-members", "--no-supervision", "--seed", "1")
    with pytest.raises(CommandError, match="another --scale or --seed"):
        run("seed", "--scale", "demo", "--no-supervision", "--seed", "2")
    assert Member.objects.count() == 3

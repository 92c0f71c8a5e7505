"""The province (`seed --scale province`): its plan counted without a database, and the
seeding itself run on two demo-sized cities (the full province is measured on PostgreSQL,
docs/performance.md "A province")."""

import random

import pytest

from dangjian import permissions
from dangjian.demodata import people, province, seeding, tree
from dangjian.registry import idcard
from dangjian.registry.models import Member, Organization, OrgKind, User


def test_the_province_plan_is_ten_cities_with_about_90000_organizations_and_2_08_million_members():
    shape = province.shape()
    assert (shape.cities, shape.counties) == (10, 107)
    assert 85_000 <= shape.organizations <= 95_000
    assert 75_000 <= shape.branches <= 85_000
    assert sum(province.member_targets(province.PROVINCE_MEMBERS)) == 2_080_000 == shape.members


def test_each_city_is_built_under_its_own_name_and_codes_and_hanzhong_is_the_city_scale():
    xian = province.build_city(0, seed=2026)
    assert xian.name == "西安市" and xian.code == "6101"
    assert [c.name for c in xian.children[:3]] == ["新城区", "碑林区", "莲湖区"]
    codes = [node.code for node in xian.walk()]
    assert all(code.startswith("6101") for code in codes)
    assert len(set(codes)) == len(codes)
    assert not [node.name for node in xian.walk() if "汉中" in node.name]
    assert "西安市直属机关工委" in {node.name for node in xian.children}

    hanzhong = province.CITIES.index(tree.HANZHONG)
    again = tree.build_tree("city", random.Random(f"2026:{tree.CITY_CODE}"))
    built = province.build_city(hanzhong, seed=2026)
    assert [n.code for n in built.walk()] == [n.code for n in again.walk()]
    assert tree.DEMO_BRANCH_CODE in {n.code for n in built.walk()}


def test_two_cities_members_never_share_a_phone_or_an_id_number():
    rows = []
    for index in (0, 1):
        plan = province.build_city(index, seed=2026, scale="demo")
        generated = people.member_rows(plan, 5000, random.Random(index), part=(index, 10))
        rows.append(list(generated))
    for key in ("phone", "id_number"):
        first, second = ({row[key] for row in city} for city in rows)
        assert len(first) == len(second) == 5000
        assert not first & second
    assert all(idcard.parse(row["id_number"]) for city in rows for row in city)


@pytest.mark.django_db
def test_seeding_a_province_puts_its_cities_under_one_root_with_their_admins_once(api):
    cities = (province.CITIES[1], tree.HANZHONG)
    report = province.seed_province(scale="demo", cities=cities)
    root = Organization.objects.get_root_nodes().get()
    assert (root.name, root.code) == ("陕西省", "61")
    assert [c.name for c in Organization.objects.get_children(root)] == ["铜川市", "汉中市"]
    assert Organization.objects.find_problems() == ([], [], [], [], [])
    assert Member.objects.count() == report.members_total == 3000
    assert report.orgs_total == Organization.objects.count()

    admins = {
        login.phone: User.objects.get(phone=login.phone)
        for login in (province.PROVINCE_ADMIN, province.city_admin_login(0, cities[0]))
    }
    tongchuan, hanzhong = Organization.objects.get_children(root)
    assert permissions.admin_paths(admins["13900000000"]) == (root.path,)
    assert permissions.admin_paths(admins["13900000020"]) == (tongchuan.path,)
    city_admin = User.objects.get(phone=seeding.DEMO_LOGINS[0].phone)
    assert permissions.admin_paths(city_admin) == (hanzhong.path,)
    branch = Organization.objects.get(code=tree.DEMO_BRANCH_CODE)
    assert branch.path.startswith(hanzhong.path)
    assert permissions.own_member(User.objects.get(phone="13900000004")).branch == branch
    response = api(None).post(
        "/auth/token", {"phone": "13900000020", "password": seeding.DEMO_PASSWORD}
    )
    assert response.status_code == 200
    assert (
        Organization.objects.filter(path__startswith=tongchuan.path, kind=OrgKind.BRANCH)
        .exclude(code__startswith="6102")
        .count()
        == 0
    )

    again = province.seed_province(scale="demo", cities=cities)
    assert not again.changed
    assert Member.objects.count() == 3000

"""The service menu of a county or a community: which organizations hold one (a table),
the entries a community's citizens see (menu_for), the audited writes and the console's
pages."""

import pytest

from dangjian.audit.models import AuditEntry
from dangjian.core.errors import DomainError
from dangjian.registry.models import OrgKind, Sector
from dangjian.volunteering import people_selectors, services
from dangjian.volunteering.models import ServiceCategory
from dangjian.volunteering.people_rules import holds_menu
from tests.volunteering.conftest import make_category


@pytest.mark.parametrize(
    "depth, kind, sector, holds",
    [
        (1, OrgKind.COMMITTEE, Sector.GOVERNMENT, False),  # the city
        (2, OrgKind.COMMITTEE, Sector.GOVERNMENT, True),  # a county
        (3, OrgKind.COMMITTEE, Sector.RURAL, False),  # a town
        (3, OrgKind.COMMITTEE, Sector.COMMUNITY, False),  # a street
        (4, OrgKind.BRANCH, Sector.RURAL, True),  # a village
        (4, OrgKind.BRANCH, Sector.COMMUNITY, True),  # a community
        (4, OrgKind.BRANCH, Sector.GOVERNMENT, False),  # an office's branch
    ],
)
def test_which_organizations_hold_a_menu(depth, kind, sector, holds):
    assert holds_menu(depth=depth, kind=kind, sector=sector) is holds


pytestmark_db = pytest.mark.django_db


@pytestmark_db
def test_a_communitys_menu_is_its_own_and_the_organizations_above_it(world):
    county = make_category(world.a.org, "送健康")
    town = make_category(world.a.town, "镇上的")
    own = make_category(world.a.branch, "微心愿")
    make_category(world.a.other_branch, "邻居社区的")
    make_category(world.b.org, "别县的")
    off = make_category(world.a.org, "停用")
    off.is_active = False
    off.save()

    assert list(people_selectors.menu_for(world.a.branch)) == [county, town, own]


@pytestmark_db
def test_an_admin_creates_changes_and_retires_an_entry_audited(world):
    entry = services.create_menu_entry(
        actor=world.a.branch_admin,
        org=world.a.branch,
        name=" 送技能 ",
        description="上门",
        skills="理发、维修",
        sort_order=3,
    )
    assert (entry.name, entry.skills, entry.sort_order) == ("送技能", ["理发", "维修"], 3)

    services.update_menu_entry(
        actor=world.a.admin,
        entry=entry,
        name="送技能",
        description="上门服务",
        skills=["理发"],
        sort_order=3,
        is_active=False,
    )

    entries = AuditEntry.objects.filter(action__startswith="menu_entry.").order_by("pk")
    actions = list(entries.values_list("action", "org_id"))
    assert actions == [
        ("menu_entry.create", world.a.branch.pk),
        ("menu_entry.deactivate", world.a.branch.pk),
    ]
    assert list(people_selectors.menu_for(world.a.branch)) == []


@pytestmark_db
@pytest.mark.parametrize("who", ["other_county_admin", "member", "outsider"])
def test_nobody_else_adds_to_a_menu(world, who):
    actor = {
        "other_county_admin": world.b.admin,
        "member": world.a.member.user,
        "outsider": world.outsider,
    }[who]

    with pytest.raises(DomainError) as refused:
        services.create_menu_entry(actor=actor, org=world.a.branch, name="送技能")

    assert refused.value.code == "forbidden"
    assert not ServiceCategory.objects.exists()


@pytestmark_db
def test_a_name_taken_by_another_entry_is_refused_on_edit(world):
    make_category(world.a.org, "送健康")
    other = make_category(world.a.org, "送服务")

    with pytest.raises(DomainError) as refused:
        services.update_menu_entry(
            actor=world.a.admin,
            entry=other,
            name="送健康",
            description="",
            skills=[],
            sort_order=0,
            is_active=True,
        )

    assert refused.value.code == "duplicate_name"


# The console ------------------------------------------------------------------------------


@pytestmark_db
def test_the_console_lists_adds_and_edits_menu_entries(world, page):
    make_category(world.b.org, "别县的")
    client = page(world.a.admin)

    assert "服务菜单" in client.get("/console/").content.decode()
    created = client.post(
        "/console/volunteering/menu/new/",
        {"org": world.a.branch.code, "name": "微心愿", "skills": "陪伴", "sort_order": 1},
    )
    assert created.status_code == 302
    entry = ServiceCategory.objects.get(name="微心愿")
    listed = client.get("/console/volunteering/menu/").content.decode()
    assert "微心愿" in listed and "别县的" not in listed

    edited = client.post(
        f"/console/volunteering/menu/{entry.pk}/",
        {"name": "微心愿", "description": "", "skills": "陪伴", "sort_order": 1},
    )
    assert edited.status_code == 302
    entry.refresh_from_db()
    assert entry.is_active is False


@pytestmark_db
def test_the_console_form_shows_a_refusal(world, page):
    response = page(world.a.admin).post(
        "/console/volunteering/menu/new/",
        {"org": world.a.town.code, "name": "镇上的", "sort_order": 0},
    )

    assert response.status_code == 200
    assert "服务菜单只能设在县区或社区（村）" in response.content.decode()
    assert not ServiceCategory.objects.exists()


@pytestmark_db
@pytest.mark.parametrize("who", ["other_county_admin", "member", "outsider", "citizen"])
def test_nobody_else_edits_an_entry_in_the_console(world, page, citizen, who):
    entry = make_category(world.a.org)
    user = {
        "other_county_admin": world.b.admin,
        "member": world.a.member.user,
        "outsider": world.outsider,
    }.get(who) or citizen.user

    response = page(user).get(f"/console/volunteering/menu/{entry.pk}/")

    assert response.status_code == 403

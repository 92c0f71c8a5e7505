import pytest

from dangjian.registry.models import OrgKind, Sector
from dangjian.volunteering import rules

CITY, COUNTY, TOWN, COMMUNITY, BRANCH = (
    "0001",
    "00010002",
    "000100020003",
    "0001000200030004",
    "00010002000300040005",
)


@pytest.mark.parametrize(
    ("kind", "sector", "expected"),
    [
        (OrgKind.BRANCH, Sector.COMMUNITY, True),
        (OrgKind.GENERAL_BRANCH, Sector.RURAL, True),
        (OrgKind.COMMITTEE, Sector.COMMUNITY, False),  # a street's working committee
        (OrgKind.BRANCH, Sector.SCHOOL, False),
        (OrgKind.BRANCH, Sector.GOVERNMENT, False),
    ],
)
def test_a_community_is_a_village_or_community_branch(kind, sector, expected):
    assert rules.is_community(kind, sector) is expected


@pytest.mark.parametrize(
    ("reach", "expected"),
    [(COMMUNITY, TOWN), (TOWN, COUNTY), (COUNTY, None), (CITY, None)],
)
def test_an_order_escalates_one_level_up_to_the_county(reach, expected):
    assert rules.escalation_path(reach) == expected


@pytest.mark.parametrize(
    ("reach", "branch", "community", "expected"),
    [
        (COMMUNITY, BRANCH, None, True),  # the community's own grid branch
        (COMMUNITY, "00010002000300090001", COMMUNITY, True),  # reports there (双报到)
        (COMMUNITY, "00010002000300090001", None, False),
        (COMMUNITY, "00010002000300090001", "0001000200030008", False),
        (TOWN, "00010002000300090001", None, True),  # escalated to the town
        (COUNTY, "00010007000100010001", None, False),  # another county
        (COMMUNITY, None, None, False),  # not a member
    ],
)
def test_a_published_order_reaches_members_by_branch_or_reported_community(
    reach, branch, community, expected
):
    assert rules.reaches(reach, branch_path=branch, community_path=community) is expected


@pytest.mark.parametrize(
    ("from_state", "to_state", "expected"),
    [
        ("submitted", "published", True),
        ("submitted", "declined", True),
        ("published", "claimed", True),
        ("claimed", "published", True),  # the last claim released
        ("claimed", "in_service", True),
        ("in_service", "completed", True),
        ("completed", "confirmed", True),
        ("published", "completed", False),
        ("declined", "published", False),
        ("confirmed", "completed", False),
        ("in_service", "cancelled", False),
    ],
)
def test_order_states_follow_the_life_cycle(from_state, to_state, expected):
    assert rules.may_move(from_state, to_state) is expected


def test_ancestor_paths_list_the_path_and_everything_above_it():
    assert rules.ancestor_paths(TOWN) == [CITY, COUNTY, TOWN]


@pytest.mark.parametrize(
    ("category_org", "community", "expected"),
    [
        (COMMUNITY, COMMUNITY, True),  # the community's own entry
        (COUNTY, COMMUNITY, True),  # the county's, on every community's menu in it
        (TOWN, COMMUNITY, True),
        ("00010009", COMMUNITY, False),  # another county's
        ("0001000200030009", COMMUNITY, False),  # a neighbouring community's
        (BRANCH, COMMUNITY, False),  # below the community
    ],
)
def test_a_community_orders_from_its_own_menu_and_those_above_it(category_org, community, expected):
    assert rules.on_menu(category_org, community_path=community) is expected


@pytest.mark.django_db
def test_the_community_filter_picks_what_is_community_says(world):
    from dangjian.registry.models import Organization
    from tests.factories import make_org

    for kind in OrgKind.values:
        for sector in Sector.values:
            make_org(world.city_admin, world.a.town, f"{kind}-{sector}", kind=kind, sector=sector)
    made = Organization.objects.filter(path__startswith=world.a.town.path).exclude(
        pk=world.a.town.pk
    )
    picked = set(made.filter(rules.community_q()).values_list("pk", flat=True))
    assert picked == {o.pk for o in made if rules.is_community(o.kind, o.sector)}
    assert picked  # the world's village and community branches among them

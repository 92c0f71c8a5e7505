"""Who may do what in the volunteer cloud call: role × object × action, through
`permissions.can`, the `access_*` fetchers (not_found when the role may not read the
object, forbidden when it may read but not act) and the scoped selectors (a role's list
holds exactly what it may read).

The roles stand around county A's village, which is a community (world.a.branch): the
city's admin, county A's, the community's own (world.a.branch_admin), a member of its
branch, a member of county B's branch who reports to it (双报到), county B's admin, the
citizen who ordered, another citizen of the same community, the outsider and the
anonymous visitor. V2 and V3 add their rows at the end."""

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import AnonymousUser

from dangjian import permissions
from dangjian.core import clock
from dangjian.core.errors import DomainError
from dangjian.permissions import Action
from dangjian.volunteering.models import Claim, HoursEntry, OrderState, VolunteerProfile
from tests.volunteering.conftest import make_category, make_citizen, make_order

pytestmark = pytest.mark.django_db

ROLES = [
    "city_admin",
    "county_a_admin",
    "community_admin",
    "member_a",
    "reporting_member",
    "county_b_admin",
    "requester",
    "other_citizen",
    "outsider",
    "anonymous",
]
ADMINS_A = {"city_admin", "county_a_admin", "community_admin"}
VOLUNTEERS = {"member_a", "reporting_member"}
SIGNED_IN = set(ROLES) - {"anonymous"}
ACTIONS = (Action.READ, Action.CHANGE, Action.TAKE_PART)


class Cast:
    def __init__(self, world):
        now = clock.now()
        self.world = world
        self.requester = make_citizen(world.a.branch, name="王大妈")
        other = make_citizen(world.a.branch, name="李大爷")
        self.reporting = world.b.member
        self.reporting_profile = VolunteerProfile.objects.create(
            member=self.reporting,
            community=world.a.branch,
            skills=["理发"],
            reported_at=now,
            updated_at=now,
        )
        self.users = {
            "city_admin": world.city_admin,
            "county_a_admin": world.a.admin,
            "community_admin": world.a.branch_admin,
            "member_a": world.a.member.user,
            "reporting_member": self.reporting.user,
            "county_b_admin": world.b.admin,
            "requester": self.requester.user,
            "other_citizen": other.user,
            "outsider": world.outsider,
            "anonymous": AnonymousUser(),
        }
        self.category = make_category(world.a.org)

    def user(self, role):
        user = self.users[role]
        # A fresh object a check: the cached roles of one check do not answer the next.
        return user if role == "anonymous" else type(user).objects.get(pk=user.pk)

    def order(self, state):
        return make_order(self.requester, self.category, state=state)


@pytest.fixture
def cast(world):
    return Cast(world)


def outcome(fetch) -> str:
    try:
        fetch()
    except DomainError as exc:
        return exc.code
    return "ok"


def expect_access(allowed: set[str], readers: set[str], role: str) -> str:
    if role in allowed:
        return "ok"
    return "forbidden" if role in readers else "not_found"


# Orders in each state -----------------------------------------------------------------

VISIBLE = {
    OrderState.PUBLISHED,
    OrderState.CLAIMED,
    OrderState.IN_SERVICE,
    OrderState.COMPLETED,
    OrderState.CONFIRMED,
}
OPEN = {OrderState.PUBLISHED, OrderState.CLAIMED}


def order_expected(state: str, action: Action) -> set[str]:
    if action == Action.READ:
        return ADMINS_A | {"requester"} | (VOLUNTEERS if state in VISIBLE else set())
    if action == Action.TAKE_PART:
        return ADMINS_A | (VOLUNTEERS if state in OPEN else set())
    return ADMINS_A


@pytest.mark.parametrize("state", OrderState.values)
@pytest.mark.parametrize("role", ROLES)
def test_who_reads_changes_and_takes_part_in_an_order(cast, state, role):
    order = cast.order(state)
    readers = order_expected(state, Action.READ)

    for action in ACTIONS:
        allowed = order_expected(state, action)
        assert permissions.can(cast.user(role), action, order) is (role in allowed), action
        got = outcome(lambda a=action: permissions.access_order(cast.user(role), order.pk, a))
        assert got == expect_access(allowed, readers, role), action
    listed = permissions.scoped_orders(cast.user(role)).filter(pk=order.pk).exists()
    assert listed is (role in readers)


# A claim ----------------------------------------------------------------------------------


CLAIM = {
    Action.READ: ADMINS_A | {"reporting_member", "requester"},
    Action.CHANGE: ADMINS_A,
    Action.TAKE_PART: ADMINS_A | {"reporting_member"},
}


@pytest.mark.parametrize("role", ROLES)
def test_who_reads_and_acts_on_a_claim(cast, role):
    order = cast.order(OrderState.CLAIMED)
    claim = Claim.objects.create(order=order, member=cast.reporting, claimed_at=clock.now())

    for action in ACTIONS:
        allowed = CLAIM[action]
        assert permissions.can(cast.user(role), action, claim) is (role in allowed), action
        got = outcome(lambda a=action: permissions.access_claim(cast.user(role), claim.pk, a))
        assert got == expect_access(allowed, CLAIM[Action.READ], role), action


def test_a_claimant_keeps_reading_the_order_once_it_no_longer_reaches_them(cast, world):
    order = cast.order(OrderState.CANCELLED)
    Claim.objects.create(order=order, member=cast.reporting, claimed_at=clock.now())

    assert permissions.can(cast.user("reporting_member"), Action.READ, order)
    assert not permissions.can(cast.user("member_a"), Action.READ, order)
    assert permissions.scoped_orders(cast.user("reporting_member")).filter(pk=order.pk).exists()


# A citizen, a menu entry, a volunteer profile, an hours entry -----------------------------


CITIZEN = dict.fromkeys(ACTIONS, ADMINS_A | {"requester"})
MENU_ENTRY = {
    Action.READ: SIGNED_IN,
    Action.CHANGE: {"city_admin", "county_a_admin"},
    Action.TAKE_PART: {"city_admin", "county_a_admin"},
}
# world.a.member's profile (no community) and the reporting member's (community A's).
OWN_PROFILE = dict.fromkeys(ACTIONS, ADMINS_A | {"member_a"})
REPORTING_PROFILE = dict.fromkeys(ACTIONS, ADMINS_A | {"reporting_member", "county_b_admin"})
HOURS = {
    Action.READ: ADMINS_A | {"member_a"},
    Action.CHANGE: ADMINS_A,
    Action.TAKE_PART: ADMINS_A,
}


@pytest.mark.parametrize("role", ROLES)
def test_who_reads_and_changes_a_citizen(cast, role):
    for action in ACTIONS:
        allowed = CITIZEN[action]
        assert permissions.can(cast.user(role), action, cast.requester) is (role in allowed)
    listed = permissions.scoped_citizens(cast.user(role)).filter(pk=cast.requester.pk).exists()
    # The citizen reads their own record (own_citizen), not through the admins' list.
    assert listed is (role in ADMINS_A)
    own = permissions.own_citizen(cast.user(role))
    assert (own == cast.requester) is (role == "requester")


@pytest.mark.parametrize("role", ROLES)
def test_who_reads_and_keeps_a_menu_entry(cast, role):
    entry = cast.category

    for action in ACTIONS:
        allowed = MENU_ENTRY[action]
        assert permissions.can(cast.user(role), action, entry) is (role in allowed), action
        got = outcome(
            lambda a=action: permissions.access_service_category(cast.user(role), entry.pk, a)
        )
        assert got == expect_access(allowed, MENU_ENTRY[Action.READ], role), action
    kept = permissions.scoped_service_categories(cast.user(role)).filter(pk=entry.pk).exists()
    assert kept is (role in MENU_ENTRY[Action.CHANGE])


@pytest.mark.parametrize("which", ["own", "reporting"])
@pytest.mark.parametrize("role", ROLES)
def test_who_reads_and_changes_a_volunteer_profile(cast, world, role, which):
    if which == "own":
        now = clock.now()
        profile = VolunteerProfile.objects.create(
            member=world.a.member, skills=["维修"], updated_at=now
        )
        table = OWN_PROFILE
    else:
        profile, table = cast.reporting_profile, REPORTING_PROFILE

    for action in ACTIONS:
        allowed = table[action]
        assert permissions.can(cast.user(role), action, profile) is (role in allowed), action
        got = outcome(
            lambda a=action: permissions.access_volunteer_profile(
                cast.user(role), profile.member_id, a
            )
        )
        assert got == expect_access(allowed, table[Action.READ], role), action
    listed = permissions.scoped_volunteer_profiles(cast.user(role)).filter(pk=profile.pk)
    assert listed.exists() is (role in table[Action.CHANGE] - {"member_a", "reporting_member"})


@pytest.mark.parametrize("role", ROLES)
def test_who_reads_and_changes_an_hours_entry(cast, world, role):
    entry = HoursEntry.objects.create(
        member=world.a.member,
        org=world.a.branch,
        kind="service",
        hours=2,
        served_on=date(2026, 5, 20),
        description="上门理发",
        recorded_by=world.a.branch_admin,
        recorded_at=clock.now() - timedelta(hours=1),
    )

    for action in ACTIONS:
        allowed = HOURS[action]
        assert permissions.can(cast.user(role), action, entry) is (role in allowed), action


# V3: claims, a member's hours, certificates ----------------------------------------------

HOURS_READERS = ADMINS_A | {"member_a"}
# Members the order reaches; the community's admin is a member of its branch too.
CLAIMERS = {"community_admin", "member_a", "reporting_member"}


def credit(world) -> HoursEntry:
    return HoursEntry.objects.create(
        member=world.a.member,
        org=world.a.branch,
        kind="service",
        hours=2,
        served_on=date(2026, 5, 20),
        description="上门理发",
        recorded_at=clock.now() - timedelta(hours=1),
    )


@pytest.mark.parametrize("role", ROLES)
def test_who_reads_a_members_volunteer_hours_and_their_entries(cast, world, role):
    entry = credit(world)
    expected = "ok" if role in HOURS_READERS else "not_found"
    user = cast.user(role)
    assert outcome(lambda: permissions.access_member_hours(user, world.a.member.pk)) == expected
    assert outcome(lambda: permissions.access_hours_entry(user, entry.pk)) == expected


@pytest.mark.parametrize("role", ROLES)
def test_who_issues_a_certificate_of_the_communitys_hours(cast, world, role):
    from dangjian.volunteering import certificates

    credit(world)
    got = outcome(
        lambda: certificates.issue_certificate(
            actor=cast.user(role), member=world.a.member, org=world.a.branch
        )
    )
    assert got == expect_access(ADMINS_A, HOURS_READERS, role)


@pytest.mark.parametrize("role", ROLES)
def test_who_claims_a_published_order(cast, role):
    from dangjian.volunteering import claims

    order = cast.order(OrderState.PUBLISHED)
    got = outcome(lambda: claims.claim_order(actor=cast.user(role), order=order))
    assert got == ("ok" if role in CLAIMERS else "forbidden")


@pytest.mark.parametrize("role", ROLES)
def test_who_confirms_and_rates_a_completed_order(cast, role):
    from dangjian.volunteering import claims

    order = cast.order(OrderState.COMPLETED)
    got = outcome(lambda: claims.confirm_order(actor=cast.user(role), order=order, rating=5))
    assert got == ("ok" if role == "requester" else "not_the_requester")

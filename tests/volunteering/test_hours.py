"""Volunteer hours: the rounding rule as a table (no database), the ledger's credit once
per claim, reversal by the recording organization, and who reads a member's hours."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from dangjian import permissions
from dangjian.audit.models import AuditEntry
from dangjian.core.errors import DomainError
from dangjian.volunteering import hours
from dangjian.volunteering.models import Claim, HoursEntry, OrderState
from tests.factories import make_admin, make_member
from tests.volunteering.conftest import make_order

T0 = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("minutes", "rounding", "expected"),
    [
        (60, 15, "1.00"),
        (67, 15, "1.00"),  # 7 min rounds down
        (68, 15, "1.25"),  # 8 min rounds up to the quarter
        (90, 15, "1.50"),
        (100, 30, "1.50"),
        (105, 30, "2.00"),  # half a step rounds up
        (8, 15, "0.25"),  # just over half a step: the shortest credited service
        (720, 15, "12.00"),  # the longest plausible service
        (45, 60, "1.00"),
    ],
)
def test_signed_time_is_rounded_to_the_nearest_step(minutes, rounding, expected):
    got = hours.service_hours(T0, T0 + timedelta(minutes=minutes), rounding=rounding, max_hours=12)
    assert got == Decimal(expected)


@pytest.mark.parametrize(
    "minutes",
    [
        0,  # zero
        -30,  # negative
        7,  # under half a step: would credit nothing
        12 * 60 + 1,  # longer than the ceiling: a forgotten sign-out
        24 * 60,
    ],
)
def test_it_refuses_implausible_durations(minutes):
    with pytest.raises(DomainError) as caught:
        hours.service_hours(T0, T0 + timedelta(minutes=minutes), rounding=15, max_hours=12)
    assert caught.value.code == "implausible_duration"


def test_the_settings_choose_the_rounding_and_the_ceiling(settings):
    settings.VOLUNTEER_HOURS_ROUNDING_MINUTES = 30
    settings.VOLUNTEER_MAX_SERVICE_HOURS = 2
    assert hours.hours_of(T0, T0 + timedelta(minutes=80)) == Decimal("1.50")
    with pytest.raises(DomainError, match="implausible_duration"):
        hours.hours_of(T0, T0 + timedelta(minutes=121))


# The ledger --------------------------------------------------------------------------------


def signed_out_claim(world, citizen, category, member=None, minutes=90) -> Claim:
    member = member or world.a.member
    order = make_order(citizen, category, state=OrderState.IN_SERVICE)
    start = order.wanted_from
    return Claim.objects.create(
        order=order,
        member=member,
        state="signed_out",
        claimed_at=start - timedelta(hours=3),
        signed_in_at=start,
        signed_out_at=start + timedelta(minutes=minutes),
        hours=hours.hours_of(start, start + timedelta(minutes=minutes)),
    )


def test_a_claim_is_credited_once_by_the_orders_community(world, citizen, category):
    claim = signed_out_claim(world, citizen, category)
    entry = hours.credit_claim(claim=claim, recorded_by=world.a.member.user)
    assert entry.org == world.a.branch
    assert entry.hours == Decimal("1.50")
    assert not entry.is_flagged
    assert hours.credit_claim(claim=claim, recorded_by=world.a.member.user) is None
    assert HoursEntry.objects.filter(member=world.a.member).count() == 1
    assert hours.totals_of(world.a.member).hours == Decimal("1.50")


def test_a_reversal_takes_the_hours_back_with_a_reason_and_is_audited(world, citizen, category):
    entry = hours.credit_claim(
        claim=signed_out_claim(world, citizen, category), recorded_by=world.a.admin
    )
    with pytest.raises(DomainError, match="reason_required|validation_error"):
        hours.reverse_hours_entry(actor=world.a.branch_admin, entry=entry, reason=" ")
    reversal = hours.reverse_hours_entry(actor=world.a.branch_admin, entry=entry, reason="重复登记")
    assert reversal.hours == Decimal("-1.50")
    assert reversal.reverses == entry
    assert hours.totals_of(world.a.member).hours == Decimal("0.00")
    assert AuditEntry.objects.filter(
        action="volunteer_hours.reverse", object_id=str(entry.pk), actor=world.a.branch_admin
    ).exists()
    with pytest.raises(DomainError, match="already_reversed"):
        hours.reverse_hours_entry(actor=world.a.admin, entry=entry, reason="再次冲销")
    entry.refresh_from_db()
    assert entry.hours == Decimal("1.50")  # the credit itself is never edited


def test_only_an_admin_over_the_recording_org_reverses(world, citizen, category):
    entry = hours.credit_claim(
        claim=signed_out_claim(world, citizen, category), recorded_by=world.a.admin
    )
    for user in (world.b.admin, world.a.member.user, world.outsider):
        with pytest.raises(DomainError, match="forbidden"):
            hours.reverse_hours_entry(actor=user, entry=entry, reason="无权冲销")
    assert not HoursEntry.objects.filter(kind="reversal").exists()


def test_the_member_and_their_admins_read_the_hours_others_do_not(world, citizen, category):
    hours.credit_claim(claim=signed_out_claim(world, citizen, category), recorded_by=None)
    member = world.a.member
    for user in (member.user, world.a.branch_admin, world.a.admin, world.city_admin):
        assert permissions.access_member_hours(user, member.pk) == member
    for user in (world.b.admin, world.outsider, world.a.flowing.user, citizen.user):
        with pytest.raises(DomainError, match="not_found"):
            permissions.access_member_hours(user, member.pk)


def test_the_recording_community_reads_the_hours_of_a_member_of_another_branch(
    world, citizen, category
):
    # A member of county A's other branch served an order of the village (双报到): the
    # village's admin, who recorded the hours, reads them; a stranger branch's admin not.
    volunteer = make_member(world.city_admin, world.a.other_branch, name="社区党员")
    stranger = make_admin(world.city_admin, world.b.other_branch, "外区书记")
    assert not permissions.may_read_hours(world.a.branch_admin, volunteer)
    hours.credit_claim(
        claim=signed_out_claim(world, citizen, category, member=volunteer), recorded_by=None
    )
    assert permissions.access_member_hours(world.a.branch_admin, volunteer.pk) == volunteer
    with pytest.raises(DomainError, match="not_found"):
        permissions.access_member_hours(stranger, volunteer.pk)

"""Claiming, releasing, signing at the place, admin-recorded times and make-up entries,
completion with evidence, the citizen's confirmation and rating, and the job that closes
unrated orders (volunteering.claims)."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from dangjian.attendance import geo
from dangjian.audit.models import AuditEntry
from dangjian.core import clock, coords
from dangjian.core.errors import DomainError
from dangjian.notifications.models import Notification
from dangjian.volunteering import claims
from dangjian.volunteering.models import (
    Citizen,
    Claim,
    HoursEntry,
    Order,
    OrderEvent,
    OrderPhoto,
    OrderState,
)
from tests.factories import make_admin
from tests.interaction.conftest import image_bytes
from tests.volunteering.conftest import PLACE, make_order

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def order(citizen, category):
    return make_order(citizen, category, state=OrderState.PUBLISHED, volunteers_needed=2)


def at(when):
    return time_machine.travel(when, tick=False)


def near(metres: float = 20) -> tuple[float, float]:
    return geo.destination(float(PLACE[0]), float(PLACE[1]), 90, metres)


def reload(obj):
    obj.refresh_from_db()
    return obj


def claim_of(user, order) -> Claim:
    return claims.claim_order(actor=user, order=Order.objects.get(pk=order.pk))


def sign(kind, user, claim, metres=20, accuracy=15, system=coords.WGS84):
    lat, lon = coords.from_wgs84(*near(metres), system)
    fn = claims.sign_in if kind == "in" else claims.sign_out
    return fn(
        actor=user,
        claim=Claim.objects.select_related("order", "member").get(pk=claim.pk),
        latitude=lat,
        longitude=lon,
        accuracy_m=accuracy,
        coord_system=system,
    )


def served(world, order, minutes=90) -> Claim:
    """world.a.member claims, signs in at the start and out `minutes` later."""
    claim = claim_of(world.a.member.user, order)
    with at(order.wanted_from):
        sign("in", world.a.member.user, claim)
    with at(order.wanted_from + timedelta(minutes=minutes)):
        return sign("out", world.a.member.user, claim)


# Claiming -----------------------------------------------------------------------------------


def test_a_claim_takes_a_place_and_the_first_one_moves_the_order_to_claimed(world, order, citizen):
    claim = claim_of(world.a.member.user, order)
    assert claim.state == "claimed"
    assert (reload(order).claimed_count, order.state) == (1, OrderState.CLAIMED)
    assert OrderEvent.objects.filter(order=order, to_state="claimed").count() == 1
    assert Notification.objects.filter(user=citizen.user, kind="volunteer_order").exists()
    claim_of(world.a.branch_admin, order)
    assert (reload(order).claimed_count, order.state) == (2, OrderState.CLAIMED)
    assert OrderEvent.objects.filter(order=order, to_state="claimed").count() == 1


def test_it_refuses_a_claim_on_a_full_order_and_a_second_claim_of_the_same_member(
    world, citizen, category
):
    order = make_order(citizen, category, state=OrderState.PUBLISHED, volunteers_needed=1)
    claim_of(world.a.member.user, order)
    with pytest.raises(DomainError, match="order_full"):
        claim_of(world.a.branch_admin, order)
    two = make_order(citizen, category, state=OrderState.PUBLISHED, volunteers_needed=2)
    claim_of(world.a.member.user, two)
    with pytest.raises(DomainError, match="already_claimed"):
        claim_of(world.a.member.user, two)
    assert reload(two).claimed_count == 1


def test_it_refuses_the_requesters_own_order_even_when_they_are_a_member(world, category):
    # A member who is also a resident of the village ordered a service themselves.
    now = clock.now()
    own = Citizen.objects.create(
        user=world.a.member.user,
        community=world.a.branch,
        address="某村1组",
        created_at=now,
        updated_at=now,
    )
    order = make_order(own, category, state=OrderState.PUBLISHED)
    with pytest.raises(DomainError, match="own_order"):
        claim_of(world.a.member.user, order)
    assert not Claim.objects.exists()
    assert reload(order).claimed_count == 0


@pytest.mark.parametrize(
    "state", [OrderState.SUBMITTED, OrderState.IN_SERVICE, OrderState.CANCELLED]
)
def test_it_refuses_a_claim_on_an_order_not_open_for_claims(world, citizen, category, state):
    order = make_order(citizen, category, state=state)
    with pytest.raises(DomainError, match="not_claimable"):
        claim_of(world.a.member.user, order)


def test_members_the_order_does_not_reach_and_non_members_cannot_claim(world, order, citizen):
    for user in (world.b.member.user, world.outsider, citizen.user, world.a.admin):
        with pytest.raises(DomainError, match="forbidden"):
            claim_of(user, order)
    assert reload(order).claimed_count == 0


# Releasing ----------------------------------------------------------------------------------


def test_a_release_before_the_start_returns_the_place_and_tells_requester_and_admin(
    world, citizen, category
):
    order = make_order(citizen, category, state=OrderState.PUBLISHED, volunteers_needed=1)
    claim = claim_of(world.a.member.user, order)
    with pytest.raises(DomainError, match="forbidden"):
        claims.release_claim(actor=world.a.branch_admin, claim=claim)
    released = claims.release_claim(actor=world.a.member.user, claim=claim)
    assert released.state == "released" and released.released_at is not None
    assert (reload(order).claimed_count, order.state) == (0, OrderState.PUBLISHED)
    assert OrderEvent.objects.filter(order=order, to_state="published").exists()
    told = set(
        Notification.objects.filter(title__contains="退出").values_list("user_id", flat=True)
    )
    assert {citizen.user_id, world.a.branch_admin.pk} <= told
    assert AuditEntry.objects.filter(action="volunteer_claim.release").exists()
    # Back in the pool: someone else takes the place, and the same member may claim again.
    claim_of(world.a.branch_admin, order)
    assert reload(order).claimed_count == 1


def test_a_release_keeps_the_order_claimed_while_other_claims_remain(world, order):
    mine = claim_of(world.a.member.user, order)
    claim_of(world.a.branch_admin, order)
    claims.release_claim(actor=world.a.member.user, claim=mine)
    assert (reload(order).claimed_count, order.state) == (1, OrderState.CLAIMED)


def test_it_refuses_a_release_after_the_start(world, order):
    claim = claim_of(world.a.member.user, order)
    with at(order.wanted_from), pytest.raises(DomainError, match="start_passed"):
        claims.release_claim(actor=world.a.member.user, claim=claim)
    assert reload(order).claimed_count == 1


def test_an_admin_takes_back_a_no_shows_place_after_the_start_and_the_rest_can_complete(
    world, order, citizen
):
    no_show = claim_of(world.a.branch_admin, order)
    served(world, order)
    after_start = order.wanted_from + timedelta(hours=2)
    with at(after_start):
        with pytest.raises(DomainError, match="not_signed_out"):
            claims.complete_order(actor=world.a.member.user, order=reload(order), note="完成")
        for outsider in (world.b.admin, world.a.member.user):
            with pytest.raises(DomainError, match="forbidden"):
                claims.remove_claim(actor=outsider, claim=no_show, reason="未到场")
        with pytest.raises(DomainError, match="reason_required"):
            claims.remove_claim(actor=world.a.admin, claim=no_show, reason=" ")
        removed = claims.remove_claim(actor=world.a.admin, claim=no_show, reason="未到场")
        assert removed.state == "released"
        assert reload(order).claimed_count == 1
        told = set(
            Notification.objects.filter(title__contains="撤销").values_list("user_id", flat=True)
        )
        assert {world.a.branch_admin.pk, citizen.user_id} <= told
        entry = AuditEntry.objects.get(action="volunteer_claim.remove")
        assert entry.after == {"reason": "未到场"} and entry.actor == world.a.admin
        done = claims.complete_order(actor=world.a.member.user, order=reload(order), note="完成")
    assert done.state == OrderState.COMPLETED
    assert list(HoursEntry.objects.values_list("member", flat=True)) == [world.a.member.pk]


def test_a_volunteer_who_signed_in_cannot_be_taken_back(world, order):
    claim = claim_of(world.a.member.user, order)
    with at(order.wanted_from):
        sign("in", world.a.member.user, claim)
        with pytest.raises(DomainError, match="invalid_status"):
            claims.remove_claim(actor=world.a.admin, claim=reload(claim), reason="未到场")
    assert reload(order).claimed_count == 1


# Signing at the place -----------------------------------------------------------------------


def test_signing_in_at_the_place_puts_the_order_in_service(world, order):
    claim = claim_of(world.a.member.user, order)
    with at(order.wanted_from - timedelta(minutes=10)):
        signed = sign("in", world.a.member.user, claim, metres=40)
    assert signed.state == "signed_in"
    assert 38 <= signed.sign_in_distance_m <= 42
    assert reload(order).state == OrderState.IN_SERVICE


def test_a_position_in_gcj02_is_converted_before_the_fence(world, order):
    claim = claim_of(world.a.member.user, order)
    with at(order.wanted_from):
        signed = sign("in", world.a.member.user, claim, metres=20, system=coords.GCJ02)
    assert signed.sign_in_distance_m <= 25


@pytest.mark.parametrize(
    ("metres", "accuracy", "code"),
    [(800, 15, "out_of_range"), (20, 500, "imprecise_location")],
)
def test_a_refused_sign_in_is_recorded_with_its_reason(world, order, metres, accuracy, code):
    claim = claim_of(world.a.member.user, order)
    with at(order.wanted_from), pytest.raises(DomainError) as caught:
        sign("in", world.a.member.user, claim, metres=metres, accuracy=accuracy)
    assert caught.value.code == code
    assert reload(claim).state == "claimed"
    entry = AuditEntry.objects.get(action="volunteer_claim.sign_in_refused")
    assert entry.after["code"] == code
    assert entry.actor == world.a.member.user


def test_it_refuses_a_sign_in_long_before_the_start_and_by_someone_else(world, order):
    claim = claim_of(world.a.member.user, order)
    with at(order.wanted_from - timedelta(hours=3)), pytest.raises(DomainError, match="too_early"):
        sign("in", world.a.member.user, claim)
    with at(order.wanted_from), pytest.raises(DomainError, match="forbidden"):
        sign("in", world.a.branch_admin, claim)


def test_hours_come_from_the_signed_times(world, order):
    claim = served(world, order, minutes=98)
    assert claim.state == "signed_out"
    assert claim.hours == Decimal("1.75")
    assert claim.signed_out_at - claim.signed_in_at == timedelta(minutes=98)


def test_a_sign_out_after_an_implausible_duration_is_refused_and_recorded(world, order):
    claim = claim_of(world.a.member.user, order)
    with at(order.wanted_from):
        sign("in", world.a.member.user, claim)
    with (
        at(order.wanted_from + timedelta(hours=13)),
        pytest.raises(DomainError, match="implausible_duration"),
    ):
        sign("out", world.a.member.user, claim)
    assert reload(claim).state == "signed_in"
    assert AuditEntry.objects.filter(action="volunteer_claim.sign_out_refused").exists()


# Admin-recorded times and make-up -------------------------------------------------------------


def test_an_admin_records_times_where_signing_was_impossible_flagged_with_the_reason(world, order):
    claim = claim_of(world.a.member.user, order)
    start = order.wanted_from
    with at(start + timedelta(hours=3)):
        with pytest.raises(DomainError, match="reason_required"):
            claims.record_service_times(
                actor=world.a.branch_admin,
                claim=claim,
                signed_in_at=start,
                signed_out_at=start + timedelta(hours=2),
                reason="",
            )
        for user in (world.b.admin, world.outsider, world.a.member.user):
            with pytest.raises(DomainError, match="forbidden"):
                claims.record_service_times(
                    actor=user,
                    claim=claim,
                    signed_in_at=start,
                    signed_out_at=start + timedelta(hours=2),
                    reason="山区无信号",
                )
        with pytest.raises(DomainError, match="implausible_duration"):
            claims.record_service_times(
                actor=world.a.branch_admin,
                claim=claim,
                signed_in_at=start,
                signed_out_at=start - timedelta(minutes=5),
                reason="山区无信号",
            )
        recorded = claims.record_service_times(
            actor=world.a.branch_admin,
            claim=claim,
            signed_in_at=start,
            signed_out_at=start + timedelta(hours=2),
            reason="山区无信号",
        )
    assert recorded.state == "signed_out"
    assert recorded.is_recorded_by_admin and not recorded.is_makeup
    assert (recorded.hours, recorded.recorded_reason) == (Decimal("2.00"), "山区无信号")
    assert reload(order).state == OrderState.IN_SERVICE
    assert AuditEntry.objects.filter(action="volunteer_claim.record_times").exists()
    with at(start + timedelta(hours=3)):
        claims.complete_order(actor=world.a.member.user, order=reload(order), note="已理发")
    entry = HoursEntry.objects.get(claim=claim)
    assert entry.is_flagged and entry.hours == Decimal("2.00")


def test_a_makeup_entry_is_credited_only_after_another_admin_approves(world, order):
    absent = claim_of(world.a.branch_admin, order)  # was there, could not sign
    served(world, order)
    start = order.wanted_from
    second = make_admin(world.city_admin, world.a.town, "镇管理员")
    with at(start + timedelta(days=2)):
        made_up = claims.record_service_times(
            actor=world.a.admin,
            claim=absent,
            signed_in_at=start,
            signed_out_at=start + timedelta(minutes=60),
            reason="现场无法签到，事后补录",
        )
        assert made_up.is_makeup and made_up.is_recorded_by_admin
        # A pending make-up counts as signed out: the order completes, its hours wait.
        claims.complete_order(actor=world.a.member.user, order=reload(order), note="完成")
        assert HoursEntry.objects.filter(member=world.a.member).count() == 1
        assert not HoursEntry.objects.filter(claim=absent).exists()
        for user in (world.a.admin, world.a.branch_admin):  # the recorder, the volunteer
            with pytest.raises(DomainError, match="self_approval"):
                claims.approve_makeup(actor=user, claim=reload(made_up))
        with pytest.raises(DomainError, match="forbidden"):
            claims.approve_makeup(actor=world.b.admin, claim=reload(made_up))
        claims.approve_makeup(actor=second, claim=reload(made_up))
        with pytest.raises(DomainError, match="already_approved"):
            claims.approve_makeup(actor=world.city_admin, claim=reload(made_up))
    entry = HoursEntry.objects.get(claim=absent)
    assert entry.is_flagged and entry.hours == Decimal("1.00")
    assert reload(absent).makeup_approved_by == second
    assert reload(absent).is_makeup  # stays flagged as a make-up


@pytest.mark.parametrize(
    ("after", "expected"),
    [(timedelta(hours=1), False), (timedelta(hours=24), False), (timedelta(hours=25), True)],
)
def test_times_entered_a_day_after_the_service_are_a_makeup(after, expected):
    from dangjian.volunteering import hours

    end = clock.now()
    assert hours.is_makeup(recorded_at=end + after, signed_out_at=end) is expected


# Completion, confirmation, closing ------------------------------------------------------------


def test_completion_needs_evidence_and_every_volunteer_signed_out(world, order, citizen):
    other = claim_of(world.a.branch_admin, order)
    served(world, order)
    done_at = order.wanted_from + timedelta(hours=2)
    with at(done_at):
        with pytest.raises(DomainError, match="evidence_required"):
            claims.complete_order(actor=world.a.member.user, order=reload(order))
        with pytest.raises(DomainError, match="not_signed_out"):
            claims.complete_order(actor=world.a.member.user, order=reload(order), note="完成")
        sign("in", world.a.branch_admin, other)
    with at(done_at + timedelta(minutes=30)):
        sign("out", world.a.branch_admin, other)
        with pytest.raises(DomainError, match="forbidden"):
            claims.complete_order(actor=world.b.member.user, order=reload(order), note="完成")
        photo = SimpleUploadedFile("a.jpg", image_bytes(), content_type="image/jpeg")
        done = claims.complete_order(
            actor=world.a.member.user, order=reload(order), note="", photos=[photo]
        )
    assert done.state == OrderState.COMPLETED and done.completed_at == done_at + timedelta(
        minutes=30
    )
    assert OrderPhoto.objects.filter(order=order, kind="evidence").count() == 1
    credits = dict(HoursEntry.objects.values_list("member__name", "hours"))
    assert credits == {world.a.member.name: Decimal("1.50"), "汉台区支部书记": Decimal("0.50")}
    assert set(HoursEntry.objects.values_list("org", flat=True)) == {world.a.branch.pk}
    assert Notification.objects.filter(user=citizen.user, title__contains="请评价").exists()


def completed(world, order):
    served(world, order)
    with at(order.wanted_from + timedelta(hours=2)):
        return claims.complete_order(actor=world.a.member.user, order=reload(order), note="完成")


def test_the_requester_alone_confirms_and_rates_once(world, order, citizen):
    completed(world, order)
    for user in (world.a.member.user, world.a.branch_admin):
        with pytest.raises(DomainError, match="not_the_requester"):
            claims.confirm_order(actor=user, order=reload(order), rating=5)
    for rating in (0, 6):
        with pytest.raises(DomainError, match="validation_error"):
            claims.confirm_order(actor=citizen.user, order=reload(order), rating=rating)
    confirmed = claims.confirm_order(
        actor=citizen.user, order=reload(order), rating=4, comment="很耐心"
    )
    assert (confirmed.state, confirmed.rating, confirmed.rating_comment) == (
        OrderState.CONFIRMED,
        4,
        "很耐心",
    )
    assert not confirmed.is_closed_automatically
    with pytest.raises(DomainError, match="rated_already"):
        claims.confirm_order(actor=citizen.user, order=reload(order), rating=1)
    assert reload(order).rating == 4


def test_it_refuses_a_rating_before_completion(world, order, citizen):
    with pytest.raises(DomainError, match="invalid_status"):
        claims.confirm_order(actor=citizen.user, order=order, rating=5)


def test_orders_left_unrated_for_seven_days_close_themselves(world, order, citizen, category):
    completed(world, order)
    done_at = reload(order).completed_at
    with at(done_at + timedelta(days=6, hours=23)):
        assert claims.close_unrated_orders() == 0
    with at(done_at + timedelta(days=7)):
        assert claims.close_unrated_orders() == 1
        assert claims.close_unrated_orders() == 0  # idempotent
    closed = reload(order)
    assert closed.state == OrderState.CONFIRMED and closed.is_closed_automatically
    assert closed.rating is None
    assert OrderEvent.objects.filter(order=order, to_state="confirmed", actor=None).exists()
    with pytest.raises(DomainError, match="rated_already"):
        claims.confirm_order(actor=citizen.user, order=closed, rating=5)


def test_the_job_is_scheduled():
    from dangjian.core.scheduling import JOBS

    assert JOBS["close-unrated-orders"][0] == "dangjian.volunteering.tasks.close_unrated_orders"


@pytest.mark.parametrize(
    ("distance", "accuracy", "radius", "expected"),
    [
        (0, 10, 300, None),
        (300, 300, 300, None),  # on the edge, as precise as the radius: inside
        (301, 10, 300, "out_of_range"),
        (10, 301, 300, "imprecise_location"),  # too vague to tell, however near
        (900, 500, 300, "imprecise_location"),  # imprecision is said first
    ],
)
def test_the_shared_fence_rule_as_a_table(distance, accuracy, radius, expected):
    # The rule check-in and signing at an order's place share (attendance.geo).
    assert geo.fence_breach(distance_m=distance, accuracy_m=accuracy, radius_m=radius) == expected

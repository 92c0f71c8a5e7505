"""Twenty members claiming a three-volunteer order at the same instant: exactly three
claims, the others `order_full`. Real concurrency needs real connections and row locks, so
this runs against PostgreSQL with committed transactions (SQLite serializes every write
transaction and would prove nothing)."""

import threading

import pytest
from django.db import connection, connections

from dangjian.core.errors import DomainError
from dangjian.volunteering import claims
from dangjian.volunteering.models import Claim, Order, OrderEvent, OrderState
from tests.conftest import COMMITTED
from tests.factories import make_member
from tests.volunteering.conftest import make_order

pytestmark = COMMITTED
VOLUNTEERS = 20
PLACES = 3


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL (DATABASE_URL=postgres://...)")


def race(users, fn) -> tuple[list, list]:
    """Run `fn(user)` for every user, in threads released at the same instant."""
    barrier = threading.Barrier(len(users))
    results, errors = [], []

    def worker(user):
        try:
            barrier.wait()
            results.append(fn(user))
        except Exception as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results, errors


def test_twenty_concurrent_claims_on_a_three_volunteer_order_take_exactly_three(
    world, citizen, category
):
    order = make_order(citizen, category, state=OrderState.PUBLISHED, volunteers_needed=PLACES)
    users = [
        make_member(world.city_admin, world.a.branch, name=f"志愿者{i:02d}").user
        for i in range(VOLUNTEERS)
    ]

    def claim(user):
        return claims.claim_order(actor=user, order=Order.objects.get(pk=order.pk))

    results, errors = race(users, claim)
    assert len(results) == PLACES
    assert len(errors) == VOLUNTEERS - PLACES
    assert all(isinstance(e, DomainError) and e.code == "order_full" for e in errors), errors
    order.refresh_from_db()
    assert (order.claimed_count, order.state) == (PLACES, OrderState.CLAIMED)
    assert Claim.objects.filter(order=order, state="claimed").count() == PLACES
    assert OrderEvent.objects.filter(order=order, to_state="claimed").count() == 1


def test_one_member_claiming_twice_at_the_same_instant_holds_one_place(world, citizen, category):
    order = make_order(citizen, category, state=OrderState.PUBLISHED, volunteers_needed=PLACES)
    user = world.a.member.user

    def claim(_):
        return claims.claim_order(actor=user, order=Order.objects.get(pk=order.pk))

    results, errors = race([user] * 6, claim)
    assert len(results) == 1
    assert {e.code for e in errors} == {"already_claimed"}
    order.refresh_from_db()
    assert order.claimed_count == 1

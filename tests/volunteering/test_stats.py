from datetime import timedelta
from decimal import Decimal

import time_machine

from dangjian.core import clock
from dangjian.volunteering import stats
from dangjian.volunteering.models import Claim, HoursEntry, OrderState
from tests.volunteering.conftest import make_category, make_citizen, make_order

T0 = clock.now().replace(microsecond=0)


def _claim(order, member, after: timedelta) -> Claim:
    return Claim.objects.create(order=order, member=member, claimed_at=order.published_at + after)


def test_figures_count_orders_by_state_category_and_community_of_the_subtree(world, citizen):
    help_ = make_category(world.a.org, "送服务")
    health = make_category(world.a.org, "送健康")
    other = make_citizen(world.a.other_branch, name="李大爷")
    outside = make_citizen(world.b.branch, name="张奶奶")
    with time_machine.travel(T0, tick=False):
        make_order(citizen, help_, state=OrderState.SUBMITTED)
        make_order(citizen, help_, state=OrderState.PUBLISHED)
        make_order(citizen, health, state=OrderState.PUBLISHED)
        make_order(other, health, state=OrderState.DECLINED)
        make_order(outside, make_category(world.b.org), state=OrderState.PUBLISHED)
    f = stats.figures(world.a.org, since=T0 - timedelta(days=1), until=T0 + timedelta(days=1))
    assert f.orders == 4
    assert f.by_state["published"] == 2 and f.by_state["submitted"] == 1
    assert f.by_state["declined"] == 1 and f.by_state["confirmed"] == 0
    assert dict(f.by_category) == {"送服务": 2, "送健康": 2}
    rows = {row.name: (row.total, row.counts["published"]) for row in f.communities}
    assert rows == {world.a.branch.name: (3, 2), world.a.other_branch.name: (1, 0)}
    # The whole city sees county B's order too; county B sees only its own.
    city = stats.figures(world.city, since=T0 - timedelta(days=1), until=T0 + timedelta(days=1))
    assert city.orders == 5
    assert (
        stats.figures(
            world.b.org, since=T0 - timedelta(days=1), until=T0 + timedelta(days=1)
        ).orders
        == 1
    )


def test_figures_time_publishing_the_first_claim_and_satisfaction(world, citizen, category):
    with time_machine.travel(T0, tick=False):
        first = make_order(citizen, category, state=OrderState.CONFIRMED, volunteers_needed=2)
        second = make_order(citizen, category, state=OrderState.CONFIRMED)
    for order, published_after in ((first, timedelta(hours=1)), (second, timedelta(hours=3))):
        order.published_at = order.created_at + published_after
        order.rating = 5 if order is first else 4
        order.save()
    _claim(first, world.a.member, timedelta(minutes=30))
    _claim(first, world.a.flowing, timedelta(hours=5))  # not the first: ignored
    _claim(second, world.a.member, timedelta(minutes=90))
    f = stats.figures(world.a.org, since=T0 - timedelta(days=1), until=T0 + timedelta(days=1))
    assert f.mean_time_to_publish == timedelta(hours=2)
    assert f.mean_time_to_first_claim == timedelta(hours=1)
    assert f.rated == 2 and f.mean_rating == 4.5
    assert stats.rated_share(f) == 1.0


def test_figures_sum_hours_per_member_and_branch_reversals_included(world):
    def entry(member, hours, **kw):
        return HoursEntry.objects.create(
            member=member,
            org=world.a.branch,
            kind="reversal" if hours.startswith("-") else "service",
            hours=Decimal(hours),
            served_on=T0.date(),
            description="上门理发",
            recorded_at=T0,
            **kw,
        )

    credited = entry(world.a.member, "2.5")
    entry(world.a.flowing, "1.0")
    entry(world.a.member, "-2.5", reverses=credited, reason="重复录入")
    entry(world.a.member, "3.0")
    entry(world.b.member, "4.0")
    f = stats.figures(world.a.org, since=T0 - timedelta(days=1), until=T0 + timedelta(days=1))
    assert f.hours == Decimal("4.0")
    assert f.hours_by_member == [
        (world.a.member.pk, world.a.member.name, Decimal("3.0")),
        (world.a.flowing.pk, world.a.flowing.name, Decimal("1.0")),
    ]
    assert f.hours_by_branch == [(world.a.branch.pk, world.a.branch.name, Decimal("4.0"))]

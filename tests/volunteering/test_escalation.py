"""The scheduled jobs on the clock: an order nobody claims reaches the town after 24 hours
(and not before), the county after 48, and no further; an accepted order not started by the
end of its window is flagged, and expires when nobody claimed it. Running a job again
changes nothing."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from dangjian.audit.models import AuditEntry
from dangjian.core import scheduling
from dangjian.notifications.models import Notification
from dangjian.volunteering import orders, tasks
from dangjian.volunteering.models import Order, OrderEvent, OrderState
from tests.factories import make_admin, make_member
from tests.volunteering.conftest import make_order

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def town_admin(world):
    return make_admin(world.city_admin, world.a.town, "某镇管理员")


@pytest.fixture
def published(world, citizen, category, clock):
    """Submitted and published now, wanted in five days."""
    order = orders.submit_order(
        actor=citizen.user,
        category=category,
        description="帮忙修理漏水的水龙头",
        address="某村3组12号",
        wanted_from=NOW + timedelta(days=5),
        wanted_until=NOW + timedelta(days=5, hours=3),
    )
    return orders.publish_order(
        actor=world.a.branch_admin, order=order, volunteers_needed=1, skills=["水电维修"]
    )


def escalations(order) -> list[str]:
    return list(
        OrderEvent.objects.filter(order=order, note__contains="升级").values_list("note", flat=True)
    )


def notices(user, text: str) -> int:
    return Notification.objects.filter(user=user, title__contains=text).count()


def test_the_jobs_are_scheduled():
    assert scheduling.JOBS["escalate-unclaimed-orders"][0] == (
        "dangjian.volunteering.tasks.escalate_unclaimed_orders"
    )
    assert scheduling.JOBS["flag-overdue-orders"][0] == (
        "dangjian.volunteering.tasks.flag_overdue_orders"
    )


def test_an_unclaimed_order_does_not_escalate_before_24_hours(published, clock):
    clock.move_to(NOW + timedelta(hours=23, minutes=59))
    assert tasks.escalate_unclaimed_orders() == 0
    published.refresh_from_db()
    assert published.reach_id == published.community_id and published.escalation_level == 0


def test_an_unclaimed_order_escalates_to_the_town_then_the_county_and_no_further(
    world, citizen, published, clock, town_admin
):
    other = make_member(world.city_admin, world.a.other_branch, name="社区党员")
    assert not notices(other.user, "新的志愿服务需求")

    clock.move_to(NOW + timedelta(hours=24))
    assert tasks.escalate_unclaimed_orders() == 1
    published.refresh_from_db()
    assert (published.reach, published.escalation_level) == (world.a.town, 1)
    assert published.state == OrderState.PUBLISHED
    assert published.escalated_at == NOW + timedelta(hours=24)
    # The town's admins and the requester are told; the town's members now see it.
    assert notices(town_admin, "升级至本级") == 1
    assert notices(citizen.user, "扩大发布范围") == 1
    assert notices(other.user, "新的志愿服务需求") == 1
    # ...and a member reached before is not told again.
    assert notices(world.a.member.user, "新的志愿服务需求") == 1

    # Idempotent: again at once, or an hour later, nothing moves.
    assert tasks.escalate_unclaimed_orders() == 0
    clock.move_to(NOW + timedelta(hours=25))
    assert tasks.escalate_unclaimed_orders() == 0
    assert len(escalations(published)) == 1

    clock.move_to(NOW + timedelta(hours=48))
    assert tasks.escalate_unclaimed_orders() == 1
    published.refresh_from_db()
    assert (published.reach, published.escalation_level) == (world.a.org, 2)
    assert notices(world.a.admin, "升级至本级") == 1
    assert notices(citizen.user, "扩大发布范围") == 2
    assert notices(world.b.member.user, "新的志愿服务需求") == 0

    for hours in (72, 96):
        clock.move_to(NOW + timedelta(hours=hours))
        assert tasks.escalate_unclaimed_orders() == 0
    published.refresh_from_db()
    assert (published.reach, published.escalation_level) == (world.a.org, 2)
    assert len(escalations(published)) == 2
    assert [e.actor for e in OrderEvent.objects.filter(order=published, note__contains="升级")] == [
        None,
        None,
    ]
    assert AuditEntry.objects.filter(action="volunteer_order.escalate").count() == 2


def test_a_claimed_order_does_not_escalate(published, clock):
    Order.objects.filter(pk=published.pk).update(state=OrderState.CLAIMED, claimed_count=1)
    clock.move_to(NOW + timedelta(hours=30))
    assert tasks.escalate_unclaimed_orders() == 0
    published.refresh_from_db()
    assert published.escalation_level == 0


def test_a_submitted_order_does_not_escalate(citizen, category, clock):
    order = make_order(citizen, category, starts_in=timedelta(days=5))
    clock.move_to(NOW + timedelta(hours=30))
    assert tasks.escalate_unclaimed_orders() == 0
    order.refresh_from_db()
    assert order.escalation_level == 0


def test_the_setting_sets_the_period(published, clock, settings):
    settings.VOLUNTEER_ESCALATE_AFTER_HOURS = 6
    clock.move_to(NOW + timedelta(hours=6))
    assert tasks.escalate_unclaimed_orders() == 1


# Overdue and expired ---------------------------------------------------------------------


def test_an_order_nobody_claimed_expires_at_the_end_of_its_window(world, citizen, published, clock):
    clock.move_to(NOW + timedelta(days=5, hours=2, minutes=59))
    assert tasks.flag_overdue_orders() == 0
    clock.move_to(NOW + timedelta(days=5, hours=3))
    assert tasks.flag_overdue_orders() == 1
    published.refresh_from_db()
    assert published.state == OrderState.EXPIRED and published.is_overdue
    event = OrderEvent.objects.filter(order=published).last()
    assert (event.from_state, event.to_state, event.actor) == ("published", "expired", None)
    assert notices(citizen.user, "已过期") == 1
    assert notices(world.a.branch_admin, "逾期未开始") == 1
    # Idempotent.
    clock.move_to(NOW + timedelta(days=6))
    assert tasks.flag_overdue_orders() == 0
    assert notices(citizen.user, "已过期") == 1


def test_a_claimed_order_not_started_by_the_end_of_its_window_is_flagged_not_expired(
    world, citizen, category, clock
):
    order = make_order(citizen, category, state=OrderState.CLAIMED, starts_in=timedelta(hours=1))
    Order.objects.filter(pk=order.pk).update(claimed_count=1)
    clock.move_to(NOW + timedelta(hours=4))
    assert tasks.flag_overdue_orders() == 1
    order.refresh_from_db()
    assert order.state == OrderState.CLAIMED and order.is_overdue
    assert notices(world.a.branch_admin, "逾期未开始") == 1
    assert notices(citizen.user, "已过期") == 0
    assert tasks.flag_overdue_orders() == 0
    assert notices(world.a.branch_admin, "逾期未开始") == 1


@pytest.mark.parametrize("state", ["submitted", "in_service", "completed", "cancelled"])
def test_orders_not_waiting_for_their_service_are_not_flagged(citizen, category, clock, state):
    order = make_order(citizen, category, state=state, starts_in=timedelta(hours=1))
    clock.move_to(NOW + timedelta(days=1))
    assert tasks.flag_overdue_orders() == 0
    order.refresh_from_db()
    assert order.state == state and not order.is_overdue


def test_a_flagged_order_whose_volunteers_all_released_it_expires(world, citizen, category, clock):
    order = make_order(citizen, category, state=OrderState.CLAIMED, starts_in=timedelta(hours=1))
    Order.objects.filter(pk=order.pk).update(claimed_count=1)
    clock.move_to(NOW + timedelta(hours=4))
    assert tasks.flag_overdue_orders() == 1
    # The last volunteer releases it afterwards (claims.py moves it back to published).
    Order.objects.filter(pk=order.pk).update(state=OrderState.PUBLISHED, claimed_count=0)
    assert tasks.flag_overdue_orders() == 1
    order.refresh_from_db()
    assert order.state == OrderState.EXPIRED
    assert notices(citizen.user, "已过期") == 1
    assert notices(world.a.branch_admin, "逾期未开始") == 1  # told once, when flagged
    assert tasks.flag_overdue_orders() == 0

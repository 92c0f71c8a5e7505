"""The step every change of an order's state takes (order_steps.transition): the order
moves only from the state it was read in, and only a move leaves an event; the reason a
refusal, a cancellation or a removed claim must give."""

from datetime import timedelta

import pytest

from dangjian.core import clock
from dangjian.core.errors import DomainError
from dangjian.volunteering import order_steps
from dangjian.volunteering.models import Order, OrderEvent, OrderState
from tests.volunteering.conftest import make_order

pytestmark = pytest.mark.django_db


def test_a_transition_moves_the_order_from_the_state_it_expects_and_keeps_the_event(
    world, citizen, category
):
    order = make_order(citizen, category, state=OrderState.PUBLISHED)
    now = clock.now() + timedelta(minutes=5)

    moved = order_steps.transition(
        order,
        OrderState.CLAIMED,
        expected=OrderState.PUBLISHED,
        actor=world.a.admin,
        now=now,
        note="接单",
    )

    assert moved is True
    assert order.state == OrderState.CLAIMED
    stored = Order.objects.get(pk=order.pk)
    assert (stored.state, stored.updated_at) == (OrderState.CLAIMED, now)
    event = OrderEvent.objects.get(order=order)
    assert (event.from_state, event.to_state, event.actor, event.note, event.at) == (
        OrderState.PUBLISHED,
        OrderState.CLAIMED,
        world.a.admin,
        "接单",
        now,
    )


def test_a_transition_leaves_an_order_someone_moved_meanwhile_and_writes_no_event(
    world, citizen, category
):
    order = make_order(citizen, category, state=OrderState.PUBLISHED)
    Order.objects.filter(pk=order.pk).update(state=OrderState.CANCELLED)

    moved = order_steps.transition(
        order,
        OrderState.CLAIMED,
        expected=OrderState.PUBLISHED,
        actor=world.a.admin,
        now=clock.now(),
        cancel_reason="不该写入",
    )

    assert moved is False
    assert order.state == OrderState.PUBLISHED
    assert order.cancel_reason == ""
    assert Order.objects.get(pk=order.pk).state == OrderState.CANCELLED
    assert not OrderEvent.objects.filter(order=order).exists()


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_reason_is_required(reason):
    with pytest.raises(DomainError) as refused:
        order_steps.required_reason(reason)
    assert (refused.value.code, refused.value.details["field"]) == ("reason_required", "reason")


def test_a_reason_is_trimmed_and_limited():
    assert order_steps.required_reason("  不在服务范围 ") == "不在服务范围"
    assert order_steps.required_reason("字" * order_steps.REASON_MAX_CHARS)
    with pytest.raises(DomainError) as refused:
        order_steps.required_reason("字" * (order_steps.REASON_MAX_CHARS + 1))
    assert (refused.value.code, refused.value.details["field"]) == ("validation_error", "reason")

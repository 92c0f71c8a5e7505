"""What every change of an order's state does, for `orders` (review, cancel, the scheduled
jobs) and `claims` (claiming, the service, completion): the UPDATE conditioned on the state
the order was read in, so that a claim or a job that moved it meanwhile wins and the loser
sees the new state, and the `OrderEvent` of the move; the notices to the requester and to
the community's admins, each with the page they act on; and the reason an admin or a
citizen must give for a refusal, a cancellation or a removed claim."""

from datetime import datetime

from django.utils.translation import gettext as _

from dangjian import permissions
from dangjian.core.text import checked_text
from dangjian.notifications.services import notify
from dangjian.registry.models import Organization, User
from dangjian.volunteering.models import Order, OrderEvent

REASON_MAX_CHARS = 300


def required_reason(reason: str) -> str:
    return checked_text(
        reason,
        field="reason",
        missing=_("请填写原因"),
        missing_code="reason_required",
        limit=REASON_MAX_CHARS,
    )


def record_event(
    order: Order, *, from_state: str, to_state: str, actor: User | None, now: datetime, note=""
) -> None:
    OrderEvent.objects.create(
        order=order, from_state=from_state, to_state=to_state, actor=actor, note=note, at=now
    )


def move(order: Order, to_state: str, *, expected: str, **fields) -> bool:
    """Move `order` from `expected` to `to_state` with `fields`, unless someone moved it
    meanwhile. Returns whether it moved; the instance takes the new values."""
    moved = Order.objects.filter(pk=order.pk, state=expected).update(state=to_state, **fields)
    if moved:
        order.state = to_state
        for name, value in fields.items():
            setattr(order, name, value)
    return bool(moved)


def transition(
    order: Order,
    to_state: str,
    *,
    expected: str,
    actor: User | None,
    now: datetime,
    note: str = "",
    **fields,
) -> bool:
    """`move`, the order stamped as updated `now`, and the event from `expected` to
    `to_state` when it moved. Returns whether it moved."""
    moved = move(order, to_state, expected=expected, updated_at=now, **fields)
    if moved:
        record_event(order, from_state=expected, to_state=to_state, actor=actor, now=now, note=note)
    return moved


def tell_requester(order: Order, *, title: str, body: str = "") -> None:
    notify(
        user_ids=[order.requester.user_id],
        kind="volunteer_order",
        title=title,
        body=body,
        link=f"/c/orders/{order.pk}/",
    )


def tell_admins(org: Organization, order: Order, *, title: str, body: str = "") -> None:
    notify(
        user_ids=permissions.order_admin_user_ids(org),
        kind="volunteer_order",
        title=title,
        body=body,
        link=f"/console/volunteering/orders/{order.pk}/",
    )

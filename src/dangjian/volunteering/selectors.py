"""Reads of orders shared by the citizen's pages, the console and the API. Every list starts
from `permissions.scoped_orders`; one order comes from `permissions.access_order`."""

from dataclasses import dataclass

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from dangjian import permissions
from dangjian.volunteering import rules
from dangjian.volunteering.models import Claim, Order, OrderEvent, OrderPhoto, OrderState

# What a list row shows: the category, the community and how far the order reaches.
LIST_RELATED = ("category", "community", "reach", "requester", "requester__user")


def orders(
    user,
    *,
    state: str | None = None,
    org_id: int | None = None,
    category_id: int | None = None,
) -> QuerySet[Order]:
    """The orders the user may read, newest first, filtered by state, by organization (the
    order's community lies in its subtree) and by category; one query a page."""
    qs = permissions.scoped_orders(user).select_related(*LIST_RELATED)
    if state:
        qs = qs.filter(state=state)
    if org_id is not None:
        org = permissions.access_org(user, org_id)
        qs = qs.filter(community__path__startswith=org.path)
    if category_id is not None:
        qs = qs.filter(category_id=category_id)
    return qs.order_by("-created_at", "-pk")


def my_orders(user) -> QuerySet[Order]:
    """A citizen's own orders, newest first."""
    citizen = permissions.own_citizen(user)
    if citizen is None:
        return Order.objects.none()
    return (
        Order.objects.filter(requester=citizen)
        .select_related(*LIST_RELATED)
        .order_by("-created_at", "-pk")
    )


def review_queue(user) -> QuerySet[Order]:
    """The console's queue for the admins over the orders' communities: orders waiting for
    review first (oldest first), then accepted orders that need a look (overdue, or
    published and still unclaimed, escalated first). Finished orders are not in it."""
    needs_look = Q(state=OrderState.SUBMITTED) | Q(state__in=rules.OPEN_FOR_CLAIMS, is_overdue=True)
    needs_look |= Q(state=OrderState.PUBLISHED, claimed_count=0)
    return (
        Order.objects.filter(permissions.admin_scope_q(user, "community__path"))
        .filter(needs_look)
        .select_related(*LIST_RELATED)
        .annotate(
            queue_rank=Case(
                When(state=OrderState.SUBMITTED, then=Value(0)),
                When(is_overdue=True, then=Value(1)),
                When(escalation_level__gt=0, then=Value(2)),
                default=Value(3),
                output_field=IntegerField(),
            )
        )
        .order_by("queue_rank", "created_at", "pk")
    )


@dataclass
class OrderDetail:
    order: Order
    events: list[OrderEvent]
    photos: list[OrderPhoto]
    # Its volunteers' claims with their members (the admins' table of who serves).
    claims: list[Claim]
    # The decline reason, for those who may see it (the requester and the admins); empty
    # for everyone else, whatever the order holds.
    decline_reason: str
    is_requester: bool
    is_admin: bool
    may_cancel: bool
    may_review: bool


def detail(user, order: Order) -> OrderDetail:
    """An order the caller fetched with `permissions.access_order`, with its history and
    photos, and what this user may see and do of it."""
    events = list(
        OrderEvent.objects.filter(order=order).select_related("actor").order_by("at", "pk")
    )
    labels = dict(OrderState.choices)
    for event in events:
        # What the pages show of a step: the state it reached (an escalation or a flag
        # stays in its state and is told by its note).
        event.to_label = labels.get(event.to_state, event.to_state)
    photos = list(OrderPhoto.objects.filter(order=order).order_by("created_at", "pk"))
    claims = list(
        Claim.objects.filter(order=order).select_related("member").order_by("claimed_at", "pk")
    )
    is_requester = permissions.is_requester(user, order)
    is_admin = permissions.is_admin_over(user, order.community)
    open_to_cancel = rules.may_move(order.state, OrderState.CANCELLED)
    return OrderDetail(
        order=order,
        events=events,
        photos=photos,
        claims=claims,
        decline_reason=(
            order.decline_reason if permissions.may_see_decline_reason(user, order) else ""
        ),
        is_requester=is_requester,
        is_admin=is_admin,
        may_cancel=open_to_cancel and (is_requester or is_admin),
        may_review=is_admin and order.state == OrderState.SUBMITTED,
    )

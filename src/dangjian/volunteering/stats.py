"""The volunteer cloud call in figures, for an organization's subtree and a period (issue 20
point 9): orders by state and by category per community, how long publishing and the first
claim took, the citizens' satisfaction, and hours per member and per branch.

Every figure is one aggregate query over the subtree (the path prefix), never a loop over
communities or members in Python."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import (
    Avg,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Min,
    OuterRef,
    Subquery,
    Sum,
)
from django.utils import timezone

from dangjian.registry.models import Organization
from dangjian.volunteering.models import Claim, HoursEntry, Order, OrderState

STATES = [state for state, _label in OrderState.choices]


@dataclass(frozen=True)
class CommunityRow:
    community_id: int
    name: str
    counts: dict[str, int]  # state -> orders
    total: int


@dataclass(frozen=True)
class Figures:
    orders: int
    by_state: dict[str, int]
    by_category: list[tuple[str, int]]
    communities: list[CommunityRow]
    mean_time_to_publish: timedelta | None
    mean_time_to_first_claim: timedelta | None
    rated: int
    mean_rating: float | None
    hours: Decimal
    hours_by_branch: list[tuple[int, str, Decimal]]
    hours_by_member: list[tuple[int, str, Decimal]]


def _every_state(counts: dict[str, int]) -> dict[str, int]:
    return {state: counts.get(state, 0) for state in STATES}


def _orders(org: Organization, since: datetime, until: datetime):
    return Order.objects.filter(
        community__path__startswith=org.path, created_at__gte=since, created_at__lt=until
    )


def _mean(queryset, start: str, end: str) -> timedelta | None:
    took = ExpressionWrapper(F(end) - F(start), output_field=DurationField())
    return queryset.exclude(**{f"{end}__isnull": True}).aggregate(mean=Avg(took))["mean"]


def figures(org: Organization, *, since: datetime, until: datetime, top: int = 20) -> Figures:
    """The figures of the orders made in [since, until) in `org`'s subtree, and of the hours
    recorded in it over the same period (by the member's branch)."""
    orders = _orders(org, since, until)
    by_state = dict.fromkeys(STATES, 0)
    rows: dict[int, dict] = {}
    per_community = (
        orders.values("community_id", "community__name", "state")
        .annotate(n=Count("id"))
        .order_by("community__name", "community_id")
    )
    for row in per_community:
        by_state[row["state"]] += row["n"]
        entry = rows.setdefault(row["community_id"], {"name": row["community__name"], "counts": {}})
        entry["counts"][row["state"]] = row["n"]
    communities = [
        CommunityRow(
            pk, r["name"], {s: r["counts"].get(s, 0) for s in STATES}, sum(r["counts"].values())
        )
        for pk, r in rows.items()
    ]
    by_category = [
        (row["category__name"], row["n"])
        for row in orders.values("category__name").annotate(n=Count("id")).order_by("-n")
    ]
    first_claim = (
        Claim.objects.filter(order=OuterRef("pk"))
        .order_by()
        .values("order")
        .annotate(first=Min("claimed_at"))
        .values("first")
    )
    claimed = orders.annotate(first_claim_at=Subquery(first_claim))
    ratings = orders.filter(rating__isnull=False).aggregate(n=Count("id"), mean=Avg("rating"))
    entries = HoursEntry.objects.filter(
        member__branch__path__startswith=org.path, recorded_at__gte=since, recorded_at__lt=until
    )
    by_branch = (
        entries.values("member__branch_id", "member__branch__name")
        .annotate(total=Sum("hours"))
        .filter(total__gt=0)
        .order_by("-total", "member__branch_id")[:top]
    )
    by_member = (
        entries.values("member_id", "member__name")
        .annotate(total=Sum("hours"))
        .filter(total__gt=0)
        .order_by("-total", "member_id")[:top]
    )
    return Figures(
        orders=sum(by_state.values()),
        by_state=by_state,
        by_category=by_category,
        communities=communities,
        mean_time_to_publish=_mean(orders, "created_at", "published_at"),
        mean_time_to_first_claim=_mean(claimed, "published_at", "first_claim_at"),
        rated=ratings["n"],
        mean_rating=float(ratings["mean"]) if ratings["mean"] is not None else None,
        hours=entries.aggregate(total=Sum("hours"))["total"] or Decimal("0"),
        hours_by_branch=[
            (r["member__branch_id"], r["member__branch__name"], r["total"]) for r in by_branch
        ],
        hours_by_member=[(r["member_id"], r["member__name"], r["total"]) for r in by_member],
    )


def rated_share(f: Figures) -> float | None:
    """The share of the finished services that their citizen rated."""
    done = f.by_state.get(OrderState.CONFIRMED, 0)
    return f.rated / done if done else None


def figures_for(org: Organization, *, start: date, end: date) -> Figures:
    """The figures of the days [start, end) in the server's time zone (a scoring period's
    `start` and `end`)."""

    def midnight(day: date) -> datetime:
        return timezone.make_aware(datetime.combine(day, time.min))

    return figures(org, since=midnight(start), until=midnight(end))

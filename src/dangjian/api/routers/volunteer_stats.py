"""The volunteer cloud call's figures over the API (issue 20 point 9), for the admins of an
organization and a scoring period (a month, a quarter or a year)."""

from datetime import timedelta

from ninja import Router, Schema
from pydantic import Field

from dangjian import permissions
from dangjian.api.auth import actor
from dangjian.api.schemas import ErrorOut
from dangjian.scoring import selectors as periods
from dangjian.volunteering import stats

router = Router(tags=["volunteering"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class CountOut(Schema):
    name: str
    orders: int


class CommunityOut(Schema):
    community_id: int
    name: str
    orders: int
    by_state: dict[str, int]


class HoursOut(Schema):
    id: int
    name: str
    hours: float


class FiguresOut(Schema):
    org_id: int
    period: str
    orders: int
    by_state: dict[str, int] = Field(description="Every state of an order, 0 where none")
    by_category: list[CountOut]
    communities: list[CommunityOut]
    mean_hours_to_publish: float | None = Field(
        description="From the citizen's order to its publication, orders published"
    )
    mean_hours_to_first_claim: float | None = Field(
        description="From publication to the first member's claim, orders claimed"
    )
    rated: int
    mean_rating: float | None = Field(description="1–5, of the rated orders")
    hours: float = Field(description="Hours recorded for the subtree's members, reversals net")
    hours_by_branch: list[HoursOut] = Field(description="The 20 branches with most hours")
    hours_by_member: list[HoursOut] = Field(description="The 20 members with most hours")


def _hours(took: timedelta | None) -> float | None:
    return None if took is None else round(took.total_seconds() / 3600, 2)


@router.get("/volunteer/stats", response={200: FiguresOut, **ERRORS})
def volunteer_stats(request, org_id: int, period: str = ""):
    """Orders of the period by state, category and community, time to publish and to the
    first claim, satisfaction and hours, for the subtree of `org_id` (its admins only).
    `period`: `2026-12`, `2026-Q4` or `2026`; the current month when left out (422
    `validation_error` when unreadable)."""
    org = permissions.access_figures_org(actor(request), org_id)
    chosen = periods.parse_period(period) if period else periods.current_period("month")
    f = stats.figures_for(org, start=chosen.start, end=chosen.end)
    return FiguresOut(
        org_id=org.pk,
        period=chosen.label,
        orders=f.orders,
        by_state=f.by_state,
        by_category=[CountOut(name=name, orders=n) for name, n in f.by_category],
        communities=[
            CommunityOut(
                community_id=c.community_id, name=c.name, orders=c.total, by_state=c.counts
            )
            for c in f.communities
        ],
        mean_hours_to_publish=_hours(f.mean_time_to_publish),
        mean_hours_to_first_claim=_hours(f.mean_time_to_first_claim),
        rated=f.rated,
        mean_rating=f.mean_rating,
        hours=float(f.hours),
        hours_by_branch=[HoursOut(id=i, name=n, hours=float(h)) for i, n, h in f.hours_by_branch],
        hours_by_member=[HoursOut(id=i, name=n, hours=float(h)) for i, n, h in f.hours_by_member],
    )

"""Scores and rankings over the API (SPEC.md §5): an activity's score with its breakdown,
and the ranking of the branches or child organizations under an organization."""

from typing import Literal

from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field

from dangjian import permissions
from dangjian.api.auth import actor
from dangjian.api.schemas import ErrorOut
from dangjian.core.errors import DomainError
from dangjian.permissions import Action
from dangjian.registry.models import sector_from_input
from dangjian.scoring import selectors

router = Router(tags=["scoring"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class ComponentOut(Schema):
    value: float = Field(description="0–100, two decimals")
    weight: float = Field(
        description="The weight applied in this score, percent: the policy's weight, "
        "rescaled when other components are left out (the applied weights sum to 100)"
    )


class ComponentsOut(Schema):
    sign_in: ComponentOut | None
    flowing_like: ComponentOut | None
    upload: ComponentOut | None
    comment: ComponentOut | None
    superior: ComponentOut | None


class ScoreOut(Schema):
    total: float = Field(description="0–100, rounded half up to two decimals")
    policy_version: int
    components: ComponentsOut = Field(
        description="Each `{value, weight}`, or null when left out (nothing to measure: "
        "no non-flowing or flowing roster members, no roster, no rating yet)"
    )


@router.get("/activities/{activity_id}/score", response={200: ScoreOut, **ERRORS})
def activity_score(request, activity_id: int):
    """The activity's score, kept up to date as check-ins, likes, uploads, comments and
    ratings come in. 409 `not_held` before the activity has started."""
    activity = permissions.access_activity(actor(request), activity_id, Action.READ)
    view = selectors.score_of(activity)
    return ScoreOut(
        total=float(view.total),
        policy_version=view.policy_version,
        components=ComponentsOut(
            **{
                name: None
                if c is None
                else ComponentOut(value=float(c["value"]), weight=float(c["weight"]))
                for name, c in view.components.items()
            }
        ),
    )


class RankingFilters(Schema):
    period: str = Field(examples=["2026-12", "2026-Q4", "2026"])
    level: Literal["branch", "children"] = "branch"
    sector: str = Field("", description="A sector's Chinese name (农村) or code (rural)")
    category: str = ""


class RankedOut(Schema):
    org_id: int
    name: str
    score: float
    rank: int


class RankingOut(Schema):
    period: str
    level: str
    items: list[RankedOut]


@router.get("/orgs/{org_id}/ranking", response={200: RankingOut, **ERRORS})
def org_ranking(request, org_id: int, filters: Query[RankingFilters]):
    """`branch`: every branch under the organization; `children`: its direct child
    organizations, each the mean of its descendant branches. Best first; equal scores
    share a rank (1, 2, 2, 4). A branch without a held activity in a month scores 0."""
    org = permissions.access_org(actor(request), org_id, Action.READ)
    period = selectors.parse_period(filters.period)
    sector = ""
    if filters.sector:
        sector = sector_from_input(filters.sector) or ""
        if not sector:
            raise DomainError("validation_error", _("所属领域无效"), field="sector")
    rows = selectors.ranking(
        org, period, level=filters.level, sector=sector, category=filters.category.strip()
    )
    return RankingOut(
        period=period.label,
        level=filters.level,
        items=[
            RankedOut(org_id=r.org_id, name=r.name, score=float(r.score), rank=r.rank) for r in rows
        ],
    )

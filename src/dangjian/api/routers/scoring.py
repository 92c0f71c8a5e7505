"""Scores and rankings over the API (docs/product.md, "Scoring"): an activity's score with its
breakdown, the ranking of the branches or child organizations under an organization, and the
versions of the scoring policy (a root admin publishes a new one)."""

from dataclasses import asdict
from datetime import datetime
from typing import Literal

from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import BaseModel, Field

from dangjian import permissions
from dangjian.api.auth import actor
from dangjian.api.pagination import MAX_PAGE, MAX_PAGE_SIZE, PAGE_SIZE, Page
from dangjian.api.schemas import ErrorOut
from dangjian.core.errors import DomainError
from dangjian.permissions import Action
from dangjian.registry.models import sector_from_input
from dangjian.scoring import policies, selectors, services

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
    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int = Field(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


# Plain pydantic models, not ninja Schemas: ninja's per-object getter (made for reading
# ORM objects) cost more than the rest of a ranking page (docs/performance.md).
class RankedOut(BaseModel):
    org_id: int
    name: str
    score: float
    rank: int
    county: str = Field("", description="The county a branch is in (branch level)")
    town: str = Field("", description="The town or street a branch is in (branch level)")


class RankingOut(BaseModel):
    period: str
    level: str
    count: int = Field(description="How many organizations are ranked, on all pages")
    items: list[RankedOut]


@router.get("/orgs/{org_id}/ranking", response={200: RankingOut, **ERRORS})
def org_ranking(request, org_id: int, filters: Query[RankingFilters]):
    """`branch`: every branch under the organization; `children`: its direct child
    organizations, each the mean of its descendant branches. Best first; equal scores
    share a rank (1, 2, 2, 4). A branch without a held activity in a month scores 0.
    Paginated like every list (`page`, `page_size` up to 500): a city has 8,000 branches;
    ranks are within the whole ranking, not the page."""
    org = permissions.access_org(actor(request), org_id, Action.READ)
    period = selectors.parse_period(filters.period)
    sector = ""
    if filters.sector:
        sector = sector_from_input(filters.sector) or ""
        if not sector:
            raise DomainError("validation_error", _("所属领域无效"), field="sector")
    count, rows = selectors.ranking_page(
        org,
        period,
        level=filters.level,
        sector=sector,
        category=filters.category.strip(),
        offset=(filters.page - 1) * filters.page_size,
        limit=filters.page_size,
    )
    return {
        "period": period.label,
        "level": filters.level,
        "count": count,
        "items": [
            {
                "org_id": r.org_id,
                "name": r.name,
                "score": r.score_hundredths / 100,
                "rank": r.rank,
                "county": r.county,
                "town": r.town,
            }
            for r in rows
        ],
    }


# The scoring policy ----------------------------------------------------------------------


class WeightsOut(Schema):
    sign_in: int
    flowing_like: int
    upload: int
    comment: int
    superior: int


class PolicyOut(Schema):
    version: int
    weights: WeightsOut = Field(description="Whole percents, summing to 100")
    upload_photos_target: int = Field(description="Photos for full marks on the photo part")
    upload_summary_chars: int = Field(description="Summary characters for full marks on its part")
    upload_photos_share: int = Field(description="Percent of the upload component for photos")
    note: str
    created_by: str | None = Field(description="Who published it; null for the built-in v1")
    effective_from: datetime | None = Field(
        description="Applies to activities closed from then on; null for the built-in v1"
    )
    is_current: bool

    @staticmethod
    def of(v: policies.PolicyVersion) -> "PolicyOut":
        return PolicyOut(**asdict(v))


class PolicyIn(Schema):
    weights: dict[str, int] = Field(
        description="All five of sign_in, flowing_like, upload, comment, superior; "
        "whole percents ≥ 0 summing to 100",
        examples=[{"sign_in": 60, "flowing_like": 10, "upload": 10, "comment": 10, "superior": 10}],
    )
    upload_photos_target: int | None = Field(None, description="Default: the version in force")
    upload_summary_chars: int | None = Field(None, description="Default: the version in force")
    upload_photos_share: int | None = Field(None, description="Default: the version in force")
    note: str = Field("", max_length=300)


@router.get("/scoring/policies", response={200: list[PolicyOut], **ERRORS})
@paginate(Page)
def list_policies(request):
    """Every version of the scoring policy, newest first, the built-in version 1 last.
    For admins (403 otherwise)."""
    if not permissions.is_admin(actor(request)):
        raise permissions.forbidden()
    return [PolicyOut.of(v) for v in policies.policy_versions()]


@router.post("/scoring/policies", response={201: PolicyOut, **ERRORS})
def create_policy(request, payload: PolicyIn):
    """Publish a new version (root admins only, 403 otherwise). It applies to activities
    that close from now on; stored scores keep their version. 422 `invalid_policy` with
    `problems` when the terms do not add up."""
    user = actor(request)
    current = policies.current_policy()
    policy = services.set_policy(
        actor=user,
        weights=payload.weights,
        upload_photos_target=_or(payload.upload_photos_target, current.upload_photos_target),
        upload_summary_chars=_or(payload.upload_summary_chars, current.upload_summary_chars),
        upload_photos_share=_or(payload.upload_photos_share, current.upload_photos_share),
        note=payload.note,
    )
    created = next(v for v in policies.policy_versions() if v.version == policy.version)
    return Status(201, PolicyOut.of(created))


def _or(value, default):
    return default if value is None else value

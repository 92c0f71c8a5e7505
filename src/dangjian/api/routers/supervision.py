"""Spot checks and rectifications over the API (docs/product.md, "Scoring")."""

from datetime import date, datetime
from typing import Literal

from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate
from pydantic import Field

from dangjian import permissions
from dangjian.api.auth import actor
from dangjian.api.pagination import Page
from dangjian.api.schemas import AttachmentOut, ErrorOut, UserName
from dangjian.core import clock
from dangjian.permissions import Action
from dangjian.scoring import selectors as scoring
from dangjian.supervision import selectors, services
from dangjian.supervision.models import (
    Rectification,
    SpotCheck,
    SpotCheckItem,
)

router = Router(tags=["supervision"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 413: ErrorOut, 422: ErrorOut}


# Spot checks -----------------------------------------------------------------------------


class SpotCheckIn(Schema):
    period: str = Field(examples=["2026-12", "2026-Q4", "2026"])
    size: int | None = Field(None, ge=1, description="How many branches to draw")
    percent: int | None = Field(
        None, ge=1, le=100, description="Or: this percentage of the branches, rounded up"
    )
    seed: int | None = Field(
        None, ge=0, description="The same seed over the same scores draws the same sample"
    )
    weight_low_scores: bool = False


class SpotCheckItemOut(Schema):
    branch_id: int
    name: str = Field(alias="branch.name")
    position: int
    score: float
    activity_id: int | None
    result: str
    finding: str
    inspected_at: datetime | None


class SpotCheckOut(Schema):
    id: int
    org_id: int
    period: str = Field(alias="period_label")
    seed: int
    weight_low_scores: bool
    population: int
    size: int
    created_at: datetime
    items: list[SpotCheckItemOut]

    @staticmethod
    def resolve_size(spot_check: SpotCheck) -> int:
        return spot_check.items.count()

    @staticmethod
    def resolve_items(spot_check: SpotCheck) -> list[SpotCheckItem]:
        return selectors.items_of(spot_check)


@router.post("/orgs/{org_id}/spot-checks", response={201: SpotCheckOut, **ERRORS})
def create_spot_check(request, org_id: int, payload: SpotCheckIn):
    """一键抽查: draw `size` branches (or `percent` of them) under the organization for a
    period, optionally weighted toward low scores. The seed is returned and recorded."""
    user = actor(request)
    org = permissions.access_org(user, org_id, Action.READ)
    spot_check = services.create_spot_check(
        actor=user,
        org=org,
        period=scoring.parse_period(payload.period),
        size=payload.size,
        percent=payload.percent,
        seed=payload.seed,
        weight_low_scores=payload.weight_low_scores,
    )
    return Status(201, spot_check)


@router.get("/spot-checks/{spot_check_id}", response={200: SpotCheckOut, **ERRORS})
def get_spot_check(request, spot_check_id: int):
    return permissions.access_spot_check(actor(request), spot_check_id)


class FindingIn(Schema):
    branch_id: int
    result: Literal["passed", "problems"]
    finding: str = Field("", max_length=2000)


@router.post("/spot-checks/{spot_check_id}/findings", response={200: SpotCheckItemOut, **ERRORS})
def record_finding(request, spot_check_id: int, payload: FindingIn):
    """The inspector's finding for one sampled branch."""
    user = actor(request)
    spot_check = permissions.access_spot_check(user, spot_check_id, Action.CHANGE)
    item = selectors.item_of(spot_check, branch_id=payload.branch_id)
    return services.record_finding(
        actor=user, item=item, result=payload.result, finding=payload.finding
    )


# Rectifications --------------------------------------------------------------------------


class RectificationIn(Schema):
    branch_id: int
    title: str = Field(min_length=1, max_length=200)
    requirement: str = Field(min_length=1, max_length=5000)
    deadline: date
    finding_id: int | None = Field(
        None, description="The spot-check item (sampled branch) it comes from, if any"
    )


class EventOut(Schema):
    action: str
    actor: UserName
    text: str
    deadline: date | None
    at: datetime
    attachments: list[AttachmentOut]


class RectificationOut(Schema):
    id: int
    branch_id: int
    branch_name: str = Field(alias="branch.name")
    opened_by_org_id: int
    title: str
    requirement: str
    deadline: date
    status: Literal["open", "answered", "accepted"]
    is_overdue: bool
    reopen_count: int
    finding_id: int | None
    opened_at: datetime
    answered_at: datetime | None
    accepted_at: datetime | None

    @staticmethod
    def resolve_is_overdue(r: Rectification) -> bool:
        return r.is_overdue_on(clock.today())


class RectificationDetailOut(RectificationOut):
    events: list[EventOut]

    @staticmethod
    def resolve_events(r: Rectification):
        return r.events.select_related("actor").prefetch_related("attachments")


@router.post("/rectifications", response={201: RectificationDetailOut, **ERRORS})
def open_rectification(request, payload: RectificationIn):
    """A superior of the branch opens a rectification with a deadline (from a spot-check
    finding or directly)."""
    user = actor(request)
    branch = permissions.access_org(user, payload.branch_id, Action.READ)
    finding = None
    if payload.finding_id is not None:
        finding = (
            SpotCheckItem.objects.select_related("spot_check", "spot_check__org")
            .filter(pk=payload.finding_id)
            .first()
        )
        if finding is None:
            raise permissions.not_found()
    rectification = services.open_rectification(
        actor=user,
        branch=branch,
        title=payload.title,
        requirement=payload.requirement,
        deadline=payload.deadline,
        finding=finding,
    )
    return Status(201, rectification)


class RectificationFilters(Schema):
    status: Literal["open", "answered", "accepted"] | None = None
    overdue: bool | None = None


@router.get("/orgs/{org_id}/rectifications", response={200: list[RectificationOut], **ERRORS})
@paginate(Page)
def list_rectifications(request, org_id: int, filters: Query[RectificationFilters]):
    """The rectifications of the branches under the organization, earliest deadline first;
    `overdue=true` lists the ones still open after their deadline."""
    user = actor(request)
    org = permissions.access_org(user, org_id, Action.READ)
    qs = selectors.rectifications_in(
        user, org, status=filters.status or "", overdue=filters.overdue
    )
    return qs


@router.get("/rectifications/{rectification_id}", response={200: RectificationDetailOut, **ERRORS})
def get_rectification(request, rectification_id: int):
    return permissions.access_rectification(actor(request), rectification_id)


@router.post(
    "/rectifications/{rectification_id}/answer", response={200: RectificationDetailOut, **ERRORS}
)
def answer_rectification(
    request,
    rectification_id: int,
    text: Form[str],
    files: File[list[UploadedFile]] = None,
):
    """The branch's answer (multipart: `text`, and `files`: images or PDFs)."""
    user = actor(request)
    r = permissions.access_rectification(user, rectification_id, Action.ANSWER)
    return services.answer_rectification(actor=user, rectification=r, text=text, files=files or [])


class AcceptIn(Schema):
    remark: str = Field("", max_length=5000)


@router.post(
    "/rectifications/{rectification_id}/accept", response={200: RectificationDetailOut, **ERRORS}
)
def accept_rectification(request, rectification_id: int, payload: AcceptIn):
    user = actor(request)
    r = permissions.access_rectification(user, rectification_id, Action.SUPERVISE)
    return services.accept_rectification(actor=user, rectification=r, remark=payload.remark)


class ReopenIn(Schema):
    reason: str = Field(min_length=1, max_length=5000)
    deadline: date | None = None


@router.post(
    "/rectifications/{rectification_id}/reopen", response={200: RectificationDetailOut, **ERRORS}
)
def reopen_rectification(request, rectification_id: int, payload: ReopenIn):
    user = actor(request)
    r = permissions.access_rectification(user, rectification_id, Action.SUPERVISE)
    return services.reopen_rectification(actor=user, rectification=r, **payload.dict())

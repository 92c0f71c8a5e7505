"""Spot checks and rectifications over the API (SPEC.md §5)."""

from datetime import date, datetime
from typing import Literal

from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate
from pydantic import Field

from dangjian import permissions
from dangjian.api.auth import actor
from dangjian.api.pagination import Mapped, Page
from dangjian.api.schemas import ErrorOut
from dangjian.permissions import Action
from dangjian.scoring import selectors as scoring
from dangjian.supervision import selectors, services
from dangjian.supervision.models import Rectification, SpotCheck, SpotCheckItem

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
    name: str
    position: int
    score: float
    activity_id: int | None
    result: str
    finding: str
    inspected_at: datetime | None

    @staticmethod
    def of(item: SpotCheckItem) -> "SpotCheckItemOut":
        return SpotCheckItemOut(
            branch_id=item.branch_id,
            name=item.branch.name,
            position=item.position,
            score=float(item.score),
            activity_id=item.activity_id,
            result=item.result,
            finding=item.finding,
            inspected_at=item.inspected_at,
        )


class SpotCheckOut(Schema):
    id: int
    org_id: int
    period: str
    seed: int
    weight_low_scores: bool
    population: int
    size: int
    created_at: datetime
    items: list[SpotCheckItemOut]

    @staticmethod
    def of(spot_check: SpotCheck) -> "SpotCheckOut":
        items = selectors.items_of(spot_check)
        return SpotCheckOut(
            id=spot_check.pk,
            org_id=spot_check.org_id,
            period=spot_check.period_label,
            seed=spot_check.seed,
            weight_low_scores=spot_check.weight_low_scores,
            population=spot_check.population,
            size=len(items),
            created_at=spot_check.created_at,
            items=[SpotCheckItemOut.of(i) for i in items],
        )


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
    return Status(201, SpotCheckOut.of(spot_check))


@router.get("/spot-checks/{spot_check_id}", response={200: SpotCheckOut, **ERRORS})
def get_spot_check(request, spot_check_id: int):
    spot_check = permissions.access_spot_check(actor(request), spot_check_id)
    return SpotCheckOut.of(spot_check)


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
    item = services.record_finding(
        actor=user, item=item, result=payload.result, finding=payload.finding
    )
    return SpotCheckItemOut.of(item)


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
    actor: str | None
    text: str
    deadline: date | None
    at: datetime
    attachments: list[dict]


class RectificationOut(Schema):
    id: int
    branch_id: int
    branch_name: str
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
    def of(r: Rectification) -> "RectificationOut":
        from dangjian.core import clock

        return RectificationOut(
            id=r.pk,
            branch_id=r.branch_id,
            branch_name=r.branch.name,
            opened_by_org_id=r.opened_by_org_id,
            title=r.title,
            requirement=r.requirement,
            deadline=r.deadline,
            status=r.status,
            is_overdue=r.is_overdue_on(clock.today()),
            reopen_count=r.reopen_count,
            finding_id=r.finding_id,
            opened_at=r.opened_at,
            answered_at=r.answered_at,
            accepted_at=r.accepted_at,
        )


class RectificationDetailOut(RectificationOut):
    events: list[EventOut]

    @staticmethod
    def detail(r: Rectification) -> "RectificationDetailOut":
        events = r.events.select_related("actor").prefetch_related("attachments")
        return RectificationDetailOut(
            **RectificationOut.of(r).model_dump(),
            events=[
                EventOut(
                    action=e.action,
                    actor=e.actor.name if e.actor else None,
                    text=e.text,
                    deadline=e.deadline,
                    at=e.at,
                    attachments=[
                        {
                            "id": a.pk,
                            "name": a.name,
                            "content_type": a.content_type,
                            "size": a.size,
                            "url": a.file.url,
                        }
                        for a in e.attachments.all()
                    ],
                )
                for e in events
            ],
        )


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
    return Status(201, RectificationDetailOut.detail(rectification))


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
    return Mapped(qs, RectificationOut.of)


@router.get("/rectifications/{rectification_id}", response={200: RectificationDetailOut, **ERRORS})
def get_rectification(request, rectification_id: int):
    r = permissions.access_rectification(actor(request), rectification_id)
    return RectificationDetailOut.detail(r)


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
    r = services.answer_rectification(actor=user, rectification=r, text=text, files=files or [])
    return RectificationDetailOut.detail(r)


class AcceptIn(Schema):
    remark: str = Field("", max_length=5000)


@router.post(
    "/rectifications/{rectification_id}/accept", response={200: RectificationDetailOut, **ERRORS}
)
def accept_rectification(request, rectification_id: int, payload: AcceptIn):
    user = actor(request)
    r = permissions.access_rectification(user, rectification_id, Action.SUPERVISE)
    r = services.accept_rectification(actor=user, rectification=r, remark=payload.remark)
    return RectificationDetailOut.detail(r)


class ReopenIn(Schema):
    reason: str = Field(min_length=1, max_length=5000)
    deadline: date | None = None


@router.post(
    "/rectifications/{rectification_id}/reopen", response={200: RectificationDetailOut, **ERRORS}
)
def reopen_rectification(request, rectification_id: int, payload: ReopenIn):
    user = actor(request)
    r = permissions.access_rectification(user, rectification_id, Action.SUPERVISE)
    r = services.reopen_rectification(
        actor=user, rectification=r, reason=payload.reason, deadline=payload.deadline
    )
    return RectificationDetailOut.detail(r)

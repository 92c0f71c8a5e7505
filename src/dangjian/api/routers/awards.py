"""Quarterly awards over the API (issue 21, point 6): rounds, golden-idea cases,
advanced-branch candidates, nominations within quotas, the city's selection, publication,
results and certificates."""

from datetime import date, datetime
from typing import Literal

from django.utils.translation import gettext_lazy
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate
from pydantic import Field

from dangjian import permissions
from dangjian.api.auth import actor
from dangjian.api.pagination import Page
from dangjian.api.schemas import ErrorOut
from dangjian.core.errors import DomainError
from dangjian.core.files import attachment_response, download_response
from dangjian.permissions import Action
from dangjian.scoring import selectors as scoring
from dangjian.supervision import award_certificates, award_selectors, awards
from dangjian.supervision.models import AwardKind, AwardRound, GoldenIdeaCase, Nomination

router = Router(tags=["awards"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 413: ErrorOut, 422: ErrorOut}

Kind = Literal["case", "branch", "member"]
Status_ = Literal["open", "nominating", "selecting", "published"]


class RoundIn(Schema):
    org_id: int = Field(description="The city (a root organization) that runs the round")
    quarter: str = Field(examples=["2026-Q4"])
    nomination_deadline: date
    case_quota: int = Field(ge=0, le=100, description="Cases each county may nominate")
    branch_quota: int = Field(
        ge=0, le=100, description="Advanced branches each county may nominate"
    )
    member_quota: int = Field(ge=0, le=100, description="Model members each county may nominate")
    candidate_percent: int = Field(
        30, ge=1, le=100, description="Advanced-branch candidates: this top share of a county"
    )


class RoundOut(Schema):
    id: int
    org_id: int
    quarter: str
    label: str
    status: Status_
    nomination_deadline: date
    case_quota: int
    branch_quota: int
    member_quota: int
    selection_size: int
    candidate_percent: int
    created_at: datetime
    published_at: datetime | None

    @staticmethod
    def resolve_quarter(r: AwardRound) -> str:
        return r.period.label

    @staticmethod
    def resolve_label(r: AwardRound) -> str:
        return str(r.label)


class RoundDetailOut(RoundOut):
    selected: dict[str, int]

    @staticmethod
    def resolve_selected(r: AwardRound) -> dict[str, int]:
        return award_selectors.selected_counts(r)


@router.get("/award-rounds", response={200: list[RoundOut], **ERRORS})
@paginate(Page)
def list_rounds(request):
    """The rounds the caller reads: the admins inside the city every round, its members the
    published ones; newest quarter first."""
    return award_selectors.rounds_in(actor(request))


@router.post("/award-rounds", response={201: RoundDetailOut, **ERRORS})
def open_round(request, payload: RoundIn):
    """The city opens a quarter's round (cases may be submitted from now on). The selection
    size is the server's `AWARD_SELECTION_SIZE`."""
    user = actor(request)
    org = permissions.access_org(user, payload.org_id, Action.READ)
    award_round = awards.open_award_round(
        actor=user,
        org=org,
        quarter=scoring.parse_period(payload.quarter),
        nomination_deadline=payload.nomination_deadline,
        case_quota=payload.case_quota,
        branch_quota=payload.branch_quota,
        member_quota=payload.member_quota,
        candidate_percent=payload.candidate_percent,
    )
    return Status(201, award_round)


@router.get("/award-rounds/{round_id}", response={200: RoundDetailOut, **ERRORS})
def get_round(request, round_id: int):
    return permissions.access_award_round(actor(request), round_id)


class AdvanceIn(Schema):
    to: Literal["nominating", "selecting", "published"]


@router.post("/award-rounds/{round_id}/advance", response={200: RoundDetailOut, **ERRORS})
def advance_round(request, round_id: int, payload: AdvanceIn):
    """The city moves the round one step on (`to` is the next step; `published` publishes)."""
    user = actor(request)
    award_round = permissions.access_award_round(user, round_id, Action.CHANGE)
    return awards.advance_award_round(actor=user, award_round=award_round, to=payload.to)


# Cases -------------------------------------------------------------------------------------


class PhotoOut(Schema):
    id: int
    name: str
    size: int


class CaseOut(Schema):
    id: int
    round_id: int
    branch_id: int
    branch_name: str = Field(alias="branch.name")
    title: str
    text: str
    activity_ids: list[int]
    photos: list[PhotoOut]
    submitted_at: datetime

    @staticmethod
    def resolve_activity_ids(case: GoldenIdeaCase) -> list[int]:
        return sorted(a.pk for a in case.activities.all())

    @staticmethod
    def resolve_photos(case: GoldenIdeaCase):
        return list(case.photos.all())


@router.get("/award-rounds/{round_id}/cases", response={200: list[CaseOut], **ERRORS})
@paginate(Page)
def list_cases(request, round_id: int):
    """The round's cases of the branches the caller administers (or their own branch's)."""
    user = actor(request)
    award_round = permissions.access_award_round(user, round_id)
    return award_selectors.cases_of(user, award_round)


@router.post("/award-rounds/{round_id}/cases", response={201: CaseOut, **ERRORS})
def submit_case(
    request,
    round_id: int,
    branch_id: Form[int],
    title: Form[str],
    text: Form[str],
    activity_ids: Form[list[int]] = None,
    photos: File[list[UploadedFile]] = None,
):
    """A branch submits a golden-idea case (multipart: `branch_id`, `title`, `text`,
    `activity_ids` of its own activities, `photos`: images)."""
    user = actor(request)
    award_round = permissions.access_award_round(user, round_id)
    branch = permissions.access_org(user, branch_id, Action.CHANGE)
    case = awards.submit_case(
        actor=user,
        award_round=award_round,
        branch=branch,
        title=title,
        text=text,
        activity_ids=activity_ids or [],
        photos=photos or [],
    )
    return Status(201, case)


@router.get("/award-case-photos/{photo_id}/download", response={200: None, **ERRORS})
def case_photo(request, photo_id: int):
    """A case's photo, for those who read the case."""
    return attachment_response(permissions.access_case_photo(actor(request), photo_id))


# Candidates and nominations ----------------------------------------------------------------


class CandidateOut(Schema):
    org_id: int
    name: str
    rank: int
    score: float
    branches: int
    has_overdue: bool
    is_candidate: bool


@router.get(
    "/award-rounds/{round_id}/counties/{county_id}/candidates",
    response={200: list[CandidateOut], **ERRORS},
)
def list_candidates(request, round_id: int, county_id: int, only: bool = True):
    """The county's branches ranked by their quarter score, with whether each is an
    advanced-branch candidate (top share, scored, no overdue rectification); `only=false`
    lists those that are not too."""
    user = actor(request)
    award_round = permissions.access_award_round(user, round_id)
    county = permissions.access_org(user, county_id, Action.SUPERVISE)
    rows = award_selectors.branch_candidates(award_round, county)
    return [r for r in rows if r.is_candidate or not only]


class NominationIn(Schema):
    kind: Kind
    case_id: int | None = Field(None, description="kind=case")
    branch_id: int | None = Field(None, description="kind=branch")
    member_id: int | None = Field(None, description="kind=member")
    reason: str = Field(min_length=1, max_length=1000)


class NominationOut(Schema):
    id: int
    round_id: int
    kind: Kind
    county_id: int
    county_name: str = Field(alias="county.name")
    branch_id: int
    branch_name: str = Field(alias="branch.name")
    case_id: int | None
    member_id: int | None
    subject: str = Field(alias="subject_name")
    reason: str
    evidence: dict
    nominated_at: datetime
    is_selected: bool
    selected_at: datetime | None


# What each kind of nomination names, as the refusal says it when it is missing.
_SUBJECTS = {
    "case_id": gettext_lazy("推荐金点子案例须选择案例"),
    "branch_id": gettext_lazy("推荐先进党支部须选择党支部"),
    "member_id": gettext_lazy("推荐实践标兵须选择党员"),
}


def _missing(field: str) -> DomainError:
    return DomainError("validation_error", str(_SUBJECTS[field]), field=field)


@router.post("/award-rounds/{round_id}/nominations", response={201: NominationOut, **ERRORS})
def nominate(request, round_id: int, payload: NominationIn):
    """A county nominates within its quota: a case (`case_id`), an advanced branch from
    the candidates (`branch_id`) or a model member (`member_id`, whose check-ins,
    volunteer hours and study minutes of the quarter are kept as `evidence`)."""
    user = actor(request)
    award_round = permissions.access_award_round(user, round_id)
    if payload.kind == AwardKind.CASE:
        if payload.case_id is None:
            raise _missing("case_id")
        case = permissions.access_case(user, payload.case_id)
        if case.round_id != award_round.pk:
            raise permissions.not_found()
        nomination = awards.nominate_case(actor=user, case=case, reason=payload.reason)
    elif payload.kind == AwardKind.BRANCH:
        if payload.branch_id is None:
            raise _missing("branch_id")
        branch = permissions.access_org(user, payload.branch_id)
        nomination = awards.nominate_branch(
            actor=user, award_round=award_round, branch=branch, reason=payload.reason
        )
    else:
        if payload.member_id is None:
            raise _missing("member_id")
        member = permissions.access_member(user, payload.member_id)
        nomination = awards.nominate_member(
            actor=user, award_round=award_round, member=member, reason=payload.reason
        )
    return Status(201, nomination)


class NominationFilters(Schema):
    kind: Kind | None = None


@router.get("/award-rounds/{round_id}/nominations", response={200: list[NominationOut], **ERRORS})
@paginate(Page)
def list_nominations(request, round_id: int, filters: Query[NominationFilters]):
    """The nominations the caller reads: their counties' (every one, for the city), their
    branches', and once published the selected ones."""
    user = actor(request)
    award_round = permissions.access_award_round(user, round_id)
    return award_selectors.nominations_of(user, award_round, kind=filters.kind or "")


@router.get(
    "/award-rounds/{round_id}/results", response={200: dict[str, list[NominationOut]], **ERRORS}
)
def results(request, round_id: int):
    """The published selection by kind (`case`, `branch`, `member`); empty lists before."""
    user = actor(request)
    award_round = permissions.access_award_round(user, round_id)
    return award_selectors.results_of(user, award_round)


@router.delete("/award-nominations/{nomination_id}", response={204: None, **ERRORS})
def withdraw(request, nomination_id: int):
    """The county takes a nomination back while nominating (its place is free again)."""
    user = actor(request)
    nomination = permissions.access_nomination(user, nomination_id, Action.CHANGE)
    awards.withdraw_nomination(actor=user, nomination=nomination)
    return Status(204, None)


class SelectionIn(Schema):
    selected: bool


@router.post(
    "/award-nominations/{nomination_id}/selection", response={200: NominationOut, **ERRORS}
)
def select(request, nomination_id: int, payload: SelectionIn):
    """The city selects a nomination, or takes the selection back, while selecting; at most
    the round's `selection_size` of each kind (`quota_exceeded`)."""
    user = actor(request)
    nomination = permissions.access_nomination(user, nomination_id, Action.REVIEW)
    return awards.select_nomination(actor=user, nomination=nomination, selected=payload.selected)


@router.get("/award-nominations/{nomination_id}/certificate.pdf", response={200: None, **ERRORS})
def certificate(request, nomination_id: int):
    """The certificate (荣誉证书) of a selected nomination of a published round."""
    user = actor(request)
    nomination: Nomination = permissions.access_nomination(user, nomination_id)
    issued = award_certificates.award_certificate(actor=user, nomination=nomination)
    return download_response(
        issued.pdf, filename=f"certificate-{nomination.pk}.pdf", content_type="application/pdf"
    )

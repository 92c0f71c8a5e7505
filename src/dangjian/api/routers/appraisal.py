"""The annual appraisal over the API (一年一考核, docs/api.md "Annual appraisal"): the rule's
versions, generating a year's appraisal, the counties' proposals within quota, the city's
changes with a reason, confirmation, the results as .xlsx, a branch's star rating."""

from datetime import datetime
from decimal import Decimal
from typing import Literal

from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from dangjian import permissions
from dangjian.api.auth import actor
from dangjian.api.pagination import Page
from dangjian.api.routers.jobs import ExportJobOut
from dangjian.api.schemas import ErrorOut
from dangjian.core.files import made_file
from dangjian.permissions import Action
from dangjian.supervision import appraisal as services
from dangjian.supervision import appraisal_selectors as selectors
from dangjian.supervision.models import Appraisal

router = Router(tags=["appraisal"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
GradeName = Literal["good", "fairly_good", "average", "poor"]


# The rule --------------------------------------------------------------------------------


class RuleIn(Schema):
    finding_deduction: Decimal = Field(ge=0, le=100, description="Points a finding of problems")
    overdue_deduction: Decimal = Field(ge=0, le=100, description="Points an overdue rectification")
    send_back_deduction: Decimal = Field(ge=0, le=100, description="Points a send-back")
    study_weight: Decimal = Field(Decimal(0), ge=0, le=100, description="Points at 100 % study")
    volunteer_weight: Decimal = Field(Decimal(0), ge=0, le=100)
    volunteer_hours_target: Decimal = Field(Decimal(10), gt=0, description="Hours a member")
    good_max_percent: int = Field(ge=0, le=100)
    fairly_good_max_percent: int = Field(ge=0, le=100)
    poor_min_percent: int = Field(ge=0, le=100)
    note: str = Field("", max_length=300)


class RuleOut(Schema):
    version: int
    finding_deduction: Decimal
    overdue_deduction: Decimal
    send_back_deduction: Decimal
    study_weight: Decimal
    volunteer_weight: Decimal
    volunteer_hours_target: Decimal
    good_max_percent: int
    fairly_good_max_percent: int
    poor_min_percent: int
    note: str = ""
    published_at: datetime | None = None
    is_current: bool = False


def _rule_out(terms, row, current: bool) -> RuleOut:
    return RuleOut(
        **terms.as_dict(),
        note=row.note if row else "",
        published_at=row.published_at if row else None,
        is_current=current,
    )


@router.get("/appraisal-rules", response={200: list[RuleOut], **ERRORS})
def list_rules(request):
    """Every version of the appraisal rule, newest (in force) first; version 1 is built in.
    For admins (403 otherwise), as on the console: the rule is the Party's, not a member's
    or a citizen's to read."""
    if not permissions.is_admin(actor(request)):
        raise permissions.forbidden()
    return [
        _rule_out(terms, row, i == 0) for i, (terms, row) in enumerate(selectors.rule_versions())
    ]


@router.post("/appraisal-rules", response={201: RuleOut, **ERRORS})
def publish_rule(request, payload: RuleIn):
    """A root admin publishes a new version; appraisals generated from then on use it."""
    row = services.publish_appraisal_rule(actor=actor(request), **payload.dict())
    return Status(201, _rule_out(row.terms(), row, True))


# Appraisals ------------------------------------------------------------------------------


class AppraisalIn(Schema):
    year: int


class CountyOut(Schema):
    county_id: int
    name: str
    branches: int
    submitted_at: datetime | None
    counts: dict[str, int]
    good_max: int
    fairly_good_max: int
    poor_min: int
    quota_problems: list[str]


class AppraisalOut(Schema):
    id: int
    org_id: int
    year: int
    rule_version: int
    terms: dict
    status: Literal["draft", "confirmed"]
    created_at: datetime
    confirmed_at: datetime | None


class AppraisalDetailOut(AppraisalOut):
    counties: list[CountyOut]


def _detail(user, appraisal: Appraisal) -> AppraisalDetailOut:
    counties = [
        CountyOut(
            county_id=p.county.pk,
            name=p.county.name,
            branches=p.part.branches,
            submitted_at=p.part.submitted_at,
            counts=p.counts,
            good_max=p.quotas.good_max,
            fairly_good_max=p.quotas.fairly_good_max,
            poor_min=p.quotas.poor_min,
            quota_problems=p.problems,
        )
        for p in selectors.counties_of(user, appraisal)
    ]
    return AppraisalDetailOut(
        id=appraisal.pk,
        org_id=appraisal.org_id,
        year=appraisal.year,
        rule_version=appraisal.rule_version,
        terms=appraisal.terms,
        status=appraisal.status,
        created_at=appraisal.created_at,
        confirmed_at=appraisal.confirmed_at,
        counties=counties,
    )


@router.post("/orgs/{org_id}/appraisals", response={201: AppraisalDetailOut, **ERRORS})
def generate(request, org_id: int, payload: AppraisalIn):
    """The city generates a year's appraisal with the rule in force: figures, scores, ranks
    in each county and the grades the system proposes within quota (409 `appraisal_exists`
    for a year already appraised)."""
    user = actor(request)
    org = permissions.access_org(user, org_id, Action.READ)
    appraisal = services.generate_appraisal(actor=user, org=org, year=payload.year)
    return Status(201, _detail(user, appraisal))


@router.get("/appraisals", response={200: list[AppraisalOut], **ERRORS})
def list_appraisals(request):
    """The appraisals of the city the caller administers in, newest year first."""
    return list(selectors.appraisals_for(actor(request)))


@router.get("/appraisals/{appraisal_id}", response={200: AppraisalDetailOut, **ERRORS})
def get_appraisal(request, appraisal_id: int):
    """The appraisal with the counties the caller reads: grades counted against quotas."""
    user = actor(request)
    return _detail(user, permissions.access_appraisal(user, appraisal_id))


class EntryOut(Schema):
    id: int
    branch_id: int
    branch_name: str = Field(alias="branch.name")
    county_id: int
    mean: Decimal
    findings: int
    overdue: int
    send_backs: int
    study_percent: Decimal | None
    volunteer_hours: Decimal | None
    members: int
    total: Decimal
    rank: int
    proposed_grade: GradeName
    county_grade: GradeName | Literal[""]
    city_grade: GradeName | Literal[""]
    city_reason: str
    final_grade: GradeName | Literal[""]
    grade: GradeName
    stars: int | None


class EntryFilters(Schema):
    county_id: int | None = None


@router.get("/appraisals/{appraisal_id}/entries", response={200: list[EntryOut], **ERRORS})
@paginate(Page)
def list_entries(request, appraisal_id: int, filters: Query[EntryFilters]):
    """The branches the caller administers, by county and rank."""
    user = actor(request)
    appraisal = permissions.access_appraisal(user, appraisal_id)
    county = None
    if filters.county_id is not None:
        county = permissions.access_appraisal_county(user, appraisal, filters.county_id).county
    return selectors.entries_of(user, appraisal, county=county)


class GradeIn(Schema):
    branch_id: int
    grade: GradeName


class ProposalIn(Schema):
    grades: list[GradeIn] = Field(max_length=10000)


@router.post(
    "/appraisals/{appraisal_id}/counties/{county_id}/proposal",
    response={200: AppraisalDetailOut, **ERRORS},
)
def propose(request, appraisal_id: int, county_id: int, payload: ProposalIn):
    """A county proposes (adjusts) its branches' grades and submits them to the city; the
    branches not named keep their grade. 409 `quota_exceeded` (a ceiling passed) or
    `quota_not_met` (too few 差), and nothing changes."""
    user = actor(request)
    appraisal = permissions.access_appraisal(user, appraisal_id)
    part = permissions.access_appraisal_county(user, appraisal, county_id, Action.CHANGE)
    services.propose_grades(
        actor=user, part=part, grades={g.branch_id: g.grade for g in payload.grades}
    )
    return _detail(user, appraisal)


class CityGradeIn(Schema):
    grade: GradeName
    reason: str = Field(max_length=1000, description="Required (422 `reason_required`)")


@router.post("/appraisal-entries/{entry_id}/city-grade", response={200: EntryOut, **ERRORS})
def change_grade(request, entry_id: int, payload: CityGradeIn):
    """The city changes a branch's grade with its reason."""
    user = actor(request)
    entry = permissions.access_appraisal_entry(user, entry_id, Action.REVIEW)
    return services.change_grade(
        actor=user, entry=entry, grade=payload.grade, reason=payload.reason
    )


@router.post("/appraisals/{appraisal_id}/confirm", response={200: AppraisalDetailOut, **ERRORS})
def confirm(request, appraisal_id: int):
    """The city confirms: final grades fixed, the appraisal archived and locked (409
    `already_confirmed` for any later write), star ratings follow."""
    user = actor(request)
    appraisal = permissions.access_appraisal(user, appraisal_id, Action.REVIEW)
    return _detail(user, services.confirm_appraisal(actor=user, appraisal=appraisal))


@router.get("/appraisals/{appraisal_id}/export.xlsx", response={200: None, **ERRORS})
def export(request, appraisal_id: int):
    """The results of the branches the caller reads, as .xlsx."""
    user = actor(request)
    appraisal = permissions.access_appraisal(user, appraisal_id)
    return made_file(*selectors.appraisal_xlsx(user, appraisal))


@router.post("/appraisals/{appraisal_id}/export-jobs", response={202: ExportJobOut, **ERRORS})
def export_job(request, appraisal_id: int):
    """The same workbook built in the background: a job to poll (GET /jobs/{id}), its file
    at GET /jobs/{id}/file once it has succeeded."""
    user = actor(request)
    appraisal = permissions.access_appraisal(user, appraisal_id)
    job = services.start_appraisal_export(actor=user, appraisal=appraisal)
    return Status(202, {"job_id": job.pk})


class StarOut(Schema):
    year: int
    grade: GradeName
    stars: int


@router.get("/orgs/{org_id}/star-rating", response={200: StarOut | None, **ERRORS})
def star_rating(request, org_id: int):
    """A branch's star rating (星级评定) from its latest confirmed appraisal; null before."""
    org = permissions.access_org(actor(request), org_id)
    return selectors.star_rating(org)

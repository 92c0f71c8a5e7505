from datetime import date, datetime

from ninja import File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate
from pydantic import Field, model_validator

from dangjian import permissions
from dangjian.api.auth import actor
from dangjian.api.pagination import Page
from dangjian.api.schemas import AttachmentOut, ErrorOut, UserName, coord_system_field
from dangjian.interaction import selectors as interaction_selectors
from dangjian.notifications import selectors as notification_selectors
from dangjian.notifications import services as notification_services
from dangjian.permissions import Action
from dangjian.registry.models import SECTOR_NAMES
from dangjian.themedays import campaigns, roster, schedule, selectors, services
from dangjian.themedays.models import Activity, ActivityEvent, Campaign

router = Router()
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 413: ErrorOut, 422: ErrorOut}


# Campaigns -------------------------------------------------------------------------------


class CampaignIn(Schema):
    org_id: int
    month: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", examples=["2026-12"])
    theme: str = Field(min_length=1, max_length=200)
    guidance: str = ""
    required_items: list[str] | None = Field(
        None, description="Defaults to the six required items of docs/product.md"
    )
    optional_items: list[str] | None = None
    holding_from: date
    holding_until: date
    sectors: list[str] | None = Field(None, description="Chinese sector names; empty = all")


class SupplementIn(Schema):
    org_id: int
    guidance: str = ""
    required_items: list[str] = []
    optional_items: list[str] = []


class SupplementOut(Schema):
    id: int
    org_id: int
    guidance: str
    required_items: list[str]


class CampaignOut(Schema):
    id: int
    org_id: int
    parent_id: int | None
    month: str = Field(alias="month_label")
    theme: str
    guidance: str
    required_items: list[str]
    optional_items: list[str]
    holding_from: date
    holding_until: date
    sectors: list[str]
    attachments: list[AttachmentOut]
    supplements: list[SupplementOut]
    distribution: dict

    @staticmethod
    def resolve_sectors(campaign: Campaign) -> list[str]:
        return [SECTOR_NAMES[s] for s in campaign.sectors]

    @staticmethod
    def resolve_distribution(campaign: Campaign) -> dict:
        return _distribution(campaign)


def _distribution(c: Campaign) -> dict:
    if c.distribution_requested_at is None:
        status = "not_distributed"
    elif c.distributed_at is not None and c.distributed_at >= c.distribution_requested_at:
        status = "done"
    else:
        status = "queued"
    return {
        "status": status,
        "branches": c.distributed_branches,
        "members_notified": c.notified_members,
        "distributed_at": c.distributed_at,
    }


@router.post("/campaigns", response={201: CampaignOut, **ERRORS}, tags=["theme days"])
def create_campaign(request, payload: CampaignIn):
    user = actor(request)
    org = permissions.access_org(user, payload.org_id, Action.CHANGE)
    fields = payload.dict(exclude={"org_id"})
    return Status(201, services.create_campaign(actor=user, org=org, **fields))


@router.get("/campaigns", response={200: list[CampaignOut], **ERRORS}, tags=["theme days"])
@paginate(Page)
def list_campaigns(request):
    """Campaigns addressed to the caller's scope, newest month first."""
    qs = (
        permissions.scoped_campaigns(actor(request))
        .filter(parent__isnull=True)
        .prefetch_related("attachments", "supplements")
        .order_by("-month", "-id")
    )
    return qs


@router.get("/campaigns/{campaign_id}", response={200: CampaignOut, **ERRORS}, tags=["theme days"])
def get_campaign(request, campaign_id: int):
    return permissions.access_campaign(actor(request), campaign_id)


@router.post(
    "/campaigns/{campaign_id}/supplements",
    response={201: CampaignOut, **ERRORS},
    tags=["theme days"],
)
def add_supplement(request, campaign_id: int, payload: SupplementIn):
    user = actor(request)
    parent = permissions.access_campaign(user, campaign_id)
    org = permissions.access_org(user, payload.org_id, Action.CHANGE)
    fields = payload.dict(exclude={"org_id"})
    return Status(201, services.add_supplement(actor=user, parent=parent, org=org, **fields))


@router.post(
    "/campaigns/{campaign_id}/attachments",
    response={201: AttachmentOut, **ERRORS},
    tags=["theme days"],
)
def add_attachment(request, campaign_id: int, file: File[UploadedFile]):
    user = actor(request)
    campaign = permissions.access_campaign(user, campaign_id, Action.CHANGE)
    attachment = services.add_campaign_attachment(
        actor=user, campaign=campaign, file=file, name=file.name
    )
    return Status(201, attachment)


class CampaignPatch(Schema):
    """Only the fields sent are changed; a supplement takes guidance and items only."""

    month: str | None = Field(None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$", examples=["2026-12"])
    theme: str | None = Field(None, max_length=200)
    guidance: str | None = None
    required_items: list[str] | None = None
    optional_items: list[str] | None = None
    holding_from: date | None = None
    holding_until: date | None = None
    sectors: list[str] | None = Field(None, description="Chinese sector names; empty = all")


@router.patch(
    "/campaigns/{campaign_id}", response={200: CampaignOut, **ERRORS}, tags=["theme days"]
)
def update_campaign(request, campaign_id: int, payload: CampaignPatch):
    """Change a campaign before it is distributed: 409 `campaign_already_distributed`
    afterwards."""
    user = actor(request)
    campaign = permissions.access_campaign(user, campaign_id, Action.CHANGE)
    changes = payload.dict(exclude_unset=True, exclude_none=True)
    return campaigns.update_campaign(actor=user, campaign=campaign, **changes)


@router.delete("/campaigns/{campaign_id}", response={204: None, **ERRORS}, tags=["theme days"])
def delete_campaign(request, campaign_id: int):
    """Delete a campaign before it is distributed (409 `campaign_already_distributed`),
    with its attachments; 409 `campaign_in_use` while a branch has a plan for it,
    `campaign_has_supplements` while a lower organization has supplemented it."""
    user = actor(request)
    campaign = permissions.access_campaign(user, campaign_id, Action.CHANGE)
    campaigns.delete_campaign(actor=user, campaign=campaign)
    return Status(204, None)


@router.delete(
    "/campaigns/{campaign_id}/attachments/{attachment_id}",
    response={204: None, **ERRORS},
    tags=["theme days"],
)
def remove_attachment(request, campaign_id: int, attachment_id: int):
    """Remove a file from a campaign before it is distributed (409
    `campaign_already_distributed` afterwards)."""
    user = actor(request)
    campaign = permissions.access_campaign(user, campaign_id, Action.CHANGE)
    attachment = selectors.campaign_attachment(campaign, attachment_id)
    campaigns.remove_campaign_attachment(actor=user, attachment=attachment)
    return Status(204, None)


class DistributionOut(Schema):
    status: str = Field(description="done, or queued while workers distribute")
    branches: int
    members_notified: int
    already_distributed: bool
    job_id: int = Field(description="its progress: GET /api/v1/jobs/{job_id}")


@router.post(
    "/campaigns/{campaign_id}/distribute",
    response={200: DistributionOut, 202: DistributionOut, **ERRORS},
    tags=["theme days"],
)
def distribute(request, campaign_id: int):
    """One click: planning tasks for every branch in scope, a notice for every active member.
    Idempotent. 200 with the counts when done; 202 while the background work runs."""
    user = actor(request)
    campaign = permissions.access_campaign(user, campaign_id, Action.CHANGE)
    result = services.request_distribution(actor=user, campaign=campaign)
    campaign.refresh_from_db()
    state = _distribution(campaign)
    body = DistributionOut(
        status=state["status"],
        branches=state["branches"],
        members_notified=state["members_notified"],
        already_distributed=result["already_distributed"],
        job_id=result["job"].pk,
    )
    return Status(200 if state["status"] == "done" else 202, body)


class ProgressOut(Schema):
    campaign_id: int
    org_id: int
    counts: dict[str, int]
    by_sector: dict[str, dict[str, int]]
    overdue: int
    branches: list[dict]
    by_county: list[dict] = Field(
        description="Per county: county_id (null: branches right under the city), name, "
        "branches, held, not_held, rate (percent held)"
    )


@router.get(
    "/campaigns/{campaign_id}/progress", response={200: ProgressOut, **ERRORS}, tags=["theme days"]
)
def progress(request, campaign_id: int, org_id: int | None = None):
    """Branches per stage (none, draft, submitted, approved, held, closed) under `org_id`
    (default: the campaign's organization), by sector, with the rows behind the counts."""
    user = actor(request)
    campaign = permissions.access_campaign(user, campaign_id)
    org = permissions.access_org(user, org_id or campaign.org_id, Action.CHANGE)
    if not campaign.org.path.startswith(org.path) and not org.path.startswith(campaign.org.path):
        raise permissions.not_found()
    result = selectors.campaign_progress(campaign, org)
    return ProgressOut(
        campaign_id=campaign.pk,
        org_id=org.pk,
        counts=result.counts,
        by_sector={SECTOR_NAMES.get(k, k): v for k, v in result.by_sector.items()},
        overdue=result.overdue,
        branches=[
            {
                "branch_id": r.branch_id,
                "name": r.branch_name,
                "sector": SECTOR_NAMES.get(r.sector, r.sector),
                "stage": r.stage,
                "activity_id": r.activity_id,
                "is_late_record": r.is_late_record,
                "overdue": r.overdue,
                "county": r.county,
                "town": r.town,
            }
            for r in result.rows
        ],
        by_county=[
            {
                "county_id": c.county_id,
                "name": c.name,
                "branches": c.branches,
                "held": c.held,
                "not_held": c.not_held,
                "rate": c.rate,
            }
            for c in selectors.county_progress(campaign, org)
        ],
    )


# Activities ------------------------------------------------------------------------------


class VenueIn(Schema):
    """The venue as the map it was picked on gives it (`coord_system`); stored in WGS-84."""

    address: str = Field(min_length=1, max_length=300)
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    coord_system: str = coord_system_field()
    radius_m: int = Field(300, ge=1)


class VenuePatch(Schema):
    """An edit's venue: the fields given replace the stored ones, the others stay. A
    position in gcj02 or bd09 gives both latitude and longitude."""

    address: str | None = Field(None, min_length=1, max_length=300)
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    coord_system: str | None = coord_system_field(None)
    radius_m: int | None = Field(None, ge=1)


def _check_schedule(body):
    """The dates and windows a body carries, by the service's rule (422 before anything)."""
    schedule.check_schedule_of(body)
    return body


class ActivityIn(Schema):
    branch_id: int
    campaign_id: int | None = None
    title: str = Field(min_length=1, max_length=200)
    starts_at: datetime
    ends_at: datetime
    venue: VenueIn
    agenda: list[str]
    optional_items: list[str] = []
    checkin_opens_before_min: int | None = Field(None, ge=0)
    checkin_closes_after_min: int | None = Field(None, ge=0)
    checkout_closes_after_min: int | None = Field(None, ge=0)

    _schedule = model_validator(mode="after")(_check_schedule)


class ActivityPatch(Schema):
    """Only the fields given (and not null) change; a `venue` may name some of its fields."""

    title: str | None = Field(None, min_length=1, max_length=200)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    venue: VenuePatch | None = None
    agenda: list[str] | None = None
    optional_items: list[str] | None = None
    checkin_opens_before_min: int | None = Field(None, ge=0)
    checkin_closes_after_min: int | None = Field(None, ge=0)
    checkout_closes_after_min: int | None = Field(None, ge=0)

    _schedule = model_validator(mode="after")(_check_schedule)


class ReasonIn(Schema):
    reason: str = Field(min_length=1, max_length=300)


class ActivityEventOut(Schema):
    action: str
    from_status: str
    to_status: str
    actor: UserName
    reason: str
    at: datetime


class ActivityOut(Schema):
    id: int
    branch_id: int
    branch_name: str = Field(alias="branch.name")
    campaign_id: int | None
    title: str
    status: str
    stage: str
    is_late_record: bool
    is_historical: bool = Field(
        description="Imported from a spreadsheet: held before the platform, never on time"
    )
    late_reason: str
    starts_at: datetime
    ends_at: datetime
    venue: dict
    agenda: list[str]
    optional_items: list[str]
    checkin_opens_at: datetime
    checkin_closes_at: datetime
    checkout_closes_at: datetime
    roster_size: int
    roster_frozen: bool
    cancel_reason: str
    history: list[ActivityEventOut]
    checkin_url: str | None = Field(None, description="Only for the branch's admins")
    like_count: int = 0
    comment_count: int = Field(0, description="Visible comments and replies")

    @staticmethod
    def resolve_stage(a: Activity) -> str:
        return selectors.stage_of(a)

    @staticmethod
    def resolve_venue(a: Activity) -> dict:
        return {
            "address": a.venue_address,
            "latitude": float(a.latitude),
            "longitude": float(a.longitude),
            "radius_m": a.radius_m,
        }

    @staticmethod
    def resolve_roster_size(a: Activity) -> int:
        return roster.roster_size(a)

    @staticmethod
    def resolve_roster_frozen(a: Activity) -> bool:
        return a.roster_frozen_at is not None

    @staticmethod
    def resolve_history(a: Activity) -> list[ActivityEvent]:
        return selectors.events_of(a)

    @staticmethod
    def resolve_checkin_url(a: Activity, context) -> str | None:
        user = actor(context["request"])
        if a.checkin_token and permissions.can(user, Action.CHANGE, a):
            return selectors.checkin_url(a)
        return None

    @staticmethod
    def resolve_like_count(a: Activity) -> int:
        return interaction_selectors.like_count(a)

    @staticmethod
    def resolve_comment_count(a: Activity) -> int:
        return interaction_selectors.comment_count(a)


VENUE_FIELDS = {
    "address": "venue_address",
    "latitude": "latitude",
    "longitude": "longitude",
    "coord_system": "coord_system",
    "radius_m": "radius_m",
}


def _plan_fields(data: dict) -> dict:
    """The service's fields of a body: the venue's spread out, nulls (unchanged) left out."""
    venue = data.pop("venue", None) or {}
    data = {name: value for name, value in data.items() if value is not None}
    data.update({VENUE_FIELDS[k]: v for k, v in venue.items() if v is not None})
    return data


@router.post("/activities", response={201: ActivityOut, **ERRORS}, tags=["theme days"])
def draft_activity(request, payload: ActivityIn):
    """Draft a plan. 422 `required_items_missing` (with `missing`) when the agenda does not
    cover every required item of the campaign and its supplements; 422 `validation_error`
    (with `field`) for an impossible schedule: a start outside 2000 to the fifth year ahead,
    an end not after it or more than the maximum duration later, windows out of range."""
    user = actor(request)
    data = _plan_fields(payload.dict())
    branch = permissions.access_org(user, data.pop("branch_id"), Action.CHANGE)
    campaign_id = data.pop("campaign_id", None)
    campaign = permissions.access_campaign(user, campaign_id) if campaign_id else None
    activity = services.draft_activity(actor=user, branch=branch, campaign=campaign, **data)
    return Status(201, activity)


@router.get("/activities/{activity_id}", response={200: ActivityOut, **ERRORS}, tags=["theme days"])
def get_activity(request, activity_id: int):
    return permissions.access_activity(actor(request), activity_id)


@router.patch(
    "/activities/{activity_id}", response={200: ActivityOut, **ERRORS}, tags=["theme days"]
)
def patch_activity(request, activity_id: int, payload: ActivityPatch):
    """Edit a plan before it starts; an approved plan goes back to review. A `venue` may
    give only the fields that change. 409 `start_passed` for a new start that has passed,
    unless the plan is a late record."""
    user = actor(request)
    activity = permissions.access_activity(user, activity_id, Action.CHANGE)
    changes = _plan_fields(payload.dict(exclude_unset=True))
    return services.update_activity(actor=user, activity=activity, **changes)


def _transition(request, activity_id: int, action: Action, fn, **kwargs):
    user = actor(request)
    activity = permissions.access_activity(user, activity_id, action)
    return fn(actor=user, activity=activity, **kwargs)


@router.post(
    "/activities/{activity_id}/submit", response={200: ActivityOut, **ERRORS}, tags=["theme days"]
)
def submit(request, activity_id: int):
    """409 `start_passed` once the start has passed: use /late-record instead."""
    return _transition(request, activity_id, Action.CHANGE, services.submit_activity)


@router.post(
    "/activities/{activity_id}/late-record",
    response={200: ActivityOut, **ERRORS},
    tags=["theme days"],
)
def late_record(request, activity_id: int, payload: ReasonIn):
    """补录: submit an activity after its start, with a reason; flagged for ever."""
    return _transition(
        request, activity_id, Action.CHANGE, services.submit_late_record, reason=payload.reason
    )


@router.post(
    "/activities/{activity_id}/approve", response={200: ActivityOut, **ERRORS}, tags=["theme days"]
)
def approve(request, activity_id: int):
    """Only an admin of a superior organization; 403 for the branch's own admins. 409
    `start_passed` once the start has passed, unless the plan is a late record (补录)."""
    return _transition(request, activity_id, Action.REVIEW, services.approve_activity)


@router.post(
    "/activities/{activity_id}/reject", response={200: ActivityOut, **ERRORS}, tags=["theme days"]
)
def reject(request, activity_id: int, payload: ReasonIn):
    return _transition(
        request, activity_id, Action.REVIEW, services.reject_activity, reason=payload.reason
    )


@router.post(
    "/activities/{activity_id}/cancel", response={200: ActivityOut, **ERRORS}, tags=["theme days"]
)
def cancel(request, activity_id: int, payload: ReasonIn):
    return _transition(
        request, activity_id, Action.CHANGE, services.cancel_activity, reason=payload.reason
    )


@router.post(
    "/activities/{activity_id}/checkin-token",
    response={200: ActivityOut, **ERRORS},
    tags=["theme days"],
)
def regenerate_token(request, activity_id: int):
    """A new check-in secret; QR posters printed before stop working."""
    return _transition(request, activity_id, Action.CHANGE, services.regenerate_checkin_token)


@router.get("/reviews", response={200: list[ActivityOut], **ERRORS}, tags=["theme days"])
@paginate(Page)
def review_queue(request):
    """Submitted plans waiting for the caller's review, oldest first."""
    queue = selectors.with_roster_size(selectors.review_queue(actor(request)))
    return interaction_selectors.with_counts(queue)


class BirthdayOut(Schema):
    member_id: int
    name: str
    join_date: date
    years: int


@router.get(
    "/orgs/{org_id}/birthdays", response={200: list[BirthdayOut], **ERRORS}, tags=["theme days"]
)
def political_birthdays(
    request, org_id: int, month: int = Query(..., ge=1, le=12), year: int | None = None
):
    """Members of the branch whose Party anniversary falls in the month."""
    from dangjian.core import clock

    user = actor(request)
    branch = permissions.access_org(user, org_id, Action.CHANGE)
    year = year or clock.today().year
    return [
        BirthdayOut(
            member_id=m.pk, name=m.name, join_date=m.join_date, years=year - m.join_date.year
        )
        for m in selectors.political_birthdays(branch, month)
    ]


# Notifications ---------------------------------------------------------------------------


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    link: str
    created_at: datetime
    read_at: datetime | None


@router.get(
    "/notifications", response={200: list[NotificationOut], **ERRORS}, tags=["notifications"]
)
@paginate(Page)
def inbox(request, unread: bool = False):
    """The caller's inbox, newest first; `?unread=true` for unread only (the number is at
    GET /notifications/unread-count)."""
    qs = notification_selectors.inbox(actor(request))
    if unread:
        qs = qs.filter(read_at__isnull=True)
    return qs


@router.get("/notifications/unread-count", response={200: dict, **ERRORS}, tags=["notifications"])
def unread_count(request):
    return {"unread": notification_selectors.unread_count(actor(request))}


@router.post(
    "/notifications/{notification_id}/read", response={204: None, **ERRORS}, tags=["notifications"]
)
def mark_read(request, notification_id: int):
    user = actor(request)
    notice = notification_selectors.access_notification(user, notification_id)
    notification_services.mark_read(user=user, notification=notice)
    return Status(204, None)


@router.post("/notifications/read-all", response={200: dict, **ERRORS}, tags=["notifications"])
def mark_all_read(request):
    return {"marked": notification_services.mark_all_read(user=actor(request))}

"""Claims, service and hours over the API (issue 20): a member claims a place on a
published order and releases it before the start, signs in and out at the place, and
reports the order done with evidence; the requester confirms and rates it; the community's
admins record times where signing was impossible and approve make-up entries; a member's
hours ledger, its reversal and the certificate of service."""

from datetime import date, datetime

from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate
from pydantic import Field

from dangjian import permissions
from dangjian.api.auth import actor
from dangjian.api.pagination import Page
from dangjian.api.schemas import ErrorOut, coord_system_field
from dangjian.core.files import made_file
from dangjian.permissions import Action
from dangjian.volunteering import certificates, claims, hours
from dangjian.volunteering.models import Claim, Order

router = Router(tags=["volunteer claims and hours"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class ClaimOut(Schema):
    id: int
    order_id: int
    member_id: int
    member_name: str = Field(alias="member.name")
    state: str = Field(description="claimed, signed_in, signed_out or released")
    claimed_at: datetime
    released_at: datetime | None
    signed_in_at: datetime | None
    signed_out_at: datetime | None
    sign_in_distance_m: int | None
    sign_out_distance_m: int | None
    hours: float | None = Field(description="Rounded signed (or recorded) time, in hours")
    is_recorded_by_admin: bool = Field(description="Times entered by an admin: flagged")
    recorded_reason: str
    is_makeup: bool = Field(description="Entered after the fact: needs a second admin")
    makeup_approved_at: datetime | None


class OrderStateOut(Schema):
    id: int
    state: str
    volunteers_needed: int
    claimed_count: int
    completed_at: datetime | None
    completion_note: str
    confirmed_at: datetime | None
    rating: int | None
    rating_comment: str
    is_closed_automatically: bool


class PositionIn(Schema):
    latitude: float
    longitude: float
    accuracy_m: float = Field(ge=0, description="The phone's reported accuracy, metres")
    coord_system: str = coord_system_field()


class TimesIn(Schema):
    signed_in_at: datetime
    signed_out_at: datetime
    reason: str = Field(max_length=claims.REASON_MAX_CHARS)


class RatingIn(Schema):
    rating: int = Field(ge=1, le=5)
    comment: str = Field("", max_length=claims.COMMENT_MAX_CHARS)


class ReasonIn(Schema):
    reason: str = Field(max_length=300)


def _claim(request, claim_id: int, action: Action = Action.TAKE_PART) -> Claim:
    return permissions.access_claim(actor(request), claim_id, action)


# Claims -------------------------------------------------------------------------------------


@router.post("/volunteer/orders/{order_id}/claims", response={201: ClaimOut, **ERRORS})
def claim_order(request, order_id: int):
    """Take a place (党员接单). 409 `order_full` when every place is taken, `already_claimed`,
    `own_order` (the requester's own), `not_claimable` (not published)."""
    user = actor(request)
    order = permissions.access_order(user, order_id)
    return Status(201, claims.claim_order(actor=user, order=order))


@router.get("/volunteer/claims", response={200: list[ClaimOut], **ERRORS})
@paginate(Page)
def my_claims(request):
    """The caller's own claims, newest first."""
    member = permissions.own_member(actor(request))
    if member is None:
        return Claim.objects.none()
    return Claim.objects.filter(member=member).select_related("member").order_by("-claimed_at")


@router.delete("/volunteer/claims/{claim_id}", response={200: ClaimOut, **ERRORS})
def release_claim(request, claim_id: int):
    """Give the place back before the start (409 `start_passed` after it); the requester
    and the community's admins are told."""
    return claims.release_claim(actor=actor(request), claim=_claim(request, claim_id))


@router.post("/volunteer/claims/{claim_id}/sign-in", response={200: ClaimOut, **ERRORS})
def sign_in(request, claim_id: int, payload: PositionIn):
    """Sign in at the order's place: within its radius (422 `out_of_range`), the phone's
    accuracy within it (`imprecise_location`). Refusals are recorded with their reason."""
    return claims.sign_in(actor=actor(request), claim=_claim(request, claim_id), **payload.dict())


@router.post("/volunteer/claims/{claim_id}/sign-out", response={200: ClaimOut, **ERRORS})
def sign_out(request, claim_id: int, payload: PositionIn):
    """Sign out at the place; the signed time, rounded, becomes the claim's hours (422
    `implausible_duration` past the longest plausible service)."""
    return claims.sign_out(actor=actor(request), claim=_claim(request, claim_id), **payload.dict())


@router.post("/volunteer/claims/{claim_id}/record-times", response={200: ClaimOut, **ERRORS})
def record_times(request, claim_id: int, payload: TimesIn):
    """An admin over the order's community enters the times where signing at the place was
    impossible (flagged, reason required). A day after the service it is a make-up entry,
    credited once another admin approves it."""
    user = actor(request)
    claim = _claim(request, claim_id, Action.CHANGE)
    return claims.record_service_times(actor=user, claim=claim, **payload.dict())


@router.post("/volunteer/claims/{claim_id}/remove", response={200: ClaimOut, **ERRORS})
def remove_claim(request, claim_id: int, payload: ReasonIn):
    """An admin over the order's community takes back the place of a volunteer who never
    signed in (no-show), with a reason (409 `invalid_status` once signed in); the
    volunteer, the requester and the community's admins are told."""
    user = actor(request)
    claim = _claim(request, claim_id, Action.CHANGE)
    return claims.remove_claim(actor=user, claim=claim, reason=payload.reason)


@router.post("/volunteer/claims/{claim_id}/approve-makeup", response={200: ClaimOut, **ERRORS})
def approve_makeup(request, claim_id: int):
    """A second admin approves a make-up entry (403 `self_approval` for its recorder and
    its volunteer)."""
    user = actor(request)
    return claims.approve_makeup(actor=user, claim=_claim(request, claim_id, Action.CHANGE))


# Completion and rating ----------------------------------------------------------------------


@router.post("/volunteer/orders/{order_id}/complete", response={200: OrderStateOut, **ERRORS})
def complete_order(
    request,
    order_id: int,
    note: Form[str] = "",
    photos: File[list[UploadedFile]] = None,
):
    """A volunteer of the order reports it done (multipart: `note` and/or `photos`); every
    live claim must be signed out (409 `not_signed_out`); the hours are credited."""
    user = actor(request)
    order = permissions.access_order(user, order_id)
    return claims.complete_order(actor=user, order=order, note=note, photos=photos or [])


@router.post("/volunteer/orders/{order_id}/confirm", response={200: OrderStateOut, **ERRORS})
def confirm_order(request, order_id: int, payload: RatingIn):
    """The requester confirms and rates the service 1–5 once (403 `not_the_requester`, 409
    `rated_already`)."""
    user = actor(request)
    order: Order = permissions.access_order(user, order_id)
    return claims.confirm_order(
        actor=user, order=order, rating=payload.rating, comment=payload.comment
    )


# Hours --------------------------------------------------------------------------------------


class HoursEntryOut(Schema):
    id: int
    kind: str = Field(description="service (a credit) or reversal")
    hours: float
    served_on: date
    description: str
    org_id: int
    org_name: str = Field(alias="org.name")
    claim_id: int | None
    reverses_id: int | None
    reason: str
    is_flagged: bool = Field(description="Admin-recorded or make-up hours")
    recorded_at: datetime


class VolunteerHoursOut(Schema):
    member_id: int
    name: str
    total_hours: float = Field(description="Credits less reversals")
    flagged_hours: float
    services: int
    entries: list[HoursEntryOut] = Field(description="The latest entries, newest first")


class HoursQuery(Schema):
    limit: int = Field(20, ge=1, le=200)


@router.get("/members/{member_id}/volunteer-hours", response={200: VolunteerHoursOut, **ERRORS})
def volunteer_hours(request, member_id: int, query: Query[HoursQuery]):
    """A member's volunteer hours: for the member and their admins (their branch's, the
    community they report to, the organizations that recorded them)."""
    member = permissions.access_member_hours(actor(request), member_id)
    totals = hours.totals_of(member)
    return {
        "member_id": member.pk,
        "name": member.name,
        "total_hours": totals.hours,
        "flagged_hours": totals.flagged_hours,
        "services": totals.entries,
        "entries": list(hours.entries_of(member)[: query.limit]),
    }


@router.post("/volunteer/hours/{entry_id}/reverse", response={201: HoursEntryOut, **ERRORS})
def reverse_entry(request, entry_id: int, payload: ReasonIn):
    """Take a credit back with a reversing entry and a reason (admins over the recording
    organization; audited)."""
    user = actor(request)
    entry = permissions.access_hours_entry(user, entry_id)
    return Status(201, hours.reverse_hours_entry(actor=user, entry=entry, reason=payload.reason))


class CertificateQuery(Schema):
    org_id: int = Field(description="The organization that recorded the hours")


@router.get("/members/{member_id}/volunteer-certificate", response={200: None, **ERRORS})
def volunteer_certificate(request, member_id: int, query: Query[CertificateQuery]):
    """The certificate of volunteer service (PDF) of the hours `org_id` recorded, issued by
    an admin over that organization alone (403 otherwise; `not_recording_org` for one that
    recorded none); each issue is audited and numbered."""
    user = actor(request)
    member = permissions.access_member_hours(user, member_id)
    org = permissions.access_org(user, query.org_id)
    cert = certificates.issue_certificate(actor=user, member=member, org=org)
    return made_file(cert.pdf, cert.filename, "application/pdf")

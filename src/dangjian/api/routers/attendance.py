"""Attendance over the API (docs/product.md, "Checking in and out"): check-in and check-out from
a phone, the roster with each member's status, the QR code and poster, leave requests and their
decisions.

Refusals answer `{"code", "message", ...details}` with a stable code: `invalid_token`,
`not_approved`, `cancelled`, `not_on_roster`, `too_early` (with `opens_at`), `too_late`
(with `closed_at`), `out_of_range` (with `distance_m`, `radius_m`), `imprecise_location`
(with `accuracy_m`, `radius_m`), and for check-out also `not_checked_in`,
`reflection_required`."""

import json
from datetime import datetime

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.pagination import paginate
from pydantic import BaseModel, Field

from dangjian import permissions
from dangjian.api.auth import BearerToken, actor
from dangjian.api.pagination import Page
from dangjian.api.schemas import ErrorOut, coord_system_field
from dangjian.attendance import checkin, posters, selectors, services
from dangjian.attendance.models import AttendanceStatus
from dangjian.core import clock
from dangjian.core.errors import DomainError
from dangjian.core.files import download_response
from dangjian.permissions import Action
from dangjian.themedays import selectors as themedays_selectors
from dangjian.themedays.models import Activity, ActivityStatus

router = Router(tags=["attendance"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _coordinate(low: float, high: float, description: str):
    # Strict: a number, not a string that looks like one; never NaN or infinity.
    return Field(ge=low, le=high, strict=True, allow_inf_nan=False, description=description)


# The check-in's body is a plain pydantic model, not a ninja Schema: a Schema runs a
# validator that wraps the input for reading Django objects, which a JSON body never needs
# and which cost the city's busiest endpoint a tenth of its handling.
class CheckInIn(BaseModel):
    token: str = Field(min_length=1, max_length=64, description="The token of the QR address")
    latitude: float = _coordinate(-90, 90, "In `coord_system`, WGS-84 unless it says otherwise")
    longitude: float = _coordinate(-180, 180, "In `coord_system`")
    coord_system: str = coord_system_field()
    accuracy_m: float = Field(
        ge=0, strict=True, allow_inf_nan=False, description="The reported accuracy in metres"
    )
    code: str = Field("", max_length=32, description="Rotating-QR mode: the `c` of the address")
    device_id: str = Field("", max_length=64, description="A random id the phone keeps")
    client_time: str | None = Field(None, max_length=40, description="Logged, never trusted")


class CheckOutIn(CheckInIn):
    reflection: str = Field("", max_length=2000, description="Posted as the member's comment")


class CheckOut(BaseModel):
    status: str
    checked_in_at: datetime | None
    checked_out_at: datetime | None = None
    distance_m: int | None = None


def _client(request, payload: CheckInIn) -> checkin.ClientInfo:
    return checkin.ClientInfo.from_request(
        request, device_id=payload.device_id, code=payload.code, client_time=payload.client_time
    )


@router.post(
    "/attendance/check-in",
    response={200: CheckOut, 201: CheckOut, **ERRORS},
    auth=BearerToken(key_only=True),
)
def check_in(request, payload: CheckInIn):
    """Check in at the venue. 201 when recorded; 200 with the same record when the member
    had checked in already (nothing changes)."""
    outcome = checkin.check_in(
        actor=actor(request),
        token=payload.token,
        latitude=payload.latitude,
        longitude=payload.longitude,
        accuracy_m=payload.accuracy_m,
        coord_system=payload.coord_system,
        client=_client(request, payload),
    )
    return _answer(outcome, outcome.record.checkin_distance_m)


@router.post(
    "/attendance/check-out",
    response={200: CheckOut, 201: CheckOut, **ERRORS},
    auth=BearerToken(key_only=True),
)
def check_out(request, payload: CheckOutIn):
    """Check out at the venue after the end, with a reflection. 201 when recorded; 200 with
    the same record when the member had checked out already (nothing changes)."""
    outcome = checkin.check_out(
        actor=actor(request),
        token=payload.token,
        latitude=payload.latitude,
        longitude=payload.longitude,
        accuracy_m=payload.accuracy_m,
        reflection=payload.reflection,
        coord_system=payload.coord_system,
        client=_client(request, payload),
    )
    return _answer(outcome, outcome.record.checkout_distance_m)


def _answer(outcome: checkin.Outcome, distance_m: int | None) -> HttpResponse:
    # `CheckOut`, written as ninja writes every answer (Django's JSON encoder: milliseconds,
    # "Z"): returned as a response, it skips ninja's second validation of what the code just
    # built (a tenth of the busiest endpoint's handling); the times formatted first, the
    # rest is json's own C encoder, which a custom encoder class would bypass.
    r = outcome.record
    body = {
        "status": r.status,
        "checked_in_at": _json_time(r.checked_in_at),
        "checked_out_at": _json_time(r.checked_out_at),
        "distance_m": distance_m,
    }
    return HttpResponse(
        json.dumps(body), content_type="application/json", status=201 if outcome.created else 200
    )


_JSON = DjangoJSONEncoder()


def _json_time(at: datetime | None) -> str | None:
    return None if at is None else _JSON.default(at)


class AttendanceRowOut(Schema):
    member_id: int
    name: str
    flowing: bool = Field(alias="is_flowing")
    status: str = Field(description=", ".join(AttendanceStatus.values))
    checked_in_at: datetime | None
    checked_out_at: datetime | None
    corrected: bool = Field(
        alias="is_corrected", description="Set by a manual correction approved by a superior"
    )
    device_shared: bool = Field(
        alias="is_device_shared", description="The same phone checked in several members"
    )


@router.get(
    "/activities/{activity_id}/attendance",
    response={200: list[AttendanceRowOut], **ERRORS},
)
@paginate(Page)
def attendance(request, activity_id: int, status: str | None = None):
    """The roster (frozen at the start) with each member's status; `?status=` filters.
    For the admins of the branch and above."""
    activity = permissions.access_activity(actor(request), activity_id, Action.CHANGE)
    return selectors.attendance_rows(activity, status=status)


def _poster_activity(request, activity_id: int) -> tuple[Activity, str]:
    activity = permissions.access_activity(actor(request), activity_id, Action.CHANGE)
    url = themedays_selectors.checkin_url(activity)
    if activity.status != ActivityStatus.APPROVED or url is None:
        raise DomainError("not_approved", _("活动尚未通过审核，没有签到二维码。"))
    return activity, url


@router.get("/activities/{activity_id}/qr.png", response={200: None, **ERRORS})
def qr_png(request, activity_id: int):
    """The check-in QR code (PNG). It encodes the check-in address with the secret token;
    regenerating the token (POST /activities/{id}/checkin-token) invalidates it."""
    _activity, url = _poster_activity(request, activity_id)
    response = HttpResponse(posters.qr_png(url), content_type="image/png")
    response["Cache-Control"] = "private, no-store"
    return response


@router.get("/activities/{activity_id}/poster.pdf", response={200: None, **ERRORS})
def poster_pdf(request, activity_id: int):
    """The printable A4 poster: title, branch, time, venue, QR code, instructions."""
    activity, url = _poster_activity(request, activity_id)
    return download_response(
        posters.poster_pdf(activity, url, clock.now()),
        filename=f"poster-{activity.pk}.pdf",
        content_type="application/pdf",
    )


class LeaveIn(Schema):
    reason: str = Field(min_length=1, max_length=300)


class NoteIn(Schema):
    reason: str = Field("", max_length=300)


class LeaveOut(Schema):
    id: int
    activity_id: int
    member_id: int
    name: str = Field(alias="member.name")
    reason: str
    status: str = Field(description="pending, approved or refused")
    requested_at: datetime
    decided_at: datetime | None
    decision_note: str


@router.post("/activities/{activity_id}/leave", response={201: LeaveOut, **ERRORS})
def request_leave(request, activity_id: int, payload: LeaveIn):
    """A roster member asks for leave, before the start. 409 `leave_exists` for a second
    request while one is pending or approved; 409 `start_passed` after the start."""
    user = actor(request)
    activity = permissions.access_activity(user, activity_id)
    leave = services.request_leave(actor=user, activity=activity, reason=payload.reason)
    return Status(201, leave)


@router.post("/leaves/{leave_id}/approve", response={200: LeaveOut, **ERRORS})
def approve_leave(request, leave_id: int):
    """An admin of the branch approves, before the start: the member shows as on_leave."""
    user = actor(request)
    leave = permissions.access_leave(user, leave_id, Action.CHANGE)
    return services.approve_leave(actor=user, leave=leave)


@router.post("/leaves/{leave_id}/refuse", response={200: LeaveOut, **ERRORS})
def refuse_leave(request, leave_id: int, payload: NoteIn | None = None):
    user = actor(request)
    leave = permissions.access_leave(user, leave_id, Action.CHANGE)
    note = payload.reason if payload is not None else ""
    return services.refuse_leave(actor=user, leave=leave, note=note)


class CorrectionIn(Schema):
    member_id: int
    to_status: str = Field(description=", ".join(s for s in AttendanceStatus.values))
    reason: str = Field(max_length=300)


class CorrectionOut(Schema):
    id: int
    activity_id: int
    member_id: int
    name: str = Field(alias="member.name")
    from_status: str = Field(description="The member's status when it was proposed")
    to_status: str
    reason: str
    status: str = Field(description="pending, approved or refused")
    proposed_at: datetime
    decided_at: datetime | None
    decision_note: str


@router.get("/activities/{activity_id}/corrections", response={200: list[CorrectionOut], **ERRORS})
def corrections(request, activity_id: int):
    """The activity's corrections, newest first, for the admins of the branch and above."""
    activity = permissions.access_activity(actor(request), activity_id, Action.CHANGE)
    return selectors.corrections_of(activity)


@router.post("/activities/{activity_id}/corrections", response={201: CorrectionOut, **ERRORS})
def propose_correction(request, activity_id: int, payload: CorrectionIn):
    """An admin of the branch proposes a roster member's status, with a reason, after the
    start; it takes effect when an admin above the branch approves. 403 `not_on_roster`,
    409 `not_started` / `correction_exists`, 422 `no_change` / `reason_required`."""
    user = actor(request)
    activity = permissions.access_activity(user, activity_id, Action.CHANGE)
    member = selectors.roster_member(activity, payload.member_id)
    if member is None:
        raise DomainError("not_on_roster", _("该党员不在本次活动的参加人员名单中。"))
    correction = services.propose_correction(
        actor=user,
        activity=activity,
        member=member,
        to_status=payload.to_status,
        reason=payload.reason,
    )
    return Status(201, correction)


@router.post("/corrections/{correction_id}/approve", response={200: CorrectionOut, **ERRORS})
def approve_correction(request, correction_id: int):
    """An admin of an organization above the branch approves: the member's record takes the
    status, flagged as corrected. 403 `forbidden` for the branch's own admins, 403
    `self_approval` for the one who proposed it."""
    user = actor(request)
    correction = permissions.access_correction(user, correction_id, Action.REVIEW)
    return services.approve_correction(actor=user, correction=correction)


@router.post("/corrections/{correction_id}/refuse", response={200: CorrectionOut, **ERRORS})
def refuse_correction(request, correction_id: int, payload: NoteIn | None = None):
    """The same admins refuse, with a reason (422 `reason_required` without one)."""
    user = actor(request)
    correction = permissions.access_correction(user, correction_id, Action.REVIEW)
    note = payload.reason if payload is not None else ""
    return services.refuse_correction(actor=user, correction=correction, note=note)

"""Volunteer orders over the API (issue 20): a citizen submits an order and adds photos of
the need; the community's admins publish, decline or cancel it; whoever may read it lists
and reads it with its history. The decline reason is answered to the requester and the
admins over the community only.

Photos are uploaded one a request to the order (`POST /volunteer/orders/{id}/photos`,
multipart `file`), after the order is created from a JSON body, as activity photos are:
each upload is refused or kept on its own, and the order's body stays a typed JSON
schema."""

from datetime import datetime
from typing import Literal

from django.urls import reverse
from ninja import File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate
from pydantic import Field

from dangjian import permissions
from dangjian.api.auth import actor
from dangjian.api.files import image_upload
from dangjian.api.pagination import Page
from dangjian.api.schemas import ErrorOut, UserName, coord_system_field
from dangjian.permissions import Action
from dangjian.volunteering import orders as services
from dangjian.volunteering import selectors
from dangjian.volunteering.models import Order, OrderPhoto, OrderState

router = Router(tags=["volunteer orders"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}

State = Literal[tuple(OrderState.values)]


class OrderIn(Schema):
    category_id: int
    description: str = Field(max_length=services.DESCRIPTION_MAX_CHARS)
    address: str = Field(
        "", max_length=services.ADDRESS_MAX_CHARS, description="Empty: the citizen's address"
    )
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    coord_system: str = coord_system_field()
    wanted_from: datetime
    wanted_until: datetime


class PublishIn(Schema):
    volunteers_needed: int = Field(ge=1, le=50)
    skills: list[str] = Field(default_factory=list, max_length=services.MAX_SKILLS)
    note: str = Field("", max_length=services.REASON_MAX_CHARS)


class ReasonIn(Schema):
    reason: str = Field(max_length=services.REASON_MAX_CHARS)


class OrderPhotoOut(Schema):
    id: int
    kind: str = Field(description="request (the citizen's) or evidence (the volunteer's)")
    url: str = Field(description="The full-size image; scope-checked, session or bearer")
    thumbnail_url: str
    width: int
    height: int
    created_at: datetime

    @staticmethod
    def resolve_url(photo: OrderPhoto) -> str:
        return reverse("portal:order_photo", args=[photo.pk, "full"])

    @staticmethod
    def resolve_thumbnail_url(photo: OrderPhoto) -> str:
        return reverse("portal:order_photo", args=[photo.pk, "thumb"])


class OrderEventOut(Schema):
    from_state: str
    to_state: str
    actor: UserName = Field(description="Null: a scheduled job (escalation, expiry)")
    note: str
    at: datetime


class OrderOut(Schema):
    id: int
    state: str
    category_id: int
    category: str = Field(alias="category.name")
    community_id: int
    community: str = Field(alias="community.name")
    reach_id: int = Field(
        description="Whose members see it: the community, or after "
        "escalation the town or street, then the county"
    )
    reach: str = Field(alias="reach.name")
    escalation_level: int
    description: str
    address: str
    latitude: float | None = Field(description="WGS-84")
    longitude: float | None
    wanted_from: datetime
    wanted_until: datetime
    volunteers_needed: int
    claimed_count: int
    skills: list[str]
    is_overdue: bool
    created_at: datetime
    published_at: datetime | None


class OrderDetailOut(OrderOut):
    decline_reason: str = Field(
        alias="shown.decline_reason",
        description="Why it was declined: to the requester and the admins over the "
        "community only, empty for everyone else",
    )
    cancel_reason: str
    events: list[OrderEventOut] = Field(alias="shown.events")
    photos: list[OrderPhotoOut] = Field(alias="shown.photos")


def _detail(user, order: Order) -> Order:
    """The order with what this user is shown of it (selectors.detail) for the schema."""
    order.shown = selectors.detail(user, order)
    return order


class OrderFilters(Schema):
    state: State | None = None
    org_id: int | None = Field(None, description="Orders of the communities in its subtree")
    category_id: int | None = None


@router.get("/volunteer/orders", response={200: list[OrderOut], **ERRORS})
@paginate(Page)
def list_orders(request, filters: Query[OrderFilters]):
    """The orders the caller may read, newest first: a citizen's own, the published ones
    that reach a member, every order of the communities an admin administers."""
    return selectors.orders(
        actor(request),
        state=filters.state,
        org_id=filters.org_id,
        category_id=filters.category_id,
    )


@router.post("/volunteer/orders", response={201: OrderDetailOut, **ERRORS})
def submit_order(request, payload: OrderIn):
    """A citizen orders a service from their community's menu (403 `not_a_citizen` for
    anyone else; 422 `not_on_menu`, `invalid_window`, `invalid_coord_system`). Photos
    follow, one a request, to `/volunteer/orders/{id}/photos`."""
    user = actor(request)
    category = permissions.access_service_category(user, payload.category_id)
    order = services.submit_order(
        actor=user,
        category=category,
        description=payload.description,
        address=payload.address,
        latitude=payload.latitude,
        longitude=payload.longitude,
        coord_system=payload.coord_system,
        wanted_from=payload.wanted_from,
        wanted_until=payload.wanted_until,
    )
    return Status(201, _detail(user, permissions.access_order(user, order.pk)))


@router.post("/volunteer/orders/{order_id}/photos", response={201: OrderPhotoOut, **ERRORS})
def add_photo(request, order_id: int, file: File[UploadedFile]):
    """Multipart `file`, a photo of the need, by the requester while the order awaits
    review: JPEG, PNG, WebP or HEIC, re-encoded without its metadata. 422
    `unsupported_file`, `file_too_large`, `image_too_large`, `too_many_photos`; 409
    `not_submitted` once reviewed; 403 `not_the_requester`."""
    user = actor(request)
    order = permissions.access_order(user, order_id)
    return image_upload(
        201, lambda: services.add_request_photos(actor=user, order=order, photos=[file])[0]
    )


@router.get("/volunteer/orders/{order_id}", response={200: OrderDetailOut, **ERRORS})
def get_order(request, order_id: int):
    """One order with its history and photos. Missing and out of scope answer the same
    404."""
    user = actor(request)
    return _detail(user, permissions.access_order(user, order_id))


@router.post("/volunteer/orders/{order_id}/publish", response={200: OrderDetailOut, **ERRORS})
def publish_order(request, order_id: int, payload: PublishIn):
    """The admins over the order's community publish it to the members reporting to the
    community. 409 `not_submitted` once reviewed, `window_passed` after its window."""
    user = actor(request)
    order = permissions.access_order(user, order_id, Action.REVIEW)
    order = services.publish_order(
        actor=user,
        order=order,
        volunteers_needed=payload.volunteers_needed,
        skills=payload.skills,
        note=payload.note,
    )
    return _detail(user, order)


@router.post("/volunteer/orders/{order_id}/decline", response={200: OrderDetailOut, **ERRORS})
def decline_order(request, order_id: int, payload: ReasonIn):
    """Decline with a reason (422 `reason_required`) that only the requester and the
    admins see. 409 `not_submitted` once reviewed."""
    user = actor(request)
    order = permissions.access_order(user, order_id, Action.REVIEW)
    return _detail(user, services.decline_order(actor=user, order=order, reason=payload.reason))


@router.post("/volunteer/orders/{order_id}/cancel", response={200: OrderDetailOut, **ERRORS})
def cancel_order(request, order_id: int, payload: ReasonIn):
    """By the requester before the service starts, or by an admin over the community
    (403 `not_the_requester` for anyone else who may read it; 409 `not_cancellable` once
    the service started or the order ended)."""
    user = actor(request)
    order = permissions.access_order(user, order_id)
    return _detail(user, services.cancel_order(actor=user, order=order, reason=payload.reason))

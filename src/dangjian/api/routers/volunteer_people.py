"""Who takes part in the volunteer cloud call, over the API: citizens signing in by SMS
code, the service menu, and members' volunteer profiles (党员特长库, 双报到)."""

from datetime import datetime

from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from dangjian import permissions
from dangjian.api.auth import actor
from dangjian.api.pagination import Page
from dangjian.api.schemas import ErrorOut
from dangjian.core.clientip import client_ip
from dangjian.core.errors import DomainError
from dangjian.permissions import Action
from dangjian.registry import services as registry
from dangjian.volunteering import people_selectors as selectors
from dangjian.volunteering import services

router = Router(tags=["volunteering"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
OPEN_ERRORS = {400: ErrorOut, 403: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut}


# Citizens ---------------------------------------------------------------------------------


class CitizenCodeIn(Schema):
    phone: str = Field(examples=["13812345678"])


class AcceptedOut(Schema):
    message: str


class CitizenSignInIn(Schema):
    phone: str
    code: str
    name: str = Field("", max_length=50, description="First sign-in only: registers the phone")
    community_id: int | None = Field(None, description="First sign-in only: village/community")
    address: str = Field("", max_length=200, description="First sign-in only")


class CitizenSignedInOut(Schema):
    token: str
    expires_at: datetime
    user_id: int
    citizen_id: int
    name: str


class CitizenOut(Schema):
    id: int
    user_id: int
    name: str = Field(alias="user.name")
    phone: str = Field(alias="user.phone")
    community_id: int
    community_name: str = Field(alias="community.name")
    address: str
    created_at: datetime


@router.post("/citizens/codes", auth=None, response={202: AcceptedOut, **OPEN_ERRORS})
def send_citizen_code(request, payload: CitizenCodeIn):
    """Send a citizen's sign-in code (6 digits, 5 minutes). 202 whoever the phone is; 429
    `too_many_requests` with `retry_after` after one request a minute or ten a day for a
    phone, or too many from one address."""
    services.send_citizen_code(phone=payload.phone, client_ip=client_ip(request))
    return Status(202, {"message": _("验证码已发送，5分钟内有效。")})


@router.post("/citizens/sign-in", auth=None, response={200: CitizenSignedInOut, **OPEN_ERRORS})
def citizen_sign_in(request, payload: CitizenSignInIn):
    """Sign a citizen in with the code; answers a bearer token as POST /auth/token does.
    A phone new to the platform registers: without `name`, `community_id` and `address`
    it answers 409 `registration_required` and the code stays good. 409 `member_account`:
    the phone is a member's or an admin's (they use the member login). 422
    `invalid_code`, `code_expired`, `validation_error`; 429 `too_many_attempts`."""
    user = services.sign_in_citizen(
        phone=payload.phone,
        code=payload.code,
        name=payload.name,
        community_id=payload.community_id,
        address=payload.address,
    )
    key, token = registry.issue_api_token(user=user)
    return {
        "token": key,
        "expires_at": token.expires_at,
        "user_id": user.pk,
        "citizen_id": user.citizen.pk,
        "name": user.name,
    }


def _own_citizen(request):
    citizen = permissions.own_citizen(actor(request))
    if citizen is None:
        raise permissions.not_found()
    return citizen


@router.get("/citizens/me", response={200: CitizenOut, **ERRORS})
def citizen_me(request):
    """The signed-in citizen's own record (404 for an account that is not a citizen's)."""
    return _own_citizen(request)


class CitizenPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=50)
    community_id: int | None = None
    address: str | None = Field(None, min_length=1, max_length=200)


@router.patch("/citizens/me", response={200: CitizenOut, **ERRORS})
def update_citizen_me(request, payload: CitizenPatch):
    """The citizen corrects their name, community or address (the fields given)."""
    citizen = _own_citizen(request)
    given = payload.dict(exclude_unset=True)
    return services.update_citizen(
        actor=actor(request),
        citizen=citizen,
        name=given.get("name") or citizen.user.name,
        community_id=given.get("community_id") or citizen.community_id,
        address=given.get("address") or citizen.address,
    )


# The service menu -------------------------------------------------------------------------


class MenuEntryOut(Schema):
    id: int
    org_id: int
    org_name: str = Field(alias="org.name")
    name: str
    description: str
    skills: list[str]
    sort_order: int
    is_active: bool
    updated_at: datetime


class MenuEntryIn(Schema):
    org_id: int = Field(description="A county or a village/community")
    name: str = Field(min_length=1, max_length=50)
    description: str = Field("", max_length=2000)
    skills: list[str] = Field(default_factory=list)
    sort_order: int = Field(0, ge=0, le=32767)


class MenuEntryPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=50)
    description: str | None = Field(None, max_length=2000)
    skills: list[str] | None = None
    sort_order: int | None = Field(None, ge=0, le=32767)
    is_active: bool | None = None


@router.get("/volunteer/menu", response={200: list[MenuEntryOut], **ERRORS})
def menu(request, community_id: int | None = None):
    """The service menu of a village or community: its own active entries and those of
    the organizations above it. A citizen's own community when `community_id` is left
    out."""
    user = actor(request)
    if community_id is None:
        citizen = permissions.own_citizen(user)
        if citizen is None:
            raise DomainError(
                "validation_error", _("请指定社区（community_id）。"), field="community_id"
            )
        community = citizen.community
    else:
        community = services.community_or_refuse(community_id, field="community_id")
    return list(selectors.menu_for(community))


@router.get("/volunteer/menu-entries", response={200: list[MenuEntryOut], **ERRORS})
@paginate(Page)
def menu_entries(request):
    """Every entry, active or not, of the menus the admin keeps."""
    return selectors.menu_entries_kept_by(actor(request))


@router.post("/volunteer/menu-entries", response={201: MenuEntryOut, **ERRORS})
def create_menu_entry(request, payload: MenuEntryIn):
    """Add an entry to the menu of a county or a community the admin is over (409
    `duplicate_name`; 422 `invalid_org` for any other organization)."""
    user = actor(request)
    org = permissions.access_org(user, payload.org_id, Action.CHANGE)
    entry = services.create_menu_entry(
        actor=user,
        org=org,
        name=payload.name,
        description=payload.description,
        skills=payload.skills,
        sort_order=payload.sort_order,
    )
    return Status(201, entry)


@router.patch("/volunteer/menu-entries/{entry_id}", response={200: MenuEntryOut, **ERRORS})
def update_menu_entry(request, entry_id: int, payload: MenuEntryPatch):
    """Change an entry; `is_active: false` takes it off the menu."""
    user = actor(request)
    entry = permissions.access_service_category(user, entry_id, Action.CHANGE)
    given = payload.dict(exclude_unset=True)
    return services.update_menu_entry(
        actor=user,
        entry=entry,
        name=given.get("name") or entry.name,
        description=given.get("description", entry.description) or "",
        skills=given["skills"] if given.get("skills") is not None else entry.skills,
        sort_order=given.get("sort_order", entry.sort_order) or 0,
        is_active=entry.is_active if given.get("is_active") is None else given["is_active"],
    )


# Volunteer profiles -----------------------------------------------------------------------


class ProfileOut(Schema):
    member_id: int
    member_name: str = Field(alias="member.name")
    branch_id: int = Field(alias="member.branch_id")
    branch_name: str = Field(alias="member.branch.name")
    skills: list[str]
    availability: str
    community_id: int | None
    community_name: str | None
    reported_at: datetime | None
    updated_at: datetime | None

    @staticmethod
    def resolve_community_name(profile) -> str | None:
        return profile.community.name if profile.community_id else None


class ProfileIn(Schema):
    skills: list[str] = Field(default_factory=list, examples=[["理发", "家电维修"]])
    availability: str = Field("", max_length=200, examples=["周末全天"])
    community_id: int | None = Field(None, description="The community reported to (双报到)")


@router.get("/members/{member_id}/volunteer-profile", response={200: ProfileOut, **ERRORS})
def volunteer_profile(request, member_id: int):
    """A member's skills, availability and the community they report to (the member's
    own, or their admins'). Empty before the member recorded anything."""
    return permissions.access_volunteer_profile(actor(request), member_id)


@router.put("/members/{member_id}/volunteer-profile", response={200: ProfileOut, **ERRORS})
def put_volunteer_profile(request, member_id: int, payload: ProfileIn):
    """Record the member's profile (the member, or an admin over their branch or their
    community; audited)."""
    user = actor(request)
    profile = permissions.access_volunteer_profile(user, member_id, Action.CHANGE)
    return services.update_volunteer_profile(
        actor=user,
        member=profile.member,
        skills=payload.skills,
        availability=payload.availability,
        community_id=payload.community_id,
    )


class ProfileFilter(Schema):
    skill: str = Field("", max_length=20)
    community_id: int | None = None


@router.get("/volunteer/profiles", response={200: list[ProfileOut], **ERRORS})
@paginate(Page)
def volunteer_profiles(request, filters: Query[ProfileFilter]):
    """The specialty database (党员特长库) of the admin's scope: members of their branches
    and members reporting to their communities, by skill and community."""
    return selectors.profiles_in_scope(
        actor(request), skill=filters.skill, community_id=filters.community_id
    )

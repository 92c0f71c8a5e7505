from datetime import date, datetime

from django.contrib.auth import authenticate
from django.db import transaction
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from dangjian import permissions
from dangjian.api.auth import actor
from dangjian.api.pagination import Mapped, Page
from dangjian.api.schemas import (
    AuditOut,
    ErrorOut,
    GrantIn,
    GrantOut,
    IdNumberOut,
    LeaveIn,
    MemberIn,
    MemberOut,
    MemberPatch,
    MeOut,
    OrgIn,
    OrgOut,
    OrgPatch,
    PasswordIn,
    TokenIn,
    TokenOut,
    TransferIn,
)
from dangjian.audit import selectors as audit_selectors
from dangjian.core import lockout
from dangjian.core.errors import DomainError
from dangjian.notifications import selectors as notification_selectors
from dangjian.permissions import Action
from dangjian.registry import accounts, invitations, selectors, services, wechat
from dangjian.registry.models import ApiToken, RoleGrant

router = Router()
ERRORS = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
    429: ErrorOut,
}


# Auth ------------------------------------------------------------------------------------


@router.post("/auth/token", auth=None, response={200: TokenOut, **ERRORS}, tags=["auth"])
def create_token(request, payload: TokenIn):
    """Exchange phone + password for a bearer token. Failures are throttled per phone and
    client address: after too many, 429 `too_many_attempts` until the cool-off ends."""
    user = authenticate(request, phone=payload.phone, password=payload.password)
    if getattr(request, "axes_locked_out", False):
        raise DomainError("too_many_attempts", lockout.locked_out_message())
    if user is None:
        raise DomainError("invalid_credentials", _("手机号或密码不正确。"))
    key, token = services.issue_api_token(user=user)
    return {"token": key, "expires_at": token.expires_at}


@router.post("/auth/logout", response={204: None, **ERRORS}, tags=["auth"])
def logout(request):
    """The token this request carries stops working at once."""
    accounts.revoke_token_key(user=actor(request), key=request.api_token_key)
    return Status(204, None)


class ApiTokenOut(Schema):
    id: int
    created_at: datetime
    expires_at: datetime
    current: bool = Field(description="The token this request carries")


@router.get("/auth/tokens", response={200: list[ApiTokenOut], **ERRORS}, tags=["auth"])
def list_tokens(request):
    """The caller's own unexpired tokens, newest first (their keys are never stored)."""
    current = ApiToken.hash_key(request.api_token_key)
    return [
        ApiTokenOut(
            id=t.pk, created_at=t.created_at, expires_at=t.expires_at, current=t.key_hash == current
        )
        for t in selectors.live_api_tokens(actor(request))
    ]


@router.delete("/auth/tokens/{token_id}", response={204: None, **ERRORS}, tags=["auth"])
def revoke_token(request, token_id: int):
    """Revoke one of the caller's tokens; anyone else's is not found."""
    accounts.revoke_token(user=actor(request), token_id=token_id)
    return Status(204, None)


@router.get("/me", response={200: MeOut, **ERRORS}, tags=["auth"])
def me(request):
    user = actor(request)
    member = permissions.own_member(user)
    roles = RoleGrant.objects.filter(user=user).order_by("org_id")
    return MeOut(user=user, member=member, roles=roles)


# Organizations ---------------------------------------------------------------------------


def _org_out(org) -> OrgOut:
    return OrgOut.from_org(org, selectors.parent_id(org))


def _orgs_out(orgs) -> list[OrgOut]:
    orgs = list(orgs)
    parents = selectors.parent_ids(orgs)
    return [OrgOut.from_org(o, parents[o.pk]) for o in orgs]


class OrgFilter(Schema):
    q: str = ""
    kind: str = ""
    sector: str = ""


@router.get("/orgs", response={200: list[OrgOut], **ERRORS}, tags=["orgs"])
@paginate(Page)
def list_orgs(request, filters: Query[OrgFilter]):
    """Organizations the caller may read, in tree order; `q` searches names and codes."""
    from dangjian.registry.models import sector_from_input

    sector = sector_from_input(filters.sector) if filters.sector else ""
    if sector is None:
        # An unknown sector must not silently widen the search to every sector.
        raise DomainError("validation_error", _("所属领域无效"), field="sector")
    qs = selectors.search_orgs(actor(request), q=filters.q, kind=filters.kind, sector=sector)
    # The parent ids of just the page, in one query.
    return Mapped(qs, _orgs_out)


@router.post("/orgs", response={201: OrgOut, **ERRORS}, tags=["orgs"])
def create_org(request, payload: OrgIn):
    user = actor(request)
    fields = payload.dict()
    parent = permissions.access_org(user, fields.pop("parent_id"), Action.CHANGE)
    org = services.create_organization(actor=user, parent=parent, **fields)
    return Status(201, _org_out(org))


@router.get("/orgs/{org_id}", response={200: OrgOut, **ERRORS}, tags=["orgs"])
def get_org(request, org_id: int):
    return _org_out(permissions.access_org(actor(request), org_id))


@router.patch("/orgs/{org_id}", response={200: OrgOut, **ERRORS}, tags=["orgs"])
def patch_org(request, org_id: int, payload: OrgPatch):
    user = actor(request)
    org = permissions.access_org(user, org_id, Action.CHANGE)
    changes = payload.dict(exclude_unset=True)
    new_parent_id = changes.pop("parent_id", None)
    # One request, one outcome: a refused move must not leave the field changes behind.
    with transaction.atomic():
        if changes:
            org = services.update_organization(actor=user, org=org, **changes)
        if new_parent_id is not None and new_parent_id != selectors.parent_id(org):
            new_parent = permissions.access_org(user, new_parent_id, Action.CHANGE)
            org = services.move_organization(actor=user, org=org, new_parent=new_parent)
    return _org_out(org)


@router.get("/orgs/{org_id}/children", response={200: list[OrgOut], **ERRORS}, tags=["orgs"])
def org_children(request, org_id: int):
    user = actor(request)
    org = permissions.access_org(user, org_id)
    if not permissions.is_admin_over(user, org):
        return []
    return [OrgOut.from_org(c, org.pk) for c in selectors.children(org)]


class InvitationOut(Schema):
    members: int = Field(description="Not yet activated members the invitation goes to")
    batches: int = Field(description="Background batches the messages are queued in")
    job_id: int = Field(description="its progress: GET /api/v1/jobs/{job_id}")


@router.post(
    "/orgs/{org_id}/activation-invitations",
    response={202: InvitationOut, **ERRORS},
    tags=["orgs"],
)
def invite_not_activated(request, org_id: int):
    """Send the members of the organization's subtree who have not activated their account
    a text message with the activation link, in the background. Once per organization a
    day (429 `already_invited`); nobody receives two invitations the same day."""
    user = actor(request)
    org = permissions.access_org(user, org_id, Action.CHANGE)
    result = invitations.invite(actor=user, org=org)
    job = notification_selectors.latest_job(user, invitations.invitation_subject(org))
    return Status(202, {**result, "job_id": job.pk})


class MemberFilter(Schema):
    subtree: bool = False
    q: str = ""
    status: str = ""
    flowing: bool | None = None
    active: bool | None = True


@router.get("/orgs/{org_id}/members", response={200: list[MemberOut], **ERRORS}, tags=["members"])
@paginate(Page)
def org_members(request, org_id: int, filters: Query[MemberFilter]):
    """Members of the organization (of its whole subtree with `?subtree=true`) that the
    caller may read; `q` matches a name, an exact phone or an exact ID number."""
    user = actor(request)
    org = permissions.access_org(user, org_id)
    qs = selectors.members_of(
        user,
        org,
        subtree=filters.subtree,
        q=filters.q,
        status=filters.status,
        flowing=filters.flowing,
        active=filters.active,
    )
    return qs


@router.get("/orgs/{org_id}/admins", response={200: list[GrantOut], **ERRORS}, tags=["orgs"])
def org_admins(request, org_id: int):
    org = permissions.access_org(actor(request), org_id, Action.GRANT)
    return selectors.admins_of(org)


@router.post("/orgs/{org_id}/admins", response={201: GrantOut, **ERRORS}, tags=["orgs"])
def grant_admin(request, org_id: int, payload: GrantIn):
    user = actor(request)
    org = permissions.access_org(user, org_id, Action.GRANT)
    member = permissions.access_member(user, payload.member_id)
    grant = services.grant_admin(actor=user, org=org, user=member.user)
    return Status(201, grant)


@router.delete("/orgs/{org_id}/admins/{user_id}", response={204: None, **ERRORS}, tags=["orgs"])
def revoke_admin(request, org_id: int, user_id: int):
    user = actor(request)
    org = permissions.access_org(user, org_id, Action.GRANT)
    grant = RoleGrant.objects.filter(org=org, user_id=user_id).select_related("user", "org").first()
    if grant is None:
        raise permissions.not_found()
    services.revoke_admin(actor=user, grant=grant)
    return Status(204, None)


# Members ---------------------------------------------------------------------------------


@router.post("/members", response={201: MemberOut, **ERRORS}, tags=["members"])
def create_member(request, payload: MemberIn):
    user = actor(request)
    branch = permissions.access_org(user, payload.branch_id, Action.CHANGE)
    data = payload.dict()
    data.pop("branch_id")
    data["is_flowing"] = data.pop("flowing")
    member = services.create_member(actor=user, branch=branch, **data)
    return Status(201, member)


@router.get("/members/{member_id}", response={200: MemberOut, **ERRORS}, tags=["members"])
def get_member(request, member_id: int):
    return permissions.access_member(actor(request), member_id)


@router.patch("/members/{member_id}", response={200: MemberOut, **ERRORS}, tags=["members"])
def patch_member(request, member_id: int, payload: MemberPatch):
    user = actor(request)
    member = permissions.access_member(user, member_id, Action.CHANGE)
    changes = payload.dict(exclude_unset=True)
    if "flowing" in changes:
        changes["is_flowing"] = changes.pop("flowing")
    return services.update_member(actor=user, member=member, **changes)


@router.get(
    "/members/{member_id}/id-number", response={200: IdNumberOut, **ERRORS}, tags=["members"]
)
def reveal_id_number(request, member_id: int):
    """The full ID number, for the member and the admins in scope. Every reveal is audited."""
    user = actor(request)
    member = permissions.access_member(user, member_id, Action.VIEW_ID_NUMBER)
    return {"id_number": services.reveal_id_number(actor=user, member=member)}


@router.post("/members/{member_id}/transfer", response={200: MemberOut, **ERRORS}, tags=["members"])
def transfer_member(request, member_id: int, payload: TransferIn):
    user = actor(request)
    member = permissions.access_member(user, member_id, Action.CHANGE)
    to_branch = permissions.access_org(user, payload.branch_id, Action.CHANGE)
    services.transfer_member(actor=user, member=member, to_branch=to_branch, reason=payload.reason)
    member.refresh_from_db()
    return member


@router.post("/members/{member_id}/leave", response={200: MemberOut, **ERRORS}, tags=["members"])
def member_left(request, member_id: int, payload: LeaveIn):
    user = actor(request)
    member = permissions.access_member(user, member_id, Action.CHANGE)
    return services.mark_member_left(actor=user, member=member, **payload.dict())


@router.post("/members/{member_id}/password", response={204: None, **ERRORS}, tags=["members"])
def set_password(request, member_id: int, payload: PasswordIn):
    user = actor(request)
    member = permissions.access_member(user, member_id, Action.CHANGE)
    services.set_member_password(actor=user, member=member, password=payload.password)
    return Status(204, None)


@router.post(
    "/members/{member_id}/sign-out-everywhere", response={204: None, **ERRORS}, tags=["members"]
)
def sign_out_everywhere(request, member_id: int):
    """Every API token and session of the member's account ends (admins in scope)."""
    user = actor(request)
    member = permissions.access_member(user, member_id, Action.CHANGE)
    accounts.sign_out_everywhere(actor=user, member=member)
    return Status(204, None)


@router.delete(
    "/members/{member_id}/wechat-binding", response={204: None, **ERRORS}, tags=["members"]
)
def unbind_member_wechat(request, member_id: int):
    """The member's WeChat is unbound (admins in scope: the phone or the WeChat account
    changed hands); every API token and session of the account ends. Audited."""
    user = actor(request)
    member = permissions.access_member(user, member_id, Action.CHANGE)
    wechat.unbind_member(actor=user, member=member)
    return Status(204, None)


@router.delete("/me/wechat-binding", response={204: None, **ERRORS}, tags=["auth"])
def unbind_own_wechat(request):
    """The caller's own account is unbound from WeChat. Audited."""
    wechat.unbind_own(user=actor(request))
    return Status(204, None)


# Audit -----------------------------------------------------------------------------------


class AuditFilter(Schema):
    org_id: int | None = None
    object_type: str = ""
    object_id: str = ""
    who: str = Field("", max_length=80, description="part of the actor's name, or their phone")
    action: str = Field("", max_length=64, description="an action code, e.g. member.update")
    since: date | None = Field(None, description="entries from this day on (local time)")
    until: date | None = Field(None, description="entries up to this day, inclusive")


@router.get("/audit", response={200: list[AuditOut], **ERRORS}, tags=["audit"])
@paginate(Page)
def audit_log(request, filters: Query[AuditFilter]):
    """Audit entries of the caller's admin scope, newest first."""
    user = actor(request)
    org = (
        permissions.access_org(user, filters.org_id, Action.VIEW_AUDIT) if filters.org_id else None
    )
    qs = audit_selectors.entries_for(
        user,
        org=org,
        object_type=filters.object_type or None,
        object_id=filters.object_id or None,
        who=filters.who.strip(),
        action=filters.action.strip(),
        since=filters.since,
        until=filters.until,
    )
    return qs

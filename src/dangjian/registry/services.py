"""Writes to the registry. Each function checks the actor's permission, validates, writes
in one transaction and records an audit entry in that same transaction."""

import secrets
from datetime import date, datetime

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from dangjian import permissions
from dangjian.audit import services as audit
from dangjian.core import clock
from dangjian.core.db import hot_connection
from dangjian.core.errors import DomainError, refuse_unknown_fields
from dangjian.core.locking import refused_on_conflict
from dangjian.notifications import services as notifications
from dangjian.permissions import Action
from dangjian.registry import accounts, crypto, idcard
from dangjian.registry.account_rows import read_account, select_account
from dangjian.registry.models import (
    ApiKey,
    ApiToken,
    Member,
    Organization,
    OrgKind,
    Role,
    RoleGrant,
    Sector,
    Transfer,
    User,
)
from dangjian.registry.validation import PHONE_RE, MemberFields, clean_member_fields

ORG_AUDIT_FIELDS = ("name", "code", "kind", "sector", "category", "is_active", "path")
MEMBER_AUDIT_FIELDS = (
    "name",
    "gender",
    "birth_date",
    "id_number_masked",
    "phone",
    "branch_id",
    "join_date",
    "full_date",
    "status",
    "is_flowing",
    "flowing_location",
    "is_active",
    "left_at",
)
MEMBER_FIELDS = (
    "name",
    "gender",
    "birth_date",
    "id_number",
    "phone",
    "join_date",
    "full_date",
    "status",
    "is_flowing",
    "flowing_location",
)


# Organizations ---------------------------------------------------------------------------


def _check_org_fields(*, name: str, kind: str, sector: str, category: str) -> None:
    if not name or len(name) > 100:
        raise DomainError("validation_error", _("组织名称不能为空，且不超过100个字"), field="name")
    if kind not in OrgKind.values:
        raise DomainError("validation_error", _("组织类别无效"), field="kind")
    if sector not in Sector.values:
        raise DomainError("validation_error", _("所属领域无效"), field="sector")
    if len(category) > 50:
        raise DomainError("validation_error", _("分类不能超过50个字"), field="category")


def _check_parent_accepts(parent: Organization, kind: str) -> None:
    if parent.kind == OrgKind.BRANCH:
        raise DomainError("invalid_parent", _("党支部下不能再设立组织"))
    if parent.kind == OrgKind.GENERAL_BRANCH and kind != OrgKind.BRANCH:
        raise DomainError("invalid_parent", _("党总支下只能设立党支部"))


def _check_code_free(code: str | None, *, exclude_pk: int | None = None) -> None:
    if code and Organization.objects.filter(code=code).exclude(pk=exclude_pk).exists():
        raise DomainError("duplicate_code", _("组织编码已被使用"), field="code")


@transaction.atomic
def create_organization(
    *,
    actor: User,
    parent: Organization,
    name: str,
    kind: str,
    sector: str,
    category: str = "",
    code: str | None = None,
) -> Organization:
    permissions.require(actor, Action.CHANGE, parent)
    name, category, code = name.strip(), category.strip(), (code or "").strip() or None
    _check_org_fields(name=name, kind=kind, sector=sector, category=category)
    _check_parent_accepts(parent, kind)
    _check_code_free(code)
    # Re-read under lock: treebeard computes the new path from the parent's child count.
    parent = Organization.objects.select_for_update().get(pk=parent.pk)
    org = Organization.objects.add_child(
        parent,
        instance=Organization(name=name, kind=kind, sector=sector, category=category, code=code),
    )
    _audit_created(actor, org)
    return org


def _audit_created(actor: User | None, org: Organization) -> None:
    audit.record(
        actor=actor,
        action="org.create",
        obj=org,
        org=org,
        after=audit.snapshot(org, ORG_AUDIT_FIELDS),
    )


@transaction.atomic
def create_root_organization(*, name: str, sector: str = Sector.GOVERNMENT) -> Organization:
    """Only the command line creates a root (see bootstrap_city)."""
    return Organization.objects.add_root(
        instance=Organization(name=name, kind=OrgKind.COMMITTEE, sector=sector)
    )


@transaction.atomic
def update_organization(*, actor: User, org: Organization, **changes) -> Organization:
    permissions.require(actor, Action.CHANGE, org)
    refuse_unknown_fields(changes, {"name", "code", "kind", "sector", "category"})
    org = Organization.objects.select_for_update().get(pk=org.pk)
    before = audit.snapshot(org, ORG_AUDIT_FIELDS)
    name = (changes.get("name", org.name) or "").strip()
    kind = changes.get("kind", org.kind)
    sector = changes.get("sector", org.sector)
    category = (changes.get("category", org.category) or "").strip()
    code = (changes.get("code", org.code) or "").strip() or None
    _check_org_fields(name=name, kind=kind, sector=sector, category=category)
    if kind != org.kind:
        if kind == OrgKind.BRANCH and org.numchild:
            raise DomainError("invalid_kind", _("该组织有下级组织，不能改为党支部"))
        if org.kind == OrgKind.BRANCH and org.members.exists():
            raise DomainError("invalid_kind", _("该党支部还有党员，不能改变组织类别"))
        parent = Organization.objects.get_parent(org)
        if parent is not None:
            _check_parent_accepts(parent, kind)
    _check_code_free(code, exclude_pk=org.pk)
    org.name, org.kind, org.sector, org.category, org.code = name, kind, sector, category, code
    org.save(update_fields=["name", "kind", "sector", "category", "code", "updated_at"])
    audit.record_changes(
        actor=actor,
        action="org.update",
        obj=org,
        org=org,
        before=before,
        after=audit.snapshot(org, ORG_AUDIT_FIELDS),
    )
    return org


@transaction.atomic
def move_organization(*, actor: User, org: Organization, new_parent: Organization) -> Organization:
    permissions.require(actor, Action.CHANGE, org)
    permissions.require(actor, Action.CHANGE, new_parent)
    if org.is_root():
        raise DomainError("invalid_parent", _("不能移动根组织"))
    if new_parent.path.startswith(org.path):
        raise DomainError("invalid_parent", _("不能把组织移到它自己或它的下级组织之下"))
    _check_parent_accepts(new_parent, org.kind)
    before = {"parent_id": Organization.objects.get_parent(org).pk, "path": org.path}
    # treebeard rewrites the paths of the whole subtree in a few UPDATEs.
    Organization.objects.move(org, new_parent, pos="last-child")
    org.refresh_from_db()
    audit.record(
        actor=actor,
        action="org.move",
        obj=org,
        org=org,
        before=before,
        after={"parent_id": new_parent.pk, "path": org.path},
    )
    return org


# Accounts and roles ----------------------------------------------------------------------


@transaction.atomic
def grant_admin(*, actor: User, org: Organization, user: User) -> RoleGrant:
    permissions.require(actor, Action.GRANT, org)
    grant = _admin_role(actor, org, user)
    permissions.forget(user)
    return grant


def _admin_role(actor: User | None, org: Organization, user: User) -> RoleGrant:
    """The user's admin role on the organization: granted and audited, unless it is held
    already."""
    grant, created = RoleGrant.objects.get_or_create(
        user=user, org=org, role=Role.ADMIN, defaults={"granted_by": actor}
    )
    if created:
        audit.record(
            actor=actor,
            action="role.grant",
            obj=grant,
            org=org,
            label=f"{user} @ {org}",
            after={"user_id": user.pk, "org_id": org.pk, "role": grant.role},
        )
    return grant


@transaction.atomic
def revoke_admin(*, actor: User, grant: RoleGrant) -> None:
    permissions.require(actor, Action.GRANT, grant.org)
    audit.record(
        actor=actor,
        action="role.revoke",
        obj=grant,
        org=grant.org,
        label=f"{grant.user} @ {grant.org}",
        before={"user_id": grant.user_id, "org_id": grant.org_id, "role": grant.role},
    )
    grant.delete()
    permissions.forget(grant.user)


def _check_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise DomainError("weak_password", " ".join(exc.messages), field="password") from exc


def _require_authority_over_account(actor: User, user: User) -> None:
    """Setting someone's password or login phone takes over their account
    (permissions.is_admin_over_account)."""
    if not permissions.is_admin_over_account(actor, user):
        raise DomainError(
            "forbidden", _("该账号拥有超出您管理范围的管理权限，您不能修改其登录信息")
        )


@transaction.atomic
def set_member_password(*, actor: User, member: Member, password: str) -> None:
    permissions.require(actor, Action.CHANGE, member)
    _require_authority_over_account(actor, member.user)
    _check_password(password, member.user)
    member.user.set_password(password)
    member.user.save(update_fields=["password"])
    audit.record(actor=actor, action="member.set_password", obj=member, org=member.branch)
    accounts.revoke_all_credentials(user=member.user, actor=actor, reason="password_set")


@transaction.atomic
def change_own_password(*, user: User, old_password: str, new_password: str) -> None:
    """Every token and session of the account ends, the one making the change included;
    a page keeps its own session with update_session_auth_hash(request, user)."""
    if not user.check_password(old_password):
        raise DomainError("invalid_credentials", _("原密码不正确"), field="old_password")
    _check_password(new_password, user)
    user.set_password(new_password)
    user.save(update_fields=["password"])
    member = permissions.own_member(user)
    audit.record(
        actor=user, action="user.change_password", obj=user, org=member.branch if member else None
    )
    accounts.revoke_all_credentials(user=user, actor=user, reason="password_changed")


@transaction.atomic
def reset_admin_password(*, actor: User, account: User, password: str) -> None:
    """A superior admin sets a subordinate admin's password (permissions.
    is_superior_of_admin); every sign-in of the account ends and its holder is told."""
    if not permissions.is_superior_of_admin(actor, account):
        raise permissions.not_found()
    _check_password(password, account)
    account.set_password(password)
    account.save(update_fields=["password"])
    grant = RoleGrant.objects.filter(user=account, role=Role.ADMIN).select_related("org").first()
    audit.record(
        actor=actor,
        action="user.reset_password",
        obj=account,
        org=grant.org if grant else None,
    )
    accounts.revoke_all_credentials(user=account, actor=actor, reason="password_reset")
    notifications.notify(
        user_ids=[account.pk],
        kind="account",
        title=_("您的登录密码已被重置"),
        body=_(
            "上级管理员 %(name)s 重置了您的登录密码，所有设备已退出登录。"
            "如非本人知晓，请联系上级管理员。"
        )
        % {"name": actor.name},
    )


def issue_api_token(*, user: User) -> tuple[str, ApiToken]:
    key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        key_hash=ApiToken.hash_key(key),
        expires_at=clock.now() + _token_ttl(),
    )
    return key, token


def _token_ttl():
    from django.conf import settings

    return settings.API_TOKEN_TTL


def user_for_token(key: str) -> User | None:
    """The active user holding this unexpired API token, or None. Read on every request
    (nothing cached), so an expired token or a deactivated account stops at once."""
    return holder_of(ApiKey.presented(key))


def holder_of(key: ApiKey) -> User | None:
    """`user_for_token` for a key a request presented (its digest).

    Literal SQL because every API request runs it: composing the same join with the ORM
    cost more CPU than the rest of a check-in (docs/performance.md, "Checking in");
    tests/registry/test_api_tokens.py checks it against the ORM's answer."""
    # On the hot connection (core.db.hot_connection): every API request runs it.
    db = hot_connection()
    return read_account(
        db, _TOKEN_HOLDER_SQL, [key.digest, _EXPIRES_AT.get_db_prep_save(clock.now(), db)]
    )


_TOKEN_HOLDER_SQL = select_account(
    "FROM registry_apitoken t JOIN registry_user u ON u.id = t.user_id"
    " WHERE t.key_hash = %s AND t.expires_at > %s AND u.is_active"
)
_EXPIRES_AT = ApiToken._meta.get_field("expires_at")


@transaction.atomic
def bootstrap_city(*, name: str, phone: str, password: str, admin_name: str = "") -> RoleGrant:
    """Create the root organization and its first admin; running it again changes nothing
    but the admin's password (so it doubles as the root admin's password reset)."""
    if not PHONE_RE.match(phone):
        raise DomainError("invalid_phone", _("手机号应为11位大陆手机号码"))
    root = Organization.objects.get_root_nodes().filter(name=name).first()
    if root is None:
        root = create_root_organization(name=name)
        _audit_created(None, root)
    user = User.objects.filter(phone=phone).first()
    if user is None:
        user = User.objects.create_user(phone=phone, name=admin_name or _("平台管理员"))
    _check_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    return _admin_role(None, root, user)


# Members ---------------------------------------------------------------------------------


# An account holding an admin role beyond the actor's reach is never attached to a new
# member: the member's details would rename it, and whoever manages the member would
# manage the admin. (A county admin registering themselves as a member is attached.)
def phone_in_use() -> DomainError:
    return DomainError(
        "phone_in_use", _("该手机号属于一名管理员的账号，不能登记为新党员的手机号"), field="phone"
    )


def _raise_field_errors(fields: MemberFields) -> None:
    if fields.errors:
        first = fields.errors[0]
        raise DomainError(
            first.code,
            first.message,
            field=first.field,
            errors=[{"field": e.field, "message": e.message} for e in fields.errors],
        )


def _require_branch(branch: Organization) -> None:
    if branch.kind != OrgKind.BRANCH or not branch.is_active:
        raise DomainError("not_a_branch", _("党员只能编入党支部"), field="branch_id")


def _member_snapshot(member: Member) -> dict:
    return audit.snapshot(member, MEMBER_AUDIT_FIELDS)


def _apply_fields(member: Member, fields: MemberFields) -> None:
    member.name = fields.name
    member.gender = fields.gender
    member.birth_date = fields.birth_date
    member.join_date = fields.join_date
    member.full_date = fields.full_date
    member.status = fields.status
    member.is_flowing = fields.is_flowing
    member.flowing_location = fields.flowing_location
    member.id_number_hash = crypto.keyed_hash(fields.id_number)
    member.id_number_masked = idcard.mask(fields.id_number)


@transaction.atomic
def create_member(*, actor: User, branch: Organization, **raw) -> Member:
    permissions.require(actor, Action.CHANGE, branch)
    _require_branch(branch)
    fields = clean_member_fields(raw)
    _raise_field_errors(fields)
    id_hash = crypto.keyed_hash(fields.id_number)
    if Member.objects.filter(id_number_hash=id_hash).exists():
        raise DomainError("duplicate_id_number", _("该身份证号已登记"), field="id_number")
    user = User.objects.select_for_update().filter(phone=fields.phone).first()
    if user is not None and Member.objects.filter(user=user).exists():
        raise DomainError("duplicate_phone", _("该手机号已被其他党员使用"), field="phone")
    if user is not None and not permissions.is_admin_over_account(actor, user):
        raise phone_in_use()
    if user is None:
        user = User.objects.create_user(phone=fields.phone, name=fields.name)
    member = Member(user=user, branch=branch, id_number_encrypted=crypto.encrypt(fields.id_number))
    _apply_fields(member, fields)
    # Two admins adding the same person at the same instant: the unique hash decides.
    with refused_on_conflict("duplicate_id_number", _("该身份证号已登记"), field="id_number"):
        member.save()
    audit.record(
        actor=actor, action="member.create", obj=member, org=branch, after=_member_snapshot(member)
    )
    return member


@transaction.atomic
def update_member(*, actor: User, member: Member, **changes) -> Member:
    permissions.require(actor, Action.CHANGE, member)
    refuse_unknown_fields(changes, MEMBER_FIELDS)
    member = Member.objects.select_for_update().select_related("user", "branch").get(pk=member.pk)
    before = _member_snapshot(member)
    current = {
        "name": member.name,
        "gender": member.gender,
        "birth_date": member.birth_date,
        "id_number": member.reveal_id_number() if "id_number" not in changes else None,
        "phone": member.user.phone,
        "join_date": member.join_date,
        "full_date": member.full_date,
        "status": member.status,
        "is_flowing": member.is_flowing,
        "flowing_location": member.flowing_location,
    }
    current.update(changes)
    fields = clean_member_fields(current)
    _raise_field_errors(fields)
    id_hash = crypto.keyed_hash(fields.id_number)
    if id_hash != member.id_number_hash:
        if Member.objects.filter(id_number_hash=id_hash).exclude(pk=member.pk).exists():
            raise DomainError("duplicate_id_number", _("该身份证号已登记"), field="id_number")
        member.id_number_encrypted = crypto.encrypt(fields.id_number)
    if fields.phone != member.user.phone:
        _require_authority_over_account(actor, member.user)
        if User.objects.filter(phone=fields.phone).exclude(pk=member.user_id).exists():
            raise DomainError("duplicate_phone", _("该手机号已被其他账号使用"), field="phone")
        member.user.phone = fields.phone
    if fields.name != member.user.name:
        member.user.name = fields.name
    member.user.save(update_fields=["phone", "name"])
    _apply_fields(member, fields)
    member.save()
    audit.record_changes(
        actor=actor,
        action="member.update",
        obj=member,
        org=member.branch,
        before=before,
        after=_member_snapshot(member),
    )
    return member


@transaction.atomic
def transfer_member(
    *, actor: User, member: Member, to_branch: Organization, reason: str = ""
) -> Transfer:
    permissions.require(actor, Action.CHANGE, member)
    permissions.require(actor, Action.CHANGE, to_branch)
    _require_branch(to_branch)
    member = Member.objects.select_for_update().select_related("branch").get(pk=member.pk)
    if not member.is_active:
        raise DomainError("member_left", _("该党员已不在册，不能转接"))
    if member.branch_id == to_branch.pk:
        raise DomainError("same_branch", _("该党员已在此党支部"))
    transfer = Transfer.objects.create(
        member=member,
        from_branch=member.branch,
        to_branch=to_branch,
        reason=reason.strip()[:200],
        actor=actor,
        transferred_at=clock.now(),
    )
    before = {"branch_id": member.branch_id}
    member.branch = to_branch
    member.save(update_fields=["branch", "updated_at"])
    permissions.forget(member.user)
    audit.record(
        actor=actor,
        action="member.transfer",
        obj=member,
        org=to_branch,
        before=before,
        after={"branch_id": to_branch.pk, "reason": transfer.reason},
    )
    return transfer


@transaction.atomic
def mark_member_left(
    *, actor: User, member: Member, left_at: date | datetime | None = None, reason: str = ""
) -> Member:
    permissions.require(actor, Action.CHANGE, member)
    given = member
    member = Member.objects.select_for_update().select_related("branch", "user").get(pk=member.pk)
    if not member.is_active:
        return member
    member.is_active = False
    member.left_at = left_at or clock.today()
    member.save(update_fields=["is_active", "left_at", "updated_at"])
    accounts.revoke_all_credentials(user=member.user, actor=actor, reason="member_left")
    if Member.user.is_cached(given):
        # The caller's copy of the account carries the new session hash too, as the copy a
        # later sign-in reads from the database would.
        given.user.credentials_version = member.user.credentials_version
    audit.record(
        actor=actor,
        action="member.leave",
        obj=member,
        org=member.branch,
        before={"is_active": True},
        after={"is_active": False, "left_at": member.left_at.isoformat(), "reason": reason},
    )
    return member


def reveal_id_number(*, actor: User, member: Member) -> str:
    """The full ID number, for those allowed to see it; every reveal is audited."""
    permissions.require(actor, Action.VIEW_ID_NUMBER, member)
    audit.record(actor=actor, action="member.reveal_id_number", obj=member, org=member.branch)
    return member.reveal_id_number()

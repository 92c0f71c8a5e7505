"""Who takes part in the volunteer cloud call: citizens signing in (and registering) by SMS
code, the service menu of a county or a community, and members' volunteer profiles
(党员特长库, 双报到). Every write is a keyword-only function in one transaction, with its
permission check and audit entry; orders, claims and hours have their own modules.

A citizen's sign-in reuses the activation codes (registry.activation: hashed, 5 minutes,
5 wrong tries, the send limits per phone and per address). Every phone receives its code,
so that the send step answers the same whether the phone is known or not. Once the code
is given, the phone's account decides: a citizen's is signed in; a phone new to the
platform registers (name, community, address) and is signed in; a member's or an admin's
account is refused (`member_account`, "use the member login") and never turned into a
citizen — that refusal tells only whoever holds the phone (they proved it with the code)
that it has a Party account."""

from django.db import transaction
from django.utils.translation import gettext as _

from dangjian import permissions
from dangjian.audit import services as audit
from dangjian.core import clock
from dangjian.core.errors import DomainError
from dangjian.core.locking import refused_on_conflict
from dangjian.notifications.models import SmsCodePurpose
from dangjian.permissions import Action
from dangjian.registry import activation
from dangjian.registry.models import Member, Organization, User
from dangjian.registry.validation import PHONE_RE
from dangjian.volunteering.models import Citizen, ServiceCategory, VolunteerProfile
from dangjian.volunteering.people_rules import clean_skills, clean_text, holds_menu
from dangjian.volunteering.rules import is_community

# Citizens ---------------------------------------------------------------------------------


def send_citizen_code(*, phone: str, client_ip: str | None) -> None:
    """Send a sign-in code to the phone: the same answer whoever the phone is
    (registry.activation.send_code)."""
    activation.send_code(phone=phone, purpose=SmsCodePurpose.CITIZEN, client_ip=client_ip)


def community_or_refuse(community_id, *, field: str = "community") -> Organization:
    """The active village or community organization `community_id`, or a refusal."""
    org = None
    if community_id not in (None, ""):
        try:
            org = Organization.objects.filter(pk=int(community_id), is_active=True).first()
        except (TypeError, ValueError):
            org = None
    if org is None or not is_community(org.kind, org.sector):
        raise DomainError("validation_error", _("请选择所在的社区或村。"), field=field)
    return org


class _CitizenSignIn:
    """registry.activation.redeem's check for a citizen's code (see the module's doc)."""

    new_phones = True

    def __init__(self, phone: str, name: str, community_id, address: str):
        self.phone, self.name, self.community_id, self.address = phone, name, community_id, address

    def __call__(self, user):
        return None

    def finish(self, user: User | None) -> User:
        if user is None:
            # An account may have been made for the phone since the code was sent.
            user = User.objects.select_for_update().filter(phone=self.phone).first()
        if user is not None:
            citizen = Citizen.objects.filter(user=user).first()
            if citizen is None:
                raise DomainError(
                    "member_account",
                    _("该手机号已是党员或管理员账号，不能注册为群众；请使用党员登录。"),
                )
            if not user.is_active:
                raise DomainError("account_disabled", _("该账号已停用。"))
            return user
        return _register(self)


def _register(data: _CitizenSignIn) -> User:
    blank = not (data.name or "").strip() and not (data.address or "").strip()
    if blank and data.community_id in (None, ""):
        raise DomainError(
            "registration_required", _("首次登录，请填写姓名、所在社区和住址完成注册。")
        )
    return _create_citizen(
        actor=None,
        phone=data.phone,
        name=data.name,
        community=community_or_refuse(data.community_id),
        address=data.address,
    )


def _create_citizen(
    *, actor: User | None, phone: str, name: str, community: Organization, address: str
) -> User:
    """The account and citizen record, audited as the actor's (None: the citizen's own
    registration)."""
    name = clean_text((name or "").strip(), field="name", label=_("姓名"), max_length=50)
    address = clean_text(address, field="address", label=_("住址"), max_length=200)
    now = clock.now()
    # Another request may register the phone between our look-up and now.
    again = _("该手机号刚刚已注册，请重新登录。") if actor is None else _("该手机号已注册。")
    with refused_on_conflict("phone_in_use", again, field="phone"):
        user = User.objects.create_user(phone=phone, name=name, password=None)
    citizen = Citizen.objects.create(
        user=user, community=community, address=address, created_at=now, updated_at=now
    )
    audit.record(
        actor=actor or user,
        action="citizen.register",
        obj=citizen,
        org=community,
        after={"community": community.pk, "by_admin": actor is not None},
    )
    return user


@transaction.atomic
def register_citizen(
    *, actor: User, phone: str, name: str, community: Organization, address: str
) -> User:
    """A community's admin registers a resident at the service desk (someone who cannot
    sign up on a phone orders through the community). The account has no password: the
    resident signs in later with a code sent to the phone, like any citizen."""
    if not is_community(community.kind, community.sector):
        raise DomainError("validation_error", _("请选择所在的社区或村。"), field="community")
    permissions.require(actor, Action.CHANGE, Citizen(community=community))
    phone = (phone or "").strip()
    if not PHONE_RE.match(phone):
        raise DomainError("validation_error", _("请输入 11 位手机号。"), field="phone")
    if User.objects.filter(phone=phone).exists():
        raise DomainError("phone_in_use", _("该手机号已注册。"), field="phone")
    return _create_citizen(
        actor=actor, phone=phone, name=name, community=community, address=address
    )


def sign_in_citizen(
    *, phone: str, code: str, name: str = "", community_id=None, address: str = ""
) -> User:
    """Sign a citizen in with the code sent to their phone; a phone new to the platform
    registers with `name`, `community_id` and `address` (without them:
    `registration_required`, and the code stays good for the second try). Refusals:
    `invalid_code`, `code_expired`, `too_many_attempts`, `member_account`,
    `account_disabled`, `registration_required`, `validation_error`."""
    phone = (phone or "").strip()
    try:
        return activation.redeem(
            phone=phone,
            purpose=SmsCodePurpose.CITIZEN,
            code=code,
            check=_CitizenSignIn(phone, name, community_id, address),
        )
    except DomainError as exc:
        if exc.code in ("member_account", "account_disabled"):
            # Whoever holds a Party account's phone and tried to make it a citizen's: not
            # silent (the refusal rolled back everything else).
            _record_refusal(phone, exc.code)
        raise


@transaction.atomic
def _record_refusal(phone: str, reason: str) -> None:
    user = User.objects.filter(phone=phone).first()
    if user is not None:
        audit.record(
            actor=user, action="citizen.sign_in_refused", obj=user, after={"reason": reason}
        )


_CITIZEN_FIELDS = ("community", "address")


@transaction.atomic
def update_citizen(*, actor, citizen: Citizen, name: str, community_id, address: str) -> Citizen:
    """A citizen corrects their name, community or address (or an admin over the
    community does)."""
    permissions.require(actor, Action.CHANGE, citizen)
    before = {**audit.snapshot(citizen, _CITIZEN_FIELDS), "name": citizen.user.name}
    citizen.user.name = clean_text(name, field="name", label=_("姓名"), max_length=50)
    citizen.community = community_or_refuse(community_id)
    citizen.address = clean_text(address, field="address", label=_("住址"), max_length=200)
    citizen.updated_at = clock.now()
    citizen.user.save(update_fields=["name"])
    citizen.save(update_fields=["community", "address", "updated_at"])
    audit.record_changes(
        actor=actor,
        action="citizen.update",
        obj=citizen,
        org=citizen.community,
        before=before,
        after={**audit.snapshot(citizen, _CITIZEN_FIELDS), "name": citizen.user.name},
    )
    return citizen


# The service menu -------------------------------------------------------------------------

_MENU_FIELDS = ("name", "description", "skills", "sort_order", "is_active")


def _menu_values(name: str, description: str, skills, sort_order: int) -> dict:
    if not 0 <= int(sort_order) <= 32767:
        raise DomainError("validation_error", _("排序号须在 0–32767 之间。"), field="sort_order")
    return {
        "name": clean_text(name, field="name", label=_("服务类别"), max_length=50),
        "description": clean_text(
            description, field="description", label=_("说明"), max_length=2000, required=False
        ),
        "skills": clean_skills(skills),
        "sort_order": int(sort_order),
    }


def _duplicate_name() -> DomainError:
    return DomainError("duplicate_name", _("本组织的服务菜单已有同名类别。"), field="name")


@transaction.atomic
def create_menu_entry(
    *,
    actor,
    org: Organization,
    name: str,
    description: str = "",
    skills=(),
    sort_order: int = 0,
) -> ServiceCategory:
    """Add an entry to the service menu of a county or a community (admins over it)."""
    permissions.require(actor, Action.CHANGE, ServiceCategory(org=org))
    if not holds_menu(depth=org.depth, kind=org.kind, sector=org.sector):
        raise DomainError("invalid_org", _("服务菜单只能设在县区或社区（村）。"), field="org")
    values = _menu_values(name, description, skills, sort_order)
    if ServiceCategory.objects.filter(org=org, name=values["name"]).exists():
        raise _duplicate_name()
    now = clock.now()
    entry = ServiceCategory.objects.create(org=org, created_at=now, updated_at=now, **values)
    audit.record(
        actor=actor,
        action="menu_entry.create",
        obj=entry,
        org=org,
        after=audit.snapshot(entry, _MENU_FIELDS),
    )
    return entry


@transaction.atomic
def update_menu_entry(
    *,
    actor,
    entry: ServiceCategory,
    name: str,
    description: str,
    skills,
    sort_order: int,
    is_active: bool,
) -> ServiceCategory:
    """Change a menu entry, or take it off the menu (`is_active=False`: orders already
    made keep it)."""
    permissions.require(actor, Action.CHANGE, entry)
    values = _menu_values(name, description, skills, sort_order)
    clash = ServiceCategory.objects.filter(org_id=entry.org_id, name=values["name"])
    if clash.exclude(pk=entry.pk).exists():
        raise _duplicate_name()
    before = audit.snapshot(entry, _MENU_FIELDS)
    for field, value in {**values, "is_active": bool(is_active)}.items():
        setattr(entry, field, value)
    entry.updated_at = clock.now()
    entry.save()
    after = audit.snapshot(entry, _MENU_FIELDS)
    action = "menu_entry.update"
    if before["is_active"] != after["is_active"]:
        action = "menu_entry.activate" if entry.is_active else "menu_entry.deactivate"
    audit.record_changes(
        actor=actor, action=action, obj=entry, org=entry.org, before=before, after=after
    )
    return entry


# Volunteer profiles (党员特长库, 双报到) ----------------------------------------------------

_PROFILE_FIELDS = ("skills", "availability", "community")


def profile_of(member: Member) -> VolunteerProfile:
    """The member's profile, or an empty one not saved yet."""
    profile = VolunteerProfile.objects.filter(member=member).first()
    return profile or VolunteerProfile(member=member, skills=[], availability="")


@transaction.atomic
def update_volunteer_profile(
    *, actor, member: Member, skills, availability: str, community_id
) -> VolunteerProfile:
    """Record a member's skills, when they can serve and the residential community they
    report to (双报到; None: none). The member does it, or an admin over their branch or
    their community; either way it is audited."""
    profile = VolunteerProfile.objects.select_for_update().filter(
        member=member
    ).first() or VolunteerProfile(member=member, skills=[], availability="")
    permissions.require(actor, Action.CHANGE, profile)
    if not member.is_active:
        raise DomainError("member_left", _("该党员已不在册。"))
    before = audit.snapshot(profile, _PROFILE_FIELDS)
    community = None if community_id in (None, "") else community_or_refuse(community_id)
    now = clock.now()
    profile.skills = clean_skills(skills)
    profile.availability = clean_text(
        availability, field="availability", label=_("可服务时间"), max_length=200, required=False
    )
    if (community.pk if community else None) != profile.community_id:
        # 双报到 is dated from the day the member reports to this community.
        profile.reported_at = now if community else None
    profile.community = community
    profile.updated_at = now
    profile.save()
    audit.record_changes(
        actor=actor,
        action="volunteer_profile.update",
        obj=profile,
        org=member.branch,
        before=before,
        after=audit.snapshot(profile, _PROFILE_FIELDS),
    )
    return profile

"""The one place that answers "may user U do A to object O".

Every page, API endpoint and service asks here. The rules:

- An admin role is held on an organization and reaches that organization and its whole
  subtree (a prefix match on the materialized path), nothing above or beside it.
- A member reads their own branch and their own record, nothing else.
- Everyone else (anonymous, a user with neither) reads nothing.

Objects are fetched with `access_<thing>(actor, id, action)`: it returns the object, or
raises `not_found` whether the object is missing or out of scope, so that nobody can
probe for the existence of another county's data. An object the actor may read but not
act on raises `forbidden`.
"""

from enum import StrEnum
from functools import reduce
from operator import or_

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from dangjian.core.errors import DomainError
from dangjian.registry.models import Member, Organization, Role, RoleGrant
from dangjian.themedays.models import Activity, Campaign


class Action(StrEnum):
    READ = "read"
    CHANGE = "change"
    IMPORT = "import"
    GRANT = "grant"
    VIEW_ID_NUMBER = "view_id_number"
    VIEW_AUDIT = "view_audit"
    # Approve or reject an activity plan: an admin of a strict ancestor of the branch.
    REVIEW = "review"


ADMIN_ACTIONS = frozenset(Action) - {Action.READ}


def not_found() -> DomainError:
    return DomainError("not_found", _("未找到该对象。"))


def forbidden() -> DomainError:
    return DomainError("forbidden", _("您没有权限执行此操作。"))


def _authenticated(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def admin_paths(user) -> tuple[str, ...]:
    """Paths of the organizations the user administers, nested ones dropped. Cached on
    the user object for the request."""
    if not _authenticated(user):
        return ()
    cached = getattr(user, "_dj_admin_paths", None)
    if cached is None:
        paths = sorted(
            RoleGrant.objects.filter(user=user, role=Role.ADMIN, org__is_active=True)
            .values_list("org__path", flat=True)
            .distinct()
        )
        kept: list[str] = []
        for path in paths:
            if not any(path.startswith(k) for k in kept):
                kept.append(path)
        cached = tuple(kept)
        user._dj_admin_paths = cached
    return cached


def own_member(user) -> Member | None:
    """The user's active member record, if any. Cached on the user object."""
    if not _authenticated(user):
        return None
    if not hasattr(user, "_dj_member"):
        user._dj_member = (
            Member.objects.select_related("branch").filter(user=user, is_active=True).first()
        )
    return user._dj_member


def forget(user) -> None:
    """Drop the cached facts after the user's roles or membership changed."""
    for attr in ("_dj_admin_paths", "_dj_member"):
        if hasattr(user, attr):
            delattr(user, attr)


def is_admin(user) -> bool:
    return bool(admin_paths(user))


def is_admin_over(user, org: Organization) -> bool:
    return any(org.path.startswith(p) for p in admin_paths(user))


def admin_scope_q(user, path_field: str = "path") -> Q:
    """A filter for rows whose organization path lies in the user's admin scope."""
    paths = admin_paths(user)
    if not paths:
        return Q(pk__in=[])
    return reduce(or_, (Q(**{f"{path_field}__startswith": p}) for p in paths))


def can(user, action: Action | str, obj) -> bool:
    action = Action(action)
    if not _authenticated(user):
        return False
    if isinstance(obj, Organization):
        if is_admin_over(user, obj):
            return True
        if action == Action.READ:
            member = own_member(user)
            return member is not None and member.branch_id == obj.pk
        return False
    if isinstance(obj, Member):
        if is_admin_over(user, obj.branch):
            return True
        if action in (Action.READ, Action.VIEW_ID_NUMBER):
            return obj.user_id == user.pk and obj.is_active
        return False
    if isinstance(obj, Activity):
        return _can_activity(user, action, obj)
    if isinstance(obj, Campaign):
        return _can_campaign(user, action, obj)
    raise TypeError(f"no permission rules for {type(obj).__name__}")


def is_admin_above(user, org: Organization) -> bool:
    """Admin of a strict ancestor of `org` (a superior organization)."""
    return any(org.path.startswith(p) and org.path != p for p in admin_paths(user))


def _can_campaign(user, action: Action, campaign: Campaign) -> bool:
    path = campaign.org.path
    if any(path.startswith(p) for p in admin_paths(user)):
        return True
    if action != Action.READ:
        return False
    # Read by those it is addressed to: admins inside its subtree and its members.
    if any(p.startswith(path) for p in admin_paths(user)):
        return True
    member = own_member(user)
    return member is not None and member.branch.path.startswith(path)


def _can_activity(user, action: Action, activity: Activity) -> bool:
    branch = activity.branch
    if action == Action.REVIEW:
        return is_admin_above(user, branch)
    if is_admin_over(user, branch):
        return True
    if action == Action.READ:
        member = own_member(user)
        return member is not None and member.branch_id == branch.pk
    return False


def require(user, action: Action | str, obj) -> None:
    if not can(user, action, obj):
        raise forbidden() if can(user, Action.READ, obj) else not_found()


def _pk(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise not_found() from None


def access_org(user, org_id, action: Action | str = Action.READ) -> Organization:
    org = Organization.objects.filter(pk=_pk(org_id)).first()
    if org is None or not can(user, Action.READ, org):
        raise not_found()
    require(user, action, org)
    return org


def access_member(user, member_id, action: Action | str = Action.READ) -> Member:
    member = Member.objects.select_related("branch", "user").filter(pk=_pk(member_id)).first()
    if member is None or not can(user, Action.READ, member):
        raise not_found()
    require(user, action, member)
    return member


def access_campaign(user, campaign_id, action: Action | str = Action.READ) -> Campaign:
    campaign = Campaign.objects.select_related("org", "parent").filter(pk=_pk(campaign_id)).first()
    if campaign is None or not can(user, Action.READ, campaign):
        raise not_found()
    require(user, action, campaign)
    return campaign


def access_activity(user, activity_id, action: Action | str = Action.READ) -> Activity:
    activity = (
        Activity.objects.select_related("branch", "campaign").filter(pk=_pk(activity_id)).first()
    )
    if activity is None or not can(user, Action.READ, activity):
        raise not_found()
    require(user, action, activity)
    return activity


def scoped_activities(user) -> QuerySet[Activity]:
    """Activities the user may read: those of branches in their admin scope, and their own
    branch's."""
    q = admin_scope_q(user, "branch__path")
    member = own_member(user)
    if member is not None:
        q |= Q(branch_id=member.branch_id)
    return Activity.objects.filter(q)


def scoped_campaigns(user) -> QuerySet[Campaign]:
    """Campaigns addressed to the user's scope: issued at or above any organization they
    administer or their branch, or inside their admin subtree."""
    paths = list(admin_paths(user))
    member = own_member(user)
    if member is not None:
        paths.append(member.branch.path)
    if not paths:
        return Campaign.objects.none()
    step = Organization.steplen
    above = {p[: step * i] for p in paths for i in range(1, len(p) // step + 1)}
    return Campaign.objects.filter(Q(org__path__in=above) | admin_scope_q(user, "org__path"))


def scoped_orgs(user) -> QuerySet[Organization]:
    """Organizations the user may read."""
    q = admin_scope_q(user)
    member = own_member(user)
    if member is not None:
        q |= Q(pk=member.branch_id)
    return Organization.objects.filter(q)


def scoped_members(user) -> QuerySet[Member]:
    """Members whose records the user may read."""
    q = admin_scope_q(user, "branch__path")
    member = own_member(user)
    if member is not None:
        q |= Q(pk=member.pk)
    return Member.objects.filter(q)

"""Who may do what with the quarterly bulletin (issue 21, point 4). Part of
dangjian.permissions, which re-exports every name here: callers import the package, never
this module.

A bulletin is the business of the admins of its organization (or above): they generate,
publish and correct it, and read its drafts. Once published it is the subtree's: every
admin and member under the organization reads it, as they read a notice sent to them."""

from django.db.models import Q, QuerySet

from dangjian.permissions import (
    Action,
    _access,
    _admin_grants,
    _in_subtree,
    _paths_at_or_above,
    admin_scope_q,
    is_admin_over,
    standing_paths,
)
from dangjian.registry.models import Organization
from dangjian.supervision.models import Bulletin, BulletinStatus

PUBLIC_STATUSES = (BulletinStatus.PUBLISHED, BulletinStatus.SUPERSEDED)


def _can_bulletin(user, action: Action, bulletin: Bulletin) -> bool:
    if is_admin_over(user, bulletin.org):
        return action in (Action.READ, Action.CHANGE)
    return (
        action == Action.READ
        and bulletin.status in PUBLIC_STATUSES
        and _in_subtree(user, bulletin.org.path)
    )


def access_bulletin(user, bulletin_id, action: Action | str = Action.READ) -> Bulletin:
    bulletins = Bulletin.objects.select_related("org", "replaces")
    return _access(user, bulletins, bulletin_id, action)


def scoped_bulletins(user) -> QuerySet[Bulletin]:
    """The bulletins of the organizations the user administers (drafts included), and the
    published ones issued above or at what they administer or their branch."""
    q = admin_scope_q(user, "org__path")
    above = _paths_at_or_above(standing_paths(user))
    if above:
        q |= Q(org__path__in=above, status__in=PUBLIC_STATUSES)
    return Bulletin.objects.filter(q)


def subtree_admin_user_ids(org: Organization) -> list[int]:
    """The admins of the organization and of every organization under it: who a bulletin
    published for the subtree is sent to besides its members."""
    return list(
        _admin_grants(org__path__startswith=org.path, user__is_active=True)
        .order_by("user_id")
        .values_list("user_id", flat=True)
        .distinct()
    )

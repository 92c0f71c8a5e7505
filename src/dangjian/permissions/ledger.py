"""Who may import historical theme days and build and read a branch's ledger (台账; issue
21, point 7). Part of dangjian.permissions, which re-exports every name here: callers
import the package, never this module."""

from django.db.models import QuerySet

from dangjian.permissions import (
    Action,
    _access,
    _authenticated,
    admin_scope_q,
    is_admin_above,
    is_admin_over,
)
from dangjian.registry.models import Organization, OrgKind
from dangjian.themedays.models import Ledger


def may_import_history(user, org: Organization) -> bool:
    """Historical days go into a branch from above it: an admin over a committee imports
    for the branches under it, and into one branch only an admin above that branch, so
    that a branch never enters its own past unseen (as a late record needs a superior)."""
    if not _authenticated(user):
        return False
    if org.kind == OrgKind.BRANCH:
        return is_admin_above(user, org)
    return is_admin_over(user, org)


def may_request_ledger(user, branch: Organization) -> bool:
    """A branch's ledger is built for its own admins (the secretary) and the admins above."""
    return _authenticated(user) and branch.kind == OrgKind.BRANCH and is_admin_over(user, branch)


def _can_ledger(user, action: Action, ledger: Ledger) -> bool:
    if action in (Action.READ, Action.CHANGE):
        return is_admin_over(user, ledger.branch)
    return False


def access_ledger(user, ledger_id, action: Action | str = Action.READ) -> Ledger:
    ledgers = Ledger.objects.select_related("branch", "requested_by")
    return _access(user, ledgers, ledger_id, action)


def scoped_ledgers(user) -> QuerySet[Ledger]:
    """The ledgers of the branches in the user's admin scope."""
    return Ledger.objects.filter(admin_scope_q(user, "branch__path"))


__all__ = [
    "Ledger",
    "_can_ledger",
    "access_ledger",
    "may_import_history",
    "may_request_ledger",
    "scoped_ledgers",
]

"""Who reads and makes the monthly supervision sheets (一月一督查). Part of
dangjian.permissions, which re-exports every name here: callers import the package, never
this module.

A county's sheet is the business of the admins of the county and above it (the city): a
township's admins, inside the county, see only their own branches elsewhere, never the
county's whole list. Making the sheets of a month by hand is the city's (a root admin's)."""

from django.db.models import QuerySet

from dangjian.permissions import (
    Action,
    _access,
    _admin_grants,
    admin_scope_q,
    is_admin_over,
    root_orgs,
)
from dangjian.supervision.models import MonthlySheet


def _can_monthly_sheet(user, action: Action, sheet: MonthlySheet) -> bool:
    return action == Action.READ and is_admin_over(user, sheet.county)


def access_monthly_sheet(user, sheet_id, action: Action | str = Action.READ) -> MonthlySheet:
    return _access(user, MonthlySheet.objects.select_related("county"), sheet_id, action)


def scoped_monthly_sheets(user) -> QuerySet[MonthlySheet]:
    return MonthlySheet.objects.filter(admin_scope_q(user, "county__path"))


def may_run_monthly_supervision(user) -> bool:
    return bool(root_orgs(user))


def own_admin_user_ids(org_ids) -> dict[int, list[int]]:
    """Each organization's own admins (those `branch_admin_user_ids` answers for one), for
    many organizations in one query: who a month's reminders go to."""
    found: dict[int, list[int]] = {}
    for org_id, user_id in (
        _admin_grants(org_id__in=list(org_ids), user__is_active=True)
        .order_by("org_id", "pk")
        .values_list("org_id", "user_id")
    ):
        found.setdefault(org_id, []).append(user_id)
    return found

"""Who may do what in the annual appraisal (issue 21, point 5). Part of
dangjian.permissions, which re-exports every name here: callers import the package, never
this module.

An appraisal is the city's: the admins of its organization generate it, change a grade
(with a reason) and confirm it. A county's part is its admins': they propose its grades.
Every admin inside the city reads the appraisal, and of its entries those of the
branches they administer."""

from django.db.models import QuerySet

from dangjian.permissions import (
    Action,
    _access,
    _paths_at_or_above,
    _pk,
    admin_paths,
    admin_scope_q,
    can,
    is_admin_over,
    not_found,
    require,
)
from dangjian.registry.models import Organization
from dangjian.supervision.models import Appraisal, AppraisalCounty, AppraisalEntry

APPRAISAL_MODELS = (Appraisal, AppraisalCounty, AppraisalEntry)


def _admin_inside(user, org: Organization) -> bool:
    return any(p.startswith(org.path) for p in admin_paths(user))


def _can_appraisal(user, action: Action, obj) -> bool:
    """READ: an appraisal, by any admin inside its organization; a county's part, by the
    county's admins and the city's; an entry, by the admins over its branch. CHANGE: a
    county's part and its entries' proposed grades, by the admins over the county (the
    city's included). REVIEW (change a grade with a reason, confirm): the city's admins."""
    appraisal = obj if isinstance(obj, Appraisal) else obj.appraisal
    city = is_admin_over(user, appraisal.org)
    if isinstance(obj, Appraisal):
        if action == Action.READ:
            return _admin_inside(user, obj.org)
        return city and action in (Action.CHANGE, Action.REVIEW)
    if action == Action.REVIEW:
        return city
    over_county = is_admin_over(user, obj.county)
    if isinstance(obj, AppraisalCounty):
        return over_county and action in (Action.READ, Action.CHANGE)
    if action == Action.READ:
        return is_admin_over(user, obj.branch)
    return over_county and action == Action.CHANGE


def access_appraisal(user, appraisal_id, action: Action | str = Action.READ) -> Appraisal:
    return _access(user, Appraisal.objects.select_related("org"), appraisal_id, action)


def access_appraisal_county(
    user, appraisal: Appraisal, county_id, action: Action | str = Action.READ
) -> AppraisalCounty:
    """A county's part of an appraisal already fetched in scope, by the county's id: the
    same not_found whether it is missing or out of scope."""
    part = (
        AppraisalCounty.objects.select_related("appraisal", "appraisal__org", "county")
        .filter(appraisal=appraisal, county_id=_pk(county_id))
        .first()
    )
    if part is None or not can(user, Action.READ, part):
        raise not_found()
    require(user, action, part)
    return part


def access_appraisal_entry(user, entry_id, action: Action | str = Action.READ) -> AppraisalEntry:
    entries = AppraisalEntry.objects.select_related(
        "appraisal", "appraisal__org", "branch", "county"
    )
    return _access(user, entries, entry_id, action)


def scoped_appraisals(user) -> QuerySet[Appraisal]:
    """The appraisals of the organizations at or above those the user administers."""
    paths = _paths_at_or_above(admin_paths(user))
    return Appraisal.objects.filter(org__path__in=paths) if paths else Appraisal.objects.none()


def scoped_appraisal_entries(user) -> QuerySet[AppraisalEntry]:
    """The entries of the branches in the user's admin scope."""
    return AppraisalEntry.objects.filter(admin_scope_q(user, "branch__path"))


def scoped_appraisal_counties(user) -> QuerySet[AppraisalCounty]:
    """The counties' parts the user reads: of the counties they administer, and every
    county's of an appraisal whose organization they administer."""
    return AppraisalCounty.objects.filter(
        admin_scope_q(user, "county__path") | admin_scope_q(user, "appraisal__org__path")
    )


__all__ = [
    "APPRAISAL_MODELS",
    "_can_appraisal",
    "access_appraisal",
    "access_appraisal_county",
    "access_appraisal_entry",
    "scoped_appraisal_counties",
    "scoped_appraisal_entries",
    "scoped_appraisals",
]

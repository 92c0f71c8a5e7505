"""Reads of who takes part: a community's service menu, the communities a citizen or a
member chooses from, and the specialty database (党员特长库) of an admin's scope. Lists
start from the scoped querysets of dangjian.permissions."""

from django.db import connection
from django.db.models import QuerySet

from dangjian import permissions
from dangjian.registry.models import Organization
from dangjian.volunteering.models import ServiceCategory, VolunteerProfile
from dangjian.volunteering.rules import ancestor_paths, community_q

CHOICES_LIMIT = 200


def menu_for(community: Organization) -> QuerySet[ServiceCategory]:
    """The menu a community's citizens order from: the active entries of the community and
    of the organizations above it (its town, its county), the nearest last."""
    return (
        ServiceCategory.objects.filter(is_active=True, org__path__in=ancestor_paths(community.path))
        .select_related("org")
        .order_by("org__depth", "sort_order", "id")
    )


def menu_entries_kept_by(user) -> QuerySet[ServiceCategory]:
    """Every entry (active or not) of the menus the admin keeps."""
    return (
        permissions.scoped_service_categories(user)
        .select_related("org")
        .order_by("org__path", "sort_order", "id")
    )


def communities(query: str = "") -> QuerySet[Organization]:
    """The active villages and communities (volunteering.rules.is_community) a citizen
    lives in or a member reports to, by name, at most CHOICES_LIMIT."""
    qs = Organization.objects.filter(community_q(), is_active=True).order_by("path")
    query = (query or "").strip()
    if query:
        qs = qs.filter(name__icontains=query)
    return qs


def communities_administered(user) -> list[Organization]:
    """The villages and communities of the admin's scope (the specialty database's filter),
    at most CHOICES_LIMIT."""
    scoped = communities().filter(permissions.admin_scope_q(user))
    return list(scoped[:CHOICES_LIMIT])


def _has_skill(qs: QuerySet[VolunteerProfile], skill: str) -> QuerySet[VolunteerProfile]:
    # JSON containment: PostgreSQL's @>; SQLite has no `contains` lookup on JSON, so the
    # list's elements are read with json_each.
    if connection.vendor == "postgresql":
        return qs.filter(skills__contains=[skill])
    # The table's name is the model's own and the skill a bound parameter.
    table = VolunteerProfile._meta.db_table
    exists = f'EXISTS (SELECT 1 FROM json_each("{table}"."skills") WHERE value = %s)'  # noqa: S608
    return qs.extra(where=[exists], params=[skill])  # noqa: S610


def profiles_in_scope(
    user, *, skill: str = "", community_id: int | None = None
) -> QuerySet[VolunteerProfile]:
    """The specialty database of the admin's scope (members of their branches and members
    reporting to their communities), optionally those with `skill` or reporting to
    `community_id`; with what a list shows in the same query."""
    qs = permissions.scoped_volunteer_profiles(user).filter(member__is_active=True)
    skill = (skill or "").strip()
    if skill:
        qs = _has_skill(qs, skill)
    if community_id:
        qs = qs.filter(community_id=community_id)
    return qs.select_related("member", "member__branch", "community").order_by(
        "member__branch__path", "member__name", "pk"
    )

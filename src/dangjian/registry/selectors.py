"""Reads shared by pages and the API. Lists always start from a scoped queryset."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Substr

from dangjian import permissions
from dangjian.core import clock, shortcache
from dangjian.registry.invitations import activated_q
from dangjian.registry.models import (
    ApiToken,
    Member,
    Organization,
    OrgKind,
    Role,
    RoleGrant,
    WechatBinding,
)


def parent_ids(orgs: list[Organization]) -> dict[int, int | None]:
    """Map org id -> parent id for a page of organizations, in one query."""
    step = Organization.steplen
    wanted = {o.path[:-step] for o in orgs if o.depth > 1}
    by_path = (
        dict(Organization.objects.filter(path__in=wanted).values_list("path", "pk"))
        if wanted
        else {}
    )
    return {o.pk: by_path.get(o.path[:-step]) for o in orgs}


# The tree's levels under the city (its root): counties (区县), then towns (乡镇、街道).
COUNTY_DEPTH = 2
TOWN_DEPTH = 3


def _ancestor_name(depth: int, path: str = "path") -> Subquery:
    """The name of the organization's ancestor at `depth` (none for the ancestor itself
    or above it): a correlated look-up on the unique path index, in the same query."""
    ancestor = Organization.objects.filter(
        path=Substr(OuterRef(path), 1, depth * Organization.steplen), depth=depth
    ).exclude(path=OuterRef(path))
    return Subquery(ancestor.values("name")[:1])


def place_names(path: str = "path") -> dict:
    """Annotations naming the county and the town an organization is in (None where it
    has none), so that two branches of the same name are told apart on any list:
    `qs.annotate(**place_names())`, or `place_names("branch__path")` for rows of a
    branch."""
    return {
        "county_name": _ancestor_name(COUNTY_DEPTH, path),
        "town_name": _ancestor_name(TOWN_DEPTH, path),
    }


def branch_categories(org: Organization) -> list[str]:
    """The categories (分类) the active branches under `org` have, for a filter's choices."""
    return list(
        Organization.objects.filter(path__startswith=org.path, kind=OrgKind.BRANCH, is_active=True)
        .exclude(category="")
        .order_by("category")
        .values_list("category", flat=True)
        .distinct()
    )


def parent_id(org: Organization) -> int | None:
    return parent_ids([org])[org.pk]


def children(org: Organization) -> QuerySet[Organization]:
    return Organization.objects.filter(path__startswith=org.path, depth=org.depth + 1).order_by(
        "name", "path"
    )


def ancestors(org: Organization) -> list[Organization]:
    return list(Organization.objects.filter(path__in=org.ancestor_paths()).order_by("depth"))


def search_orgs(actor, *, q: str = "", kind: str = "", sector: str = "") -> QuerySet[Organization]:
    qs = permissions.scoped_orgs(actor)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code=q))
    if kind:
        qs = qs.filter(kind=kind)
    if sector:
        qs = qs.filter(sector=sector)
    return qs.order_by("path")


def top_orgs(actor) -> QuerySet[Organization]:
    """The roots of what the actor sees: the organizations they administer (outermost
    only), or their own branch."""
    paths = permissions.admin_paths(actor)
    if paths:
        return Organization.objects.filter(path__in=paths).order_by("path")
    member = permissions.own_member(actor)
    if member is not None:
        return Organization.objects.filter(pk=member.branch_id)
    return Organization.objects.none()


def members_of(
    actor,
    org: Organization,
    *,
    subtree: bool = True,
    q: str = "",
    status: str = "",
    flowing: bool | None = None,
    active: bool | None = True,
    sector: str = "",
) -> QuerySet[Member]:
    qs = permissions.scoped_members(actor).select_related("branch", "user")
    if subtree:
        qs = qs.filter(branch__path__startswith=org.path)
    else:
        qs = qs.filter(branch=org)
    if q:
        q = q.strip()
        query = Q(name__icontains=q) | Q(user__phone=q)
        if len(q) == 18:
            from dangjian.registry import crypto, idcard

            query |= Q(id_number_hash=crypto.keyed_hash(idcard.normalize(q)))
        qs = qs.filter(query)
    if status:
        qs = qs.filter(status=status)
    if flowing is not None:
        qs = qs.filter(is_flowing=flowing)
    if active is not None:
        qs = qs.filter(is_active=active)
    if sector:
        qs = qs.filter(branch__sector=sector)
    return qs.order_by("branch__path", "name", "pk")


def admins_of(org: Organization) -> QuerySet[RoleGrant]:
    return (
        RoleGrant.objects.filter(org=org, role=Role.ADMIN)
        .select_related("user", "user__member")
        .order_by("granted_at")
    )


def transfers_of(member: Member):
    return member.transfers.select_related("from_branch", "to_branch", "actor").order_by(
        "-transferred_at"
    )


def live_api_tokens(user) -> QuerySet[ApiToken]:
    """The user's own unexpired API tokens, newest first."""
    return ApiToken.objects.filter(user=user, expires_at__gt=clock.now()).order_by(
        "-created_at", "-pk"
    )


def openids_of(user_ids) -> dict[int, str]:
    """The WeChat openid of each of these accounts that is bound and active: {user_id:
    openid}. Accounts without a binding are left out."""
    return dict(
        WechatBinding.objects.filter(user_id__in=list(user_ids), user__is_active=True).values_list(
            "user_id", "openid"
        )
    )


@dataclass(frozen=True)
class ActivationRate:
    org: Organization
    members: int
    activated: int
    # When the figure was counted, if it was kept (dashboard_activation_rate).
    counted_at: datetime | None = None

    @property
    def not_activated(self) -> int:
        return self.members - self.activated

    @property
    def percent(self) -> float | None:
        """Activated ÷ members, in percent with one decimal; None without members."""
        return round(100 * self.activated / self.members, 1) if self.members else None


def activation_rate(org: Organization) -> ActivationRate:
    """The activation rate of `org`'s whole subtree alone (the dashboards' figure)."""
    counts = Member.objects.filter(is_active=True, branch__path__startswith=org.path).aggregate(
        members=Count("pk"), activated=Count("pk", filter=activated_q())
    )
    return ActivationRate(org, counts["members"], counts["activated"])


# A city's or a province's rate counts every member of the scope joined to their account
# on each call (seconds at a million members, linear), and a dashboard is opened again and
# again; activations move the rate slowly, so the dashboards show it kept this long. The
# organization page, where the invitations are sent, counts it live.
ACTIVATION_CACHE_SECONDS = 300


def dashboard_activation_rate(org: Organization) -> ActivationRate:
    """`activation_rate` as the dashboards show it: a branch's counted live (its few rows),
    a wider scope's kept in the shared cache for ACTIVATION_CACHE_SECONDS, stamped with
    when it was counted."""
    if org.is_branch:
        return activation_rate(org)
    key = shortcache.key("registry:activation", org.pk, org.path)
    kept = shortcache.get_many([key]).get(key)
    if kept is not None:
        members, activated, counted_at = kept
        return ActivationRate(org, members, activated, counted_at)
    counted_at = clock.now()
    rate = activation_rate(org)
    shortcache.set_many(
        {key: (rate.members, rate.activated, counted_at)}, timeout=ACTIVATION_CACHE_SECONDS
    )
    return ActivationRate(org, rate.members, rate.activated, counted_at)


def activation_rates(org: Organization) -> tuple[ActivationRate, list[ActivationRate]]:
    """The activation rate of `org` (its whole subtree) and of each of its direct children,
    counting the members on the books (registry.invitations.is_activated), in one query."""
    step = Organization.steplen
    kids = list(children(org))
    counts = dict.fromkeys((k.path for k in kids), (0, 0))
    rows = (
        Member.objects.filter(is_active=True, branch__path__startswith=org.path)
        .annotate(prefix=Substr("branch__path", 1, step * (org.depth + 1)))
        .values("prefix")
        .annotate(members=Count("pk"), activated=Count("pk", filter=activated_q()))
        .values_list("prefix", "members", "activated")
    )
    total = [0, 0]
    for prefix, members, activated in rows:
        total[0] += members
        total[1] += activated
        if prefix in counts:
            counts[prefix] = (members, activated)
    return ActivationRate(org, *total), [ActivationRate(k, *counts[k.path]) for k in kids]

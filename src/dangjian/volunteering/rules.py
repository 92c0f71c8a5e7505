"""The volunteer cloud call's rules as pure functions: what a community is, how far a
published order reaches and where it escalates, which state may follow which. Services,
selectors and dangjian.permissions all ask here."""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dangjian.registry.models import Organization, OrgKind, Sector
from dangjian.volunteering.models.orders import OrderState

# A county's organizations sit at this depth (the city is 1); an order escalates no higher.
COUNTY_DEPTH = 2
STEP = Organization.steplen

COMMUNITY_SECTORS = frozenset({Sector.COMMUNITY, Sector.RURAL})


def is_community(kind: str, sector: str) -> bool:
    """A village or a community: its Party branch (or general branch) of the rural or
    community sector. Town and street committees carry those sectors too but are the level
    above."""
    return sector in COMMUNITY_SECTORS and kind != OrgKind.COMMITTEE


def community_q(prefix: str = "") -> Q:
    """`is_community` as a filter on organizations (`prefix`: the path to them, such as
    "community__")."""
    return Q(**{f"{prefix}sector__in": COMMUNITY_SECTORS}) & ~Q(
        **{f"{prefix}kind": OrgKind.COMMITTEE}
    )


def ancestor_paths(path: str) -> list[str]:
    """The path itself and every path above it, nearest last."""
    return [path[:i] for i in range(STEP, len(path) + 1, STEP)]


def escalation_path(reach_path: str) -> str | None:
    """Where an order that reached `reach_path` escalates next: the organization above
    (the town or street, then the county), or None once the county is reached."""
    depth = len(reach_path) // STEP
    if depth <= COUNTY_DEPTH:
        return None
    return reach_path[: (depth - 1) * STEP]


def on_menu(category_org_path: str, *, community_path: str) -> bool:
    """A community's menu is its own entries and those of the organizations above it (the
    town's, the county's)."""
    return community_path.startswith(category_org_path)


def reaches(reach_path: str, *, branch_path: str | None, community_path: str | None) -> bool:
    """A published order reaching `reach_path` is seen by the members whose branch lies in
    that subtree, or who report to a community (双报到) in it."""
    return any(p is not None and p.startswith(reach_path) for p in (branch_path, community_path))


# The order states, from the model (OrderState): the rules name them, the model keeps them.
S = OrderState

# state -> the states it may move to. Claimed covers some or all places taken; releasing
# the last claim moves an order back to published.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.SUBMITTED: frozenset({S.PUBLISHED, S.DECLINED, S.CANCELLED}),
    S.PUBLISHED: frozenset({S.CLAIMED, S.CANCELLED, S.EXPIRED}),
    S.CLAIMED: frozenset({S.PUBLISHED, S.IN_SERVICE, S.CANCELLED, S.EXPIRED}),
    S.IN_SERVICE: frozenset({S.COMPLETED}),
    S.COMPLETED: frozenset({S.CONFIRMED}),
    S.CONFIRMED: frozenset(),
    S.DECLINED: frozenset(),
    S.CANCELLED: frozenset(),
    S.EXPIRED: frozenset(),
}
OPEN_FOR_CLAIMS = frozenset({S.PUBLISHED, S.CLAIMED})
# The states in which members (not only the requester and the admins) see an order.
VISIBLE_TO_VOLUNTEERS = frozenset({S.PUBLISHED, S.CLAIMED, S.IN_SERVICE, S.COMPLETED, S.CONFIRMED})
FINISHED = frozenset({S.CONFIRMED, S.DECLINED, S.CANCELLED, S.EXPIRED})


def may_move(from_state: str, to_state: str) -> bool:
    return to_state in TRANSITIONS.get(from_state, frozenset())


NOT_ALLOWED_NOW = _("该需求当前状态下不能执行此操作。")

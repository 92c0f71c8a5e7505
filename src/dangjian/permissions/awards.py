"""Who may do what in the quarterly awards (issue 21, point 6). Part of
dangjian.permissions, which re-exports every name here: callers import the package, never
this module.

A round is the city's: its admins move it on, select and publish. The admins inside the
city read it while it runs; its members read it once published. A county's admins
nominate (the `SUPERVISE` of the county organization) and withdraw their nominations; a
branch's admins (and those above) submit its cases. Published, selected nominations are
read by everyone the round reaches."""

from django.db.models import Q, QuerySet

from dangjian.permissions import (
    Action,
    _access,
    _admin_grants,
    _authenticated,
    _paths_at_or_above,
    admin_paths,
    admin_scope_q,
    is_admin_over,
    own_member,
    standing_paths,
)
from dangjian.supervision.models import (
    AwardRound,
    AwardRoundStatus,
    CasePhoto,
    GoldenIdeaCase,
    Nomination,
)

__all__ = [
    "AWARD_MODELS",
    "can_awards",
    "access_award_round",
    "access_case",
    "access_case_photo",
    "access_nomination",
    "scoped_award_rounds",
    "scoped_cases",
    "scoped_nominations",
    "branch_admins_of",
]

# The objects whose rules are here: `can()` hands them to `can_awards`.
AWARD_MODELS = (AwardRound, GoldenIdeaCase, Nomination)


def _admin_inside(user, path: str) -> bool:
    """Administers the organization at `path`, something inside it or above it."""
    return any(p.startswith(path) or path.startswith(p) for p in admin_paths(user))


def _reached_by_published(user, round_: AwardRound) -> bool:
    """A published round reaches the admins and the members inside its city."""
    if round_.status != AwardRoundStatus.PUBLISHED:
        return False
    member = own_member(user)
    in_city = member is not None and member.branch.path.startswith(round_.org.path)
    return in_city or _admin_inside(user, round_.org.path)


def can_awards(user, action: Action, obj) -> bool:
    if isinstance(obj, AwardRound):
        if is_admin_over(user, obj.org):
            return True
        if action != Action.READ:
            return False
        return _admin_inside(user, obj.org.path) or _reached_by_published(user, obj)
    if isinstance(obj, GoldenIdeaCase):
        if is_admin_over(user, obj.branch):
            return True
        member = own_member(user)
        return action == Action.READ and member is not None and member.branch_id == obj.branch_id
    # A nomination: its county's admins (and the city's) keep it; the nominated branch's
    # admins read it; once published, a selected one is read by all the round reaches.
    if action == Action.REVIEW:
        return is_admin_over(user, obj.round.org)
    if is_admin_over(user, obj.county):
        return True
    if action != Action.READ:
        return False
    if is_admin_over(user, obj.branch):
        return True
    return obj.is_selected and _reached_by_published(user, obj.round)


def access_award_round(user, round_id, action: Action | str = Action.READ) -> AwardRound:
    return _access(user, AwardRound.objects.select_related("org"), round_id, action)


def access_case(user, case_id, action: Action | str = Action.READ) -> GoldenIdeaCase:
    cases = GoldenIdeaCase.objects.select_related("round", "round__org", "branch")
    return _access(user, cases, case_id, action)


def access_case_photo(user, photo_id) -> CasePhoto:
    photos = CasePhoto.objects.select_related("case", "case__branch")
    return _access(user, photos, photo_id, Action.READ, checked=lambda photo: photo.case)


def access_nomination(user, nomination_id, action: Action | str = Action.READ) -> Nomination:
    nominations = Nomination.objects.select_related(
        "round", "round__org", "county", "branch", "case", "member"
    )
    return _access(user, nominations, nomination_id, action)


def _published_in_reach_q(user, prefix: str = "") -> Q:
    """Rows of published rounds whose city lies at or above what the user stands in."""
    paths = standing_paths(user)
    if not paths:
        return Q(pk__in=[])
    return Q(
        **{
            f"{prefix}status": AwardRoundStatus.PUBLISHED,
            f"{prefix}org__path__in": _paths_at_or_above(paths),
        }
    )


def scoped_award_rounds(user) -> QuerySet[AwardRound]:
    """Rounds the user may read (`_can_awards`), as a filter."""
    if not _authenticated(user):
        return AwardRound.objects.none()
    admin = admin_paths(user)
    q = admin_scope_q(user, "org__path") | _published_in_reach_q(user)
    if admin:
        q |= Q(org__path__in=_paths_at_or_above(admin))
    return AwardRound.objects.filter(q)


def scoped_cases(user) -> QuerySet[GoldenIdeaCase]:
    """Cases of the branches in the user's admin scope, and of their own branch."""
    q = admin_scope_q(user, "branch__path")
    member = own_member(user)
    if member is not None:
        q |= Q(branch_id=member.branch_id)
    return GoldenIdeaCase.objects.filter(q)


def scoped_nominations(user) -> QuerySet[Nomination]:
    """Nominations of the user's counties (or city) and branches, and the selected ones of
    the published rounds that reach them."""
    if not _authenticated(user):
        return Nomination.objects.none()
    q = admin_scope_q(user, "county__path") | admin_scope_q(user, "branch__path")
    q |= Q(is_selected=True) & _published_in_reach_q(user, "round__")
    return Nomination.objects.filter(q)


def branch_admins_of(branch_ids) -> list[int]:
    """The own admins (`branch_admin_user_ids`) of many organizations, in one query: who is
    told that their branch won, or (of the counties) of a round's steps."""
    return list(
        _admin_grants(org_id__in=list(branch_ids), user__is_active=True)
        .order_by("user_id")
        .values_list("user_id", flat=True)
        .distinct()
    )

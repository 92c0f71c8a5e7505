"""Who is on an activity's roster (docs/product.md, "Checking in and out"): the one rule, used
by attendance (check-in, leave, corrections, closing), interaction (who may comment and like),
scoring (who counts) and permissions.

The roster is the branch's members as they stood at the activity's start, flowing members
included. Which source answers depends only on where the activity is in time:

- before the start: the branch's active members now (`LIVE`);
- from the start, once frozen (`themedays.services.freeze_roster`, run by the scheduler at
  the start): the `RosterEntry` rows (`FROZEN`);
- from the start, not frozen yet (the scheduler is late or down): the members of the
  branch at the start, rebuilt from the transfer history (`AT_START`), so that a transfer
  a minute after the start drops no one and adds no one.

`source()` and `member_then()` are the rule itself, pure; the rest reads the database the
way each source needs."""

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import NamedTuple

from django.db.models import Q
from django.utils import timezone

from dangjian.core import clock
from dangjian.registry.models import Member, Transfer
from dangjian.themedays.models import Activity, RosterEntry


class Source(StrEnum):
    LIVE = "live"
    FROZEN = "frozen"
    AT_START = "at_start"


def source(*, starts_at: datetime, is_frozen: bool, now: datetime) -> Source:
    """Where the roster of an activity is read from at `now`."""
    if is_frozen:
        return Source.FROZEN
    if now < starts_at:
        return Source.LIVE
    return Source.AT_START


@dataclass(frozen=True)
class Standing:
    """What the rule needs to know of one member: where they are now, whether they are
    still on the register, and the branch they left in their first transfer after the
    activity's start (None: no transfer since)."""

    branch_id: int
    is_active: bool
    left_on: date | None
    left_branch_after_start: int | None = None


def member_then(standing: Standing, *, branch_id: int, starts_at: datetime) -> bool:
    """Whether the member belonged to `branch_id` at `starts_at`: their branch then is the
    one their first later transfer left, or their branch now; and they were on the register
    (active, or left on a later day)."""
    branch_then = standing.left_branch_after_start or standing.branch_id
    active_then = standing.is_active or (
        standing.left_on is not None and standing.left_on > timezone.localdate(starts_at)
    )
    return branch_then == branch_id and active_then


def member_now(standing: Standing, *, branch_id: int) -> bool:
    return standing.is_active and standing.branch_id == branch_id


def on_roster(
    *,
    branch_id: int,
    starts_at: datetime,
    is_frozen: bool,
    on_frozen_roster: bool,
    standing: Standing | None,
    now: datetime,
) -> bool:
    """The rule, from facts already read (the check-in reads them in its one query)."""
    if standing is None:
        return False
    match source(starts_at=starts_at, is_frozen=is_frozen, now=now):
        case Source.FROZEN:
            return on_frozen_roster
        case Source.LIVE:
            return member_now(standing, branch_id=branch_id)
        case Source.AT_START:
            return member_then(standing, branch_id=branch_id, starts_at=starts_at)


def standing_of(member: Member, *, after: datetime | None = None) -> Standing:
    """A member's standing; with `after`, the branch their first transfer after it left."""
    left_branch = None
    if after is not None:
        left_branch = (
            Transfer.objects.filter(member_id=member.pk, transferred_at__gt=after)
            .order_by("transferred_at", "id")
            .values_list("from_branch_id", flat=True)
            .first()
        )
    return Standing(member.branch_id, member.is_active, member.left_at, left_branch)


def is_on_roster(activity: Activity, member: Member | None, *, now: datetime | None = None) -> bool:
    """Whether `member` is on `activity`'s roster at `now` (the server's clock)."""
    if member is None:
        return False
    now = now or clock.now()
    frozen = activity.roster_frozen_at is not None
    kind = source(starts_at=activity.starts_at, is_frozen=frozen, now=now)
    return on_roster(
        branch_id=activity.branch_id,
        starts_at=activity.starts_at,
        is_frozen=frozen,
        on_frozen_roster=frozen
        and RosterEntry.objects.filter(activity_id=activity.pk, member_id=member.pk).exists(),
        standing=standing_of(member, after=activity.starts_at if kind == Source.AT_START else None),
        now=now,
    )


def members_at(branch_id: int, at: datetime) -> list[Member]:
    """The branch's members at an instant (`member_then` for each candidate: the branch's
    members now and those who moved in or out of it since), by name."""
    # A list, not a subquery: with `OR id IN (subquery)` PostgreSQL scans every member.
    moved = list(
        Transfer.objects.filter(
            Q(from_branch_id=branch_id) | Q(to_branch_id=branch_id), transferred_at__gt=at
        ).values_list("member_id", flat=True)
    )
    candidates = Member.objects.filter(Q(branch_id=branch_id) | Q(pk__in=moved))
    first_left: dict[int, int] = {}
    for member_id, from_branch in (
        Transfer.objects.filter(member__in=candidates, transferred_at__gt=at)
        .order_by("member_id", "transferred_at", "id")
        .values_list("member_id", "from_branch_id")
    ):
        first_left.setdefault(member_id, from_branch)
    return [
        member
        for member in candidates.order_by("name", "pk")
        if member_then(
            Standing(member.branch_id, member.is_active, member.left_at, first_left.get(member.pk)),
            branch_id=branch_id,
            starts_at=at,
        )
    ]


def live_members(branch_id: int):
    """The branch's active members now: the roster before the start."""
    return Member.objects.filter(branch_id=branch_id, is_active=True)


class RosterRow(NamedTuple):
    member_id: int
    user_id: int
    name: str
    is_flowing: bool


def roster_of(activity: Activity, *, now: datetime | None = None) -> list[RosterRow]:
    """The roster at `now`, by name."""
    frozen = activity.roster_frozen_at is not None
    match source(starts_at=activity.starts_at, is_frozen=frozen, now=now or clock.now()):
        case Source.FROZEN:
            return [
                RosterRow(r.member_id, r.member.user_id, r.member.name, r.is_flowing)
                for r in RosterEntry.objects.filter(activity=activity)
                .select_related("member")
                .order_by("member__name", "member_id")
            ]
        case Source.LIVE:
            members = list(live_members(activity.branch_id).order_by("name", "pk"))
        case Source.AT_START:
            members = members_at(activity.branch_id, activity.starts_at)
    return [RosterRow(m.pk, m.user_id, m.name, m.is_flowing) for m in members]


def roster_size(activity: Activity, *, now: datetime | None = None) -> int:
    """How many are on the roster at `now`; a page of activities annotated by
    `themedays.selectors.with_roster_size` answers from that (frozen or live counts)."""
    frozen = activity.roster_frozen_at is not None
    kind = source(starts_at=activity.starts_at, is_frozen=frozen, now=now or clock.now())
    if kind != Source.AT_START and hasattr(activity, "n_roster"):
        return activity.n_roster
    match kind:
        case Source.FROZEN:
            return RosterEntry.objects.filter(activity=activity).count()
        case Source.LIVE:
            return live_members(activity.branch_id).count()
        case Source.AT_START:
            return len(members_at(activity.branch_id, activity.starts_at))

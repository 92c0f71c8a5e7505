"""The inputs of an activity's score, counted from the attendance and interaction tables
over its roster, and the score they give under the policy in force: what `services`
stores when it recomputes, and what `selectors.score_of` shows for a held activity not
stored yet.

Who is on the roster is `themedays.roster`'s rule, chosen per activity with
`roster.source()`: a frozen roster is counted in grouped SQL over its `RosterEntry` rows
(almost every held activity: the scheduler freezes at the start, closing freezes too); a
roster not frozen yet is read one activity at a time through `roster.roster_of`, which
rebuilds the branch as it stood at the start (or takes the branch now, before it)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from fractions import Fraction

from django.db.models import Count, Exists, OuterRef
from django.utils import timezone

from dangjian.attendance.models import ATTENDED, AttendanceRecord
from dangjian.core import clock
from dangjian.core.batching import chunks
from dangjian.interaction.models import ActivityLike, Comment, Photo, Rating, Summary
from dangjian.registry.models import Organization
from dangjian.scoring import formula
from dangjian.scoring.formula import ScoreInputs
from dangjian.scoring.policies import PolicyBook, scoring_moment
from dangjian.themedays import roster
from dangjian.themedays.models import Activity, ActivityStatus, RosterEntry

INPUT_CHUNK = 500


def is_held(activity: Activity, now: datetime | None = None) -> bool:
    """Scored from its start: approved and started, or closed (the same rule as rating)."""
    now = now or clock.now()
    return activity.status == ActivityStatus.CLOSED or (
        activity.status == ActivityStatus.APPROVED and activity.starts_at <= now
    )


def activity_month(activity: Activity) -> date:
    if activity.campaign_id is not None:
        return activity.campaign.month
    return timezone.localdate(activity.starts_at).replace(day=1)


def _events() -> dict[str, tuple]:
    """The counted traces, by the `ScoreInputs` field they make: (rows, the field naming
    the member, the flowing flag the member must have on the roster, None for either).
    - checked in: a status that says the member came (checked in, checked out, not
      checked out), for non-flowing members;
    - liked: flowing members who liked the activity;
    - commenters: members with at least one visible comment (replies and reflections
      included, hidden comments not)."""
    return {
        "checked_in_non_flowing": (
            AttendanceRecord.objects.filter(status__in=list(ATTENDED)),
            "member",
            False,
        ),
        "liked_flowing": (ActivityLike.objects.all(), "member", True),
        "commenters": (Comment.objects.filter(is_hidden=False), "author", None),
    }


def _frozen_counts(ids: list[int]) -> dict[int, Counter]:
    """The roster counts of activities with a frozen roster, in grouped queries.

    Each trace's roster subquery is narrowed to the same activities: otherwise PostgreSQL
    (costing random reads as if from disk) may hash-join the whole roster table, millions
    of rows, to check ten thousand attendance rows (docs/performance.md)."""
    counts: dict[int, Counter] = {pk: Counter() for pk in ids}
    if not ids:
        return counts
    for activity_id, is_flowing, n in (
        RosterEntry.objects.filter(activity_id__in=ids)
        .values_list("activity_id", "is_flowing")
        .annotate(n=Count("id"))
        .order_by()
    ):
        counts[activity_id]["roster"] += n
        counts[activity_id]["roster_flowing"] += n if is_flowing else 0
    for name, (rows, member_field, flowing) in _events().items():
        flag = {} if flowing is None else {"is_flowing": flowing}
        on_roster = Exists(
            RosterEntry.objects.filter(
                activity_id__in=ids,
                activity_id=OuterRef("activity_id"),
                member_id=OuterRef(member_field),
                **flag,
            )
        )
        for activity_id, n in (
            rows.filter(on_roster, activity_id__in=ids)
            .values_list("activity_id")
            .annotate(n=Count(member_field, distinct=True))
            .order_by()
        ):
            counts[activity_id][name] = n
    return counts


def _read_counts(rosters: dict[int, dict[int, bool]]) -> dict[int, Counter]:
    """The counts of activities whose roster was read member by member ({activity: {member:
    is flowing}}): the traces of those activities, kept where the member is on it."""
    counts: dict[int, Counter] = {}
    for pk, members in rosters.items():
        flowing = sum(members.values())
        counts[pk] = Counter(roster=len(members), roster_flowing=flowing)
    if not rosters:
        return counts
    for name, (rows, member_field, flowing) in _events().items():
        found = set(
            rows.filter(activity_id__in=list(rosters)).values_list("activity_id", member_field)
        )
        for activity_id, member_id in found:
            on_it = rosters[activity_id].get(member_id)
            if on_it is not None and (flowing is None or on_it == flowing):
                counts[activity_id][name] += 1
    return counts


def _roster_counts(activities: list[Activity], now: datetime) -> dict[int, Counter]:
    frozen, others = [], []
    for a in activities:
        kind = roster.source(
            starts_at=a.starts_at, is_frozen=a.roster_frozen_at is not None, now=now
        )
        (frozen if kind == roster.Source.FROZEN else others).append(a)
    counts = _frozen_counts([a.pk for a in frozen])
    counts.update(
        _read_counts(
            {
                a.pk: {row.member_id: row.is_flowing for row in roster.roster_of(a, now=now)}
                for a in others
            }
        )
    )
    return counts


def gather_inputs(
    activities: Iterable[Activity], *, now: datetime | None = None
) -> dict[int, ScoreInputs]:
    """The counts behind the scores of many activities at `now`: a handful of grouped
    queries per 500 activities with a frozen roster (never one per activity or member),
    a few more for each one whose roster is not frozen yet. Beside the roster's traces:
    photos, the summary's length (surrounding blanks not counted) and the current
    superior rating."""
    now = now or clock.now()
    result: dict[int, ScoreInputs] = {}
    for chunk in chunks(list(activities), INPUT_CHUNK):
        ids = [a.pk for a in chunk]
        counts = _roster_counts(chunk, now)
        photos = dict(
            Photo.objects.filter(activity_id__in=ids)
            .values_list("activity_id")
            .annotate(n=Count("id"))
            .order_by()
        )
        summaries = {
            activity_id: len((text or "").strip())
            for activity_id, text in Summary.objects.filter(activity_id__in=ids).values_list(
                "activity_id", "text"
            )
        }
        ratings = dict(
            Rating.objects.filter(activity_id__in=ids, is_current=True).values_list(
                "activity_id", "score"
            )
        )
        for pk in ids:
            result[pk] = ScoreInputs(
                **counts[pk],
                photos=photos.get(pk, 0),
                summary_chars=summaries.get(pk, 0),
                rating=ratings.get(pk),
            )
    return result


def inputs_of(activity: Activity, *, now: datetime | None = None) -> ScoreInputs:
    return gather_inputs([activity], now=now)[activity.pk]


def scores(
    activities: list[Activity], now: datetime
) -> list[tuple[Activity, ScoreInputs, formula.ScoreResult]]:
    """Each activity with its inputs and its score under the policy in force for it. The
    branches' study package completion is read only for the activities whose policy
    weighs it (a few queries a month, never one an activity)."""
    book = PolicyBook()
    inputs = gather_inputs(activities, now=now)
    terms = {a.pk: book.at(scoring_moment(a, now)) for a in activities}
    studied = [a for a in activities if formula.weighs(terms[a.pk], formula.STUDY)]
    shares = study_shares(studied)
    return [
        (
            a,
            inputs[a.pk],
            formula.compute(
                inputs[a.pk], terms[a.pk], shares.get((a.branch_id, activity_month(a)))
            ),
        )
        for a in activities
    ]


def study_shares(activities: list[Activity]) -> dict[tuple[int, date], Fraction | None]:
    """(branch, month) → the share of the branch's members who completed the month's study
    package, for the activities given: one completion table per month and city."""
    from dangjian.learning import packages

    if not activities:
        return {}
    step = Organization.steplen
    paths = dict(
        Organization.objects.filter(pk__in={a.branch_id for a in activities}).values_list(
            "pk", "path"
        )
    )
    roots = {
        o.path: o for o in Organization.objects.filter(path__in={p[:step] for p in paths.values()})
    }
    wanted: dict[tuple[date, str], set[int]] = defaultdict(set)
    for a in activities:
        wanted[activity_month(a), paths[a.branch_id][:step]].add(a.branch_id)
    shares: dict[tuple[int, date], Fraction | None] = {}
    for (month, root_path), branch_ids in wanted.items():
        root = roots[root_path]
        if not packages.month_has_package(month, root):
            continue
        for row in packages.completion_by_branch(month, root):
            if row.branch_id in branch_ids:
                shares[row.branch_id, month] = row.share
    return shares

"""Reads for scoring: the policy in force, the inputs of a score counted from the
attendance and interaction tables, rankings and the dashboards' aggregates over the
stored scores. Callers check access to the organization or activity first
(`permissions.access_*`); everything here stays inside that organization's subtree."""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction

from django.core.cache import cache
from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FilteredRelation,
    Max,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, Collate, Least, Rank, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.core import clock
from dangjian.core.errors import DomainError
from dangjian.registry.models import SECTOR_NAMES, Member, Organization, OrgKind
from dangjian.scoring import formula
from dangjian.scoring.formula import Period, ScoreInputs
from dangjian.scoring.models import ActivityScore, BranchPeriodScore, ScoringPolicy
from dangjian.themedays.models import Activity, ActivityStatus, Campaign, RosterEntry

INPUT_CHUNK = 500
LEVELS = ("branch", "children")


def parse_period(text: str) -> Period:
    try:
        return formula.parse_period(text)
    except ValueError:
        raise DomainError(
            "validation_error",
            _("期间格式应为 2026-12（月）、2026-Q4（季度）或 2026（年）"),
            field="period",
        ) from None


def current_period(kind: str = "month", today: date | None = None) -> Period:
    today = today or clock.today()
    return {"month": formula.month_of, "quarter": formula.quarter_of, "year": formula.year_of}[
        kind
    ](today)


# Policy ----------------------------------------------------------------------------------


def policies() -> list[formula.PolicyTerms]:
    return [formula.DEFAULT_POLICY] + [p.terms() for p in ScoringPolicy.objects.order_by("version")]


class PolicyBook:
    """Every policy version, loaded once, to pick the one in force at an instant."""

    def __init__(self):
        self.rows = list(ScoringPolicy.objects.order_by("effective_from", "version"))

    def at(self, moment: datetime) -> formula.PolicyTerms:
        chosen = None
        for row in self.rows:
            if row.effective_from <= moment:
                chosen = row
        return chosen.terms() if chosen is not None else formula.DEFAULT_POLICY


def current_policy() -> formula.PolicyTerms:
    return PolicyBook().at(clock.now())


def scoring_moment(activity: Activity, now: datetime) -> datetime:
    """A policy version applies to the activities that close after it; an activity still
    open is scored with the version in force now (and again when it closes)."""
    if activity.status == ActivityStatus.CLOSED and activity.closed_at is not None:
        return activity.closed_at
    return now


# Inputs ----------------------------------------------------------------------------------


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


def _chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _roster_counts(
    qs, member_field: str, flowing_flag: bool | None, frozen: list[int], live_ids: list[int]
) -> dict[int, int]:
    """Distinct roster members per activity among `qs`'s rows (with the given flowing
    flag): the frozen roster, or the branch's active members before it is frozen. `qs` is
    not narrowed to the activities yet: each list is applied once here.

    The roster subquery is narrowed to the same activities: otherwise PostgreSQL (costing
    random reads as if from disk) may hash-join the whole roster table, millions of rows,
    to check ten thousand attendance rows (0.3–0.6 s instead of 80 ms per 500 activities)."""
    flag = {} if flowing_flag is None else {"is_flowing": flowing_flag}
    frozen_q = Q(activity_id__in=frozen) & Exists(
        RosterEntry.objects.filter(
            activity_id__in=frozen,
            activity_id=OuterRef("activity_id"),
            member_id=OuterRef(member_field),
            **flag,
        )
    )
    live_q = Q(
        activity_id__in=live_ids,
        **{
            f"{member_field}__is_active": True,
            f"{member_field}__branch_id": F("activity__branch_id"),
            **{f"{member_field}__{k}": v for k, v in flag.items()},
        },
    )
    counts: dict[int, int] = {}
    for q in [q for q, ids in ((frozen_q, frozen), (live_q, live_ids)) if ids]:
        for activity_id, n in (
            qs.filter(q)
            .values_list("activity_id")
            .annotate(n=Count(member_field, distinct=True))
            .order_by()
        ):
            counts[activity_id] = counts.get(activity_id, 0) + n
    return counts


def gather_inputs(activities: list[Activity]) -> dict[int, ScoreInputs]:
    """The counts behind the scores of many activities, in a handful of grouped queries per
    500 activities (never one query per activity or per member).

    - roster: the frozen roster; before it is frozen, the branch's active members;
    - checked in: an attendance record whose status says the member came (checked in,
      checked out, not checked out), for non-flowing roster members;
    - liked: flowing roster members who liked the activity;
    - commenters: roster members with at least one visible comment (replies and
      reflections included, hidden comments not);
    - photos and the summary's length (surrounding blanks not counted);
    - rating: the current superior rating.
    """
    from dangjian.attendance.models import ATTENDED, AttendanceRecord
    from dangjian.interaction.models import ActivityLike, Comment, Photo, Rating, Summary

    result: dict[int, ScoreInputs] = {}
    for chunk in _chunks(list(activities), INPUT_CHUNK):
        frozen = [a.pk for a in chunk if a.roster_frozen_at is not None]
        live = [a for a in chunk if a.roster_frozen_at is None]
        ids = [a.pk for a in chunk]
        roster: dict[int, int] = Counter()
        flowing: dict[int, int] = Counter()
        for activity_id, is_flowing, n in (
            RosterEntry.objects.filter(activity_id__in=frozen)
            .values_list("activity_id", "is_flowing")
            .annotate(n=Count("id"))
            .order_by()
        ):
            roster[activity_id] += n
            if is_flowing:
                flowing[activity_id] += n
        if live:
            by_branch: dict[int, tuple[int, int]] = {}
            for branch_id, is_flowing, n in (
                Member.objects.filter(branch_id__in={a.branch_id for a in live}, is_active=True)
                .values_list("branch_id", "is_flowing")
                .annotate(n=Count("id"))
                .order_by()
            ):
                total, flows = by_branch.get(branch_id, (0, 0))
                by_branch[branch_id] = (total + n, flows + (n if is_flowing else 0))
            for a in live:
                roster[a.pk], flowing[a.pk] = by_branch.get(a.branch_id, (0, 0))

        live_ids = [a.pk for a in live]

        checked_in = _roster_counts(
            AttendanceRecord.objects.filter(status__in=list(ATTENDED)),
            "member",
            False,
            frozen,
            live_ids,
        )
        liked = _roster_counts(ActivityLike.objects.all(), "member", True, frozen, live_ids)
        commenters = _roster_counts(
            Comment.objects.filter(is_hidden=False),
            "author",
            None,
            frozen,
            live_ids,
        )
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
        for a in chunk:
            result[a.pk] = ScoreInputs(
                roster=roster.get(a.pk, 0),
                roster_flowing=flowing.get(a.pk, 0),
                checked_in_non_flowing=checked_in.get(a.pk, 0),
                liked_flowing=liked.get(a.pk, 0),
                commenters=commenters.get(a.pk, 0),
                photos=photos.get(a.pk, 0),
                summary_chars=summaries.get(a.pk, 0),
                rating=ratings.get(a.pk),
            )
    return result


def inputs_of(activity: Activity) -> ScoreInputs:
    return gather_inputs([activity])[activity.pk]


@dataclass(frozen=True)
class ScoreView:
    """An activity's score as the API and pages show it."""

    total: Decimal
    policy_version: int
    components: dict
    inputs: ScoreInputs
    computed_at: datetime | None
    is_stored: bool


def score_of(activity: Activity) -> ScoreView:
    """The stored score; for a held activity not scored yet (its background work still
    queued), computed now. An activity not held yet has no score."""
    stored = ActivityScore.objects.filter(activity_id=activity.pk).first()
    if stored is not None:
        return ScoreView(
            total=stored.total,
            policy_version=stored.policy_version,
            components=stored.components,
            inputs=ScoreInputs(
                roster=stored.roster,
                roster_flowing=stored.roster_flowing,
                checked_in_non_flowing=stored.checked_in_non_flowing,
                liked_flowing=stored.liked_flowing,
                commenters=stored.commenters,
                photos=stored.photos,
                summary_chars=stored.summary_chars,
                rating=stored.rating,
            ),
            computed_at=stored.computed_at,
            is_stored=True,
        )
    now = clock.now()
    if not is_held(activity, now):
        raise DomainError("not_held", _("活动开展后才有得分"))
    inputs = inputs_of(activity)
    result = formula.compute(inputs, PolicyBook().at(scoring_moment(activity, now)))
    return ScoreView(
        total=result.total,
        policy_version=result.policy_version,
        components=result.as_dict()["components"],
        inputs=inputs,
        computed_at=None,
        is_stored=False,
    )


# Rankings --------------------------------------------------------------------------------


@dataclass(slots=True)
class BranchRow:
    org_id: int
    name: str
    path: str
    sector: str
    category: str
    score_hundredths: int = 0
    held_months: int = 0
    activity_id: int | None = None
    roster_non_flowing: int = 0
    checked_in_non_flowing: int = 0

    @property
    def score(self) -> Decimal:
        return formula.from_hundredths(self.score_hundredths)


@dataclass(slots=True)
class RankedRow:
    org_id: int
    name: str
    score_hundredths: int
    rank: int
    kind: str
    sector: str
    category: str
    branches: int = 1
    held: int = 0
    activity_id: int | None = None
    held_months: int = 0

    @property
    def score(self) -> Decimal:
        return formula.from_hundredths(self.score_hundredths)

    @property
    def sector_name(self) -> str:
        return SECTOR_NAMES.get(self.sector, self.sector)


def _scope_branches(org: Organization, period: Period, sector: str, category: str):
    """Every active branch under `org` (itself if it is one) with the sector and category,
    each left-joined (`stored`) to its stored row of the period if it has one."""
    branches = Organization.objects.filter(
        path__startswith=org.path, kind=OrgKind.BRANCH, is_active=True
    )
    if sector:
        branches = branches.filter(sector=sector)
    if category:
        branches = branches.filter(category=category)
    stored = FilteredRelation(
        "period_scores",
        condition=Q(period_scores__kind=period.kind, period_scores__period_start=period.start),
    )
    return branches.annotate(stored=stored).order_by()


def _scored_branches(
    org: Organization, period: Period, fields: tuple[str, ...], sector: str, category: str
):
    """The scope's branches as tuples: `fields` of the branch, then the stored row's score,
    held months, activity, roster and sign-ins (None without a row). One indexed query
    whatever the size of the scope."""
    return _scope_branches(org, period, sector, category).values_list(
        *fields,
        "stored__score_hundredths",
        "stored__held_months",
        "stored__activity_id",
        "stored__roster_non_flowing",
        "stored__checked_in_non_flowing",
    )


def branch_rows(
    org: Organization, period: Period, *, sector: str = "", category: str = ""
) -> list[BranchRow]:
    """Every active branch under `org` (itself if it is one) with its stored score for the
    period (0 without one)."""
    return [
        BranchRow(
            pk, name, path, sec, cat, score or 0, held or 0, activity_id, roster or 0, ins or 0
        )
        for pk, name, path, sec, cat, score, held, activity_id, roster, ins in _scored_branches(
            org, period, ("pk", "name", "path", "sector", "category"), sector, category
        )
    ]


def _sorted_ranked(rows: list[RankedRow]) -> list[RankedRow]:
    # Integers (hundredths), not decimals: a city's 8,000 branches sort in a few ms.
    rows.sort(key=lambda r: (-r.score_hundredths, r.name, r.org_id))
    # Competition ranking (formula.competition_ranks), inlined: 8,000 calls fewer.
    previous, rank = None, 0
    for position, row in enumerate(rows, start=1):
        if row.score_hundredths != previous:
            rank, previous = position, row.score_hundredths
        row.rank = rank
    return rows


def ranking(
    org: Organization,
    period: Period,
    *,
    level: str = "branch",
    sector: str = "",
    category: str = "",
) -> list[RankedRow]:
    """Rank within `org` for a period, best first, ties sharing a rank (1, 2, 2, 4).

    `branch`: every branch under the organization. `children`: its direct child
    organizations, each scored as the mean over its descendant branches (a branch child
    is its own score). Sector and category filter the branches that are ranked or
    averaged; a child with no such branch is left out."""
    if level not in LEVELS:
        raise DomainError("validation_error", _("level 只能是 branch 或 children"), field="level")
    if level == "branch":
        kind = OrgKind.BRANCH
        return _sorted_ranked(
            [
                RankedRow(
                    pk,
                    name,
                    score or 0,
                    0,
                    kind,
                    sec,
                    cat,
                    1,
                    1 if held else 0,
                    activity_id,
                    held or 0,
                )
                for pk, name, sec, cat, score, held, activity_id, _r, _c in _scored_branches(
                    org, period, ("pk", "name", "sector", "category"), sector, category
                )
            ]
        )
    return _children_ranked(org, _group_totals(org, period, sector, category, "child"))


def ranking_page(
    org: Organization,
    period: Period,
    *,
    level: str = "branch",
    sector: str = "",
    category: str = "",
    offset: int = 0,
    limit: int = 50,
) -> tuple[int, list[RankedRow]]:
    """(how many are ranked, the `limit` rows from `offset`) of `ranking`, the same rows in
    the same order with the same ranks. The branch level is sorted, ranked and cut in the
    database: a page of a city's 8,000 branches costs about what 50 rows cost, where
    building the whole list in Python costs some 40 ms and 8,000 objects."""
    if level != "branch":
        rows = ranking(org, period, level=level, sector=sector, category=category)
        return len(rows), rows[offset : offset + limit]
    score = Coalesce(F("stored__score_hundredths"), 0)
    # Names in code-point order, as Python sorts them (the database's own collation may
    # order Chinese otherwise).
    name = Collate("name", "C" if connection.vendor == "postgresql" else "BINARY")
    found = list(
        _scope_branches(org, period, sector, category)
        .annotate(
            s=score,
            r=Window(Rank(), order_by=score.desc()),
            total=Window(Count("pk")),
        )
        .order_by("-s", name, "pk")
        .values_list(
            "pk",
            "name",
            "sector",
            "category",
            "s",
            "r",
            "stored__held_months",
            "stored__activity_id",
            "total",
        )[offset : offset + limit]
    )
    if found:
        count = found[0][-1]
    else:
        count = _scope_branches(org, period, sector, category).count()
    kind = OrgKind.BRANCH
    return count, [
        RankedRow(pk, name, s, r, kind, sec, cat, 1, 1 if held else 0, activity_id, held or 0)
        for pk, name, sec, cat, s, r, held, activity_id, _total in found
    ]


class RankingPages:
    """A ranking as a sequence for django.core.paginator: its length is one count and
    each slice one `ranking_page`, so showing a page never loads the others."""

    def __init__(
        self, org: Organization, period: Period, *, level: str, sector: str, category: str
    ):
        self.org, self.period = org, period
        self.filters = {"level": level, "sector": sector, "category": category}
        self._count: int | None = None

    def count(self) -> int:
        if self._count is None:
            if self.filters["level"] == "branch":
                self._count = _scope_branches(
                    self.org, self.period, self.filters["sector"], self.filters["category"]
                ).count()
            else:
                self._count = len(ranking(self.org, self.period, **self.filters))
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, item):
        if not isinstance(item, slice) or item.step not in (None, 1):
            raise TypeError("RankingPages only slices")
        start = item.start or 0
        stop = self.count() if item.stop is None else item.stop
        self._count, rows = ranking_page(
            self.org, self.period, offset=start, limit=max(stop - start, 0), **self.filters
        )
        return rows


def _group_totals(
    org: Organization,
    period: Period,
    sector: str,
    category: str,
    *keys: str,
    campaign_id: int | None = None,
) -> list[tuple]:
    """The scope's branches counted in the database by `keys` (any of child, the path of
    the direct child of `org` the branch is under; sector; category; bucket, the tenth of
    the score range; stage, the index in STAGE_ORDER of the branch's live plan for
    `campaign_id`, a branch having at most one): (*keys, branches, held, score sum in
    hundredths) per group. A city's dashboard is then a couple of thousand grouped rows
    instead of 8,000 branches."""
    score = Coalesce(F("stored__score_hundredths"), 0)
    expressions = {
        "child": Substr("path", 1, len(org.path) + Organization.steplen),
        "sector": F("sector"),
        "category": F("category"),
        "bucket": Least(score / Value(1000), Value(len(BUCKETS) - 1)),
        "stage": Case(
            When(_held_q(clock.now(), "plan__"), then=Value(STAGE_ORDER.index("held"))),
            When(plan__status=ActivityStatus.APPROVED, then=Value(STAGE_ORDER.index("approved"))),
            When(plan__isnull=False, then=Value(STAGE_ORDER.index("planning"))),
            default=Value(STAGE_ORDER.index("none")),
        ),
    }
    counts = {
        "n": Count("pk"),
        "held": Count("pk", filter=Q(stored__held_months__gt=0)),
        "total": Sum(score),
    }
    scored = _scope_branches(org, period, sector, category)
    if "stage" in keys:
        scored = scored.annotate(
            plan=FilteredRelation(
                "activities",
                condition=Q(activities__campaign_id=campaign_id)
                & ~Q(activities__status=ActivityStatus.CANCELLED),
            )
        )
    if not keys:
        found = scored.aggregate(**counts)
        return [(found["n"], found["held"], found["total"])]
    names = [f"g_{key}" for key in keys]
    return list(
        scored.annotate(**{f"g_{key}": expressions[key] for key in keys})
        .values(*names)
        .annotate(**counts)
        .values_list(*names, "n", "held", "total")
        .order_by()
    )


def _children_ranked(org: Organization, totals: Iterable[tuple]) -> list[RankedRow]:
    """The direct children of `org` from (child path, branches, held, score sum) totals."""
    prefix_len = len(org.path) + Organization.steplen
    by_child: dict[str, list[int]] = {}
    for path, n, held, total in totals:
        if len(path) == prefix_len:  # a branch `org` itself has no children
            sums = by_child.setdefault(path, [0, 0, 0])
            sums[0] += n
            sums[1] += held
            sums[2] += total or 0
    children = Organization.objects.filter(path__in=list(by_child)).values_list(
        "path", "pk", "name", "kind", "sector", "category"
    )
    ranked = []
    for path, pk, name, kind, sec, cat in children:
        n, held, total = by_child[path]
        ranked.append(
            RankedRow(
                pk,
                name,
                formula.mean_hundredths([total], n),
                0,
                kind,
                sec,
                cat,
                branches=n,
                held=held,
            )
        )
    return _sorted_ranked(ranked)


def org_score(org: Organization, period: Period, *, sector: str = "", category: str = ""):
    """The mean over the organization's descendant branches (0 with none)."""
    ((n, _held, total),) = _group_totals(org, period, sector, category)
    return formula.from_hundredths(formula.mean_hundredths([total or 0], n))


# Dashboards ------------------------------------------------------------------------------

BUCKETS = [(i * 10, i * 10 + 10) for i in range(10)]


def bucket_of(score_hundredths: int) -> int:
    return min(score_hundredths // 1000, 9)


@dataclass
class GroupProgress:
    key: str
    label: str
    branches: int = 0
    held: int = 0
    score_sum: int = 0

    @property
    def not_held(self) -> int:
        return self.branches - self.held

    @property
    def mean(self) -> Decimal:
        return formula.from_hundredths(formula.mean_hundredths([self.score_sum], self.branches))

    @property
    def held_rate(self) -> Decimal:
        if not self.branches:
            return Decimal("0.00")
        return formula.round_half_up(Fraction(100 * self.held, self.branches))


@dataclass
class Dashboard:
    org: Organization
    period: Period
    score: Decimal
    branches: int
    held: int
    children: list[RankedRow]
    distribution: list[int]
    by_sector: list[GroupProgress]
    by_category: list[GroupProgress]
    signin_trend: list[tuple[Period, Decimal | None, int, int]]
    stages: dict[str, int] = field(default_factory=dict)

    @property
    def not_held(self) -> int:
        return self.branches - self.held


def _progress(totals: dict[str, list[int]], label) -> list[GroupProgress]:
    groups = [
        GroupProgress(key, label(key), branches=n, held=held, score_sum=total)
        for key, (n, held, total) in totals.items()
    ]
    return sorted(groups, key=lambda g: (-g.branches, g.key))


# The sums behind a trend point are kept in the cache for this long at most: the key
# changes as soon as a branch row of the period is rewritten (see _trend_sums), so the
# time-out only bounds how long a point may miss a change of the tree itself (a branch
# moved or deactivated), which rewrites no score.
TREND_CACHE_SECONDS = 600


def _trend_sums(
    org: Organization, kind: str, starts: list[date], sector: str, category: str
) -> dict[date, tuple[int, int]]:
    """(non-flowing roster, checked in) of the scope for each period, summed over the
    stored branch rows. The whole city's twelve months are about 100,000 rows (some 40 ms
    here), and past periods rarely change, so each period's sums are cached under a key
    that holds the latest `computed_at` of that period's rows: every rewrite of a row
    (a recompute, in any process) moves it on."""
    meta, qn = BranchPeriodScore._meta, connection.ops.quote_name
    table, written, kind_, start_ = (
        qn(meta.db_table),
        *(qn(meta.get_field(f).column) for f in ("computed_at", "kind", "period_start")),
    )
    # One statement of index probes (PostgreSQL and SQLite answer each MAX from the index
    # on kind, period_start, computed_at), written out because composing it with the ORM
    # took 5 ms, twenty times longer than running it. Only quoted identifiers from the
    # model are formatted in; values are bound.
    probe = f"(SELECT MAX({written}) FROM {table} WHERE {kind_} = %s AND {start_} = %s)"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT " + ", ".join([probe] * len(starts)),
            [v for start in starts for v in (kind, connection.ops.adapt_datefield_value(start))],
        )
        stamps = cursor.fetchone()
    # Hashed: a category is any text, a stamp has blanks (memcached takes neither).
    keys = {
        start: "scoring:trend:"
        + hashlib.blake2b(
            repr((org.pk, org.path, kind, start, sector, category, str(stamp))).encode(),
            digest_size=16,
        ).hexdigest()
        for start, stamp in zip(starts, stamps, strict=True)
    }
    cached = cache.get_many(list(keys.values()))
    sums = {start: tuple(cached[key]) for start, key in keys.items() if key in cached}
    missing = [start for start in starts if start not in sums]
    if missing:
        rows = BranchPeriodScore.objects.filter(
            kind=kind,
            period_start__in=missing,
            branch__path__startswith=org.path,
            branch__is_active=True,
            branch__kind=OrgKind.BRANCH,
        )
        if sector:
            rows = rows.filter(branch__sector=sector)
        if category:
            rows = rows.filter(branch__category=category)
        found = {
            start: (roster or 0, checked or 0)
            for start, roster, checked in rows.values_list("period_start")
            .annotate(roster=Sum("roster_non_flowing"), checked=Sum("checked_in_non_flowing"))
            .order_by()
        }
        fresh = {start: found.get(start, (0, 0)) for start in missing}
        cache.set_many(
            {keys[start]: list(value) for start, value in fresh.items()},
            timeout=TREND_CACHE_SECONDS,
        )
        sums.update(fresh)
    return sums


def signin_trend(
    org: Organization, period: Period, count: int = 12, *, sector: str = "", category: str = ""
) -> list[tuple[Period, Decimal | None, int, int]]:
    """The sign-in rate of the scope's branches (with the sector and category) over the
    periods ending with `period` (months for a month, and so on), from the stored branch
    rows: no attendance row is read."""
    starts = [formula.shift(period, -i).start for i in range(count - 1, -1, -1)]
    sums = _trend_sums(org, period.kind, starts, sector, category)
    trend = []
    for start in starts:
        roster, checked = sums[start]
        rate = formula.round_half_up(Fraction(100 * checked, roster)) if roster else None
        trend.append((Period(period.kind, start), rate, checked, roster))
    return trend


STAGE_ORDER = ("none", "planning", "approved", "held")


def _month_activities(org: Organization, month: date, sector: str = "", category: str = ""):
    """The live (not cancelled) campaign activities of the month of the active branches
    under `org`, with the sector and category."""
    activities = Activity.objects.filter(
        campaign__month=month,
        branch__path__startswith=org.path,
        branch__is_active=True,
        branch__kind=OrgKind.BRANCH,
    ).exclude(status=ActivityStatus.CANCELLED)
    if sector:
        activities = activities.filter(branch__sector=sector)
    if category:
        activities = activities.filter(branch__category=category)
    return activities


def _held_q(now: datetime, prefix: str = "") -> Q:
    return Q(**{f"{prefix}status": ActivityStatus.CLOSED}) | Q(
        **{f"{prefix}status": ActivityStatus.APPROVED, f"{prefix}starts_at__lte": now}
    )


def branch_stages(org: Organization, month: date) -> dict[int, str]:
    """How far each branch under `org` is with the month's campaign activities (the
    furthest of its live plans): planning (draft, submitted or sent back), approved but not
    held yet, or held. Branches with no live plan are absent (stage "none")."""
    stage = Case(
        When(_held_q(clock.now()), then=Value(STAGE_ORDER.index("held"))),
        When(status=ActivityStatus.APPROVED, then=Value(STAGE_ORDER.index("approved"))),
        default=Value(STAGE_ORDER.index("planning")),
    )
    return {
        branch_id: STAGE_ORDER[furthest]
        for branch_id, furthest in _month_activities(org, month)
        .values("branch_id")
        .annotate(furthest=Max(stage))
        .values_list("branch_id", "furthest")
        .order_by()
    }


def month_stages(
    org: Organization, month: date, branches: int, *, sector: str = "", category: str = ""
) -> dict[str, int]:
    """How many of the `branches` branches (those under `org` with the sector and
    category) are at each stage for the month (see branch_stages), counted in one
    aggregate: branches with a live plan, with one approved or held, with one held."""
    approved_or_held = Q(status__in=[ActivityStatus.APPROVED, ActivityStatus.CLOSED])
    counts = _month_activities(org, month, sector, category).aggregate(
        live=Count("branch_id", distinct=True),
        approved=Count("branch_id", distinct=True, filter=approved_or_held),
        held=Count("branch_id", distinct=True, filter=_held_q(clock.now())),
    )
    return {
        "none": branches - counts["live"],
        "planning": counts["live"] - counts["approved"],
        "approved": counts["approved"] - counts["held"],
        "held": counts["held"],
    }


def dashboard(
    org: Organization, period: Period, *, sector: str = "", category: str = ""
) -> Dashboard:
    """Everything the dashboard shows, from grouped counts of the stored rows (never a row
    per branch in Python): the mean, held and not held, the children's ranking, the score
    distribution, progress by sector and category, the sign-in trend and, for a month, how
    far the branches are with its theme day."""
    from dangjian.registry.models import Sector

    distribution = [0] * len(BUCKETS)
    by_sector: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    by_category: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    by_child: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    stages = dict.fromkeys(STAGE_ORDER, 0)
    branches = held = score_sum = 0
    # A month's stages come with the same grouped query when one campaign of the month can
    # reach the scope (one live plan per branch and campaign, so the join adds no rows);
    # with several, a branch's furthest plan is counted apart (month_stages).
    campaigns = _month_campaigns(org, period.start) if period.kind == "month" else []
    keys = ("child", "sector", "category", "bucket") + (("stage",) if len(campaigns) == 1 else ())
    for child, sec, cat, bucket, *stage, n, h, total in _group_totals(
        org,
        period,
        sector,
        category,
        *keys,
        campaign_id=campaigns[0] if len(campaigns) == 1 else None,
    ):
        total = total or 0
        branches, held, score_sum = branches + n, held + h, score_sum + total
        distribution[bucket] += n
        if stage:
            stages[STAGE_ORDER[stage[0]]] += n
        for groups, key in ((by_sector, sec), (by_category, cat), (by_child, child)):
            sums = groups[key]
            sums[0] += n
            sums[1] += h
            sums[2] += total
    if period.kind != "month":
        stages = {}
    elif not campaigns:
        stages["none"] = branches
    elif len(campaigns) > 1:
        stages = month_stages(org, period.start, branches, sector=sector, category=category)
    sector_names = dict(Sector.choices)
    children = (
        _children_ranked(org, ((k, *v) for k, v in by_child.items())) if not org.is_branch else []
    )
    return Dashboard(
        org=org,
        period=period,
        score=formula.from_hundredths(formula.mean_hundredths([score_sum], branches)),
        branches=branches,
        held=held,
        children=children,
        distribution=distribution,
        by_sector=_progress(by_sector, lambda k: str(sector_names.get(k, k))),
        by_category=_progress(by_category, lambda k: k or _("未分类")),
        signin_trend=signin_trend(org, period, sector=sector, category=category),
        stages=stages,
    )


def _month_campaigns(org: Organization, month: date) -> list[int]:
    """The month's campaigns whose branches may be under `org`: issued above it or inside
    its subtree (a handful of rows)."""
    return [
        pk
        for pk, path in Campaign.objects.filter(month=month, parent__isnull=True).values_list(
            "pk", "org__path"
        )
        if path.startswith(org.path) or org.path.startswith(path)
    ]


def branch_months(branch: Organization, year: int) -> list[BranchPeriodScore | None]:
    """The branch's 12 month rows of a year (None where it has none)."""
    rows = {
        r.period_start: r
        for r in BranchPeriodScore.objects.filter(
            branch=branch, kind="month", period_start__year=year
        )
    }
    return [rows.get(date(year, m, 1)) for m in range(1, 13)]


def branch_activities(branch: Organization, period: Period):
    """The branch's activities of the period with their scores (None when not scored)."""
    return (
        Activity.objects.filter(branch=branch)
        .filter(
            Q(campaign__month__gte=period.start, campaign__month__lt=period.end)
            | Q(
                campaign__isnull=True,
                starts_at__date__gte=period.start,
                starts_at__date__lt=period.end,
            )
        )
        .select_related("campaign", "score")
        .order_by("-starts_at", "-id")
    )


@dataclass
class RosterLine:
    member_id: int
    name: str
    is_flowing: bool
    status: str
    status_label: str
    is_corrected: bool
    liked: bool
    commented: bool


def roster_lines(activity: Activity) -> list[RosterLine]:
    """Each roster member with their attendance status (pending without a record), whether
    they liked and commented: the rows behind the score's numbers."""
    from dangjian.attendance.models import AttendanceRecord, AttendanceStatus
    from dangjian.interaction.models import ActivityLike, Comment
    from dangjian.themedays import roster as themedays

    records = {
        member_id: (status, corrected)
        for member_id, status, corrected in AttendanceRecord.objects.filter(
            activity=activity
        ).values_list("member_id", "status", "is_corrected")
    }
    liked = set(ActivityLike.objects.filter(activity=activity).values_list("member_id", flat=True))
    commented = set(
        Comment.objects.filter(activity=activity, is_hidden=False).values_list(
            "author_id", flat=True
        )
    )
    labels = dict(AttendanceStatus.choices)
    lines = []
    for row in themedays.roster_of(activity):
        status, corrected = records.get(row.member_id, (AttendanceStatus.PENDING, False))
        lines.append(
            RosterLine(
                row.member_id,
                row.name,
                row.is_flowing,
                status,
                str(labels.get(status, status)),
                corrected,
                row.member_id in liked,
                row.member_id in commented,
            )
        )
    return lines

"""The dashboard's reads over the stored branch rows of a scope: the mean, held and not
held, the children's ranking, the score distribution, progress by sector and category,
the sign-in trend and how far the branches are with the month's theme day. Never a row
per branch in Python: grouped counts (`rankings.group_totals`) and a cached trend.
Callers check access to the organization first (`permissions.access_*`)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction

from django.db import connection
from django.db.models import Case, Count, F, FilteredRelation, Max, Q, Sum, Value, When
from django.db.models.functions import Least
from django.utils.translation import gettext as _

from dangjian.core import clock, shortcache
from dangjian.core.replica import reading_from_replica
from dangjian.registry.models import Organization, OrgKind, Sector
from dangjian.scoring import formula
from dangjian.scoring.formula import Period
from dangjian.scoring.models import BranchPeriodScore
from dangjian.scoring.selectors.rankings import (
    RankedRow,
    child_path,
    children_ranked,
    group_totals,
    scope_branches,
    score_hundredths,
)
from dangjian.themedays.models import Activity, ActivityStatus, Campaign

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
    stored branch rows. A city's year is a lot of rows to sum and past periods rarely
    change, so each period's sums are cached under a key
    that holds the latest `computed_at` of that period's rows: every rewrite of a row
    (a recompute, in any process) moves it on."""
    # One statement of index probes (PostgreSQL and SQLite answer each MAX from the index
    # on kind, period_start, computed_at), written out because composing it with the ORM
    # took far longer than running it; the tests run it on both databases.
    probe = (
        "(SELECT MAX(computed_at) FROM scoring_branchperiodscore"
        " WHERE kind = %s AND period_start = %s)"
    )
    period_start = BranchPeriodScore._meta.get_field("period_start")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT " + ", ".join([probe] * len(starts)),
            [
                v
                for start in starts
                for v in (kind, period_start.get_db_prep_save(start, connection))
            ],
        )
        stamps = cursor.fetchone()
    keys = {
        start: shortcache.key(
            "scoring:trend", org.pk, org.path, kind, start, sector, category, str(stamp)
        )
        for start, stamp in zip(starts, stamps, strict=True)
    }
    cached = shortcache.get_many(list(keys.values()))
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
        shortcache.set_many(
            {keys[start]: list(value) for start, value in fresh.items()},
            timeout=TREND_CACHE_SECONDS,
        )
        sums.update(fresh)
    return sums


@reading_from_replica()
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


@reading_from_replica()
def dashboard(
    org: Organization, period: Period, *, sector: str = "", category: str = ""
) -> Dashboard:
    """Everything the dashboard shows, from grouped counts of the stored rows (never a row
    per branch in Python): the mean, held and not held, the children's ranking, the score
    distribution, progress by sector and category, the sign-in trend and, for a month, how
    far the branches are with its theme day."""
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
    campaign_id = campaigns[0] if len(campaigns) == 1 else None
    for child, sec, cat, bucket, *stage, n, h, total in _groups(
        org, period, sector, category, campaign_id
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
        children_ranked(org, ((k, *v) for k, v in by_child.items())) if not org.is_branch else []
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


def _groups(
    org: Organization, period: Period, sector: str, category: str, campaign_id: int | None
) -> list[tuple]:
    """The scope's branches counted by (direct child of `org`, sector, category, bucket:
    the tenth of the score range) and, given the month's one campaign, the stage (index
    in STAGE_ORDER) of the branch's live plan for it, a branch having at most one."""
    branches = scope_branches(org, period, sector, category)
    groups = {
        "child": child_path(org),
        "sector": F("sector"),
        "category": F("category"),
        "bucket": Least(score_hundredths() / Value(1000), Value(len(BUCKETS) - 1)),
    }
    if campaign_id is not None:
        branches = branches.annotate(
            plan=FilteredRelation(
                "activities",
                condition=Q(activities__campaign_id=campaign_id)
                & ~Q(activities__status=ActivityStatus.CANCELLED),
            )
        )
        groups["stage"] = Case(
            When(_held_q(clock.now(), "plan__"), then=Value(STAGE_ORDER.index("held"))),
            When(plan__status=ActivityStatus.APPROVED, then=Value(STAGE_ORDER.index("approved"))),
            When(plan__isnull=False, then=Value(STAGE_ORDER.index("planning"))),
            default=Value(STAGE_ORDER.index("none")),
        )
    return group_totals(branches, groups)

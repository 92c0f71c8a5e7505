"""Reads for scoring: the policy in force, the inputs of a score counted from the
attendance and interaction tables, rankings and the dashboards' aggregates over the
stored scores. Callers check access to the organization or activity first
(`permissions.access_*`); everything here stays inside that organization's subtree."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction

from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.core import clock
from dangjian.core.errors import DomainError
from dangjian.registry.models import SECTOR_NAMES, Member, Organization, OrgKind
from dangjian.scoring import formula
from dangjian.scoring.formula import Period, ScoreInputs
from dangjian.scoring.models import ActivityScore, BranchPeriodScore, ScoringPolicy
from dangjian.themedays.models import Activity, ActivityStatus, RosterEntry

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
    flag): the frozen roster, or the branch's active members before it is frozen."""
    flag = {} if flowing_flag is None else {"is_flowing": flowing_flag}
    frozen_q = Q(activity_id__in=frozen) & Exists(
        RosterEntry.objects.filter(
            activity_id=OuterRef("activity_id"), member_id=OuterRef(member_field), **flag
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
    for q in (frozen_q, live_q) if live_ids else (frozen_q,):
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
            AttendanceRecord.objects.filter(activity_id__in=ids, status__in=list(ATTENDED)),
            "member",
            False,
            frozen,
            live_ids,
        )
        liked = _roster_counts(
            ActivityLike.objects.filter(activity_id__in=ids), "member", True, frozen, live_ids
        )
        commenters = _roster_counts(
            Comment.objects.filter(activity_id__in=ids, is_hidden=False),
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


@dataclass
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


@dataclass
class RankedRow:
    org_id: int
    name: str
    score: Decimal
    rank: int
    kind: str
    sector: str
    category: str
    branches: int = 1
    held: int = 0
    activity_id: int | None = None
    held_months: int = 0

    @property
    def sector_name(self) -> str:
        return SECTOR_NAMES.get(self.sector, self.sector)


def branch_rows(
    org: Organization, period: Period, *, sector: str = "", category: str = ""
) -> list[BranchRow]:
    """Every active branch under `org` (itself if it is one) with its stored score for the
    period (0 without one): two indexed queries whatever the size of the scope."""
    branches = Organization.objects.filter(
        path__startswith=org.path, kind=OrgKind.BRANCH, is_active=True
    )
    if sector:
        branches = branches.filter(sector=sector)
    if category:
        branches = branches.filter(category=category)
    rows = {
        pk: BranchRow(pk, name, path, sec, cat)
        for pk, name, path, sec, cat in branches.values_list(
            "pk", "name", "path", "sector", "category"
        )
    }
    scores = BranchPeriodScore.objects.filter(
        kind=period.kind, period_start=period.start, branch__path__startswith=org.path
    ).values_list(
        "branch_id",
        "score_hundredths",
        "held_months",
        "activity_id",
        "roster_non_flowing",
        "checked_in_non_flowing",
    )
    for branch_id, score, held, activity_id, roster, checked_in in scores:
        row = rows.get(branch_id)
        if row is not None:
            row.score_hundredths = score
            row.held_months = held
            row.activity_id = activity_id
            row.roster_non_flowing = roster
            row.checked_in_non_flowing = checked_in
    return list(rows.values())


def _sorted_ranked(rows: list[RankedRow]) -> list[RankedRow]:
    rows.sort(key=lambda r: (-r.score, r.name, r.org_id))
    for rank, row in formula.competition_ranks(rows, lambda r: r.score):
        row.rank = rank
    return rows


def ranking(
    org: Organization,
    period: Period,
    *,
    level: str = "branch",
    sector: str = "",
    category: str = "",
    rows: list[BranchRow] | None = None,
) -> list[RankedRow]:
    """Rank within `org` for a period, best first, ties sharing a rank (1, 2, 2, 4).

    `branch`: every branch under the organization. `children`: its direct child
    organizations, each scored as the mean over its descendant branches (a branch child
    is its own score). Sector and category filter the branches that are ranked or
    averaged; a child with no such branch is left out."""
    if level not in LEVELS:
        raise DomainError("validation_error", _("level 只能是 branch 或 children"), field="level")
    rows = rows if rows is not None else branch_rows(org, period, sector=sector, category=category)
    if level == "branch":
        return _sorted_ranked(
            [
                RankedRow(
                    r.org_id,
                    r.name,
                    r.score,
                    0,
                    OrgKind.BRANCH,
                    r.sector,
                    r.category,
                    held=1 if r.held_months else 0,
                    activity_id=r.activity_id,
                    held_months=r.held_months,
                )
                for r in rows
            ]
        )
    prefix_len = len(org.path) + Organization.steplen
    by_child: dict[str, list[BranchRow]] = defaultdict(list)
    for r in rows:
        if len(r.path) >= prefix_len:
            by_child[r.path[:prefix_len]].append(r)
    children = Organization.objects.filter(path__in=list(by_child)).values_list(
        "path", "pk", "name", "kind", "sector", "category"
    )
    ranked = []
    for path, pk, name, kind, sec, cat in children:
        members = by_child[path]
        ranked.append(
            RankedRow(
                pk,
                name,
                formula.from_hundredths(
                    formula.mean_hundredths((m.score_hundredths for m in members), len(members))
                ),
                0,
                kind,
                sec,
                cat,
                branches=len(members),
                held=sum(1 for m in members if m.held_months),
            )
        )
    return _sorted_ranked(ranked)


def org_score(org: Organization, period: Period, *, sector: str = "", category: str = ""):
    """The mean over the organization's descendant branches (0 with none)."""
    rows = branch_rows(org, period, sector=sector, category=category)
    return formula.from_hundredths(
        formula.mean_hundredths((r.score_hundredths for r in rows), len(rows))
    )


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


def _progress(rows: list[BranchRow], attr: str, label) -> list[GroupProgress]:
    groups: dict[str, GroupProgress] = {}
    for r in rows:
        key = getattr(r, attr)
        g = groups.setdefault(key, GroupProgress(key, label(key)))
        g.branches += 1
        g.held += 1 if r.held_months else 0
        g.score_sum += r.score_hundredths
    return sorted(groups.values(), key=lambda g: (-g.branches, g.key))


def signin_trend(
    org: Organization, period: Period, count: int = 12
) -> list[tuple[Period, Decimal | None, int, int]]:
    """The sign-in rate of the scope over the periods ending with `period` (months for a
    month, and so on): one aggregate over the stored branch rows, no attendance row read."""
    if period.kind == "month":
        starts = formula.previous_months(period.start, count)
    elif period.kind == "quarter":
        starts = formula.previous_months(period.start, count * 3)[::3]
        starts = [formula.quarter_of(m).start for m in starts]
    else:
        starts = [date(period.start.year - i, 1, 1) for i in range(count - 1, -1, -1)]
    sums = {
        start: (roster or 0, checked or 0)
        for start, roster, checked in BranchPeriodScore.objects.filter(
            kind=period.kind,
            period_start__in=starts,
            branch__path__startswith=org.path,
            branch__is_active=True,
        )
        .values_list("period_start")
        .annotate(roster=Sum("roster_non_flowing"), checked=Sum("checked_in_non_flowing"))
        .order_by()
    }
    trend = []
    for start in starts:
        roster, checked = sums.get(start, (0, 0))
        rate = formula.round_half_up(Fraction(100 * checked, roster)) if roster else None
        trend.append((Period(period.kind, start), rate, checked, roster))
    return trend


STAGE_ORDER = ("none", "planning", "approved", "held")


def branch_stages(org: Organization, month: date) -> dict[int, str]:
    """How far each branch under `org` is with the month's campaign activities (the
    furthest of its live plans): planning (draft, submitted or sent back), approved but not
    held yet, or held. Branches with no live plan are absent (stage "none")."""
    now = clock.now()
    best: dict[int, str] = {}
    rank = {s: i for i, s in enumerate(STAGE_ORDER)}
    for branch_id, status, starts_at in (
        Activity.objects.filter(
            campaign__month=month,
            branch__path__startswith=org.path,
            branch__is_active=True,
            branch__kind=OrgKind.BRANCH,
        )
        .exclude(status=ActivityStatus.CANCELLED)
        .values_list("branch_id", "status", "starts_at")
    ):
        if status == ActivityStatus.CLOSED or (
            status == ActivityStatus.APPROVED and starts_at <= now
        ):
            stage = "held"
        elif status == ActivityStatus.APPROVED:
            stage = "approved"
        else:
            stage = "planning"
        if rank[stage] > rank[best.get(branch_id, "none")]:
            best[branch_id] = stage
    return best


def month_stages(org: Organization, month: date, branch_ids: Iterable[int]) -> dict[str, int]:
    """Counts of the branches (of `branch_ids`) at each stage for the month."""
    stages = branch_stages(org, month)
    counts = Counter(stages.get(pk, "none") for pk in branch_ids)
    return {s: counts.get(s, 0) for s in STAGE_ORDER}


def dashboard(
    org: Organization, period: Period, *, sector: str = "", category: str = ""
) -> Dashboard:
    from dangjian.registry.models import Sector

    rows = branch_rows(org, period, sector=sector, category=category)
    distribution = [0] * len(BUCKETS)
    for r in rows:
        distribution[bucket_of(r.score_hundredths)] += 1
    sector_names = dict(Sector.choices)
    return Dashboard(
        org=org,
        period=period,
        score=formula.from_hundredths(
            formula.mean_hundredths((r.score_hundredths for r in rows), len(rows))
        ),
        branches=len(rows),
        held=sum(1 for r in rows if r.held_months),
        children=ranking(org, period, level="children", rows=rows) if not org.is_branch else [],
        distribution=distribution,
        by_sector=_progress(rows, "sector", lambda k: str(sector_names.get(k, k))),
        by_category=_progress(rows, "category", lambda k: k or _("未分类")),
        signin_trend=signin_trend(org, period),
        stages=month_stages(org, period.start, [r.org_id for r in rows])
        if period.kind == "month"
        else {},
    )


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
    from dangjian.themedays import selectors as themedays

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

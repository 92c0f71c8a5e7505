"""Reads of one activity's score and of one branch's scores: what the drill-down below a
branch shows (its months, its activities, an activity's score and the roster behind it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Q
from django.utils.translation import gettext as _

from dangjian.attendance.models import ATTENDED, AttendanceRecord, AttendanceStatus
from dangjian.core import clock
from dangjian.core.errors import DomainError
from dangjian.interaction.models import ActivityLike, Comment
from dangjian.registry.models import Organization
from dangjian.scoring import inputs as counting
from dangjian.scoring.formula import INPUT_FIELDS, Period, ScoreInputs
from dangjian.scoring.models import ActivityScore, BranchPeriodScore
from dangjian.themedays import roster
from dangjian.themedays.models import Activity


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
            inputs=ScoreInputs(**{name: getattr(stored, name) for name in INPUT_FIELDS}),
            computed_at=stored.computed_at,
            is_stored=True,
        )
    now = clock.now()
    if not counting.is_held(activity, now):
        raise DomainError("not_held", _("活动开展后才有得分"))
    [(_activity, inputs, result)] = counting.scores([activity], now)
    return ScoreView(
        total=result.total,
        policy_version=result.policy_version,
        components=result.as_dict()["components"],
        inputs=inputs,
        computed_at=None,
        is_stored=False,
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

    @property
    def attended(self) -> bool:
        return self.status in ATTENDED


def roster_lines(activity: Activity) -> list[RosterLine]:
    """Each roster member with their attendance status (pending without a record), whether
    they liked and commented: the rows behind the score's numbers."""
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
    for row in roster.roster_of(activity):
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

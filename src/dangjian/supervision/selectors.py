"""Reads for supervision: spot checks and their evidence, rectifications of a scope with
the overdue ones. Callers fetch the spot check or organization through `permissions`
first; lists start from the scoped querysets."""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Q, QuerySet

from dangjian import permissions
from dangjian.core import clock
from dangjian.core.errors import DomainError
from dangjian.orglife import selectors as orglife
from dangjian.registry.models import Organization
from dangjian.scoring import selectors as scoring
from dangjian.supervision.models import (
    Rectification,
    RectificationStatus,
    SpotCheck,
    SpotCheckItem,
)
from dangjian.themedays.models import Activity


def overdue_q(today: date | None = None) -> Q:
    """Still open after its deadline day (an answered one awaits the superior, not the
    branch, so it is not overdue)."""
    return Q(status=RectificationStatus.OPEN, deadline__lt=today or clock.today())


def rectifications_in(
    actor, org: Organization, *, status: str = "", overdue: bool | None = None
) -> QuerySet[Rectification]:
    qs = permissions.scoped_rectifications(actor).filter(branch__path__startswith=org.path)
    if status:
        qs = qs.filter(status=status)
    if overdue is True:
        qs = qs.filter(overdue_q())
    elif overdue is False:
        qs = qs.exclude(overdue_q())
    return qs.select_related("branch", "opened_by_org").order_by("deadline", "id")


def overdue_count(actor, org: Organization) -> int:
    return rectifications_in(actor, org, overdue=True).count()


def spot_checks_in(actor, org: Organization) -> QuerySet[SpotCheck]:
    return (
        permissions.scoped_spot_checks(actor)
        .filter(org__path__startswith=org.path)
        .select_related("org", "created_by")
        .order_by("-created_at", "-id")
    )


def item_of(spot_check: SpotCheck, **lookup) -> SpotCheckItem:
    """One item of a spot check already fetched in scope (by `pk` or `branch_id`), or
    not_found."""
    item = (
        spot_check.items.select_related("spot_check", "spot_check__org", "branch")
        .filter(**lookup)
        .first()
    )
    if item is None:
        raise permissions.not_found()
    return item


def items_of(spot_check: SpotCheck) -> list[SpotCheckItem]:
    return list(
        spot_check.items.select_related("branch", "activity", "inspected_by").order_by("position")
    )


@dataclass
class ActivityEvidence:
    activity: Activity
    events: list = field(default_factory=list)
    attendance: list = field(default_factory=list)
    refusals: list = field(default_factory=list)
    corrections: list = field(default_factory=list)
    photos: list = field(default_factory=list)
    comments: list = field(default_factory=list)
    score: object | None = None
    # The six required items with their evidence (orglife.selectors.ItemSheet).
    items: object | None = None


def evidence(item: SpotCheckItem) -> list[ActivityEvidence]:
    """What an inspector looks at for one sampled branch and the check's period: each
    activity's plan and review history, attendance (refused attempts and corrections
    included), photos with their flags, its required items with their evidence, comments
    (hidden ones marked) and the score breakdown."""
    from dangjian.attendance.models import AttendanceRecord, CheckInAttempt, Correction
    from dangjian.interaction.models import Comment, Photo

    out = []
    activities = list(scoring.branch_activities(item.branch, item.spot_check.period))
    for activity in activities:
        ev = ActivityEvidence(activity=activity)
        ev.events = list(activity.events.select_related("actor").order_by("at", "id"))
        ev.attendance = list(
            AttendanceRecord.objects.of_activity(activity)
            .select_related("member")
            .order_by("member__name", "member_id")
        )
        ev.refusals = [
            a
            for a in CheckInAttempt.objects.of_activity(activity)
            .select_related("member")
            .order_by("at", "id")[:500]
            if a.is_refusal
        ]
        ev.corrections = list(
            Correction.objects.filter(activity=activity)
            .select_related("member", "proposed_by", "decided_by")
            .order_by("proposed_at", "id")
        )
        ev.photos = list(Photo.objects.filter(activity=activity).order_by("created_at", "id"))
        ev.items = orglife.item_sheet(activity)
        ev.comments = list(
            Comment.objects.filter(activity=activity)
            .select_related("author")
            .order_by("created_at", "id")
        )
        try:
            ev.score = scoring.score_of(activity)
        except DomainError:  # not held: no score to show
            ev.score = None
        out.append(ev)
    return out

"""What goes into a branch's ledger for a year, read in a fixed number of queries whatever
the number of activities: its activities (plans with their history, historical ones
included), rosters, attendance, photos, summaries, comments and reflections, required
items with their evidence, ratings and scores, the branch's month, quarter and year
scores, its dues register, and the rectifications opened for it that year with their
steps and files."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Q
from django.utils import timezone

from dangjian.attendance.models import AttendanceRecord, Correction
from dangjian.core import clock
from dangjian.interaction.models import Comment, Photo, Rating, Summary
from dangjian.orglife import selectors as orglife
from dangjian.orglife.models import ItemEvidence
from dangjian.registry.models import Organization
from dangjian.scoring.models import ActivityScore, BranchPeriodScore
from dangjian.supervision.models import (
    Rectification,
    RectificationAttachment,
    RectificationEvent,
)
from dangjian.themedays.models import Activity, ActivityEvent, HistoricalRecord, RosterEntry


@dataclass
class ActivityPart:
    """One activity and everything recorded about it."""

    activity: Activity
    events: list[ActivityEvent] = field(default_factory=list)
    roster: list[RosterEntry] = field(default_factory=list)
    attendance: dict[int, AttendanceRecord] = field(default_factory=dict)
    corrections: list[Correction] = field(default_factory=list)
    photos: list[Photo] = field(default_factory=list)
    summary: Summary | None = None
    comments: list[Comment] = field(default_factory=list)
    ratings: list[Rating] = field(default_factory=list)
    score: ActivityScore | None = None
    historical: HistoricalRecord | None = None
    attendee_names: list[str] = field(default_factory=list)
    items: list[ItemEvidence] = field(default_factory=list)


@dataclass
class RectificationPart:
    rectification: Rectification
    events: list[RectificationEvent] = field(default_factory=list)
    attachments: list[RectificationAttachment] = field(default_factory=list)


@dataclass
class Contents:
    branch: Organization
    year: int
    activities: list[ActivityPart]
    period_scores: list[BranchPeriodScore]
    rectifications: list[RectificationPart]
    dues: orglife.Register


def _year_bounds(year: int) -> tuple[datetime, datetime]:
    zone = timezone.get_default_timezone()
    return datetime(year, 1, 1, tzinfo=zone), datetime(year + 1, 1, 1, tzinfo=zone)


def year_activities(branch: Organization, year: int):
    """The branch's activities of the year: a campaign's by the campaign's month, any other
    by its start (as scoring counts them)."""
    start, end = _year_bounds(year)
    return Activity.objects.filter(branch=branch).filter(
        Q(campaign__month__year=year)
        | Q(campaign__isnull=True, starts_at__gte=start, starts_at__lt=end)
    )


def gather(branch: Organization, year: int) -> Contents:
    activities = list(
        year_activities(branch, year)
        .select_related("campaign", "created_by")
        .order_by("starts_at", "pk")
    )
    parts = {a.pk: ActivityPart(a) for a in activities}
    ids = list(parts)
    if ids:
        _fill(parts, ids)
    start, end = _year_bounds(year)
    period_scores = list(
        BranchPeriodScore.objects.filter(
            branch=branch, period_start__gte=date(year, 1, 1), period_start__lt=date(year + 1, 1, 1)
        ).order_by("kind", "period_start")
    )
    rectifications = {
        r.pk: RectificationPart(r)
        for r in Rectification.objects.filter(
            branch=branch, opened_at__gte=start, opened_at__lt=end
        )
        .select_related("opened_by_org", "opened_by")
        .order_by("opened_at", "pk")
    }
    if rectifications:
        for e in RectificationEvent.objects.filter(
            rectification_id__in=list(rectifications)
        ).select_related("actor"):
            rectifications[e.rectification_id].events.append(e)
        for f in RectificationAttachment.objects.filter(
            rectification_id__in=list(rectifications)
        ).order_by("pk"):
            rectifications[f.rectification_id].attachments.append(f)
    dues = orglife.dues_register(branch, year, today=clock.today())
    return Contents(
        branch, year, list(parts.values()), period_scores, list(rectifications.values()), dues
    )


def _fill(parts: dict[int, ActivityPart], ids: list[int]) -> None:
    for e in ActivityEvent.objects.filter(activity_id__in=ids).select_related("actor"):
        parts[e.activity_id].events.append(e)
    for r in (
        RosterEntry.objects.filter(activity_id__in=ids)
        .select_related("member")
        .order_by("activity_id", "is_flowing", "member__name", "pk")
    ):
        parts[r.activity_id].roster.append(r)
    for a in AttendanceRecord.objects.filter(activity_id__in=ids).select_related("member"):
        parts[a.activity_id].attendance[a.member_id] = a
    for c in Correction.objects.filter(activity_id__in=ids).select_related("member").order_by("pk"):
        parts[c.activity_id].corrections.append(c)
    for p in Photo.objects.filter(activity_id__in=ids).order_by("created_at", "pk"):
        parts[p.activity_id].photos.append(p)
    for s in Summary.objects.filter(activity_id__in=ids):
        parts[s.activity_id].summary = s
    for c in (
        Comment.objects.filter(activity_id__in=ids)
        .select_related("author")
        .order_by("created_at", "pk")
    ):
        parts[c.activity_id].comments.append(c)
    for r in (
        Rating.objects.filter(activity_id__in=ids)
        .select_related("rater_org")
        .order_by("created_at", "pk")
    ):
        parts[r.activity_id].ratings.append(r)
    for s in ActivityScore.objects.filter(activity_id__in=ids):
        parts[s.activity_id].score = s
    for e in (
        ItemEvidence.objects.filter(activity_id__in=ids)
        .select_related("package", "recorded_by")
        .prefetch_related("photos")
    ):
        parts[e.activity_id].items.append(e)
    historical_ids = [pk for pk in ids if parts[pk].activity.is_historical]
    if historical_ids:
        for h in HistoricalRecord.objects.filter(activity_id__in=historical_ids):
            parts[h.activity_id].historical = h
        names: dict[int, list[str]] = defaultdict(list)
        through = HistoricalRecord.attendees.through
        for activity_id, name in (
            through.objects.filter(historicalrecord_id__in=historical_ids)
            .order_by("pk")
            .values_list("historicalrecord_id", "member__name")
        ):
            names[activity_id].append(name)
        for activity_id, listed in names.items():
            parts[activity_id].attendee_names = listed

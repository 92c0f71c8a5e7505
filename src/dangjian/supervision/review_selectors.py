"""Reads for record review: the reviewers' queue, the records sent back to a branch, a
review's history, and the send-backs that the monthly supervision, the bulletin and the
appraisal count (`send_backs`, `unanswered_send_backs`: one query each)."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time

from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Length, Trim
from django.utils import timezone

from dangjian import permissions
from dangjian.core import clock
from dangjian.core.subqueries import count_per
from dangjian.interaction.models import Evidence, Photo
from dangjian.orglife import selectors as orglife
from dangjian.orglife.models import ItemEvidence
from dangjian.registry.models import Organization
from dangjian.scoring.formula import Period, month_of
from dangjian.supervision import reviewing
from dangjian.supervision.models import (
    RecordReview,
    RecordReviewEvent,
    ReviewAction,
    ReviewStatus,
)
from dangjian.themedays import items
from dangjian.themedays.models import Activity, ActivityStatus

# Send-backs -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SendBack:
    """One send-back of a branch's record: when, why, by when, and when the branch
    resubmitted in answer (None if it has not, or the record was sent back again first)."""

    review_id: int
    activity_id: int
    branch_id: int
    activity_starts_at: datetime
    sent_back_at: datetime
    reason: str
    deadline: date
    resubmitted_at: datetime | None


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _send_back_rows(branch_ids: Iterable[int], **filters) -> QuerySet[RecordReviewEvent]:
    following = RecordReviewEvent.objects.filter(
        review_id=OuterRef("review_id"), at__gt=OuterRef("at")
    ).order_by("at", "id")
    return (
        RecordReviewEvent.objects.filter(
            action=ReviewAction.SEND_BACK, review__branch_id__in=list(branch_ids), **filters
        )
        .annotate(
            next_action=Subquery(following.values("action")[:1]),
            next_at=Subquery(following.values("at")[:1]),
        )
        .order_by("at", "id")
        .values_list(
            "review_id",
            "review__activity_id",
            "review__branch_id",
            "review__activity__starts_at",
            "at",
            "text",
            "deadline",
            "next_action",
            "next_at",
        )
    )


def _send_back(row) -> SendBack:
    *head, next_action, next_at = row
    return SendBack(*head, resubmitted_at=next_at if next_action == ReviewAction.RESUBMIT else None)


def send_backs(branch_ids: Iterable[int], start: date, end: date) -> list[SendBack]:
    """The send-backs of the branches' records made from the day `start` to the day before
    `end` (a Period's start and end), oldest first, each with the resubmission that
    answered it. One query."""
    rows = _send_back_rows(branch_ids, at__gte=_day_start(start), at__lt=_day_start(end))
    return [_send_back(row) for row in rows]


def unanswered_send_backs(branch_ids: Iterable[int], at: datetime) -> list[SendBack]:
    """The send-backs unanswered at `at`: the latest step of their record by then, and
    their deadline day over before `at`'s day (overdue; a record sent back again after
    its deadline counts once, by its latest send-back). One query."""
    later = RecordReviewEvent.objects.filter(
        review_id=OuterRef("review_id"), at__gt=OuterRef("at"), at__lte=at
    )
    day = timezone.localdate(at)
    rows = _send_back_rows(branch_ids, at__lte=at, deadline__lt=day).filter(~Exists(later))
    return [_send_back(row) for row in rows]


# The reviewers' queue -------------------------------------------------------------------

QUEUE_STATES = ("todo", "sent_back", "passed")


def _reviewable(actor, org: Organization | None) -> QuerySet[Activity]:
    """Closed activities of the branches the actor reviews (below an organization they
    administer), within `org` when given. Historical records imported from a ledger's
    spreadsheet are not in it: they have no photos or summary to review."""
    qs = permissions.scoped_activities(actor).filter(
        permissions.admin_above_q(actor, "branch__path"),
        status=ActivityStatus.CLOSED,
        is_historical=False,
    )
    if org is not None:
        qs = qs.filter(branch__path__startswith=org.path)
    return qs


def latest_period(actor, org: Organization | None = None) -> Period | None:
    """The month of the latest closed activity the actor reviews: where the queue opens
    (a city's whole year at once would be a queue nobody reads, and slow to sort)."""
    starts = _reviewable(actor, org).order_by("-starts_at").values_list("starts_at", flat=True)
    latest = starts.first()
    return month_of(timezone.localdate(latest)) if latest else None


def review_queue(
    actor,
    org: Organization | None = None,
    state: str = "todo",
    period: Period | None = None,
):
    """The records the actor reviews. `todo`: closed and not yet reviewed, or resubmitted;
    those with flagged photos first, then thin summaries, then those with the fewest
    required items marked done, then the longest waiting.
    `sent_back`: waiting for their branch, the overdue first. `passed`: newest first.
    Each activity carries `flagged_photos`, `summary_chars` and its `review` (or None).
    With a `period`, only the activities that started in it."""
    qs = _reviewable(actor, org)
    if period is not None:
        qs = qs.filter(
            starts_at__gte=_day_start(period.start), starts_at__lt=_day_start(period.end)
        )
    if state == "todo":
        qs = qs.filter(
            Q(record_review__isnull=True) | Q(record_review__status=ReviewStatus.RESUBMITTED)
        )
    elif state in (ReviewStatus.SENT_BACK, ReviewStatus.PASSED):
        qs = qs.filter(record_review__status=state)
    else:
        raise ValueError(state)
    flagged = Photo.objects.filter(activity_id=OuterRef("pk"), evidence=Evidence.FLAGGED)
    qs = qs.annotate(
        flagged_photos=count_per(flagged, "activity_id"),
        summary_chars=Coalesce(Length(Trim("summary__text")), Value(0)),
    ).select_related("branch", "record_review", "record_review__reviewer_org")
    if state == "todo":
        done = ItemEvidence.objects.filter(activity_id=OuterRef("pk"), is_done=True)
        return qs.annotate(
            has_flagged=ExpressionWrapper(Q(flagged_photos__gt=0), output_field=BooleanField()),
            is_thin=ExpressionWrapper(
                Q(summary_chars__lt=reviewing.THIN_SUMMARY_CHARS), output_field=BooleanField()
            ),
            # Items marked done: the fewer, the more required items are missing (an agenda
            # carries the campaign's items, the six by default); `with_missing_items` gives
            # the page's exact ones.
            done_items=count_per(done, "activity_id"),
        ).order_by("-has_flagged", "-is_thin", "done_items", "closed_at", "id")
    if state == ReviewStatus.SENT_BACK:
        return qs.order_by("record_review__deadline", "id")
    return qs.order_by("-record_review__passed_at", "-id")


def with_missing_items(activities: list[Activity]) -> list[Activity]:
    """The page's activities, each with `missing_items`: the codes of the required items
    not marked done (orglife's rule), and their labels; one query for the page."""
    missing = orglife.missing_items([a.pk for a in activities])
    for activity in activities:
        activity.missing_items = missing.get(activity.pk, [])
        activity.missing_item_labels = [items.LABEL_BY_CODE[c] for c in activity.missing_items]
    return activities


def queue_count(actor, limit: int | None = None) -> int:
    """How many records wait for the actor's review, counted up to `limit` (the console
    menu's badge says 99+, and a city's count never reads its whole year)."""
    if not permissions.is_admin(actor):
        return 0
    qs = _reviewable(actor, None).filter(
        Q(record_review__isnull=True) | Q(record_review__status=ReviewStatus.RESUBMITTED)
    )
    return qs[:limit].count() if limit else qs.count()


# The branch's side ----------------------------------------------------------------------


def sent_back_records(actor) -> QuerySet[RecordReview]:
    """The records sent back to branches the actor runs (their own admins), waiting for a
    supplement: the nearest deadline first."""
    return (
        permissions.answerable_record_reviews(actor)
        .filter(status=ReviewStatus.SENT_BACK)
        .select_related("activity", "branch", "reviewer_org")
        .order_by("deadline", "id")
    )


def review_of(actor, activity: Activity) -> RecordReview | None:
    """The review of an activity the actor reads (fetched through `permissions` first)."""
    return (
        permissions.scoped_record_reviews(actor)
        .filter(activity=activity)
        .select_related("activity", "branch", "reviewer_org")
        .first()
    )


def history(review: RecordReview) -> list[RecordReviewEvent]:
    return list(review.events.select_related("actor").order_by("at", "id"))


def is_overdue(review: RecordReview, today: date | None = None) -> bool:
    return reviewing.is_overdue(review.status, review.deadline, today or clock.today())

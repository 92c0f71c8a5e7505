"""Writes for scoring: the policy (a root admin's), and the stored scores, kept up to date
as their inputs change.

The hook for the other apps: after a write that changes an activity's score inputs
(check-in or check-out, absence at closing, leave, an approved correction, a like, a
photo, the summary, a comment or its hiding, a rating, closing or cancelling), call

    from dangjian.scoring.services import inputs_changed
    inputs_changed(activity_id=activity.pk)

inside the writing transaction. It queues `scoring.tasks.recompute_activity_score` to run
after the commit (in-process in the embedded default, on a Celery worker with Redis), so a
rolled-back write queues nothing and the writer never waits for the recompute. With Redis,
the recompute is also marked due in the database until it starts, and the scheduled sweep
(`recompute_due`) does what a stopped Redis lost or refused."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian import celery, permissions
from dangjian.audit import services as audit
from dangjian.core import clock
from dangjian.core.batching import chunks
from dangjian.core.errors import DomainError
from dangjian.registry.models import Organization, OrgKind, User
from dangjian.scoring import formula
from dangjian.scoring.formula import Period
from dangjian.scoring.inputs import activity_month, is_held, scores
from dangjian.scoring.models import (
    ActivityScore,
    BranchPeriodScore,
    RecomputeDue,
    ScoringPolicy,
)
from dangjian.themedays.models import Activity, ActivityStatus

SCORE_FIELDS = [
    "branch",
    "month",
    "is_campaign",
    "is_closed",
    "is_late_record",
    "policy_version",
    "total_hundredths",
    "components",
    *formula.INPUT_FIELDS,
    "computed_at",
]
PERIOD_FIELDS = [
    "score_hundredths",
    "activity",
    "held_months",
    "roster_non_flowing",
    "checked_in_non_flowing",
    "computed_at",
]
WRITE_BATCH = 1000
# A full recompute scores this many activities a transaction, and reads and writes the
# branch rows of this many branches at a time.
ACTIVITY_CHUNK = 2000
BRANCH_CHUNK = 2000

POLICY_PROBLEMS = {
    "weights_components": lambda: _("须为五项得分各设权重"),
    "weights_negative": lambda: _("权重应为不小于 0 的整数"),
    "weights_sum": lambda: _("五项权重之和应为 100"),
    "photos_target": lambda: _("照片满分张数至少为 1"),
    "summary_chars": lambda: _("总结满分字数至少为 1"),
    "photos_share": lambda: _("照片占上传分的比例应在 0 到 100 之间"),
}


# The hook ---------------------------------------------------------------------------------


# Check-ins come in bursts: a branch's 30 members within minutes, hundreds of branches at
# once on a theme day. Recomputing after each would queue one task per check-in; instead the
# first change queues one recompute this many seconds later, and the changes until it runs
# ride on it (the task clears the mark before it reads, so none is missed).
DEBOUNCE_SECONDS = 20
# A recompute due this long after its queued task should have started is done by the
# scheduled sweep (recompute_due): its task was lost (Redis stopped) or never queued.
DUE_GRACE_SECONDS = 40
# activity id -> until when (monotonic clock) the recompute this process queued is pending.
_queued_here: dict[int, float] = {}

logger = logging.getLogger(__name__)


def pending_key(activity_id: int) -> str:
    return f"scoring:pending:{activity_id}"


def inputs_changed(*, activity_id: int, debounce: bool = False) -> None:
    """An activity's score inputs changed: recompute its score (and its branch's month,
    quarter and year) in the background once the current transaction commits.

    `debounce=True` is for the hot paths (check-in, check-out): with a broker the
    recompute runs at most once per DEBOUNCE_SECONDS per activity, marked in the shared
    cache. Without one (tasks run eagerly in the embedded default) it runs at once.

    With a broker the recompute is also marked due in the database (RecomputeDue) until
    it starts, so that a task Redis lost, or a Redis that is down, delays the recompute
    until the scheduled sweep instead of losing it; the writer never fails or waits for
    Redis."""
    from dangjian.scoring.tasks import recompute_activity_score

    if settings.CELERY_TASK_ALWAYS_EAGER:
        transaction.on_commit(lambda: recompute_activity_score.delay(activity_id))
        return
    if not debounce:
        # In the writing transaction: the mark commits with the change or not at all.
        mark_due(activity_id)
        transaction.on_commit(lambda: celery.send(recompute_activity_score, (activity_id,)))
        return

    def queue() -> None:
        # A recompute queued less than DEBOUNCE_SECONDS ago, by this process or another,
        # has not started yet and will read this change: skip the shared cache's round trip
        # (with several workers, most of a check-in's cost here).
        now = time.monotonic()
        if now < _queued_here.get(activity_id, 0.0):
            return
        key = pending_key(activity_id)
        due = clock.now().timestamp() + DEBOUNCE_SECONDS
        added = _cache_add(key, due)
        if added is False:
            # Another process queued it: its mark holds when the recompute is due.
            due = _cache_get(key)
            if not isinstance(due, float):
                return
        else:
            mark_due(activity_id)
            if added:
                celery.send(recompute_activity_score, (activity_id,), countdown=DEBOUNCE_SECONDS)
            # Otherwise Redis is down: the broker is the same Redis, the sweep will do it.
        if len(_queued_here) > 10000:
            _queued_here.clear()
        # Two seconds short: the worker's clock, which starts the task, may run ahead.
        left = min(due - clock.now().timestamp(), DEBOUNCE_SECONDS)
        _queued_here[activity_id] = now + left - 2

    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(queue)
    else:
        # Committed already (the usual check-in: one statement in autocommit): on_commit
        # would run it at once, after its own checks.
        queue()


def _cache_add(key: str, due: float) -> bool | None:
    """Set the debounce mark unless it is set: True if this call set it, False if it was
    set, None if the cache (Redis) is down; a check-in never fails or waits for it."""
    if celery.redis_is_down():
        return None
    try:
        return bool(cache.add(key, due, timeout=DEBOUNCE_SECONDS + 60))
    except Exception:  # Redis down or hanging: the mark in the database will do
        celery.redis_failed()
        logger.warning("cache unavailable: score recompute left to the sweep", exc_info=True)
        return None


def _cache_get(key: str):
    try:
        return cache.get(key)
    except Exception:  # the recompute is queued (the mark was there): nothing to do
        return None


def mark_due(activity_id: int) -> None:
    """Mark the activity's recompute due (kept if already marked, with its first time)."""
    RecomputeDue.objects.bulk_create(
        [RecomputeDue(activity_id=activity_id, since=clock.now())], ignore_conflicts=True
    )


def clear_pending(activity_id: int) -> None:
    """The queued recompute starts: a change committed from now on queues another. The
    mark in the database goes first: a change that still sees the cache's mark rides on
    this recompute, which reads after it."""
    _queued_here.pop(activity_id, None)
    RecomputeDue.objects.filter(activity_id=activity_id).delete()
    try:
        cache.delete(pending_key(activity_id))
    except Exception:  # Redis down: its mark expires by itself
        logger.warning("cache unavailable: debounce mark not cleared", exc_info=True)


def recompute_due() -> int:
    """Scheduled safety net: recompute the activities whose recompute was due and never
    started (its task lost with a stopped Redis, or never queued while Redis was down)."""
    cutoff = clock.now() - timedelta(seconds=DEBOUNCE_SECONDS + DUE_GRACE_SECONDS)
    due = list(
        RecomputeDue.objects.filter(since__lte=cutoff)
        .order_by("since")
        .values_list("activity_id", flat=True)[:2000]
    )
    for activity_id in due:
        clear_pending(activity_id)
        recompute_activity(activity_id)
    return len(due)


# Policy ----------------------------------------------------------------------------------


@transaction.atomic
def set_policy(
    *,
    actor: User,
    weights: dict[str, int],
    upload_photos_target: int = 4,
    upload_summary_chars: int = 400,
    upload_photos_share: int = 50,
    note: str = "",
) -> ScoringPolicy:
    """A new policy version, by an admin of a root organization (the city's organization
    department). It applies to activities that close from now on; scores already stored
    keep the version they were computed with."""
    root = permissions.require_root_admin(actor)
    weights = dict(weights or {})
    problems = formula.policy_problems(
        weights, upload_photos_target, upload_summary_chars, upload_photos_share
    )
    if problems:
        raise DomainError("invalid_policy", POLICY_PROBLEMS[problems[0]](), problems=problems)
    now = clock.now()
    latest = ScoringPolicy.objects.aggregate(v=Max("version"))["v"] or 1
    try:
        with transaction.atomic():
            policy = ScoringPolicy.objects.create(
                version=latest + 1,
                weight_sign_in=weights[formula.SIGN_IN],
                weight_flowing_like=weights[formula.FLOWING_LIKE],
                weight_upload=weights[formula.UPLOAD],
                weight_comment=weights[formula.COMMENT],
                weight_superior=weights[formula.SUPERIOR],
                weight_study=weights.get(formula.STUDY, 0),
                upload_photos_target=upload_photos_target,
                upload_summary_chars=upload_summary_chars,
                upload_photos_share=upload_photos_share,
                note=(note or "").strip()[:300],
                effective_from=now,
                created_by=actor,
                created_at=now,
            )
    except IntegrityError:
        raise DomainError("conflict", _("评分规则刚被他人修改，请刷新后重试")) from None
    audit.record(
        actor=actor,
        action="scoring.policy",
        obj=policy,
        org=root,
        after={
            "version": policy.version,
            "weights": policy.weights,
            "upload_photos_target": upload_photos_target,
            "upload_summary_chars": upload_summary_chars,
            "upload_photos_share": upload_photos_share,
        },
    )
    return policy


# Activity scores -------------------------------------------------------------------------


def _score_activities(activities: list[Activity], now) -> list[ActivityScore]:
    return [
        ActivityScore(
            activity_id=activity.pk,
            branch_id=activity.branch_id,
            month=activity_month(activity),
            is_campaign=activity.campaign_id is not None,
            is_closed=activity.status == ActivityStatus.CLOSED,
            is_late_record=activity.is_late_record,
            policy_version=result.policy_version,
            total_hundredths=formula.to_hundredths(result.total),
            components=result.as_dict()["components"],
            **asdict(inputs),
            computed_at=now,
        )
        for activity, inputs, result in scores(activities, now)
    ]


def _save_scores(rows: list[ActivityScore]) -> None:
    ActivityScore.objects.bulk_create(
        rows,
        batch_size=WRITE_BATCH,
        update_conflicts=True,
        unique_fields=["activity"],
        update_fields=SCORE_FIELDS,
    )


def recompute_activity(activity_id: int) -> ActivityScore | None:
    """Score one activity from its current inputs (or drop its score if it is not held,
    e.g. cancelled), then its branch's month, quarter and year. Idempotent: what the
    background task runs."""
    now = clock.now()
    with transaction.atomic():
        activity = Activity.objects.select_related("campaign").filter(pk=activity_id).first()
        if activity is None:
            return None
        # One branch's scores are recomputed one at a time: its quarter and year are means
        # over months that concurrent recomputes of its other activities may be changing.
        Organization.objects.select_for_update().filter(pk=activity.branch_id).first()
        old_month = (
            ActivityScore.objects.filter(activity_id=activity_id)
            .values_list("month", flat=True)
            .first()
        )
        row = None
        if is_held(activity, now):
            row = _score_activities([activity], now)[0]
            _save_scores([row])
        else:
            ActivityScore.objects.filter(activity_id=activity_id).delete()
        months = {m for m in (old_month, row.month if row else None) if m is not None}
        for month in months:
            refresh_branch(branch_id=activity.branch_id, month=month, now=now)
    return row


# Branch scores ---------------------------------------------------------------------------


def _month_rows(branch_ids: list[int], months: list[date], now) -> list[BranchPeriodScore]:
    """Month rows from the stored activity scores: the best held campaign activity of the
    month (a branch holds one per campaign; two campaigns in a month count the better),
    0 without one. For up to BRANCH_CHUNK branches."""
    best: dict[tuple[int, date], ActivityScore] = {}
    for s in ActivityScore.objects.filter(
        branch_id__in=branch_ids, month__in=months, is_campaign=True
    ).only(
        "activity_id",
        "branch_id",
        "month",
        "total_hundredths",
        "roster",
        "roster_flowing",
        "checked_in_non_flowing",
    ):
        key = (s.branch_id, s.month)
        kept = best.get(key)
        if kept is None or (s.total_hundredths, -s.activity_id) > (
            kept.total_hundredths,
            -kept.activity_id,
        ):
            best[key] = s
    rows = []
    for branch_id in branch_ids:
        for month in months:
            s = best.get((branch_id, month))
            rows.append(
                BranchPeriodScore(
                    branch_id=branch_id,
                    kind="month",
                    period_start=month,
                    score_hundredths=s.total_hundredths if s else 0,
                    activity_id=s.activity_id if s else None,
                    held_months=1 if s else 0,
                    roster_non_flowing=s.roster_non_flowing if s else 0,
                    checked_in_non_flowing=s.checked_in_non_flowing if s else 0,
                    computed_at=now,
                )
            )
    return rows


def _aggregate_rows(
    periods: list[Period], month_rows: dict[tuple[int, date], BranchPeriodScore], branch_ids, now
) -> list[BranchPeriodScore]:
    """Quarter and year rows: the mean of their months (3 or 12, a month without a row
    counting 0), and the sums of their sign-in counts."""
    rows = []
    for branch_id in branch_ids:
        for period in periods:
            months = [month_rows.get((branch_id, m)) for m in period.months]
            present = [m for m in months if m is not None]
            rows.append(
                BranchPeriodScore(
                    branch_id=branch_id,
                    kind=period.kind,
                    period_start=period.start,
                    score_hundredths=formula.mean_hundredths(
                        (m.score_hundredths for m in present), len(months)
                    ),
                    activity_id=None,
                    held_months=sum(m.held_months for m in present),
                    roster_non_flowing=sum(m.roster_non_flowing for m in present),
                    checked_in_non_flowing=sum(m.checked_in_non_flowing for m in present),
                    computed_at=now,
                )
            )
    return rows


def _save_periods(rows: list[BranchPeriodScore]) -> None:
    BranchPeriodScore.objects.bulk_create(
        rows,
        batch_size=WRITE_BATCH,
        update_conflicts=True,
        unique_fields=["kind", "period_start", "branch"],
        update_fields=PERIOD_FIELDS,
    )


def _refresh_aggregates(branch_ids: list[int], months: Iterable[date], now) -> None:
    """Recompute the quarters and years containing `months` from the stored month rows,
    for up to BRANCH_CHUNK branches."""
    periods = sorted(
        {p for m in months for p in formula.periods_containing(m) if p.kind != "month"}
    )
    if not periods:
        return
    all_months = sorted({m for p in periods for m in p.months})
    month_rows = {
        (r.branch_id, r.period_start): r
        for r in BranchPeriodScore.objects.filter(
            kind="month", period_start__in=all_months, branch_id__in=branch_ids
        ).only(
            "branch_id",
            "period_start",
            "score_hundredths",
            "held_months",
            "roster_non_flowing",
            "checked_in_non_flowing",
        )
    }
    _save_periods(_aggregate_rows(periods, month_rows, branch_ids, now))


def refresh_branch(*, branch_id: int, month: date, now=None) -> None:
    """One branch's month row from its activity scores, then its quarter and year."""
    now = now or clock.now()
    with transaction.atomic():
        _save_periods(_month_rows([branch_id], [month], now))
        _refresh_aggregates([branch_id], [month], now)


# Full recompute --------------------------------------------------------------------------


def activities_in(org: Organization, period: Period):
    """The activities of the branches under `org` that belong to the period's months."""
    first, end = period.start, period.end
    local_start = datetime(first.year, first.month, 1, tzinfo=timezone.get_current_timezone())
    local_end = datetime(end.year, end.month, 1, tzinfo=timezone.get_current_timezone())
    return Activity.objects.filter(branch__path__startswith=org.path).filter(
        Q(campaign__month__gte=first, campaign__month__lt=end)
        | Q(campaign__isnull=True, starts_at__gte=local_start, starts_at__lt=local_end)
    )


def recompute(
    *,
    org: Organization,
    period: Period,
    actor: User | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Recompute every score of a scope and period from the attendance and interaction
    tables: the activities' scores, every active branch's month rows (0 for a month
    without a held activity) and the quarters and years they are part of. Idempotent;
    what `manage.py recompute_scores` runs."""
    say = progress or (lambda message: None)
    now = clock.now()
    activities = list(activities_in(org, period).select_related("campaign").order_by("pk"))
    held = [a for a in activities if is_held(a, now)]
    dropped_ids = [a.pk for a in activities if not is_held(a, now)]
    say(f"activities: {len(activities)} in scope, {len(held)} held")
    scored = 0
    for chunk in chunks(held, ACTIVITY_CHUNK):
        with transaction.atomic():
            _save_scores(_score_activities(chunk, now))
        scored += len(chunk)
        say(f"  scored {scored}/{len(held)}")
    if dropped_ids:
        ActivityScore.objects.filter(activity_id__in=dropped_ids).delete()
    branch_ids = list(
        Organization.objects.filter(
            path__startswith=org.path, kind=OrgKind.BRANCH, is_active=True
        ).values_list("pk", flat=True)
    )
    months = period.months
    with transaction.atomic():
        for chunk in chunks(branch_ids, BRANCH_CHUNK):
            _save_periods(_month_rows(chunk, months, now))
        say(f"branches: {len(branch_ids)} × {len(months)} month rows")
        for chunk in chunks(branch_ids, BRANCH_CHUNK):
            _refresh_aggregates(chunk, months, now)
        if actor is not None:
            audit.record(
                actor=actor,
                action="scoring.recompute",
                obj=org,
                org=org,
                after={"period": period.label, "activities": len(held)},
            )
    return {"activities": len(held), "dropped": len(dropped_ids), "branches": len(branch_ids)}


def refresh_stale() -> int:
    """Scheduled safety net: score the held activities that have no score yet, or whose
    score predates their closing (a writer that forgot the hook, or a lost task)."""
    now = clock.now()
    since = now - timedelta(days=45)
    stale = (
        Activity.objects.filter(starts_at__gte=since, starts_at__lte=now)
        .filter(Q(status=ActivityStatus.APPROVED) | Q(status=ActivityStatus.CLOSED))
        .filter(Q(score__isnull=True) | Q(status=ActivityStatus.CLOSED, score__is_closed=False))
        .values_list("pk", flat=True)
    )
    count = 0
    for pk in list(stale[:2000]):
        recompute_activity(pk)
        count += 1
    return count

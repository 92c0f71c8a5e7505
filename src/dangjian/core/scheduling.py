"""The scheduled jobs: what Celery beat runs in production, and what
`manage.py run_scheduled` runs once (or in a loop) in the embedded default.

Each job runs at most once per slot of its period (the slot: the job's period counted from
the epoch, `slot()`), however many beats, workers or `run_scheduled` loops ask for it: the
first to claim `scheduled:<job>:<slot>` in the cache (`cache.add`, atomic on Redis, which
every process of a deployment shares) runs it, the others log it skipped. Two beats started
by mistake thus cost one extra message a tick, not a second run. Without REDIS_URL the cache
is the process's own, which is enough: the embedded default has one scheduler. Beat sends
`dangjian.core.tasks.run_scheduled_job` with the job's name, never the job's task itself."""

import logging
from collections.abc import Callable
from datetime import timedelta

from django.core.cache import cache
from django.db.models import F, Q, QuerySet
from django.utils.module_loading import import_string

from dangjian.core import clock

logger = logging.getLogger(__name__)

# What run_job answers for a job another process ran in this slot already.
SKIPPED = "skipped: already run in this slot"

# name -> (dotted task path, period in seconds). Every job is idempotent: running it twice,
# or late, changes nothing more than running it once on time.
JOBS: dict[str, tuple[str, int]] = {
    "freeze-due-rosters": ("dangjian.themedays.tasks.freeze_due_rosters", 60),
    "close-due-activities": ("dangjian.attendance.tasks.close_due_activities", 60),
    # Quiz attempts whose member never came back, finished at their deadline.
    "finish-overdue-attempts": ("dangjian.learning.tasks.finish_overdue_attempts", 60),
    # A safety net behind scoring.services.inputs_changed: held activities left unscored.
    "refresh-stale-scores": ("dangjian.scoring.tasks.refresh_stale_scores", 600),
    # What Redis lost or refused while it was down, done once it is back: recomputes
    # marked due, notices never handed to their channel, distributions never finished.
    "recompute-due-scores": ("dangjian.scoring.tasks.recompute_due_scores", 60),
    "deliver-due-notifications": ("dangjian.notifications.tasks.deliver_due_outbound", 60),
    "deliver-due-sms": ("dangjian.notifications.sms.deliver_due_sms", 60),
    "deliver-due-wechat": ("dangjian.notifications.wechat.deliver_due_wechat", 60),
    "forget-old-sms-codes": ("dangjian.registry.tasks.forget_old_sms_codes", 3600),
    "forget-expired-api-tokens": ("dangjian.registry.tasks.forget_expired_api_tokens", 3600),
    "resume-distributions": ("dangjian.themedays.tasks.resume_distributions", 60),
    "resume-ledgers": ("dangjian.themedays.tasks.resume_ledgers", 60),
    "resume-imports": ("dangjian.registry.tasks.resume_imports", 60),
    # Exports asked for as jobs: built if their task was lost, their files kept a week.
    "resume-exports": ("dangjian.notifications.tasks.resume_exports", 60),
    "forget-old-exports": ("dangjian.notifications.tasks.forget_old_exports", 3600),
    "resume-package-pushes": ("dangjian.learning.tasks.resume_package_pushes", 60),
    # Volunteer orders nobody claimed reach one level up; those not started by the end of
    # their window are flagged, and expire when nobody claimed them.
    "escalate-unclaimed-orders": ("dangjian.volunteering.tasks.escalate_unclaimed_orders", 600),
    "flag-overdue-orders": ("dangjian.volunteering.tasks.flag_overdue_orders", 600),
    # Volunteer orders completed and left unrated for 7 days, confirmed without a rating.
    "close-unrated-orders": ("dangjian.volunteering.tasks.close_unrated_orders", 3600),
    "resume-bulletin-notices": ("dangjian.supervision.tasks.resume_bulletin_notices", 60),
    # Monthly supervision (一月一督查): from the policy's day, each county's sheet for the
    # month before, made and its reminders sent once.
    "make-monthly-supervision-sheets": (
        "dangjian.supervision.tasks.make_due_monthly_sheets",
        3600,
    ),
    # Partitioned history (PostgreSQL, core.partitions): the coming months' partitions made
    # ahead, and the attempt log's months past ATTEMPT_RETENTION_YEARS archived and dropped.
    "ensure-partitions": ("dangjian.core.partitions.ensure_all", 3600),
    "archive-old-attempts": ("dangjian.attendance.tasks.archive_old_attempts", 86400),
}


def beat_schedule() -> dict:
    return {
        name: {
            "task": "dangjian.core.tasks.run_scheduled_job",
            "schedule": float(period),
            "args": (name,),
        }
        for name, (_path, period) in JOBS.items()
    }


def slot(epoch_seconds: float, period: int) -> int:
    """The period slot a moment falls in: whole periods since the epoch."""
    return int(epoch_seconds // period)


def slot_key(name: str, slot_number: int) -> str:
    return f"scheduled:{name}:{slot_number}"


def run_job(name: str) -> object:
    """Run the job `name` in this process unless it ran in this slot already (module
    docstring): its result, or SKIPPED."""
    path, period = JOBS[name]
    key = slot_key(name, slot(clock.now().timestamp(), period))
    try:
        claimed = cache.add(key, 1, timeout=period)
    except Exception:  # the cache (Redis) is down: a second run is harmless, a missed one not
        logger.warning("cache unavailable: scheduled job %s run unguarded", name, exc_info=True)
        claimed = None
    if claimed is False:
        logger.info("scheduled job %s skipped: already run in slot %s", name, key)
        return SKIPPED
    try:
        return import_string(path)()
    except Exception:
        # Failed: another beat's message, or the next tick, may run it again in this slot.
        if claimed:
            try:
                cache.delete(key)
            except Exception:  # Redis gone meanwhile: the claim expires with its slot
                logger.warning("cache unavailable: %s not released", key, exc_info=True)
        raise


def run_all() -> dict[str, object]:
    """Run every job once, in this process (each unless it ran in its slot already)."""
    return {name: run_job(name) for name in JOBS}


def resume_unfinished(
    queryset: QuerySet,
    *,
    requested: str,
    finished: str,
    after: timedelta,
    run: Callable[[int], object],
    limit: int = 20,
) -> int:
    """The safety net behind a background run that was requested but never finished (its
    task not queued while Redis was down, or lost with a worker that died): run again, oldest
    first, the rows requested more than `after` ago whose `finished` time is missing or older
    than their `requested` one. `run` must be idempotent. Returns how many were run."""
    unfinished = (
        queryset.filter(**{f"{requested}__lte": clock.now() - after})
        .filter(Q(**{f"{finished}__isnull": True}) | Q(**{f"{finished}__lt": F(requested)}))
        .order_by(requested)
        .values_list("pk", flat=True)
    )
    resumed = list(unfinished[:limit])
    for pk in resumed:
        run(pk)
    return len(resumed)

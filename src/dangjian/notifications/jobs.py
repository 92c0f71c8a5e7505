"""Long work that a person starts and watches (docs/architecture.md, "Background work"): a
`Job` is made in the request that asks for the work, the background task moves it along
(`begin`, `advance`, then `succeed` or `fail`) and its end reaches the starter's inbox with
the summary and the link to the result.

Each step is a single UPDATE: inside the task's own short transaction for a batch (the
count commits with the batch it counts) or on its own, never in a long transaction, so a
page that polls the job sees it move while the task runs."""

import logging
import threading
import time

from django.conf import settings
from django.db import connections, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from dangjian import celery
from dangjian.core import clock
from dangjian.notifications.models import Job, JobStatus
from dangjian.registry.models import Organization, User

logger = logging.getLogger(__name__)


def start_job(
    *, actor: User, kind: str, subject: str, title: str, org: Organization | None = None
) -> Job:
    """The job of `actor`'s request for the work on `subject`. While one for that subject
    is unfinished, that one is answered: a second click watches the same work."""
    running = (
        Job.objects.filter(subject=subject, status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
        .order_by("-created_at", "-id")
        .first()
    )
    if running is not None:
        return running
    return Job.objects.create(
        kind=kind, subject=subject, title=title, actor=actor, org=org, created_at=clock.now()
    )


def open_job(subject: str) -> Job | None:
    """The unfinished job of `subject`, for the task (or the sweep that resumes it)."""
    return (
        Job.objects.filter(subject=subject, status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
        .order_by("-created_at", "-id")
        .first()
    )


def begin(job: Job | None, *, total: int) -> None:
    """The work has started and has `total` steps (a run resumed starts counting again)."""
    if job is None:
        return
    job.status, job.total, job.done = JobStatus.RUNNING, total, 0
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, total=total, done=0, started_at=clock.now()
    )


def advance(job: Job | None, steps: int) -> None:
    """`steps` more are done. settings.JOBS_STEP_PAUSE_SECONDS (0 but in the browser test
    that watches a distribution) waits after each step, outside any transaction."""
    if job is None:
        return
    Job.objects.filter(pk=job.pk).update(done=F("done") + steps)
    pause = settings.JOBS_STEP_PAUSE_SECONDS
    if pause and not transaction.get_connection().in_atomic_block:
        time.sleep(pause)


def advance_and_close(job_id: int | None, steps: int, *, summary: str, result_url: str = ""):
    """`steps` more are done by one of several tasks that share the job (the batches of an
    invitation, run in any order and at once): the one whose steps complete it ends it."""
    job = Job.objects.filter(pk=job_id).first() if job_id else None
    if job is None:
        return
    Job.objects.filter(pk=job.pk).update(done=F("done") + steps)
    complete = Job.objects.filter(pk=job.pk, done__gte=F("total"), status=JobStatus.RUNNING)
    if complete.exists():
        _finish(job, JobStatus.SUCCEEDED, summary, result_url)


def succeed(job: Job | None, *, summary: str, result_url: str = "") -> None:
    """The work is done: its summary and link on the job and in the starter's inbox."""
    if job is None:
        return
    _finish(job, JobStatus.SUCCEEDED, summary, result_url)


def fail(job: Job | None, *, summary: str = "", result_url: str = "") -> None:
    """The work has failed: its summary, and where to read why (an import's error report)."""
    if job is None:
        return
    summary = summary or _("任务未能完成，请稍后重试或联系管理员。")
    _finish(job, JobStatus.FAILED, summary, result_url)


def _finish(job: Job, status: str, summary: str, result_url: str) -> None:
    """End the job once: a second end (two last batches at once) changes nothing."""
    from dangjian.notifications.services import notify

    ended = Job.objects.filter(pk=job.pk, status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).update(
        status=status,
        done=F("total") if status == JobStatus.SUCCEEDED else F("done"),
        summary=summary[:300],
        result_url=result_url,
        finished_at=clock.now(),
    )
    if not ended:
        return
    title = (_("已完成：%s") if status == JobStatus.SUCCEEDED else _("未完成：%s")) % job.title
    notify(
        user_ids=[job.actor_id],
        kind="job",
        title=title[:200],
        body=summary,
        link=result_url or f"/console/jobs/{job.pk}/",
        dedupe_key=f"job:{job.pk}",
    )


def send(task, args: tuple) -> None:
    """Queue `task` once the current transaction commits (dangjian.celery.send). With tasks
    run eagerly and settings.JOBS_RUN_IN_THREAD on (the browser tests' setting) it runs in a
    thread of its own instead, so that the request answers at once and its page can watch the
    job, as it does with a real worker."""
    if settings.JOBS_RUN_IN_THREAD and celery.app.conf.task_always_eager:
        transaction.on_commit(lambda: _in_thread(task, args))
    else:
        transaction.on_commit(lambda: celery.send(task, args))


def _in_thread(task, args: tuple) -> threading.Thread:
    # An in-memory SQLite database (the tests') lives in its connection: the thread borrows
    # the caller's, as Django's live server lends it to its request threads. Any other
    # database gets connections of the thread's own, closed when it ends.
    shared = {
        conn.alias: conn
        for conn in connections.all(initialized_only=True)
        if conn.vendor == "sqlite" and conn.is_in_memory_db()
    }
    for conn in shared.values():
        conn.inc_thread_sharing()

    def run() -> None:
        for alias, conn in shared.items():
            connections[alias] = conn
        try:
            task.apply(args)
        except Exception:
            logger.exception("job task %s%r failed", task.name, args)
        finally:
            for conn in shared.values():
                conn.dec_thread_sharing()
            if not shared:
                connections.close_all()

    thread = threading.Thread(target=run, name=f"job {task.name}", daemon=True)
    thread.start()
    return thread

"""Exports made as jobs (docs/architecture.md, "Background work"): a large export (a city's
member register, a quiz's results, an appraisal) asked for with "生成导出文件" is a job of
the asker's; the background task builds the file (its builder counts its steps on the job),
keeps it in private storage under the job and ends the job with its download link, which
also reaches the asker's inbox. The file is read by the job's starter only, each download
audited; the builder checks the asker's permission again when it runs.

The builders live with their data and are named here, by the job's kind, so that one task
runs them all: `builder(job, target_id) -> (bytes, filename, content type)`."""

import logging
from datetime import timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from dangjian.audit import services as audit
from dangjian.core import clock
from dangjian.core.errors import DomainError
from dangjian.core.replica import reading_from_replica
from dangjian.notifications import jobs
from dangjian.notifications.models import Job, JobStatus
from dangjian.registry.models import Organization, User

logger = logging.getLogger(__name__)

BUILDERS = {
    "member_export": "dangjian.registry.exports.build_member_export",
    "quiz_results_export": "dangjian.learning.quiz_results.build_results_export",
    "appraisal_export": "dangjian.supervision.appraisal.build_appraisal_export",
}
# An export's job unfinished this long is taken as lost (its task never ran), and a new
# click starts another.
STALE_AFTER = timedelta(minutes=10)
# The scheduled sweep builds the exports still queued this long after the click (their task
# refused or lost while Redis was down), and forgets the files kept longer than KEPT_FOR.
RESUME_AFTER = timedelta(minutes=5)
KEPT_FOR = timedelta(days=7)


def _folder(job: Job) -> str:
    return f"exports/{job.pk}"


def start_export(
    *, actor: User, kind: str, target_id: int, title: str, org: Organization | None
) -> Job:
    """The job of `actor`'s click for the `kind` export of `target_id`, its task queued once
    the click commits; a second click while it runs watches the same job. The caller has
    checked that the actor may export it."""
    if kind not in BUILDERS:
        raise ValueError(kind)
    subject = f"{kind}:{target_id}:{actor.pk}"
    running = jobs.open_job(subject)
    if running is not None and running.created_at >= clock.now() - STALE_AFTER:
        return running
    jobs.fail(running, summary=_("导出文件未能生成，请重新生成。"))
    with transaction.atomic():
        job = jobs.start_job(actor=actor, kind=kind, subject=subject, title=title, org=org)
        from dangjian.notifications.tasks import build_export_task

        jobs.send(build_export_task, (job.pk, target_id))
    return job


def build_export(job_id: int, target_id: int) -> Job | None:
    """The task's half: the builder makes the file (counting its steps), the file is kept
    under the job, and the job ends with the download link; a refusal (the asker no longer
    may) or a failure ends it with its reason. Nothing for a job already ended."""
    job = (
        Job.objects.select_related("actor", "org")
        .filter(pk=job_id, status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
        .first()
    )
    if job is None or job.kind not in BUILDERS:
        return None
    try:
        # A heavy read, from the replica when there is one, seeing the asker's own writes.
        builder = reading_from_replica(user_id=job.actor_id)(import_string(BUILDERS[job.kind]))
        content, filename, _content_type = builder(job, target_id)
        default_storage.save(f"{_folder(job)}/{filename}", ContentFile(content))
    except DomainError as exc:
        jobs.fail(job, summary=exc.message)
    except Exception:  # noqa: BLE001 - whatever broke, the job says so
        logger.exception("export job %s failed", job_id)
        jobs.fail(job, summary=_("导出文件未能生成，请稍后重新生成。"))
    else:
        jobs.succeed(
            job,
            summary=_("导出文件已生成：%(name)s（%(kb)d KB）。")
            % {"name": filename, "kb": max(1, len(content) // 1024)},
            result_url=f"/console/jobs/{job.pk}/file/",
        )
    return Job.objects.filter(pk=job.pk).first()


def open_export(*, actor: User, job: Job):
    """(open file, download name) of a finished export job, for a view that has checked the
    job is the reader's (notifications.selectors.access_job); DomainError not_found for any
    other job or a file gone. The download is audited: the file holds members' data."""
    names = []
    if job.kind in BUILDERS and job.status == JobStatus.SUCCEEDED:
        try:
            names = default_storage.listdir(_folder(job))[1]
        except FileNotFoundError:
            names = []
    if not names:
        raise DomainError("not_found", _("未找到该导出文件，请重新生成。"))
    name = names[0]
    audit.record(
        actor=actor,
        action="export.download",
        obj=job,
        org=job.org,
        label=job.title,
        after={"kind": job.kind, "file": name},
    )
    return default_storage.open(f"{_folder(job)}/{name}", "rb"), name


def resume_exports(limit: int = 20) -> int:
    """Scheduled safety net: the export jobs still queued RESUME_AFTER after the click are
    built now (build_export does nothing to a job that has ended meanwhile)."""
    queued = Job.objects.filter(
        kind__in=list(BUILDERS),
        status=JobStatus.QUEUED,
        created_at__lte=clock.now() - RESUME_AFTER,
    ).order_by("created_at")[:limit]
    resumed = 0
    for job in queued:
        build_export(job.pk, int(job.subject.split(":")[1]))
        resumed += 1
    return resumed


def forget_old_exports() -> int:
    """Scheduled: the files of exports finished more than KEPT_FOR ago are deleted (they hold
    members' data); their job keeps its summary, and its link leads to the job's page."""
    old = Job.objects.filter(
        kind__in=list(BUILDERS),
        status=JobStatus.SUCCEEDED,
        finished_at__lte=clock.now() - KEPT_FOR,
    ).exclude(result_url="")
    forgotten = 0
    for job in old:
        try:
            names = default_storage.listdir(_folder(job))[1]
        except FileNotFoundError:
            names = []
        for name in names:
            default_storage.delete(f"{_folder(job)}/{name}")
        Job.objects.filter(pk=job.pk).update(result_url="")
        forgotten += 1
    return forgotten

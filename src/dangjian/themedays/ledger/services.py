"""Requesting, building and handing out a branch's yearly ledger.

A request is a Ledger row (pending), audited, whose build is queued once the request
commits (Celery; run at once in the embedded default). The build is idempotent: it does
nothing to a ledger that is no longer pending, and the scheduled sweep runs again the
builds that were requested and never finished (Redis down, a worker lost)."""

import logging
import tempfile
from datetime import timedelta

from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian import permissions
from dangjian.audit import services as audit
from dangjian.core import clock
from dangjian.core.errors import DomainError
from dangjian.core.scheduling import resume_unfinished
from dangjian.notifications import jobs
from dangjian.permissions import Action
from dangjian.registry.models import Organization, User
from dangjian.themedays.ledger import contents, render
from dangjian.themedays.models import Ledger, LedgerStatus

logger = logging.getLogger(__name__)

# A request for the same branch and year still building is answered with itself.
SAME_REQUEST_WITHIN = timedelta(minutes=10)
RESUME_AFTER = timedelta(minutes=5)
FIRST_YEAR = 2000
# A build's steps on its job: gathering the year, writing the ZIP, keeping it.
BUILD_STEPS = 3


def check_year(year, now=None) -> int:
    """A ledger's year: a whole year from FIRST_YEAR to the current one."""
    this_year = timezone.localtime(now or clock.now()).year
    try:
        year = int(year)
    except (TypeError, ValueError):
        year = 0
    if not FIRST_YEAR <= year <= this_year:
        raise DomainError(
            "validation_error",
            _("年份应在 %(first)d 至 %(last)d 之间") % {"first": FIRST_YEAR, "last": this_year},
            field="year",
        )
    return year


@transaction.atomic
def request_ledger(*, actor: User, branch: Organization, year: int) -> Ledger:
    """Ask for the branch's ledger of `year`, built in the background. The branch's own
    admins and the admins above it may; a second request while one is building is the
    same request."""
    if not permissions.may_request_ledger(actor, branch):
        if permissions.can(actor, Action.READ, branch):
            raise permissions.forbidden()
        raise permissions.not_found()
    now = clock.now()
    year = check_year(year, now)
    # Requests for one branch are taken one at a time, so that a double click makes one.
    Organization.objects.select_for_update().filter(pk=branch.pk).first()
    building = (
        Ledger.objects.filter(
            branch=branch,
            year=year,
            status=LedgerStatus.PENDING,
            requested_at__gte=now - SAME_REQUEST_WITHIN,
        )
        .order_by("-requested_at")
        .first()
    )
    if building is not None:
        return building
    ledger = Ledger.objects.create(branch=branch, year=year, requested_by=actor, requested_at=now)
    audit.record(
        actor=actor,
        action="themedays.ledger_request",
        obj=ledger,
        org=branch,
        label=_("%(branch)s %(year)d年度台账") % {"branch": branch.name, "year": year},
        after={"year": year},
        at=now,
    )
    # The job the requester watches: gathering the year, writing the files, keeping them.
    jobs.start_job(
        actor=actor,
        kind="ledger",
        subject=ledger_subject(ledger.pk),
        title=_("台账：%(branch)s %(year)d年") % {"branch": branch.name, "year": year},
        org=branch,
    )
    from dangjian.themedays.tasks import build_ledger_task

    jobs.send(build_ledger_task, (ledger.pk,))
    return ledger


def ledger_subject(ledger_id: int) -> str:
    """What a ledger's job is about (notifications.jobs)."""
    return f"ledger:{ledger_id}"


def build_ledger(ledger_id: int) -> Ledger | None:
    """The background half: gather the year, write the ZIP, store it with its hash. Does
    nothing to a ledger that is not pending; a failure is recorded on the ledger (and
    logged), never raised into a request."""
    ledger = Ledger.objects.select_related("branch").filter(pk=ledger_id).first()
    if ledger is None or ledger.status != LedgerStatus.PENDING:
        return ledger
    job = jobs.open_job(ledger_subject(ledger.pk))
    jobs.begin(job, total=BUILD_STEPS)
    try:
        with tempfile.TemporaryFile() as out:
            found = contents.gather(ledger.branch, ledger.year)
            jobs.advance(job, 1)
            summary = render.write_zip(out, found)
            jobs.advance(job, 1)
            sha256, size = render.sha256_of(out)
            name = render.safe_name(f"{ledger.branch.name}{ledger.year}年台账", 80)
            with transaction.atomic():
                locked = Ledger.objects.select_for_update().get(pk=ledger.pk)
                if locked.status != LedgerStatus.PENDING:
                    return locked
                locked.file.save(f"{name}_{ledger.pk}.zip", File(out), save=False)
                locked.status = LedgerStatus.READY
                locked.built_at = clock.now()
                locked.size = size
                locked.sha256 = sha256
                locked.counts = {
                    "records": summary["records"],
                    "sections": summary["counts"],
                    "missing_originals": len(summary["missing"]),
                }
                locked.save(
                    update_fields=["file", "status", "built_at", "size", "sha256", "counts"]
                )
        jobs.succeed(
            job,
            summary=_("台账已生成：%(records)d 条活动记录，%(kb)d KB。")
            % {"records": summary["records"], "kb": max(1, size // 1024)},
            result_url=f"/console/ledgers/{ledger.pk}/download/",
        )
        return locked
    except Exception as exc:  # noqa: BLE001 - whatever broke, the ledger says so
        logger.exception("ledger %s failed", ledger_id)
        Ledger.objects.filter(pk=ledger_id, status=LedgerStatus.PENDING).update(
            status=LedgerStatus.FAILED,
            built_at=clock.now(),
            failure=f"{type(exc).__name__}: {exc}"[:300],
        )
        jobs.fail(job, summary=_("台账未能生成，请稍后重新生成。"))
        return Ledger.objects.filter(pk=ledger_id).first()


def resume_ledgers() -> int:
    """Scheduled safety net: build again the ledgers requested a while ago and never built."""
    return resume_unfinished(
        Ledger.objects.filter(status=LedgerStatus.PENDING),
        requested="requested_at",
        finished="built_at",
        after=RESUME_AFTER,
        run=build_ledger,
    )


def open_ledger(*, actor: User, ledger: Ledger):
    """The ready ledger's ZIP, opened for reading, and the name to download it under. The
    download is audited: the file holds members' names and records."""
    permissions.require(actor, Action.READ, ledger)
    if ledger.status != LedgerStatus.READY:
        raise DomainError("not_ready", _("台账尚未生成完毕"))
    audit.record(
        actor=actor,
        action="themedays.ledger_download",
        obj=ledger,
        org=ledger.branch,
        label=_("%(branch)s %(year)d年度台账")
        % {"branch": ledger.branch.name, "year": ledger.year},
        after={"sha256": ledger.sha256},
    )
    name = render.safe_name(f"{ledger.branch.name}{ledger.year}年台账", 80) + ".zip"
    return ledger.file.open("rb"), name


def branch_ledgers(actor: User, branch: Organization, limit: int = 20) -> list[Ledger]:
    """The branch's latest ledgers the actor may read, newest first."""
    return list(
        permissions.scoped_ledgers(actor)
        .filter(branch=branch)
        .select_related("branch", "requested_by")
        .order_by("-requested_at", "-id")[:limit]
    )

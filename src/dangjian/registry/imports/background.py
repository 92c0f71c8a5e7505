"""A member import the console starts as a job (notifications.jobs): the request checks the
file's header, keeps the upload in private storage and queues the task; the task checks the
rows a batch at a time (each batch a step of the job, counted outside any transaction, so
that the job's page sees it move), then writes everything in the one transaction of
`import_members` as its last step, all or nothing as before. It ends with "导入 N 名党员"
and the member list, or with the file's errors and the per-row error report (an XLSX kept
beside the upload and read only through the job's starter). The API's import stays in its
request."""

import io
import logging
import math
import secrets

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _

from dangjian import permissions
from dangjian.core.errors import DomainError
from dangjian.core.spreadsheets import xlsx_row
from dangjian.notifications import jobs
from dangjian.notifications.models import Job, JobStatus
from dangjian.permissions import Action
from dangjian.registry.imports import members
from dangjian.registry.imports.tables import MEMBER_COLUMNS, MEMBER_REQUIRED, XLSX_TYPE, records
from dangjian.registry.models import Organization, User

logger = logging.getLogger(__name__)

KIND = "member_import"


def _folder(token: str) -> str:
    return f"imports/{token}"


def _upload_path(token: str) -> str:
    return f"{_folder(token)}/upload"


def _report_path(token: str) -> str:
    return f"{_folder(token)}/errors.xlsx"


def _token(job: Job) -> str:
    return job.subject.split(":", 1)[1]


def _check_header(file) -> None:
    """What can be told at once (not a table, a missing column, no data row), told in the
    request; the rows are the task's."""
    rows = records(file, MEMBER_COLUMNS, MEMBER_REQUIRED)
    try:
        next(rows, None)
    finally:
        rows.close()
    file.seek(0)


def start_member_import(*, actor: User, org: Organization, file, filename: str) -> Job:
    """Keep the upload and queue its import into `org`'s subtree: the job its starter
    watches. Raises DomainError for a file that is not a member table at all."""
    permissions.require(actor, Action.IMPORT, org)
    _check_header(file)
    token = secrets.token_hex(16)
    default_storage.save(_upload_path(token), file)
    with transaction.atomic():
        job = jobs.start_job(
            actor=actor,
            kind=KIND,
            subject=f"{KIND}:{token}",
            title=(_("导入党员：%(file)s") % {"file": filename or _("批量导入")})[:200],
            org=org,
        )
        from dangjian.registry.tasks import import_members_task

        jobs.send(import_members_task, (job.pk, filename))
    return job


def run_member_import(job_id: int, filename: str) -> Job | None:
    """The task's half: count the file's rows, check them a batch a step, write them all as
    the last step; end the job either way. Does nothing to a job already ended."""
    job = (
        Job.objects.select_related("actor", "org")
        .filter(pk=job_id, kind=KIND, status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
        .first()
    )
    if job is None:
        return None
    token = _token(job)
    path = _upload_path(token)
    try:
        if job.org is None or not default_storage.exists(path):
            raise DomainError("not_found", _("导入的文件或组织已不存在，请重新上传。"))
        with default_storage.open(path, "rb") as file:
            rows = sum(1 for _row in records(file, MEMBER_COLUMNS, MEMBER_REQUIRED))
            # A step per batch of rows checked, and the writing.
            jobs.begin(job, total=math.ceil(rows / members.CHECK_BATCH) + 1)
            result = members.import_members(
                actor=job.actor,
                org=job.org,
                file=file,
                filename=filename,
                on_batch=lambda _rows: jobs.advance(job, 1),
            )
    except DomainError as exc:
        report = ""
        if exc.details.get("errors"):
            default_storage.save(_report_path(token), ContentFile(error_report(exc)))
            report = f"/console/jobs/{job.pk}/errors.xlsx"
        jobs.fail(job, summary=exc.message, result_url=report)
    except Exception:  # noqa: BLE001 - whatever broke, the job says so
        logger.exception("member import job %s failed", job_id)
        jobs.fail(job, summary=_("导入未能完成，未导入任何数据，请稍后重新导入。"))
    else:
        jobs.succeed(
            job,
            summary=_("导入 %(n)d 名党员：新登记 %(created)d 名，更新 %(updated)d 名。")
            % {
                "n": result.created + result.updated,
                "created": result.created,
                "updated": result.updated,
            },
            result_url=f"/console/orgs/{job.org_id}/members/",
        )
    finally:
        # The upload holds personal data: it is not kept once it has been read.
        if default_storage.exists(path):
            default_storage.delete(path)
    return Job.objects.filter(pk=job.pk).first()


def error_report(exc: DomainError) -> bytes:
    """The refused file's errors as an XLSX: its summary, then row, column and reason."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("错误报告"))
    ws.append(xlsx_row(ws, [exc.message]))
    ws.append(xlsx_row(ws, [_("行"), _("列"), _("原因")]))
    for e in exc.details.get("errors") or []:
        ws.append(xlsx_row(ws, [e.get("row") or "", e.get("column") or "", e.get("message")]))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def error_report_file(job: Job) -> tuple:
    """(open file, download name, content type) of a failed import job's error report, for
    a view that has checked the job is the reader's; DomainError not_found otherwise."""
    path = _report_path(_token(job)) if job.kind == KIND else ""
    if not path or not default_storage.exists(path):
        raise DomainError("not_found", _("未找到该错误报告"))
    return default_storage.open(path, "rb"), _("导入错误报告.xlsx"), XLSX_TYPE

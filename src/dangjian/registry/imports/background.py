"""An import the console starts as a job (notifications.jobs), of members or of
organizations: the request checks the file's header, keeps the upload in private storage
and queues the task; the task checks the rows a batch at a time (each batch a step of the
job, counted outside any transaction, so that the job's page sees it move), then writes
everything in the import's one transaction as its last step, all or nothing as before. It
ends with "导入 N 名党员" (or 党组织) and the list it went into, or with the file's errors and
the per-row error report (an XLSX kept beside the upload and read only through the job's
starter). The API's imports stay in their request."""

import io
import json
import logging
import math
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import NamedTuple

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _

from dangjian import permissions
from dangjian.core.errors import DomainError
from dangjian.core.scheduling import resume_unfinished
from dangjian.core.spreadsheets import xlsx_row
from dangjian.notifications import jobs
from dangjian.notifications.models import Job, JobStatus
from dangjian.permissions import Action
from dangjian.registry.imports import members, organizations
from dangjian.registry.imports.result import ImportResult
from dangjian.registry.imports.tables import (
    MEMBER_COLUMNS,
    MEMBER_REQUIRED,
    ORG_COLUMNS,
    ORG_REQUIRED,
    XLSX_TYPE,
    records,
    rows_at_most,
)
from dangjian.registry.models import Organization, User

logger = logging.getLogger(__name__)
RESUME_AFTER = timedelta(minutes=5)


class _Import(NamedTuple):
    module: object  # the import's module: its CHECK_BATCH
    run: Callable[..., ImportResult]
    columns: list
    required: tuple


# The job kinds, each an import of the console's page (ImportForm's kind).
IMPORTS = {
    "member_import": _Import(members, members.import_members, MEMBER_COLUMNS, MEMBER_REQUIRED),
    "org_import": _Import(
        organizations, organizations.import_organizations, ORG_COLUMNS, ORG_REQUIRED
    ),
}
KIND_OF_FORM = {"members": "member_import", "orgs": "org_import"}


def _folder(token: str) -> str:
    return f"imports/{token}"


def _upload_path(token: str) -> str:
    return f"{_folder(token)}/upload"


def _name_path(token: str) -> str:
    return f"{_folder(token)}/name"


def _report_path(token: str) -> str:
    return f"{_folder(token)}/errors.xlsx"


def _rows_path(token: str) -> str:
    return f"{_folder(token)}/errors.json"


# The most of a refused file's errors its job's page lists (the report has them all).
SHOWN_ERRORS = 200


def _token(job: Job) -> str:
    return job.subject.split(":", 1)[1]


def _check_header(file, spec: _Import) -> None:
    """What can be told at once (not a table, a missing column, no data row), told in the
    request; the rows are the task's."""
    rows = records(file, spec.columns, spec.required)
    try:
        next(rows, None)
    finally:
        rows.close()
    file.seek(0)


def _title(kind: str, filename: str) -> str:
    name = filename or _("批量导入")
    if kind == "member_import":
        return (_("导入党员：%(file)s") % {"file": name})[:200]
    return (_("导入党组织：%(file)s") % {"file": name})[:200]


def _summary(kind: str, result: ImportResult) -> str:
    counts = {
        "n": result.created + result.updated,
        "created": result.created,
        "updated": result.updated,
    }
    if kind == "member_import":
        return _("导入 %(n)d 名党员：新登记 %(created)d 名，更新 %(updated)d 名。") % counts
    return _("导入 %(n)d 个党组织：新建 %(created)d 个，更新 %(updated)d 个。") % counts


def _result_url(kind: str, org_id: int) -> str:
    if kind == "member_import":
        return f"/console/orgs/{org_id}/members/"
    return f"/console/orgs/{org_id}/"


def start_import(*, actor: User, org: Organization, kind: str, file, filename: str) -> Job:
    """Keep the upload and queue its import (`kind`: "members" or "orgs") into `org`'s
    subtree: the job its starter watches. Raises DomainError for a file that is not such a
    table at all."""
    permissions.require(actor, Action.IMPORT, org)
    job_kind = KIND_OF_FORM[kind]
    _check_header(file, IMPORTS[job_kind])
    token = secrets.token_hex(16)
    default_storage.save(_upload_path(token), file)
    # The uploader's name for the file, for the audit entry of a run the sweep resumes.
    default_storage.save(_name_path(token), ContentFile((filename or "").encode()))
    with transaction.atomic():
        job = jobs.start_job(
            actor=actor,
            kind=job_kind,
            subject=f"{job_kind}:{token}",
            title=_title(job_kind, filename),
            org=org,
        )
        from dangjian.registry.tasks import import_file_task

        jobs.send(import_file_task, (job.pk,))
    return job


def run_import(job_id: int) -> Job | None:
    """The task's half: count the file's rows, check them a batch a step, write them all as
    the last step; end the job either way. Does nothing to a job already ended."""
    job = (
        Job.objects.select_related("actor", "org")
        .filter(pk=job_id, kind__in=IMPORTS, status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
        .first()
    )
    if job is None:
        return None
    spec = IMPORTS[job.kind]
    token = _token(job)
    path = _upload_path(token)
    try:
        if job.org is None or not default_storage.exists(path):
            raise DomainError("not_found", _("导入的文件或组织已不存在，请重新上传。"))
        with default_storage.open(_name_path(token), "rb") as name:
            filename = name.read().decode()
        with default_storage.open(path, "rb") as file:
            rows = rows_at_most(file)
            # A step per batch of rows checked, and the writing (blank rows counted, the
            # job's last steps may be skipped: its end sets done to total).
            jobs.begin(job, total=math.ceil(rows / spec.module.CHECK_BATCH) + 1)
            result = spec.run(
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
            default_storage.save(_rows_path(token), ContentFile(_error_rows_json(exc)))
            report = f"/console/jobs/{job.pk}/errors.xlsx"
        jobs.fail(job, summary=exc.message, result_url=report)
    except Exception:  # noqa: BLE001 - whatever broke, the job says so
        logger.exception("import job %s failed", job_id)
        jobs.fail(job, summary=_("导入未能完成，未导入任何数据，请稍后重新导入。"))
    else:
        jobs.succeed(
            job, summary=_summary(job.kind, result), result_url=_result_url(job.kind, job.org_id)
        )
    finally:
        # The upload may hold personal data: it is not kept once it has been read.
        for kept in (path, _name_path(token)):
            if default_storage.exists(kept):
                default_storage.delete(kept)
    return Job.objects.filter(pk=job.pk).first()


def resume_imports() -> int:
    """Scheduled safety net: run the imports queued a while ago and never started (their
    task refused while Redis was down). A task lost with its worker is queued again by the
    broker (acknowledged late)."""
    return resume_unfinished(
        Job.objects.filter(kind__in=IMPORTS, status=JobStatus.QUEUED),
        requested="created_at",
        finished="finished_at",
        after=RESUME_AFTER,
        run=run_import,
    )


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


def _error_rows_json(exc: DomainError) -> bytes:
    errors = exc.details.get("errors") or []
    shown = [
        {"row": e.get("row") or 0, "column": e.get("column") or "", "message": e.get("message")}
        for e in errors[:SHOWN_ERRORS]
    ]
    count = exc.details.get("error_count") or len(errors)
    return json.dumps({"error_count": count, "errors": shown}, ensure_ascii=False).encode()


def error_rows(job: Job) -> dict:
    """What a failed import job's page lists of the refused file: its first SHOWN_ERRORS
    errors (row, column, message) and how many there are; none for any other job."""
    none = {"row_errors": [], "error_count": 0}
    if job.kind not in IMPORTS or job.status != JobStatus.FAILED:
        return none
    path = _rows_path(_token(job))
    if not default_storage.exists(path):
        return none
    with default_storage.open(path, "rb") as kept:
        stored = json.loads(kept.read().decode())
    rows = stored.get("errors") or []
    return {"row_errors": rows, "error_count": stored.get("error_count") or len(rows)}


def error_report_file(job: Job) -> tuple:
    """(open file, download name, content type) of a failed import job's error report, for
    a view that has checked the job is the reader's; DomainError not_found otherwise."""
    path = _report_path(_token(job)) if job.kind in IMPORTS else ""
    if not path or not default_storage.exists(path):
        raise DomainError("not_found", _("未找到该错误报告"))
    return default_storage.open(path, "rb"), _("导入错误报告.xlsx"), XLSX_TYPE

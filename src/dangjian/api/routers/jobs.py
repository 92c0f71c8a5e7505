"""Long work a person started, over the API (docs/api.md, "Jobs"): how far it has come and,
once finished, its summary and where its result is. A client polls it as the console's
page does."""

from datetime import datetime

from ninja import Router, Schema
from pydantic import Field

from dangjian.api.auth import actor
from dangjian.api.schemas import ErrorOut
from dangjian.core.files import download_response
from dangjian.notifications import export_files, selectors

router = Router(tags=["jobs"])
ERRORS = {401: ErrorOut, 404: ErrorOut}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ExportJobOut(Schema):
    """An export started as a job (the POST …/export-jobs endpoints)."""

    job_id: int = Field(
        description="its progress: GET /api/v1/jobs/{job_id}; its file once succeeded: "
        "GET /api/v1/jobs/{job_id}/file"
    )


class JobOut(Schema):
    id: int
    kind: str = Field(description="distribution, …: what the work is")
    title: str
    status: str = Field(description="queued, running, succeeded or failed")
    total: int = Field(description="the steps the work has (0 until it has started)")
    done: int
    summary: str = Field(description="what the work did, once finished")
    result_url: str = Field(description="the result's page or download, once succeeded")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


@router.get("/jobs/{job_id}", response={200: JobOut, **ERRORS})
def job(request, job_id: int):
    """A job the caller started: 404 `not_found` for anyone else's, as for one that does
    not exist."""
    return selectors.access_job(actor(request), job_id)


@router.get("/jobs/{job_id}/file", response={200: None, **ERRORS})
def job_file(request, job_id: int):
    """The file of a finished export job the caller started (.xlsx; the download audited);
    404 `not_found` for anyone else's job, a job that is no export or a file gone."""
    user = actor(request)
    job = selectors.access_job(user, job_id)
    handle, name = export_files.open_export(actor=user, job=job)
    return download_response(handle, filename=name, content_type=XLSX)

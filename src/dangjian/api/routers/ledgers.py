"""The branch ledger (台账) and the historical theme-day import over the API (docs/api.md,
"Ledger and historical import")."""

from datetime import datetime
from typing import Literal

from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from dangjian import permissions
from dangjian.api.auth import actor
from dangjian.api.routers.imports import ImportErrorOut, ImportOut, run_import
from dangjian.api.schemas import ErrorOut
from dangjian.core.files import download_response, made_file
from dangjian.themedays import history
from dangjian.themedays.ledger import services as ledgers
from dangjian.themedays.models import Ledger

router = Router(tags=["ledgers"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
IMPORT_ERRORS = {**ERRORS, 413: ErrorOut, 422: ImportErrorOut}


@router.get("/imports/history/template", response={200: None, **ERRORS})
def history_template(request, format: Literal["csv", "xlsx"] = "xlsx"):  # noqa: A002
    """The historical theme-day template: the header row (Chinese); the .xlsx has a help
    sheet."""
    actor(request)
    return made_file(*history.history_template(format))


@router.post("/imports/history", response={200: ImportOut, **IMPORT_ERRORS})
def import_history(request, file: File[UploadedFile], org_id: Form[int | None] = None):
    """Upload historical theme days (multipart `file`, optional `org_id`, default: the
    caller's outermost administered organization) for branches below the caller's
    organizations. All or nothing: 422 `import_invalid` with `errors: [{"row", "column",
    "message"}]` writes nothing. Each day becomes a closed activity flagged
    `is_historical` and `is_late_record`."""
    return run_import(request, org_id, file, history.import_history)


class LedgerIn(Schema):
    year: int = Field(examples=[2026])


class LedgerOut(Schema):
    id: int
    branch_id: int
    year: int
    status: str = Field(description="pending, ready or failed")
    requested_at: datetime
    built_at: datetime | None
    size: int
    sha256: str
    counts: dict
    download_url: str | None


def _out(ledger: Ledger) -> dict:
    ready = ledger.status == "ready"
    return {
        "id": ledger.pk,
        "branch_id": ledger.branch_id,
        "year": ledger.year,
        "status": ledger.status,
        "requested_at": ledger.requested_at,
        "built_at": ledger.built_at,
        "size": ledger.size,
        "sha256": ledger.sha256,
        "counts": ledger.counts,
        "download_url": f"/api/v1/ledgers/{ledger.pk}/download" if ready else None,
    }


@router.post("/orgs/{branch_id}/ledgers", response={202: LedgerOut, **ERRORS})
def request_ledger(request, branch_id: int, payload: LedgerIn):
    """Ask for the branch's ledger of a year (2000 to this year): built in the background;
    poll `GET /ledgers/{id}` until `status` is `ready`. The branch's own admins and the
    admins above it may; a request while one is building answers that one."""
    user = actor(request)
    branch = permissions.access_org(user, branch_id)
    ledger = ledgers.request_ledger(actor=user, branch=branch, year=payload.year)
    ledger.refresh_from_db()
    return Status(202, _out(ledger))


@router.get("/orgs/{branch_id}/ledgers", response={200: list[LedgerOut], **ERRORS})
def list_ledgers(request, branch_id: int):
    """The branch's latest ledgers, newest first."""
    user = actor(request)
    branch = permissions.access_org(user, branch_id)
    if not permissions.may_request_ledger(user, branch):
        raise permissions.forbidden()
    return [_out(x) for x in ledgers.branch_ledgers(user, branch)]


@router.get("/ledgers/{ledger_id}", response={200: LedgerOut, **ERRORS})
def get_ledger(request, ledger_id: int):
    return _out(permissions.access_ledger(actor(request), ledger_id))


@router.get("/ledgers/{ledger_id}/download", response={200: None, **ERRORS})
def download_ledger(request, ledger_id: int):
    """The ledger's ZIP (409 `not_ready` while it is being built)."""
    user = actor(request)
    ledger = permissions.access_ledger(user, ledger_id)
    handle, name = ledgers.open_ledger(actor=user, ledger=ledger)
    return download_response(handle, filename=name, content_type="application/zip")

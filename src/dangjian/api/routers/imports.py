"""Bulk import and export of the registry: templates, uploads, the roster export."""

from typing import Literal

from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from dangjian import permissions
from dangjian.api.auth import actor
from dangjian.api.routers.jobs import ExportJobOut
from dangjian.api.schemas import ErrorOut
from dangjian.core.files import made_file
from dangjian.permissions import Action
from dangjian.registry import exports, imports
from dangjian.registry.models import Organization

router = Router(tags=["imports"])


class ImportOut(Schema):
    created: int
    updated: int


class RowErrorOut(Schema):
    row: int
    column: str
    message: str


class FieldErrorOut(Schema):
    field: str | None
    message: str


class ImportErrorOut(Schema):
    """422: `import_invalid` lists the rows and columns at fault, `validation_error` (a
    parameter or form field of the wrong type) the fields."""

    code: str
    message: str
    errors: list[RowErrorOut | FieldErrorOut] = []
    error_count: int | None = None


ERRORS = {
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    413: ErrorOut,
    422: ImportErrorOut,
}


def import_target_org(user, org_id: int | None):
    """The organization an import goes into: the one asked for, or the caller's outermost
    administered organization (the members', organizations' and historical theme days'
    imports)."""
    if org_id is None:
        paths = permissions.admin_paths(user)
        if not paths:
            raise permissions.forbidden()
        return Organization.objects.get(path=paths[0])
    return permissions.access_org(user, org_id, Action.IMPORT)


def run_import(request, org_id: int | None, file: UploadedFile, importer) -> ImportOut:
    """An upload of rows into `import_target_org`, written by `importer` (all or nothing),
    answered with its counts."""
    user = actor(request)
    org = import_target_org(user, org_id)
    result = importer(actor=user, org=org, file=file, filename=file.name or "")
    return ImportOut(created=result.created, updated=result.updated)


@router.get("/imports/members/template", response={200: None, **ERRORS})
def member_template(request, format: Literal["csv", "xlsx"] = "xlsx"):  # noqa: A002
    """The member import template: the header row (Chinese); the .xlsx has a help sheet."""
    actor(request)
    return made_file(*imports.member_template(format))


@router.post("/imports/members", response={200: ImportOut, **ERRORS})
def import_members(request, file: File[UploadedFile], org_id: Form[int | None] = None):
    """Upload an .xlsx or .csv of members (multipart `file`, optional `org_id`, default:
    the caller's outermost administered organization). All or nothing: 422
    `import_invalid` with `errors: [{"row", "column", "message"}]` writes nothing.
    Re-importing updates members by ID number. Runs in the request and answers with the
    counts (the console's import of the same file is a job its page watches)."""
    return run_import(request, org_id, file, imports.import_members)


@router.get("/imports/orgs/template", response={200: None, **ERRORS})
def org_template(request, format: Literal["csv", "xlsx"] = "xlsx"):  # noqa: A002
    actor(request)
    return made_file(*imports.org_template(format))


@router.post("/imports/orgs", response={200: ImportOut, **ERRORS})
def import_orgs(request, file: File[UploadedFile], org_id: Form[int | None] = None):
    """Upload organizations (keyed by code) under `org_id` (default as for members). Runs in
    the request, as the member import does."""
    return run_import(request, org_id, file, imports.import_organizations)


@router.get("/orgs/{org_id}/members/export.xlsx", response={200: None, **ERRORS})
def export_members(request, org_id: int):
    """The active members of the organization's subtree as .xlsx, for reporting: ID
    numbers are masked, so the file cannot be imported back."""
    user = actor(request)
    org = permissions.access_org(user, org_id, Action.IMPORT)
    return made_file(*exports.export_members(actor=user, org=org))


@router.post("/orgs/{org_id}/members/export-jobs", response={202: ExportJobOut, **ERRORS})
def export_members_job(request, org_id: int):
    """The same export built in the background, for a large subtree: a job to poll
    (GET /jobs/{id}), its file at GET /jobs/{id}/file once it has succeeded."""
    user = actor(request)
    org = permissions.access_org(user, org_id, Action.IMPORT)
    return Status(202, {"job_id": exports.start_member_export(actor=user, org=org).pk})

"""The quarterly bulletin over the API (一季一通报): the bulletins the caller reads,
generating an organization's draft for a quarter, publishing it, correcting a published one
by a new version, and its files."""

from datetime import datetime
from typing import Literal

from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from dangjian import permissions
from dangjian.api.auth import actor
from dangjian.api.pagination import Page
from dangjian.api.schemas import ErrorOut
from dangjian.core.files import attachment_response
from dangjian.permissions import Action
from dangjian.supervision import bulletins

router = Router(tags=["supervision"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 503: ErrorOut}


class BulletinFileOut(Schema):
    kind: str
    name: str
    size: int
    sha256: str


class BulletinOut(Schema):
    id: int
    org_id: int
    org: str = Field(alias="org.name")
    period: str = Field(alias="period_label", examples=["2026-Q4"])
    version: int
    status: str = Field(description="draft, published or superseded")
    title: str
    replaces_id: int | None
    correction_reason: str
    generated_at: datetime
    published_at: datetime | None
    superseded_at: datetime | None
    files: list[BulletinFileOut]

    @staticmethod
    def resolve_files(bulletin) -> list:
        return list(bulletin.files.all())


class BulletinDetailOut(BulletinOut):
    figures: dict = Field(
        description="What the files say: summary, children and sectors ranked, top and "
        "bottom branches, months missed, late records, corrections, spot checks, rectifications"
    )


class BulletinFilters(Schema):
    org_id: int | None = None


class GenerateIn(Schema):
    period: str = Field(pattern=r"^\d{4}-[Qq][1-4]$", examples=["2026-Q4"])


class CorrectIn(Schema):
    reason: str = Field(min_length=1, max_length=2000)


@router.get("/bulletins", response={200: list[BulletinOut], **ERRORS})
@paginate(Page)
def list_bulletins(request, filters: Query[BulletinFilters]):
    """The bulletins the caller reads: drafts and versions of the organizations they
    administer, and the published bulletins issued at or above them or their branch."""
    user = actor(request)
    org = permissions.access_org(user, filters.org_id) if filters.org_id else None
    return bulletins.bulletins_for(user, org=org).prefetch_related("files")


@router.post("/orgs/{org_id}/bulletins", response={201: BulletinDetailOut, **ERRORS})
def generate_bulletin(request, org_id: int, payload: GenerateIn):
    """Generate the organization's draft bulletin for a quarter, or its current draft
    again. 409 `already_published` once published: correct it instead."""
    user = actor(request)
    org = permissions.access_org(user, org_id, Action.CHANGE)
    year, number = payload.period.upper().split("-Q")
    found = bulletins.generate_bulletin(actor=user, org=org, year=int(year), quarter=int(number))
    return Status(201, found)


@router.get("/bulletins/{bulletin_id}", response={200: BulletinDetailOut, **ERRORS})
def get_bulletin(request, bulletin_id: int):
    return permissions.access_bulletin(actor(request), bulletin_id)


@router.post("/bulletins/{bulletin_id}/publish", response={200: BulletinDetailOut, **ERRORS})
def publish_bulletin(request, bulletin_id: int):
    """Publish a draft to the subtree (a notice to its members and admins); the version it
    corrects becomes superseded. 409 `already_published` for anything but a draft."""
    user = actor(request)
    bulletin = permissions.access_bulletin(user, bulletin_id, Action.CHANGE)
    return bulletins.publish_bulletin(actor=user, bulletin=bulletin)


@router.post("/bulletins/{bulletin_id}/correct", response={201: BulletinDetailOut, **ERRORS})
def correct_bulletin(request, bulletin_id: int, payload: CorrectIn):
    """A new draft version replacing the published bulletin, with the reason. 409
    `not_published` unless it is the quarter's published version, `draft_exists` while a
    correction waits to be published."""
    user = actor(request)
    bulletin = permissions.access_bulletin(user, bulletin_id, Action.CHANGE)
    correction = bulletins.correct_bulletin(actor=user, bulletin=bulletin, reason=payload.reason)
    return Status(201, correction)


@router.get(
    "/bulletins/{bulletin_id}/files/{kind}",
    response={200: None, **ERRORS},
    url_name="bulletin_download",
)
def download_bulletin(request, bulletin_id: int, kind: Literal["pdf", "xlsx"]):
    """The bulletin's PDF or workbook, as published (409 `file_changed` if its bytes no
    longer match the SHA-256 recorded with it)."""
    bulletin = permissions.access_bulletin(actor(request), bulletin_id)
    return attachment_response(bulletins.file_of(bulletin, kind))

"""Monthly supervision sheets over the API (一月一督查): the sheets of the caller's scope,
their files, and (a city admin) making a finished month's sheets."""

from datetime import date, datetime
from typing import Literal

from ninja import Query, Router, Schema
from ninja.pagination import paginate
from pydantic import Field

from dangjian import permissions
from dangjian.api.auth import actor
from dangjian.api.pagination import Page
from dangjian.api.schemas import ErrorOut
from dangjian.core.files import attachment_response
from dangjian.scoring.selectors.periods import parse_month
from dangjian.supervision import monthly, monthly_services
from dangjian.supervision.models import MonthlySheet
from dangjian.supervision.monthly_files import sheet_attachment

router = Router(tags=["supervision"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class MonthlySheetOut(Schema):
    id: int
    county_id: int
    county: str = Field(alias="county.name")
    month: str = Field(alias="month_label", examples=["2026-12"])
    generated_at: datetime
    by_hand: bool
    sign_in_threshold: int
    branches: int
    listed: int
    no_approved_plan: int
    not_held: int
    low_sign_in: int
    items_missing: int | None = Field(description="null: the sheet has no such column")
    sent_back: int | None = Field(description="null: the sheet has no such column")
    overdue_rectifications: int
    reminded_users: int
    content_hash: str

    @staticmethod
    def resolve_by_hand(sheet: MonthlySheet) -> bool:
        return sheet.generated_by_id is not None


class SheetFilters(Schema):
    month: str | None = Field(None, pattern=r"^\d{4}-\d{2}$", examples=["2026-12"])


class RunIn(Schema):
    month: str = Field(pattern=r"^\d{4}-\d{2}$", examples=["2026-12"])


class RunOut(Schema):
    month: str
    made: list[MonthlySheetOut]
    existing: int


@router.get("/supervision/monthly-sheets", response={200: list[MonthlySheetOut], **ERRORS})
@paginate(Page)
def list_monthly_sheets(request, filters: Query[SheetFilters]):
    """The monthly supervision sheets of the counties the caller administers (all of them
    for the city), newest month first."""
    month = parse_month(filters.month) if filters.month else None
    return monthly.sheets_for(actor(request), month=month)


@router.get(
    "/supervision/monthly-sheets/{sheet_id}/{kind}",
    response={200: None, **ERRORS},
    url_name="monthly_sheet_download",
)
def download_monthly_sheet(request, sheet_id: int, kind: Literal["xlsx", "pdf"]):
    """The archived sheet as Excel (`xlsx`) or PDF (`pdf`)."""
    sheet = permissions.access_monthly_sheet(actor(request), sheet_id)
    return attachment_response(sheet_attachment(sheet, kind))


@router.post("/supervision/monthly-sheets/run", response={200: RunOut, **ERRORS})
def run_monthly_supervision(request, payload: RunIn):
    """A city admin makes a finished month's sheets: each county without one gets it (and
    its reminders); those with one keep it. 403 for anyone else; 422 `month_not_finished`."""
    user = actor(request)
    month: date = parse_month(payload.month)
    run = monthly_services.run_monthly_supervision(actor=user, month=month)
    return {"month": f"{run.month:%Y-%m}", "made": run.made, "existing": run.existing}

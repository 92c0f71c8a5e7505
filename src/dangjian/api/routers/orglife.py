"""Organization life over the API (issue 21, point 1): a held activity's required items with
their evidence, members' dues bases, dues records and the branch's dues register."""

from datetime import datetime
from decimal import Decimal
from typing import Literal

from ninja import Query, Router, Schema, Status
from pydantic import Field

from dangjian import permissions
from dangjian.api.auth import actor
from dangjian.api.schemas import ErrorOut
from dangjian.core import clock
from dangjian.core.files import made_file
from dangjian.orglife import exports, selectors, services
from dangjian.orglife.models import DuesCategory, PayMethod
from dangjian.permissions import Action
from dangjian.scoring.selectors.periods import parse_month
from dangjian.themedays.items import RequiredItem

router = Router(tags=["organization life"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}

ItemCode = Literal[tuple(RequiredItem.values)]  # type: ignore[valid-type]
Category = Literal[tuple(DuesCategory.values)]  # type: ignore[valid-type]
Method = Literal[tuple(PayMethod.values)]  # type: ignore[valid-type]
MONTH = r"^\d{4}-\d{2}$"


# Required items --------------------------------------------------------------------------


class ItemOut(Schema):
    code: str = Field(description="charter, dues, study, org_life, deliberation, disclosure")
    label: str
    needs: str = Field(description="The evidence the item needs, in words")
    is_on_agenda: bool
    is_evidence_required: bool = Field(description="The policy requires evidence to mark it done")
    is_done: bool
    has_evidence: bool
    text: str = ""
    matters: str = ""
    decisions: str = ""
    package_id: int | None = None
    photo_ids: list[int] = []
    recorded_at: datetime | None = None


class MemberRef(Schema):
    id: int
    name: str


class DuesMonthOut(Schema):
    month: str
    paid: int = Field(description="Members who paid for the month")
    unpaid: list[MemberRef] | None = Field(
        description="Members who have not: for the admins over the branch only"
    )


class ItemSheetOut(Schema):
    activity_id: int
    month: str
    missing: list[str] = Field(description="Codes on the agenda not marked done")
    items: list[ItemOut]
    dues: DuesMonthOut


def _item_out(row: selectors.ItemRow) -> dict:
    e = row.evidence
    out = {
        "code": row.code,
        "label": row.label,
        "needs": row.needs,
        "is_on_agenda": row.is_on_agenda,
        "is_evidence_required": row.is_evidence_required,
        "is_done": row.is_done,
        "has_evidence": row.has_evidence,
    }
    if e is not None:
        out.update(
            text=e.text,
            matters=e.matters,
            decisions=e.decisions,
            package_id=e.package_id,
            photo_ids=sorted(p.pk for p in e.photos.all()),
            recorded_at=e.recorded_at,
        )
    return out


def _sheet_out(user, activity) -> dict:
    sheet = selectors.item_sheet(activity)
    keeper = permissions.can(user, Action.CHANGE, activity)
    return {
        "activity_id": activity.pk,
        "month": f"{sheet.dues.month:%Y-%m}",
        "missing": sheet.missing,
        "items": [_item_out(row) for row in sheet.rows],
        "dues": {
            "month": f"{sheet.dues.month:%Y-%m}",
            "paid": sheet.dues.paid,
            "unpaid": [{"id": m.pk, "name": m.name} for m in sheet.dues.unpaid] if keeper else None,
        },
    }


@router.get("/activities/{activity_id}/items", response={200: ItemSheetOut, **ERRORS})
def activity_items(request, activity_id: int):
    """The six required items of an activity: on its agenda or not, done or not, with their
    evidence, and the dues of its month. Read by whoever reads the activity."""
    user = actor(request)
    return _sheet_out(user, permissions.access_activity(user, activity_id))


class ItemIn(Schema):
    is_done: bool
    text: str = Field(
        "", max_length=services.TEXT_MAX_CHARS, description="Minutes, what was read or disclosed"
    )
    matters: str = Field(
        "", max_length=services.TEXT_MAX_CHARS, description="Deliberation: the matters"
    )
    decisions: str = Field(
        "", max_length=services.TEXT_MAX_CHARS, description="Deliberation: the decisions"
    )
    package_id: int | None = Field(None, description="Study: the month's published study package")
    photo_ids: list[int] = Field([], max_length=50, description="Photos of this activity")


@router.put("/activities/{activity_id}/items/{item}", response={200: ItemOut, **ERRORS})
def record_item(request, activity_id: int, item: ItemCode, payload: ItemIn):
    """Mark an item of a held activity done or not with its evidence (replacing the earlier
    record). 422 `evidence_required` when the policy requires evidence the payload (or, for
    dues, the month's dues records) does not give; 409 `not_held` before the start."""
    user = actor(request)
    activity = permissions.access_activity(user, activity_id, Action.CHANGE)
    services.record_item(actor=user, activity=activity, item=item, **payload.dict())
    row = next(r for r in selectors.item_sheet(activity).rows if r.code == item)
    return _item_out(row)


# Dues ------------------------------------------------------------------------------------


class DuesBaseIn(Schema):
    category: Category
    monthly_income: Decimal | None = Field(
        None, ge=0, max_digits=10, decimal_places=2, description="Needed by employed and retired"
    )


class DuesBaseOut(Schema):
    member_id: int
    year: int
    category: str
    monthly_income: Decimal | None
    monthly_amount: Decimal
    table_version: str


@router.put("/members/{member_id}/dues-bases/{year}", response={200: DuesBaseOut, **ERRORS})
def set_dues_base(request, member_id: int, year: int, payload: DuesBaseIn):
    """Set a member's dues for the year; the amount follows the rate table."""
    user = actor(request)
    member = permissions.access_member(user, member_id, Action.CHANGE)
    return services.set_dues_base(actor=user, member=member, year=year, **payload.dict())


class DuesRecordIn(Schema):
    month: str = Field(pattern=MONTH, examples=["2026-12"])
    method: Method
    amount: Decimal | None = Field(
        None, gt=0, max_digits=8, decimal_places=2, description="Default: the base's monthly dues"
    )
    paid_at: datetime | None = Field(None, description="Default: now")
    note: str = Field("", max_length=services.NOTE_MAX_CHARS)


class DuesRecordOut(Schema):
    id: int
    member_id: int
    branch_id: int
    month: str
    amount: Decimal
    paid_at: datetime
    method: str
    note: str

    @staticmethod
    def resolve_month(record) -> str:
        return f"{record.month:%Y-%m}"


@router.post("/members/{member_id}/dues", response={201: DuesRecordOut, **ERRORS})
def record_dues(request, member_id: int, payload: DuesRecordIn):
    """Record what a member paid for a month. 409 `already_paid`; 422 `dues_base_missing`
    without an amount or a base for the year."""
    user = actor(request)
    member = permissions.access_member(user, member_id, Action.CHANGE)
    return Status(201, services.record_dues(actor=user, member=member, **payload.dict()))


class YearFilter(Schema):
    year: int | None = Field(None, ge=2000, le=2100, description="Default: this year")


@router.get("/members/{member_id}/dues", response={200: list[DuesRecordOut], **ERRORS})
def member_dues(request, member_id: int, filters: Query[YearFilter]):
    """A member's dues records of a year: the member and the admins over their branch."""
    user = actor(request)
    member = permissions.access_member(user, member_id)
    year = filters.year or clock.today().year
    return permissions.scoped_dues_records(user).filter(member=member, month__year=year)


class CancelIn(Schema):
    reason: str = Field(min_length=1, max_length=services.NOTE_MAX_CHARS)


@router.post("/dues/{record_id}/cancel", response={204: None, **ERRORS})
def cancel_dues(request, record_id: int, payload: CancelIn):
    """Take back a record entered by mistake, with the reason."""
    user = actor(request)
    record = permissions.access_dues_record(user, record_id, Action.CHANGE)
    services.cancel_dues_record(actor=user, record=record, reason=payload.reason)
    return Status(204, None)


class RegisterRowOut(Schema):
    member_id: int
    name: str
    category: str | None
    monthly_amount: Decimal | None
    paid: list[Decimal | None] = Field(description="What was paid for each month, January first")
    unpaid_months: list[str]
    owed: Decimal
    is_assessed: bool = Field(description="A dues base is set for the year")


class RegisterOut(Schema):
    branch_id: int
    year: int
    counted_through: str | None = Field(description="Arrears count the months up to this one")
    paid_total: Decimal
    owed_total: Decimal
    rows: list[RegisterRowOut]


@router.get("/orgs/{org_id}/dues", response={200: RegisterOut, **ERRORS})
def dues_register(request, org_id: int, filters: Query[YearFilter]):
    """The branch's dues register for a year (members × months) with each member's arrears:
    the admins over the branch."""
    branch = permissions.access_dues_register(actor(request), org_id)
    reg = selectors.dues_register(branch, filters.year or clock.today().year)
    return {
        "branch_id": branch.pk,
        "year": reg.year,
        "counted_through": f"{reg.counted[-1]:%Y-%m}" if reg.counted else None,
        "paid_total": reg.paid_total,
        "owed_total": reg.owed_total,
        "rows": [
            {
                "member_id": row.member.pk,
                "name": row.member.name,
                "category": row.base.category if row.base else None,
                "monthly_amount": row.monthly_amount,
                "paid": [None if r is None else r.amount for r in row.records.values()],
                "unpaid_months": [f"{m:%Y-%m}" for m in row.arrears.unpaid_months],
                "owed": row.arrears.owed,
                "is_assessed": row.arrears.is_assessed,
            }
            for row in reg.rows
        ],
    }


@router.get("/orgs/{org_id}/dues/export.xlsx", response={200: None, **ERRORS})
def dues_register_export(request, org_id: int, filters: Query[YearFilter]):
    """The branch's dues register for a year as an .xlsx workbook."""
    branch = permissions.access_dues_register(actor(request), org_id)
    reg = selectors.dues_register(branch, filters.year or clock.today().year)
    return made_file(*exports.register_xlsx(reg))


class MonthFilter(Schema):
    month: str | None = Field(None, pattern=MONTH, description="Default: this month")


@router.get("/orgs/{org_id}/dues/unpaid", response={200: list[MemberRef], **ERRORS})
def unpaid_members(request, org_id: int, filters: Query[MonthFilter]):
    """The branch's members who have not paid for a month."""
    branch = permissions.access_dues_register(actor(request), org_id)
    month = parse_month(filters.month) if filters.month else clock.today().replace(day=1)
    return selectors.unpaid_members(branch, month)

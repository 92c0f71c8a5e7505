"""Writes of organization life: marking a held activity's required items with their
evidence, setting members' dues bases and recording their dues. Keyword-only,
permission-checked (the admins over the branch: its secretary and its superiors),
transactional, audited in the same transaction."""

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from dangjian import permissions
from dangjian.audit import services as audit
from dangjian.core import clock
from dangjian.core.errors import DomainError
from dangjian.core.locking import refused_on_conflict
from dangjian.core.text import checked_text
from dangjian.interaction import services as interaction
from dangjian.interaction.models import Photo
from dangjian.learning.models import StudyPackage
from dangjian.orglife import items as item_rules
from dangjian.orglife import rates, selectors
from dangjian.orglife.models import DuesBase, DuesCategory, DuesRecord, ItemEvidence, PayMethod
from dangjian.permissions import Action
from dangjian.registry.models import Member, User
from dangjian.scoring.selectors.periods import parse_month
from dangjian.supervision import reviewing
from dangjian.themedays.items import LABEL_BY_CODE, RequiredItem
from dangjian.themedays.models import Activity, ActivityStatus

TEXT_MAX_CHARS = 5000
NOTE_MAX_CHARS = 200
EVIDENCE_FIELDS = ("is_done", "text", "matters", "decisions", "package")


# Required items ----------------------------------------------------------------------------


def _check_record_open(activity: Activity, now: datetime) -> None:
    """Items are recorded in the activity record's window: from the start to the end of the
    grace after the close, as photos and the summary are, and afterwards only while a
    superior has sent the record back (supervision.reviewing), so that evidence is not
    written long after the fact."""
    if activity.status not in (ActivityStatus.APPROVED, ActivityStatus.CLOSED):
        raise DomainError("invalid_status", _("只有已通过审核的活动可以登记规定动作"))
    if now < activity.starts_at:
        raise DomainError("not_held", _("活动尚未开展，开展后才能登记规定动作"))
    if now > interaction.record_deadline(activity) and not reviewing.supplement_open(
        reviewing.review_status(activity.pk)
    ):
        raise DomainError(
            "record_closed", _("活动记录已过补充期限，上级退回补充时才能再登记规定动作")
        )


def _photos_of(activity: Activity, photo_ids) -> list[Photo]:
    ids = {int(i) for i in photo_ids or ()}
    photos = list(Photo.objects.filter(activity=activity, pk__in=ids))
    if len(photos) != len(ids):
        raise DomainError("validation_error", _("所选照片不属于该活动"), field="photo_ids")
    return photos


def _package_for(activity: Activity, package_id) -> StudyPackage | None:
    """The month's study package, published and reaching the activity's branch."""
    if package_id in (None, ""):
        return None
    package = next(
        (p for p in selectors.packages_for(activity) if str(p.pk) == str(package_id)), None
    )
    if package is None:
        raise DomainError("validation_error", _("请选择本月已发布的学习套餐"), field="package_id")
    return package


def _snapshot(evidence: ItemEvidence, photos: list[int]) -> dict:
    return {**audit.snapshot(evidence, EVIDENCE_FIELDS), "photos": photos}


def record_item(
    *,
    actor: User,
    activity: Activity,
    item: str,
    is_done: bool,
    text: str = "",
    matters: str = "",
    decisions: str = "",
    package_id: int | None = None,
    photo_ids=(),
) -> ItemEvidence:
    """Mark a required item of a held activity done or not, with its evidence (replacing
    what was recorded before). Where the policy requires it, an item is marked done only
    with the evidence it needs (`evidence_required`); the dues item's evidence is the
    branch's dues records for the activity's month."""
    permissions.require(actor, Action.CHANGE, activity)
    if item not in RequiredItem.values:
        raise DomainError("validation_error", _("未知的规定动作"), field="item")
    now = clock.now()
    _check_record_open(activity, now)
    text = checked_text(text, field="text", limit=TEXT_MAX_CHARS)
    matters = checked_text(matters, field="matters", limit=TEXT_MAX_CHARS)
    decisions = checked_text(decisions, field="decisions", limit=TEXT_MAX_CHARS)
    photos = _photos_of(activity, photo_ids)
    package = _package_for(activity, package_id)
    facts = item_rules.Facts(
        has_text=bool(text),
        has_matters=bool(matters),
        has_decisions=bool(decisions),
        has_photo=bool(photos),
        has_package=package is not None,
        has_dues=item == RequiredItem.DUES
        and selectors.branch_paid_in(activity.branch_id, selectors.month_of(activity)),
    )
    required = item_rules.evidence_required(item)
    if is_done and not item_rules.may_mark_done(item, facts, required=required):
        raise DomainError(
            "evidence_required",
            _("“%(item)s”需要%(needs)s才能标记为已完成")
            % {"item": LABEL_BY_CODE[item], "needs": item_rules.NEEDS[item]},
            field="item",
        )
    with transaction.atomic():
        evidence = (
            ItemEvidence.objects.select_for_update().filter(activity=activity, item=item).first()
        )
        if evidence is None:
            evidence = ItemEvidence(activity=activity, item=item, recorded_at=now)
            before = None
        else:
            before = _snapshot(evidence, sorted(evidence.photos.values_list("pk", flat=True)))
        evidence.is_done = bool(is_done)
        evidence.text, evidence.matters, evidence.decisions = text, matters, decisions
        evidence.package = package
        evidence.recorded_by = actor
        evidence.recorded_at = now
        with refused_on_conflict("conflict", _("该规定动作正由他人同时登记，请刷新后重试")):
            evidence.save()
        evidence.photos.set(photos)
        after = _snapshot(evidence, sorted(p.pk for p in photos))
        # A first record notes everything; a change only what changed, and nothing when
        # the same evidence is saved again.
        old, new = (None, after) if before is None else audit.diff(before, after)
        if new:
            audit.record(
                actor=actor,
                action="item.record",
                obj=evidence,
                org=activity.branch,
                label=f"{activity.title} {LABEL_BY_CODE[item]}",
                before=old,
                after=new,
            )
    return evidence


# Dues --------------------------------------------------------------------------------------


def _decimal(value, *, field: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise DomainError("validation_error", _("请输入有效的金额"), field=field) from None
    if not number.is_finite() or number < 0 or number >= Decimal("100000000"):
        raise DomainError("validation_error", _("请输入有效的金额"), field=field)
    if number != number.quantize(rates.CENT):
        raise DomainError("validation_error", _("金额最多保留两位小数"), field=field)
    return number.quantize(rates.CENT)


def _require_member_in_branch(actor: User, member: Member) -> None:
    permissions.require(actor, Action.CHANGE, member)
    if not member.is_active:
        raise DomainError("member_left", _("该党员已不在册"))


def set_dues_base(
    *, actor: User, member: Member, year: int, category: str, monthly_income=None
) -> DuesBase:
    """Set a member's dues for a year from their category and monthly income, by the rate
    table in force that January; a second call for the year replaces the first."""
    _require_member_in_branch(actor, member)
    if category not in DuesCategory.values:
        raise DomainError("validation_error", _("请选择党费类别"), field="category")
    if not 2000 <= int(year) <= clock.today().year + 1:
        raise DomainError("validation_error", _("年度不正确"), field="year")
    income = _decimal(monthly_income, field="monthly_income")
    table = rates.table_for(date(int(year), 1, 1))
    if rates.needs_income(category, table) and income is None:
        raise DomainError("validation_error", _("请填写月收入基数"), field="monthly_income")
    if not rates.needs_income(category, table):
        income = None
    amount = rates.monthly_dues(category, income, table)
    with transaction.atomic():
        base = DuesBase.objects.select_for_update().filter(member=member, year=year).first()
        before = None if base is None else audit.snapshot(base, _BASE_FIELDS)
        if base is None:
            base = DuesBase(member=member, year=year)
        base.category, base.monthly_income, base.monthly_amount = category, income, amount
        base.table_version, base.set_by, base.set_at = table.version, actor, clock.now()
        with refused_on_conflict("conflict", _("该党员的党费基数正由他人同时设置")):
            base.save()
        audit.record(
            actor=actor,
            action="dues.set_base",
            obj=base,
            org=member.branch,
            label=f"{member.name} {year}",
            before=before,
            after=audit.snapshot(base, _BASE_FIELDS),
        )
    return base


_BASE_FIELDS = ("year", "category", "monthly_income", "monthly_amount", "table_version")
_RECORD_FIELDS = ("month", "amount", "paid_at", "method", "note")


def record_dues(
    *,
    actor: User,
    member: Member,
    month,
    method: str,
    amount=None,
    paid_at: datetime | None = None,
    note: str = "",
) -> DuesRecord:
    """Record what a member paid for a month, to their branch's register. Without an
    amount, the month's dues of their base for the year. One record a member and month
    (`already_paid`)."""
    _require_member_in_branch(actor, member)
    month = parse_month(month)
    now = clock.now()
    if method not in PayMethod.values:
        raise DomainError("validation_error", _("请选择缴纳方式"), field="method")
    if month < member.join_date.replace(day=1):
        raise DomainError("validation_error", _("该月份早于入党时间"), field="month")
    if month.year > clock.today().year + 1:
        raise DomainError("validation_error", _("最多预交到下一年度"), field="month")
    paid_at = paid_at or now
    if paid_at > now:
        raise DomainError("validation_error", _("缴纳时间不能晚于现在"), field="paid_at")
    note = checked_text(note, field="note", limit=NOTE_MAX_CHARS)
    value = _decimal(amount, field="amount")
    if value is None:
        base = DuesBase.objects.filter(member=member, year=month.year).first()
        if base is None:
            raise DomainError(
                "dues_base_missing", _("请先核定该党员本年度的党费基数，或填写金额"), field="amount"
            )
        value = base.monthly_amount
    if value <= 0:
        raise DomainError("validation_error", _("金额必须大于零"), field="amount")
    with transaction.atomic():
        paid = _("%(name)s %(month)s 的党费已登记") % {
            "name": member.name,
            "month": f"{month:%Y-%m}",
        }
        with refused_on_conflict("already_paid", paid):
            record = DuesRecord.objects.create(
                member=member,
                branch=member.branch,
                month=month,
                amount=value,
                paid_at=paid_at,
                method=method,
                note=note,
                recorded_by=actor,
                recorded_at=now,
            )
        audit.record(
            actor=actor,
            action="dues.record",
            obj=record,
            org=member.branch,
            label=f"{member.name} {month:%Y-%m}",
            after=audit.snapshot(record, _RECORD_FIELDS),
        )
    return record


def cancel_dues_record(*, actor: User, record: DuesRecord, reason: str) -> None:
    """Take back a dues record entered by mistake, with the reason (kept in the audit)."""
    permissions.require(actor, Action.CHANGE, record)
    reason = checked_text(reason, field="reason", missing=_("请填写撤销原因"), limit=NOTE_MAX_CHARS)
    with transaction.atomic():
        before = audit.snapshot(record, _RECORD_FIELDS)
        audit.record(
            actor=actor,
            action="dues.cancel",
            obj=record,
            org=record.branch,
            label=f"{record.member_id} {record.month:%Y-%m}",
            before=before,
            after={"reason": reason},
        )
        record.delete()

"""Volunteer hours: the rule that turns signed times into hours (a pure function), the
ledger's writes (a credit once per claim, a reversing entry with a reason) and the reads of
a member's hours.

The ledger is append-only (《志愿服务记录与证明出具办法（试行）》, 2021: records true, accurate,
complete and timely): a wrong entry is never edited, a reversal takes it back, and only the
organization that recorded an entry may correct or certify it."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian import permissions
from dangjian.audit import services as audit
from dangjian.core import clock
from dangjian.core.errors import DomainError
from dangjian.core.locking import refused_on_conflict
from dangjian.core.text import checked_text
from dangjian.registry.models import Member, Organization, User
from dangjian.volunteering.models import Claim, HoursEntry, HoursEntryKind

IMPLAUSIBLE = "implausible_duration"


# The rule ----------------------------------------------------------------------------------


def service_hours(
    signed_in_at: datetime, signed_out_at: datetime, *, rounding: int, max_hours: int
) -> Decimal:
    """The hours a service from `signed_in_at` to `signed_out_at` earns: the signed time
    rounded to the nearest `rounding` minutes (half up), in hours with two decimals.

    Refused as `implausible_duration`: an end not after the start, a service shorter than
    half a rounding step (it would credit nothing), and one longer than `max_hours` (a
    sign-out forgotten overnight; the admin records the real times instead)."""
    seconds = (signed_out_at - signed_in_at).total_seconds()
    if seconds <= 0:
        raise DomainError(IMPLAUSIBLE, _("服务结束时间须晚于开始时间。"))
    if seconds > max_hours * 3600:
        raise DomainError(
            IMPLAUSIBLE,
            _("服务时长超过 %(max)d 小时，不合常理；请由管理员核实后补录实际时间。")
            % {"max": max_hours},
            max_hours=max_hours,
        )
    steps = (Decimal(seconds) / Decimal(rounding * 60)).quantize(Decimal(1), ROUND_HALF_UP)
    if steps == 0:
        raise DomainError(
            IMPLAUSIBLE,
            _("服务时长不足 %(min)d 分钟，不计入志愿服务时长。") % {"min": (rounding + 1) // 2},
        )
    return (steps * rounding / Decimal(60)).quantize(Decimal("0.01"), ROUND_HALF_UP)


# Times entered this long after the service ended are a make-up (补录), not a record made
# while it was fresh: a second admin approves them.
MAKEUP_AFTER = timedelta(hours=24)


def is_makeup(*, recorded_at: datetime, signed_out_at: datetime) -> bool:
    """Whether times entered at `recorded_at` for a service that ended at `signed_out_at`
    are a make-up entry after the fact."""
    return recorded_at - signed_out_at > MAKEUP_AFTER


def hours_of(signed_in_at: datetime, signed_out_at: datetime) -> Decimal:
    """`service_hours` with the settings' rounding and ceiling."""
    return service_hours(
        signed_in_at,
        signed_out_at,
        rounding=settings.VOLUNTEER_HOURS_ROUNDING_MINUTES,
        max_hours=settings.VOLUNTEER_MAX_SERVICE_HOURS,
    )


# Writes ------------------------------------------------------------------------------------


def credit_claim(*, claim: Claim, recorded_by: User | None) -> HoursEntry | None:
    """The ledger's credit for a claim's service, recorded by the order's community; flagged
    when the times were an admin's. None when the claim has been credited already (the
    unique constraint decides, so a repeated completion cannot count twice)."""
    order = claim.order
    now = clock.now()
    try:
        with transaction.atomic():
            return HoursEntry.objects.create(
                member=claim.member,
                org=order.community,
                claim=claim,
                kind=HoursEntryKind.SERVICE,
                hours=claim.hours,
                served_on=timezone.localdate(claim.signed_in_at),
                description=_description(order),
                is_flagged=claim.is_recorded_by_admin or claim.is_makeup,
                recorded_by=recorded_by,
                recorded_at=now,
            )
    except IntegrityError:
        return None


def is_credited(claim: Claim) -> bool:
    return HoursEntry.objects.filter(claim=claim, kind=HoursEntryKind.SERVICE).exists()


def _description(order) -> str:
    text = f"{order.category.name}：{order.description}"
    return text if len(text) <= 200 else text[:199] + "…"


def reverse_hours_entry(*, actor: User, entry: HoursEntry, reason: str) -> HoursEntry:
    """Take a credit back with a reversing entry, by an admin over the organization that
    recorded it; audited. The credit itself stays as it was."""
    if not permissions.is_admin_over(actor, entry.org):
        raise permissions.forbidden()
    reason = checked_text(
        reason,
        field="reason",
        missing=_("冲销须填写原因。"),
        missing_code="reason_required",
        limit=HoursEntry._meta.get_field("reason").max_length,
    )
    if entry.kind != HoursEntryKind.SERVICE:
        raise DomainError("invalid_status", _("冲销记录不能再冲销。"))
    now = clock.now()
    with refused_on_conflict("already_reversed", _("该记录已冲销。")):
        reversal = HoursEntry.objects.create(
            member=entry.member,
            org=entry.org,
            claim=None,
            kind=HoursEntryKind.REVERSAL,
            hours=-entry.hours,
            served_on=entry.served_on,
            description=entry.description,
            reverses=entry,
            reason=reason,
            is_flagged=entry.is_flagged,
            recorded_by=actor,
            recorded_at=now,
        )
        audit.record(
            actor=actor,
            action="volunteer_hours.reverse",
            obj=entry,
            org=entry.org,
            before={"hours": str(entry.hours)},
            after={"reversal": reversal.pk, "reason": reason},
            at=now,
        )
    return reversal


# Reads --------------------------------------------------------------------------------------


def entries_of(member: Member) -> QuerySet[HoursEntry]:
    """The member's ledger, newest first; `is_reversed` on each entry."""
    reversal = HoursEntry.objects.filter(reverses=OuterRef("pk"))
    return (
        HoursEntry.objects.filter(member=member)
        .annotate(is_reversed=Exists(reversal))
        .select_related("org", "recorded_by", "reverses")
        .order_by("-recorded_at", "-id")
    )


@dataclass(frozen=True)
class Totals:
    hours: Decimal
    entries: int
    flagged_hours: Decimal


def totals_of(member: Member, *, org: Organization | None = None) -> Totals:
    """The member's net hours (credits less reversals), optionally those one organization
    recorded, with how much of it is flagged (admin-recorded or make-up)."""
    entries = HoursEntry.objects.filter(member=member)
    if org is not None:
        entries = entries.filter(org=org)
    sums = entries.aggregate(
        total=Sum("hours"),
        flagged=Sum("hours", filter=Q(is_flagged=True)),
    )
    return Totals(
        hours=_two_places(sums["total"]),
        entries=entries.filter(kind=HoursEntryKind.SERVICE).count(),
        flagged_hours=_two_places(sums["flagged"]),
    )


def _two_places(value) -> Decimal:
    # SQLite sums decimals without their scale (Decimal("1") for 1.00).
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def recording_orgs(member: Member) -> list[Organization]:
    """The organizations that recorded some of the member's hours: who may certify them."""
    ids = HoursEntry.objects.filter(member=member).values("org_id")
    return list(Organization.objects.filter(pk__in=ids).order_by("path"))

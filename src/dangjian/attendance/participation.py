"""A member's own attendance as they read it (docs/product.md, "Checking in and out"): the
one rule for when leave may still be asked (`leave_refusal`, pure, which
`services.request_leave` enforces and the phone asks before it offers 请假), the member's
status on one activity (`OwnStatus`: the stored attendance statuses of `models`, with the
state of their leave request while no record says more), and their participation history.

It imports no services or selectors: those and the pages ask it."""

from dataclasses import dataclass
from datetime import datetime

from django.db import models
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dangjian.attendance.models import (
    ATTENDED,
    AttendanceRecord,
    AttendanceStatus,
    LeaveRequest,
    RequestStatus,
)
from dangjian.core.errors import DomainError
from dangjian.registry.models import Member
from dangjian.themedays.models import Activity, ActivityStatus

# The leave requests that stand: one of them per member and activity (the database's
# `leave_one_live_request`), and none may be asked beside it.
LIVE_LEAVE = (RequestStatus.PENDING, RequestStatus.APPROVED)


class OwnStatus(models.TextChoices):
    """What a member's own status on an activity reads: a stored attendance status, or
    while they have no record, where their leave request stands."""

    PENDING = AttendanceStatus.PENDING.value, gettext_lazy("未签到")
    CHECKED_IN = AttendanceStatus.CHECKED_IN.value, gettext_lazy("已签到")
    CHECKED_OUT = AttendanceStatus.CHECKED_OUT.value, gettext_lazy("已签退")
    NOT_CHECKED_OUT = AttendanceStatus.NOT_CHECKED_OUT.value, gettext_lazy("已签到，未签退")
    ABSENT = AttendanceStatus.ABSENT.value, gettext_lazy("缺勤")
    ON_LEAVE = AttendanceStatus.ON_LEAVE.value, gettext_lazy("已请假")
    LEAVE_PENDING = "leave_pending", gettext_lazy("请假待审批")
    LEAVE_REFUSED = "leave_refused", gettext_lazy("请假未批准")


@dataclass(frozen=True)
class LeaveFacts:
    """What the leave rule reads about one member and one activity."""

    activity_status: str
    starts_at: datetime
    # The member's stored attendance status, `pending` without a record.
    attendance: str = AttendanceStatus.PENDING
    # The status of their latest leave request, None without one.
    leave: str | None = None


def leave_refusal(facts: LeaveFacts, now: datetime) -> DomainError | None:
    """Why the member may not ask for leave now, or None when they may: only from an
    approved activity, before its start, not once they checked in (the window opens before
    the start) and not beside a request that is waiting or approved."""
    if facts.activity_status == ActivityStatus.CANCELLED:
        return DomainError("cancelled", _("该活动已取消。"))
    if facts.activity_status not in (ActivityStatus.APPROVED, ActivityStatus.CLOSED):
        return DomainError("not_approved", _("该活动尚未通过审核。"))
    if now >= facts.starts_at or facts.activity_status == ActivityStatus.CLOSED:
        return DomainError("start_passed", _("活动已开始，不能再请假。"))
    if facts.attendance in ATTENDED:
        return DomainError("checked_in", _("你已签到，不能再请假。"))
    if facts.leave in LIVE_LEAVE:
        return DomainError("leave_exists", _("你已提交过本次活动的请假申请。"))
    return None


def own_status(attendance: str, leave: str | None = None) -> OwnStatus:
    """The member's status: their record's when they have one (an approved leave writes
    `on_leave`), else where their latest leave request stands, else `pending`."""
    if attendance != AttendanceStatus.PENDING:
        return OwnStatus(attendance)
    if leave == RequestStatus.PENDING:
        return OwnStatus.LEAVE_PENDING
    if leave == RequestStatus.REFUSED:
        return OwnStatus.LEAVE_REFUSED
    return OwnStatus.PENDING


def leave_facts(activity: Activity, member: Member) -> LeaveFacts:
    """The facts of `leave_refusal` for one member: two small queries."""
    record = (
        AttendanceRecord.objects.of_activity(activity)
        .filter(member_id=member.pk)
        .values_list("status", flat=True)
        .first()
    )
    leave = (
        LeaveRequest.objects.filter(activity_id=activity.pk, member_id=member.pk)
        .order_by("-requested_at", "-id")
        .values_list("status", flat=True)
        .first()
    )
    return LeaveFacts(
        activity_status=activity.status,
        starts_at=activity.starts_at,
        attendance=record or AttendanceStatus.PENDING,
        leave=leave,
    )


def history_of(member: Member) -> QuerySet[AttendanceRecord]:
    """The member's own attendance records, the latest activity first: every activity they
    checked in to, were excused from or (once it closed) missed."""
    return (
        AttendanceRecord.objects.filter(member_id=member.pk)
        .select_related("activity", "activity__branch")
        .order_by("-activity__starts_at", "-id")
    )

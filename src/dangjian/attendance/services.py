"""Writes for attendance besides checking in and out (`attendance.checkin`, docs/product.md,
"Checking in and out"): leave, manual corrections, rotating-QR mode and the closing of an
activity."""

import secrets
from datetime import datetime
from typing import TypeVar

from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from dangjian import permissions
from dangjian.attendance import participation
from dangjian.attendance.models import (
    STORED_STATUSES,
    AttendanceRecord,
    AttendanceStatus,
    Correction,
    LeaveRequest,
    RequestStatus,
    RotatingQR,
    record_month,
)
from dangjian.audit import services as audit
from dangjian.core import clock
from dangjian.core.errors import DomainError
from dangjian.core.locking import locked, refused_on_conflict
from dangjian.core.text import checked_text
from dangjian.notifications import services as notifications
from dangjian.permissions import Action
from dangjian.registry.models import Member, User
from dangjian.themedays import roster
from dangjian.themedays import services as themedays_services
from dangjian.themedays.models import Activity, ActivityStatus, RosterEntry


def _score_inputs_changed(activity_id: int) -> None:
    """Attendance is the largest input of the activity's score (docs/product.md, "Scoring"):
    tell scoring, which recomputes after the commit."""
    from dangjian.scoring import services as scoring

    scoring.inputs_changed(activity_id=activity_id)


# Leave and corrections are requests that someone else decides -----------------------------

Request = TypeVar("Request", LeaveRequest, Correction)


def _pending(request: Request, message: str) -> Request:
    """The request read again under lock; refused with `message` once it has been decided."""
    request = locked(request, "activity__branch", "member")
    if request.status != RequestStatus.PENDING:
        raise DomainError("invalid_status", message)
    return request


def _decide(
    request: Request, *, actor: User, status: str, note: str = "", at: datetime | None = None
) -> None:
    request.status = status
    request.decided_by = actor
    request.decided_at = at or clock.now()
    request.decision_note = note[:300]
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])


def _audit(
    request: Request,
    *,
    actor: User,
    action: str,
    after: dict,
    before: dict | None = None,
) -> None:
    """A request's step, audited on the activity's branch under the activity and member."""
    audit.record(
        actor=actor,
        action=action,
        obj=request,
        org=request.activity.branch,
        label=f"{request.activity.title}：{request.member.name}",
        before=before,
        after=after,
    )


def _record_of(request: Request, *, now: datetime, **values) -> tuple[AttendanceRecord, bool]:
    """The request's member's attendance record, locked, and whether it was written now:
    with `values` for a member who had none (never scanned, not yet closed)."""
    return AttendanceRecord.objects.select_for_update().get_or_create(
        activity_id=request.activity_id,
        member_id=request.member_id,
        month=record_month(request.activity.created_at),
        defaults={**values, "created_at": now, "updated_at": now},
    )


# Leave ---------------------------------------------------------------------------------------


def _roster_member(activity: Activity, member: Member | None) -> Member:
    if not roster.is_on_roster(activity, member):
        raise DomainError("not_on_roster", _("你不在本次活动的参加人员名单中。"))
    return member


def _live_activity(activity: Activity) -> None:
    if activity.status == ActivityStatus.CANCELLED:
        raise DomainError("cancelled", _("该活动已取消。"))
    if activity.status not in (ActivityStatus.APPROVED, ActivityStatus.CLOSED):
        raise DomainError("not_approved", _("该活动尚未通过审核。"))


@transaction.atomic
def request_leave(*, actor: User, activity: Activity, reason: str) -> LeaveRequest:
    """A roster member asks to be excused, with a reason, before the start."""
    permissions.require(actor, Action.READ, activity)
    _live_activity(activity)
    member = _roster_member(activity, permissions.own_member(actor))
    # The one rule the phone asks too before it offers 请假 (participation.leave_refusal).
    refused = participation.leave_refusal(participation.leave_facts(activity, member), clock.now())
    if refused is not None:
        raise refused
    reason = checked_text(
        reason,
        field="reason",
        missing=_("请假须说明原因。"),
        missing_code="reason_required",
        limit=300,
        too_long=_("请假原因不能超过300个字"),
    )
    with refused_on_conflict("leave_exists", _("你已提交过本次活动的请假申请。")):
        leave = LeaveRequest.objects.create(
            activity=activity, member=member, reason=reason, requested_at=clock.now()
        )
    notifications.notify(
        user_ids=permissions.branch_admin_user_ids(activity.branch),
        kind="leave_requested",
        title=_("请假申请：%(name)s（%(title)s）") % {"name": member.name, "title": activity.title},
        body=reason,
        # The branch's admins decide on the phone (mobile:month_attendance).
        link=f"/m/month/{activity.pk}/attendance/#leave",
    )
    return leave


@transaction.atomic
def approve_leave(*, actor: User, leave: LeaveRequest) -> LeaveRequest:
    """The branch excuses the member, before the start: shown as `on_leave`."""
    permissions.require(actor, Action.CHANGE, leave)
    leave = _pending(leave, _("该请假申请已处理。"))
    activity = leave.activity
    permissions.require_not_own_request(actor, leave)
    _live_activity(activity)
    now = clock.now()
    if now >= activity.starts_at:
        raise DomainError("start_passed", _("活动已开始，不能再批准请假。"))
    _decide(leave, actor=actor, status=RequestStatus.APPROVED, at=now)
    record, created = _record_of(leave, now=now, status=AttendanceStatus.ON_LEAVE, leave=leave)
    # Already checked in (the window opens before the start): they are here, keep that.
    if created:
        _score_inputs_changed(activity.pk)
    _audit(
        leave,
        actor=actor,
        action="attendance.leave_approve",
        before={"status": RequestStatus.PENDING},
        after={"status": leave.status, "member_id": leave.member_id, "on_leave": created},
    )
    notifications.notify(
        user_ids=[leave.member.user_id],
        kind="leave_approved",
        title=_("请假已批准：%s") % activity.title,
        link="/m/",
    )
    return leave


@transaction.atomic
def refuse_leave(*, actor: User, leave: LeaveRequest, note: str = "") -> LeaveRequest:
    permissions.require(actor, Action.CHANGE, leave)
    leave = _pending(leave, _("该请假申请已处理。"))
    _decide(leave, actor=actor, status=RequestStatus.REFUSED, note=checked_text(note, field="note"))
    _audit(
        leave,
        actor=actor,
        action="attendance.leave_refuse",
        before={"status": RequestStatus.PENDING},
        after={"status": leave.status, "member_id": leave.member_id, "note": leave.decision_note},
    )
    notifications.notify(
        user_ids=[leave.member.user_id],
        kind="leave_refused",
        title=_("请假未获批准：%s") % leave.activity.title,
        body=leave.decision_note,
        link="/m/",
    )
    return leave


def leave_decision(decision: str, name: str) -> tuple[bool, str]:
    """A page's leave decision: whether it approves (the word "approve"; the addresses take
    only approve or refuse, core.converters) and what the page says once it is done,
    naming the member."""
    if decision == "approve":
        return True, _("已批准 %s 的请假。") % name
    return False, _("已不批准 %s 的请假。") % name


def decide_leave(
    *, actor: User, leave: LeaveRequest, approve: bool, note: str = ""
) -> LeaveRequest:
    """Approve or refuse a leave request as a page decided; the note goes with a refusal
    only, as approving takes none."""
    if approve:
        return approve_leave(actor=actor, leave=leave)
    return refuse_leave(actor=actor, leave=leave, note=note)


# Corrections ---------------------------------------------------------------------------------


@transaction.atomic
def propose_correction(
    *, actor: User, activity: Activity, member: Member, to_status: str, reason: str
) -> Correction:
    """An admin of the branch proposes to set one member's attendance by hand, with a
    reason. Nothing changes until a superior approves."""
    permissions.require(actor, Action.CHANGE, activity)
    _live_activity(activity)
    if clock.now() < activity.starts_at:
        raise DomainError("not_started", _("活动尚未开始，无需更正考勤。"))
    if to_status not in STORED_STATUSES:
        raise DomainError("validation_error", _("更正后的状态无效"), field="to_status")
    reason = checked_text(
        reason, field="reason", missing=_("更正考勤须说明原因。"), missing_code="reason_required"
    )
    if activity.roster_frozen_at is None:
        themedays_services.freeze_roster(activity=activity)
        activity.refresh_from_db(fields=["roster_frozen_at"])
    if not RosterEntry.objects.filter(activity=activity, member=member).exists():
        raise DomainError("not_on_roster", _("该党员不在本次活动的参加人员名单中。"))
    record = AttendanceRecord.objects.of_activity(activity).filter(member=member).first()
    current = record.status if record else AttendanceStatus.PENDING
    if current == to_status:
        raise DomainError("no_change", _("该党员的考勤已是此状态。"), field="to_status")
    with refused_on_conflict("correction_exists", _("该党员已有待审批的考勤更正。")):
        correction = Correction.objects.create(
            activity=activity,
            member=member,
            to_status=to_status,
            from_status=current,
            reason=reason[:300],
            proposed_by=actor,
            proposed_at=clock.now(),
        )
    _audit(
        correction,
        actor=actor,
        action="attendance.correction_propose",
        after={"member_id": member.pk, "from": current, "to": to_status, "reason": reason},
    )
    notifications.notify(
        user_ids=permissions.reviewer_user_ids(activity.branch),
        kind="correction_proposed",
        title=_("考勤更正待审批：%(name)s（%(title)s）")
        % {"name": member.name, "title": activity.title},
        body=reason,
        link="/console/attendance/",
    )
    return correction


@transaction.atomic
def approve_correction(*, actor: User, correction: Correction) -> Correction:
    """A superior's admin approves: the record takes the corrected status, flagged."""
    permissions.require(actor, Action.REVIEW, correction)
    correction = _pending(correction, _("该考勤更正已处理。"))
    permissions.require_not_own_request(actor, correction)
    _decide(correction, actor=actor, status=RequestStatus.APPROVED)
    now = correction.decided_at
    # A member who never scanned has no record yet: it is written flagged as corrected from
    # the start, which is what lets an attended status stand without a check-in's time
    # (the record's constraints).
    record, created = _record_of(
        correction, now=now, status=correction.to_status, correction=correction, is_corrected=True
    )
    before = AttendanceStatus.PENDING if created else record.status
    record.status = correction.to_status
    record.correction = correction
    record.is_corrected = True
    record.updated_at = now
    record.save(update_fields=["status", "correction", "is_corrected", "updated_at"])
    activity = correction.activity
    _score_inputs_changed(activity.pk)
    _audit(
        correction,
        actor=actor,
        action="attendance.correction_approve",
        before={"status": before},
        after={"status": record.status, "member_id": correction.member_id, "corrected": True},
    )
    _tell_proposer(correction, "correction_approved", _("考勤更正已批准：%(name)s（%(title)s）"))
    return correction


@transaction.atomic
def refuse_correction(*, actor: User, correction: Correction, note: str) -> Correction:
    permissions.require(actor, Action.REVIEW, correction)
    note = checked_text(
        note, field="note", missing=_("不批准须说明原因。"), missing_code="reason_required"
    )
    correction = _pending(correction, _("该考勤更正已处理。"))
    _decide(correction, actor=actor, status=RequestStatus.REFUSED, note=note)
    _audit(
        correction,
        actor=actor,
        action="attendance.correction_refuse",
        before={"status": RequestStatus.PENDING},
        after={"status": correction.status, "note": correction.decision_note},
    )
    _tell_proposer(correction, "correction_refused", _("考勤更正未获批准：%(name)s（%(title)s）"))
    return correction


def _tell_proposer(correction: Correction, kind: str, title: str) -> None:
    """The admin who proposed the correction hears the decision (`title` names the member
    and the activity), with the note given, on the activity's attendance page: the phone's
    for a branch secretary (who administers branches only and works on the phone), the
    back office's for anyone else."""
    proposer = correction.proposed_by
    if proposer is not None:
        activity = correction.activity
        if permissions.administers_branches_only(proposer):
            link = f"/m/month/{activity.pk}/attendance/#corrections"
        else:
            link = f"/console/activities/{activity.pk}/attendance/"
        notifications.notify(
            user_ids=[proposer.pk],
            kind=kind,
            title=title % {"name": correction.member.name, "title": activity.title},
            body=correction.decision_note,
            link=link,
        )


# Rotating QR ---------------------------------------------------------------------------------


@transaction.atomic
def set_rotating_qr(*, actor: User, activity: Activity, enabled: bool) -> RotatingQR:
    """Turn rotating-QR mode on or off. While on, only the code shown on the screen (the
    current or previous 30-second code) is accepted; printed posters stop working."""
    permissions.require(actor, Action.CHANGE, activity)
    if enabled and activity.status != ActivityStatus.APPROVED:
        raise DomainError("not_approved", _("活动尚未通过审核"))
    now = clock.now()
    setting, _created = RotatingQR.objects.select_for_update().get_or_create(
        activity=activity,
        defaults={"secret": secrets.token_urlsafe(32), "updated_at": now, "updated_by": actor},
    )
    before = setting.is_enabled
    if enabled and not before:
        # A fresh secret each time: codes from an earlier session never come back.
        setting.secret = secrets.token_urlsafe(32)
    setting.is_enabled = enabled
    setting.updated_by = actor
    setting.updated_at = now
    setting.save(update_fields=["is_enabled", "secret", "updated_by", "updated_at"])
    audit.record(
        actor=actor,
        action="attendance.rotating_qr",
        obj=activity,
        org=activity.branch,
        before={"rotating_qr": before},
        after={"rotating_qr": enabled},
    )
    return setting


# Closing -------------------------------------------------------------------------------------


def close_activity(*, activity: Activity) -> dict | None:
    """Close an activity whose check-out window has ended (the scheduler calls this):
    roster members without a check-in become `absent`, those checked in but not out
    `not_checked_out`. Idempotent: closing a closed activity changes nothing (None)."""
    with transaction.atomic():
        return _close(activity)


def _close(activity: Activity) -> dict | None:
    activity = (
        Activity.objects.select_for_update(of=("self",))
        .select_related("branch")
        .get(pk=activity.pk)
    )
    now = clock.now()
    if activity.status != ActivityStatus.APPROVED or now < activity.checkout_closes_at:
        return None
    if activity.roster_frozen_at is None:
        themedays_services.freeze_roster(activity=activity)
    not_out = (
        AttendanceRecord.objects.of_activity(activity)
        .filter(status=AttendanceStatus.CHECKED_IN)
        .update(status=AttendanceStatus.NOT_CHECKED_OUT, updated_at=now)
    )
    missing = RosterEntry.objects.filter(activity=activity).exclude(
        member_id__in=AttendanceRecord.objects.of_activity(activity).values("member_id")
    )
    absent = [
        AttendanceRecord(
            activity=activity,
            month=record_month(activity.created_at),
            member_id=member_id,
            status=AttendanceStatus.ABSENT,
            created_at=now,
            updated_at=now,
        )
        for member_id in missing.values_list("member_id", flat=True)
    ]
    AttendanceRecord.objects.bulk_create(absent, batch_size=2000, ignore_conflicts=True)
    # Check-ins flag a shared phone as they come, but two at the same instant cannot see
    # each other: closing flags every phone that checked in several members, whatever the
    # timing.
    phones = (
        AttendanceRecord.objects.of_activity(activity)
        .exclude(device_id="")
        .values("device_id")
        .annotate(members=Count("member_id", distinct=True))
        .filter(members__gt=1)
        .values("device_id")
    )
    AttendanceRecord.objects.of_activity(activity).filter(
        device_id__in=phones, is_device_shared=False
    ).update(is_device_shared=True)
    shared = AttendanceRecord.objects.of_activity(activity).filter(is_device_shared=True).count()
    summary = {"absent": len(absent), "not_checked_out": not_out, "shared_device_records": shared}
    themedays_services.move_activity(
        activity, ActivityStatus.CLOSED, actor=None, action="close", noted=summary, closed_at=now
    )
    _score_inputs_changed(activity.pk)
    if shared:
        notifications.notify(
            user_ids=permissions.reviewer_user_ids(activity.branch),
            kind="attendance_shared_device",
            title=_("考勤异常：%s") % activity.title,
            body=_("有 %d 条签到记录来自同一部手机为多名党员签到，请核查。") % shared,
            link=f"/console/activities/{activity.pk}/attendance/",
        )
    return summary


def close_due_activities() -> int:
    """Scheduled: close every approved activity whose check-out window has ended. Each in
    its own transaction; running it again (or late) closes nothing twice."""
    now = clock.now()
    # The window's length differs per activity: narrow in SQL by the end, decide in Python.
    candidates = Activity.objects.filter(status=ActivityStatus.APPROVED, ends_at__lte=now).only(
        "id", "ends_at", "checkout_closes_after_min"
    )
    closed = 0
    for activity in list(candidates):
        if activity.checkout_closes_at <= now and close_activity(activity=activity) is not None:
            closed += 1
    return closed

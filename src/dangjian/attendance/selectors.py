"""Reads for attendance shared by the pages and the API: the roster with each member's
status, live counts, the refusal log, leave and corrections waiting for a decision, what
the rotating-QR screen shows."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, QuerySet

from dangjian import permissions
from dangjian.attendance import codes, posters
from dangjian.attendance.models import (
    ACCEPTED,
    REPEATED,
    STORED_STATUSES,
    AttendanceRecord,
    AttendanceStatus,
    CheckInAttempt,
    Correction,
    LeaveRequest,
    RequestStatus,
    RotatingQR,
)
from dangjian.core import clock
from dangjian.registry.models import Member
from dangjian.themedays import roster
from dangjian.themedays import selectors as themedays_selectors
from dangjian.themedays.models import Activity, ActivityStatus

STATUS_ORDER = [s.value for s in AttendanceStatus]
# Who came, whether or not they have left yet: the figure the console's and the phone's
# counts show as 已签到 against the roster.
PRESENT_STATUSES = (
    AttendanceStatus.CHECKED_IN,
    AttendanceStatus.CHECKED_OUT,
    AttendanceStatus.NOT_CHECKED_OUT,
)


def roster_member(activity: Activity, member_id) -> Member | None:
    """A member of the activity's roster by id (None if not on it)."""
    try:
        member_id = int(member_id)
    except (TypeError, ValueError):
        return None
    member = Member.objects.filter(pk=member_id).first()
    return member if roster.is_on_roster(activity, member) else None


def activity_for_token(token: str) -> Activity | None:
    """The activity a check-in address points to (the phone page shows its title)."""
    token = (token or "").strip()
    if not token or len(token) > 64:
        return None
    return Activity.objects.select_related("branch").filter(checkin_token=token).first()


def record_of(activity: Activity, member: Member) -> AttendanceRecord | None:
    return AttendanceRecord.objects.of_activity(activity).filter(member=member).first()


def status_of(activity: Activity, member: Member) -> str:
    record = record_of(activity, member)
    return record.status if record is not None else AttendanceStatus.PENDING


@dataclass(frozen=True)
class AttendanceRow:
    member_id: int
    user_id: int
    name: str
    is_flowing: bool
    status: str
    checked_in_at: datetime | None
    checked_out_at: datetime | None
    distance_m: int | None
    is_corrected: bool
    is_device_shared: bool

    @property
    def status_label(self) -> str:
        return AttendanceStatus(self.status).label


def attendance_rows(activity: Activity, *, status: str | None = None) -> list[AttendanceRow]:
    """The roster (frozen at the start), each member with their status: two queries."""
    records = {r.member_id: r for r in AttendanceRecord.objects.of_activity(activity)}
    rows = []
    for entry in roster.roster_of(activity):
        record = records.get(entry.member_id)
        rows.append(
            AttendanceRow(
                member_id=entry.member_id,
                user_id=entry.user_id,
                name=entry.name,
                is_flowing=entry.is_flowing,
                status=record.status if record else AttendanceStatus.PENDING,
                checked_in_at=record.checked_in_at if record else None,
                checked_out_at=record.checked_out_at if record else None,
                distance_m=record.checkin_distance_m if record else None,
                is_corrected=bool(record and record.is_corrected),
                is_device_shared=bool(record and record.is_device_shared),
            )
        )
    if status:
        rows = [r for r in rows if r.status == status]
    return rows


def present(by_status: Mapping[str, int]) -> int:
    """How many came, from the counts per status (a status missing counts none)."""
    return sum(by_status.get(s, 0) for s in PRESENT_STATUSES)


def live_counts(activity: Activity) -> dict[str, int]:
    """How many of the roster are in each status, how many came (`present`), the roster's
    size and how many were corrected: three queries."""
    size = roster.roster_size(activity)
    by_status = dict(
        AttendanceRecord.objects.of_activity(activity)
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts = {s: by_status.get(s, 0) for s in STORED_STATUSES}
    counts[AttendanceStatus.PENDING] = max(0, size - sum(by_status.values()))
    counts["roster"] = size
    counts["corrected"] = (
        AttendanceRecord.objects.of_activity(activity).filter(is_corrected=True).count()
    )
    counts["present"] = present(counts)
    return {k: counts[k] for k in ["roster", *STATUS_ORDER, "present", "corrected"]}


def refusals(activity: Activity, *, code: str | None = None) -> QuerySet[CheckInAttempt]:
    """Refused attempts at an activity, newest first."""
    qs = (
        CheckInAttempt.objects.of_activity(activity)
        .exclude(code__in=[ACCEPTED, REPEATED])
        .select_related("member")
        .order_by("-at", "-id")
    )
    if code:
        qs = qs.filter(code=code)
    return qs


def refusal_counts(activity: Activity) -> dict[str, int]:
    """Refusals per code, the most frequent first (many `out_of_range` stand out)."""
    rows = refusals(activity).order_by().values("code").annotate(n=Count("id"))
    return {r["code"]: r["n"] for r in sorted(rows, key=lambda r: (-r["n"], r["code"]))}


@dataclass(frozen=True)
class SharedDevice:
    device_id: str
    names: list[str]


def shared_devices(activity: Activity) -> list[SharedDevice]:
    """Phones that checked in several members of the activity."""
    groups: dict[str, list[str]] = {}
    for device, name in (
        AttendanceRecord.objects.of_activity(activity)
        .filter(is_device_shared=True)
        .order_by("device_id", "checked_in_at")
        .values_list("device_id", "member__name")
    ):
        groups.setdefault(device, []).append(name)
    return [SharedDevice(d, names) for d, names in groups.items()]


def leaves_of(activity: Activity) -> QuerySet[LeaveRequest]:
    return LeaveRequest.objects.filter(activity=activity).select_related("member", "decided_by")


def corrections_of(activity: Activity) -> QuerySet[Correction]:
    return Correction.objects.filter(activity=activity).select_related(
        "member", "proposed_by", "decided_by"
    )


def pending_leaves(user) -> QuerySet[LeaveRequest]:
    """Leave requests the user may decide, still waiting, for activities not started: in
    their admin scope, and not their own (`permissions.require_not_own_request`: neither as
    a member elsewhere nor as a member of the branch they run)."""
    return (
        permissions.scoped_leaves(user)
        .filter(permissions.admin_scope_q(user, "activity__branch__path"))
        .exclude(member__user_id=user.pk)
        .filter(status=RequestStatus.PENDING, activity__status=ActivityStatus.APPROVED)
        .filter(activity__starts_at__gt=clock.now())
        .select_related("activity", "activity__branch", "member")
        .order_by("activity__starts_at", "requested_at")
    )


def corrections_to_review(user) -> QuerySet[Correction]:
    """Pending corrections the user may decide: branches strictly below an organization
    they administer (never their own branch's)."""
    return (
        permissions.scoped_corrections(user)
        .filter(permissions.admin_above_q(user, "activity__branch__path"))
        .filter(status=RequestStatus.PENDING)
        .select_related("activity", "activity__branch", "member", "proposed_by")
        .order_by("proposed_at", "id")
    )


def waiting_count(user) -> int:
    """How many leave requests and corrections wait for the user (the inbox's two lists),
    in one query: the back office shows it beside its link on every page."""
    leaves = pending_leaves(user).order_by().values("pk")
    corrections = corrections_to_review(user).order_by().values("pk")
    return leaves.union(corrections, all=True).count()


def rotating_qr(activity: Activity) -> RotatingQR | None:
    return RotatingQR.objects.filter(activity=activity).first()


def screen_url(activity: Activity, setting: RotatingQR, now: datetime | None = None) -> str:
    """The address the rotating QR on the screen encodes right now."""
    now = now or clock.now()
    return f"{themedays_selectors.checkin_url(activity)}?c={codes.code_at(setting.secret, now)}"


@dataclass(frozen=True)
class ScreenCode:
    """The rotating QR a screen shows: its SVG and the seconds until it changes."""

    svg: str
    seconds_left: int


def screen_code(activity: Activity, setting: RotatingQR | None, now: datetime) -> ScreenCode | None:
    """What the rotating-QR screen shows at `now`: a code only while rotating QR is on
    (off, members scan the printed poster) and the activity is approved (no other takes a
    check-in); otherwise None, and the screen says so."""
    if setting is None or not setting.is_enabled or activity.status != ActivityStatus.APPROVED:
        return None
    return ScreenCode(
        svg=posters.qr_svg(screen_url(activity, setting, now)),
        seconds_left=codes.seconds_left(now),
    )


def screen_now(activity: Activity) -> ScreenCode | None:
    """What the activity's rotating-QR screen shows right now (`screen_code`)."""
    return screen_code(activity, rotating_qr(activity), clock.now())

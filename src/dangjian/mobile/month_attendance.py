"""The secretary's theme day on the phone, attendance (issue 22, point 3): the live counts
and list (redrawn by htmx polling), leave requests to approve or refuse, the attendance
corrections proposed and their state, and the rotating QR for a screen (switched on here,
shown full-screen on a phone or a projector).

The same selectors and services as the back office (`attendance.selectors`: the counts and
what the screen shows; `attendance.services`: the leave decision and its message); every
object through `permissions.access_*`."""

from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from dangjian import permissions
from dangjian.attendance import selectors, services
from dangjian.attendance.models import RequestStatus
from dangjian.core import clock
from dangjian.core.pages import attempt
from dangjian.mobile.decorators import signed_in
from dangjian.permissions import Action
from dangjian.themedays.models import ActivityStatus

LIVE_POLL_SECONDS = 5
SCREEN_POLL_SECONDS = 5


def _activity(request, activity_id: int):
    return permissions.access_activity(request.user, activity_id, Action.CHANGE)


def _live_context(activity) -> dict:
    return {
        "activity": activity,
        "counts": selectors.live_counts(activity),
        "rows": selectors.attendance_rows(activity),
        "updated_at": clock.now(),
        "poll_seconds": LIVE_POLL_SECONDS,
        # Live only while something can still change.
        "is_live": activity.status == ActivityStatus.APPROVED,
    }


@require_GET
@signed_in
def attendance(request, activity_id: int):
    """The activity's attendance: counts and list, leave requests, the rotating QR."""
    activity = _activity(request, activity_id)
    now = clock.now()
    rotating = selectors.rotating_qr(activity)
    leaves = list(selectors.leaves_of(activity))
    return render(
        request,
        "mobile/month/attendance.html",
        {
            **_live_context(activity),
            "leaves": leaves,
            # Proposed on the back office, decided above the branch: their state shown here,
            # where the decision's notice leads a branch secretary.
            "corrections": list(selectors.corrections_of(activity)),
            "pending": RequestStatus.PENDING,
            # Leave is decided before the start (attendance.services.approve_leave).
            "can_decide": activity.status == ActivityStatus.APPROVED and activity.starts_at > now,
            "rotating": rotating is not None and rotating.is_enabled,
            "can_rotate": activity.status == ActivityStatus.APPROVED,
        },
    )


@never_cache
@require_GET
@signed_in
def attendance_live(request, activity_id: int):
    """The counts and the list alone, for the page's htmx polling."""
    activity = _activity(request, activity_id)
    return render(request, "mobile/month/partials/live.html", _live_context(activity))


@require_POST
@signed_in
def leave_decide(request, leave_id: int, decision: str):
    leave = permissions.access_leave(request.user, leave_id, Action.CHANGE)
    approve, success = services.leave_decision(decision, leave.member.name)
    note = request.POST.get("note", "")
    attempt(request, success, services.decide_leave, leave=leave, approve=approve, note=note)
    return redirect(reverse("mobile:month_attendance", args=[leave.activity_id]) + "#leave")


@require_POST
@signed_in
def rotating(request, activity_id: int):
    """Switch the rotating QR on (and open the screen) or off (the printed poster again)."""
    activity = _activity(request, activity_id)
    enabled = request.POST.get("enabled") == "1"
    success = (
        _("已开启动态二维码，打印的海报暂停使用。")
        if enabled
        else _("已关闭动态二维码，打印的海报恢复可用。")
    )
    done = attempt(request, success, services.set_rotating_qr, activity=activity, enabled=enabled)
    if done is not None and enabled:
        return redirect("mobile:month_screen", activity_id=activity.pk)
    return redirect(reverse("mobile:month_attendance", args=[activity.pk]) + "#screen")


def _screen_context(activity) -> dict:
    shown = selectors.screen_now(activity)
    if shown is None:
        return {"activity": activity, "svg": None}
    return {
        "activity": activity,
        "svg": shown.svg,
        "seconds_left": shown.seconds_left,
        "poll_seconds": SCREEN_POLL_SECONDS,
        "counts": selectors.live_counts(activity),
    }


@require_GET
@signed_in
def screen(request, activity_id: int):
    """The rotating QR, as large as the screen allows (a phone held up, turned sideways, or
    a projector), redrawn every few seconds."""
    activity = _activity(request, activity_id)
    return render(request, "mobile/month/screen.html", _screen_context(activity))


@never_cache
@require_GET
@signed_in
def screen_code(request, activity_id: int):
    activity = _activity(request, activity_id)
    return render(request, "mobile/month/partials/screen_code.html", _screen_context(activity))

"""The check-in page a member opens by scanning the activity's QR code (docs/product.md,
"Checking in and out").

Not signed in: the login page, then back here (`?next=`). The page asks the browser for
its position (high accuracy) and posts it; the answer is one clear Chinese sentence:
success with the time, or why not (opens at …, you are 1.2 km away …). After the end the
same page checks out, with the reflection box. All rules are in
`dangjian.attendance.checkin`; this view only translates HTTP."""

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from dangjian import permissions
from dangjian.attendance import checkin as attendance
from dangjian.attendance import participation, selectors, services
from dangjian.attendance.models import ATTENDED, AttendanceStatus
from dangjian.core import clock, coords
from dangjian.core.errors import DomainError
from dangjian.mobile import wechat
from dangjian.mobile.decorators import member_view
from dangjian.permissions import Action
from dangjian.themedays.models import ActivityStatus


def attendance_links(user, activity, now=None) -> dict:
    """What a member's page about an activity offers for attendance, to roster members
    only: asking for leave while the leave service takes it (`participation.leave_refusal`);
    to flowing members, the feed where they take part; on the day (or while a window is
    open, until check-out closes) how to check in or out.

    Checking in is reached only by scanning the code at the venue: a link here would carry
    the poster's secret to everyone on the roster, wherever they are, and the printed code
    is half of the proof of presence (GPS, which a phone can fake, is the other). A member
    who checked in has shown it already, so after the end the page links them straight to
    check-out. In rotating-QR mode every attempt needs the code on the screen."""
    links = {
        "leave_url": None,
        "checkin_url": None,
        "scan_screen": False,
        "scan_poster": False,
        "is_check_out": False,
        "flowing_url": None,
    }
    if activity.status != ActivityStatus.APPROVED:
        return links
    if not permissions.can(user, Action.TAKE_PART, activity):
        return links
    now = now or clock.now()
    member = permissions.own_member(user)
    # The leave service's own rule: not after the start, not once checked in, not beside
    # a request waiting or approved.
    if participation.leave_refusal(participation.leave_facts(activity, member), now) is None:
        links["leave_url"] = reverse("mobile:leave", args=[activity.pk])
    # Flowing members, far from the venue, take part on the feed (likes and comments).
    if member.is_flowing and now <= activity.checkout_closes_at:
        links["flowing_url"] = reverse("mobile:feed_activity", args=[activity.pk])
    is_today = timezone.localdate(activity.starts_at) == timezone.localdate(now)
    window_open = activity.checkin_opens_at <= now
    if activity.checkin_token and (is_today or window_open) and now <= activity.checkout_closes_at:
        rotating = selectors.rotating_qr(activity)
        status = selectors.status_of(activity, member)
        phase = _phase(activity, now)
        if rotating is not None and rotating.is_enabled:
            links["scan_screen"] = not member.is_flowing
        elif phase == "check_out" and status == AttendanceStatus.CHECKED_IN:
            links["checkin_url"] = reverse("mobile:checkin", args=[activity.checkin_token])
            links["is_check_out"] = True
        elif phase == "check_in" and status not in ATTENDED and not member.is_flowing:
            links["scan_poster"] = True
            links["opens"] = _hm(activity.checkin_opens_at)
            links["closes"] = _hm(activity.checkin_closes_at)
    return links


def _hm(value) -> str:
    return formats.date_format(timezone.localtime(value), "H:i")


def _phase(activity, now) -> str:
    """What the page offers now: check-in until the end, check-out from it."""
    return "check_out" if now >= activity.ends_at else "check_in"


def _notice(activity, record_status: str, phase: str, now) -> tuple[str, str] | None:
    """A sentence for a page with nothing to do (kind, text), or None to offer the button."""
    refused = attendance.state_refusal(activity)
    if refused is not None:
        return ("info" if activity.status == ActivityStatus.CLOSED else "error"), refused.message
    if record_status == AttendanceStatus.CHECKED_OUT:
        return "success", _("你已完成签到和签退，感谢参加。")
    if phase == "check_in" and record_status == AttendanceStatus.CHECKED_IN:
        return "success", _("你已签到。活动结束后（%(at)s 起）请再次扫码签退。") % {
            "at": _hm(activity.ends_at)
        }
    return None


def _success_message(phase: str, outcome: attendance.Outcome) -> str:
    record = outcome.record
    if phase == "check_in":
        if not outcome.created:
            return _("你已于 %(at)s 签到，无需重复签到。") % {"at": _hm(record.checked_in_at)}
        return _("签到成功！签到时间 %(at)s，距活动地点 %(distance)d 米。") % {
            "at": _hm(record.checked_in_at),
            "distance": record.checkin_distance_m or 0,
        }
    if not outcome.created:
        return _("你已于 %(at)s 签退。") % {"at": _hm(record.checked_out_at)}
    return _("签退成功！签退时间 %(at)s。你的心得体会已发表，感谢参加。") % {
        "at": _hm(record.checked_out_at)
    }


@never_cache
@require_http_methods(["GET", "POST"])
@member_view
def checkin(request, member, token: str):
    activity = selectors.activity_for_token(token)
    if activity is None:
        return render(request, "mobile/checkin_invalid.html", status=404)
    now = clock.now()
    phase = _phase(activity, now)
    if request.method == "POST":
        return _submit(request, activity, token, phase)
    status = selectors.status_of(activity, member)
    return render(
        request,
        "mobile/checkin.html",
        {
            "activity": activity,
            "member": member,
            "phase": phase,
            "status": status,
            "status_label": AttendanceStatus(status).label,
            "notice": _notice(activity, status, phase, now),
            "code": request.GET.get("c", "")[:32],
            "is_leave": status == AttendanceStatus.ON_LEAVE,
            "wechat_config": wechat.page_config(request),
        },
    )


def _submit(request, activity, token: str, phase: str) -> JsonResponse:
    data = request.POST
    client = attendance.ClientInfo.from_request(
        request,
        device_id=data.get("device_id", ""),
        code=data.get("code", ""),
        client_time=data.get("client_time", ""),
        source="mobile",
    )
    # The phase comes from the server's clock; the button the phone pressed is only a
    # check that the page is not stale.
    action = data.get("action", phase)
    if action not in ("check_in", "check_out"):
        action = phase
    position = {
        "latitude": _number(data.get("latitude")),
        "longitude": _number(data.get("longitude")),
        "accuracy_m": _number(data.get("accuracy")),
        # What the page's locator produced: the browser's WGS-84, or WeChat's system.
        "coord_system": data.get("coord_system") or coords.WGS84,
    }
    try:
        if action == "check_in":
            outcome = attendance.check_in(
                actor=request.user, token=token, client=client, **position
            )
        else:
            outcome = attendance.check_out(
                actor=request.user,
                token=token,
                client=client,
                reflection=data.get("reflection", ""),
                **position,
            )
    except DomainError as exc:
        status = 422 if exc.code in ("validation_error", "invalid_coord_system") else 409
        if exc.code == "validation_error" and exc.details.get("field") != "reflection":
            message = _("没有取得有效的位置，请允许获取位置后重试。")
        else:
            message = exc.message
        return JsonResponse(
            {"ok": False, "code": exc.code, "message": message, **exc.details}, status=status
        )
    return JsonResponse(
        {
            "ok": True,
            "status": outcome.record.status,
            "created": outcome.created,
            "message": _success_message(action, outcome),
        }
    )


def _number(value):
    """Form fields are text: a number or the text itself (the service refuses it)."""
    if value in (None, ""):
        return None
    try:
        return float(value)
    except ValueError:
        return value


@require_http_methods(["GET", "POST"])
@member_view
def leave(request, member, activity_id: int):
    """Ask for leave from an activity of one's branch, with a reason, before the start."""
    try:
        activity = permissions.access_activity(request.user, activity_id)
    except DomainError as exc:
        raise Http404(exc.message) from exc
    error = None
    if request.method == "POST":
        try:
            services.request_leave(
                actor=request.user, activity=activity, reason=request.POST.get("reason", "")
            )
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, _("请假申请已提交，请等待支部批准。"))
            return redirect("mobile:leave", activity_id=activity.pk)
    refusal = participation.leave_refusal(participation.leave_facts(activity, member), clock.now())
    return render(
        request,
        "mobile/checkin_leave.html",
        {
            "activity": activity,
            "leaves": selectors.leaves_of(activity).filter(member=member),
            "error": error,
            "is_open": refusal is None,
            "refusal": refusal.message if refusal else "",
        },
    )

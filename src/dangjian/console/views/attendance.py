"""Attendance in the back office (docs/product.md, "Checking in and out"): for one activity, the
QR poster (PNG/PDF), regenerating its token, rotating-QR mode and its screen, the live view that
refreshes itself (htmx polling), the refusal log, leave decisions and manual corrections; and the
admin's inbox of leave requests and corrections waiting for them."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from dangjian import permissions
from dangjian.attendance import posters, selectors, services
from dangjian.attendance.models import STORED_STATUSES, AttendanceStatus, RequestStatus
from dangjian.console.decorators import admin_view
from dangjian.console.views.base import paginate, render_page, trail
from dangjian.core import clock, labels
from dangjian.core.errors import DomainError
from dangjian.core.pages import attempt
from dangjian.permissions import Action
from dangjian.themedays import selectors as themedays_selectors
from dangjian.themedays import services as themedays_services
from dangjian.themedays.models import ActivityStatus

LIVE_POLL_SECONDS = 10
SCREEN_POLL_SECONDS = 5
REFUSALS_PER_PAGE = 50
REFUSAL_LABELS = labels.REFUSALS


def _activity(request, activity_id: int):
    return permissions.access_activity(request.user, activity_id, Action.CHANGE)


def _back(activity, anchor: str = ""):
    return redirect(reverse("console:attendance", args=[activity.pk]) + anchor)


def _live_context(activity) -> dict:
    return {
        "activity": activity,
        "counts": selectors.live_counts(activity),
        "rows": selectors.attendance_rows(activity),
        "shared_devices": selectors.shared_devices(activity),
        "refused": sum(selectors.refusal_counts(activity).values()),
        "updated_at": clock.now(),
        "poll_seconds": LIVE_POLL_SECONDS,
        # Live only while something can still change.
        "is_live": activity.status == ActivityStatus.APPROVED,
    }


@require_GET
@admin_view
def attendance(request, activity_id: int):
    activity = _activity(request, activity_id)
    user = request.user
    rotating = selectors.rotating_qr(activity)
    context = {
        **_live_context(activity),
        "crumbs": trail(user, activity.branch),
        "checkin_url": themedays_selectors.checkin_url(activity),
        "has_poster": activity.status == ActivityStatus.APPROVED and activity.checkin_token,
        "rotating": rotating is not None and rotating.is_enabled,
        "refusal_counts": [
            (code, REFUSAL_LABELS.get(code, code), n)
            for code, n in selectors.refusal_counts(activity).items()
        ],
        "leaves": list(selectors.leaves_of(activity)),
        "corrections": list(selectors.corrections_of(activity)),
        "can_review": permissions.can(user, Action.REVIEW, activity),
        "can_correct": activity.status in (ActivityStatus.APPROVED, ActivityStatus.CLOSED)
        and activity.starts_at <= clock.now(),
        "correction_statuses": [(s, AttendanceStatus(s).label) for s in STORED_STATUSES],
        "pending": RequestStatus.PENDING,
    }
    return render_page(request, "console/attendance.html", context)


@never_cache
@require_GET
@admin_view
def attendance_live(request, activity_id: int):
    """The counts and the list, redrawn by htmx every few seconds during the activity."""
    activity = _activity(request, activity_id)
    return render_page(request, "console/partials/attendance_live.html", _live_context(activity))


def _poster_url(activity) -> str:
    url = themedays_selectors.checkin_url(activity)
    if activity.status != ActivityStatus.APPROVED or url is None:
        raise DomainError("not_approved", _("活动尚未通过审核，没有签到二维码。"))
    return url


@require_GET
@admin_view
def poster(request, activity_id: int, fmt: str):
    activity = _activity(request, activity_id)
    try:
        url = _poster_url(activity)
    except DomainError as exc:
        messages.error(request, exc.message)
        return _back(activity)
    now = clock.now()
    if fmt not in ("pdf", "png", "qr"):
        raise Http404
    if fmt == "pdf":
        body, content_type = posters.poster_pdf(activity, url, now), "application/pdf"
    elif fmt == "png":
        body, content_type = posters.poster_png(activity, url, now), "image/png"
    else:
        body, content_type = posters.qr_png(url), "image/png"
    response = HttpResponse(body, content_type=content_type)
    if fmt != "qr":
        name = f"checkin-poster-{activity.pk}.{fmt}"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@admin_view
def regenerate_token(request, activity_id: int):
    activity = _activity(request, activity_id)
    attempt(
        request,
        _("已更换签到二维码，之前打印的海报已失效，请重新下载打印。"),
        themedays_services.regenerate_checkin_token,
        activity=activity,
    )
    return _back(activity, "#poster")


@require_POST
@admin_view
def rotating(request, activity_id: int):
    activity = _activity(request, activity_id)
    enabled = request.POST.get("enabled") == "1"
    success = (
        _("已开启动态二维码：请在大屏上打开“投屏签到”页面，打印的海报暂停使用。")
        if enabled
        else _("已关闭动态二维码，打印的海报恢复可用。")
    )
    attempt(request, success, services.set_rotating_qr, activity=activity, enabled=enabled)
    return _back(activity, "#poster")


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
@admin_view
def screen(request, activity_id: int):
    """For a projector: the rotating QR code, redrawn every few seconds."""
    activity = _activity(request, activity_id)
    return render_page(request, "console/attendance_screen.html", _screen_context(activity))


@never_cache
@require_GET
@admin_view
def screen_code(request, activity_id: int):
    activity = _activity(request, activity_id)
    return render_page(
        request, "console/partials/attendance_screen_code.html", _screen_context(activity)
    )


@require_GET
@admin_view
def refusals(request, activity_id: int):
    activity = _activity(request, activity_id)
    code = request.GET.get("code") or None
    page = paginate(request, selectors.refusals(activity, code=code), REFUSALS_PER_PAGE)
    return render_page(
        request,
        "console/attendance_refusals.html",
        {
            "activity": activity,
            "crumbs": trail(request.user, activity.branch),
            "page": page,
            "code": code,
            "refusal_counts": [
                (c, REFUSAL_LABELS.get(c, c), n)
                for c, n in selectors.refusal_counts(activity).items()
            ],
        },
    )


def _next(request, fallback):
    target = request.POST.get("next", "")
    return redirect(target) if target.startswith("/console/") else fallback


@require_POST
@admin_view
def leave_decide(request, leave_id: int, decision: str):
    leave = permissions.access_leave(request.user, leave_id, Action.CHANGE)
    approve, success = services.leave_decision(decision, leave.member.name)
    note = request.POST.get("note", "")
    attempt(request, success, services.decide_leave, leave=leave, approve=approve, note=note)
    return _next(request, _back(leave.activity, "#leave"))


@require_POST
@admin_view
def correction_propose(request, activity_id: int):
    activity = _activity(request, activity_id)
    member = None
    try:
        member = selectors.roster_member(activity, request.POST.get("member_id"))
        if member is None:
            raise permissions.not_found()
        services.propose_correction(
            actor=request.user,
            activity=activity,
            member=member,
            to_status=request.POST.get("to_status", ""),
            reason=request.POST.get("reason", ""),
        )
    except DomainError as exc:
        if exc.code == "not_found":
            messages.error(request, _("请选择名单中的党员。"))
        else:
            messages.error(request, exc.message)
    else:
        messages.success(request, _("已提交 %s 的考勤更正，待上级组织审批后生效。") % member.name)
    return _back(activity, "#corrections")


@require_POST
@admin_view
def correction_decide(request, correction_id: int, decision: str):
    correction = permissions.access_correction(request.user, correction_id, Action.REVIEW)
    if decision == "approve":
        attempt(request, _("已批准考勤更正。"), services.approve_correction, correction=correction)
    else:
        note = request.POST.get("note", "")
        attempt(
            request,
            _("已不批准考勤更正。"),
            services.refuse_correction,
            correction=correction,
            note=note,
        )
    return _next(request, _back(correction.activity, "#corrections"))


@require_GET
@admin_view
def inbox(request):
    """Leave requests and corrections waiting for this admin's decision."""
    return render_page(
        request,
        "console/attendance_inbox.html",
        {
            "leaves": list(selectors.pending_leaves(request.user)[:200]),
            "corrections": list(selectors.corrections_to_review(request.user)[:200]),
        },
    )

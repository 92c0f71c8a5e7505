"""The branch secretary's month on the phone (issue 22, point 3).

`/m/month/` shows, for each branch the user administers, this month's theme day: the
campaign, where the branch's plan stands, the next step and every step of the month, each a
phone page: the plan (`mobile.themedays`), the poster to download or share (here), the live
attendance, the rotating QR for a screen and leave decisions (`month_attendance`), the
photos and the summary, and the rectifications to answer (`month_record`).

The rules are the domain's: these views read its selectors and call its services, as the
back office does, and fetch every object through `permissions.access_*` (the same 404 for a
missing or out-of-scope object, 403 for one the user may read but not change)."""

from dataclasses import dataclass

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from dangjian import permissions
from dangjian.attendance import posters
from dangjian.attendance import selectors as attendance
from dangjian.attendance.models import RequestStatus
from dangjian.core import clock
from dangjian.interaction import selectors as interaction
from dangjian.interaction.services import record_deadline
from dangjian.mobile.decorators import signed_in
from dangjian.permissions import Action
from dangjian.supervision import review_selectors
from dangjian.supervision import selectors as supervision
from dangjian.supervision.models import RectificationStatus
from dangjian.themedays import selectors
from dangjian.themedays.models import ActivityStatus

POSTER_FORMATS = {"pdf": "application/pdf", "png": "image/png"}


@dataclass(frozen=True)
class Step:
    """One step of the month: its name, whether it is done, is the one to do now, and the
    phone page that does it (empty when there is nothing to open yet)."""

    label: str
    state: str  # "done", "now" or "later"
    url: str = ""
    note: str = ""


def _plan_url(branch, campaign, activity) -> str:
    if activity is None:
        return reverse("mobile:plan_start", args=[branch.pk, campaign.pk])
    return reverse("mobile:plan_edit", args=[activity.pk])


def steps_of(branch, campaign, activity, now, *, has_record: bool) -> list[Step]:
    """The month's steps for the branch's plan, the first one not done marked "now"."""
    status = activity.status if activity else None
    approved = status in (ActivityStatus.APPROVED, ActivityStatus.CLOSED)
    started = approved and activity.starts_at <= now
    ended = approved and (status == ActivityStatus.CLOSED or activity.ends_at <= now)
    pk = activity.pk if activity else None
    plan_note = {
        None: _("尚未制定"),
        ActivityStatus.DRAFT: _("草稿，尚未提交"),
        ActivityStatus.REJECTED: _("上级已退回，请修改后重新提交"),
    }.get(status, "")
    done = [
        status in (ActivityStatus.SUBMITTED, ActivityStatus.APPROVED, ActivityStatus.CLOSED),
        approved,
        started,
        started,
        ended,
        has_record,
    ]
    steps = [
        (_("制定并提交活动计划"), _plan_url(branch, campaign, activity), plan_note),
        (_("上级审核计划"), "", _("等待上级党组织审核") if status == "submitted" else ""),
        (
            _("下载或分享签到海报，通知党员"),
            reverse("mobile:month_poster", args=[pk]) if approved else "",
            "",
        ),
        (
            _("审批请假"),
            reverse("mobile:month_attendance", args=[pk]) + "#leave" if approved else "",
            "",
        ),
        (
            _("投屏签到，查看实时签到"),
            reverse("mobile:month_attendance", args=[pk]) if approved else "",
            "",
        ),
        (
            _("上传活动照片，填写活动总结"),
            reverse("mobile:month_record", args=[pk]) if started else "",
            "",
        ),
    ]
    # Leave is decided before the start, the poster handed out before it too: both are
    # "done" once the activity has begun, and open (not the next step) until then.
    first_open = next((i for i, is_done in enumerate(done) if not is_done), None)
    result = []
    for i, ((label, url, note), is_done) in enumerate(zip(steps, done, strict=True)):
        state = "done" if is_done else ("now" if i == first_open else "later")
        result.append(Step(label=label, state=state, url=url, note=note))
    return result


def _branch_month(user, branch, now) -> dict:
    day = selectors.theme_day(branch)
    activity = selectors.current_activity_for_branch(branch, day.campaign) if day else None
    row = {
        "branch": branch,
        "day": day,
        "activity": activity,
        "stage": selectors.STAGE_LABELS[selectors.stage_of(activity, now)],
        "steps": [],
        "next": None,
        "pending_leaves": 0,
    }
    if day is None:
        return row
    has_record = False
    if activity is not None and activity.status in (ActivityStatus.APPROVED, ActivityStatus.CLOSED):
        has_summary = interaction.summary_of(activity) is not None
        has_record = has_summary and interaction.photos_of(activity).exists()
        row["pending_leaves"] = (
            attendance.leaves_of(activity).filter(status=RequestStatus.PENDING).count()
        )
    steps = steps_of(branch, day.campaign, activity, now, has_record=has_record)
    row["steps"] = steps
    row["next"] = next((s for s in steps if s.state == "now"), None)
    return row


@require_GET
@signed_in
def month(request):
    """This month's theme day of each branch the user administers, its steps and the next
    one; the open rectifications and the records sent back to those branches."""
    user = request.user
    now = clock.now()
    branches = list(selectors.administered_branches(user))
    rectifications = [
        r
        for branch in branches
        for r in supervision.rectifications_in(user, branch).exclude(
            status=RectificationStatus.ACCEPTED
        )
    ]
    return render(
        request,
        "mobile/month/month.html",
        {
            "rows": [_branch_month(user, branch, now) for branch in branches],
            "rectifications": [(r, r.is_overdue_on(clock.today())) for r in rectifications],
            "sent_back": list(review_selectors.sent_back_records(user)[:20]) if branches else [],
        },
    )


# The poster ------------------------------------------------------------------------------


def _approved(request, activity_id: int):
    """The activity, for an admin who may change it, once approved (else 404: there is
    no poster, no check-in yet)."""
    activity = permissions.access_activity(request.user, activity_id, Action.CHANGE)
    if activity.status not in (ActivityStatus.APPROVED, ActivityStatus.CLOSED):
        raise Http404(_("活动尚未通过审核，没有签到二维码。"))
    return activity


@require_GET
@signed_in
def poster(request, activity_id: int):
    """The check-in poster: a preview, the PDF to print, the image to send to the branch's
    group chat (the phone's share sheet where it has one)."""
    activity = _approved(request, activity_id)
    return render(
        request,
        "mobile/month/poster.html",
        {
            "activity": activity,
            "checkin_url": selectors.checkin_url(activity),
            "is_open": activity.status == ActivityStatus.APPROVED,
            "record_deadline": record_deadline(activity),
        },
    )


@require_GET
@signed_in
def poster_file(request, activity_id: int, fmt: str):
    """The poster as PDF or PNG (the back office's files, from `attendance.posters`);
    `?inline=1` shows the image in the page instead of downloading it."""
    activity = _approved(request, activity_id)
    url = selectors.checkin_url(activity)
    if fmt not in POSTER_FORMATS or url is None:
        raise Http404
    now = clock.now()
    maker = posters.poster_pdf if fmt == "pdf" else posters.poster_png
    response = HttpResponse(maker(activity, url, now), content_type=POSTER_FORMATS[fmt])
    if request.GET.get("inline") != "1":
        name = f"checkin-poster-{activity.pk}.{fmt}"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response

"""The secretary's theme day on the phone, afterwards (issue 22, point 3): the activity's
record (photos taken with the phone, the summary) and the rectifications a superior opened
for the branch, answered with text and photos or PDFs.

The services are the back office's (`interaction.services.upload_photo`, `write_summary`;
`supervision.services.answer_rectification`); every object through `permissions.access_*`."""

from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian import permissions
from dangjian.core import clock, labels
from dangjian.core.files import attachment_response
from dangjian.core.pages import attempt, attempt_photos
from dangjian.interaction import images, selectors, services
from dangjian.mobile.decorators import signed_in
from dangjian.permissions import Action
from dangjian.supervision import services as supervision
from dangjian.supervision.models import RectificationStatus

PHOTO_TYPES = "image/jpeg,image/png,image/webp,image/heic,image/heif,.heic,.heif"


def _back(activity, anchor: str):
    return redirect(reverse("mobile:month_record", args=[activity.pk]) + anchor)


@require_GET
@signed_in
def record(request, activity_id: int):
    """The activity's record: its photos, the form to add more, and the summary."""
    activity = permissions.access_activity(request.user, activity_id, Action.CHANGE)
    now = clock.now()
    deadline = services.record_deadline(activity)
    return render(
        request,
        "mobile/month/record.html",
        {
            "activity": activity,
            "photos": list(selectors.photos_of(activity)),
            "summary": selectors.summary_of(activity),
            "record_deadline": deadline,
            "started": activity.starts_at <= now,
            "past_deadline": now > deadline,
            "max_mb": images.max_upload_mb(),
            "photo_types": PHOTO_TYPES,
        },
    )


@require_POST
@signed_in
def record_photos(request, activity_id: int):
    """Several photos at once, each checked on its own; the page says which were refused."""
    activity = permissions.access_activity(request.user, activity_id, Action.CHANGE)
    attempt_photos(request, services.upload_photos, activity=activity)
    return _back(activity, "#photos")


@require_POST
@signed_in
def record_summary(request, activity_id: int):
    activity = permissions.access_activity(request.user, activity_id, Action.CHANGE)
    attempt(
        request,
        _("活动总结已保存。"),
        services.write_summary,
        activity=activity,
        text=request.POST.get("text", ""),
    )
    return _back(activity, "#summary")


# Rectifications ----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@signed_in
def rectification(request, rectification_id: int):
    """A rectification of the branch: what is required by when, its history, and the
    answer (text, and images or PDFs as evidence) while it is open."""
    user = request.user
    r = permissions.access_rectification(user, rectification_id)
    if request.method == "POST":
        permissions.require(user, Action.ANSWER, r)
        answered = attempt(
            request,
            _("已提交整改情况，等待上级验收。"),
            supervision.answer_rectification,
            rectification=r,
            text=request.POST.get("text", ""),
            files=request.FILES.getlist("files"),
        )
        if answered is not None:
            return redirect("mobile:month")
        return redirect("mobile:month_rectification", rectification_id=r.pk)
    return render(
        request,
        "mobile/month/rectification.html",
        {
            "r": r,
            "events": [
                (e, labels.label(e.action, "rectification_event"))
                for e in r.events.select_related("actor").prefetch_related("attachments")
            ],
            "overdue": r.is_overdue_on(clock.today()),
            "can_answer": permissions.can(user, Action.ANSWER, r)
            and r.status == RectificationStatus.OPEN,
        },
    )


@require_GET
@signed_in
def rectification_attachment(request, attachment_id: int):
    """A file of an answer, read through the rectification's scope check."""
    attachment = permissions.access_rectification_attachment(request.user, attachment_id)
    return attachment_response(attachment)

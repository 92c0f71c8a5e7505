"""The activity record in the back office (docs/product.md, "The activity record"): the list of
held activities in the admin's scope, and one activity's record, where the branch uploads photos
and writes the summary, admins of the scope hide comments, and superiors rate."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from dangjian import permissions
from dangjian.console.decorators import admin_view
from dangjian.console.views.base import paginate, render_page, trail
from dangjian.core.pages import attempt, attempt_photos
from dangjian.interaction import images, selectors, services
from dangjian.permissions import Action

PAGE_SIZE = 30


@require_GET
@admin_view
def record_list(request):
    page = paginate(request, selectors.record_activities(request.user), PAGE_SIZE)
    return render_page(request, "console/record_list.html", {"page": page})


def _record_context(request, activity) -> dict:
    user = request.user
    comments = list(selectors.top_level_comments(user, activity)[:500])
    return {
        "activity": activity,
        "crumbs": trail(user, activity.branch),
        "photos": list(selectors.photos_of(activity)),
        "summary": selectors.summary_of(activity),
        "like_count": selectors.like_count(activity),
        "comment_count": selectors.comment_count(activity),
        "comments": selectors.comment_views(user, activity, comments),
        "rating": selectors.current_rating(activity),
        "ratings": selectors.rating_history(activity),
        "can_change": permissions.can(user, Action.CHANGE, activity),
        "can_rate": permissions.can(user, Action.RATE, activity),
        "is_interactive": activity.status in selectors.INTERACTIVE_STATUSES,
        "record_deadline": services.record_deadline(activity),
        "max_mb": images.max_upload_mb(),
    }


@require_GET
@admin_view
def activity_record(request, activity_id: int):
    activity = permissions.access_activity(request.user, activity_id)
    return render_page(request, "console/activity_record.html", _record_context(request, activity))


def _back(activity, anchor: str = ""):
    return redirect(reverse("console:activity_record", args=[activity.pk]) + anchor)


@require_POST
@admin_view
def record_photos(request, activity_id: int):
    """Several photos at once: each is checked on its own; the page says which were
    refused and why."""
    activity = permissions.access_activity(request.user, activity_id, Action.CHANGE)
    attempt_photos(request, services.upload_photos, activity=activity)
    return _back(activity, "#photos")


@require_POST
@admin_view
def record_photo_remove(request, photo_id: int):
    """Take a photo off the record (audited)."""
    photo = permissions.access_photo(request.user, photo_id, Action.CHANGE)
    activity = photo.activity
    attempt(request, _("照片已删除。"), services.remove_photo, photo=photo)
    return _back(activity, "#photos")


@require_POST
@admin_view
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


@require_POST
@admin_view
def comment_hide(request, comment_id: int):
    comment = permissions.access_comment(request.user, comment_id, Action.CHANGE)
    attempt(
        request,
        _("评论已隐藏。"),
        services.hide_comment,
        comment=comment,
        reason=request.POST.get("reason", ""),
    )
    return _back(comment.activity, f"#c{comment.pk}")


@require_POST
@admin_view
def record_rate(request, activity_id: int):
    activity = permissions.access_activity(request.user, activity_id, Action.RATE)
    raw = (request.POST.get("score") or "").strip()
    try:
        score = int(raw)
    except ValueError:
        messages.error(request, _("评分应为 0 到 100 之间的整数"))
        return _back(activity, "#rating")
    attempt(
        request,
        _("评分已保存。"),
        services.rate_activity,
        activity=activity,
        score=score,
        remark=request.POST.get("remark", ""),
    )
    return _back(activity, "#rating")

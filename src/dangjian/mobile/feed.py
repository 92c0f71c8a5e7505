"""The member's feed (docs/product.md, "The activity record"): their branch's theme-day
activities newest first, each with its photos, summary, comments and likes; the activity page
where members comment, reply and like. Flowing members far from home take part here."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from dangjian import permissions
from dangjian.core import clock
from dangjian.core.errors import DomainError
from dangjian.core.pages import domain_errors
from dangjian.interaction import selectors, services
from dangjian.mobile.checkin import attendance_links
from dangjian.mobile.decorators import member_view
from dangjian.mobile.participation import photo_context
from dangjian.permissions import Action
from dangjian.themedays import selectors as themedays_selectors

PAGE_SIZE = 10
PHOTOS_PER_CARD = 4


def _feed_activity(user, member, activity_id):
    """An activity of the member's own branch that is in the feed; 404 otherwise."""
    activity = permissions.access_activity(user, activity_id)
    if (
        activity.branch_id != member.branch_id
        or activity.status not in selectors.INTERACTIVE_STATUSES
    ):
        raise permissions.not_found()
    return activity


def _back(request, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


@require_GET
@member_view
def feed(request, member):
    page = Paginator(selectors.feed_activities(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    activities = list(page.object_list)
    selectors.prefetch_photos(activities, per_activity=PHOTOS_PER_CARD)
    now = clock.now()
    for activity in activities:
        activity.stage = themedays_selectors.stage_of(activity, now)
    return render(
        request,
        "mobile/feed.html",
        {"member": member, "page": page, "activities": activities},
    )


def _activity_context(request, member, activity) -> dict:
    user = request.user
    comments = list(selectors.top_level_comments(user, activity)[:200])
    photos = list(selectors.photos_of(activity))
    return {
        "member": member,
        "activity": activity,
        "photos": photos,
        **photo_context(user, activity, photos),
        "summary": selectors.summary_of(activity),
        "like_count": selectors.like_count(activity),
        "liked": selectors.has_liked(user, activity),
        "comment_count": selectors.comment_count(activity),
        "comments": selectors.comment_views(user, activity, comments),
        "can_take_part": permissions.can(user, Action.TAKE_PART, activity),
        "attendance": _here(attendance_links(user, activity)),
    }


def _here(links: dict) -> dict:
    """On the activity's own page a flowing member's way to take part is its comments."""
    if links["flowing_url"]:
        links["flowing_url"] = "#comments"
    return links


@require_GET
@member_view
@domain_errors
def feed_activity(request, member, activity_id: int):
    activity = _feed_activity(request.user, member, activity_id)
    return render(
        request, "mobile/feed_activity.html", _activity_context(request, member, activity)
    )


@require_POST
@member_view
@domain_errors
def like_activity(request, member, activity_id: int):
    activity = _feed_activity(request.user, member, activity_id)
    if request.POST.get("action") == "unlike":
        services.unlike_activity(actor=request.user, activity=activity)
    else:
        services.like_activity(actor=request.user, activity=activity)
    detail = reverse("mobile:feed_activity", args=[activity.pk])
    return redirect(_back(request, detail))


@require_POST
@member_view
@domain_errors
def post_comment(request, member, activity_id: int):
    activity = _feed_activity(request.user, member, activity_id)
    parent = None
    if request.POST.get("parent_id"):
        parent = permissions.access_comment(request.user, request.POST["parent_id"])
    try:
        comment = services.post_comment(
            actor=request.user, activity=activity, body=request.POST.get("body", ""), parent=parent
        )
    except DomainError as exc:
        if exc.code in ("not_found", "forbidden"):
            raise
        context = _activity_context(request, member, activity)
        context.update(
            comment_error=exc.message,
            comment_body=request.POST.get("body", ""),
            error_parent_id=parent.pk if parent else None,
        )
        return render(request, "mobile/feed_activity.html", context, status=422)
    messages.success(request, _("评论已发表。") if parent is None else _("回复已发表。"))
    return redirect(reverse("mobile:feed_activity", args=[activity.pk]) + f"#c{comment.pk}")


@require_POST
@member_view
@domain_errors
def like_comment(request, member, comment_id: int):
    comment = permissions.access_comment(request.user, comment_id)
    _feed_activity(request.user, member, comment.activity_id)
    if request.POST.get("action") == "unlike":
        services.unlike_comment(actor=request.user, comment=comment)
    else:
        services.like_comment(actor=request.user, comment=comment)
    detail = reverse("mobile:feed_activity", args=[comment.activity_id]) + f"#c{comment.pk}"
    return redirect(_back(request, detail))

"""The member's own participation on the phone: their history under 我的 (every activity
they attended, were excused from or missed, with the times and distance of their check-in),
and the photos they add to the record of an activity they attended, or take off again.

The history is the signed-in member's own (`participation.history_of` of their record);
who may add or remove a photo is `dangjian.permissions`' (`Action.CONTRIBUTE`, `_can_photo`)
and every limit is `interaction`'s (the size the form states, `images.max_upload_mb`)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from dangjian import permissions
from dangjian.attendance import participation
from dangjian.core import clock
from dangjian.core.errors import DomainError
from dangjian.core.pages import attempt, domain_errors
from dangjian.interaction import images
from dangjian.interaction import services as interaction
from dangjian.mobile.decorators import member_view
from dangjian.permissions import Action

PAGE_SIZE = 20


@require_GET
@member_view
def history(request, member):
    page = Paginator(participation.history_of(member), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    for record in rows:
        record.own_status = participation.own_status(record.status)
        # The activity page is the feed's, of the member's own branch.
        record.is_linked = record.activity.branch_id == member.branch_id
    return render(
        request, "mobile/participation.html", {"member": member, "page": page, "rows": rows}
    )


def photo_context(user, activity, photos) -> dict:
    """What an activity's page offers about photos: the upload form to those who may add
    one while the record takes them, and a remove button on each photo they may remove."""
    for photo in photos:
        photo.activity = activity
        photo.removable = permissions.can(user, Action.CHANGE, photo)
    now = clock.now()
    return {
        "can_add_photo": permissions.can(user, Action.CONTRIBUTE, activity)
        and activity.starts_at <= now <= interaction.record_deadline(activity),
        "max_mb": images.max_upload_mb(),
    }


def _to_photos(activity_id: int):
    return redirect(reverse("mobile:feed_activity", args=[activity_id]) + "#photos")


@require_POST
@member_view
@domain_errors
def photo_upload(request, member, activity_id: int):
    activity = permissions.access_activity(request.user, activity_id)
    if activity.branch_id != member.branch_id:
        raise permissions.not_found()
    file = request.FILES.get("photo")
    if file is None:
        messages.error(request, _("请选择要上传的照片。"))
        return _to_photos(activity.pk)
    try:
        photo = interaction.upload_photo(
            actor=request.user, activity=activity, file=file, name=file.name
        )
    except DomainError as exc:
        if exc.code in ("not_found", "forbidden"):
            raise
        messages.error(request, exc.message)
    else:
        text = _("照片已上传。")
        if photo.evidence == "flagged":
            text += _("照片的拍摄时间或地点与活动不符，已标记供上级核查。")
        messages.success(request, text)
    return _to_photos(activity.pk)


@require_POST
@member_view
@domain_errors
def photo_remove(request, member, photo_id: int):
    photo = permissions.access_photo(request.user, photo_id, Action.CHANGE)
    activity_id = photo.activity_id
    attempt(request, _("照片已删除。"), interaction.remove_photo, photo=photo)
    return _to_photos(activity_id)

"""The activity record over the API: photos (with their evidence flags), the summary,
comments and replies, likes, hiding, superiors' ratings (docs/product.md, "The activity record")."""

from datetime import datetime

from django.urls import reverse
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate
from pydantic import Field

from dangjian import permissions
from dangjian.api.auth import actor
from dangjian.api.files import image_upload
from dangjian.api.pagination import Mapped, Page
from dangjian.api.schemas import ErrorOut, UserName
from dangjian.interaction import selectors, services
from dangjian.interaction.models import Photo, Summary
from dangjian.permissions import Action

router = Router(tags=["activity record"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


# Photos ----------------------------------------------------------------------------------


class PhotoOut(Schema):
    id: int
    activity_id: int
    url: str = Field(description="The full-size image; scope-checked, session or bearer")
    thumbnail_url: str
    width: int
    height: int
    size: int
    source_type: str = Field(description="What was uploaded: jpeg, png, webp or heic")
    taken_at: datetime | None = Field(description="EXIF capture time")
    latitude: float | None = Field(alias="gps_latitude", description="EXIF position (WGS-84)")
    longitude: float | None = Field(alias="gps_longitude")
    distance_m: int | None = Field(description="EXIF position's distance from the venue")
    evidence: str = Field(description="verified, flagged or unverified")
    flags: list[str] = Field(
        description="time_outside_activity, far_from_venue, unverified, late_upload"
    )
    is_late: bool
    uploaded_by: UserName
    created_at: datetime

    @staticmethod
    def resolve_url(photo: Photo) -> str:
        return reverse("portal:photo", args=[photo.pk, "full"])

    @staticmethod
    def resolve_thumbnail_url(photo: Photo) -> str:
        return reverse("portal:photo", args=[photo.pk, "thumb"])


@router.post("/activities/{activity_id}/photos", response={201: PhotoOut, **ERRORS})
def upload_photo(request, activity_id: int, file: File[UploadedFile]):
    """Multipart `file`: JPEG, PNG, WebP or HEIC, recognised from its content. 422
    `unsupported_file` for anything else, 422 `file_too_large` past the size limit, 422
    `image_too_large` (with `max_pixels`) past the pixel ceiling, 422 `too_many_photos`
    past the activity's cap; 409 `not_started` / `record_closed` outside the record window
    (from the start to the close plus the grace period; photos after the close are marked
    late). The admins over the branch, and the members who attended the activity."""
    user = actor(request)
    activity = permissions.access_activity(user, activity_id, Action.CONTRIBUTE)
    return image_upload(
        201,
        lambda: services.upload_photo(actor=user, activity=activity, file=file, name=file.name),
    )


@router.get("/activities/{activity_id}/photos", response={200: list[PhotoOut], **ERRORS})
def list_photos(request, activity_id: int):
    """The activity's photos, oldest first, with their evidence flags."""
    activity = permissions.access_activity(actor(request), activity_id)
    return selectors.photos_of(activity)


@router.delete("/photos/{photo_id}", response={204: None, **ERRORS})
def remove_photo(request, photo_id: int):
    """Take a photo off the record (audited): the admins over the branch any photo, at any
    time; a member their own while the record takes photos (409 `record_closed` after)."""
    user = actor(request)
    photo = permissions.access_photo(user, photo_id, Action.CHANGE)
    services.remove_photo(actor=user, photo=photo)
    return Status(204, None)


# Summary ---------------------------------------------------------------------------------


class SummaryIn(Schema):
    text: str = Field(max_length=services.SUMMARY_MAX_CHARS)


class SummaryOut(Schema):
    activity_id: int
    text: str
    chars: int
    is_late: bool
    updated_by: UserName
    updated_at: datetime

    @staticmethod
    def resolve_chars(summary: Summary) -> int:
        return len(summary.text)


@router.put("/activities/{activity_id}/summary", response={200: SummaryOut, **ERRORS})
def write_summary(request, activity_id: int, payload: SummaryIn):
    """Write or rewrite the summary; the same window as photos."""
    user = actor(request)
    activity = permissions.access_activity(user, activity_id, Action.CHANGE)
    return services.write_summary(actor=user, activity=activity, text=payload.text)


# Comments --------------------------------------------------------------------------------


class CommentIn(Schema):
    body: str = Field(max_length=services.COMMENT_MAX_CHARS)
    parent_id: int | None = Field(None, description="Reply to this top-level comment")


class CommentOut(Schema):
    id: int
    parent_id: int | None
    author: dict = Field(description="member_id, name, is_flowing")
    body: str
    is_reflection: bool
    is_hidden: bool
    hidden_reason: str = Field(description="Shown to the author and the admins")
    created_at: datetime
    like_count: int
    liked: bool
    replies: list["CommentOut"] = []

    @staticmethod
    def resolve_author(view: selectors.CommentView) -> dict:
        return {
            "member_id": view.author_id,
            "name": view.author_name,
            "is_flowing": view.author_is_flowing,
        }


class ReasonIn(Schema):
    reason: str = Field(min_length=1, max_length=300)


def _comment_view(user, comment) -> selectors.CommentView:
    return selectors.comment_views(user, comment.activity, [comment])[0]


@router.get("/activities/{activity_id}/comments", response={200: list[CommentOut], **ERRORS})
@paginate(Page)
def list_comments(request, activity_id: int):
    """Top-level comments newest first, each with its replies oldest first. Hidden
    comments appear only to their author and the admins of the scope."""
    user = actor(request)
    activity = permissions.access_activity(user, activity_id)
    return Mapped(
        selectors.top_level_comments(user, activity),
        lambda rows: selectors.comment_views(user, activity, rows),
    )


@router.post("/activities/{activity_id}/comments", response={201: CommentOut, **ERRORS})
def post_comment(request, activity_id: int, payload: CommentIn):
    """Roster members only (flowing ones included); 403 for others who can see the
    activity. 422 `forbidden_words` (with `words`) when the text contains a forbidden
    word; 422 `reply_depth` for a reply to a reply."""
    user = actor(request)
    activity = permissions.access_activity(user, activity_id)
    parent = None
    if payload.parent_id is not None:
        parent = permissions.access_comment(user, payload.parent_id)
    comment = services.post_comment(actor=user, activity=activity, body=payload.body, parent=parent)
    return Status(201, _comment_view(user, comment))


@router.post("/comments/{comment_id}/hide", response={200: CommentOut, **ERRORS})
def hide_comment(request, comment_id: int, payload: ReasonIn):
    """Admins of the scope: the comment is kept, shown as hidden to its author, audited."""
    user = actor(request)
    comment = permissions.access_comment(user, comment_id, Action.CHANGE)
    comment = services.hide_comment(actor=user, comment=comment, reason=payload.reason)
    return _comment_view(user, comment)


# Likes -----------------------------------------------------------------------------------


class LikeOut(Schema):
    liked: bool
    like_count: int


def _like_activity(request, activity_id: int, liked: bool) -> LikeOut:
    user = actor(request)
    activity = permissions.access_activity(user, activity_id)
    like = services.like_activity if liked else services.unlike_activity
    like(actor=user, activity=activity)
    return LikeOut(liked=liked, like_count=selectors.like_count(activity))


def _like_comment(request, comment_id: int, liked: bool) -> LikeOut:
    user = actor(request)
    comment = permissions.access_comment(user, comment_id)
    like = services.like_comment if liked else services.unlike_comment
    like(actor=user, comment=comment)
    return LikeOut(liked=liked, like_count=comment.likes.count())


@router.post("/activities/{activity_id}/like", response={200: LikeOut, **ERRORS})
def like_activity(request, activity_id: int):
    """One like per member; liking again changes nothing."""
    return _like_activity(request, activity_id, liked=True)


@router.delete("/activities/{activity_id}/like", response={200: LikeOut, **ERRORS})
def unlike_activity(request, activity_id: int):
    return _like_activity(request, activity_id, liked=False)


@router.post("/comments/{comment_id}/like", response={200: LikeOut, **ERRORS})
def like_comment(request, comment_id: int):
    return _like_comment(request, comment_id, liked=True)


@router.delete("/comments/{comment_id}/like", response={200: LikeOut, **ERRORS})
def unlike_comment(request, comment_id: int):
    return _like_comment(request, comment_id, liked=False)


# Superior rating -------------------------------------------------------------------------


class RatingIn(Schema):
    score: int = Field(description="0–100; 422 `score_out_of_range` outside")
    remark: str = Field("", max_length=services.REMARK_MAX_CHARS)


class RatingOut(Schema):
    id: int
    activity_id: int
    score: int
    remark: str
    rater: UserName
    rater_org_id: int
    rater_org: str = Field(alias="rater_org.name")
    is_current: bool
    created_at: datetime


class RatingResult(Schema):
    current: RatingOut
    history: list[RatingOut]


@router.post("/activities/{activity_id}/rating", response={201: RatingResult, **ERRORS})
def rate_activity(request, activity_id: int, payload: RatingIn):
    """An admin of an ancestor organization rates a held activity 0–100 (403 for the
    branch's own admins, 422 outside 0–100). A rating by the same or a higher level
    replaces the current one (409 `higher_rating_exists` for a lower level); all are kept
    in `history`, newest first."""
    user = actor(request)
    activity = permissions.access_activity(user, activity_id, Action.RATE)
    rating = services.rate_activity(
        actor=user, activity=activity, score=payload.score, remark=payload.remark
    )
    return Status(
        201,
        RatingResult(current=rating, history=selectors.rating_history(activity)),
    )

"""The activity record over the API: photos (with their evidence flags), the summary,
comments and replies, likes, hiding, superiors' ratings (SPEC.md §4)."""

from datetime import datetime

from django.urls import reverse
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate
from pydantic import Field

from dangjian import permissions
from dangjian.api.auth import actor
from dangjian.api.pagination import Mapped, Page
from dangjian.api.schemas import ErrorOut
from dangjian.core.errors import DomainError
from dangjian.interaction import selectors, services
from dangjian.interaction.models import Photo, Rating
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
    latitude: float | None = Field(description="EXIF position (WGS-84)")
    longitude: float | None
    distance_m: int | None = Field(description="EXIF position's distance from the venue")
    evidence: str = Field(description="verified, flagged or unverified")
    flags: list[str] = Field(
        description="time_outside_activity, far_from_venue, unverified, late_upload"
    )
    is_late: bool
    uploaded_by: str | None
    created_at: datetime

    @staticmethod
    def of(p: Photo) -> "PhotoOut":
        return PhotoOut(
            id=p.pk,
            activity_id=p.activity_id,
            url=reverse("portal:photo", args=[p.pk, "full"]),
            thumbnail_url=reverse("portal:photo", args=[p.pk, "thumb"]),
            width=p.width,
            height=p.height,
            size=p.size,
            source_type=p.source_type,
            taken_at=p.taken_at,
            latitude=float(p.gps_latitude) if p.gps_latitude is not None else None,
            longitude=float(p.gps_longitude) if p.gps_longitude is not None else None,
            distance_m=p.distance_m,
            evidence=p.evidence,
            flags=p.flags,
            is_late=p.is_late,
            uploaded_by=p.uploaded_by.name if p.uploaded_by else None,
            created_at=p.created_at,
        )


@router.post("/activities/{activity_id}/photos", response={201: PhotoOut, **ERRORS})
def upload_photo(request, activity_id: int, file: File[UploadedFile]):
    """Multipart `file`: JPEG, PNG, WebP or HEIC, recognised from its content. 422
    `unsupported_file` for anything else, 422 `file_too_large` past the size limit;
    409 `not_started` / `record_closed` outside the record window (from the start to the
    close plus the grace period; photos after the close are marked late)."""
    user = actor(request)
    activity = permissions.access_activity(user, activity_id, Action.CHANGE)
    try:
        photo = services.upload_photo(actor=user, activity=activity, file=file, name=file.name)
    except DomainError as exc:
        if exc.code in ("file_too_large", "unsupported_file"):
            return Status(422, exc.as_dict())
        raise
    return Status(201, PhotoOut.of(photo))


@router.get("/activities/{activity_id}/photos", response={200: list[PhotoOut], **ERRORS})
def list_photos(request, activity_id: int):
    """The activity's photos, oldest first, with their evidence flags."""
    activity = permissions.access_activity(actor(request), activity_id)
    return [PhotoOut.of(p) for p in selectors.photos_of(activity)]


# Summary ---------------------------------------------------------------------------------


class SummaryIn(Schema):
    text: str = Field(max_length=services.SUMMARY_MAX_CHARS)


class SummaryOut(Schema):
    activity_id: int
    text: str
    chars: int
    is_late: bool
    updated_by: str | None
    updated_at: datetime


@router.put("/activities/{activity_id}/summary", response={200: SummaryOut, **ERRORS})
def write_summary(request, activity_id: int, payload: SummaryIn):
    """Write or rewrite the summary; the same window as photos."""
    user = actor(request)
    activity = permissions.access_activity(user, activity_id, Action.CHANGE)
    s = services.write_summary(actor=user, activity=activity, text=payload.text)
    return SummaryOut(
        activity_id=activity.pk,
        text=s.text,
        chars=len(s.text),
        is_late=s.is_late,
        updated_by=s.updated_by.name if s.updated_by else None,
        updated_at=s.updated_at,
    )


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
    def of(v: selectors.CommentView) -> "CommentOut":
        return CommentOut(
            id=v.id,
            parent_id=v.parent_id,
            author={
                "member_id": v.author_id,
                "name": v.author_name,
                "is_flowing": v.author_is_flowing,
            },
            body=v.body,
            is_reflection=v.is_reflection,
            is_hidden=v.is_hidden,
            hidden_reason=v.hidden_reason,
            created_at=v.created_at,
            like_count=v.like_count,
            liked=v.liked,
            replies=[CommentOut.of(r) for r in v.replies],
        )


class ReasonIn(Schema):
    reason: str = Field(min_length=1, max_length=300)


def _comment_out(user, comment) -> CommentOut:
    view = selectors.comment_views(user, comment.activity, [comment])[0]
    return CommentOut.of(view)


@router.get("/activities/{activity_id}/comments", response={200: list[CommentOut], **ERRORS})
@paginate(Page)
def list_comments(request, activity_id: int):
    """Top-level comments newest first, each with its replies oldest first. Hidden
    comments appear only to their author and the admins of the scope."""
    user = actor(request)
    activity = permissions.access_activity(user, activity_id)
    return Mapped(
        selectors.top_level_comments(user, activity),
        None,
        per_page=lambda rows: [
            CommentOut.of(v) for v in selectors.comment_views(user, activity, rows)
        ],
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
    return Status(201, _comment_out(user, comment))


@router.post("/comments/{comment_id}/hide", response={200: CommentOut, **ERRORS})
def hide_comment(request, comment_id: int, payload: ReasonIn):
    """Admins of the scope: the comment is kept, shown as hidden to its author, audited."""
    user = actor(request)
    comment = permissions.access_comment(user, comment_id, Action.CHANGE)
    comment = services.hide_comment(actor=user, comment=comment, reason=payload.reason)
    return _comment_out(user, comment)


# Likes -----------------------------------------------------------------------------------


class LikeOut(Schema):
    liked: bool
    like_count: int


@router.post("/activities/{activity_id}/like", response={200: LikeOut, **ERRORS})
def like_activity(request, activity_id: int):
    """One like per member; liking again changes nothing."""
    user = actor(request)
    activity = permissions.access_activity(user, activity_id)
    services.like_activity(actor=user, activity=activity)
    return LikeOut(liked=True, like_count=selectors.like_count(activity))


@router.delete("/activities/{activity_id}/like", response={200: LikeOut, **ERRORS})
def unlike_activity(request, activity_id: int):
    user = actor(request)
    activity = permissions.access_activity(user, activity_id)
    services.unlike_activity(actor=user, activity=activity)
    return LikeOut(liked=False, like_count=selectors.like_count(activity))


def _comment_likes(comment) -> int:
    return comment.likes.count()


@router.post("/comments/{comment_id}/like", response={200: LikeOut, **ERRORS})
def like_comment(request, comment_id: int):
    user = actor(request)
    comment = permissions.access_comment(user, comment_id)
    services.like_comment(actor=user, comment=comment)
    return LikeOut(liked=True, like_count=_comment_likes(comment))


@router.delete("/comments/{comment_id}/like", response={200: LikeOut, **ERRORS})
def unlike_comment(request, comment_id: int):
    user = actor(request)
    comment = permissions.access_comment(user, comment_id)
    services.unlike_comment(actor=user, comment=comment)
    return LikeOut(liked=False, like_count=_comment_likes(comment))


# Superior rating -------------------------------------------------------------------------


class RatingIn(Schema):
    score: int = Field(description="0–100; 422 `score_out_of_range` outside")
    remark: str = Field("", max_length=services.REMARK_MAX_CHARS)


class RatingOut(Schema):
    id: int
    activity_id: int
    score: int
    remark: str
    rater: str | None
    rater_org_id: int
    rater_org: str
    is_current: bool
    created_at: datetime

    @staticmethod
    def of(r: Rating) -> "RatingOut":
        return RatingOut(
            id=r.pk,
            activity_id=r.activity_id,
            score=r.score,
            remark=r.remark,
            rater=r.rater.name if r.rater else None,
            rater_org_id=r.rater_org_id,
            rater_org=r.rater_org.name,
            is_current=r.is_current,
            created_at=r.created_at,
        )


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
        RatingResult(
            current=RatingOut.of(rating),
            history=[RatingOut.of(r) for r in selectors.rating_history(activity)],
        ),
    )

"""Writes for the activity record: photos, the summary, comments and reflections, likes,
hiding, superiors' ratings. Keyword-only, permission-checked, transactional; every admin
action (upload, summary, hide, rate) is audited in the same transaction.

For attendance: the reflection written at check-out is stored with
`post_comment(actor=member_user, activity=..., body=..., is_reflection=True)`, inside the
check-out's transaction, so that a refused reflection (forbidden words) refuses the
check-out too."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.apps import apps
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from dangjian import permissions
from dangjian.audit import services as audit
from dangjian.core import clock
from dangjian.core.errors import DomainError
from dangjian.core.locking import locked
from dangjian.core.text import checked_text
from dangjian.interaction import evidence, images
from dangjian.interaction.models import (
    ActivityLike,
    Comment,
    CommentLike,
    Evidence,
    Photo,
    Rating,
    Summary,
)
from dangjian.permissions import Action
from dangjian.registry.models import Member, User
from dangjian.supervision import reviewing
from dangjian.themedays.models import Activity, ActivityStatus

COMMENT_MAX_CHARS = 1000
SUMMARY_MAX_CHARS = 5000
REMARK_MAX_CHARS = 500


def _score_inputs_changed(activity_id: int, *, debounce: bool = False) -> None:
    """Photos, the summary, comments, likes and ratings are inputs of the activity's score
    (docs/product.md, "Scoring"): tell scoring, which recomputes after the commit."""
    if apps.is_installed("dangjian.scoring"):
        from dangjian.scoring import services as scoring

        scoring.inputs_changed(activity_id=activity_id, debounce=debounce)


# The record window ---------------------------------------------------------------------


def closes_at(activity: Activity) -> datetime:
    """When the activity is over: the end of its check-out window, when it closes by
    itself (earlier if it was closed earlier)."""
    end = activity.checkout_closes_at
    if activity.closed_at is not None and activity.closed_at < end:
        return activity.closed_at
    return end


def record_deadline(activity: Activity) -> datetime:
    """The last moment photos and the summary may be added: the close plus the grace
    period. A late record (补录) is approved after the fact, so its grace runs from the
    approval."""
    grace = timedelta(hours=settings.PHOTO_POLICY["late_grace_hours"])
    start = closes_at(activity)
    if activity.is_late_record and activity.reviewed_at and activity.reviewed_at > start:
        start = activity.reviewed_at
    return start + grace


def _check_record_open(activity: Activity, now: datetime) -> bool:
    """Raise unless photos and the summary may be added now; return whether it is late.
    After the grace period, only a record sent back to the branch is open (record review)."""
    if activity.status not in (ActivityStatus.APPROVED, ActivityStatus.CLOSED):
        raise DomainError("invalid_status", _("只有已通过审核的活动可以上传照片和总结"))
    if now < activity.starts_at:
        raise DomainError("not_started", _("活动尚未开始，开始后才能上传照片和总结"))
    if now > record_deadline(activity) and not reviewing.supplement_open(
        reviewing.review_status(activity.pk)
    ):
        raise DomainError(
            "record_closed",
            _("活动已结束超过 %d 小时，不能再上传照片或修改总结")
            % settings.PHOTO_POLICY["late_grace_hours"],
        )
    return now > closes_at(activity)


def _check_interactive(activity: Activity) -> None:
    if activity.status not in (ActivityStatus.APPROVED, ActivityStatus.CLOSED):
        raise DomainError("invalid_status", _("该活动尚未通过审核或已取消，不能评论或点赞"))


# Photos and summary ----------------------------------------------------------------------


def _check_photo_cap(activity: Activity, policy: dict) -> None:
    if Photo.objects.filter(activity=activity).count() >= policy["max_per_activity"]:
        raise DomainError(
            "too_many_photos", _("每个活动最多上传 %d 张照片") % policy["max_per_activity"]
        )


def upload_photo(*, actor: User, activity: Activity, file, name: str = "") -> Photo:
    """Add a photo to a held activity: sniffed (JPEG/PNG/WebP/HEIC), size-limited,
    re-encoded with the orientation applied, thumbnailed, and checked against the
    activity's time and venue. After the close it is accepted for the grace period and
    marked late.

    The image work (the slow part of an upload) runs before the transaction that
    writes the row and its audit entry, so no transaction stays open meanwhile."""
    # The branch's admins, and the members who attended (`Action.CONTRIBUTE`).
    permissions.require(actor, Action.CONTRIBUTE, activity)
    policy = settings.PHOTO_POLICY
    now = clock.now()
    is_late = _check_record_open(activity, now)
    # Counted here to spare the image work, and again under the activity's lock below.
    _check_photo_cap(activity, policy)
    stored = images.store_upload(file, folder="photos", policy=policy)
    processed = stored.processed
    try:
        check = evidence.assess(
            activity,
            taken_at=processed.taken_at,
            latitude=processed.latitude,
            longitude=processed.longitude,
            tolerance=timedelta(minutes=policy["time_tolerance_min"]),
        )
        with transaction.atomic():
            # Uploads to one activity queue here, so the count they check is the one they
            # add to. NO KEY UPDATE: check-ins inserting attendance rows (which share-lock
            # the activity for their foreign key) are not held up by it.
            Activity.objects.select_for_update(no_key=True).filter(pk=activity.pk).values_list(
                "pk", flat=True
            ).get()
            _check_photo_cap(activity, policy)
            photo = Photo.objects.create(
                activity=activity,
                uploaded_by=actor,
                image=stored.image,
                thumbnail=stored.thumbnail,
                width=processed.width,
                height=processed.height,
                size=len(processed.image),
                source_type=processed.source_type,
                original_name=(name or getattr(file, "name", "") or "")[:200],
                original_size=stored.original_size,
                taken_at=processed.taken_at,
                gps_latitude=processed.latitude,
                gps_longitude=processed.longitude,
                distance_m=check.distance_m,
                evidence=check.evidence,
                is_time_mismatch=check.is_time_mismatch,
                is_location_mismatch=check.is_location_mismatch,
                is_late=is_late,
                created_at=now,
            )
            audit.record(
                actor=actor,
                action="photo.upload",
                obj=photo,
                org=activity.branch,
                label=f"{activity.title} #{photo.pk}",
                after={
                    "activity_id": activity.pk,
                    "evidence": photo.evidence,
                    "flags": photo.flags,
                    "source_type": photo.source_type,
                },
            )
            _score_inputs_changed(activity.pk)
    except Exception:
        # The row was not written: do not leave its files behind.
        stored.discard()
        raise
    return photo


@transaction.atomic
@dataclass
class PhotoUploads:
    """What several photos sent at once came to: each is checked on its own."""

    added: int = 0
    flagged: int = 0
    refused: list[tuple[str, str]] = field(default_factory=list)  # (file name, reason)

    def summary(self) -> str:
        text = _("已上传 %d 张照片。") % self.added
        if self.flagged:
            text += _("其中 %d 张的拍摄时间或地点与活动不符，已标记供上级核查。") % self.flagged
        return text


def upload_photos(*, actor: User, activity: Activity, files) -> PhotoUploads:
    """Several photos at once (the pages' multi-file upload): each goes through
    `upload_photo` on its own, so one refused file keeps none of the others out. Being
    out of scope refuses the whole request, as for one photo."""
    outcome = PhotoUploads()
    for file in files:
        try:
            photo = upload_photo(actor=actor, activity=activity, file=file, name=file.name)
        except DomainError as exc:
            if exc.code in ("not_found", "forbidden"):
                raise
            outcome.refused.append((file.name, exc.message))
        else:
            outcome.added += 1
            outcome.flagged += photo.evidence == Evidence.FLAGGED
    return outcome


def remove_photo(*, actor: User, photo: Photo) -> None:
    """Take a photo off the activity's record: the admins over the branch any photo, at any
    time; a member their own, while the record takes photos. The files go once the
    deletion is committed."""
    permissions.require(actor, Action.CHANGE, photo)
    photo = locked(photo, "activity__branch")
    activity = photo.activity
    if not permissions.is_admin_over(actor, activity.branch):
        _check_record_open(activity, clock.now())
    files = [photo.image.name, photo.thumbnail.name]
    audit.record(
        actor=actor,
        action="photo.remove",
        obj=photo,
        org=activity.branch,
        label=f"{activity.title} #{photo.pk}",
        before={
            "activity_id": activity.pk,
            "uploaded_by": photo.uploaded_by_id,
            "evidence": photo.evidence,
            "flags": photo.flags,
            "created_at": photo.created_at.isoformat(),
        },
    )
    photo.delete()
    _score_inputs_changed(activity.pk)
    transaction.on_commit(lambda: [default_storage.delete(name) for name in files if name])


@transaction.atomic
def write_summary(*, actor: User, activity: Activity, text: str) -> Summary:
    """Write or rewrite the activity's summary (same window as photos)."""
    permissions.require(actor, Action.CHANGE, activity)
    text = checked_text(
        text,
        field="text",
        missing=_("请填写活动总结"),
        limit=SUMMARY_MAX_CHARS,
        too_long=_("活动总结不能超过 %d 个字") % SUMMARY_MAX_CHARS,
    )
    now = clock.now()
    is_late = _check_record_open(activity, now)
    written = {"text": text, "updated_by": actor, "updated_at": now}
    summary = Summary.objects.select_for_update().filter(activity=activity).first()
    before = {"text": summary.text} if summary else None
    if summary is None:
        try:
            with transaction.atomic():
                summary = Summary.objects.create(
                    activity=activity, is_late=is_late, created_at=now, **written
                )
        except IntegrityError:
            # Two admins wrote the first version at the same moment: the later one wins.
            summary = Summary.objects.select_for_update().get(activity=activity)
            before = {"text": summary.text}
    if before is not None:
        for name, value in written.items():
            setattr(summary, name, value)
        summary.is_late = summary.is_late or is_late
        summary.save(update_fields=[*written, "is_late"])
    audit.record(
        actor=actor,
        action="summary.write",
        obj=activity,
        org=activity.branch,
        before=before,
        after={"text": text, "is_late": summary.is_late},
    )
    _score_inputs_changed(activity.pk)
    return summary


# Comments --------------------------------------------------------------------------------


def forbidden_words_in(text: str) -> list[str]:
    """The configured forbidden words that occur in the text, ignoring case and the
    spaces or punctuation people put between characters to get past a filter."""
    squeezed = "".join(ch for ch in text.casefold() if ch.isalnum())
    found = []
    for word in settings.COMMENT_FORBIDDEN_WORDS:
        needle = "".join(ch for ch in word.casefold() if ch.isalnum())
        if needle and needle in squeezed and word not in found:
            found.append(word)
    return found


def _check_body(body: str) -> str:
    body = checked_text(
        body,
        field="body",
        missing=_("评论内容不能为空"),
        limit=COMMENT_MAX_CHARS,
        too_long=_("评论不能超过 %d 个字") % COMMENT_MAX_CHARS,
    )
    words = forbidden_words_in(body)
    if words:
        raise DomainError(
            "forbidden_words",
            _("内容包含不允许使用的词语：%s。请修改后再发表。") % "、".join(words),
            field="body",
            words=words,
        )
    return body


def _member(actor: User) -> Member:
    member = permissions.own_member(actor)
    if member is None:  # permissions.require let them through: they are on the roster
        raise permissions.forbidden()
    return member


@transaction.atomic
def post_comment(
    *,
    actor: User,
    activity: Activity,
    body: str,
    parent: Comment | None = None,
    is_reflection: bool = False,
) -> Comment:
    """A roster member (flowing ones included) comments on the activity, or replies to a
    top-level comment (one level of replies). Refused with `forbidden_words` when the text
    contains a configured forbidden word.

    `is_reflection=True` is the reflection written at check-out: one per member and
    activity. Calling it again returns the existing reflection unchanged, so a repeated
    check-out stays idempotent."""
    permissions.require(actor, Action.TAKE_PART, activity)
    _check_interactive(activity)
    member = _member(actor)
    if parent is not None:
        if is_reflection:
            raise DomainError("validation_error", _("心得体会不能作为回复发表"), field="parent_id")
        if parent.activity_id != activity.pk:
            raise permissions.not_found()
        if parent.parent_id is not None:
            raise DomainError("reply_depth", _("只能回复评论，不能回复回复"), field="parent_id")
        if parent.is_hidden:
            raise DomainError("comment_hidden", _("该评论已被隐藏，不能回复"), field="parent_id")
    if is_reflection:
        existing = Comment.objects.filter(
            activity=activity, author=member, is_reflection=True
        ).first()
        if existing is not None:
            return existing
    body = _check_body(body)
    try:
        with transaction.atomic():
            comment = Comment.objects.create(
                activity=activity,
                author=member,
                parent=parent,
                body=body,
                is_reflection=is_reflection,
                created_at=clock.now(),
            )
        # Reflections come with check-outs, in bursts: like check-ins, debounced.
        _score_inputs_changed(activity.pk, debounce=is_reflection)
        return comment
    except IntegrityError:
        if not is_reflection:
            raise
        # The same check-out twice at the same instant: one reflection is kept.
        return Comment.objects.get(activity=activity, author=member, is_reflection=True)


@transaction.atomic
def hide_comment(*, actor: User, comment: Comment, reason: str) -> Comment:
    """An admin of the scope hides a comment: it is kept, shown as hidden to its author,
    and the hiding is audited with the reason."""
    permissions.require(actor, Action.CHANGE, comment)
    reason = checked_text(
        reason, field="reason", missing=_("隐藏评论须说明原因"), missing_code="reason_required"
    )
    comment = (
        Comment.objects.select_for_update().select_related("activity__branch").get(pk=comment.pk)
    )
    if comment.is_hidden:
        raise DomainError("already_hidden", _("该评论已被隐藏"))
    comment.is_hidden = True
    comment.hidden_reason = reason[:300]
    comment.hidden_by = actor
    comment.hidden_at = clock.now()
    comment.save(update_fields=["is_hidden", "hidden_reason", "hidden_by", "hidden_at"])
    audit.record(
        actor=actor,
        action="comment.hide",
        obj=comment,
        org=comment.activity.branch,
        label=f"{comment.activity.title}：{comment.body[:60]}",
        before={"is_hidden": False},
        after={"is_hidden": True, "reason": comment.hidden_reason, "author_id": comment.author_id},
    )
    _score_inputs_changed(comment.activity_id)
    return comment


# Likes -----------------------------------------------------------------------------------


@transaction.atomic
def like_activity(*, actor: User, activity: Activity) -> bool:
    """One like per member: liking again changes nothing. True when a like was added."""
    permissions.require(actor, Action.TAKE_PART, activity)
    _check_interactive(activity)
    _, created = ActivityLike.objects.get_or_create(
        activity=activity, member=_member(actor), defaults={"created_at": clock.now()}
    )
    if created:
        _score_inputs_changed(activity.pk)
    return created


@transaction.atomic
def unlike_activity(*, actor: User, activity: Activity) -> bool:
    permissions.require(actor, Action.TAKE_PART, activity)
    deleted, _ = ActivityLike.objects.filter(activity=activity, member=_member(actor)).delete()
    if deleted:
        _score_inputs_changed(activity.pk)
    return bool(deleted)


@transaction.atomic
def like_comment(*, actor: User, comment: Comment) -> bool:
    permissions.require(actor, Action.TAKE_PART, comment)
    _check_interactive(comment.activity)
    _, created = CommentLike.objects.get_or_create(
        comment=comment, member=_member(actor), defaults={"created_at": clock.now()}
    )
    return created


@transaction.atomic
def unlike_comment(*, actor: User, comment: Comment) -> bool:
    permissions.require(actor, Action.TAKE_PART, comment)
    deleted, _ = CommentLike.objects.filter(comment=comment, member=_member(actor)).delete()
    return bool(deleted)


# Superior rating -------------------------------------------------------------------------


@transaction.atomic
def rate_activity(*, actor: User, activity: Activity, score: int, remark: str = "") -> Rating:
    """An admin of an ancestor organization rates a held activity 0–100. A rating by the
    same or a higher level replaces the current one; a lower level cannot replace a
    higher one. Every rating is kept."""
    permissions.require(actor, Action.RATE, activity)
    if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 100:
        raise DomainError("score_out_of_range", _("评分应为 0 到 100 之间的整数"), field="score")
    remark = checked_text(
        remark,
        field="remark",
        limit=REMARK_MAX_CHARS,
        too_long=_("评语不能超过 %d 个字") % REMARK_MAX_CHARS,
    )
    activity = locked(activity, "branch")
    held = activity.status == ActivityStatus.CLOSED or (
        activity.status == ActivityStatus.APPROVED and activity.starts_at <= clock.now()
    )
    if not held:
        raise DomainError("not_held", _("活动开展后才能评分"))
    if not reviewing.rating_allowed(reviewing.review_status(activity.pk)):
        raise DomainError("record_sent_back", _("活动记录已退回补充，待支部补充提交后再评分"))
    org = permissions.superior_org(actor, activity.branch)
    current = Rating.objects.filter(activity=activity, is_current=True).first()
    if current is not None and current.rater_depth < org.depth:
        raise DomainError(
            "higher_rating_exists",
            _("%s 已对该活动评分，下级组织不能覆盖上级的评分") % current.rater_org.name,
        )
    if current is not None:
        current.is_current = False
        current.save(update_fields=["is_current"])
    rating = Rating.objects.create(
        activity=activity,
        rater=actor,
        rater_org=org,
        rater_depth=org.depth,
        score=score,
        remark=remark,
        is_current=True,
        created_at=clock.now(),
    )
    audit.record(
        actor=actor,
        action="activity.rate",
        obj=activity,
        org=activity.branch,
        before={"score": current.score, "rater_org_id": current.rater_org_id} if current else None,
        after={"score": score, "remark": remark, "rater_org_id": org.pk},
    )
    _score_inputs_changed(activity.pk)
    return rating

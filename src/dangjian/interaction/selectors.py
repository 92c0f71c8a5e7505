"""Reads for the activity record, shared by the pages, the API and (later) scoring. Every
list starts from an activity the caller already fetched through `permissions`."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce

from dangjian import permissions
from dangjian.core.subqueries import count_per
from dangjian.interaction.models import ActivityLike, Comment, CommentLike, Photo, Rating, Summary
from dangjian.themedays.models import Activity, ActivityStatus

# Statuses in which an activity is shown in the feed and takes comments and likes.
INTERACTIVE_STATUSES = (ActivityStatus.APPROVED, ActivityStatus.CLOSED)


def photos_of(activity: Activity) -> QuerySet[Photo]:
    return Photo.objects.filter(activity=activity).select_related("uploaded_by")


def summary_of(activity: Activity) -> Summary | None:
    return Summary.objects.filter(activity=activity).select_related("updated_by").first()


def with_counts(qs):
    """Annotate `n_likes` and `n_comments` (what like_count and comment_count count) on a
    queryset of activities: a page of them in one query."""

    def count_of(model, **filters):
        return count_per(model.objects.filter(activity_id=OuterRef("pk"), **filters), "activity_id")

    return qs.annotate(
        n_likes=count_of(ActivityLike), n_comments=count_of(Comment, is_hidden=False)
    )


def like_count(activity: Activity) -> int:
    if hasattr(activity, "n_likes"):
        return activity.n_likes
    return ActivityLike.objects.filter(activity=activity).count()


def comment_count(activity: Activity) -> int:
    """Visible comments and replies (hidden ones are not counted)."""
    if hasattr(activity, "n_comments"):
        return activity.n_comments
    return Comment.objects.filter(activity=activity, is_hidden=False).count()


def has_liked(user, activity: Activity) -> bool:
    member = permissions.own_member(user)
    return (
        member is not None
        and ActivityLike.objects.filter(activity=activity, member_id=member.pk).exists()
    )


def current_rating(activity: Activity) -> Rating | None:
    return (
        Rating.objects.filter(activity=activity, is_current=True)
        .select_related("rater", "rater_org")
        .first()
    )


def rating_history(activity: Activity) -> list[Rating]:
    return list(
        Rating.objects.filter(activity=activity)
        .select_related("rater", "rater_org")
        .order_by("-created_at", "-id")
    )


@dataclass
class CommentView:
    """A comment as one viewer sees it: a hidden comment keeps its body only for the
    admins of the scope and its author."""

    id: int
    parent_id: int | None
    author_id: int
    author_name: str
    author_is_flowing: bool
    body: str
    is_reflection: bool
    is_hidden: bool
    hidden_reason: str
    created_at: datetime
    like_count: int
    liked: bool
    is_mine: bool
    can_like: bool
    replies: list["CommentView"] = field(default_factory=list)


def visible_comments_q(user, activity: Activity) -> Q:
    """Which comments of the activity the user sees: all for its admins, otherwise the
    visible ones and their own hidden ones."""
    if permissions.is_admin_over(user, activity.branch):
        return Q()
    member = permissions.own_member(user)
    q = Q(is_hidden=False)
    if member is not None:
        q |= Q(author_id=member.pk)
    return q


def top_level_comments(user, activity: Activity) -> QuerySet[Comment]:
    """The top-level comments the user sees, newest first (the API and pages paginate it;
    `comment_views` turns a page into CommentViews with their replies)."""
    return (
        Comment.objects.filter(activity=activity, parent__isnull=True)
        .filter(visible_comments_q(user, activity))
        .select_related("author")
        .order_by("-created_at", "-id")
    )


def comment_views(user, activity: Activity, comments: list[Comment]) -> list[CommentView]:
    """A page of top-level comments with their visible replies (oldest first), like counts
    and the viewer's own likes: four queries whatever the page size."""
    member = permissions.own_member(user)
    member_id = member.pk if member else None
    may_take_part = permissions.can(user, permissions.Action.TAKE_PART, activity)
    ids = [c.pk for c in comments]
    replies = list(
        Comment.objects.filter(parent_id__in=ids)
        .filter(visible_comments_q(user, activity))
        .select_related("author")
        .order_by("created_at", "id")
    )
    everything = [*comments, *replies]
    all_ids = [c.pk for c in everything]
    counts = dict(
        CommentLike.objects.filter(comment_id__in=all_ids)
        .values("comment_id")
        .annotate(n=Count("id"))
        .values_list("comment_id", "n")
    )
    mine = (
        set(
            CommentLike.objects.filter(comment_id__in=all_ids, member_id=member_id).values_list(
                "comment_id", flat=True
            )
        )
        if member_id
        else set()
    )

    def view(c: Comment) -> CommentView:
        return CommentView(
            id=c.pk,
            parent_id=c.parent_id,
            author_id=c.author_id,
            author_name=c.author.name,
            author_is_flowing=c.author.is_flowing,
            body=c.body,
            is_reflection=c.is_reflection,
            is_hidden=c.is_hidden,
            hidden_reason=c.hidden_reason,
            created_at=c.created_at,
            like_count=counts.get(c.pk, 0),
            liked=c.pk in mine,
            is_mine=c.author_id == member_id,
            can_like=may_take_part and not c.is_hidden,
        )

    by_parent: dict[int, list[CommentView]] = {}
    for r in replies:
        by_parent.setdefault(r.parent_id, []).append(view(r))
    out = []
    for c in comments:
        v = view(c)
        v.replies = by_parent.get(c.pk, [])
        out.append(v)
    return out


def _count(qs: QuerySet):
    """A correlated COUNT(*) per activity: separate subqueries rather than joins, which
    would multiply likes by comments by photos."""
    counted = (
        qs.filter(activity=OuterRef("pk"))
        .order_by()
        .values("activity")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def feed_activities(user) -> QuerySet[Activity]:
    """The member's branch's activities that are on (approved) or over (closed), newest
    first, annotated with their counts and whether the user liked each."""
    member = permissions.own_member(user)
    if member is None:
        return Activity.objects.none()
    return (
        permissions.scoped_activities(user)
        .filter(branch_id=member.branch_id, status__in=INTERACTIVE_STATUSES)
        .select_related("branch", "summary")
        .annotate(
            n_likes=_count(ActivityLike.objects.all()),
            n_comments=_count(Comment.objects.filter(is_hidden=False)),
            n_photos=_count(Photo.objects.all()),
            liked=Exists(ActivityLike.objects.filter(activity=OuterRef("pk"), member=member)),
        )
        .order_by("-starts_at", "-id")
    )


def record_activities(user) -> QuerySet[Activity]:
    """Activities in the admin's scope that have a record to look at (approved or closed),
    newest first, with their counts."""
    return (
        Activity.objects.filter(permissions.admin_scope_q(user, "branch__path"))
        .filter(status__in=INTERACTIVE_STATUSES)
        .select_related("branch")
        .annotate(
            n_photos=_count(Photo.objects.all()),
            n_flagged=_count(Photo.objects.filter(evidence="flagged")),
            n_likes=_count(ActivityLike.objects.all()),
            n_comments=_count(Comment.objects.filter(is_hidden=False)),
        )
        .order_by("-starts_at", "-id")
    )


def prefetch_photos(activities: list[Activity], per_activity: int | None = None) -> None:
    """Attach `feed_photos` to each activity of a page in one query."""
    from django.db.models import prefetch_related_objects

    prefetch_related_objects(
        activities,
        Prefetch(
            "photos", queryset=Photo.objects.order_by("created_at", "id"), to_attr="feed_photos"
        ),
    )
    if per_activity is not None:
        for a in activities:
            a.feed_photos = a.feed_photos[:per_activity]


# For scoring (docs/product.md, "Scoring") ---------------------------------------------------------


def liked_member_ids(activity: Activity) -> set[int]:
    return set(ActivityLike.objects.filter(activity=activity).values_list("member_id", flat=True))


def commenter_member_ids(activity: Activity) -> set[int]:
    """Members with at least one comment (reflections included, hidden ones not)."""
    return set(
        Comment.objects.filter(activity=activity, is_hidden=False).values_list(
            "author_id", flat=True
        )
    )


def upload_facts(activity: Activity) -> dict:
    summary = Summary.objects.filter(activity=activity).values_list("text", flat=True).first()
    return {
        "photos": Photo.objects.filter(activity=activity).count(),
        "summary_chars": len((summary or "").strip()),
    }

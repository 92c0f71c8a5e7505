"""What turns a held activity into evidence and lets members take part (docs/product.md, "The
activity record"): photos with their evidence check, the branch's written summary, comments and
reflections with one level of replies, likes on activities and comments, and superiors' ratings."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dangjian.registry.models import Member, Organization
from dangjian.themedays.models import Activity


class Evidence(models.TextChoices):
    # EXIF time and/or position present and consistent with the activity.
    VERIFIED = "verified", _("已核验")
    # EXIF time or position present and inconsistent: superiors should look.
    FLAGGED = "flagged", _("存疑")
    # No usable EXIF time or position (screenshots, messaging apps strip it): not refused.
    UNVERIFIED = "unverified", _("未核验")


class Photo(models.Model):
    """A photo of the activity, re-encoded as JPEG with its orientation applied and its
    metadata stripped; what the EXIF said is kept in the columns below."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="photos")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # Files live in the default storage under random names and are only ever served through
    # the scope-checking photo view, never by their storage URL.
    image = models.FileField(max_length=200)
    thumbnail = models.FileField(max_length=200)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField(help_text="Bytes of the stored image")
    source_type = models.CharField(max_length=16, help_text="jpeg, png, webp or heic, sniffed")
    original_name = models.CharField(max_length=200, blank=True)
    original_size = models.PositiveIntegerField()
    taken_at = models.DateTimeField(null=True, blank=True, help_text="EXIF capture time")
    gps_latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    gps_longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    distance_m = models.PositiveIntegerField(
        null=True, blank=True, help_text="From the venue, when the EXIF has a position"
    )
    evidence = models.CharField(max_length=16, choices=Evidence.choices)
    is_time_mismatch = models.BooleanField(default=False)
    is_location_mismatch = models.BooleanField(default=False)
    # Uploaded after the activity closed, within the grace period.
    is_late = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["activity", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(evidence__in=Evidence.values), name="photo_evidence_valid"
            ),
            # Flagged exactly when one of the checks failed.
            models.CheckConstraint(
                condition=Q(evidence="flagged", is_time_mismatch=True)
                | Q(evidence="flagged", is_location_mismatch=True)
                | (~Q(evidence="flagged") & Q(is_time_mismatch=False, is_location_mismatch=False)),
                name="photo_flagged_iff_mismatch",
            ),
            models.CheckConstraint(
                condition=Q(gps_latitude__isnull=True, gps_longitude__isnull=True)
                | Q(
                    gps_latitude__gte=-90,
                    gps_latitude__lte=90,
                    gps_longitude__gte=-180,
                    gps_longitude__lte=180,
                ),
                name="photo_gps_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.activity_id}/{self.pk}"

    @property
    def flags(self) -> list[str]:
        out = []
        if self.is_time_mismatch:
            out.append("time_outside_activity")
        if self.is_location_mismatch:
            out.append("far_from_venue")
        if self.evidence == Evidence.UNVERIFIED:
            out.append("unverified")
        if self.is_late:
            out.append("late_upload")
        return out


class Summary(models.Model):
    """The branch's written account of the activity; one per activity, rewritten in place
    (every version is in the audit log)."""

    activity = models.OneToOneField(Activity, on_delete=models.CASCADE, related_name="summary")
    text = models.TextField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    is_late = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.activity_id}"


class Comment(models.Model):
    """A roster member's comment on an activity, or a reply to one (one level only). The
    reflection written at check-out is the author's comment with `is_reflection`. A hidden
    comment is kept, with who hid it and why."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    body = models.TextField()
    is_reflection = models.BooleanField(default=False)
    is_hidden = models.BooleanField(default=False)
    hidden_reason = models.CharField(max_length=300, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    hidden_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["activity", "parent", "created_at"]),
            models.Index(fields=["author", "activity"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_hidden=False, hidden_at__isnull=True)
                | (Q(is_hidden=True, hidden_at__isnull=False) & ~Q(hidden_reason="")),
                name="comment_hidden_with_reason",
            ),
            # A reflection is a top-level comment, one per member and activity.
            models.CheckConstraint(
                condition=Q(is_reflection=False) | Q(parent__isnull=True),
                name="comment_reflection_top_level",
            ),
            models.UniqueConstraint(
                fields=["activity", "author"],
                condition=Q(is_reflection=True),
                name="comment_one_reflection_per_member",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.activity_id}/{self.pk}"


class ActivityLike(models.Model):
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="likes")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["activity", "member"], name="activitylike_once")
        ]

    def __str__(self) -> str:
        return f"{self.member_id} ♥ {self.activity_id}"


class CommentLike(models.Model):
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="likes")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["comment", "member"], name="commentlike_once")
        ]

    def __str__(self) -> str:
        return f"{self.member_id} ♥ c{self.comment_id}"


class Rating(models.Model):
    """A superior's rating of a held activity. Every rating is kept; `is_current` marks the
    one that counts: the latest from the highest level that rated (a higher level replaces
    a lower one, never the other way round)."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="ratings")
    rater = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # The (highest) ancestor organization whose admin role the rater used, and its depth in
    # the tree: a smaller depth is a higher level.
    rater_org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    rater_depth = models.PositiveSmallIntegerField()
    score = models.PositiveSmallIntegerField()
    remark = models.CharField(max_length=500, blank=True)
    is_current = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=0, score__lte=100), name="rating_score_0_100"
            ),
            models.UniqueConstraint(
                fields=["activity"], condition=Q(is_current=True), name="rating_one_current"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.activity_id}: {self.score}"

"""Record review (记录审查, docs/product.md, "Supervision"): a superior reads a closed
activity's record and passes it (合格) or sends it back (退回补充) with a reason and a
deadline; the branch supplements it and resubmits, and the superior reviews it again.
One review per activity holds where it stands; its events keep every step."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dangjian.core.models import Step
from dangjian.registry.models import Organization
from dangjian.themedays.models import Activity


class ReviewStatus(models.TextChoices):
    # Waiting for the branch: supplement and resubmit by the deadline.
    SENT_BACK = "sent_back", _("退回补充")
    # Waiting for the superior again.
    RESUBMITTED = "resubmitted", _("已补充待复审")
    PASSED = "passed", _("合格")


class ReviewAction(models.TextChoices):
    SEND_BACK = "send_back", _("退回补充")
    RESUBMIT = "resubmit", _("补充后重新提交")
    PASS = "pass", _("审查合格")


class RecordReview(models.Model):
    """Where the review of one activity's record stands. Made by the first decision; a
    closed activity without one has not been reviewed yet. `reason` and `deadline` are the
    latest send-back's (kept after a resubmission, for the reviewer to read)."""

    activity = models.OneToOneField(
        Activity, on_delete=models.CASCADE, related_name="record_review"
    )
    # The activity's branch, so that scoped lists and the reports' selectors read one table.
    branch = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=ReviewStatus.choices)
    reason = models.TextField(_("退回原因"), blank=True)
    deadline = models.DateField(_("补充期限"), null=True, blank=True)
    send_back_count = models.PositiveSmallIntegerField(default=0)
    # The superior organization in whose name the latest decision was taken.
    reviewer_org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    reviewed_at = models.DateTimeField()
    resubmitted_at = models.DateTimeField(null=True, blank=True)
    passed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["branch", "status"]),
            models.Index(fields=["status", "deadline"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ReviewStatus.values), name="recordreview_status_valid"
            ),
            # A record sent back (now or before a resubmission) has a reason and a deadline.
            models.CheckConstraint(
                condition=Q(status="passed")
                | (~Q(reason="") & Q(deadline__isnull=False, send_back_count__gte=1)),
                name="recordreview_sent_back_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status="passed") | Q(passed_at__isnull=False),
                name="recordreview_passed_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="resubmitted") | Q(resubmitted_at__isnull=False),
                name="recordreview_resubmitted_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.activity_id}: {self.status}"


class RecordReviewEvent(Step):
    """Every step: sent back (reason, deadline), resubmitted (what was supplemented),
    passed (remark)."""

    review = models.ForeignKey(RecordReview, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=16, choices=ReviewAction.choices)
    text = models.TextField(blank=True)
    deadline = models.DateField(null=True, blank=True)

    class Meta(Step.Meta):
        indexes = [models.Index(fields=["action", "at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=ReviewAction.values), name="recordreviewevent_action_valid"
            ),
            models.CheckConstraint(
                condition=~Q(action="send_back") | Q(deadline__isnull=False),
                name="recordreviewevent_send_back_has_deadline",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.review_id} {self.action}"

"""Supervision (docs/product.md, "Scoring"): one-click spot checks of branches, with the drawn
sample recorded (seed included, so the draw can be repeated) and findings per branch; and
rectifications, a correction task with a deadline that the branch answers and the
superior accepts or reopens."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dangjian.core.models import Step, StoredAttachment
from dangjian.registry.models import Organization
from dangjian.scoring.models import PeriodKind
from dangjian.themedays.models import Activity


class SpotCheck(models.Model):
    """A sample of the branches under `org` for a period, drawn with `seed`."""

    org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    period_kind = models.CharField(max_length=8, choices=PeriodKind.choices)
    period_start = models.DateField()
    requested_size = models.PositiveIntegerField(null=True, blank=True)
    requested_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    seed = models.BigIntegerField()
    weight_low_scores = models.BooleanField(default=False)
    # How many branches the sample was drawn from.
    population = models.PositiveIntegerField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["org", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_kind__in=PeriodKind.values), name="spotcheck_kind_valid"
            ),
            models.CheckConstraint(condition=Q(seed__gte=0), name="spotcheck_seed_non_negative"),
            models.CheckConstraint(
                condition=Q(requested_size__isnull=False) | Q(requested_percent__isnull=False),
                name="spotcheck_size_or_percent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.org_id} {self.period_label} #{self.pk}"

    @property
    def period(self):
        from dangjian.scoring.formula import Period

        return Period(self.period_kind, self.period_start)

    @property
    def period_label(self) -> str:
        return self.period.label


class FindingResult(models.TextChoices):
    PENDING = "pending", _("待检查")
    PASSED = "passed", _("合格")
    PROBLEMS = "problems", _("存在问题")


class SpotCheckItem(models.Model):
    """One sampled branch, in the order drawn, with its score at the draw and the
    inspector's finding."""

    spot_check = models.ForeignKey(SpotCheck, on_delete=models.CASCADE, related_name="items")
    branch = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField()
    score_hundredths = models.PositiveIntegerField()
    # Month checks: the branch's activity of that month, if it held one.
    activity = models.ForeignKey(
        Activity, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    result = models.CharField(
        max_length=16, choices=FindingResult.choices, default=FindingResult.PENDING
    )
    finding = models.TextField(_("检查发现"), blank=True)
    inspected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    inspected_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["spot_check", "position"]
        constraints = [
            models.UniqueConstraint(fields=["spot_check", "branch"], name="spotcheckitem_unique"),
            models.UniqueConstraint(
                fields=["spot_check", "position"], name="spotcheckitem_position_unique"
            ),
            models.CheckConstraint(
                condition=Q(result__in=FindingResult.values), name="spotcheckitem_result_valid"
            ),
            models.CheckConstraint(
                condition=Q(result="pending", inspected_at__isnull=True)
                | (~Q(result="pending") & Q(inspected_at__isnull=False)),
                name="spotcheckitem_inspected_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.spot_check_id}#{self.position}: {self.branch_id}"

    @property
    def score(self):
        from dangjian.scoring.formula import from_hundredths

        return from_hundredths(self.score_hundredths)


class RectificationStatus(models.TextChoices):
    OPEN = "open", _("整改中")
    ANSWERED = "answered", _("待验收")
    ACCEPTED = "accepted", _("已通过")


class Rectification(models.Model):
    """A correction task for a branch with a deadline: open → answered (by the branch) →
    accepted, or reopened (back to open, possibly with a new deadline) by the superior.
    Overdue: still open after its deadline day."""

    branch = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    # Opened from a spot-check finding, or directly.
    finding = models.ForeignKey(
        SpotCheckItem,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="rectifications",
    )
    # The superior organization that opened it (its admins accept or reopen).
    opened_by_org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("整改事项"), max_length=200)
    requirement = models.TextField(_("整改要求"))
    deadline = models.DateField(_("整改期限"))
    status = models.CharField(
        max_length=16, choices=RectificationStatus.choices, default=RectificationStatus.OPEN
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    opened_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(default=0)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["deadline", "id"]
        indexes = [
            models.Index(fields=["status", "deadline"]),
            models.Index(fields=["branch", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=RectificationStatus.values),
                name="rectification_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="accepted") | Q(accepted_at__isnull=False),
                name="rectification_accepted_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="answered") | Q(answered_at__isnull=False),
                name="rectification_answered_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def is_overdue_on(self, day) -> bool:
        return self.status == RectificationStatus.OPEN and self.deadline < day


class RectificationEvent(Step):
    """Every step: opened, answered (with text and attachments), accepted, reopened."""

    rectification = models.ForeignKey(
        Rectification, on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(max_length=16)
    text = models.TextField(blank=True)
    deadline = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.rectification_id} {self.action}"


class RectificationAttachment(StoredAttachment):
    rectification = models.ForeignKey(
        Rectification, on_delete=models.CASCADE, related_name="attachments"
    )
    event = models.ForeignKey(
        RectificationEvent, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(upload_to="rectifications/%Y/%m/", max_length=200)

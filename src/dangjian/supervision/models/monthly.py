"""Monthly supervision (一月一督查, docs/product.md "Scoring"): each county's sheet for a
month, made once by the scheduled job (or by a city admin for a month), archived with its
files, what it counted and a hash of what it lists."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from dangjian.registry.models import Organization


class MonthlySheet(models.Model):
    """The branches of a county that the month's supervision found wanting, and why. The
    counts say how many branches each reason lists; `items_missing` and `sent_back` are
    empty when the sheet was made without that column."""

    county = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("月份"), help_text="First day of the month")
    # Empty: made by the scheduled job, nobody clicking.
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    generated_at = models.DateTimeField()
    # The policy the sheet was made with, so that a sheet says what it judged by.
    sign_in_threshold = models.PositiveSmallIntegerField()
    branches = models.PositiveIntegerField()
    listed = models.PositiveIntegerField()
    no_approved_plan = models.PositiveIntegerField()
    not_held = models.PositiveIntegerField()
    low_sign_in = models.PositiveIntegerField()
    items_missing = models.PositiveIntegerField(null=True, blank=True)
    sent_back = models.PositiveIntegerField(null=True, blank=True)
    overdue_rectifications = models.PositiveIntegerField()
    reminded_users = models.PositiveIntegerField(default=0)
    # SHA-256 of the sheet's rows as canonical JSON (monthly.content_hash): the files carry
    # it, so a printed sheet can be matched to the archived one.
    content_hash = models.CharField(max_length=64)
    xlsx = models.FileField(upload_to="supervision/monthly/%Y/%m/", max_length=200)
    pdf = models.FileField(upload_to="supervision/monthly/%Y/%m/", max_length=200)

    class Meta:
        ordering = ["-month", "county__path"]
        constraints = [
            # One sheet per county and month, however often or concurrently the job runs.
            models.UniqueConstraint(fields=["county", "month"], name="monthlysheet_unique"),
            models.CheckConstraint(
                condition=Q(listed__lte=F("branches")), name="monthlysheet_listed_within"
            ),
            models.CheckConstraint(
                condition=Q(sign_in_threshold__lte=100), name="monthlysheet_threshold_percent"
            ),
        ]
        indexes = [models.Index(fields=["month", "county"])]

    def __str__(self) -> str:
        return f"{self.county_id} {self.month:%Y-%m}"

    @property
    def month_label(self) -> str:
        return f"{self.month:%Y-%m}"

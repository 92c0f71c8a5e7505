"""Each member's volunteer hours as an append-only ledger (《志愿服务记录与证明出具办法（试行）》,
2021: records true, accurate, complete and timely; the recording organization certifies).
A mistake is never edited: a reversing entry with a reason takes it back."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dangjian.registry.models import Member, Organization


class HoursEntryKind(models.TextChoices):
    SERVICE = "service", _("服务时长")
    REVERSAL = "reversal", _("冲销")


class HoursEntry(models.Model):
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="hours_entries")
    # The organization that recorded the hours: the only one that may certify them.
    org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    claim = models.ForeignKey(
        "volunteering.Claim", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=HoursEntryKind.choices)
    hours = models.DecimalField(_("时长（小时）"), max_digits=6, decimal_places=2)
    served_on = models.DateField(_("服务日期"))
    description = models.CharField(_("服务内容"), max_length=200)
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    reason = models.CharField(_("原因"), max_length=300, blank=True)
    # Hours entered by an admin instead of signed at the place, or a make-up entry: flagged
    # wherever they are shown.
    is_flagged = models.BooleanField(default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["recorded_at", "id"]
        indexes = [
            models.Index(fields=["member", "recorded_at"], name="hours_member_time"),
            models.Index(fields=["org", "served_on"], name="hours_org_day"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=HoursEntryKind.values), name="hours_kind_valid"
            ),
            # A credit is positive and reverses nothing; a reversal is negative, names the
            # entry it takes back and says why.
            models.CheckConstraint(
                condition=Q(kind="service", hours__gt=0, reverses__isnull=True)
                | (Q(kind="reversal", hours__lt=0, reverses__isnull=False) & ~Q(reason="")),
                name="hours_entry_kind_shape",
            ),
            # One credit per claim: signing out twice cannot count twice.
            models.UniqueConstraint(
                fields=["claim"],
                condition=Q(kind="service", claim__isnull=False),
                name="hours_one_credit_per_claim",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.hours}h ({self.kind})"

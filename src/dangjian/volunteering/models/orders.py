"""A citizen's order (群众点单) and the members who claim it (党员接单).

The order's life: submitted → published → claimed (some or all places taken) → in service
→ completed → confirmed; or declined, cancelled, expired. Every change is an `OrderEvent`
with who and when. Each volunteer's own life is a `Claim`: claimed → signed in → signed
out, or released before the start."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from dangjian.registry.models import Member, Organization
from dangjian.volunteering.models.people import Citizen, ServiceCategory


class OrderState(models.TextChoices):
    SUBMITTED = "submitted", _("待审核")
    PUBLISHED = "published", _("待接单")
    CLAIMED = "claimed", _("已接单")
    IN_SERVICE = "in_service", _("服务中")
    COMPLETED = "completed", _("待评价")
    CONFIRMED = "confirmed", _("已完成")
    DECLINED = "declined", _("未通过")
    CANCELLED = "cancelled", _("已取消")
    EXPIRED = "expired", _("已过期")


class Order(models.Model):
    requester = models.ForeignKey(Citizen, on_delete=models.PROTECT, related_name="orders")
    # The community that reviews the order and records the hours of its service.
    community = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    # Whose members see the published order: the community, then after each escalation
    # the organization above (the town or street, then the county).
    reach = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey(ServiceCategory, on_delete=models.PROTECT, related_name="+")
    description = models.TextField(_("需求描述"))
    address = models.CharField(_("服务地点"), max_length=200)
    # WGS-84, converted from the system the citizen's phone or map gave (core.coords).
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    radius_m = models.PositiveIntegerField(_("签到半径（米）"), default=300)
    wanted_from = models.DateTimeField(_("期望开始"))
    wanted_until = models.DateTimeField(_("期望结束"))
    volunteers_needed = models.PositiveSmallIntegerField(_("所需志愿者人数"), default=1)
    skills = models.JSONField(_("所需技能"), default=list, blank=True)
    # Live claims (not released). Raised only by an UPDATE that checks the capacity, so
    # that concurrent claims never take more places than there are.
    claimed_count = models.PositiveSmallIntegerField(default=0)
    state = models.CharField(max_length=16, choices=OrderState.choices, default="submitted")
    # Seen by the requester only (and the admins who review).
    decline_reason = models.CharField(max_length=300, blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True)
    escalation_level = models.PositiveSmallIntegerField(default=0)
    escalated_at = models.DateTimeField(null=True, blank=True)
    # Accepted but not started by the end of its window (flagged on the console).
    is_overdue = models.BooleanField(default=False)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    published_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completion_note = models.TextField(_("服务情况"), blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    rating_comment = models.CharField(max_length=500, blank=True)
    # Closed by the scheduled job after the citizen left it unrated for 7 days.
    is_closed_automatically = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["community", "state"], name="order_community_state"),
            models.Index(fields=["reach", "state"], name="order_reach_state"),
            models.Index(fields=["state", "published_at"], name="order_state_published"),
            models.Index(fields=["requester", "created_at"], name="order_requester_time"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=OrderState.values), name="order_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(wanted_until__gt=F("wanted_from")), name="order_window_ordered"
            ),
            models.CheckConstraint(
                condition=Q(volunteers_needed__gte=1, volunteers_needed__lte=50),
                name="order_volunteers_needed_range",
            ),
            models.CheckConstraint(
                condition=Q(claimed_count__lte=F("volunteers_needed")),
                name="order_claims_within_capacity",
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="order_rating_range",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180),
                name="order_coordinates_valid",
            ),
            models.CheckConstraint(
                condition=~Q(state="declined") | ~Q(decline_reason=""),
                name="order_declined_with_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category_id}: {self.description[:20]}"


class OrderEvent(models.Model):
    """One change of an order's state: who, when, from what to what, and why."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16)
    # None: the scheduled jobs (escalation, expiry, closing unrated orders).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["order", "at"], name="order_event_order_time")]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.from_state} -> {self.to_state}"


class OrderPhotoKind(models.TextChoices):
    REQUEST = "request", _("需求照片")
    EVIDENCE = "evidence", _("服务照片")


class OrderPhoto(models.Model):
    """A photo of the need (from the citizen) or of the service done (from a volunteer),
    processed like an activity photo (interaction.images): re-encoded, metadata stripped."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="photos")
    kind = models.CharField(max_length=16, choices=OrderPhotoKind.choices)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    image = models.FileField(max_length=200)
    thumbnail = models.FileField(max_length=200)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=OrderPhotoKind.values), name="order_photo_kind_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} photo of {self.order_id}"


class ClaimState(models.TextChoices):
    CLAIMED = "claimed", _("已接单")
    SIGNED_IN = "signed_in", _("服务中")
    SIGNED_OUT = "signed_out", _("已完成服务")
    RELEASED = "released", _("已退单")


class Claim(models.Model):
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="claims")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="volunteer_claims")
    state = models.CharField(max_length=16, choices=ClaimState.choices, default="claimed")
    claimed_at = models.DateTimeField()
    released_at = models.DateTimeField(null=True, blank=True)
    signed_in_at = models.DateTimeField(null=True, blank=True)
    signed_out_at = models.DateTimeField(null=True, blank=True)
    # Where the phone was (WGS-84) and how far from the place, for the record.
    sign_in_distance_m = models.PositiveIntegerField(null=True, blank=True)
    sign_out_distance_m = models.PositiveIntegerField(null=True, blank=True)
    # Times entered by an admin where signing at the place was impossible: flagged, with
    # the reason; a make-up entry after the fact needs another admin's approval.
    is_recorded_by_admin = models.BooleanField(default=False)
    recorded_reason = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    is_makeup = models.BooleanField(default=False)
    makeup_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    makeup_approved_at = models.DateTimeField(null=True, blank=True)
    hours = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["claimed_at", "id"]
        indexes = [
            models.Index(fields=["member", "state"], name="claim_member_state"),
            models.Index(fields=["order", "state"], name="claim_order_state"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=ClaimState.values), name="claim_state_valid"
            ),
            # A member holds at most one live claim on an order.
            models.UniqueConstraint(
                fields=["order", "member"],
                condition=~Q(state="released"),
                name="claim_one_live_per_member",
            ),
            models.CheckConstraint(
                condition=Q(signed_out_at__isnull=True)
                | Q(signed_in_at__isnull=False, signed_out_at__gt=F("signed_in_at")),
                name="claim_signed_out_after_in",
            ),
            models.CheckConstraint(
                condition=~Q(is_recorded_by_admin=True) | ~Q(recorded_reason=""),
                name="claim_admin_times_with_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} on {self.order_id} ({self.state})"

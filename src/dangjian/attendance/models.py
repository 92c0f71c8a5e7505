"""Attendance at a theme-day activity (docs/product.md, "Checking in and out"): one record per
roster member who checked in, was marked absent, is on leave or was corrected; the log of every
check-in and check-out attempt; leave requests; manual corrections approved by a superior; and the
optional rotating QR code for activities shown on a screen.

A roster member without a record is `pending` until the activity closes: the record is
written by the member's own check-in (or by the closing job, leave or a correction), so
the check-in hot path inserts one row and never touches the rest of the roster."""

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dangjian.core import partitions
from dangjian.registry.models import Member
from dangjian.themedays.models import Activity


def record_month(activity_created_at) -> date:
    """The partition month of an activity's attendance records: the UTC month the activity
    was made in, which never changes (its start may move while records exist: leave)."""
    return partitions.month_of(activity_created_at)


class AttendanceStatus(models.TextChoices):
    PENDING = "pending", _("未签到")
    CHECKED_IN = "checked_in", _("已签到")
    CHECKED_OUT = "checked_out", _("已签退")
    NOT_CHECKED_OUT = "not_checked_out", _("未签退")
    ABSENT = "absent", _("缺勤")
    ON_LEAVE = "on_leave", _("请假")


# `pending` is never stored: it is the absence of a record.
STORED_STATUSES = [s for s in AttendanceStatus.values if s != AttendanceStatus.PENDING]
ATTENDED = (
    AttendanceStatus.CHECKED_IN,
    AttendanceStatus.CHECKED_OUT,
    AttendanceStatus.NOT_CHECKED_OUT,
)


class AttendanceRecordQuerySet(models.QuerySet):
    def of_activity(self, activity: Activity) -> "AttendanceRecordQuerySet":
        """An activity's records, with their month: one partition read on PostgreSQL."""
        return self.filter(activity=activity, month=record_month(activity.created_at))


class AttendanceRecord(models.Model):
    # Written by every check-in: the unique (activity, member) index serves look-ups by
    # activity, and the rare leave and correction links are indexed only where set.
    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="attendance", db_index=False
    )
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=AttendanceStatus.choices)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checkin_distance_m = models.PositiveIntegerField(null=True, blank=True)
    checked_out_at = models.DateTimeField(null=True, blank=True)
    checkout_distance_m = models.PositiveIntegerField(null=True, blank=True)
    # The phone's random id (kept in its local storage) that checked in. The same id
    # checking in several members of one activity is flagged for the superior.
    device_id = models.CharField(max_length=64, blank=True)
    is_device_shared = models.BooleanField(default=False)
    leave = models.ForeignKey(
        "LeaveRequest",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    # Set when an approved manual correction decided this status: flagged everywhere.
    correction = models.ForeignKey(
        "Correction",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    is_corrected = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    # The activity's own month, `record_month(activity.created_at)`, set by every writer: the
    # table is partitioned by it on PostgreSQL (core.partitions), and as a function of the
    # activity it keeps unique (activity, member, month) as strict as unique (activity,
    # member). docs/decisions.md, "Partitioned history".
    month = models.DateField()

    objects = AttendanceRecordQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(
                fields=["activity", "device_id"],
                condition=~Q(device_id=""),
                name="attendance_device_idx",
            ),
            models.Index(
                fields=["leave"], condition=Q(leave__isnull=False), name="attendance_leave_idx"
            ),
            models.Index(
                fields=["correction"],
                condition=Q(correction__isnull=False),
                name="attendance_correction_idx",
            ),
        ]
        constraints = [
            # Two check-ins at the same instant still leave one record.
            models.UniqueConstraint(fields=["activity", "member", "month"], name="attendance_once"),
            models.CheckConstraint(
                condition=Q(status__in=STORED_STATUSES), name="attendance_status_valid"
            ),
            # Attendance comes from a check-in at the venue, or from an approved correction.
            models.CheckConstraint(
                condition=Q(is_corrected=True)
                | ~Q(status__in=[s.value for s in ATTENDED])
                | Q(checked_in_at__isnull=False),
                name="attendance_attended_has_checkin",
            ),
            models.CheckConstraint(
                condition=Q(is_corrected=True)
                | ~Q(status=AttendanceStatus.CHECKED_OUT)
                | Q(checked_out_at__isnull=False),
                name="attendance_checked_out_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.activity_id}/{self.member_id}: {self.status}"


class AttemptKind(models.TextChoices):
    CHECK_IN = "check_in", _("签到")
    CHECK_OUT = "check_out", _("签退")


# Codes of the attempt log besides the refusal codes of docs/product.md, "Checking in and out".
ACCEPTED = "accepted"
REPEATED = "repeated"


class CheckInAttemptQuerySet(models.QuerySet):
    def of_activity(self, activity: Activity) -> "CheckInAttemptQuerySet":
        """An activity's attempts. None can be older than the activity (its token is made
        with it or after), which on PostgreSQL leaves out the partitions of earlier months."""
        return self.filter(activity=activity, at__gte=activity.created_at)


class CheckInAttempt(models.Model):
    """Every check-in and check-out attempt, accepted or refused, with what the phone sent
    and what the server decided. The phone's clock is kept as metadata only."""

    # Every check-in writes one of these, so the row costs as little as it can: no index
    # the composite ones below already cover, and no foreign-key constraints in the
    # database (each would look up and share-lock its parent row on every insert; the
    # activity's row is the one all of a branch's check-ins share). The log only ever
    # gains rows; the ORM still applies on_delete, and docs/decisions.md says why.
    activity = models.ForeignKey(
        Activity,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        db_constraint=False,
    )
    member = models.ForeignKey(
        Member,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    kind = models.CharField(max_length=16, choices=AttemptKind.choices)
    code = models.CharField(max_length=32)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    accuracy_m = models.FloatField(null=True, blank=True)
    distance_m = models.PositiveIntegerField(null=True, blank=True)
    at = models.DateTimeField(help_text="Server time")
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)
    device_id = models.CharField(max_length=64, blank=True)
    # What else the phone said about itself (its clock, its time zone, the scan's code):
    # never trusted, kept for investigations.
    client = models.JSONField(default=dict, blank=True)

    objects = CheckInAttemptQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["activity", "code", "at"]),
            models.Index(fields=["member", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.code} @ {self.at:%Y-%m-%d %H:%M:%S}"

    @property
    def is_refusal(self) -> bool:
        return self.code not in (ACCEPTED, REPEATED)


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    REFUSED = "refused", _("未批准")


class DecidedRequest(models.Model):
    """What leave requests and corrections share: pending until an admin decides, then who
    decided, when, and the note given with the decision."""

    status = models.CharField(
        max_length=16, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=300, blank=True)

    class Meta:
        abstract = True


def _decision_constraints(prefix: str) -> list[models.BaseConstraint]:
    """A decided request's constraints, named after `prefix`: a known status, and a decision
    time exactly when it is no longer pending."""
    return [
        models.CheckConstraint(
            condition=Q(status__in=RequestStatus.values), name=f"{prefix}_status_valid"
        ),
        models.CheckConstraint(
            condition=Q(status="pending", decided_at__isnull=True)
            | (~Q(status="pending") & Q(decided_at__isnull=False)),
            name=f"{prefix}_decided_has_time",
        ),
    ]


class LeaveRequest(DecidedRequest):
    """A member asks before the start to be excused; the branch decides before the start.
    Approved leave shows as `on_leave` (the member stays on the roster)."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="leaves")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("请假原因"), max_length=300)
    requested_at = models.DateTimeField()

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["activity", "status"])]
        constraints = [
            *_decision_constraints("leave"),
            # One live request per member and activity; a refused one makes room for another.
            models.UniqueConstraint(
                fields=["activity", "member"],
                condition=Q(status__in=["pending", "approved"]),
                name="leave_one_live_request",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.activity_id}/{self.member_id}: {self.status}"


class Correction(DecidedRequest):
    """A manual attendance correction (a phone broke, say): proposed with a reason by an
    admin of the branch, effective only once an admin of a superior organization approves,
    and flagged on the record for ever."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="corrections")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    to_status = models.CharField(max_length=16, choices=AttendanceStatus.choices)
    # What the record said when the correction was proposed (`pending` for no record).
    from_status = models.CharField(max_length=16, choices=AttendanceStatus.choices)
    reason = models.CharField(_("更正原因"), max_length=300)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    proposed_at = models.DateTimeField()

    class Meta:
        ordering = ["-proposed_at", "-id"]
        indexes = [models.Index(fields=["activity", "status"])]
        constraints = [
            *_decision_constraints("correction"),
            models.CheckConstraint(
                condition=Q(to_status__in=STORED_STATUSES), name="correction_to_status_valid"
            ),
            models.UniqueConstraint(
                fields=["activity", "member"],
                condition=Q(status="pending"),
                name="correction_one_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.activity_id}/{self.member_id} → {self.to_status}"


class RotatingQR(models.Model):
    """Rotating-QR mode for an activity shown on a screen: the code on the screen changes
    every 30 s and only the current or the previous code is accepted, so a photo of the
    poster sent to someone at home stops working within a minute."""

    activity = models.OneToOneField(Activity, on_delete=models.CASCADE, related_name="+")
    is_enabled = models.BooleanField(default=False)
    secret = models.CharField(max_length=64)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.activity_id}: {'on' if self.is_enabled else 'off'}"

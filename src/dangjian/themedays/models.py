"""The monthly theme Party day: campaigns issued by superiors, planning tasks for branches,
activity plans with their review history, and the roster frozen at the start."""

from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from dangjian.core.models import MonthlyIssue, Step, StoredAttachment
from dangjian.registry.models import Member, Organization

# The six required items of docs/product.md, "Monthly theme days", in the order the case study
# lists them.
DEFAULT_REQUIRED_ITEMS = [
    "诵读党章",
    "缴纳党费",
    "研学党规党情",
    "落实组织生活",
    "开展民主议事",
    "实行民主公开",
]
DEFAULT_OPTIONAL_ITEMS = ["红色教育", "走访慰问", "义务劳动", "爱心捐赠"]


class Campaign(MonthlyIssue):
    """The month's requirements, issued by an organization to its subtree (optionally only
    some sectors). A supplement (`parent` set) is a lower organization's additional
    requirements to its parent's campaign, for its own subtree."""

    org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="campaigns")
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="supplements"
    )
    theme = models.CharField(_("主题"), max_length=200)
    guidance = models.TextField(_("活动指引"), blank=True)
    required_items = models.JSONField(_("规定动作"), default=list)
    optional_items = models.JSONField(_("自选动作"), default=list)
    holding_from = models.DateField(_("开展时间自"))
    holding_until = models.DateField(_("开展时间至"))
    sectors = models.JSONField(_("适用领域"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    distribution_requested_at = models.DateTimeField(null=True, blank=True)
    distributed_at = models.DateTimeField(null=True, blank=True)
    distributed_branches = models.PositiveIntegerField(default=0)

    notice_kind = "campaign"

    class Meta:
        ordering = ["-month", "-id"]
        indexes = [models.Index(fields=["org", "month"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(holding_until__gte=F("holding_from")),
                name="campaign_holding_window_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.theme}"

    @property
    def is_supplement(self) -> bool:
        return self.parent_id is not None


class CampaignAttachment(StoredAttachment):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="campaigns/%Y/%m/")


class PlanningTask(models.Model):
    """A branch's duty to plan an activity for a campaign; made by distribution."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="tasks")
    branch = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "branch"], name="planningtask_unique")
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} -> {self.branch_id}"


class ActivityStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待审核")
    APPROVED = "approved", _("已通过")
    REJECTED = "rejected", _("已退回")
    CANCELLED = "cancelled", _("已取消")
    CLOSED = "closed", _("已结束")


class Activity(models.Model):
    """A branch's theme-day activity plan and, once approved, the activity itself."""

    branch = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="activities")
    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, null=True, blank=True, related_name="activities"
    )
    title = models.CharField(_("活动名称"), max_length=200)
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    venue_address = models.CharField(_("活动地点"), max_length=300)
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6)
    radius_m = models.PositiveIntegerField(_("签到半径（米）"), default=300)
    agenda = models.JSONField(_("活动议程"), default=list)
    optional_items = models.JSONField(_("自选动作"), default=list, blank=True)
    checkin_opens_before_min = models.PositiveIntegerField(default=30)
    checkin_closes_after_min = models.PositiveIntegerField(default=15)
    checkout_closes_after_min = models.PositiveIntegerField(default=60)
    status = models.CharField(
        max_length=16, choices=ActivityStatus.choices, default=ActivityStatus.DRAFT
    )
    # 补录: a record entered after the fact; it needs a reason and a superior's approval and
    # is flagged wherever the activity appears.
    is_late_record = models.BooleanField(default=False)
    late_reason = models.CharField(max_length=300, blank=True)
    # 历史导入: a record of a day held before the platform, imported from a spreadsheet by
    # an admin above the branch (themedays.history). Always a late record as well, so that
    # nothing that counts on-time records ever counts it.
    is_historical = models.BooleanField(default=False)
    checkin_token = models.CharField(max_length=64, unique=True, null=True, blank=True)
    token_generated_at = models.DateTimeField(null=True, blank=True)
    roster_frozen_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        indexes = [
            models.Index(fields=["branch", "starts_at"]),
            models.Index(fields=["campaign", "status"]),
            models.Index(fields=["status", "starts_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="activity_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(latitude__gte=-90, latitude__lte=90)
                & Q(longitude__gte=-180, longitude__lte=180),
                name="activity_coordinates_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ActivityStatus.values), name="activity_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(is_historical=False) | Q(is_late_record=True, status="closed"),
                name="activity_historical_is_closed_late_record",
            ),
            # One live plan per branch and campaign; a cancelled one makes room for a new one.
            models.UniqueConstraint(
                fields=["branch", "campaign"],
                condition=~Q(status="cancelled"),
                name="activity_one_live_plan_per_campaign",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @classmethod
    def from_db(cls, db, field_names, values):
        activity = super().from_db(db, field_names, values)
        # A time stored before the dates were checked (themedays.schedule) is read as the
        # nearest one that every page and the API can show, so that reading it never fails.
        for name in ("starts_at", "ends_at"):
            at = activity.__dict__.get(name)
            if at is not None:
                activity.__dict__[name] = showable(at)
        return activity

    @property
    def window(self) -> "Window":
        return window_of(self)

    @property
    def checkin_opens_at(self) -> datetime:
        return self.window.checkin_opens_at

    @property
    def checkin_closes_at(self) -> datetime:
        return self.window.checkin_closes_at

    @property
    def checkout_closes_at(self) -> datetime:
        return self.window.checkout_closes_at


class Window(NamedTuple):
    """When an activity takes check-ins and check-outs (docs/product.md, "Checking in and out"):
    check-in from some minutes before the start to some minutes after it, check-out from the end
    to some minutes after it."""

    checkin_opens_at: datetime
    checkin_closes_at: datetime
    checkout_closes_at: datetime


def window_of(activity) -> Window:
    """The windows of anything with an activity's `starts_at`, `ends_at` and minutes (an
    Activity, or the check-in's facts about one). They stop at the times `showable` allows,
    so that even a time stored before the dates were checked gives a window."""
    return Window(
        _shifted(activity.starts_at, -activity.checkin_opens_before_min),
        _shifted(activity.starts_at, activity.checkin_closes_after_min),
        _shifted(activity.ends_at, activity.checkout_closes_after_min),
    )


# The first and last instants that can be shown in any time zone: a day inside the range of
# Python's datetime, which a local time just beyond would leave (OverflowError).
SHOWABLE_FROM = datetime.min.replace(tzinfo=UTC) + timedelta(days=1)
SHOWABLE_UNTIL = datetime.max.replace(tzinfo=UTC) - timedelta(days=1)


def showable(at: datetime) -> datetime:
    """`at`, or the nearest showable instant when it lies beyond them."""
    if at.tzinfo is None:
        return at
    return min(max(at, SHOWABLE_FROM), SHOWABLE_UNTIL)


def _shifted(at: datetime, minutes: int) -> datetime:
    try:
        moved = at + timedelta(minutes=minutes)
    except OverflowError:
        return SHOWABLE_UNTIL if minutes > 0 else SHOWABLE_FROM
    return showable(moved)


class ActivityEvent(Step):
    """Every step of a plan's life: who, when, from which status to which, and why."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=32)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    reason = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return f"{self.activity_id} {self.action}"


class RosterEntry(models.Model):
    """A member of the activity's roster as it stood at the start (frozen), so later
    transfers never change a past activity."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="roster")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    is_flowing = models.BooleanField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["activity", "member"], name="rosterentry_unique")
        ]

    def __str__(self) -> str:
        return f"{self.activity_id}: {self.member_id}"


class HistoricalRecord(models.Model):
    """What a historical activity's spreadsheet row said that an activity has no column
    for: who attended (a count, and the branch's members named when the row named them)
    and where it came from. The summary is the activity's Summary."""

    activity = models.OneToOneField(
        Activity, on_delete=models.CASCADE, primary_key=True, related_name="historical"
    )
    month = models.DateField()
    attendee_count = models.PositiveIntegerField()
    attendees = models.ManyToManyField(Member, blank=True, related_name="+")
    source_file = models.CharField(max_length=200, blank=True)
    source_row = models.PositiveIntegerField()
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    imported_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.activity_id} ({self.month:%Y-%m})"


class LedgerStatus(models.TextChoices):
    PENDING = "pending", _("生成中")
    READY = "ready", _("已生成")
    FAILED = "failed", _("生成失败")


class Ledger(models.Model):
    """A branch's ledger (台账) for a year: every record of its year as a PDF with an index
    and the originals, in one ZIP, built in the background (themedays.ledger). Each request
    makes a new one; the newest ready one is what is downloaded."""

    branch = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    status = models.CharField(
        max_length=8, choices=LedgerStatus.choices, default=LedgerStatus.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    requested_at = models.DateTimeField()
    built_at = models.DateTimeField(null=True, blank=True)
    file = models.FileField(upload_to="ledgers/%Y/", max_length=200, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    # Records per section of the index, as built: {"plans": 12, "photos": 40, ...}.
    counts = models.JSONField(default=dict, blank=True)
    failure = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["branch", "year", "requested_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(year__gte=2000, year__lte=2100), name="ledger_year_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=LedgerStatus.values), name="ledger_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="ready") | (Q(built_at__isnull=False) & ~Q(file="")),
                name="ledger_ready_has_file",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.branch_id} {self.year}"

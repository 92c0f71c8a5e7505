"""Quarterly awards (季度评选, docs/product.md "Quarterly awards"): a round per quarter run by
the city, in which branches submit golden-idea cases (金点子案例), each county nominates
cases, advanced branches (先进党支部) and model members (实践标兵) within its quotas, and the
city selects up to `selection_size` of each kind and publishes the result."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dangjian.core.models import StoredAttachment
from dangjian.registry.models import Member, Organization
from dangjian.themedays.models import Activity


class AwardRoundStatus(models.TextChoices):
    OPEN = "open", _("征集案例")
    NOMINATING = "nominating", _("区县推荐")
    SELECTING = "selecting", _("市级评选")
    PUBLISHED = "published", _("已公布")


class AwardKind(models.TextChoices):
    CASE = "case", _("金点子案例")
    BRANCH = "branch", _("先进党支部")
    MEMBER = "member", _("实践标兵")


class AwardRound(models.Model):
    """One quarter's round of the city `org`: open (cases submitted) → nominating (counties
    nominate until `nomination_deadline`) → selecting (the city selects) → published
    (immutable). Quotas are per county and kind; the selection size and the candidate
    share are kept on the round, so that a later setting does not change a running one."""

    org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    quarter_start = models.DateField(help_text="First day of the quarter")
    status = models.CharField(
        max_length=16, choices=AwardRoundStatus.choices, default=AwardRoundStatus.OPEN
    )
    nomination_deadline = models.DateField(_("推荐截止日期"))
    case_quota = models.PositiveSmallIntegerField(_("每个区县推荐金点子案例名额"))
    branch_quota = models.PositiveSmallIntegerField(_("每个区县推荐先进党支部名额"))
    member_quota = models.PositiveSmallIntegerField(_("每个区县推荐实践标兵名额"))
    selection_size = models.PositiveSmallIntegerField(_("每类评选名额"))
    # Advanced-branch candidates: the top this share (percent) of their county's quarter
    # ranking.
    candidate_percent = models.PositiveSmallIntegerField(_("先进党支部候选比例（%）"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField()
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-quarter_start", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["org", "quarter_start"], name="awardround_unique"),
            models.CheckConstraint(
                condition=Q(status__in=AwardRoundStatus.values), name="awardround_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(quarter_start__day=1, quarter_start__month__in=[1, 4, 7, 10]),
                name="awardround_quarter_start",
            ),
            models.CheckConstraint(
                condition=Q(candidate_percent__gte=1, candidate_percent__lte=100),
                name="awardround_candidate_percent",
            ),
            models.CheckConstraint(
                condition=Q(selection_size__gte=1), name="awardround_selection_size"
            ),
            models.CheckConstraint(
                condition=Q(status="published", published_at__isnull=False)
                | (~Q(status="published") & Q(published_at__isnull=True)),
                name="awardround_published_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period.label} {self.org_id}"

    @property
    def period(self):
        from dangjian.scoring.formula import Period

        return Period("quarter", self.quarter_start)

    @property
    def label(self) -> str:
        q = (self.quarter_start.month - 1) // 3 + 1
        return _("%(year)d年第%(q)d季度") % {"year": self.quarter_start.year, "q": q}

    def quota_for(self, kind: str) -> int:
        return {
            AwardKind.CASE: self.case_quota,
            AwardKind.BRANCH: self.branch_quota,
            AwardKind.MEMBER: self.member_quota,
        }[kind]


class GoldenIdeaCase(models.Model):
    """A branch's case (金点子) for a round: title, text, photos and activities of its own."""

    round = models.ForeignKey(AwardRound, on_delete=models.CASCADE, related_name="cases")
    branch = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("案例标题"), max_length=100)
    text = models.TextField(_("案例内容"))
    activities = models.ManyToManyField(Activity, blank=True, related_name="+")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    submitted_at = models.DateTimeField()

    class Meta:
        ordering = ["round", "branch", "id"]
        indexes = [models.Index(fields=["round", "branch"])]

    def __str__(self) -> str:
        return self.title


class CasePhoto(StoredAttachment):
    case = models.ForeignKey(GoldenIdeaCase, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(upload_to="awards/%Y/%m/", max_length=200)

    class Meta:
        ordering = ["created_at", "id"]


class Nomination(models.Model):
    """A county's nomination of a case, a branch or a member, with the evidence at the time
    (`evidence`: the branch's rank and score, or the member's check-ins, volunteer hours and
    study minutes in the quarter), and the city's selection."""

    round = models.ForeignKey(AwardRound, on_delete=models.CASCADE, related_name="nominations")
    kind = models.CharField(max_length=8, choices=AwardKind.choices)
    # The county that nominated (the child of the round's city above the branch): whose
    # quota it uses.
    county = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    branch = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(
        GoldenIdeaCase,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="nominations",
    )
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(_("推荐理由"))
    evidence = models.JSONField(default=dict, blank=True)
    nominated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    nominated_at = models.DateTimeField()
    is_selected = models.BooleanField(default=False)
    selected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    selected_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["round", "kind", "county", "id"]
        indexes = [models.Index(fields=["round", "kind", "county"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=AwardKind.values), name="nomination_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind="case", case__isnull=False, member__isnull=True)
                | Q(kind="branch", case__isnull=True, member__isnull=True)
                | Q(kind="member", case__isnull=True, member__isnull=False),
                name="nomination_subject_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(is_selected=False) | Q(selected_at__isnull=False),
                name="nomination_selected_has_time",
            ),
            models.UniqueConstraint(
                fields=["round", "case"],
                condition=Q(kind="case"),
                name="nomination_case_once",
            ),
            models.UniqueConstraint(
                fields=["round", "branch"],
                condition=Q(kind="branch"),
                name="nomination_branch_once",
            ),
            models.UniqueConstraint(
                fields=["round", "member"],
                condition=Q(kind="member"),
                name="nomination_member_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round_id} {self.kind} {self.branch_id}"

    @property
    def subject_name(self) -> str:
        if self.kind == AwardKind.CASE:
            return self.case.title
        if self.kind == AwardKind.MEMBER:
            return self.member.name
        return self.branch.name

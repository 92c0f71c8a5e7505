"""Stored scores (docs/product.md, "Scoring"): the versioned scoring policy, each held
activity's score with its breakdown and the counts behind it, and each branch's score per month,
quarter and year. Scores are maintained as their inputs change (services.inputs_changed), so that
rankings and dashboards read a few thousand stored rows instead of aggregating millions
of attendance rows per request.

Scores are stored in hundredths (integers): sums and means are then exact on SQLite and
PostgreSQL alike."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from dangjian.registry.models import Organization
from dangjian.scoring import formula
from dangjian.themedays.models import Activity


class ScoringPolicy(models.Model):
    """A version of the weights and the upload rule, set by a root admin. It applies to the
    activities that close at or after `effective_from`; version 1 (the spec's default)
    is built in (formula.DEFAULT_POLICY) and has no row."""

    version = models.PositiveIntegerField(unique=True)
    weight_sign_in = models.PositiveSmallIntegerField(_("签到率权重"))
    weight_flowing_like = models.PositiveSmallIntegerField(_("流动党员点赞率权重"))
    weight_upload = models.PositiveSmallIntegerField(_("资料上传完整度权重"))
    weight_comment = models.PositiveSmallIntegerField(_("评论率权重"))
    weight_superior = models.PositiveSmallIntegerField(_("上级评分权重"))
    weight_study = models.PositiveSmallIntegerField(_("学习套餐完成率权重"), default=0)
    upload_photos_target = models.PositiveSmallIntegerField(_("照片满分张数"), default=4)
    upload_summary_chars = models.PositiveIntegerField(_("总结满分字数"), default=400)
    upload_photos_share = models.PositiveSmallIntegerField(_("照片占上传分比例"), default=50)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    effective_from = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-version"]
        indexes = [models.Index(fields=["effective_from"])]
        constraints = [
            # Version 1 is the built-in default.
            models.CheckConstraint(
                condition=Q(version__gte=2), name="scoringpolicy_version_after_builtin"
            ),
            models.CheckConstraint(
                condition=Q(
                    weight_sign_in=100
                    - F("weight_flowing_like")
                    - F("weight_upload")
                    - F("weight_comment")
                    - F("weight_superior")
                    - F("weight_study")
                ),
                name="scoringpolicy_weights_sum_100",
            ),
            models.CheckConstraint(
                condition=Q(upload_photos_target__gte=1, upload_summary_chars__gte=1)
                & Q(upload_photos_share__lte=100),
                name="scoringpolicy_upload_rule_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.version}"

    @property
    def weights(self) -> dict[str, int]:
        return {
            formula.SIGN_IN: self.weight_sign_in,
            formula.FLOWING_LIKE: self.weight_flowing_like,
            formula.UPLOAD: self.weight_upload,
            formula.COMMENT: self.weight_comment,
            formula.SUPERIOR: self.weight_superior,
            # Named only when weighed, so a policy without it reads as it always did.
            **({formula.STUDY: self.weight_study} if self.weight_study else {}),
        }

    def terms(self) -> formula.PolicyTerms:
        return formula.PolicyTerms(
            version=self.version,
            weights=self.weights,
            upload_photos_target=self.upload_photos_target,
            upload_summary_chars=self.upload_summary_chars,
            upload_photos_share=self.upload_photos_share,
        )


class ActivityScore(models.Model):
    """A held activity's score, its breakdown, the policy version it was computed with and
    the counts it was computed from (which the dashboards sum)."""

    activity = models.OneToOneField(
        Activity, on_delete=models.CASCADE, primary_key=True, related_name="score"
    )
    branch = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    # The campaign's month (the start's month for an activity without a campaign).
    month = models.DateField()
    # Only campaign activities make a branch's month score.
    is_campaign = models.BooleanField()
    is_closed = models.BooleanField()
    is_late_record = models.BooleanField(default=False)
    policy_version = models.PositiveIntegerField()
    total_hundredths = models.PositiveIntegerField()
    # {"sign_in": {"value": "85.00", "weight": "82.35"} | None, ...}
    components = models.JSONField()
    roster = models.PositiveIntegerField()
    roster_flowing = models.PositiveIntegerField()
    checked_in_non_flowing = models.PositiveIntegerField()
    liked_flowing = models.PositiveIntegerField()
    commenters = models.PositiveIntegerField()
    photos = models.PositiveIntegerField()
    summary_chars = models.PositiveIntegerField()
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    computed_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["branch", "month"]),
            models.Index(fields=["month", "is_campaign"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(total_hundredths__lte=10000), name="activityscore_total_0_100"
            ),
            models.CheckConstraint(
                condition=Q(roster_flowing__lte=F("roster")),
                name="activityscore_flowing_within_roster",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.activity_id}: {self.total}"

    @property
    def total(self):
        return formula.from_hundredths(self.total_hundredths)

    @property
    def roster_non_flowing(self) -> int:
        return self.roster - self.roster_flowing


class RecomputeDue(models.Model):
    """An activity whose score must be recomputed: written when a recompute is queued (on a
    broker), deleted when it starts. A row that outlives its queued task (Redis stopped and
    lost it, or refused it) is found by the scheduled sweep (services.recompute_due)."""

    activity = models.OneToOneField(
        Activity, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    since = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.activity_id} since {self.since}"


class PeriodKind(models.TextChoices):
    MONTH = "month", _("月度")
    QUARTER = "quarter", _("季度")
    YEAR = "year", _("年度")


class BranchPeriodScore(models.Model):
    """A branch's score for a month (its campaign activity's score, 0 if none was held),
    a quarter or a year (the mean of its 3 or 12 months, a month without a held activity
    counting 0). A branch with no row for a period scores 0 there too."""

    branch = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="period_scores")
    kind = models.CharField(max_length=8, choices=PeriodKind.choices)
    period_start = models.DateField()
    score_hundredths = models.PositiveIntegerField(default=0)
    # Month rows: the activity that counted.
    activity = models.ForeignKey(
        Activity, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    held_months = models.PositiveSmallIntegerField(default=0)
    # The sign-in counts behind the score (summed over the months of a quarter or year), so
    # that the sign-in rate of any scope over time is one aggregate over these rows.
    roster_non_flowing = models.PositiveIntegerField(default=0)
    checked_in_non_flowing = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            # Also the index every ranking uses: one period's rows, joined to branches.
            models.UniqueConstraint(
                fields=["kind", "period_start", "branch"], name="branchperiodscore_unique"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=PeriodKind.values), name="branchperiodscore_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(score_hundredths__lte=10000), name="branchperiodscore_score_0_100"
            ),
        ]
        indexes = [
            models.Index(fields=["branch", "kind", "period_start"]),
            # The latest write of a period's rows, found by one probe: the dashboards'
            # cached sums are keyed by it (selectors._trend_sums).
            models.Index(fields=["kind", "period_start", "computed_at"]),
            # A ranking page's rows scoring more than its first (rankings.ranking_page):
            # a range of one period's scores, not all of the period's rows.
            models.Index(fields=["kind", "period_start", "score_hundredths"]),
        ]

    def __str__(self) -> str:
        return f"{self.branch_id} {self.kind} {self.period_start}: {self.score}"

    @property
    def score(self):
        return formula.from_hundredths(self.score_hundredths)

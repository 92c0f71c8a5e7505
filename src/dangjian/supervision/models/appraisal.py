"""The annual appraisal (一年一考核, docs/product.md, "Annual appraisal"): the versioned rule
a root admin publishes, and each year's appraisal of the city's branches: the figures
behind each branch's score, the grade the system proposed, the county's proposal, the
city's change with its reason, and the final grade, locked once the city confirms.

Here in supervision rather than scoring: the score is scoring's year mean less what
supervision found (findings, overdue rectifications, send-backs), and the grading is a
step of the supervision cycle, not of the monthly formula."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dangjian.registry.models import Organization
from dangjian.supervision import appraisal_rules as rules


class AppraisalRule(models.Model):
    """A version of the appraisal rule (appraisal_rules.AppraisalTerms), in force from its
    publication; version 1 (the default) is built in and has no row."""

    version = models.PositiveIntegerField(unique=True)
    finding_deduction = models.DecimalField(_("每项检查问题扣分"), max_digits=5, decimal_places=2)
    overdue_deduction = models.DecimalField(_("每项逾期整改扣分"), max_digits=5, decimal_places=2)
    send_back_deduction = models.DecimalField(_("每次退回补充扣分"), max_digits=5, decimal_places=2)
    study_weight = models.DecimalField(_("学习完成率加分权重"), max_digits=5, decimal_places=2)
    volunteer_weight = models.DecimalField(_("志愿服务加分权重"), max_digits=5, decimal_places=2)
    volunteer_hours_target = models.DecimalField(
        _("人均志愿服务满分时长"), max_digits=6, decimal_places=2
    )
    good_max_percent = models.PositiveSmallIntegerField(_("“好”等次比例上限（%）"))
    fairly_good_max_percent = models.PositiveSmallIntegerField(_("“较好”等次比例上限（%）"))
    poor_min_percent = models.PositiveSmallIntegerField(_("“差”等次比例下限（%）"))
    note = models.CharField(_("说明"), max_length=300, blank=True)
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.CheckConstraint(
                condition=Q(version__gte=2), name="appraisalrule_version_after_builtin"
            ),
            models.CheckConstraint(
                condition=Q(
                    finding_deduction__gte=0,
                    overdue_deduction__gte=0,
                    send_back_deduction__gte=0,
                    study_weight__gte=0,
                    volunteer_weight__gte=0,
                    volunteer_hours_target__gt=0,
                ),
                name="appraisalrule_points_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(
                    good_max_percent__lte=100
                    - models.F("fairly_good_max_percent")
                    - models.F("poor_min_percent")
                ),
                name="appraisalrule_quotas_within_100",
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.version}"

    def terms(self) -> rules.AppraisalTerms:
        return rules.AppraisalTerms(
            version=self.version,
            finding_deduction=self.finding_deduction,
            overdue_deduction=self.overdue_deduction,
            send_back_deduction=self.send_back_deduction,
            study_weight=self.study_weight,
            volunteer_weight=self.volunteer_weight,
            volunteer_hours_target=self.volunteer_hours_target,
            good_max_percent=self.good_max_percent,
            fairly_good_max_percent=self.fairly_good_max_percent,
            poor_min_percent=self.poor_min_percent,
        )


class AppraisalStatus(models.TextChoices):
    DRAFT = "draft", _("评定中")
    CONFIRMED = "confirmed", _("已确认归档")


class Grade(models.TextChoices):
    GOOD = rules.GOOD, _("好")
    FAIRLY_GOOD = rules.FAIRLY_GOOD, _("较好")
    AVERAGE = rules.AVERAGE, _("一般")
    POOR = rules.POOR, _("差")


class Appraisal(models.Model):
    """One year's appraisal of the branches under a root organization (the city), made
    with the rule in force when it was generated (its terms kept with it)."""

    org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    rule_version = models.PositiveIntegerField()
    terms = models.JSONField()
    status = models.CharField(
        max_length=16, choices=AppraisalStatus.choices, default=AppraisalStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField()
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-year", "org"]
        constraints = [
            models.UniqueConstraint(fields=["org", "year"], name="appraisal_one_per_year"),
            models.CheckConstraint(
                condition=Q(status__in=AppraisalStatus.values), name="appraisal_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status="draft", confirmed_at__isnull=True)
                | Q(status="confirmed", confirmed_at__isnull=False),
                name="appraisal_confirmed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.org_id} {self.year}"

    @property
    def is_confirmed(self) -> bool:
        return self.status == AppraisalStatus.CONFIRMED

    def rule_terms(self) -> rules.AppraisalTerms:
        return rules.AppraisalTerms.from_dict(self.terms)


class AppraisalCounty(models.Model):
    """A county's part of an appraisal: its branches' count (what its quotas are taken
    of) and whether it has submitted its proposal to the city."""

    appraisal = models.ForeignKey(Appraisal, on_delete=models.CASCADE, related_name="counties")
    county = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    branches = models.PositiveIntegerField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["appraisal", "county__path"]
        constraints = [
            models.UniqueConstraint(fields=["appraisal", "county"], name="appraisalcounty_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.appraisal_id}: {self.county_id}"


class AppraisalEntry(models.Model):
    """One branch in a year's appraisal: its figures, score and rank in its county, and
    its grade as the system proposed it, the county proposed it and the city changed it
    (with the reason); `final_grade` is set when the city confirms."""

    appraisal = models.ForeignKey(Appraisal, on_delete=models.CASCADE, related_name="entries")
    branch = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    county = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    mean_hundredths = models.PositiveIntegerField()
    findings = models.PositiveIntegerField()
    overdue = models.PositiveIntegerField()
    send_backs = models.PositiveIntegerField()
    # Shares and hours as figures: None where the rule does not weigh them.
    study_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    volunteer_hours = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    members = models.PositiveIntegerField()
    total_hundredths = models.PositiveIntegerField()
    rank = models.PositiveIntegerField()
    proposed_grade = models.CharField(max_length=16, choices=Grade.choices)
    county_grade = models.CharField(max_length=16, choices=Grade.choices, blank=True)
    county_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    county_at = models.DateTimeField(null=True, blank=True)
    city_grade = models.CharField(max_length=16, choices=Grade.choices, blank=True)
    city_reason = models.TextField(blank=True)
    city_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    city_at = models.DateTimeField(null=True, blank=True)
    final_grade = models.CharField(max_length=16, choices=Grade.choices, blank=True)

    class Meta:
        ordering = ["appraisal", "county__path", "rank", "branch__path"]
        indexes = [
            models.Index(fields=["appraisal", "county", "rank"]),
            models.Index(fields=["branch", "appraisal"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["appraisal", "branch"], name="appraisalentry_unique"),
            models.CheckConstraint(
                condition=Q(proposed_grade__in=Grade.values)
                & Q(county_grade__in=["", *Grade.values])
                & Q(city_grade__in=["", *Grade.values])
                & Q(final_grade__in=["", *Grade.values]),
                name="appraisalentry_grades_valid",
            ),
            # The city changes a grade only with its reason.
            models.CheckConstraint(
                condition=Q(city_grade="") | ~Q(city_reason=""),
                name="appraisalentry_city_change_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.appraisal_id}: {self.branch_id}"

    @property
    def total(self):
        from dangjian.scoring.formula import from_hundredths

        return from_hundredths(self.total_hundredths)

    @property
    def mean(self):
        from dangjian.scoring.formula import from_hundredths

        return from_hundredths(self.mean_hundredths)

    @property
    def grade(self) -> str:
        """The grade as it stands: the final one, else the city's, the county's or the
        system's proposal."""
        return self.final_grade or self.city_grade or self.county_grade or self.proposed_grade

    @property
    def grade_label(self) -> str:
        return Grade(self.grade).label

    @property
    def stars(self) -> int | None:
        return rules.stars_for(self.final_grade) if self.final_grade else None

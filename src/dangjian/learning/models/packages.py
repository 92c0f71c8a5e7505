"""The monthly study package (学习套餐, issue 19 point 3): a month's required articles and
one quiz, published by the city to every member and pushed to them in one click.

A county adds to it for its own subtree with an add-on package (`parent` set): its own
extra articles and, if it likes, a quiz of its own. A member's month is complete when the
city's package and the add-ons reaching their branch are all complete (see
`learning.packages`)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dangjian.core.models import MonthlyIssue
from dangjian.learning.models.articles import Article
from dangjian.learning.models.quizzes import Quiz
from dangjian.registry.models import Organization
from dangjian.themedays.models import Campaign


class PackageStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")


class StudyPackage(MonthlyIssue):
    """A month's package of an organization for its subtree: the city's (no parent, with
    its quiz), or a county's add-on to it (`parent`, quiz optional). `campaign` is that
    month's theme-day campaign when there is one. The push is requested once and done in
    batches; `pushed_at` ≥ `push_requested_at` says it ran to the end."""

    org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="addons"
    )
    title = models.CharField(_("套餐名称"), max_length=200)
    description = models.TextField(blank=True)
    quiz = models.ForeignKey(
        Quiz, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    campaign = models.ForeignKey(
        Campaign, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        max_length=16, choices=PackageStatus.choices, default=PackageStatus.DRAFT
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    published_at = models.DateTimeField(null=True, blank=True)
    push_requested_at = models.DateTimeField(null=True, blank=True)
    pushed_at = models.DateTimeField(null=True, blank=True)

    notice_kind = "study_package"

    class Meta:
        ordering = ["-month", "-id"]
        indexes = [models.Index(fields=["month", "status"], name="package_month_status")]
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="package_title_set"),
            models.CheckConstraint(
                condition=Q(status__in=PackageStatus.values), name="package_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="package_published_at",
            ),
            # One package of an organization a month, and one add-on per county to it.
            models.UniqueConstraint(
                fields=["org", "month"],
                condition=Q(parent__isnull=True),
                name="package_one_a_month",
            ),
            models.UniqueConstraint(fields=["org", "parent"], name="package_addon_once"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.title}"

    @property
    def is_addon(self) -> bool:
        return self.parent_id is not None


class PackageArticle(models.Model):
    """A required article of a package, in the package's order."""

    package = models.ForeignKey(StudyPackage, on_delete=models.CASCADE, related_name="items")
    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["package", "article"], name="package_article_once"),
        ]

    def __str__(self) -> str:
        return f"{self.package_id}:{self.article_id}"

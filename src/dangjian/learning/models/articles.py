"""Columns of articles, the articles an organization publishes to its subtree, and each
member's reading of them (docs/product.md, "Learning")."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from dangjian.core.models import StoredAttachment
from dangjian.registry.models import Member, Organization


class Column(models.Model):
    """A column of articles (党内要闻, 政策资讯, ...). The five default ones are made by a
    data migration; more can be added, and a column is retired rather than deleted."""

    code = models.SlugField(max_length=32, unique=True, help_text="Stable code for the API")
    name = models.CharField(_("栏目名称"), max_length=20, unique=True)
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待审核")
    PUBLISHED = "published", _("已发布")
    WITHDRAWN = "withdrawn", _("已撤回")


class Article(models.Model):
    """An article of a column, published by an organization to its own subtree (the city
    reaches everyone, a county its towns and branches). `body` is HTML already sanitized;
    `body_text` is its text, for search and for telling a short article."""

    column = models.ForeignKey(Column, on_delete=models.PROTECT, related_name="articles")
    org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField()
    body_text = models.TextField()
    source = models.CharField(_("来源"), max_length=100, blank=True)
    video_url = models.CharField(max_length=500, blank=True)
    # Re-encoded like activity photos; served only through the scope-checking cover view.
    cover = models.FileField(max_length=200, blank=True)
    cover_thumbnail = models.FileField(max_length=200, blank=True)
    status = models.CharField(
        max_length=16, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-published_at"], name="article_status_published"),
            models.Index(fields=["org", "status"], name="article_org_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ArticleStatus.values), name="article_status_valid"
            ),
            models.CheckConstraint(condition=~Q(title=""), name="article_title_set"),
            models.CheckConstraint(
                condition=Q(video_url="")
                | Q(video_url__startswith="http://")
                | Q(video_url__startswith="https://"),
                name="article_video_http",
            ),
            # A published article went through review: when, and by whom.
            models.CheckConstraint(
                condition=~Q(status="published")
                | Q(published_at__isnull=False, reviewer__isnull=False),
                name="article_published_reviewed",
            ),
            models.CheckConstraint(
                condition=~Q(status="withdrawn") | Q(withdrawn_at__isnull=False),
                name="article_withdrawn_at",
            ),
            # Nobody publishes what they wrote (services answer `author_cannot_publish`).
            models.CheckConstraint(
                condition=Q(reviewer__isnull=True)
                | Q(author__isnull=True)
                | ~Q(reviewer=F("author")),
                name="article_reviewer_not_author",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ArticleAttachment(StoredAttachment):
    """A document or image attached to an article, sniffed like campaign attachments."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="articles/%Y/%m/", max_length=200)

    class Meta:
        ordering = ["created_at", "id"]


class Reading(models.Model):
    """A member's reading of an article, on the server's clock: opened at the latest
    opening, finished when the member reached the end, counted once (`counted_at`) with the
    seconds it took."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="readings")
    opened_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    counted_at = models.DateTimeField(null=True, blank=True)
    seconds = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["member", "counted_at"], name="reading_member_counted")]
        constraints = [
            models.UniqueConstraint(fields=["member", "article"], name="reading_once"),
            models.CheckConstraint(
                condition=Q(finished_at__isnull=True) | Q(finished_at__gte=F("opened_at")),
                name="reading_finished_after_open",
            ),
            models.CheckConstraint(
                condition=Q(counted_at__isnull=True)
                | Q(finished_at__isnull=False, counted_at__gte=F("opened_at")),
                name="reading_counted_when_finished",
            ),
            models.CheckConstraint(
                condition=Q(counted_at__isnull=False) | Q(seconds=0),
                name="reading_seconds_when_counted",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} → {self.article_id}"

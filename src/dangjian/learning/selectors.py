"""Reads for learning, shared by the phone pages, the console and the API: each list starts
from a scoped queryset of `dangjian.permissions`."""

from dataclasses import dataclass
from datetime import date, datetime, time

from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone

from dangjian import permissions
from dangjian.learning.models import Article, ArticleAttachment, ArticleStatus, Column, Reading
from dangjian.registry.models import Member

SEARCH_MAX_CHARS = 50


def columns(*, active_only: bool = True) -> QuerySet[Column]:
    qs = Column.objects.all()
    return qs.filter(is_active=True) if active_only else qs


def _filtered(qs: QuerySet[Article], *, column: Column | None, q: str) -> QuerySet[Article]:
    if column is not None:
        qs = qs.filter(column=column)
    # icontains is a LIKE on SQLite and PostgreSQL alike: Chinese has no case, and a
    # search for a phrase of a title or of the text finds it on both.
    q = (q or "").strip()[:SEARCH_MAX_CHARS]
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(body_text__icontains=q))
    return qs


def articles_for_member(member: Member, *, column: Column | None = None, q: str = ""):
    """The published articles that reach the member's branch, newest first."""
    qs = permissions.articles_reaching(member).select_related("column", "org")
    return _filtered(qs, column=column, q=q).order_by("-published_at", "-id")


def articles_for(
    user, *, column: Column | None = None, q: str = "", status: str | None = None
) -> QuerySet[Article]:
    """The articles the user may read (`permissions.scoped_articles`: the ones of the
    organizations they administer in any state, the published ones reaching them), newest
    first: published by publication, the others by their last change."""
    qs = permissions.scoped_articles(user).select_related("column", "org", "author", "reviewer")
    if status:
        qs = qs.filter(status=status)
    # Drafts (no publication yet) after the published, on SQLite and PostgreSQL alike.
    newest = F("published_at").desc(nulls_last=True)
    return _filtered(qs, column=column, q=q).order_by(newest, "-updated_at", "-id")


def managed_articles(user, *, status: str | None = None, q: str = "") -> QuerySet[Article]:
    """The articles of the organizations the user administers (the console's lists)."""
    qs = Article.objects.filter(permissions.admin_scope_q(user, "org__path"))
    if status:
        qs = qs.filter(status=status)
    qs = qs.select_related("column", "org", "author", "reviewer")
    return _filtered(qs, column=None, q=q).order_by("-updated_at", "-id")


def status_counts(user) -> dict[str, int]:
    """How many articles of the user's organizations are in each state."""
    counts = dict.fromkeys(ArticleStatus.values, 0)
    rows = (
        Article.objects.filter(permissions.admin_scope_q(user, "org__path"))
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
    )
    for status, n in rows:
        counts[status] = n
    return counts


def attachments_of(article: Article) -> list[ArticleAttachment]:
    return list(ArticleAttachment.objects.filter(article=article))


def reading_of(member: Member | None, article: Article) -> Reading | None:
    if member is None:
        return None
    return Reading.objects.filter(member=member, article=article).first()


def counted_article_ids(member: Member, article_ids) -> set[int]:
    """Which of these articles the member's reading counted for (one query a page)."""
    return set(
        Reading.objects.filter(
            member=member, article_id__in=list(article_ids), counted_at__isnull=False
        ).values_list("article_id", flat=True)
    )


def _month_bounds(month: date) -> tuple[datetime, datetime]:
    start = date(month.year, month.month, 1)
    end = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    zone = timezone.get_current_timezone()
    return (
        timezone.make_aware(datetime.combine(start, time.min), zone),
        timezone.make_aware(datetime.combine(end, time.min), zone),
    )


@dataclass(frozen=True)
class StudyMonth:
    month: date
    articles: int
    seconds: int

    @property
    def minutes(self) -> int:
        return self.seconds // 60


def study_month(member: Member, month: date) -> StudyMonth:
    """The member's study in a month (local time): the readings counted in it, and their
    seconds (each at most services.MAX_COUNTED_SECONDS)."""
    start, end = _month_bounds(month)
    row = Reading.objects.filter(
        member=member, counted_at__gte=start, counted_at__lt=end
    ).aggregate(seconds=Sum("seconds"), articles=Count("id"))
    return StudyMonth(
        month=date(month.year, month.month, 1),
        articles=row["articles"] or 0,
        seconds=row["seconds"] or 0,
    )

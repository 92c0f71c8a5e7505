"""Writes for learning: articles through their workflow (draft → submitted → published →
withdrawn; an edit of a withdrawn article makes it a draft again), their cover and
attachments, and members' readings. Keyword-only, permission-checked, transactional; every
admin action is audited in the same transaction (a member's reading is its own record)."""

import math
from urllib.parse import urlsplit

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from dangjian import permissions
from dangjian.audit import services as audit
from dangjian.core import clock
from dangjian.core.errors import DomainError
from dangjian.core.files import save_document
from dangjian.core.locking import locked
from dangjian.interaction import images
from dangjian.learning import richtext
from dangjian.learning.models import Article, ArticleAttachment, ArticleStatus, Column, Reading
from dangjian.permissions import Action
from dangjian.registry.models import Member, Organization, User

TITLE_MAX_CHARS = 200
SOURCE_MAX_CHARS = 100
VIDEO_URL_MAX_CHARS = 500
# The HTML as sent, before sanitizing: a long policy document with its tables fits.
BODY_MAX_CHARS = 200_000
# An article shorter than this (characters of its text) and without a video is short: its
# reading counts when the member reaches its end, without waiting the minimum reading time.
SHORT_ARTICLE_CHARS = 300
# A reading counts at most this long into study minutes: a page left open all afternoon
# is not an afternoon of study.
MAX_COUNTED_SECONDS = 30 * 60
ARTICLE_AUDIT_FIELDS = ("title", "column_id", "org_id", "source", "video_url", "status", "body")
EDITABLE_STATUSES = (ArticleStatus.DRAFT, ArticleStatus.WITHDRAWN)


# The five columns every city starts with (SPEC §6). Migration 0002 made them with its own
# frozen copy of this list; `ensure_default_columns` makes any that are missing (a flushed
# test database, a city that deleted one by hand).
DEFAULT_COLUMNS = [
    ("party_news", "党内要闻"),
    ("policy", "政策资讯"),
    ("party_knowledge", "党务知识"),
    ("county_news", "县区动态"),
    ("cases", "典型经验"),
]


def ensure_default_columns() -> dict[str, Column]:
    """The default columns, made where missing; every column by its code."""
    for position, (code, name) in enumerate(DEFAULT_COLUMNS, start=1):
        Column.objects.get_or_create(code=code, defaults={"name": name, "position": position})
    return {column.code: column for column in Column.objects.all()}


def is_short(article: Article) -> bool:
    return len(article.body_text) < SHORT_ARTICLE_CHARS and not article.video_url


# Articles --------------------------------------------------------------------------------


def _title(title: str) -> str:
    title = (title or "").strip()
    if not title:
        raise DomainError("validation_error", _("请填写标题"), field="title")
    if len(title) > TITLE_MAX_CHARS:
        raise DomainError(
            "validation_error", _("标题不能超过 %d 个字") % TITLE_MAX_CHARS, field="title"
        )
    return title


def _body(body: str) -> tuple[str, str]:
    if len(body or "") > BODY_MAX_CHARS:
        raise DomainError("validation_error", _("正文过长"), field="body")
    cleaned = richtext.clean(body)
    text = richtext.text_of(cleaned)
    if not text:
        raise DomainError("validation_error", _("请填写正文"), field="body")
    return cleaned, text


def _source(source: str) -> str:
    source = (source or "").strip()
    if len(source) > SOURCE_MAX_CHARS:
        raise DomainError(
            "validation_error", _("来源不能超过 %d 个字") % SOURCE_MAX_CHARS, field="source"
        )
    return source


def _video_url(url: str) -> str:
    """An http or https address with a host, or empty: the phone page links to it, so no
    javascript:, data: or other scheme gets in."""
    url = (url or "").strip()
    if not url:
        return ""
    parts = urlsplit(url)
    if (
        len(url) > VIDEO_URL_MAX_CHARS
        or parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
        or any(ch.isspace() for ch in url)
    ):
        raise DomainError(
            "invalid_video_url", _("视频链接须为 http 或 https 开头的网址"), field="video_url"
        )
    # The scheme as the database constraint reads it.
    return parts.scheme.lower() + url[len(parts.scheme) :]


def _column(column: Column) -> Column:
    if not column.is_active:
        raise DomainError("validation_error", _("该栏目已停用"), field="column_id")
    return column


@transaction.atomic
def create_article(
    *,
    actor: User,
    org: Organization,
    column: Column,
    title: str,
    body: str,
    source: str = "",
    video_url: str = "",
) -> Article:
    """An admin of the organization drafts an article it will publish to its subtree."""
    permissions.require(actor, Action.CHANGE, org)
    body, body_text = _body(body)
    now = clock.now()
    article = Article.objects.create(
        org=org,
        column=_column(column),
        title=_title(title),
        body=body,
        body_text=body_text,
        source=_source(source),
        video_url=_video_url(video_url),
        status=ArticleStatus.DRAFT,
        author=actor,
        created_at=now,
        updated_at=now,
    )
    audit.record(
        actor=actor,
        action="article.create",
        obj=article,
        org=org,
        after=audit.snapshot(article, ARTICLE_AUDIT_FIELDS),
    )
    return article


def _locked(article: Article) -> Article:
    return locked(article, "org", "column")


def _locked_editable(article: Article) -> Article:
    """The article locked for a change of its content, which only a draft or a withdrawn
    article takes (a submitted or published one is what its reviewer saw)."""
    article = _locked(article)
    if article.status not in EDITABLE_STATUSES:
        raise DomainError("not_editable", _("只有草稿或已撤回的文章可以修改"))
    return article


@transaction.atomic
def edit_article(
    *,
    actor: User,
    article: Article,
    column: Column | None = None,
    title: str | None = None,
    body: str | None = None,
    source: str | None = None,
    video_url: str | None = None,
) -> Article:
    """Change a draft (None leaves a field as it is). A withdrawn article may be corrected
    too, and becomes a draft again, to be submitted and reviewed anew."""
    permissions.require(actor, Action.CHANGE, article)
    article = _locked_editable(article)
    before = audit.snapshot(article, ARTICLE_AUDIT_FIELDS)
    if column is not None:
        article.column = _column(column)
    if title is not None:
        article.title = _title(title)
    if body is not None:
        article.body, article.body_text = _body(body)
    if source is not None:
        article.source = _source(source)
    if video_url is not None:
        article.video_url = _video_url(video_url)
    article.status = ArticleStatus.DRAFT
    article.updated_at = clock.now()
    article.save()
    audit.record_changes(
        actor=actor,
        action="article.edit",
        obj=article,
        org=article.org,
        before=before,
        after=audit.snapshot(article, ARTICLE_AUDIT_FIELDS),
    )
    return article


def set_article_cover(*, actor: User, article: Article, file) -> Article:
    """The article's cover: an image processed as activity photos are (sniffed, size- and
    pixel-limited, re-encoded as JPEG without its metadata, with a thumbnail). The image
    work runs before the transaction; the previous cover's files are deleted after it."""
    permissions.require(actor, Action.CHANGE, article)
    stored = images.store_upload(file, folder="articles/covers")
    try:
        with transaction.atomic():
            article = _locked_editable(article)
            old = [name for name in (article.cover.name, article.cover_thumbnail.name) if name]
            article.cover, article.cover_thumbnail = stored.image, stored.thumbnail
            article.updated_at = clock.now()
            article.save(update_fields=["cover", "cover_thumbnail", "updated_at"])
            audit.record(
                actor=actor,
                action="article.cover",
                obj=article,
                org=article.org,
                after={"width": stored.processed.width, "height": stored.processed.height},
            )
    except Exception:
        stored.discard()
        raise
    transaction.on_commit(lambda: [default_storage.delete(name) for name in old])
    return article


@transaction.atomic
def add_article_attachment(*, actor: User, article: Article, file, name: str) -> ArticleAttachment:
    """A document or image for the article: PDF, PNG, JPEG or WebP, recognised from its
    content, at most CAMPAIGN_ATTACHMENT_MAX_BYTES (the limit of campaigns' files)."""
    permissions.require(actor, Action.CHANGE, article)
    article = _locked_editable(article)
    attachment = ArticleAttachment(article=article)
    noted = save_document(attachment, file, name=name, created_at=clock.now())
    audit.record(actor=actor, action="article.attach", obj=article, org=article.org, after=noted)
    return attachment


# An article's steps: the statuses it may leave (else this refusal) and the one it reaches,
# with the time it notes (a publication also notes its reviewer).
ARTICLE_STEPS = {
    "submit": (
        (ArticleStatus.DRAFT,),
        ArticleStatus.SUBMITTED,
        "submitted_at",
        N_("只有草稿可以提交审核"),
    ),
    "publish": (
        (ArticleStatus.SUBMITTED,),
        ArticleStatus.PUBLISHED,
        "published_at",
        N_("只有待审核的文章可以发布"),
    ),
    "withdraw": (
        (ArticleStatus.SUBMITTED, ArticleStatus.PUBLISHED),
        ArticleStatus.WITHDRAWN,
        "withdrawn_at",
        N_("只有待审核或已发布的文章可以撤回"),
    ),
}


def _move(*, actor: User, article: Article, step: str) -> Article:
    allowed, to, noted_at, message = ARTICLE_STEPS[step]
    article = _locked(article)
    if article.status not in allowed:
        raise DomainError("invalid_status", _(message), status=article.status)
    before = article.status
    now = clock.now()
    article.status = to
    article.updated_at = now
    setattr(article, noted_at, now)
    fields = ["status", "updated_at", noted_at]
    if to == ArticleStatus.PUBLISHED:
        article.reviewer = actor
        fields.append("reviewer")
    article.save(update_fields=fields)
    audit.record(
        actor=actor,
        action=f"article.{step}",
        obj=article,
        org=article.org,
        before={"status": before},
        after={"status": to},
    )
    return article


@transaction.atomic
def submit_article(*, actor: User, article: Article) -> Article:
    """The editor hands a draft to review."""
    permissions.require(actor, Action.CHANGE, article)
    return _move(actor=actor, article=article, step="submit")


@transaction.atomic
def publish_article(*, actor: User, article: Article) -> Article:
    """A reviewer (an admin of the publishing organization or above, not the author)
    publishes a submitted article: from now on it reaches the organization's subtree."""
    permissions.require(actor, Action.REVIEW, article)
    permissions.require_not_author(actor, article)
    return _move(actor=actor, article=article, step="publish")


@transaction.atomic
def withdraw_article(*, actor: User, article: Article) -> Article:
    """Take a published article down, or send a submitted one back to its editor. Readings
    already counted stay counted."""
    permissions.require(actor, Action.REVIEW, article)
    return _move(actor=actor, article=article, step="withdraw")


# Reading ---------------------------------------------------------------------------------


def _check_reaches(member: Member, article: Article) -> None:
    if article.status != ArticleStatus.PUBLISHED:
        raise DomainError("not_published", _("该文章未发布"))
    if not permissions.article_reaches(article, member):
        raise DomainError("not_in_scope", _("该文章不是面向您所在党组织发布的，阅读不计入学习记录"))


@transaction.atomic
def start_reading(*, member: Member, article: Article) -> Reading:
    """The member opens the article: the server notes when. Opening it again before the
    reading counted starts the clock again (the minimum time is read in one sitting);
    after it counted, nothing changes."""
    _check_reaches(member, article)
    now = clock.now()
    reading, created = Reading.objects.get_or_create(
        member=member, article=article, defaults={"opened_at": now}
    )
    if not created and reading.counted_at is None:
        reading.opened_at = now
        reading.save(update_fields=["opened_at"])
    return reading


def seconds_left(reading: Reading, article: Article) -> int:
    """How long until the reading may count (0 once it may, or has)."""
    if reading.counted_at is not None:
        return 0
    elapsed = (clock.now() - reading.opened_at).total_seconds()
    return max(0, math.ceil(settings.LEARNING_MIN_READING_SECONDS - elapsed))


@transaction.atomic
def finish_reading(*, member: Member, article: Article, reached_end: bool = False) -> Reading:
    """The member has read the article. It counts, once, when it has been open at least
    LEARNING_MIN_READING_SECONDS on the server's clock since it was last opened, or, for a
    short article (`is_short`), when the member reached its end. Refused before that with
    `reading_too_short` (and `seconds_left`); a reading that counted already is returned
    unchanged."""
    _check_reaches(member, article)
    reading = Reading.objects.select_for_update().filter(member=member, article=article).first()
    if reading is None:
        raise DomainError("reading_not_started", _("请先打开文章阅读"))
    if reading.counted_at is not None:
        return reading
    now = clock.now()
    left = seconds_left(reading, article)
    if left > 0 and not (reached_end and is_short(article)):
        raise DomainError(
            "reading_too_short",
            _("阅读时间不足，请再阅读 %d 秒") % left,
            seconds_left=left,
        )
    elapsed = int((now - reading.opened_at).total_seconds())
    reading.finished_at = reading.counted_at = now
    reading.seconds = min(elapsed, MAX_COUNTED_SECONDS)
    reading.save(update_fields=["finished_at", "counted_at", "seconds"])
    return reading

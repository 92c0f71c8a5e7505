"""Learning over the API (docs/product.md, "Learning"): columns, articles through their
workflow (draft → submitted → published → withdrawn), their cover and attachments, and a
member's reading, timed by the server."""

from datetime import date, datetime
from typing import Literal

from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate
from pydantic import Field

from dangjian import permissions
from dangjian.api.auth import actor
from dangjian.api.files import image_upload
from dangjian.api.pagination import Page
from dangjian.api.schemas import ErrorOut, UserName
from dangjian.core import clock
from dangjian.core.errors import DomainError
from dangjian.core.files import attachment_response
from dangjian.learning import selectors, services
from dangjian.learning.models import Article, Column, Reading
from dangjian.permissions import Action

router = Router(tags=["learning"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 413: ErrorOut, 422: ErrorOut}


class ColumnOut(Schema):
    id: int
    code: str
    name: str


@router.get("/columns", response={200: list[ColumnOut], **ERRORS})
def list_columns(request):
    """The columns in use, in their order (党内要闻, 政策资讯, 党务知识, 县区动态, 典型经验 by
    default)."""
    return selectors.columns()


def _column(column_id: int) -> Column:
    column = selectors.columns().filter(pk=column_id).first()
    if column is None:
        raise DomainError("validation_error", _("栏目不存在"), field="column_id")
    return column


class ArticleAttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    url: str = Field(description="Downloads the file (bearer token; whoever reads the article)")

    @staticmethod
    def resolve_url(attachment) -> str:
        return reverse("api:article_attachment_download", args=[attachment.pk])


class ArticleOut(Schema):
    id: int
    column: ColumnOut
    org: dict = Field(description="The publishing organization (id, name): it reaches its subtree")
    title: str
    source: str
    video_url: str = Field(description="An http or https link, or empty")
    cover_url: str | None = Field(description="The cover image (scope-checked), or null")
    cover_thumbnail_url: str | None
    status: Literal["draft", "submitted", "published", "withdrawn"]
    author: UserName
    reviewer: UserName
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    published_at: datetime | None
    withdrawn_at: datetime | None
    chars: int = Field(description="Characters of the body's text")
    is_short: bool = Field(description="Counted when the end is reached (see reading)")

    @staticmethod
    def resolve_org(article: Article) -> dict:
        return {"id": article.org_id, "name": article.org.name}

    @staticmethod
    def resolve_cover_url(article: Article) -> str | None:
        return reverse("portal:article_cover", args=[article.pk, "full"]) if article.cover else None

    @staticmethod
    def resolve_cover_thumbnail_url(article: Article) -> str | None:
        if not article.cover:
            return None
        return reverse("portal:article_cover", args=[article.pk, "thumb"])

    @staticmethod
    def resolve_chars(article: Article) -> int:
        return len(article.body_text)

    @staticmethod
    def resolve_is_short(article: Article) -> bool:
        return services.is_short(article)


class ArticleDetailOut(ArticleOut):
    body: str = Field(description="Sanitized HTML, safe to show as it is")
    attachments: list[ArticleAttachmentOut]
    reading: dict | None = Field(
        description="The caller's own reading, when they are a member: opened_at, "
        "finished_at, counted_at, seconds, seconds_left"
    )

    @staticmethod
    def resolve_attachments(article: Article) -> list:
        return selectors.attachments_of(article)

    @staticmethod
    def resolve_reading(article: Article, context) -> dict | None:
        user = actor(context["request"])
        reading = selectors.reading_of(permissions.own_member(user), article)
        return None if reading is None else _reading(reading, article)


class ArticleIn(Schema):
    org_id: int = Field(description="The publishing organization: the article reaches its subtree")
    column_id: int
    title: str = Field(min_length=1, max_length=services.TITLE_MAX_CHARS)
    body: str = Field(
        min_length=1,
        max_length=services.BODY_MAX_CHARS,
        description="HTML; sanitized (scripts, styles, event handlers, images removed)",
    )
    source: str = Field("", max_length=services.SOURCE_MAX_CHARS)
    video_url: str = Field(
        "", max_length=services.VIDEO_URL_MAX_CHARS, description="http/https only"
    )


class ArticlePatch(Schema):
    column_id: int | None = None
    title: str | None = Field(None, min_length=1, max_length=services.TITLE_MAX_CHARS)
    body: str | None = Field(None, min_length=1, max_length=services.BODY_MAX_CHARS)
    source: str | None = Field(None, max_length=services.SOURCE_MAX_CHARS)
    video_url: str | None = Field(None, max_length=services.VIDEO_URL_MAX_CHARS)


class ArticleFilters(Schema):
    column_id: int | None = None
    q: str = Field("", max_length=selectors.SEARCH_MAX_CHARS, description="In title and text")
    status: Literal["draft", "submitted", "published", "withdrawn"] | None = None


@router.get("/articles", response={200: list[ArticleOut], **ERRORS})
@paginate(Page)
def list_articles(request, filters: Query[ArticleFilters]):
    """The articles the caller may read, newest first: published ones that reach them (a
    county's reach its subtree, the city's everyone) and, for admins, every article of the
    organizations they administer, in any state."""
    column = _column(filters.column_id) if filters.column_id is not None else None
    return selectors.articles_for(actor(request), column=column, q=filters.q, status=filters.status)


@router.get("/articles/{article_id}", response={200: ArticleDetailOut, **ERRORS})
def get_article(request, article_id: int):
    """One article with its body. Missing and out of scope answer the same 404."""
    return permissions.access_article(actor(request), article_id)


@router.post("/articles", response={201: ArticleDetailOut, **ERRORS})
def create_article(request, payload: ArticleIn):
    """A draft, by an admin of the publishing organization (404 for an organization out of
    scope, 403 for one they read but do not administer). 422 `invalid_video_url`."""
    user = actor(request)
    org = permissions.access_org(user, payload.org_id, Action.CHANGE)
    article = services.create_article(
        actor=user,
        org=org,
        column=_column(payload.column_id),
        **payload.dict(exclude={"org_id", "column_id"}),
    )
    return Status(201, article)


@router.patch("/articles/{article_id}", response={200: ArticleDetailOut, **ERRORS})
def edit_article(request, article_id: int, payload: ArticlePatch):
    """Change a draft or a withdrawn article (which becomes a draft again); 409
    `not_editable` otherwise."""
    user = actor(request)
    article = permissions.access_article(user, article_id, Action.CHANGE)
    changes = payload.dict(exclude_unset=True)
    if changes.get("column_id") is not None:
        changes["column"] = _column(changes["column_id"])
    changes.pop("column_id", None)
    return services.edit_article(actor=user, article=article, **changes)


@router.post("/articles/{article_id}/cover", response={200: ArticleDetailOut, **ERRORS})
def set_cover(request, article_id: int, file: File[UploadedFile]):
    """Multipart `file`: an image processed as activity photos are (JPEG, PNG, WebP or
    HEIC; 422 `unsupported_file`, `file_too_large`, `image_too_large`)."""
    user = actor(request)
    article = permissions.access_article(user, article_id, Action.CHANGE)
    return image_upload(
        200, lambda: services.set_article_cover(actor=user, article=article, file=file)
    )


@router.post("/articles/{article_id}/attachments", response={201: ArticleAttachmentOut, **ERRORS})
def add_attachment(request, article_id: int, file: File[UploadedFile]):
    """Multipart `file`: PDF, PNG, JPEG or WebP, recognised from its content."""
    user = actor(request)
    article = permissions.access_article(user, article_id, Action.CHANGE)
    attachment = services.add_article_attachment(
        actor=user, article=article, file=file, name=file.name
    )
    return Status(201, attachment)


@router.get(
    "/article-attachments/{attachment_id}/download",
    response={200: None, **ERRORS},
    url_name="article_attachment_download",
)
def download_attachment(request, attachment_id: int):
    """An article's file, for whoever reads the article."""
    attachment = permissions.access_article_attachment(actor(request), attachment_id)
    return attachment_response(attachment)


def _transition(request, article_id: int, action: Action, fn):
    user = actor(request)
    article = permissions.access_article(user, article_id, action)
    return fn(actor=user, article=article)


@router.post("/articles/{article_id}/submit", response={200: ArticleDetailOut, **ERRORS})
def submit_article(request, article_id: int):
    """Draft → submitted, by an admin of the publishing organization. 409 `invalid_status`."""
    return _transition(request, article_id, Action.CHANGE, services.submit_article)


@router.post("/articles/{article_id}/publish", response={200: ArticleDetailOut, **ERRORS})
def publish_article(request, article_id: int):
    """Submitted → published, by an admin of the publishing organization (or above) who is
    not the author: 403 `author_cannot_publish`. 409 `invalid_status`."""
    return _transition(request, article_id, Action.REVIEW, services.publish_article)


@router.post("/articles/{article_id}/withdraw", response={200: ArticleDetailOut, **ERRORS})
def withdraw_article(request, article_id: int):
    """Submitted or published → withdrawn (taken down, or sent back to its editor), by an
    admin of the publishing organization. 409 `invalid_status`."""
    return _transition(request, article_id, Action.REVIEW, services.withdraw_article)


# Reading ---------------------------------------------------------------------------------


class ReadingIn(Schema):
    action: Literal["start", "finish"] = Field(
        description="start when the article is opened, finish when it has been read"
    )
    reached_end: bool = Field(
        False, description="finish: the reader reached the end (counts for a short article)"
    )


class ReadingOut(Schema):
    article_id: int
    opened_at: datetime
    finished_at: datetime | None
    counted: bool
    counted_at: datetime | None
    seconds: int = Field(description="Reading time counted into study minutes")
    seconds_left: int = Field(description="Until a finish may count, on the server's clock")
    server_time: datetime


def _reading(reading: Reading, article: Article) -> dict:
    return {
        "article_id": article.pk,
        "opened_at": reading.opened_at,
        "finished_at": reading.finished_at,
        "counted": reading.counted_at is not None,
        "counted_at": reading.counted_at,
        "seconds": reading.seconds,
        "seconds_left": services.seconds_left(reading, article),
        "server_time": clock.now(),
    }


@router.post("/articles/{article_id}/reading", response={200: ReadingOut, **ERRORS})
def reading(request, article_id: int, payload: ReadingIn):
    """One endpoint for both ends of a reading, timed by the server. `start` notes the
    opening (again: the clock starts again, until the reading has counted). `finish`
    counts the reading, once, when the article has been open LEARNING_MIN_READING_SECONDS
    (60 by default) since it was last opened, or at once for a short article (under 300
    characters of text, no video) with `reached_end`; earlier: 409 `reading_too_short`
    with `seconds_left`. A reading that counted is answered as it is. 409
    `reading_not_started` (finish before start), 409 `not_published`, 403 `not_in_scope`
    for a caller who reads the article (as an admin) but is not a member it reaches."""
    user = actor(request)
    article = permissions.access_article(user, article_id)
    member = permissions.own_member(user)
    if member is None:
        raise DomainError("not_in_scope", _("只有党员的阅读计入学习记录"))
    if payload.action == "start":
        found = services.start_reading(member=member, article=article)
    else:
        found = services.finish_reading(
            member=member, article=article, reached_end=payload.reached_end
        )
    return _reading(found, article)


class StudyOut(Schema):
    month: str
    articles: int = Field(description="Readings counted in the month")
    minutes: int = Field(description="Their reading time, in whole minutes")


@router.get("/me/study", response={200: StudyOut, **ERRORS})
def my_study(
    request,
    month: str | None = Query(
        None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM; this month by default"
    ),
):
    """The caller's study in a month (Asia/Shanghai): articles whose reading counted, and
    study minutes. 403 `not_in_scope` for an account without a member record."""
    member = permissions.own_member(actor(request))
    if member is None:
        raise DomainError("not_in_scope", _("只有党员有学习记录"))
    day = clock.today() if month is None else date(int(month[:4]), int(month[5:]), 1)
    study = selectors.study_month(member, day)
    return {"month": f"{study.month:%Y-%m}", "articles": study.articles, "minutes": study.minutes}

"""The monthly study package under /api/v1/ (issue 19, point 3): list, create (the city's
package or a county's add-on), publish, push to every member in scope, completion per
branch, county or sector, and a member's own progress."""

from datetime import date
from typing import Literal

from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from dangjian import permissions
from dangjian.api.auth import actor
from dangjian.api.schemas import ErrorOut
from dangjian.core import clock
from dangjian.core.errors import DomainError
from dangjian.learning import packages
from dangjian.learning.models import StudyPackage
from dangjian.permissions import Action

router = Router(tags=["packages"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class PackageOut(Schema):
    id: int
    org: dict
    parent_id: int | None
    month: str
    title: str
    description: str
    status: str
    quiz_id: int | None
    campaign_id: int | None
    article_ids: list[int]
    published_at: str | None
    push_requested_at: str | None
    pushed_at: str | None
    notified_members: int


def _out(package: StudyPackage) -> dict:
    def moment(value):
        return value.isoformat() if value else None

    return {
        "id": package.pk,
        "org": {"id": package.org_id, "name": package.org.name},
        "parent_id": package.parent_id,
        "month": package.month_label,
        "title": package.title,
        "description": package.description,
        "status": package.status,
        "quiz_id": package.quiz_id,
        "campaign_id": package.campaign_id,
        "article_ids": [i.article_id for i in packages.package_items(package)],
        "published_at": moment(package.published_at),
        "push_requested_at": moment(package.push_requested_at),
        "pushed_at": moment(package.pushed_at),
        "notified_members": package.notified_members,
    }


class PackageRow(Schema):
    id: int
    org: dict
    parent_id: int | None
    month: str
    title: str
    status: str
    quiz_id: int | None
    articles: int


@router.get("/packages", response={200: list[PackageRow], **ERRORS})
def list_packages(request):
    """The packages the caller may read, newest month first."""
    return [
        {
            "id": p.pk,
            "org": {"id": p.org_id, "name": p.org.name},
            "parent_id": p.parent_id,
            "month": p.month_label,
            "title": p.title,
            "status": p.status,
            "quiz_id": p.quiz_id,
            "articles": p.article_count,
        }
        for p in packages.packages_for(actor(request))[:200]
    ]


class PackageIn(Schema):
    org_id: int
    month: str
    title: str
    article_ids: list[int]
    quiz_id: int | None = None
    description: str = ""
    parent_id: int | None = None


@router.post("/packages", response={201: PackageOut, **ERRORS})
def create_package(request, payload: PackageIn):
    """A draft package: the city's for a month (articles and a quiz), or with `parent_id` a
    county's add-on for its subtree. 422 `invalid_org`, `not_in_scope` (an article or quiz
    that does not reach the package's scope), 409 `package_exists`."""
    user = actor(request)
    org = permissions.access_org(user, payload.org_id, Action.CHANGE)
    articles = [permissions.access_article(user, pk) for pk in payload.article_ids[:60]]
    quiz = permissions.access_quiz(user, payload.quiz_id) if payload.quiz_id else None
    parent = permissions.access_package(user, payload.parent_id) if payload.parent_id else None
    package = packages.create_package(
        actor=user,
        org=org,
        month=payload.month,
        title=payload.title,
        articles=articles,
        quiz=quiz,
        description=payload.description,
        parent=parent,
    )
    return Status(201, _out(package))


@router.get("/packages/{package_id}", response={200: PackageOut, **ERRORS})
def get_package(request, package_id: int):
    return _out(permissions.access_package(actor(request), package_id))


@router.post("/packages/{package_id}/publish", response={200: PackageOut, **ERRORS})
def publish_package(request, package_id: int):
    """409 `already_published`, `quiz_not_published`, `article_not_published`."""
    user = actor(request)
    package = permissions.access_package(user, package_id, Action.CHANGE)
    return _out(packages.publish_package(actor=user, package=package))


class PushOut(Schema):
    already_pushed: bool


@router.post("/packages/{package_id}/push", response={202: PushOut, **ERRORS})
def push_package(request, package_id: int):
    """Notify every active member in scope, in the background; idempotent (a second push
    notifies nobody twice). 409 `package_not_published`."""
    user = actor(request)
    package = permissions.access_package(user, package_id, Action.CHANGE)
    return Status(202, packages.push_package(actor=user, package=package))


class CompletionFilters(Schema):
    by: Literal["branch", "county", "sector"] = "branch"


@router.get("/packages/{package_id}/completion", response={200: list[dict], **ERRORS})
def package_completion(request, package_id: int, filters: Query[CompletionFilters]):
    """Members and completed members of the package's month, per branch (with county and
    town), county or sector, within the package's scope. Admins of its organization."""
    user = actor(request)
    package = permissions.access_package(user, package_id, Action.CHANGE)
    rows = packages.completion_by_branch(package.month, package.org)
    if filters.by != "branch":
        return packages.completion_grouped(rows, filters.by)
    return [
        {
            "branch_id": r.branch_id,
            "branch": r.branch,
            "county": r.county,
            "town": r.town,
            "sector": r.sector,
            "members": r.members,
            "complete": r.complete,
            "percent": r.percent,
        }
        for r in rows
    ]


class ProgressFilters(Schema):
    month: str | None = None


@router.get("/me/packages", response={200: list[dict], **ERRORS})
def my_progress(request, filters: Query[ProgressFilters]):
    """The caller's packages of the month (this month by default) with the articles read
    and the quiz passed or not. 403 `not_in_scope` for a caller who is not a member."""
    member = permissions.own_member(actor(request))
    if member is None:
        raise DomainError("not_in_scope", _("只有党员有学习套餐"))
    month = clock.today()
    if filters.month:
        try:
            year, mon = filters.month.split("-")
            month = date(int(year), int(mon), 1)
        except ValueError as exc:
            raise DomainError("validation_error", _("月份格式应为 YYYY-MM"), field="month") from exc
    return [
        {
            "package_id": p.package.pk,
            "title": p.package.title,
            "month": p.package.month_label,
            "articles": [{"id": a.pk, "title": a.title, "read": done} for a, done in p.articles],
            "articles_read": p.articles_read,
            "quiz": None
            if p.quiz is None
            else {
                "id": p.quiz.quiz.pk,
                "title": p.quiz.quiz.title,
                "grade": None if p.quiz.grade is None else str(p.quiz.grade),
                "passed": p.quiz.passed,
            },
            "complete": p.complete,
        }
        for p in packages.member_progress(member, month)
    ]

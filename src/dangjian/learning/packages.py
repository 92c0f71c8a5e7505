"""The monthly study package (学习套餐, issue 19 point 3): its services (create, publish,
push to every member in scope) and its reads (a member's progress, completion per branch,
county or sector).

The city's package reaches everyone; a county adds to it with an add-on package for its
subtree (`StudyPackage.parent`), which carries the county's extra articles and, if it
likes, a quiz of its own. A member's month is complete when every published package of the
month that reaches their branch is: each required article read (a counted `Reading`) and
each package's quiz passed by the quiz's grading method."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from django.db import transaction
from django.db.models import Count, Prefetch, Q
from django.utils.translation import gettext as _

from dangjian import permissions
from dangjian.audit import services as audit
from dangjian.core import clock
from dangjian.core.errors import DomainError
from dangjian.core.scheduling import resume_unfinished
from dangjian.core.text import checked_text
from dangjian.learning import grading
from dangjian.learning.models import (
    Article,
    ArticleStatus,
    Attempt,
    PackageArticle,
    PackageStatus,
    Quiz,
    QuizStatus,
    Reading,
    StudyPackage,
)
from dangjian.learning.publishing import publish_draft
from dangjian.notifications import services as notifications
from dangjian.permissions import Action
from dangjian.registry.models import Member, Organization, OrgKind, User
from dangjian.themedays import schedule
from dangjian.themedays.models import Campaign

PUSH_RESUME_AFTER = timedelta(minutes=10)
MAX_ARTICLES = 50
AUDIT_FIELDS = ["org_id", "parent_id", "month", "title", "quiz_id", "campaign_id", "status"]


def _reaches_org(source: Organization, org: Organization) -> bool:
    return org.path.startswith(source.path)


def _check_articles(org: Organization, articles: list[Article]) -> list[Article]:
    order = list(dict.fromkeys(a.pk for a in articles))
    # Read again: the caller's objects may predate a publication or a withdrawal.
    fresh = Article.objects.select_related("org").in_bulk(order)
    unique = [fresh[pk] for pk in order if pk in fresh]
    if len(unique) > MAX_ARTICLES:
        raise DomainError("validation_error", _("必学文章过多"), field="articles")
    for article in unique:
        # Each required article must reach every member the package reaches.
        if article.status != ArticleStatus.PUBLISHED or not _reaches_org(article.org, org):
            raise DomainError(
                "not_in_scope", _("必学文章须为已发布且覆盖本套餐范围的文章"), field="articles"
            )
    return unique


def _check_quiz(org: Organization, quiz: Quiz | None) -> None:
    if quiz is not None and not _reaches_org(quiz.org, org):
        raise DomainError("not_in_scope", _("测试须覆盖本套餐范围"), field="quiz")


def month_campaign(org: Organization, month: date) -> Campaign | None:
    """The month's theme-day campaign issued at or above the package's organization (the
    nearest one), if there is one."""
    paths = [org.path, *org.ancestor_paths()]
    return (
        Campaign.objects.filter(month=month, parent__isnull=True, org__path__in=paths)
        .order_by("-org__depth", "-id")
        .first()
    )


@transaction.atomic
def create_package(
    *,
    actor: User,
    org: Organization,
    month: date | str,
    title: str,
    articles: list[Article],
    quiz: Quiz | None = None,
    description: str = "",
    parent: StudyPackage | None = None,
) -> StudyPackage:
    """The city's package of a month (articles and one quiz), or with `parent` a county's
    add-on to it for its subtree (articles, a quiz or both)."""
    permissions.require(actor, Action.CHANGE, org)
    message = _("套餐名称不能为空，且不超过200个字")
    title = checked_text(title, field="title", missing=message, limit=200, too_long=message)
    if parent is None:
        if org.depth != 1:
            raise DomainError("invalid_org", _("学习套餐由市级党组织发布，县区可补充本县区内容"))
        first = schedule.first_of_month(month)
        if quiz is None or not articles:
            raise DomainError("validation_error", _("学习套餐须包含必学文章和一项测试"))
    else:
        if parent.is_addon or not _reaches_org(parent.org, org) or org.pk == parent.org_id:
            raise DomainError("invalid_org", _("只能为上级党组织的学习套餐补充本组织的内容"))
        if org.kind == OrgKind.BRANCH:
            raise DomainError("invalid_org", _("党支部不能补充学习套餐"))
        first = parent.month
        if quiz is None and not articles:
            raise DomainError("validation_error", _("请添加补充的必学文章或测试"))
    items = _check_articles(org, articles)
    _check_quiz(org, quiz)
    taken = StudyPackage.objects.filter(org=org)
    taken = taken.filter(parent=parent) if parent else taken.filter(month=first, parent=None)
    if taken.exists():
        raise DomainError("package_exists", _("本月已有该组织的学习套餐"))
    now = clock.now()
    package = StudyPackage.objects.create(
        org=org,
        parent=parent,
        month=first,
        title=title,
        description=(description or "").strip(),
        quiz=quiz,
        campaign=month_campaign(org, first),
        author=actor,
        created_at=now,
        updated_at=now,
    )
    PackageArticle.objects.bulk_create(
        [PackageArticle(package=package, article=a, position=i) for i, a in enumerate(items)]
    )
    after = {**audit.snapshot(package, AUDIT_FIELDS), "articles": [a.pk for a in items]}
    audit.record(actor=actor, action="package.create", obj=package, org=org, after=after)
    return package


@transaction.atomic
def publish_package(*, actor: User, package: StudyPackage) -> StudyPackage:
    """Members see the package once it is published; its articles and quiz must be
    published by then (and an add-on's package above it)."""
    permissions.require(actor, Action.CHANGE, package)
    package = StudyPackage.objects.select_for_update().get(pk=package.pk)
    if package.status == PackageStatus.PUBLISHED:
        raise DomainError("already_published", _("学习套餐已发布"))
    if package.quiz_id and package.quiz.status != QuizStatus.PUBLISHED:
        raise DomainError("quiz_not_published", _("请先发布套餐中的测试"))
    withdrawn = package.items.exclude(article__status=ArticleStatus.PUBLISHED).exists()
    if withdrawn:
        raise DomainError("article_not_published", _("套餐中有未发布或已撤回的文章"))
    if package.parent_id and package.parent.status != PackageStatus.PUBLISHED:
        raise DomainError("parent_not_published", _("请先发布上级的学习套餐"))
    publish_draft(actor=actor, item=package, statuses=PackageStatus, action="package.publish")
    return package


@transaction.atomic
def push_package(*, actor: User, package: StudyPackage) -> dict:
    """One click: every active member in the package's scope gets a notice in the inbox and
    through the enabled channels. The work runs in the background in batches and is
    idempotent (one notice per member and package), so a second click, or a run resumed
    after a crash, notifies nobody twice."""
    permissions.require(actor, Action.CHANGE, package)
    package = StudyPackage.objects.select_for_update().get(pk=package.pk)
    if package.status != PackageStatus.PUBLISHED:
        raise DomainError("package_not_published", _("请先发布学习套餐再推送"))
    from dangjian.learning.tasks import push_study_package

    # A second click asks for a run again: resume_pushes sees it unfinished until it ends.
    return notifications.request_fanout(
        actor=actor,
        issue=package,
        requested="push_requested_at",
        task=push_study_package,
        action="package.push",
        noted="already_pushed",
        restamp=True,
    )


def push(package_id: int) -> StudyPackage:
    """The background half of push_package: batches of branches, each in its own
    transaction; the total is counted at the end, so repeated runs agree."""
    package = StudyPackage.objects.select_related("org").get(pk=package_id)
    branch_ids = list(
        Organization.objects.filter(
            path__startswith=package.org.path, kind=OrgKind.BRANCH
        ).values_list("pk", flat=True)
    )
    title = _("本月学习套餐：%s") % package.title
    body = _("%(month)s 学习套餐已发布，请按时完成必学文章和学习测试。") % {
        "month": package.month_label
    }
    notifications.notify_branch_members(
        branch_ids=branch_ids,
        kind=package.notice_kind,
        title=title,
        body=body,
        link="/m/learning/",
        dedupe_key=package.dedupe_key,
    )
    StudyPackage.objects.filter(pk=package.pk).update(
        notified_members=notifications.count_with_key(package.dedupe_key),
        pushed_at=clock.now(),
    )
    package.refresh_from_db()
    return package


def resume_pushes() -> int:
    """Scheduled safety net: run again the pushes requested a while ago and not finished
    (never queued with Redis down, or lost with a worker); push() is idempotent."""
    return resume_unfinished(
        StudyPackage.objects.all(),
        requested="push_requested_at",
        finished="pushed_at",
        after=PUSH_RESUME_AFTER,
        run=push,
    )


# Reads -----------------------------------------------------------------------------------


def packages_for(user, *, month: date | None = None):
    qs = permissions.scoped_packages(user).select_related("org", "quiz", "parent")
    if month is not None:
        qs = qs.filter(month=month)
    return qs.annotate(article_count=Count("items")).order_by("-month", "org__path", "-id")


def package_items(package: StudyPackage) -> list[PackageArticle]:
    return list(package.items.select_related("article", "article__column").order_by("position"))


def _month_packages(month: date, scope: Organization) -> list[StudyPackage]:
    """The published packages of the month reaching anyone in `scope`: those issued at or
    above it and the add-ons inside it."""
    above = [scope.path, *scope.ancestor_paths()]
    return list(
        StudyPackage.objects.filter(month=month, status=PackageStatus.PUBLISHED)
        .filter(Q(org__path__in=above) | Q(org__path__startswith=scope.path))
        .select_related("org", "quiz")
        .prefetch_related(
            Prefetch("items", PackageArticle.objects.only("package_id", "article_id"))
        )
    )


def _passed(quizzes: dict[int, Quiz], member_filter: Q) -> set[tuple[int, int]]:
    """(member, quiz) pairs whose grade by the quiz's grading method passes: one query."""
    rows = (
        Attempt.objects.filter(member_filter, quiz_id__in=list(quizzes), finished_at__isnull=False)
        .order_by("member_id", "quiz_id", "number")
        .values_list("member_id", "quiz_id", "number", "grade")
    )
    grades: dict[tuple[int, int], list] = defaultdict(list)
    for member_id, quiz_id, number, grade in rows:
        grades[member_id, quiz_id].append(grading.AttemptGrade(number, grade))
    passed = set()
    for (member_id, quiz_id), attempts in grades.items():
        quiz = quizzes[quiz_id]
        grade = grading.quiz_grade(attempts, quiz.grading_method)
        if grade is not None and grading.passes(grade, quiz.pass_mark):
            passed.add((member_id, quiz_id))
    return passed


def _complete_members(packages: list[StudyPackage], member_filter: Q) -> dict[int, set[int]]:
    """Package id → the members (of `member_filter`) who completed it: one query for the
    readings of all the packages and one for the attempts."""
    done: dict[int, set[int]] = {p.pk: set() for p in packages}
    wanted = {p.pk: {i.article_id for i in p.items.all()} for p in packages}
    counts = {
        f"p{pk}": Count("article_id", distinct=True, filter=Q(article_id__in=ids))
        for pk, ids in wanted.items()
        if ids
    }
    all_ids = set().union(*wanted.values()) if wanted else set()
    read: dict[int, set[int]] = {pk: set() for pk in wanted}
    if counts:
        rows = (
            Reading.objects.filter(member_filter, article_id__in=all_ids, counted_at__isnull=False)
            .values("member_id")
            .annotate(**counts)
        )
        for row in rows:
            for pk, ids in wanted.items():
                if ids and row[f"p{pk}"] == len(ids):
                    read[pk].add(row["member_id"])
    quizzes = {p.quiz_id: p.quiz for p in packages if p.quiz_id}
    passed = _passed(quizzes, member_filter) if quizzes else set()
    for p in packages:
        readers = read[p.pk] if wanted[p.pk] else None
        if p.quiz_id:
            quizzers = {m for m, q in passed if q == p.quiz_id}
            done[p.pk] = quizzers if readers is None else readers & quizzers
        else:
            done[p.pk] = readers or set()
    return done


@dataclass(frozen=True)
class BranchCompletion:
    branch_id: int
    path: str
    branch: str
    county: str
    town: str
    sector: str
    members: int
    complete: int

    @property
    def share(self) -> Fraction | None:
        return None if not self.members else Fraction(self.complete, self.members)

    @property
    def percent(self) -> float | None:
        return None if not self.members else round(100 * self.complete / self.members, 1)


def completion_by_branch(month: date, scope: Organization) -> list[BranchCompletion]:
    """Each branch under `scope` with its active members and how many completed the month
    (every published package of the month reaching their branch), with its county's and
    town's names: a constant number of queries whatever the number of branches."""
    packages = _month_packages(month, scope)
    branches = list(
        Organization.objects.filter(path__startswith=scope.path, kind=OrgKind.BRANCH)
        .order_by("path")
        .values_list("pk", "path", "name", "sector")
    )
    step = Organization.steplen
    names = dict(
        Organization.objects.filter(
            path__in={
                p[: step * d] for _pk, p, _n, _s in branches for d in (2, 3) if len(p) > step * d
            }
        ).values_list("path", "name")
    )
    members = Member.objects.filter(is_active=True, branch__path__startswith=scope.path)
    roster = list(members.values_list("pk", "branch_id"))
    member_filter = Q(member__is_active=True, member__branch__path__startswith=scope.path)
    done = _complete_members(packages, member_filter) if packages else {}
    by_branch_path = {pk: path for pk, path, _n, _s in branches}
    due = {
        b: [p.pk for p in packages if by_branch_path[b].startswith(p.org.path)]
        for b in by_branch_path
    }
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for member_id, branch_id in roster:
        if branch_id not in due:
            continue
        counts = totals[branch_id]
        counts[0] += 1
        if due[branch_id] and all(member_id in done[p] for p in due[branch_id]):
            counts[1] += 1
    return [
        BranchCompletion(
            branch_id=pk,
            path=path,
            branch=name,
            county=names.get(path[: step * 2], ""),
            town=names.get(path[: step * 3], "") if len(path) > step * 3 else "",
            sector=sector,
            members=totals[pk][0],
            complete=totals[pk][1],
        )
        for pk, path, name, sector in branches
    ]


def completion_grouped(rows: list[BranchCompletion], by: str) -> list[dict]:
    """The branch rows summed per county or sector."""
    groups: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        key = row.county if by == "county" else row.sector
        groups[key][0] += row.members
        groups[key][1] += row.complete
    return [
        {"name": key, "members": m, "complete": c, "percent": round(100 * c / m, 1) if m else None}
        for key, (m, c) in sorted(groups.items())
    ]


def completion_percent_by_org(
    month: date, scope: Organization, org_ids: list[int]
) -> dict[int, float | None] | None:
    """Each organization's completion percent of the month's packages (its branches'
    members summed), for the ranking exports; None when no package of the month reaches
    the scope."""
    month = month.replace(day=1)
    if not month_has_package(month, scope):
        return None
    rows = completion_by_branch(month, scope)
    paths = dict(Organization.objects.filter(pk__in=org_ids).values_list("pk", "path"))
    out: dict[int, float | None] = {}
    for org_id, path in paths.items():
        members = complete = 0
        for row in rows:
            if row.path.startswith(path):
                members += row.members
                complete += row.complete
        out[org_id] = round(100 * complete / members, 1) if members else None
    return out


def month_has_package(month: date, scope: Organization) -> bool:
    return bool(_month_packages(month.replace(day=1), scope))


def branch_completion_share(branch: Organization, month: date) -> Fraction | None:
    """The share of the branch's active members who completed the month's packages; None
    when no package of the month reaches it or it has no member (nothing to measure)."""
    rows = completion_by_branch(month.replace(day=1), branch)
    if not rows or not _month_packages(month.replace(day=1), branch):
        return None
    return rows[0].share


@dataclass(frozen=True)
class QuizProgress:
    quiz: Quiz
    grade: Decimal | None
    passed: bool
    attempts: int


@dataclass(frozen=True)
class PackageProgress:
    package: StudyPackage
    articles: list[tuple[Article, bool]]
    quiz: QuizProgress | None

    @property
    def articles_read(self) -> int:
        return sum(1 for _a, read in self.articles if read)

    @property
    def complete(self) -> bool:
        quiz_done = self.quiz is None or self.quiz.passed
        return quiz_done and self.articles_read == len(self.articles)


def _quiz_progress(quiz: Quiz, attempts: list[grading.AttemptGrade]) -> QuizProgress:
    grade = grading.quiz_grade(attempts, quiz.grading_method)
    passed = grade is not None and grading.passes(grade, quiz.pass_mark)
    return QuizProgress(quiz=quiz, grade=grade, passed=passed, attempts=len(attempts))


def member_progress(member: Member, month: date | None = None) -> list[PackageProgress]:
    """The member's packages of the month (this month by default), the city's first, each
    with the required articles read or not and the quiz passed or not."""
    month = (month or clock.today()).replace(day=1)
    packages = list(
        permissions.packages_reaching(member)
        .filter(month=month)
        .select_related("org", "quiz", "quiz__org")
        .prefetch_related(
            Prefetch(
                "items",
                PackageArticle.objects.select_related("article", "article__column").order_by(
                    "position"
                ),
            )
        )
        .order_by("org__depth", "id")
    )
    article_ids = [i.article_id for p in packages for i in p.items.all()]
    read = set(
        Reading.objects.filter(
            member=member, article_id__in=article_ids, counted_at__isnull=False
        ).values_list("article_id", flat=True)
    )
    quiz_ids = [p.quiz_id for p in packages if p.quiz_id]
    attempts: dict[int, list[grading.AttemptGrade]] = defaultdict(list)
    rows = (
        Attempt.objects.filter(member=member, quiz_id__in=quiz_ids)
        .order_by("number")
        .values_list("quiz_id", "number", "grade")
    )
    for quiz_id, number, grade in rows:
        attempts[quiz_id].append(grading.AttemptGrade(number, grade))
    return [
        PackageProgress(
            package=p,
            articles=[(i.article, i.article_id in read) for i in p.items.all()],
            quiz=_quiz_progress(p.quiz, attempts[p.quiz_id]) if p.quiz_id else None,
        )
        for p in packages
    ]


def package_articles_choice(user, org: Organization):
    """The published articles a package of `org` may require: those the user reads that
    reach the whole of `org`'s subtree."""
    above = [org.path, *org.ancestor_paths()]
    return (
        permissions.scoped_articles(user)
        .filter(status=ArticleStatus.PUBLISHED, org__path__in=above)
        .select_related("column")
        .order_by("-published_at", "-id")
    )


def package_quizzes_choice(user, org: Organization):
    above = [org.path, *org.ancestor_paths()]
    return (
        permissions.scoped_quizzes(user)
        .filter(status=QuizStatus.PUBLISHED, org__path__in=above)
        .order_by("-created_at", "-id")
    )


def city_package(org: Organization, month: date) -> StudyPackage | None:
    """The package of the month issued by `org`'s root organization, what a county adds to."""
    root = org.path[: Organization.steplen]
    return StudyPackage.objects.filter(
        org__path=root, month=month.replace(day=1), parent__isnull=True
    ).first()

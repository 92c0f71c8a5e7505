"""Who may do what with learning: articles, the question bank, quizzes and attempts, study
packages (docs/product.md, "Learning"). Part of dangjian.permissions, which re-exports every
name here: callers import the package, never this module."""

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from dangjian.core.errors import DomainError
from dangjian.learning.models import (
    Article,
    ArticleAttachment,
    ArticleStatus,
    Attempt,
    PackageStatus,
    Question,
    QuestionCategory,
    Quiz,
    QuizStatus,
    StudyPackage,
)
from dangjian.permissions import (
    Action,
    _access,
    _in_subtree,
    _member_in_subtree,
    _paths_at_or_above,
    admin_scope_q,
    is_admin_over,
    own_member,
    standing_paths,
)
from dangjian.registry.models import Member


def _can_article(user, action: Action, article: Article) -> bool:
    """The admins of the publishing organization (and above) draft, edit, publish and
    withdraw its articles and read them in any state; a published article is read by those
    it reaches: the members of the organization's subtree and the admins inside it."""
    if is_admin_over(user, article.org):
        return True
    published = article.status == ArticleStatus.PUBLISHED
    return action == Action.READ and published and _in_subtree(user, article.org.path)


def article_reaches(article: Article, member: Member | None) -> bool:
    """A published article reaches the members of its organization's subtree: the city's
    every member, a county's those of its towns and branches. Only they read it as members
    (and their reading counts)."""
    return article.status == ArticleStatus.PUBLISHED and _member_in_subtree(
        member, article.org.path
    )


def require_not_author(user, article: Article) -> None:
    """Nobody publishes an article they wrote (`author_cannot_publish`, whatever else they
    may do): another admin of the publishing organization, or one above it, reviews it."""
    if article.author_id is not None and article.author_id == user.pk:
        raise DomainError(
            "author_cannot_publish", _("不能发布自己撰写的文章，请由其他管理员审核发布。")
        )


def access_article(user, article_id, action: Action | str = Action.READ) -> Article:
    articles = Article.objects.select_related("org", "column", "author", "reviewer")
    return _access(user, articles, article_id, action)


def access_article_attachment(user, attachment_id) -> ArticleAttachment:
    """An article's file, read by whoever reads the article."""
    attachments = ArticleAttachment.objects.select_related("article", "article__org")
    return _access(user, attachments, attachment_id, Action.READ, checked=lambda a: a.article)


def scoped_articles(user) -> QuerySet[Article]:
    """Articles the user may read: every article of the organizations they administer
    (whatever its state), and the published ones that reach them (issued at or above an
    organization they administer or their branch)."""
    paths = standing_paths(user)
    if not paths:
        return Article.objects.none()
    published = Q(status=ArticleStatus.PUBLISHED, org__path__in=_paths_at_or_above(paths))
    return Article.objects.filter(admin_scope_q(user, "org__path") | published)


def articles_reaching(member: Member) -> QuerySet[Article]:
    """The published articles that reach the member's branch (`article_reaches`)."""
    return Article.objects.filter(
        status=ArticleStatus.PUBLISHED, org__path__in=_paths_at_or_above([member.branch.path])
    )


# Quizzes (issue 19, points 4 to 6) ------------------------------------------------------


def _can_quiz_object(user, action: Action, obj) -> bool:
    """An organization's question bank is kept and read by its admins (and those above)
    only. A quiz is set by the admins of its organization and, once published, read by
    those it reaches, as a published article is. An attempt is its member's to answer and
    submit; the admins of the quiz's organization read it."""
    if isinstance(obj, QuestionCategory):
        return is_admin_over(user, obj.org)
    if isinstance(obj, Question):
        return is_admin_over(user, obj.category.org)
    if isinstance(obj, Attempt):
        if obj.member.user_id == user.pk and obj.member.is_active:
            return action in (Action.READ, Action.TAKE_PART)
        return action == Action.READ and is_admin_over(user, obj.quiz.org)
    taking = action in (Action.READ, Action.TAKE_PART)
    # A member it reaches first: the month's peak is members starting it, whose admin
    # roles then need no reading (either answer grants the same).
    if taking and quiz_reaches(obj, own_member(user)):
        return True
    if is_admin_over(user, obj.org):
        return True
    if obj.status != QuizStatus.PUBLISHED or not taking:
        return False
    return action == Action.READ and _in_subtree(user, obj.org.path)


def quiz_reaches(quiz: Quiz, member: Member | None) -> bool:
    """A published quiz reaches the members of its organization's subtree, who may take it."""
    return quiz.status == QuizStatus.PUBLISHED and _member_in_subtree(member, quiz.org.path)


def access_question_category(
    user, category_id, action: Action | str = Action.READ
) -> QuestionCategory:
    return _access(user, QuestionCategory.objects.select_related("org"), category_id, action)


def access_question(user, question_id, action: Action | str = Action.READ) -> Question:
    questions = Question.objects.select_related("category", "category__org", "current")
    return _access(user, questions, question_id, action)


def access_quiz(user, quiz_id, action: Action | str = Action.READ) -> Quiz:
    return _access(user, Quiz.objects.select_related("org"), quiz_id, action)


def access_attempt(user, attempt_id, action: Action | str = Action.READ) -> Attempt:
    attempts = Attempt.objects.select_related("quiz", "quiz__org", "member", "member__branch")
    return _access(user, attempts, attempt_id, action)


def scoped_question_categories(user) -> QuerySet[QuestionCategory]:
    return QuestionCategory.objects.filter(admin_scope_q(user, "org__path"))


def scoped_questions(user) -> QuerySet[Question]:
    """The questions of the banks the user keeps (their organizations' and below)."""
    return Question.objects.filter(admin_scope_q(user, "category__org__path"))


def scoped_quizzes(user) -> QuerySet[Quiz]:
    """Quizzes the user may read: every quiz of the organizations they administer, and the
    published ones that reach them."""
    paths = standing_paths(user)
    if not paths:
        return Quiz.objects.none()
    published = Q(status=QuizStatus.PUBLISHED, org__path__in=_paths_at_or_above(paths))
    return Quiz.objects.filter(admin_scope_q(user, "org__path") | published)


def quizzes_reaching(member: Member) -> QuerySet[Quiz]:
    """The published quizzes that reach the member's branch (`quiz_reaches`)."""
    return Quiz.objects.filter(
        status=QuizStatus.PUBLISHED, org__path__in=_paths_at_or_above([member.branch.path])
    )


# Study packages (issue 19, point 3) -------------------------------------------------------


def _can_package(user, action: Action, package: StudyPackage) -> bool:
    """A package is made, published and pushed by the admins of its organization (and
    above); once published it is read by those it reaches, as a published article is."""
    if is_admin_over(user, package.org):
        return True
    published = package.status == PackageStatus.PUBLISHED
    return action == Action.READ and published and _in_subtree(user, package.org.path)


def access_package(user, package_id, action: Action | str = Action.READ) -> StudyPackage:
    packages = StudyPackage.objects.select_related("org", "parent", "quiz", "campaign")
    return _access(user, packages, package_id, action)


def scoped_packages(user) -> QuerySet[StudyPackage]:
    """Packages the user may read: every package of the organizations they administer, and
    the published ones that reach them."""
    paths = standing_paths(user)
    if not paths:
        return StudyPackage.objects.none()
    published = Q(status=PackageStatus.PUBLISHED, org__path__in=_paths_at_or_above(paths))
    return StudyPackage.objects.filter(admin_scope_q(user, "org__path") | published)


def packages_reaching(member: Member) -> QuerySet[StudyPackage]:
    """The published packages that reach the member's branch (the city's and its county's
    add-on)."""
    return StudyPackage.objects.filter(
        status=PackageStatus.PUBLISHED, org__path__in=_paths_at_or_above([member.branch.path])
    )

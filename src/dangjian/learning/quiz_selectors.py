"""Reads for the question bank, quizzes and attempts, shared by the API and the pages to
come: each list starts from a scoped queryset of `dangjian.permissions`."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch, Q, QuerySet

from dangjian import permissions
from dangjian.core import clock
from dangjian.learning import grading, timing
from dangjian.learning.models import (
    Attempt,
    AttemptAnswer,
    Question,
    QuestionCategory,
    Quiz,
    QuizDrawRule,
    QuizQuestion,
)
from dangjian.registry.models import Member

SEARCH_MAX_CHARS = 50


def categories_for(user, *, org=None) -> QuerySet[QuestionCategory]:
    qs = permissions.scoped_question_categories(user).select_related("org")
    return qs if org is None else qs.filter(org=org)


def questions_for(
    user, *, category: QuestionCategory | None = None, q: str = "", active: bool | None = True
) -> QuerySet[Question]:
    """The questions of the banks the user keeps, by category, newest first."""
    qs = permissions.scoped_questions(user).select_related("category", "category__org", "current")
    if category is not None:
        qs = qs.filter(category=category)
    if active is not None:
        qs = qs.filter(is_active=active)
    q = (q or "").strip()[:SEARCH_MAX_CHARS]
    if q:
        qs = qs.filter(current__stem__icontains=q)
    return qs.order_by("-id")


def quizzes_for(user, *, status: str | None = None) -> QuerySet[Quiz]:
    """The quizzes the user may read (`permissions.scoped_quizzes`), newest first."""
    qs = permissions.scoped_quizzes(user).select_related("org")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def quiz_paper(quiz: Quiz) -> Quiz:
    """The quiz with its fixed questions and draw rules prefetched."""
    return (
        Quiz.objects.select_related("org")
        .prefetch_related(
            Prefetch(
                "fixed_questions",
                QuizQuestion.objects.select_related("question__current").order_by("position"),
            ),
            Prefetch("draw_rules", QuizDrawRule.objects.select_related("category")),
        )
        .get(pk=quiz.pk)
    )


@dataclass(frozen=True)
class MyQuiz:
    """A quiz reaching a member, with where they stand: their attempts, the one in
    progress, their grade by the quiz's grading method, and attempts left."""

    quiz: Quiz
    attempts: list[Attempt]
    in_progress: Attempt | None
    grade: Decimal | None
    passed: bool
    attempts_left: int | None


def _standing(quiz: Quiz, attempts: list[Attempt]) -> MyQuiz:
    grade = grading.quiz_grade(
        [grading.AttemptGrade(a.number, a.grade) for a in attempts], quiz.grading_method
    )
    return MyQuiz(
        quiz=quiz,
        attempts=attempts,
        in_progress=next((a for a in attempts if a.finished_at is None), None),
        grade=grade,
        passed=grade is not None and grading.passes(grade, quiz.pass_mark),
        attempts_left=timing.attempts_left(allowed=quiz.attempts_allowed, used=len(attempts)),
    )


def my_quizzes(member: Member) -> list[MyQuiz]:
    """The published quizzes that reach the member, open ones first (by close), each with
    the member's standing: two queries whatever the number of quizzes."""
    now = clock.now()
    quizzes = list(
        permissions.quizzes_reaching(member)
        .select_related("org")
        .prefetch_related(
            Prefetch(
                "attempts",
                Attempt.objects.filter(member=member).order_by("number"),
                to_attr="my_attempts",
            )
        )
        .order_by("closes_at", "-id")
    )

    def closed(quiz: Quiz) -> bool:
        return quiz.closes_at is not None and quiz.closes_at <= now

    quizzes.sort(key=closed)
    return [_standing(quiz, quiz.my_attempts) for quiz in quizzes]


def my_standing(member: Member, quiz: Quiz) -> MyQuiz:
    attempts = list(Attempt.objects.filter(member=member, quiz=quiz).order_by("number"))
    return _standing(quiz, attempts)


def attempt_questions(attempt: Attempt) -> list[AttemptAnswer]:
    """The attempt's paper in order, each with the version given and the answer saved."""
    return list(
        AttemptAnswer.objects.filter(attempt=attempt)
        .select_related("question_version")
        .order_by("position")
    )


def answers_visible(attempt: Attempt, user) -> bool:
    """Whether the review shows right and wrong and the correct answers: to the member by
    the quiz's review policy, to the admins who read the attempt once it is finished."""
    finished = attempt.finished_at is not None
    if attempt.member.user_id != getattr(user, "pk", None):
        return finished
    quiz = attempt.quiz
    return timing.answers_visible(
        policy=quiz.review_policy, at=clock.now(), finished=finished, closes_at=quiz.closes_at
    )


def attempts_of_quiz(user, quiz: Quiz) -> QuerySet[Attempt]:
    """A quiz's attempts as its admins read them (the members' names with them)."""
    qs = Attempt.objects.filter(quiz=quiz).select_related("member", "member__branch")
    if not permissions.is_admin_over(user, quiz.org):
        member = permissions.own_member(user)
        qs = qs.filter(Q(member=member) if member else Q(pk__in=[]))
    return qs.order_by("member_id", "number")

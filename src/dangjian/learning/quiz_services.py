"""Writes for quizzes and attempts (issue 19, points 5 and 6): an admin sets a quiz (fixed
questions, a draw per category, or both) and publishes it to the organization's subtree; a
member starts an attempt, saves answers as they go and submits, on the server's clock.

The rules are the pure modules': `timing` (deadline, edges, save versions), `draw` (the
paper), `grading` (marks). What is decided here is what is stored: the paper and its
option order at the start, each save, and the marks at the finish. An attempt past its
deadline is finished with what was saved by then, whether a late save or submission finds
it (then refused with `deadline_passed`, after the finish is committed) or the scheduled
`finish_overdue_attempts` does."""

import secrets
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian import permissions
from dangjian.audit import services as audit
from dangjian.core import clock
from dangjian.core.db import hot_connection
from dangjian.core.errors import DomainError
from dangjian.core.locking import locked
from dangjian.learning import attempt_sql, draw, grading, timing
from dangjian.learning.grading import QuestionType
from dangjian.learning.models import (
    Attempt,
    AttemptAnswer,
    AttemptEnd,
    Question,
    QuestionCategory,
    Quiz,
    QuizDrawRule,
    QuizQuestion,
    QuizStatus,
)
from dangjian.learning.publishing import publish_draft
from dangjian.learning.quiz_bank import question_spec
from dangjian.permissions import Action
from dangjian.registry.models import Member, Organization, User
from dangjian.scoring.formula import round_half_up

TITLE_MAX_CHARS = 200
MAX_PAPER_QUESTIONS = 200
MIN_YEAR, MAX_YEAR = 2000, 2100
QUIZ_AUDIT_FIELDS = (
    "title",
    "status",
    "opens_at",
    "closes_at",
    "time_limit",
    "attempts_allowed",
    "grading_method",
    "pass_mark",
    "shuffle_options",
    "review_policy",
)
CHOICE_KINDS = (QuestionType.SINGLE.value, QuestionType.MULTIPLE.value)


@dataclass(frozen=True)
class FixedQuestion:
    question: Question
    points: int = 1


@dataclass(frozen=True)
class CategoryDraw:
    category: QuestionCategory
    count: int
    points: int = 1


# Quizzes ---------------------------------------------------------------------------------


def _title(title: str) -> str:
    title = (title or "").strip()
    if not title or len(title) > TITLE_MAX_CHARS:
        raise DomainError(
            "validation_error", _("测试名称应为 1 至 %d 个字") % TITLE_MAX_CHARS, field="title"
        )
    return title


def _moment(value: datetime | None, field: str) -> datetime | None:
    """An opening or a close: aware (a time without a zone is Beijing time), and within
    the years a quiz may be set in, so that no later sum or conversion overflows."""
    if value is None:
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise DomainError("validation_error", _("时间超出可设定的范围"), field=field)
    return value


def _points(points: int, field: str) -> int:
    if isinstance(points, bool) or not isinstance(points, int) or not 1 <= points <= 100:
        raise DomainError("validation_error", _("分值应为 1 至 100 的整数"), field=field)
    return points


def _check_paper(
    actor: User, questions: Sequence[FixedQuestion], draws: Sequence[CategoryDraw]
) -> None:
    """Refuse a paper the bank cannot give as it is now (`draw_exceeds_bank`: a category
    has fewer active questions, the fixed ones aside, than its draws ask), or one naming a
    question or category the actor does not keep."""
    fixed_ids = [f.question.pk for f in questions]
    if len(set(fixed_ids)) != len(fixed_ids):
        raise DomainError("validation_error", _("同一道题不能重复加入"), field="questions")
    for fixed in questions:
        permissions.require(actor, Action.CHANGE, fixed.question)
        _points(fixed.points, "questions")
        if not fixed.question.is_active:
            raise DomainError("validation_error", _("试题已停用"), field="questions")
    for rule in draws:
        permissions.require(actor, Action.CHANGE, rule.category)
        _points(rule.points, "draw")
    if len(fixed_ids) + sum(max(r.count, 0) for r in draws) > MAX_PAPER_QUESTIONS:
        raise DomainError(
            "validation_error",
            _("一份试卷最多 %d 道题") % MAX_PAPER_QUESTIONS,
            field="draw",
        )
    categories = {r.category.pk: r.category.name for r in draws}
    sizes = dict(
        Question.objects.filter(category_id__in=categories, is_active=True)
        .exclude(pk__in=fixed_ids)
        .values_list("category_id")
        .annotate(n=Count("id"))
    )
    draw.check_draw(
        [draw.DrawRule(r.category.pk, r.count) for r in draws], sizes, category_names=categories
    )


def _terms(quiz: Quiz) -> None:
    timing.check_quiz_terms(
        timing.QuizTerms(
            opens_at=quiz.opens_at,
            closes_at=quiz.closes_at,
            time_limit=quiz.time_limit,
            attempts_allowed=quiz.attempts_allowed,
            pass_mark=Decimal(quiz.pass_mark),
            review_policy=quiz.review_policy,
        )
    )
    if quiz.grading_method not in set(grading.GradingMethod):
        raise DomainError("validation_error", _("评分方式无效"), field="grading_method")


def _set_paper(
    quiz: Quiz, questions: Sequence[FixedQuestion] | None, draws: Sequence[CategoryDraw] | None
) -> None:
    if questions is not None:
        quiz.fixed_questions.all().delete()
        QuizQuestion.objects.bulk_create(
            QuizQuestion(quiz=quiz, question=f.question, position=i, points=f.points)
            for i, f in enumerate(questions, start=1)
        )
    if draws is not None:
        quiz.draw_rules.all().delete()
        QuizDrawRule.objects.bulk_create(
            QuizDrawRule(quiz=quiz, category=r.category, position=i, count=r.count, points=r.points)
            for i, r in enumerate(draws, start=1)
        )


def _paper_of(quiz: Quiz) -> tuple[list[FixedQuestion], list[CategoryDraw]]:
    questions = [
        FixedQuestion(q.question, q.points)
        for q in quiz.fixed_questions.select_related("question__category__org")
    ]
    draws = [
        CategoryDraw(r.category, r.count, r.points)
        for r in quiz.draw_rules.select_related("category__org")
    ]
    return questions, draws


def _paper_audit(quiz: Quiz) -> dict:
    """The quiz's terms and paper as the audit stores them (JSON: the limit in seconds)."""
    terms = audit.snapshot(quiz, QUIZ_AUDIT_FIELDS)
    if quiz.time_limit is not None:
        terms["time_limit"] = int(quiz.time_limit.total_seconds())
    return {
        **terms,
        "questions": list(quiz.fixed_questions.values_list("question_id", "points")),
        "draw": list(quiz.draw_rules.values_list("category_id", "count", "points")),
    }


@transaction.atomic
def create_quiz(
    *,
    actor: User,
    org: Organization,
    title: str,
    description: str = "",
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    time_limit: timedelta | None = None,
    attempts_allowed: int | None = None,
    grading_method: str = grading.GradingMethod.HIGHEST,
    pass_mark: Decimal | int = 60,
    shuffle_options: bool = True,
    review_policy: str = timing.ReviewPolicy.AFTER_SUBMISSION,
    questions: Sequence[FixedQuestion] = (),
    draws: Sequence[CategoryDraw] = (),
) -> Quiz:
    """A draft quiz of the organization, for its subtree. Its terms are checked
    (`timing.check_quiz_terms`) and so is its paper against the bank as it is
    (`draw_exceeds_bank`)."""
    permissions.require(actor, Action.CHANGE, org)
    now = clock.now()
    quiz = Quiz(
        org=org,
        title=_title(title),
        description=(description or "").strip(),
        opens_at=_moment(opens_at, "opens_at"),
        closes_at=_moment(closes_at, "closes_at"),
        time_limit=time_limit,
        attempts_allowed=attempts_allowed,
        grading_method=str(grading_method),
        pass_mark=Decimal(pass_mark),
        shuffle_options=shuffle_options,
        review_policy=str(review_policy),
        author=actor,
        created_at=now,
        updated_at=now,
    )
    _terms(quiz)
    _check_paper(actor, questions, draws)
    quiz.save()
    _set_paper(quiz, questions, draws)
    audit.record(
        actor=actor,
        action="quiz.create",
        obj=quiz,
        org=org,
        after=_paper_audit(quiz),
    )
    return quiz


@transaction.atomic
def edit_quiz(
    *,
    actor: User,
    quiz: Quiz,
    questions: Sequence[FixedQuestion] | None = None,
    draws: Sequence[CategoryDraw] | None = None,
    **changes,
) -> Quiz:
    """Change a quiz's terms (the keyword arguments of `create_quiz`; a time given as None
    clears it) or its paper (None leaves it). Attempts already started keep the paper
    they were given; the paper and the terms are checked again as at the creation."""
    permissions.require(actor, Action.CHANGE, quiz)
    quiz = locked(quiz, "org")
    allowed = set(QUIZ_AUDIT_FIELDS) - {"status"} | {"description"}
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"unknown quiz fields: {sorted(unknown)}")
    before = _paper_audit(quiz)
    for name, value in changes.items():
        if name == "title":
            value = _title(value)
        elif name == "pass_mark":
            value = Decimal(value)
        elif name == "description":
            value = (value or "").strip()
        elif name in ("opens_at", "closes_at"):
            value = _moment(value, name)
        setattr(quiz, name, value)
    _terms(quiz)
    current_questions, current_draws = _paper_of(quiz)
    _check_paper(
        actor,
        current_questions if questions is None else questions,
        current_draws if draws is None else draws,
    )
    quiz.updated_at = clock.now()
    quiz.save()
    _set_paper(quiz, questions, draws)
    changed_before, changed_after = audit.diff(before, _paper_audit(quiz))
    audit.record(
        actor=actor,
        action="quiz.edit",
        obj=quiz,
        org=quiz.org,
        before=changed_before,
        after=changed_after,
    )
    return quiz


@transaction.atomic
def publish_quiz(*, actor: User, quiz: Quiz) -> Quiz:
    """Open the quiz to the members of the organization's subtree (within its window). A
    quiz without a question, or whose draw the bank can no longer give, is refused."""
    permissions.require(actor, Action.CHANGE, quiz)
    quiz = locked(quiz, "org")
    if quiz.status == QuizStatus.PUBLISHED:
        raise DomainError("invalid_status", _("测试已发布"), status=quiz.status)
    questions, draws = _paper_of(quiz)
    if not questions and not draws:
        raise DomainError("validation_error", _("测试还没有试题"), field="questions")
    _check_paper(actor, questions, draws)
    publish_draft(actor=actor, item=quiz, statuses=QuizStatus, action="quiz.publish")
    return quiz


# Attempts --------------------------------------------------------------------------------


def new_seed() -> str:
    """The seed of an attempt's draw and option order (tests replace it to fix a paper)."""
    return secrets.token_hex(8)


def draw_paper(facts: attempt_sql.StartFacts, seed: str) -> list[tuple[int, int]]:
    """(question id, points) of a new attempt's paper: the fixed questions, then the draw
    (least used first, no question twice)."""
    paper = [(question_id, points) for question_id, points, _version in facts.fixed]
    if not facts.rules:
        return paper
    drawn = draw.draw_paper(
        facts.bank,
        [draw.DrawRule(category_id, count) for category_id, count, _points in facts.rules],
        seed,
        exclude={question_id for question_id, _points in paper},
    )
    # draw_paper lists the questions rule by rule, each rule's count in turn.
    start = 0
    for _category_id, count, points in facts.rules:
        paper += [(question_id, points) for question_id in drawn[start : start + count]]
        start += count
    return paper


def _slots(quiz: Quiz, seed: str, facts: attempt_sql.StartFacts) -> list[AttemptAnswer]:
    """The new attempt's paper as its slots (not saved): each question's current version,
    points and, for a choice question, its options in this attempt's order."""
    paper = draw_paper(facts, seed)
    versions = attempt_sql.versions([facts.current[q] for q, _points in paper])
    slots = []
    for position, (question_id, points) in enumerate(paper, start=1):
        version = versions[facts.current[question_id]]
        keys = [o["key"] for o in version.options]
        if quiz.shuffle_options and version.kind in CHOICE_KINDS:
            keys = list(draw.shuffle_options(keys, seed, question_id))
        slots.append(
            AttemptAnswer(
                question_id=question_id,
                question_version=version,
                position=position,
                points=points,
                option_order=keys,
            )
        )
    return slots


def _check_reaches(member: Member, quiz: Quiz) -> None:
    if quiz.status != QuizStatus.PUBLISHED:
        raise DomainError("not_published", _("该测试未发布"))
    if not permissions.quiz_reaches(quiz, member):
        raise DomainError("not_in_scope", _("该测试不是面向您所在党组织发布的"))


def start_reached(*, user: User, quiz_id: int) -> tuple[Attempt, bool] | None:
    """`start_attempt` for a member the quiz reaches (permissions.quiz_reaches), with the
    quiz and the member read in one statement; None for anyone else, whom the caller
    takes the general way (permissions.access_quiz, then start_attempt), so that every
    refusal answers as it always has. The month's peak is members starting one quiz at
    once (docs/performance.md, "The monthly quiz peak")."""
    found = attempt_sql.reached(user, quiz_id)
    if found is None:
        return None
    quiz, member, facts = found
    if not permissions.quiz_reaches(quiz, member):
        return None
    attempt, created = start_attempt(member=member, quiz=quiz, facts=facts)
    attempt.member = member
    return attempt, created


def start_attempt(
    *, member: Member, quiz: Quiz, facts: attempt_sql.StartFacts | None = None
) -> tuple[Attempt, bool]:
    """The member's attempt in progress, resumed (False), or a new one (True) with its
    paper drawn and stored, due by min(start + time limit, close); a new one carries the
    slots written as `paper` (in order, each with its version), so that its answer needs
    no second read. An attempt in progress but past its deadline is finished first (it
    counts as used). Refused with `quiz_not_open`, `quiz_closed`, `no_attempts_left`.
    `facts` are the start's facts when the caller read them with the quiz
    (`start_reached`); otherwise they are read here."""
    _check_reaches(member, quiz)
    now = clock.now()
    if facts is None:
        facts = attempt_sql.start_facts(member, quiz)
    for attempt_id, finished in facts.attempts:
        if finished:
            continue
        attempt = Attempt.objects.select_related("quiz").get(pk=attempt_id)
        if timing.in_time(now, attempt.deadline):
            return attempt, False
        with transaction.atomic():
            attempt = locked(attempt, "quiz")
            if attempt.finished_at is None:
                _finish_overdue(attempt)
    used = len(facts.attempts)
    timing.check_start(
        at=now,
        opens_at=quiz.opens_at,
        closes_at=quiz.closes_at,
        attempts_allowed=quiz.attempts_allowed,
        attempts_used=used,
    )
    # The paper is drawn before the transaction, from the bank as it was read (the uses
    # were never locked for the draw: two starts at once may draw alike, and both count).
    seed = new_seed()
    slots = _slots(quiz, seed, facts)
    deadline = timing.attempt_deadline(
        started_at=now, time_limit=quiz.time_limit, closes_at=quiz.closes_at
    )
    attempt = Attempt(
        quiz=quiz, member=member, number=used + 1, seed=seed, started_at=now, deadline=deadline
    )
    # The hot connection when outside a transaction (its statements prepared): the
    # writes need nothing the default connection holds.
    db = hot_connection()
    # On PostgreSQL outside a transaction the writes are one statement, atomic by itself.
    alone = db.vendor == "postgresql" and db.get_autocommit()
    try:
        # The transaction holds only the writes. A second tap on "start" that raced the
        # first breaks a constraint on the attempt's insert and rolls it back whole, so no
        # savepoint is needed round the insert.
        with nullcontext() if alone else transaction.atomic(using=db.alias):
            attempt_sql.write_start(db, attempt, slots)
    except IntegrityError:
        # Give back the first's attempt.
        first = Attempt.objects.filter(quiz=quiz, member=member, finished_at=None).first()
        if first is None:
            raise
        return first, False
    attempt.paper = slots
    return attempt, True


def _own(attempt: Attempt, member: Member) -> Attempt:
    """The attempt read again under lock, when it is the member's."""
    if attempt.member_id != member.pk:
        raise permissions.not_found()
    return locked(attempt, "quiz")


def _mark(attempt: Attempt, *, at: datetime, ended_by: str, db=connection) -> Attempt:
    """Finish and mark the attempt with the answers saved (the paper's versions and
    points, so a question edited since never re-marks it), on the connection `db` whose
    transaction holds it locked; the slots, marked, are left on it as `paper`."""
    answers = attempt_sql.paper(attempt, db)
    specs = [question_spec(a.question_version, points=a.points) for a in answers]
    saved = {a.question_id: a.answer for a in answers}
    mark = grading.mark_attempt(specs, saved, attempt.quiz.pass_mark)
    by_score: dict[Decimal, list[int]] = {}
    for answer, spec in zip(answers, specs, strict=True):
        answer.score = round_half_up(grading.grade_answer(spec, answer.answer))
        by_score.setdefault(answer.score, []).append(answer.pk)
    attempt.finished_at, attempt.ended_by = at, ended_by
    attempt.score, attempt.maximum = round_half_up(mark.score), round_half_up(mark.maximum)
    attempt.grade, attempt.passed = mark.grade, mark.passed
    attempt_sql.write_marks(db, attempt, by_score)
    attempt.paper = answers
    return attempt


def _finish_overdue(attempt: Attempt, db=connection) -> Attempt:
    # Every save taken came at or before the deadline, so what is stored is what was
    # saved by then; the attempt is finished at that instant.
    return _mark(attempt, at=attempt.deadline, ended_by=AttemptEnd.DEADLINE, db=db)


def _in_progress(attempt: Attempt, db=connection) -> DomainError | None:
    """None when a save or submission may go on now; the refusal otherwise, with an
    overdue attempt finished at its deadline (kept when the caller raises after its
    transaction)."""
    try:
        timing.check_in_progress(
            at=clock.now(), deadline=attempt.deadline, finished=attempt.finished_at is not None
        )
    except DomainError as exc:
        if exc.code == "deadline_passed":
            _finish_overdue(attempt, db)
        return exc
    return None


def _json_answer(cleaned) -> object:
    if isinstance(cleaned, frozenset):
        return sorted(cleaned)
    return cleaned


def save_answer(
    *, member: Member, attempt: Attempt, question_id: int, answer: object, version: int
) -> AttemptAnswer:
    """Save the member's answer to one question of the attempt, carrying the version it
    makes (`timing.answer_save`): applied, replayed unchanged, or refused as
    `stale_answer`. Refused with `attempt_finished`, or `deadline_passed` (the attempt is
    then finished with what was saved by the deadline)."""
    with transaction.atomic():
        attempt = _own(attempt, member)
        refusal = _in_progress(attempt)
        if refusal is None:
            return _save(attempt_sql.locked_slot(attempt, question_id), answer, version)
    raise refusal


def save_own_answer(
    *, user: User, attempt_id: int, question_id: int, answer: object, version: int
) -> AttemptAnswer:
    """`save_answer` to the attempt `attempt_id` by the member whose it is, read as
    `submit_own_attempt` reads it (refused as `permissions.access_attempt` refuses it), its
    slot under lock with its version in one more statement; on the hot connection when
    outside a transaction. Members save each answer as they go, so the month's peak saves
    about ten times as often as it starts (docs/performance.md, "The monthly quiz peak")."""
    db = hot_connection()
    with transaction.atomic(using=db.alias):
        attempt, refusal = _own_in_progress(user, attempt_id, db)
        if refusal is None:
            return _save(attempt_sql.locked_slot(attempt, question_id, db), answer, version, db)
    raise refusal


def _own_in_progress(user: User, attempt_id: int, db) -> tuple[Attempt, DomainError | None]:
    """The caller's attempt `attempt_id` under lock on `db`, refused as
    `permissions.access_attempt` refuses it (not_found, or forbidden to an admin who may
    only read it), with `_in_progress`'s refusal, if any."""
    attempt = attempt_sql.locked_attempt(attempt_id, db)
    if attempt is None:
        raise permissions.not_found()
    permissions.require(user, Action.TAKE_PART, attempt)
    return attempt, _in_progress(attempt, db)


def _save(slot: AttemptAnswer | None, answer: object, version: int, db=connection):
    """Apply a save to the slot (locked by the caller's transaction on `db`), replay it, or
    refuse it; the slot as it stands after."""
    if slot is None:
        raise DomainError("not_found", _("本次作答没有这道题"))
    cleaned = grading.clean_answer(question_spec(slot.question_version, points=slot.points), answer)
    stored = _json_answer(cleaned)
    outcome = timing.answer_save(
        stored_version=slot.version, stored_answer=slot.answer, version=version, answer=stored
    )
    if outcome == timing.SaveOutcome.APPLY:
        slot.answer, slot.version, slot.saved_at = stored, version, clock.now()
        attempt_sql.write_save(db, slot)
    return slot


def submit_attempt(*, member: Member, attempt: Attempt) -> Attempt:
    """Hand the attempt in: marked at once. A replayed submission is refused with
    `attempt_finished` and changes nothing; one after the deadline is refused with
    `deadline_passed` and the attempt is finished with what was saved by the deadline."""
    with transaction.atomic():
        attempt = _own(attempt, member)
        refusal = _in_progress(attempt)
        if refusal is None:
            return _mark(attempt, at=clock.now(), ended_by=AttemptEnd.SUBMITTED)
    raise refusal


def submit_own_attempt(*, user: User, attempt_id: int) -> Attempt:
    """`submit_attempt` of the attempt `attempt_id` by the member whose it is, read once:
    under lock, with its quiz and member, and refused as `permissions.access_attempt`
    refuses it (not_found, or forbidden to an admin who may only read it). The month's
    peak submits at once (docs/performance.md, "The monthly quiz peak"): on the hot
    connection when outside a transaction, its statements prepared as the start's."""
    db = hot_connection()
    with transaction.atomic(using=db.alias):
        attempt, refusal = _own_in_progress(user, attempt_id, db)
        if refusal is None:
            return _mark(attempt, at=clock.now(), ended_by=AttemptEnd.SUBMITTED, db=db)
    raise refusal


def finish_overdue_attempts() -> int:
    """Scheduled: finish every attempt left unfinished past its deadline (a member who
    never came back), at the deadline, with the answers saved. Each in its own
    transaction; running it again, or late, finishes nothing twice."""
    now = clock.now()
    overdue = Attempt.objects.filter(finished_at=None, deadline__lt=now).values_list(
        "pk", flat=True
    )
    finished = 0
    for pk in list(overdue):
        with transaction.atomic():
            attempt = (
                Attempt.objects.select_for_update(of=("self",))
                .select_related("quiz")
                .filter(pk=pk, finished_at=None)
                .first()
            )
            if attempt is not None and timing.is_overdue(
                at=now, deadline=attempt.deadline, finished=False
            ):
                _finish_overdue(attempt)
                finished += 1
    return finished

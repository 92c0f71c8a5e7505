"""The quiz services against the rules of issue 19 (points 4 to 6), on a controlled clock:
the draw (no repeats, least used first), draw_exceeds_bank at save, the attempt's deadline
and resumption, idempotent saves and stale ones refused, a replayed submission, the
scheduled finisher, grading methods, and versions kept by old attempts."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils.module_loading import import_string

from dangjian.core.errors import DomainError
from dangjian.core.scheduling import JOBS
from dangjian.learning import quiz_bank, quiz_services
from dangjian.learning.models import Attempt, AttemptAnswer, AttemptEnd, Question
from dangjian.learning.quiz_bank import QuestionContent
from tests.learning.articles import NOW
from tests.learning.quizzes import bank, category, multiple, quiz, single, true_false

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _code(fn, **kwargs) -> str:
    with pytest.raises(DomainError) as caught:
        fn(**kwargs)
    return caught.value.code


def _paper(attempt) -> list[int]:
    return list(
        AttemptAnswer.objects.filter(attempt=attempt)
        .order_by("position")
        .values_list("question_id", flat=True)
    )


def test_a_draw_never_gives_a_question_twice_and_takes_the_least_used_first(
    world, clock, monkeypatch
):
    cat, questions = bank(world, n=6)
    other, others = bank(world, n=2, name="廉政")
    Question.objects.filter(pk__in=[q.pk for q in questions[:3]]).update(uses=5)
    fixed = questions[5]
    made = quiz(world, questions=[(fixed, 1)], draws=[(cat, 2, 1), (other, 2, 2)])
    monkeypatch.setattr(quiz_services, "new_seed", lambda: "seed-1")

    attempt, created = quiz_services.start_attempt(member=world.a.member, quiz=made)

    paper = _paper(attempt)
    assert created and len(paper) == len(set(paper)) == 5
    assert paper[0] == fixed.pk  # the fixed question, never drawn again
    # The three used ones wait while two unused (the fixed one aside) remain.
    assert set(paper[1:3]) == {questions[3].pk, questions[4].pk}
    assert set(paper[3:]) == {q.pk for q in others}
    assert list(AttemptAnswer.objects.filter(attempt=attempt).values_list("points", flat=True)) == [
        1,
        1,
        1,
        2,
        2,
    ]
    assert Question.objects.get(pk=questions[3].pk).uses == 1
    # The paper is the seed's: the same seed over the bank as it was draws it again.
    Question.objects.filter(pk__in=[q.pk for q in questions[3:] + others]).update(uses=0)
    again = quiz_services.start_attempt(member=world.b.member, quiz=made)[0]
    assert _paper(again) == paper


def test_the_next_attempt_draws_the_questions_the_first_did_not_use(world, clock):
    cat, questions = bank(world, n=4)
    made = quiz(world, draws=[(cat, 2, 1)])
    first = set(_paper(quiz_services.start_attempt(member=world.a.member, quiz=made)[0]))
    second = set(_paper(quiz_services.start_attempt(member=world.b.member, quiz=made)[0]))
    assert first | second == {q.pk for q in questions} and not first & second


def test_a_draw_larger_than_its_category_is_refused_when_the_quiz_is_saved(world, clock):
    cat, questions = bank(world, n=3)
    with pytest.raises(DomainError) as caught:
        quiz(world, questions=[(questions[0], 1)], draws=[(cat, 3, 1)], publish=False)
    assert caught.value.code == "draw_exceeds_bank"
    assert caught.value.details == {"category_id": cat.pk, "requested": 3, "available": 2}
    made = quiz(world, draws=[(cat, 3, 1)], publish=False)
    code = _code(
        quiz_services.edit_quiz,
        actor=world.city_admin,
        quiz=made,
        draws=[quiz_services.CategoryDraw(cat, 4, 1)],
    )
    assert code == "draw_exceeds_bank"
    quiz_bank.retire_question(actor=world.city_admin, question=questions[0])
    code = _code(quiz_services.publish_quiz, actor=world.city_admin, quiz=made)
    assert code == "draw_exceeds_bank"


def test_the_deadline_is_the_start_plus_the_limit_but_never_after_the_close(world, clock):
    cat, _questions = bank(world, n=2)
    made = quiz(world, draws=[(cat, 1, 1)], closes_at=NOW + timedelta(minutes=10))
    attempt, _ = quiz_services.start_attempt(member=world.a.member, quiz=made)
    assert attempt.deadline == NOW + timedelta(minutes=10)
    longer = quiz(world, draws=[(cat, 1, 1)])
    attempt, _ = quiz_services.start_attempt(member=world.a.member, quiz=longer)
    assert attempt.deadline == NOW + timedelta(minutes=30)


def test_starting_again_resumes_the_attempt_in_progress_and_spends_nothing(world, clock):
    cat, _questions = bank(world, n=2)
    made = quiz(world, draws=[(cat, 2, 1)], attempts_allowed=1)
    first, created = quiz_services.start_attempt(member=world.a.member, quiz=made)
    again, created_again = quiz_services.start_attempt(member=world.a.member, quiz=made)
    assert created and not created_again and again.pk == first.pk
    quiz_services.submit_attempt(member=world.a.member, attempt=first)
    code = _code(quiz_services.start_attempt, member=world.a.member, quiz=made)
    assert code == "no_attempts_left"


def test_a_quiz_starts_from_its_opening_and_not_from_its_close(world, clock):
    cat, _questions = bank(world, n=2)
    made = quiz(world, draws=[(cat, 1, 1)], opens_at=NOW, closes_at=NOW + timedelta(hours=1))
    clock.move_to(NOW - timedelta(seconds=1))
    assert _code(quiz_services.start_attempt, member=world.a.member, quiz=made) == "quiz_not_open"
    clock.move_to(NOW + timedelta(hours=1))
    assert _code(quiz_services.start_attempt, member=world.a.member, quiz=made) == "quiz_closed"
    clock.move_to(NOW)
    assert quiz_services.start_attempt(member=world.a.member, quiz=made)[1]


def test_a_quiz_of_one_county_does_not_reach_the_other(world, clock):
    cat, _questions = bank(world, n=2)
    made = quiz(world, draws=[(cat, 1, 1)], org=world.a.org)
    assert _code(quiz_services.start_attempt, member=world.b.member, quiz=made) == "not_in_scope"


def test_a_save_is_idempotent_and_a_stale_one_is_refused(world, clock):
    cat = category(world)
    question = multiple(world, cat)
    made = quiz(world, questions=[(question, 1)])
    attempt, _ = quiz_services.start_attempt(member=world.a.member, quiz=made)
    save = {"member": world.a.member, "attempt": attempt, "question_id": question.pk}

    quiz_services.save_answer(**save, answer=["B", "A"], version=1)
    replay = quiz_services.save_answer(**save, answer=["A", "B"], version=1)
    assert replay.version == 1 and replay.answer == ["A", "B"]
    quiz_services.save_answer(**save, answer=["A", "B", "C"], version=2)
    assert _code(quiz_services.save_answer, **save, answer=["D"], version=1) == "stale_answer"
    assert _code(quiz_services.save_answer, **save, answer=["D"], version=2) == "stale_answer"
    assert _code(quiz_services.save_answer, **save, answer=["D"], version=4) == "stale_answer"
    slot = AttemptAnswer.objects.get(attempt=attempt)
    assert (slot.answer, slot.version) == (["A", "B", "C"], 2)


def test_a_replayed_submission_changes_nothing(world, clock):
    cat = category(world)
    question = single(world, cat)
    made = quiz(world, questions=[(question, 1)])
    attempt, _ = quiz_services.start_attempt(member=world.a.member, quiz=made)
    quiz_services.save_answer(
        member=world.a.member, attempt=attempt, question_id=question.pk, answer="A", version=1
    )
    done = quiz_services.submit_attempt(member=world.a.member, attempt=attempt)
    assert (done.grade, done.passed, done.ended_by) == (Decimal("100.00"), True, "submitted")
    clock.shift(timedelta(minutes=1))
    assert _code(quiz_services.submit_attempt, member=world.a.member, attempt=attempt) == (
        "attempt_finished"
    )
    code = _code(
        quiz_services.save_answer,
        member=world.a.member,
        attempt=attempt,
        question_id=question.pk,
        answer="B",
        version=2,
    )
    assert code == "attempt_finished"
    assert Attempt.objects.get(pk=attempt.pk).finished_at == NOW


def test_the_scheduled_job_finishes_an_abandoned_attempt_at_its_deadline(world, clock):
    cat = category(world)
    right, wrong = single(world, cat), single(world, cat, stem="第二题", correct="B")
    made = quiz(world, questions=[(right, 1), (wrong, 1)], pass_mark=50)
    attempt, _ = quiz_services.start_attempt(member=world.a.member, quiz=made)
    clock.shift(timedelta(minutes=5))
    for question in (right, wrong):
        quiz_services.save_answer(
            member=world.a.member, attempt=attempt, question_id=question.pk, answer="A", version=1
        )
    job = import_string(JOBS["finish-overdue-attempts"][0])

    clock.move_to(attempt.deadline)
    assert job() == 0  # the deadline itself is still in time
    clock.move_to(attempt.deadline + timedelta(seconds=1))
    assert job() == 1
    assert job() == 0

    finished = Attempt.objects.get(pk=attempt.pk)
    assert finished.finished_at == attempt.deadline
    assert finished.ended_by == AttemptEnd.DEADLINE
    assert (finished.score, finished.grade, finished.passed) == (
        Decimal("1.00"),
        Decimal("50.00"),
        True,
    )


@pytest.mark.parametrize(
    ("method", "grade"),
    [("highest", "100.00"), ("first", "50.00"), ("last", "0.00"), ("mean", "50.00")],
)
def test_the_grading_method_picks_the_members_grade_over_their_attempts(
    world, clock, method, grade
):
    from dangjian.learning import quiz_selectors

    cat = category(world)
    one, two = true_false(world, cat), true_false(world, cat, stem="第二题")
    made = quiz(world, questions=[(one, 1), (two, 1)], grading_method=method)
    for answers in ((True, False), (True, True), (False, False)):
        attempt, _ = quiz_services.start_attempt(member=world.a.member, quiz=made)
        for question, answer in zip((one, two), answers, strict=True):
            quiz_services.save_answer(
                member=world.a.member,
                attempt=attempt,
                question_id=question.pk,
                answer=answer,
                version=1,
            )
        quiz_services.submit_attempt(member=world.a.member, attempt=attempt)
    standing = quiz_selectors.my_standing(world.a.member, made)
    assert [a.grade for a in standing.attempts] == [
        Decimal("50.00"),
        Decimal("100.00"),
        Decimal("0.00"),
    ]
    assert standing.grade == Decimal(grade)


def test_partial_credit_is_marked_as_computed_by_hand(world, clock):
    cat = category(world)
    question = multiple(world, cat, partial=True)
    made = quiz(world, questions=[(question, 4)])
    attempt, _ = quiz_services.start_attempt(member=world.a.member, quiz=made)
    # Three of the four right options and the wrong one: (3 − 1) / 4 of 4 points.
    quiz_services.save_answer(
        member=world.a.member,
        attempt=attempt,
        question_id=question.pk,
        answer=["A", "B", "C", "E"],
        version=1,
    )
    done = quiz_services.submit_attempt(member=world.a.member, attempt=attempt)
    assert (done.score, done.maximum, done.grade) == (
        Decimal("2.00"),
        Decimal("4.00"),
        Decimal("50.00"),
    )


def test_a_question_edited_after_attempts_keeps_the_old_attempts_version(world, clock):
    cat = category(world)
    question = single(world, cat, correct="A")
    first_version = question.current
    quiz_bank.edit_question(
        actor=world.city_admin,
        question=question,
        content=QuestionContent(
            kind="single", stem="改正错字", options=["甲", "乙"], correct=["A"]
        ),
    )
    question.refresh_from_db()
    assert question.current_id == first_version.pk  # no attempt saw it: corrected in place

    made = quiz(world, questions=[(question, 1)])
    old, _ = quiz_services.start_attempt(member=world.a.member, quiz=made)
    quiz_services.save_answer(
        member=world.a.member, attempt=old, question_id=question.pk, answer="A", version=1
    )
    edited = quiz_bank.edit_question(
        actor=world.city_admin,
        question=question,
        content=QuestionContent(kind="single", stem="新题干", options=["甲", "乙"], correct=["B"]),
    )
    assert edited.current.number == 2 and edited.current_id != first_version.pk
    done = quiz_services.submit_attempt(member=world.a.member, attempt=old)
    assert done.grade == Decimal("100.00")  # marked by the version it was given
    slot = AttemptAnswer.objects.select_related("question_version").get(attempt=old)
    assert slot.question_version.stem == "改正错字"
    new, _ = quiz_services.start_attempt(member=world.b.member, quiz=made)
    assert AttemptAnswer.objects.get(attempt=new).question_version.stem == "新题干"


def test_a_fill_in_answer_counts_whatever_its_width_and_spaces(world, clock):
    from dangjian.learning import quiz_bank as bank_services

    cat = category(world)
    question = bank_services.create_question(
        actor=world.city_admin,
        category=cat,
        content=QuestionContent(
            kind="fill_in", stem="党的最高理想是实现____。", accepted=["共产主义"]
        ),
    )
    made = quiz(world, questions=[(question, 1)])
    attempt, _ = quiz_services.start_attempt(member=world.a.member, quiz=made)
    quiz_services.save_answer(
        member=world.a.member,
        attempt=attempt,
        question_id=question.pk,
        answer="共产 主义",
        version=1,
    )
    assert quiz_services.submit_attempt(member=world.a.member, attempt=attempt).passed


def test_the_database_holds_one_attempt_in_progress_per_member_and_quiz(world, clock):
    from django.db import IntegrityError, transaction

    cat, _questions = bank(world, n=2)
    made = quiz(world, draws=[(cat, 1, 1)])
    attempt, _ = quiz_services.start_attempt(member=world.a.member, quiz=made)
    for number in (attempt.number, attempt.number + 1):
        with pytest.raises(IntegrityError), transaction.atomic():
            Attempt.objects.create(
                quiz=made, member=world.a.member, number=number, seed="x", started_at=NOW
            )

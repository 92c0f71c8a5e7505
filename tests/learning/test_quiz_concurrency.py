"""Attempts when requests arrive at the same instant: a double (or eightfold) tap on
"start" gives one attempt, members starting together all get their papers without a
deadlock and every use is counted, and of simultaneous saves and submissions exactly one
takes effect. Real concurrency needs real connections and row locks, so this runs against
PostgreSQL (SQLite serializes every write transaction and would prove nothing)."""

import threading

import pytest
from django.db import connection, connections

from dangjian.core.errors import DomainError
from dangjian.learning import quiz_services
from dangjian.learning.models import Attempt, AttemptAnswer, Question
from tests.conftest import COMMITTED
from tests.factories import make_member
from tests.learning.quizzes import bank, quiz

pytestmark = COMMITTED
THREADS = 8


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL (DATABASE_URL=postgres://...)")


def _open_quiz(world, n=4, count=3):
    cat, _questions = bank(world, n=n)
    return quiz(world, draws=[(cat, count, 1)], opens_at=None, closes_at=None, time_limit=None)


def _together(fn, args):
    barrier = threading.Barrier(len(args))
    done, refused, errors = [], [], []

    def worker(arg):
        try:
            barrier.wait()
            done.append(fn(arg))
        except DomainError as exc:
            refused.append(exc.code)
        except Exception as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(arg,)) for arg in args]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    return done, refused


def test_simultaneous_starts_by_one_member_give_one_attempt(world):
    made = _open_quiz(world)
    member = world.a.member
    done, refused = _together(
        lambda _i: quiz_services.start_attempt(member=member, quiz=made), range(THREADS)
    )
    assert refused == []
    assert len({attempt.pk for attempt, _created in done}) == 1
    assert sorted(created for _attempt, created in done) == [False] * (THREADS - 1) + [True]
    assert Attempt.objects.filter(quiz=made, member=member).count() == 1
    assert sum(Question.objects.values_list("uses", flat=True)) == 3


def test_members_starting_together_all_get_their_paper_and_every_use_counts(world):
    made = _open_quiz(world)
    members = [make_member(world.city_admin, world.a.branch, name=f"党员{i}") for i in range(6)]
    members += [world.a.member, world.b.member]
    done, refused = _together(
        lambda member: quiz_services.start_attempt(member=member, quiz=made), members
    )
    assert refused == [] and len(done) == len(members)
    assert AttemptAnswer.objects.filter(attempt__quiz=made).count() == 3 * len(members)
    assert sum(Question.objects.values_list("uses", flat=True)) == 3 * len(members)


def test_of_simultaneous_saves_one_applies_and_of_submissions_one_marks(world):
    made = _open_quiz(world)
    member = world.a.member
    attempt, _ = quiz_services.start_attempt(member=member, quiz=made)
    question_id = AttemptAnswer.objects.filter(attempt=attempt).values_list(
        "question_id", flat=True
    )[0]
    answers = [i % 2 == 0 for i in range(THREADS)]
    done, refused = _together(
        lambda answer: quiz_services.save_answer(
            member=member, attempt=attempt, question_id=question_id, answer=answer, version=1
        ),
        answers,
    )
    slot = AttemptAnswer.objects.get(attempt=attempt, question_id=question_id)
    assert slot.version == 1
    # The first save applied; the same answer again is a replay, the other one is stale.
    same = answers.count(slot.answer)
    assert len(done) == same and refused == ["stale_answer"] * (THREADS - same)

    done, refused = _together(
        lambda _i: quiz_services.submit_attempt(member=member, attempt=attempt), range(THREADS)
    )
    assert len(done) == 1 and refused == ["attempt_finished"] * (THREADS - 1)
    assert Attempt.objects.get(pk=attempt.pk).ended_by == "submitted"


def test_of_simultaneous_submissions_over_the_api_s_path_one_marks(world):
    made = _open_quiz(world)
    member = world.a.member
    attempt, _ = quiz_services.start_attempt(member=member, quiz=made)
    done, refused = _together(
        lambda _i: quiz_services.submit_own_attempt(user=member.user, attempt_id=attempt.pk),
        range(THREADS),
    )
    assert len(done) == 1 and refused == ["attempt_finished"] * (THREADS - 1)
    assert AttemptAnswer.objects.filter(attempt=attempt, score__isnull=True).count() == 0
    assert Attempt.objects.get(pk=attempt.pk).ended_by == "submitted"

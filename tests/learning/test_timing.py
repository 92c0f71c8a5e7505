"""An attempt's clock and order (learning.timing) as tables of cases: the deadline, saves
one second inside and outside it, the quiz's opening, attempts left, the review policy,
the quiz's terms and the answer-version rule. Pure: no database, no clock."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from dangjian.core.errors import DomainError
from dangjian.learning.timing import (
    QuizTerms,
    ReviewPolicy,
    SaveOutcome,
    answer_save,
    answers_visible,
    attempt_deadline,
    attempts_left,
    check_in_progress,
    check_quiz_terms,
    check_start,
    in_time,
    is_overdue,
    quiz_terms_problems,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
OPENS = datetime(2026, 12, 1, 8, 0, tzinfo=SHANGHAI)
CLOSES = datetime(2026, 12, 31, 20, 0, tzinfo=SHANGHAI)
START = datetime(2026, 12, 10, 10, 0, tzinfo=SHANGHAI)
SECOND = timedelta(seconds=1)
MINUTES_30 = timedelta(minutes=30)

# (started at, time limit, closes at, the deadline)
DEADLINE_CASES = [
    (START, MINUTES_30, CLOSES, START + MINUTES_30),
    # Started 10 minutes before the close: the close cuts the 30 minutes short.
    (CLOSES - timedelta(minutes=10), MINUTES_30, CLOSES, CLOSES),
    # Started exactly 30 minutes before: both end together.
    (CLOSES - MINUTES_30, MINUTES_30, CLOSES, CLOSES),
    (START, None, CLOSES, CLOSES),
    (START, MINUTES_30, None, START + MINUTES_30),
    (START, None, None, None),
    # A microsecond start keeps its microseconds: the limit is the limit.
    (
        START.replace(microsecond=250_000),
        MINUTES_30,
        None,
        START.replace(microsecond=250_000) + MINUTES_30,
    ),
]


@pytest.mark.parametrize(("started_at", "limit", "closes_at", "deadline"), DEADLINE_CASES)
def test_the_deadline_is_the_start_plus_the_limit_but_never_after_the_close(
    started_at, limit, closes_at, deadline
):
    assert (
        attempt_deadline(started_at=started_at, time_limit=limit, closes_at=closes_at) == deadline
    )


DEADLINE = START + MINUTES_30  # 10:30:00

# (when the save or submission arrives, in time?)
EDGE_CASES = [
    (DEADLINE - SECOND, True),  # 10:29:59
    (DEADLINE, True),  # the deadline instant itself is in
    (DEADLINE + timedelta(microseconds=1), False),
    (DEADLINE + SECOND, False),  # 10:30:01
    (START, True),
]


@pytest.mark.parametrize(("at", "expected"), EDGE_CASES)
def test_a_save_is_in_time_up_to_and_including_the_deadline(at, expected):
    assert in_time(at, DEADLINE) is expected
    assert is_overdue(at=at, deadline=DEADLINE, finished=False) is not expected
    if expected:
        check_in_progress(at=at, deadline=DEADLINE, finished=False)
    else:
        with pytest.raises(DomainError) as caught:
            check_in_progress(at=at, deadline=DEADLINE, finished=False)
        assert caught.value.code == "deadline_passed"
        assert caught.value.details == {"deadline": DEADLINE.isoformat()}


def test_an_attempt_without_a_deadline_is_always_in_time_and_never_overdue():
    far = datetime(2099, 1, 1, tzinfo=SHANGHAI)
    assert in_time(far, None)
    assert not is_overdue(at=far, deadline=None, finished=False)


@pytest.mark.parametrize("at", [DEADLINE - SECOND, DEADLINE + SECOND])
def test_a_finished_attempt_refuses_saves_and_a_replayed_submission_whatever_the_time(at):
    with pytest.raises(DomainError) as caught:
        check_in_progress(at=at, deadline=DEADLINE, finished=True)
    assert caught.value.code == "attempt_finished"
    assert not is_overdue(at=at, deadline=DEADLINE, finished=True)


# (now, attempts allowed, attempts started, the refusal's code or None)
START_CASES = [
    (OPENS - SECOND, None, 0, "quiz_not_open"),
    (OPENS, None, 0, None),
    (OPENS + SECOND, None, 0, None),
    (CLOSES - SECOND, None, 0, None),
    (CLOSES, None, 0, "quiz_closed"),  # the close itself is closed
    (CLOSES + SECOND, None, 0, "quiz_closed"),
    (START, 3, 0, None),
    (START, 3, 2, None),
    (START, 3, 3, "no_attempts_left"),
    (START, 1, 5, "no_attempts_left"),
    (START, None, 500, None),
    # A closed quiz says so before counting attempts.
    (CLOSES, 1, 1, "quiz_closed"),
]


@pytest.mark.parametrize(("at", "allowed", "used", "refused"), START_CASES)
def test_an_attempt_may_start_while_the_quiz_is_open_and_attempts_are_left(
    at, allowed, used, refused
):
    def start():
        check_start(
            at=at, opens_at=OPENS, closes_at=CLOSES, attempts_allowed=allowed, attempts_used=used
        )

    if refused is None:
        start()
    else:
        with pytest.raises(DomainError) as caught:
            start()
        assert caught.value.code == refused


def test_a_quiz_without_an_opening_or_a_close_is_open_at_any_time():
    for at in (datetime(2000, 1, 1, tzinfo=SHANGHAI), datetime(2099, 1, 1, tzinfo=SHANGHAI)):
        check_start(at=at, opens_at=None, closes_at=None, attempts_allowed=None, attempts_used=0)


@pytest.mark.parametrize(
    ("allowed", "used", "left"), [(3, 0, 3), (3, 2, 1), (3, 3, 0), (3, 7, 0), (None, 9, None)]
)
def test_attempts_left_count_every_attempt_started(allowed, used, left):
    assert attempts_left(allowed=allowed, used=used) == left


# (policy, finished, now, answers shown?)
REVIEW_CASES = [
    (ReviewPolicy.AFTER_SUBMISSION, False, START, False),
    (ReviewPolicy.AFTER_SUBMISSION, True, START, True),
    (ReviewPolicy.AFTER_CLOSE, False, CLOSES + SECOND, False),
    (ReviewPolicy.AFTER_CLOSE, True, START, False),
    (ReviewPolicy.AFTER_CLOSE, True, CLOSES - SECOND, False),
    (ReviewPolicy.AFTER_CLOSE, True, CLOSES, True),
    ("after_close", True, CLOSES + SECOND, True),
]


@pytest.mark.parametrize(("policy", "finished", "at", "shown"), REVIEW_CASES)
def test_the_review_shows_the_answers_after_submission_or_from_the_close(
    policy, finished, at, shown
):
    assert answers_visible(policy=policy, at=at, finished=finished, closes_at=CLOSES) is shown


def test_answers_kept_until_a_close_that_is_not_set_are_not_shown():
    assert not answers_visible(policy="after_close", at=CLOSES, finished=True, closes_at=None)


def terms(**changes):
    values = {
        "opens_at": OPENS,
        "closes_at": CLOSES,
        "time_limit": MINUTES_30,
        "attempts_allowed": 3,
        "pass_mark": Decimal(60),
        "review_policy": ReviewPolicy.AFTER_CLOSE,
    }
    values.update(changes)
    return QuizTerms(**values)


# (changes to good terms, the fields refused)
TERMS_CASES = [
    ({}, []),
    ({"opens_at": None, "closes_at": None, "review_policy": "after_submission"}, []),
    ({"closes_at": OPENS}, ["closes_at"]),
    ({"closes_at": OPENS - SECOND}, ["closes_at"]),
    ({"time_limit": timedelta(0)}, ["time_limit"]),
    ({"time_limit": timedelta(hours=24)}, []),
    ({"time_limit": timedelta(hours=24, seconds=1)}, ["time_limit"]),
    ({"time_limit": None, "attempts_allowed": None}, []),
    ({"attempts_allowed": 0}, ["attempts_allowed"]),
    ({"attempts_allowed": True}, ["attempts_allowed"]),
    ({"pass_mark": Decimal(0)}, []),
    ({"pass_mark": Decimal(100)}, []),
    ({"pass_mark": Decimal("100.01")}, ["pass_mark"]),
    ({"pass_mark": Decimal(-1)}, ["pass_mark"]),
    ({"review_policy": "never"}, ["review_policy"]),
    ({"closes_at": None}, ["review_policy"]),
    ({"closes_at": None, "review_policy": ReviewPolicy.AFTER_SUBMISSION}, []),
    ({"attempts_allowed": 0, "pass_mark": Decimal(101)}, ["attempts_allowed", "pass_mark"]),
]


@pytest.mark.parametrize(("changes", "problems"), TERMS_CASES)
def test_a_quizs_terms_are_refused_field_by_field(changes, problems):
    assert quiz_terms_problems(terms(**changes)) == problems
    if problems:
        with pytest.raises(DomainError) as caught:
            check_quiz_terms(terms(**changes))
        assert caught.value.code == "validation_error"
        assert caught.value.details == {"field": problems[0]}
    else:
        check_quiz_terms(terms(**changes))


# (stored version, stored answer, the save's version, its answer, outcome or refusal)
SAVE_CASES = [
    (0, None, 1, "A", SaveOutcome.APPLY),  # the first save
    (3, "A", 4, "B", SaveOutcome.APPLY),
    (3, "A", 4, "A", SaveOutcome.APPLY),  # saving the same answer again is still a save
    (4, "B", 4, "B", SaveOutcome.REPLAY),  # the same request again
    (4, ["A", "C"], 4, ["C", "A"], SaveOutcome.REPLAY),  # a set, in any order
    (4, True, 4, True, SaveOutcome.REPLAY),
    (4, "B", 4, "C", "stale_answer"),  # another tab made version 4 first
    (4, "B", 3, "A", "stale_answer"),  # an older tab
    (4, "B", 3, "B", "stale_answer"),  # an older replay: the slot has moved on
    (4, "B", 6, "C", "stale_answer"),  # a version never handed out
    (0, None, 0, None, "validation_error"),
    (0, None, -1, "A", "validation_error"),
]


@pytest.mark.parametrize(("stored", "stored_answer", "version", "answer", "expected"), SAVE_CASES)
def test_a_save_applies_the_next_version_replays_the_same_and_refuses_a_stale_one(
    stored, stored_answer, version, answer, expected
):
    def save():
        return answer_save(
            stored_version=stored, stored_answer=stored_answer, version=version, answer=answer
        )

    if isinstance(expected, SaveOutcome):
        assert save() == expected
        return
    with pytest.raises(DomainError) as caught:
        save()
    assert caught.value.code == expected
    if expected == "stale_answer":
        assert caught.value.details == {"current_version": stored}


def test_a_slot_saved_in_order_then_replayed_ends_on_the_newest_answer():
    # Saves 1, 2, 3 arrive, then save 2 is replayed by a retrying client: refused, so the
    # slot keeps answer 3.
    version, stored = 0, None
    for number, answer in ((1, "A"), (2, "B"), (3, "C")):
        assert (
            answer_save(stored_version=version, stored_answer=stored, version=number, answer=answer)
            == SaveOutcome.APPLY
        )
        version, stored = number, answer
    with pytest.raises(DomainError):
        answer_save(stored_version=version, stored_answer=stored, version=2, answer="B")
    assert (version, stored) == (3, "C")

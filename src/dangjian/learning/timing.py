"""The clock and the order of a quiz attempt (issue 19, points 5 and 6), as pure functions
of times and counts: the attempt's deadline, whether a save or a submission comes in time,
whether a quiz may be started, how many attempts are left, when the review shows the
answers, and which answer saves are applied, replayed or refused as stale.

Times are the server's (`core.clock.now()`), passed in by the caller, aware, and compared
to the microsecond; nothing here reads a clock, so tests decide every edge.

The edges, in one place:

- A quiz is open on the half-open interval [opens_at, closes_at): starting at `opens_at`
  is allowed, starting at `closes_at` is not (an attempt begun then would have no time).
- An attempt's deadline is min(started_at + time_limit, closes_at), whichever are set.
  A save or a submission at time t is in time when t <= deadline: the deadline instant
  itself is in, one microsecond later is out. So with a deadline of 10:30:00, a save at
  10:29:59 and one at 10:30:00 are taken and one at 10:30:01 is refused.
- An attempt past its deadline and not finished is overdue: the scheduled job finishes it
  with the answers saved up to the deadline (which are all the answers it has, since no
  later save was taken).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from django.utils.translation import gettext as _

from dangjian.core.errors import DomainError


def attempt_deadline(
    *, started_at: datetime, time_limit: timedelta | None, closes_at: datetime | None
) -> datetime | None:
    """When an attempt must be in: its start plus the quiz's time limit, but never after the
    quiz closes; None when the quiz has neither (the attempt may stay open)."""
    ends = [] if time_limit is None else [started_at + time_limit]
    if closes_at is not None:
        ends.append(closes_at)
    return min(ends, default=None)


def in_time(at: datetime, deadline: datetime | None) -> bool:
    """Whether a save or a submission at `at` comes in time: at or before the deadline."""
    return deadline is None or at <= deadline


def is_overdue(*, at: datetime, deadline: datetime | None, finished: bool) -> bool:
    """Whether the scheduled job must finish the attempt now: unfinished and past its
    deadline."""
    return not finished and not in_time(at, deadline)


def check_open(*, at: datetime, opens_at: datetime | None, closes_at: datetime | None) -> None:
    """Refuse a start outside [opens_at, closes_at): `quiz_not_open` before, `quiz_closed`
    from the close on."""
    if opens_at is not None and at < opens_at:
        raise DomainError("quiz_not_open", _("测试尚未开始"), opens_at=opens_at.isoformat())
    if closes_at is not None and at >= closes_at:
        raise DomainError("quiz_closed", _("测试已结束"))


def attempts_left(*, allowed: int | None, used: int) -> int | None:
    """How many more attempts a member may start; None when the quiz allows any number.
    `used` counts every attempt started, finished or not."""
    if allowed is None:
        return None
    return max(allowed - used, 0)


def check_start(
    *,
    at: datetime,
    opens_at: datetime | None,
    closes_at: datetime | None,
    attempts_allowed: int | None,
    attempts_used: int,
) -> None:
    """Refuse starting an attempt: the quiz not open yet or closed, then no attempts left
    (`no_attempts_left`). A member with an attempt in progress is given that attempt back
    by the service rather than asking here, so that a double tap on "start" never spends
    two attempts."""
    check_open(at=at, opens_at=opens_at, closes_at=closes_at)
    if attempts_left(allowed=attempts_allowed, used=attempts_used) == 0:
        raise DomainError(
            "no_attempts_left",
            _("本测试最多可作答 %(allowed)d 次，您的次数已用完") % {"allowed": attempts_allowed},
            allowed=attempts_allowed,
        )


def check_in_progress(*, at: datetime, deadline: datetime | None, finished: bool) -> None:
    """Refuse a save or a submission to an attempt that is finished (`attempt_finished`: a
    replayed submission changes nothing) or past its deadline (`deadline_passed`; the caller
    then finishes the attempt with what was saved). Finished is checked first: an attempt
    already marked says so, whatever the time."""
    if finished:
        raise DomainError("attempt_finished", _("本次作答已交卷"))
    if not in_time(at, deadline):
        raise DomainError(
            "deadline_passed",
            _("作答时间已到，已按截止时保存的答案交卷"),
            deadline=deadline.isoformat() if deadline else None,
        )


class ReviewPolicy(StrEnum):
    """When a finished attempt shows the member's answers marked right or wrong, with the
    correct answers. The grade and the pass are shown at once under both: a member must
    know whether the month's package is complete."""

    AFTER_SUBMISSION = "after_submission"
    AFTER_CLOSE = "after_close"


def answers_visible(
    *, policy: ReviewPolicy | str, at: datetime, finished: bool, closes_at: datetime | None
) -> bool:
    """Whether a member reviewing an attempt at `at` sees the marked answers and the correct
    ones: never while it is in progress; after submission, or from the quiz's close on
    (keeping them back while the quiz is open stops members from passing them on)."""
    if not finished:
        return False
    if ReviewPolicy(policy) == ReviewPolicy.AFTER_SUBMISSION:
        return True
    return closes_at is not None and at >= closes_at


@dataclass(frozen=True)
class QuizTerms:
    opens_at: datetime | None
    closes_at: datetime | None
    time_limit: timedelta | None
    attempts_allowed: int | None
    pass_mark: Decimal
    review_policy: ReviewPolicy | str


MAX_TIME_LIMIT = timedelta(hours=24)


def quiz_terms_problems(terms: QuizTerms) -> list[str]:
    """The fields a quiz's terms get wrong (empty when none). The quiz's save refuses them
    with `validation_error` and the field, in Chinese (`check_quiz_terms`)."""
    problems = []
    if terms.opens_at and terms.closes_at and terms.closes_at <= terms.opens_at:
        problems.append("closes_at")
    if terms.time_limit is not None and not timedelta(0) < terms.time_limit <= MAX_TIME_LIMIT:
        problems.append("time_limit")
    allowed = terms.attempts_allowed
    if allowed is not None and (isinstance(allowed, bool) or allowed < 1):
        problems.append("attempts_allowed")
    if not Decimal(0) <= Decimal(terms.pass_mark) <= Decimal(100):
        problems.append("pass_mark")
    if terms.review_policy not in set(ReviewPolicy):
        problems.append("review_policy")
    elif ReviewPolicy(terms.review_policy) == ReviewPolicy.AFTER_CLOSE and not terms.closes_at:
        # Answers kept back until a close that never comes would never be shown.
        problems.append("review_policy")
    return problems


_TERMS_MESSAGES = {
    "closes_at": lambda: _("结束时间应晚于开始时间"),
    "time_limit": lambda: _("答题时限应在 1 秒至 24 小时之间"),
    "attempts_allowed": lambda: _("可作答次数应为正整数，或不限"),
    "pass_mark": lambda: _("及格分应在 0 至 100 之间"),
    "review_policy": lambda: _("“结束后公布答案”须设定测试结束时间"),
}


def check_quiz_terms(terms: QuizTerms) -> None:
    """Refuse the first field of a quiz's terms that is wrong."""
    problems = quiz_terms_problems(terms)
    if problems:
        field = problems[0]
        raise DomainError("validation_error", _TERMS_MESSAGES[field](), field=field)


class SaveOutcome(StrEnum):
    APPLY = "apply"  # write the answer and the version
    REPLAY = "replay"  # the same save again: write nothing, answer as before


def _canonical(answer: object) -> object:
    # A multiple choice may come as a list in any order; its meaning is the set.
    if isinstance(answer, Collection) and not isinstance(answer, str | bytes):
        return frozenset(answer)
    return answer


def answer_save(
    *, stored_version: int, stored_answer: object, version: int, answer: object
) -> SaveOutcome:
    """What to do with a save carrying `version`, given the version and answer stored.

    Versions count the saves of one answer slot (an attempt's question; 0 before the first
    save), as Moodle's sequence check does per question attempt: the page and the API hand
    the client the slot's version, and a save carries the version it makes, one more.

    - `version` = stored + 1: apply it (the stored version becomes `version`).
    - `version` = stored, same answer: a replay (a retried request, a double tap): nothing
      changes and the save answers as it did, so every save is idempotent.
    - anything else — an older version, or the stored one with another answer — comes from
      a tab that has not seen the latest save: refused (`stale_answer`, with the current
      version) so that it never overwrites a newer answer; the client reloads.
    A version beyond stored + 1 was never handed out and is refused the same way.

    Counting per slot rather than per attempt keeps a phone's quick saves to different
    questions, which may arrive out of order, from refusing each other."""
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise DomainError("validation_error", _("答案版本号无效"), field="version")
    if version == stored_version + 1:
        return SaveOutcome.APPLY
    if version == stored_version and _canonical(answer) == _canonical(stored_answer):
        return SaveOutcome.REPLAY
    raise DomainError(
        "stale_answer",
        _("答案已在其他页面更新，请刷新后再作答"),
        current_version=stored_version,
    )

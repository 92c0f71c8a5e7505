"""The rules of record review (docs/product.md, "Record review"), as pure functions, and
the one read that interaction needs from them: whether a record is sent back now, which
reopens it to the branch after its grace period and holds off superiors' ratings. Imports
no services or selectors, so that interaction and permissions may use it."""

from datetime import date

from dangjian.supervision.models import RecordReview, ReviewStatus

# A summary shorter than this says little of what was done: the queue shows it first.
THIN_SUMMARY_CHARS = 100

# What the reviewer may do to a record in each state, and what the branch may.
_REVIEWABLE = frozenset({None, ReviewStatus.RESUBMITTED})


def refusal_to_decide(status: str | None, deadline: date | None, today: date) -> str | None:
    """Why a superior may not pass or send back a record now (an error code), or None.
    A record is decided when nobody has decided it yet or the branch has resubmitted it;
    one sent back waits for the branch, until its deadline has passed, when the reviewer
    may send it back again with a new deadline (never pass it unsupplemented)."""
    if status == ReviewStatus.PASSED:
        return "already_reviewed"
    if status == ReviewStatus.SENT_BACK:
        return None if deadline is not None and deadline < today else "already_sent_back"
    if status not in _REVIEWABLE:
        raise ValueError(status)
    return None


def may_pass(status: str | None) -> bool:
    return status in _REVIEWABLE


def refusal_to_resubmit(status: str | None, deadline: date | None, today: date) -> str | None:
    """Why the branch may not resubmit now: the record is not sent back, or the deadline
    day is over (the reviewer may then set a new one)."""
    if status != ReviewStatus.SENT_BACK:
        return "not_sent_back"
    if deadline is None or deadline < today:
        return "deadline_passed"
    return None


def is_overdue(status: str | None, deadline: date | None, today: date) -> bool:
    """Sent back, not resubmitted, and its deadline day is over: unanswered."""
    return status == ReviewStatus.SENT_BACK and deadline is not None and deadline < today


def supplement_open(status: str | None) -> bool:
    """The branch may add photos and rewrite the summary after the record's grace period
    only while the record is sent back to it."""
    return status == ReviewStatus.SENT_BACK


def rating_allowed(status: str | None) -> bool:
    """How a send-back feeds the superior rating: while a record is sent back, nobody
    rates it (the rating waits for the supplemented record, and a record that is never
    supplemented keeps no new rating); once resubmitted or passed, it may be rated again."""
    return status != ReviewStatus.SENT_BACK


def is_thin(summary_chars: int | None) -> bool:
    """No summary, or one shorter than THIN_SUMMARY_CHARS (surrounding blanks not counted)."""
    return (summary_chars or 0) < THIN_SUMMARY_CHARS


def review_status(activity_id: int) -> str | None:
    """The status of the activity's record review (None when nobody reviewed it)."""
    return (
        RecordReview.objects.filter(activity_id=activity_id)
        .values_list("status", flat=True)
        .first()
    )

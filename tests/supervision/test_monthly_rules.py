"""一月一督查's rules as tables: which month is due on a day, and why a branch is listed."""

from datetime import date

import pytest

from dangjian.core.errors import DomainError
from dangjian.scoring.selectors.periods import parse_month
from dangjian.supervision import monthly
from dangjian.supervision.monthly import BranchFacts, reasons_of


@pytest.mark.parametrize(
    ("today", "day", "due"),
    [
        (date(2027, 1, 5), 5, date(2026, 12, 1)),  # the policy's day: the month before
        (date(2027, 1, 31), 5, date(2026, 12, 1)),  # later that month, still it
        (date(2027, 1, 4), 5, date(2026, 11, 1)),  # before the day: the one before
        (date(2027, 3, 1), 1, date(2027, 2, 1)),
        (date(2027, 3, 28), 28, date(2027, 2, 1)),
        (date(2027, 3, 27), 28, date(2027, 1, 1)),
    ],
)
def test_the_month_due_on_a_day(today, day, due):
    assert monthly.month_due(today, day) == due


def facts(**kw) -> BranchFacts:
    return BranchFacts(1, "某党支部", "00010001", **kw)


HELD = {"due": True, "approved": True, "held": True, "roster": 10, "checked_in": 8}


@pytest.mark.parametrize(
    ("given", "reasons"),
    [
        (HELD, []),
        ({"due": True}, ["no_approved_plan", "not_held"]),
        ({"due": True, "approved": True}, ["not_held"]),
        ({**HELD, "checked_in": 5}, ["low_sign_in"]),
        ({**HELD, "checked_in": 6}, []),  # exactly the threshold is not below it
        ({**HELD, "roster": 0, "checked_in": 0}, []),  # nothing to measure
        ({**HELD, "items_missing": 2}, ["items_missing"]),
        ({**HELD, "items_missing": 0, "sent_back": 0}, []),
        ({**HELD, "sent_back": 1}, ["sent_back"]),
        ({**HELD, "overdue_rectifications": 3}, ["overdue_rectification"]),
        ({}, []),  # not due, nothing open
        ({"overdue_rectifications": 1}, ["overdue_rectification"]),  # not due still counts
        (
            {"due": True, "items_missing": 1, "sent_back": 1, "overdue_rectifications": 1},
            ["no_approved_plan", "not_held", "items_missing", "sent_back", "overdue_rectification"],
        ),
    ],
)
def test_why_a_branch_is_listed(given, reasons):
    assert reasons_of(facts(**given), 60) == reasons


def test_a_threshold_of_zero_lists_no_branch_for_its_sign_in():
    assert reasons_of(facts(**{**HELD, "checked_in": 0}), 0) == []


def test_the_content_hash_follows_what_the_sheet_says_and_nothing_else():
    rows = monthly.listed([facts(due=True)], 60)
    same = monthly.listed([facts(due=True)], 60)
    other = monthly.listed([facts(due=True, overdue_rectifications=1)], 60)
    h = monthly.content_hash(7, date(2026, 12, 1), 60, rows)
    assert h == monthly.content_hash(7, date(2026, 12, 1), 60, same)
    assert len(h) == 64
    assert h != monthly.content_hash(7, date(2026, 12, 1), 60, other)
    assert h != monthly.content_hash(7, date(2026, 12, 1), 70, rows)


@pytest.mark.parametrize(
    ("text", "month"), [("2026-12", date(2026, 12, 1)), (" 2027-01 ", date(2027, 1, 1))]
)
def test_a_month_is_read_from_its_label(text, month):
    assert parse_month(text) == month


@pytest.mark.parametrize("text", ["", "2026-13", "2026-1", "2026-12-01", "十二月"])
def test_anything_else_is_not_a_month(text):
    with pytest.raises(DomainError) as exc:
        parse_month(text)
    assert exc.value.code == "validation_error"


@pytest.mark.parametrize(
    ("day", "threshold", "policy"),
    [(5, 60, (5, 60)), (0, -5, (1, 0)), (31, 150, (28, 100))],
)
def test_the_policy_is_held_to_what_it_can_mean(settings, day, threshold, policy):
    settings.SUPERVISION_MONTHLY_DAY = day
    settings.SUPERVISION_SIGN_IN_THRESHOLD = threshold
    found = monthly.policy()
    assert (found.day, found.sign_in_threshold) == policy


def test_a_date_is_read_as_its_month():
    assert parse_month(date(2026, 12, 17)) == date(2026, 12, 1)

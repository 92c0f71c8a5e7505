"""The quarterly awards' rules as tables, without a database."""

from datetime import date

import pytest

from dangjian.supervision import award_rules as rules

DEADLINE = date(2027, 1, 20)


@pytest.mark.parametrize(
    ("status", "after"),
    [
        ("open", "nominating"),
        ("nominating", "selecting"),
        ("selecting", "published"),
        ("published", None),
    ],
)
def test_each_step_of_a_round_has_one_next(status, after):
    assert rules.next_status(status) == after


@pytest.mark.parametrize(
    ("status", "today", "cases", "nominations"),
    [
        ("open", date(2027, 1, 5), True, False),
        ("nominating", date(2027, 1, 20), True, True),
        ("nominating", date(2027, 1, 21), False, False),
        ("selecting", date(2027, 1, 5), False, False),
        ("published", date(2027, 1, 5), False, False),
    ],
)
def test_cases_and_nominations_are_taken_in_their_steps_until_the_deadline(
    status, today, cases, nominations
):
    assert rules.may_submit_case(status, DEADLINE, today) is cases
    assert rules.may_nominate(status, DEADLINE, today) is nominations


@pytest.mark.parametrize(
    ("branches", "percent", "cutoff"),
    [
        (0, 30, 0),
        (1, 30, 1),
        (3, 30, 1),
        (4, 30, 2),
        (10, 30, 3),
        (10, 100, 10),
        (7, 1, 1),
    ],
)
def test_the_candidates_are_the_top_share_rounded_up(branches, percent, cutoff):
    assert rules.candidate_cutoff(branches, percent) == cutoff


@pytest.mark.parametrize(
    ("rank", "score", "cutoff", "overdue", "candidate"),
    [
        (1, 9000, 3, False, True),
        (3, 8000, 3, False, True),
        (4, 7900, 3, False, False),
        (1, 9000, 3, True, False),
        (1, 0, 3, False, False),
        (0, 9000, 3, False, False),
    ],
)
def test_a_candidate_is_ranked_within_the_cutoff_scored_and_not_overdue(
    rank, score, cutoff, overdue, candidate
):
    assert (
        rules.is_candidate(rank=rank, score_hundredths=score, cutoff=cutoff, has_overdue=overdue)
        is candidate
    )


@pytest.mark.parametrize(("quota", "used", "left"), [(3, 0, 3), (3, 2, 1), (3, 3, 0), (0, 0, 0)])
def test_a_quota_leaves_what_is_not_used(quota, used, left):
    assert rules.quota_left(quota, used) == left


@pytest.mark.parametrize(
    ("branch", "county"),
    [
        ("0001000200030004", "00010002"),
        ("00010002", "00010002"),
        ("0001", None),
        ("0002000100010001", None),
    ],
)
def test_a_branch_nominates_through_the_child_of_the_city_above_it(branch, county):
    assert rules.county_path(branch, "0001", 4) == county

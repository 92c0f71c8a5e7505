"""A quiz's figures (learning.stats) by hand-computed cases: the grade distribution, pass
rates per group, and each question's facility and upper–lower 27 % discrimination. Pure:
no database."""

from decimal import Decimal
from fractions import Fraction

import pytest

from dangjian.learning.stats import (
    AnswerRow,
    Bucket,
    GroupResult,
    MemberResult,
    distribution,
    group_results,
    group_size,
    overall,
    question_stats,
)

D = Decimal
F = Fraction


def test_grades_fall_in_buckets_of_ten_with_100_in_the_last():
    grades = [D(g) for g in ("0", "9.99", "10", "59.99", "60", "95", "100", "100")]
    assert [b.count for b in distribution(grades)] == [2, 1, 0, 0, 0, 1, 1, 0, 0, 3]
    assert distribution(grades)[0] == Bucket(0, 10, 2)
    assert distribution(grades)[-1] == Bucket(90, 100, 3)


@pytest.mark.parametrize(
    ("width", "counts"),
    [
        # [0,20) 0, 10; [40,60) 45, 59.99; [60,80) 60; [80,100] 80, 99.99, 100.
        (20, [2, 0, 2, 1, 3]),
        # [0,25) 0, 10; [25,50) 45; [50,75) 59.99, 60; [75,100] 80, 99.99, 100.
        (25, [2, 1, 2, 3]),
        (100, [8]),
    ],
)
def test_the_bucket_width_is_any_divisor_of_100(width, counts):
    grades = [D(g) for g in ("0", "10", "45", "59.99", "60", "80", "99.99", "100")]
    assert [b.count for b in distribution(grades, width)] == counts


def test_no_grades_give_empty_buckets_and_wrong_widths_or_grades_are_refused():
    assert [b.count for b in distribution([])] == [0] * 10
    for width in (0, 7, 101, True):
        with pytest.raises(ValueError):
            distribution([], width)
    for grade in (D("-0.01"), D("100.01")):
        with pytest.raises(ValueError):
            distribution([grade])


def test_pass_rates_are_per_group_over_the_members_who_took_the_quiz():
    results = [
        # Branch A: 4 members, 3 took it, 2 passed.
        MemberResult(1, "A", D("80"), True),
        MemberResult(2, "A", D("60"), True),
        MemberResult(3, "A", D("40"), False),
        MemberResult(4, "A", None),
        # Branch B: 3 members, none took it.
        MemberResult(5, "B", None),
        MemberResult(6, "B", None),
        MemberResult(7, "B", None),
        # Branch C: 1 member, passed.
        MemberResult(8, "C", D("100"), True),
    ]
    groups = group_results(results)
    assert groups == {
        "A": GroupResult(4, 3, 2),
        "B": GroupResult(3, 0, 0),
        "C": GroupResult(1, 1, 1),
    }
    # A: 3/4 took it = 75 %, 2/3 of them passed = 66.666… → 66.67.
    assert (groups["A"].participation, groups["A"].pass_rate) == (D("75.00"), D("66.67"))
    # B: nobody took it, so there is no pass rate (not 0 %).
    assert (groups["B"].participation, groups["B"].pass_rate) == (D("0.00"), None)
    assert (groups["C"].participation, groups["C"].pass_rate) == (D("100.00"), D("100.00"))
    # All: 8 members, 4 took it (50 %), 3 passed (75 %).
    everyone = overall(groups)
    assert everyone == GroupResult(8, 4, 3)
    assert (everyone.participation, everyone.pass_rate) == (D("50.00"), D("75.00"))
    assert overall({}).pass_rate is None


def test_a_member_counted_twice_is_refused():
    with pytest.raises(ValueError):
        group_results([MemberResult(1, "A", D(50)), MemberResult(1, "B", D(50))])


@pytest.mark.parametrize(
    ("attempts", "size"),
    [(0, 0), (1, 0), (2, 1), (3, 1), (4, 1), (5, 1), (6, 2), (10, 3), (100, 27), (370, 100)],
)
def test_kelleys_groups_hold_27_percent_of_the_attempts_rounded(attempts, size):
    # 5 × 0.27 = 1.35 → 1; 6 × 0.27 = 1.62 → 2; 370 × 0.27 = 99.9 → 100.
    assert group_size(attempts) == size


# Ten attempts, ids 1–10, graded 100, 90, … 10: the upper group is 1–3, the lower 8–10.
GRADES = {attempt: D(110 - 10 * attempt) for attempt in range(1, 11)}


def rows(question_id, credits):
    return [AnswerRow(attempt, question_id, F(c)) for attempt, c in credits.items()]


def test_facility_and_discrimination_by_hand_over_ten_attempts():
    # Q1, all or nothing: right in attempts 1, 2, 4, 5, 6, 10.
    q1 = rows(1, {1: 1, 2: 1, 3: 0, 4: 1, 5: 1, 6: 1, 7: 0, 8: 0, 9: 0, 10: 1})
    # Q2, partial credit: upper 1, 1/2, 1; lower 1/2, 0, 0; the middle 1/2 each.
    q2 = rows(2, {1: 1, 2: F(1, 2), 3: 1, 4: F(1, 2), 5: F(1, 2), 6: F(1, 2), 7: F(1, 2),
                  8: F(1, 2), 9: 0, 10: 0})  # fmt: skip
    # Q3: only the weak get it right.
    q3 = rows(3, {a: int(a >= 8) for a in range(1, 11)})
    stats = question_stats(q1 + q2 + q3, GRADES)
    # Q1: 6 of 10 right = 60 %; upper 2/3 − lower 1/3 = 1/3 → 0.33.
    assert (stats[1].attempts, stats[1].facility, stats[1].discrimination) == (
        10,
        D("60.00"),
        D("0.33"),
    )
    # Q2: (1 + 1/2 + 1 + 5 × 1/2 + 0 + 0) / 10 = 5/10 = 50 %; upper (5/2)/3 = 5/6, lower
    # (1/2)/3 = 1/6: 4/6 = 0.666… → 0.67.
    assert (stats[2].facility, stats[2].discrimination) == (D("50.00"), D("0.67"))
    # Q3: 3 of 10 = 30 %; upper 0 − lower 1 = −1.
    assert (stats[3].facility, stats[3].discrimination) == (D("30.00"), D("-1.00"))


def test_a_drawn_question_is_ranked_among_its_own_attempts():
    # Given only to attempts 2, 5, 7 and 9: groups of 4 × 0.27 = 1.08 → 1, the upper being
    # attempt 2 (graded 90), the lower attempt 9 (20). Right in 2 and 7: 50 %; D = 1 − 0.
    stats = question_stats(rows(4, {2: 1, 5: 0, 7: 1, 9: 0}), GRADES)
    assert (stats[4].attempts, stats[4].facility, stats[4].discrimination) == (
        4,
        D("50.00"),
        D("1.00"),
    )


def test_a_single_attempt_has_a_facility_but_no_discrimination():
    stats = question_stats(rows(5, {3: F(2, 3)}), GRADES)
    # 2/3 = 66.666… → 66.67.
    assert (stats[5].facility, stats[5].discrimination) == (D("66.67"), None)


def test_equal_grades_are_ranked_by_attempt_id_so_the_index_is_stable():
    # Six attempts all graded 50: groups of 2, upper attempts 1 and 2, lower 5 and 6.
    grades = dict.fromkeys(range(1, 7), D(50))
    credits = {1: 1, 2: 0, 3: 0, 4: 0, 5: 0, 6: 0}
    # Upper 1/2 − lower 0 = 0.5.
    assert question_stats(rows(6, credits), grades)[6].discrimination == D("0.50")
    # Given in any order, the same.
    assert question_stats(reversed(rows(6, credits)), grades)[6].discrimination == D("0.50")


def test_a_negative_index_rounds_half_away_from_zero():
    # Upper 0; lower (1/2 + 0 + 0)/3 = 1/6: −0.1666… → −0.17.
    credits = dict.fromkeys(range(1, 11), 0) | {8: F(1, 2)}
    assert question_stats(rows(7, credits), GRADES)[7].discrimination == D("-0.17")


@pytest.mark.parametrize(
    "bad",
    [
        [AnswerRow(1, 1, F(3, 2))],
        [AnswerRow(1, 1, F(-1))],
        [AnswerRow(1, 1, F(1)), AnswerRow(1, 1, F(0))],
    ],
)
def test_credits_outside_0_to_1_or_an_attempt_answering_twice_are_refused(bad):
    with pytest.raises(ValueError):
        question_stats(bad, GRADES)

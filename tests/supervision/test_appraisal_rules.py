"""The annual appraisal's rule as a table of cases: the score, the quotas, the grades
proposed by rank and the star rating. No database."""

from collections import Counter
from decimal import Decimal
from fractions import Fraction

import pytest

from dangjian.supervision import appraisal_rules as rules
from dangjian.supervision.appraisal_rules import (
    AVERAGE,
    FAIRLY_GOOD,
    GOOD,
    POOR,
    AppraisalInputs,
    AppraisalTerms,
)

TERMS = AppraisalTerms(
    version=2,
    finding_deduction=Decimal("2"),
    overdue_deduction=Decimal("3"),
    send_back_deduction=Decimal("1.5"),
    study_weight=Decimal("5"),
    volunteer_weight=Decimal("4"),
    volunteer_hours_target=Decimal("10"),
)


@pytest.mark.parametrize(
    ("inputs", "terms", "expected"),
    [
        # The year's mean alone.
        (AppraisalInputs(mean_hundredths=8512), rules.DEFAULT_TERMS, 8512),
        # Deductions: 2 findings × 2, 1 overdue × 3, 1 send-back × 1 (default rule).
        (
            AppraisalInputs(mean_hundredths=9000, findings=2, overdue=1, send_backs=1),
            rules.DEFAULT_TERMS,
            9000 - 400 - 300 - 100,
        ),
        # Never below 0.
        (AppraisalInputs(mean_hundredths=500, findings=10), rules.DEFAULT_TERMS, 0),
        # Study and volunteering weigh nothing in the default rule.
        (
            AppraisalInputs(
                mean_hundredths=7000,
                study_share=Fraction(1),
                volunteer_hours=Decimal("100"),
                members=5,
            ),
            rules.DEFAULT_TERMS,
            7000,
        ),
        # Study at weight 5: two thirds completed → 3.33 points (half up at the end).
        (AppraisalInputs(mean_hundredths=7000, study_share=Fraction(2, 3)), TERMS, 7333),
        # No package reached it: nothing to add.
        (AppraisalInputs(mean_hundredths=7000, study_share=None), TERMS, 7000),
        # Volunteering at weight 4: 25 hours over 5 members = 5 h against a 10 h target → 2.
        (
            AppraisalInputs(mean_hundredths=7000, volunteer_hours=Decimal("25"), members=5),
            TERMS,
            7200,
        ),
        # Capped at the full weight.
        (
            AppraisalInputs(mean_hundredths=7000, volunteer_hours=Decimal("500"), members=5),
            TERMS,
            7400,
        ),
        # No members: no volunteer figure.
        (
            AppraisalInputs(mean_hundredths=7000, volunteer_hours=Decimal("5"), members=0),
            TERMS,
            7000,
        ),
        # Everything at once: 80 + 5×0.5 + 4×1 − 2 − 3×2 − 1.5×3 = 74.00.
        (
            AppraisalInputs(
                mean_hundredths=8000,
                findings=1,
                overdue=2,
                send_backs=3,
                study_share=Fraction(1, 2),
                volunteer_hours=Decimal("20"),
                members=2,
            ),
            TERMS,
            7400,
        ),
        # Half-up rounding of an exact third: 1/3 of 5 points at 70.00 → 71.67.
        (AppraisalInputs(mean_hundredths=7000, study_share=Fraction(1, 3)), TERMS, 7167),
    ],
)
def test_the_appraisal_score_follows_the_rule(inputs, terms, expected):
    assert rules.appraisal_hundredths(inputs, terms) == expected


@pytest.mark.parametrize(
    ("branches", "good", "fairly", "poor", "expected"),
    [
        (10, 20, 30, 5, (2, 3, 1)),
        (7, 20, 30, 5, (1, 2, 1)),  # ceilings round down, the floor up
        (30, 20, 30, 5, (6, 9, 2)),
        (19, 20, 30, 0, (3, 5, 0)),
        (2, 20, 30, 5, (0, 0, 1)),
        (0, 20, 30, 5, (0, 0, 0)),
    ],
)
def test_a_countys_quotas_are_counts_of_its_branches(branches, good, fairly, poor, expected):
    terms = AppraisalTerms(
        version=2, good_max_percent=good, fairly_good_max_percent=fairly, poor_min_percent=poor
    )
    quotas = rules.quotas_for(branches, terms)
    assert (quotas.good_max, quotas.fairly_good_max, quotas.poor_min) == expected


QUOTA = AppraisalTerms(
    version=2, good_max_percent=20, fairly_good_max_percent=30, poor_min_percent=10
)


@pytest.mark.parametrize(
    ("grades", "expected"),
    [
        ([GOOD, GOOD] + [FAIRLY_GOOD] * 3 + [AVERAGE] * 4 + [POOR], []),
        ([GOOD] * 3 + [AVERAGE] * 6 + [POOR], [GOOD]),
        ([GOOD] + [FAIRLY_GOOD] * 4 + [AVERAGE] * 4 + [POOR], [FAIRLY_GOOD]),
        ([GOOD] + [AVERAGE] * 9, [POOR]),
        ([GOOD] * 3 + [FAIRLY_GOOD] * 4 + [AVERAGE] * 3, [GOOD, FAIRLY_GOOD, POOR]),
        ([POOR] * 10, []),  # the floor is a floor: more 差 is allowed
    ],
)
def test_quota_problems_name_each_quota_broken(grades, expected):
    assert rules.quota_problems(grades, QUOTA) == expected


def _proposed(scores, terms=QUOTA):
    grades = rules.propose_grades(dict(enumerate(scores, start=1)), terms)
    return [grades[i] for i in range(1, len(scores) + 1)]


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        # Ten distinct scores: 2 好, 3 较好, 1 差 from the bottom, the rest 一般.
        (
            [9500, 9400, 9300, 9200, 9100, 9000, 8900, 8800, 8700, 8600],
            [GOOD, GOOD, FAIRLY_GOOD, FAIRLY_GOOD, FAIRLY_GOOD] + [AVERAGE] * 4 + [POOR],
        ),
        # Not in order: grades follow the scores, not the input order.
        (
            [8600, 9500, 9000, 9400, 8700, 9300, 8800, 9200, 8900, 9100],
            [POOR, GOOD, AVERAGE, GOOD, AVERAGE, FAIRLY_GOOD, AVERAGE, FAIRLY_GOOD]
            + [AVERAGE, FAIRLY_GOOD],
        ),
        # A tie for second that would pass the 好 ceiling goes to 较好 whole.
        (
            [9500, 9400, 9400, 9200, 9100, 9000, 8900, 8800, 8700, 8600],
            [GOOD, FAIRLY_GOOD, FAIRLY_GOOD, FAIRLY_GOOD] + [AVERAGE] * 5 + [POOR],
        ),
        # A tie at the bottom goes to 差 whole (the floor is kept, more is allowed).
        (
            [9500, 9400, 9300, 9200, 9100, 9000, 8900, 8800, 8600, 8600],
            [GOOD, GOOD] + [FAIRLY_GOOD] * 3 + [AVERAGE] * 3 + [POOR, POOR],
        ),
        # Everyone tied: nobody can be 好 or 较好 without passing a ceiling; all 差 keeps
        # the floor.
        ([8000] * 10, [POOR] * 10),
        # One branch: no 好 (20 % of 1 rounds down), 差 (10 % rounds up to 1).
        ([9900], [POOR]),
    ],
)
def test_the_system_proposes_grades_by_rank_within_quotas(scores, expected):
    proposed = _proposed(scores)
    assert proposed == expected
    counts = Counter(proposed)
    quotas = rules.quotas_for(len(scores), QUOTA)
    assert counts[GOOD] <= quotas.good_max and counts[FAIRLY_GOOD] <= quotas.fairly_good_max
    assert counts[POOR] >= quotas.poor_min


def test_the_proposal_keeps_the_quotas_of_the_rule_whatever_the_scores():
    scores = [(i * 7919) % 10001 for i in range(137)]
    proposed = _proposed(scores, rules.DEFAULT_TERMS)
    assert rules.quota_problems(proposed, rules.DEFAULT_TERMS) == []


def test_ranks_are_shared_by_ties():
    assert rules.county_ranks({1: 9000, 2: 9500, 3: 9000, 4: 8000}) == {2: 1, 1: 2, 3: 2, 4: 4}


@pytest.mark.parametrize(("grade", "stars"), [(GOOD, 5), (FAIRLY_GOOD, 4), (AVERAGE, 3), (POOR, 1)])
def test_the_star_rating_follows_the_confirmed_grade(grade, stars):
    assert rules.stars_for(grade) == stars


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"finding_deduction": Decimal("-1")}, "points_range"),
        ({"study_weight": Decimal("101")}, "points_range"),
        ({"volunteer_hours_target": Decimal("0")}, "volunteer_target"),
        ({"good_max_percent": 101}, "quota_range"),
        ({"poor_min_percent": -1}, "quota_range"),
        (
            {"good_max_percent": 50, "fairly_good_max_percent": 40, "poor_min_percent": 11},
            "quota_sum",
        ),
    ],
)
def test_a_rule_out_of_range_is_refused(changes, problem):
    with pytest.raises(ValueError, match=problem):
        AppraisalTerms(version=2, **changes)


def test_the_terms_survive_their_stored_form():
    assert AppraisalTerms.from_dict(TERMS.as_dict()) == TERMS

"""The formula of docs/product.md, "Scoring" by hand-computed examples: one per rule, the left-out
components with their weights shared out, and half-up rounding. Pure: no database."""

from decimal import Decimal

import pytest

from dangjian.scoring import formula
from dangjian.scoring.formula import (
    DEFAULT_POLICY,
    Period,
    PolicyTerms,
    ScoreInputs,
    competition_ranks,
    compute,
    parse_period,
    round_half_up,
)

D = Decimal


def full(**overrides) -> ScoreInputs:
    """10 on the roster (2 flowing), everything else at 100 unless overridden."""
    data = {
        "roster": 10,
        "roster_flowing": 2,
        "checked_in_non_flowing": 8,
        "liked_flowing": 2,
        "commenters": 10,
        "photos": 4,
        "summary_chars": 400,
        "rating": 100,
    }
    data.update(overrides)
    return ScoreInputs(**data)


def value(result, name):
    return result.components[name].value


def test_everything_perfect_scores_100_with_the_default_weights():
    result = compute(full())
    assert result.total == D("100.00")
    assert result.policy_version == 1
    assert {n: c.weight for n, c in result.components.items()} == {
        "sign_in": D("70.00"),
        "flowing_like": D("10.00"),
        "upload": D("10.00"),
        "comment": D("5.00"),
        "superior": D("5.00"),
    }


def test_the_sign_in_rate_counts_only_non_flowing_members():
    # 6 of the 8 non-flowing members checked in: 75; total 100 − 0.7 × 25 = 82.5.
    result = compute(full(checked_in_non_flowing=6))
    assert value(result, "sign_in") == D("75.00")
    assert result.total == D("82.50")


def test_the_flowing_like_rate_is_likes_of_flowing_members_over_flowing_members():
    # 1 of the 2 flowing members liked: 50; total 100 − 0.1 × 50 = 95.
    result = compute(full(liked_flowing=1))
    assert value(result, "flowing_like") == D("50.00")
    assert result.total == D("95.00")


def test_upload_completeness_is_photos_up_to_four_and_summary_up_to_400_characters():
    # 3 photos: 3/4 × 50 = 37.5; 100 characters: 100/400 × 50 = 12.5; upload 50.
    result = compute(full(photos=3, summary_chars=100))
    assert value(result, "upload") == D("50.00")
    assert result.total == D("95.00")
    # More than four photos or 400 characters earns nothing more.
    assert value(compute(full(photos=30, summary_chars=5000)), "upload") == D("100.00")
    assert value(compute(full(photos=0, summary_chars=0)), "upload") == D("0.00")


def test_the_comment_rate_is_commenters_over_the_whole_roster():
    # 4 of 10 roster members (flowing ones included) commented: 40; 100 − 0.05 × 60 = 97.
    result = compute(full(commenters=4))
    assert value(result, "comment") == D("40.00")
    assert result.total == D("97.00")


def test_the_superior_rating_is_taken_as_it_is():
    result = compute(full(rating=60))
    assert value(result, "superior") == D("60.00")
    assert result.total == D("98.00")


def test_no_rating_yet_leaves_the_superior_component_out_and_rescales_the_others():
    # Without the 5 % rating the other weights are 70/95, 10/95, 10/95, 5/95.
    # Sign-in 50 and the rest 100: (70 × 50 + 25 × 100) / 95 = 6000 / 95 = 63.157894… → 63.16.
    result = compute(full(checked_in_non_flowing=4, rating=None))
    assert result.components["superior"] is None
    assert result.total == D("63.16")
    assert result.components["sign_in"].weight == D("73.68")  # 70/95 = 73.684…
    assert result.components["flowing_like"].weight == D("10.53")  # 10/95 = 10.526…
    assert result.components["comment"].weight == D("5.26")


def test_no_flowing_members_leaves_the_flowing_like_component_out():
    # Roster 8, none flowing, 6 checked in (75), no rating. Weights 70, 10, 5 of 85.
    # Comment 4/8 = 50; upload 4 photos, 200 characters = 50 + 25 = 75.
    # (70 × 75 + 10 × 75 + 5 × 50) / 85 = 6250 / 85 = 73.529411… → 73.53.
    inputs = ScoreInputs(
        roster=8,
        roster_flowing=0,
        checked_in_non_flowing=6,
        liked_flowing=0,
        commenters=4,
        photos=4,
        summary_chars=200,
        rating=None,
    )
    result = compute(inputs)
    assert result.components["flowing_like"] is None
    assert result.components["superior"] is None
    assert value(result, "upload") == D("75.00")
    assert result.total == D("73.53")
    # The applied weights, rounded for display: 70/85, 10/85, 5/85.
    assert result.components["sign_in"].weight == D("82.35")
    assert result.components["upload"].weight == D("11.76")
    assert result.components["comment"].weight == D("5.88")


def test_an_activity_where_everyone_is_flowing_leaves_the_sign_in_rate_out():
    # 3 on the roster, all flowing, 2 liked (66.67), 1 commented (33.33), upload 0, no
    # rating: (10 × 200/3 + 10 × 0 + 5 × 100/3) / 25 = (2000/3 + 500/3) / 25 = 33.33…
    inputs = ScoreInputs(roster=3, roster_flowing=3, liked_flowing=2, commenters=1)
    result = compute(inputs)
    assert result.components["sign_in"] is None
    assert value(result, "flowing_like") == D("66.67")
    assert value(result, "comment") == D("33.33")
    assert result.total == D("33.33")


def test_an_empty_roster_is_measured_by_uploads_and_rating_only():
    result = compute(ScoreInputs(photos=2, summary_chars=0, rating=90))
    # Upload 25 (weight 10/15), rating 90 (weight 5/15): (250 + 450) / 15 = 46.666… → 46.67.
    assert result.components["sign_in"] is None
    assert result.components["comment"] is None
    assert result.total == D("46.67")


def test_rounding_is_half_up_and_exact():
    assert round_half_up(formula.Fraction(78125, 1000)) == D("78.13")
    assert round_half_up(formula.Fraction(78124, 1000)) == D("78.12")
    assert round_half_up(formula.Fraction(5, 1000)) == D("0.01")  # banker's: 0.00
    assert round_half_up(formula.Fraction(25, 1000)) == D("0.03")  # banker's: 0.02
    # Sign-in 25/40 = 62.5, comment 41/42, the rest perfect:
    # 43.75 + 10 + 10 + 5 × 41/42 + 5 = 73.630952… → 73.63.
    inputs = full(roster=42, roster_flowing=2, checked_in_non_flowing=25, commenters=41)
    assert compute(inputs).total == D("73.63")


def test_a_total_ending_in_exactly_half_a_cent_rounds_up():
    # Policy 1/0/99/0/0 with the upload rule "photos only, 8 for full marks":
    # 1 photo of 8 = 12.5; sign-in 1 of 1 = 100 → (1 × 100 + 99 × 12.5) / 100 = 13.375
    # → 13.38 half up (13.37 with banker's rounding would be wrong).
    terms = PolicyTerms(
        version=7,
        weights={"sign_in": 1, "flowing_like": 0, "upload": 99, "comment": 0, "superior": 0},
        upload_photos_target=8,
        upload_photos_share=100,
    )
    result = compute(ScoreInputs(roster=1, checked_in_non_flowing=1, photos=1), terms)
    assert result.total == D("13.38")
    assert result.policy_version == 7


def test_a_custom_upload_rule_changes_the_upload_component():
    terms = PolicyTerms(
        version=2,
        weights=dict(formula.DEFAULT_WEIGHTS),
        upload_photos_target=2,
        upload_summary_chars=100,
        upload_photos_share=80,
    )
    # 1 photo of 2: 40; 50 chars of 100: 10; upload 50.
    assert value(compute(full(photos=1, summary_chars=50), terms), "upload") == D("50.00")


@pytest.mark.parametrize(
    "weights",
    [
        {"sign_in": 70, "flowing_like": 10, "upload": 10, "comment": 5},
        {"sign_in": 70, "flowing_like": 10, "upload": 10, "comment": 5, "superior": 6},
        {"sign_in": -5, "flowing_like": 10, "upload": 10, "comment": 80, "superior": 5},
    ],
)
def test_weights_that_are_not_five_non_negative_parts_of_100_are_refused(weights):
    with pytest.raises(ValueError):
        PolicyTerms(version=2, weights=weights)


def test_the_default_policy_is_the_specs():
    assert DEFAULT_POLICY.version == 1
    assert dict(DEFAULT_POLICY.weights) == {
        "sign_in": 70,
        "flowing_like": 10,
        "upload": 10,
        "comment": 5,
        "superior": 5,
    }


def test_periods_parse_as_month_quarter_or_year():
    from datetime import date

    assert parse_period("2026-12") == Period("month", date(2026, 12, 1))
    assert parse_period("2026-Q4") == Period("quarter", date(2026, 10, 1))
    assert parse_period("2026-q1").months == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    assert parse_period("2026") == Period("year", date(2026, 1, 1))
    assert len(parse_period("2026").months) == 12
    assert parse_period("2026-Q4").label == "2026-Q4"
    assert parse_period("2026-12").end == date(2027, 1, 1)
    for bad in ("2026-13", "2026-Q5", "26-12", "2026-1", "", "abc"):
        with pytest.raises(ValueError):
            parse_period(bad)


def test_equal_scores_share_a_rank_and_the_next_rank_skips():
    items = [("a", 90), ("b", 80), ("c", 80), ("d", 70), ("e", 70), ("f", 10)]
    ranks = [(rank, name) for rank, (name, _s) in competition_ranks(items, lambda i: i[1])]
    assert ranks == [(1, "a"), (2, "b"), (2, "c"), (4, "d"), (4, "e"), (6, "f")]


def test_means_of_hundredths_round_half_up():
    # (8550 + 9000 + 0) / 3 = 5850 hundredths exactly; (1 + 0) / 2 = 0.5 → 1.
    assert formula.mean_hundredths([8550, 9000], 3) == 5850
    assert formula.mean_hundredths([1], 2) == 1
    assert formula.mean_hundredths([], 0) == 0

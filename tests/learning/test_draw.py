"""Drawing a quiz paper (learning.draw): N a category, no question twice, least used first,
ties and option orders by the seed, and a draw larger than its category refused. Pure: no
database."""

from collections import Counter

import pytest

from dangjian.core.errors import DomainError
from dangjian.learning.draw import BankQuestion, DrawRule, check_draw, draw_paper, shuffle_options

POLICY, HISTORY = 1, 2


def bank(category_id, ids, uses=None):
    uses = uses or [0] * len(ids)
    return [
        BankQuestion(id=i, category_id=category_id, uses=u) for i, u in zip(ids, uses, strict=True)
    ]


BANK = bank(POLICY, range(1, 11)) + bank(HISTORY, range(11, 16))


def test_a_draw_takes_n_of_each_category_in_the_rules_order_without_repeats():
    for seed in range(50):
        paper = draw_paper(BANK, [DrawRule(POLICY, 4), DrawRule(HISTORY, 3)], seed)
        assert len(paper) == len(set(paper)) == 7
        assert all(1 <= i <= 10 for i in paper[:4])
        assert all(11 <= i <= 15 for i in paper[4:])


def test_two_rules_on_one_category_never_draw_a_question_twice():
    for seed in range(50):
        paper = draw_paper(BANK, [DrawRule(HISTORY, 2), DrawRule(HISTORY, 3)], seed)
        assert sorted(paper) == [11, 12, 13, 14, 15]


def test_the_same_seed_draws_the_same_paper_and_seeds_differ():
    rules = [DrawRule(POLICY, 3)]
    assert draw_paper(BANK, rules, 7) == draw_paper(list(reversed(BANK)), rules, 7)
    assert draw_paper(BANK, rules, "attempt-7") == draw_paper(BANK, rules, "attempt-7")
    papers = {frozenset(draw_paper(BANK, rules, seed)) for seed in range(30)}
    assert len(papers) > 10  # ties are broken by the seed, not by id


# (uses of questions 1–6, N, the set that must be drawn)
LEAST_USED_CASES = [
    ([0, 3, 0, 5, 1, 2], 2, {1, 3}),
    ([0, 3, 0, 5, 1, 2], 3, {1, 3, 5}),
    ([0, 3, 0, 5, 1, 2], 4, {1, 3, 5, 6}),
    ([9, 9, 9, 9, 9, 0], 1, {6}),
    ([4, 4, 4, 4, 4, 4], 6, {1, 2, 3, 4, 5, 6}),
]


@pytest.mark.parametrize(("uses", "count", "drawn"), LEAST_USED_CASES)
def test_the_least_used_questions_are_drawn_first(uses, count, drawn):
    questions = bank(POLICY, range(1, 7), uses)
    for seed in range(20):
        assert set(draw_paper(questions, [DrawRule(POLICY, count)], seed)) == drawn


def test_among_equally_used_questions_the_seed_chooses():
    # Questions 3, 4 and 5 are used once, 1 and 2 never: N = 3 takes 1, 2 and one of 3–5.
    questions = bank(POLICY, range(1, 6), [0, 0, 1, 1, 1])
    thirds = Counter()
    for seed in range(60):
        paper = set(draw_paper(questions, [DrawRule(POLICY, 3)], seed))
        assert {1, 2} <= paper
        thirds.update(paper - {1, 2})
    assert set(thirds) == {3, 4, 5}


def test_attempts_counting_their_uses_wear_the_bank_evenly():
    # Six questions, two an attempt: after three attempts each was given exactly once, and
    # after six, exactly twice.
    uses = Counter()
    for attempt in range(6):
        questions = [BankQuestion(i, POLICY, uses[i]) for i in range(1, 7)]
        uses.update(draw_paper(questions, [DrawRule(POLICY, 2)], seed=attempt))
        if attempt == 2:
            assert sorted(uses.values()) == [1] * 6
    assert sorted(uses.values()) == [2] * 6


def test_excluded_questions_are_never_drawn_and_shrink_the_category():
    paper = draw_paper(BANK, [DrawRule(HISTORY, 3)], 1, exclude={11, 12})
    assert sorted(paper) == [13, 14, 15]
    with pytest.raises(DomainError) as caught:
        draw_paper(BANK, [DrawRule(HISTORY, 4)], 1, exclude={11, 12})
    assert caught.value.details == {"category_id": HISTORY, "requested": 4, "available": 3}


# (rules, refused with which details, or None when the bank has enough)
CHECK_CASES = [
    ([DrawRule(HISTORY, 5)], None),
    ([DrawRule(HISTORY, 6)], {"category_id": HISTORY, "requested": 6, "available": 5}),
    ([DrawRule(POLICY, 10), DrawRule(HISTORY, 5)], None),
    ([DrawRule(POLICY, 11)], {"category_id": POLICY, "requested": 11, "available": 10}),
    (
        [DrawRule(HISTORY, 3), DrawRule(HISTORY, 3)],
        {"category_id": HISTORY, "requested": 6, "available": 5},
    ),
    ([DrawRule(99, 1)], {"category_id": 99, "requested": 1, "available": 0}),
    ([], None),
]


@pytest.mark.parametrize(("rules", "refused"), CHECK_CASES)
def test_a_draw_larger_than_its_category_is_refused(rules, refused):
    sizes = {POLICY: 10, HISTORY: 5}
    if refused is None:
        check_draw(rules, sizes)
        assert len(draw_paper(BANK, rules, 3)) == sum(r.count for r in rules)
        return
    with pytest.raises(DomainError) as caught:
        check_draw(rules, sizes, {HISTORY: "党史"})
    assert caught.value.code == "draw_exceeds_bank"
    assert caught.value.details == refused
    with pytest.raises(DomainError):
        draw_paper(BANK, rules, 3)


def test_the_refusal_names_the_category():
    with pytest.raises(DomainError) as caught:
        check_draw([DrawRule(HISTORY, 6)], {HISTORY: 5}, {HISTORY: "党史"})
    assert "党史" in caught.value.message
    assert "5" in caught.value.message and "6" in caught.value.message


@pytest.mark.parametrize("count", [0, -1, True, 1.5])
def test_a_count_below_one_is_refused(count):
    with pytest.raises(DomainError) as caught:
        check_draw([DrawRule(POLICY, count)], {POLICY: 10})
    assert (caught.value.code, caught.value.details) == ("validation_error", {"field": "count"})


def test_a_bank_listing_a_question_twice_is_a_programming_error():
    with pytest.raises(ValueError):
        draw_paper(BANK + bank(HISTORY, [11]), [DrawRule(HISTORY, 1)], 1)


def test_options_are_shuffled_per_attempt_and_kept_on_reload():
    options = ("A", "B", "C", "D")
    first = shuffle_options(options, seed=41, question_id=9)
    assert sorted(first) == list(options)
    assert shuffle_options(options, seed=41, question_id=9) == first
    assert options == ("A", "B", "C", "D")
    orders = {shuffle_options(options, seed=s, question_id=9) for s in range(100)}
    assert len(orders) == 24  # every order of four occurs over a hundred attempts
    # The same attempt orders two questions independently.
    per_question = {shuffle_options(options, seed=41, question_id=q) for q in range(20)}
    assert len(per_question) > 1

"""Marking a quiz (learning.grading) by hand-computed cases: each question type, partial
credit, fill-in normalization, an attempt's grade and pass, and the grading methods. Pure:
no database."""

from decimal import Decimal
from fractions import Fraction

import pytest

from dangjian.core.errors import DomainError
from dangjian.learning.grading import (
    AttemptGrade,
    QuestionSpec,
    QuestionType,
    clean_answer,
    credit,
    grade_answer,
    is_correct,
    mark_attempt,
    normalize_text,
    passes,
    question_problems,
    quiz_grade,
)

D = Decimal
F = Fraction

SINGLE = QuestionSpec(
    id=1, kind=QuestionType.SINGLE, options=("A", "B", "C", "D"), correct=frozenset("B")
)
# Two right options (A, C) of five.
ALL_OR_NOTHING = QuestionSpec(
    id=2, kind=QuestionType.MULTIPLE, options=tuple("ABCDE"), correct=frozenset("AC")
)
PARTIAL = QuestionSpec(
    id=3,
    kind=QuestionType.MULTIPLE,
    options=tuple("ABCDE"),
    correct=frozenset("AC"),
    partial_credit=True,
)
# Three right options (A, B, C) of four: ticking everything is worth (3 − 1)/3.
PARTIAL_3_OF_4 = QuestionSpec(
    id=4,
    kind=QuestionType.MULTIPLE,
    options=tuple("ABCD"),
    correct=frozenset("ABC"),
    partial_credit=True,
)
TRUE = QuestionSpec(id=5, kind=QuestionType.TRUE_FALSE, truth=True)
FALSE = QuestionSpec(id=6, kind=QuestionType.TRUE_FALSE, truth=False)
FILL = QuestionSpec(
    id=7, kind=QuestionType.FILL_IN, accepted=("中国共产党", "CPC", "Communist Party of China")
)

# (question, answer, credit)
CREDIT_CASES = [
    (SINGLE, "B", F(1)),
    (SINGLE, "A", F(0)),
    (SINGLE, None, F(0)),
    (SINGLE, "", F(0)),
    (ALL_OR_NOTHING, ["A", "C"], F(1)),
    (ALL_OR_NOTHING, ["C", "A"], F(1)),
    (ALL_OR_NOTHING, ["A"], F(0)),
    (ALL_OR_NOTHING, ["A", "C", "D"], F(0)),
    (ALL_OR_NOTHING, [], F(0)),
    # Partial, k = 2: each right option +1/2, each wrong one −1/2, floor 0.
    (PARTIAL, ["A", "C"], F(1)),
    (PARTIAL, ["A"], F(1, 2)),
    (PARTIAL, ("A", "C", "D"), F(1, 2)),  # 2/2 − 1/2
    (PARTIAL, ["A", "D"], F(0)),  # 1/2 − 1/2
    (PARTIAL, ["D", "E"], F(0)),  # −1, floored
    (PARTIAL, list("ABCDE"), F(0)),  # 2/2 − 3/2 = −1/2, floored
    (PARTIAL, frozenset("C"), F(1, 2)),
    (PARTIAL, [], F(0)),
    # Partial, k = 3: everything ticked is 3/3 − 1/3 = 2/3; A and D is 1/3 − 1/3 = 0.
    (PARTIAL_3_OF_4, list("ABCD"), F(2, 3)),
    (PARTIAL_3_OF_4, ["A", "B"], F(2, 3)),
    (PARTIAL_3_OF_4, ["A", "D"], F(0)),
    (PARTIAL_3_OF_4, ["A"], F(1, 3)),
    (TRUE, True, F(1)),
    (TRUE, False, F(0)),
    (FALSE, False, F(1)),
    (FALSE, True, F(0)),
    (FALSE, None, F(0)),
    (FILL, "中国共产党", F(1)),
    (FILL, " 中国 共产党 ", F(1)),
    (FILL, "中国\u3000共产党", F(1)),  # the ideographic (full-width) space
    (FILL, "ＣＰＣ", F(1)),  # full-width letters
    (FILL, "cpc", F(1)),
    (FILL, "communist party of china", F(1)),
    (FILL, "CommunistPartyOfChina", F(1)),
    (FILL, "中国共产党员", F(0)),
    (FILL, "共产党", F(0)),
    (FILL, "", F(0)),
    (FILL, "   ", F(0)),
    (FILL, None, F(0)),
]


@pytest.mark.parametrize(("question", "answer", "expected"), CREDIT_CASES)
def test_each_answer_earns_its_hand_computed_credit(question, answer, expected):
    assert credit(question, answer) == expected
    assert is_correct(question, answer) is (expected == 1)


def test_the_points_earned_are_the_credit_times_the_question_points():
    heavy = QuestionSpec(
        id=8,
        kind=QuestionType.MULTIPLE,
        points=3,
        options=tuple("ABCD"),
        correct=frozenset("ABC"),
        partial_credit=True,
    )
    # 2/3 of 3 points.
    assert grade_answer(heavy, ["A", "B"]) == F(2)
    assert grade_answer(heavy, list("ABCD")) == F(2)
    assert grade_answer(heavy, ["A"]) == F(1)
    assert grade_answer(SINGLE, "B") == F(1)


@pytest.mark.parametrize(
    ("text", "normalized"),
    [
        ("ＡＢＣ１２３", "abc123"),
        ("  a b\tc\n", "abc"),
        ("中国\u3000共产党", "中国共产党"),
        ("（一）", "(一)"),
        ("Straße", "strasse"),
        ("", ""),
    ],
)
def test_fill_in_text_is_compared_after_nfkc_case_folding_and_without_spaces(text, normalized):
    assert normalize_text(text) == normalized


# (question, answer): refused, whatever it would score.
MALFORMED = [
    (SINGLE, "E"),
    (SINGLE, ["B"]),
    (SINGLE, True),
    (ALL_OR_NOTHING, "AC"),
    (ALL_OR_NOTHING, ["A", "A"]),
    (ALL_OR_NOTHING, ["A", "F"]),
    (ALL_OR_NOTHING, [1, 2]),
    (ALL_OR_NOTHING, {"A": True}),
    (TRUE, "true"),
    (TRUE, 1),
    (FILL, ["中国共产党"]),
    (FILL, 5),
]


@pytest.mark.parametrize(("question", "answer"), MALFORMED)
def test_an_answer_of_the_wrong_shape_is_refused(question, answer):
    with pytest.raises(DomainError) as caught:
        clean_answer(question, answer)
    assert caught.value.code == "validation_error"
    assert caught.value.details == {"field": "answer", "question_id": question.id}


def test_a_clean_multiple_choice_answer_is_a_set_and_an_empty_one_is_unanswered():
    assert clean_answer(PARTIAL, ["C", "A"]) == frozenset("AC")
    assert clean_answer(PARTIAL, []) is None
    assert clean_answer(FILL, " \u3000") is None
    assert clean_answer(FILL, " cpc ") == " cpc "  # stored as given, compared normalized


# (fields, the problems)
QUESTION_PROBLEMS = [
    ({"kind": QuestionType.SINGLE, "options": ("A", "B"), "correct": frozenset("A")}, []),
    ({"kind": QuestionType.SINGLE, "options": ("A",), "correct": frozenset("A")}, ["options"]),
    ({"kind": QuestionType.SINGLE, "options": ("A", "A"), "correct": frozenset("A")}, ["options"]),
    ({"kind": QuestionType.SINGLE, "options": ("A", "B"), "correct": frozenset("AB")}, ["correct"]),
    ({"kind": QuestionType.SINGLE, "options": ("A", "B"), "correct": frozenset()}, ["correct"]),
    (
        {"kind": QuestionType.MULTIPLE, "options": ("A", "B"), "correct": frozenset("C")},
        ["correct"],
    ),
    ({"kind": QuestionType.MULTIPLE, "options": ("A", "B"), "correct": frozenset("AB")}, []),
    (
        {
            "kind": QuestionType.SINGLE,
            "options": ("A", "B"),
            "correct": frozenset("A"),
            "partial_credit": True,
        },
        ["partial_credit"],
    ),
    ({"kind": QuestionType.TRUE_FALSE, "truth": None}, ["truth"]),
    ({"kind": QuestionType.TRUE_FALSE, "truth": False}, []),
    ({"kind": QuestionType.TRUE_FALSE, "truth": True, "points": 0}, ["points"]),
    ({"kind": QuestionType.TRUE_FALSE, "truth": True, "points": True}, ["points"]),
    ({"kind": QuestionType.TRUE_FALSE, "truth": True, "points": F(1, 2)}, []),
    ({"kind": QuestionType.FILL_IN, "accepted": ()}, ["accepted"]),
    ({"kind": QuestionType.FILL_IN, "accepted": ("党章", "\u3000")}, ["accepted"]),
    ({"kind": QuestionType.FILL_IN, "accepted": ("党章",)}, []),
]


@pytest.mark.parametrize(("fields", "problems"), QUESTION_PROBLEMS)
def test_a_question_that_cannot_be_marked_names_its_problem(fields, problems):
    if problems:
        with pytest.raises(ValueError, match=problems[0]):
            QuestionSpec(id=1, **fields)
    else:
        assert question_problems(QuestionSpec(id=1, **fields)) == []


PAPER = [SINGLE, PARTIAL, TRUE, FILL]  # 4 points


@pytest.mark.parametrize(
    ("answers", "score", "grade", "passed"),
    [
        # 1 + 1 + 1 + 1 = 4 of 4.
        ({1: "B", 3: ["A", "C"], 5: True, 7: "cpc"}, F(4), D("100.00"), True),
        # 1 + 1/2 + 1 + 0 = 5/2 of 4 = 62.5 %.
        ({1: "B", 3: ["A"], 5: True, 7: "党"}, F(5, 2), D("62.50"), True),
        # 0 + 1/2 + 1 + 0 = 3/2 of 4 = 37.5 %.
        ({1: "A", 3: ["C"], 5: True}, F(3, 2), D("37.50"), False),
        ({}, F(0), D("0.00"), False),
    ],
)
def test_an_attempt_is_marked_as_points_over_the_paper_and_passes_at_60(
    answers, score, grade, passed
):
    mark = mark_attempt(PAPER, answers, pass_mark=60)
    assert (mark.score, mark.maximum, mark.grade, mark.passed) == (score, F(4), grade, passed)


def test_a_grade_is_rounded_half_up_and_the_rounded_grade_decides_the_pass():
    # Three true/false questions, two right: 200/3 = 66.666… → 66.67.
    paper = [QuestionSpec(id=i, kind=QuestionType.TRUE_FALSE, truth=True) for i in (1, 2, 3)]
    assert mark_attempt(paper, {1: True, 2: True}, pass_mark=60).grade == D("66.67")
    # A third of a 2-point question on a 3-point paper: 1/3 × 2 = 2/3 point;
    # 100 × (2/3) / 3 = 200/9 = 22.222… → 22.22, which reaches a pass mark of 22.22.
    thirds = QuestionSpec(
        id=9,
        kind=QuestionType.MULTIPLE,
        points=2,
        options=tuple("ABCD"),
        correct=frozenset("ABC"),
        partial_credit=True,
    )
    mark = mark_attempt([thirds, TRUE], {9: ["A"]}, pass_mark=D("22.22"))
    assert (mark.score, mark.maximum, mark.grade, mark.passed) == (F(2, 3), F(3), D("22.22"), True)
    # An exact 59.995 % is shown as 60.00 and passes 60; 59.994… is shown 59.99 and fails.
    assert passes(D("60.00"), 60) is True
    assert passes(D("59.99"), 60) is False
    assert passes(D("60.00"), D("60.01")) is False


def attempts(*grades):
    return [AttemptGrade(number=n, grade=None if g is None else D(g)) for n, g in grades]


# (attempts as (number, grade or None while unfinished), method, the quiz grade)
METHOD_CASES = [
    (attempts((1, "40"), (2, "90"), (3, "70")), "highest", D("90")),
    (attempts((1, "40"), (2, "90"), (3, "70")), "first", D("40")),
    (attempts((1, "40"), (2, "90"), (3, "70")), "last", D("70")),
    # (40 + 90 + 70) / 3 = 66.666… → 66.67.
    (attempts((1, "40"), (2, "90"), (3, "70")), "mean", D("66.67")),
    # Order given does not matter: first and last are by number.
    (attempts((3, "70"), (1, "40"), (2, "90")), "last", D("70")),
    (attempts((3, "70"), (1, "40"), (2, "90")), "first", D("40")),
    # An attempt in progress counts for nothing: last is the last finished one.
    (attempts((1, "40"), (2, "90"), (3, None)), "last", D("90")),
    # (40 + 90) / 2 = 65.
    (attempts((1, "40"), (2, "90"), (3, None)), "mean", D("65.00")),
    # (62.5 + 37.5 + 0.01) / 3 = 100.01 / 3 = 33.336… → 33.34.
    (attempts((1, "62.50"), (2, "37.50"), (3, "0.01")), "mean", D("33.34")),
    # (0.01 + 0.02) / 2 = 0.015 → 0.02 (half up).
    (attempts((1, "0.01"), (2, "0.02")), "mean", D("0.02")),
    (attempts((1, None)), "highest", None),
    ([], "mean", None),
]


@pytest.mark.parametrize(("given", "method", "expected"), METHOD_CASES)
def test_the_grading_method_picks_the_members_grade_from_finished_attempts(given, method, expected):
    assert quiz_grade(given, method) == expected


def test_an_unknown_grading_method_is_refused():
    with pytest.raises(ValueError):
        quiz_grade(attempts((1, "50")), "best")

"""How a quiz is marked (docs/product.md, "Learning"; issue 19, points 4 and 5), as pure
functions of plain values: a question's score for an answer, an attempt's grade, pass or
fail, and the member's grade over their finished attempts.

Nothing here touches the database: services build a `QuestionSpec` from the question
version an attempt was given (so an edited question never re-marks old attempts), pass the
answers as stored (JSON: a string, a list of strings, a boolean), and store what comes back.
Arithmetic is exact (fractions) until the one rounding of a grade to two decimals, half up,
so a hand-computed case gives the same grade on every machine.

The question types and their answers:

- single choice: one option's key (a string);
- multiple choice: the keys of the options chosen (any collection of strings);
- true/false: a boolean;
- fill-in: a string, compared with the accepted answers after `normalize_text`.

An unanswered question (None, an empty choice, blank text) scores 0.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from django.utils.translation import gettext as _

from dangjian.core.errors import DomainError
from dangjian.scoring.formula import round_half_up

HUNDRED = Fraction(100)


class QuestionType(StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    TRUE_FALSE = "true_false"
    FILL_IN = "fill_in"


class GradingMethod(StrEnum):
    """Which of a member's finished attempts makes their grade for the quiz (Moodle's
    "grading method")."""

    HIGHEST = "highest"
    LAST = "last"
    FIRST = "first"
    MEAN = "mean"


Answer = str | bool | Collection[str] | None


@dataclass(frozen=True)
class QuestionSpec:
    """One version of a question, as marking needs it.

    `options` are the choice keys in the bank's order, `correct` the right ones (choice
    questions); `truth` the right answer of a true/false question; `accepted` the accepted
    texts of a fill-in. `partial_credit` applies to multiple choice only: without it the
    question is all or nothing. `points` is the question's weight in its quiz."""

    id: int
    kind: QuestionType
    points: int | Fraction = 1
    options: tuple[str, ...] = ()
    correct: frozenset[str] = frozenset()
    truth: bool | None = None
    accepted: tuple[str, ...] = ()
    partial_credit: bool = False
    version: int = 1

    def __post_init__(self):
        problems = question_problems(self)
        if problems:
            raise ValueError("; ".join(problems))


def question_problems(question: QuestionSpec) -> list[str]:
    """Why a question cannot be marked (empty when it can). Codes, not messages: the bank's
    editor and import turn them into Chinese per field."""
    problems = []
    points = question.points
    if isinstance(points, bool) or not isinstance(points, int | Fraction) or points <= 0:
        problems.append("points")
    kind = question.kind
    if kind in (QuestionType.SINGLE, QuestionType.MULTIPLE):
        if len(question.options) < 2 or len(set(question.options)) != len(question.options):
            problems.append("options")
        wanted = 1 if kind == QuestionType.SINGLE else len(question.correct)
        if not question.correct or not question.correct <= set(question.options):
            problems.append("correct")
        elif len(question.correct) != wanted:
            problems.append("correct")  # a single choice has exactly one right option
    elif kind == QuestionType.TRUE_FALSE:
        if not isinstance(question.truth, bool):
            problems.append("truth")
    elif kind == QuestionType.FILL_IN:
        # An accepted answer that normalizes to nothing would match a blank answer.
        if not question.accepted or not all(normalize_text(a) for a in question.accepted):
            problems.append("accepted")
    else:
        problems.append("kind")
    if question.partial_credit and kind != QuestionType.MULTIPLE:
        problems.append("partial_credit")
    return problems


def normalize_text(text: str) -> str:
    """A fill-in answer as compared: Unicode NFKC (full-width letters, digits, punctuation
    and the ideographic space become their half-width forms, ｆｏｏ１ → foo1), case folded,
    and every whitespace character removed — Chinese answers carry no meaningful spaces,
    and a member's phone keyboard inserts them freely ("中国 共产党" = "中国共产党")."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(folded.split())


def _invalid(question: QuestionSpec) -> DomainError:
    return DomainError(
        "validation_error", _("答案格式与题型不符"), field="answer", question_id=question.id
    )


def clean_answer(question: QuestionSpec, answer: object) -> Answer:
    """The answer in its canonical form (a multiple choice as a frozenset), or None when
    unanswered; refuses (`validation_error`) an answer of the wrong shape or naming an
    option the question does not have. The save calls it before storing; marking calls it
    again so that a stored answer is judged by the same rule."""
    if answer is None:
        return None
    kind = question.kind
    if kind == QuestionType.SINGLE:
        if not isinstance(answer, str):
            raise _invalid(question)
        if answer == "":
            return None
        if answer not in question.options:
            raise _invalid(question)
        return answer
    if kind == QuestionType.MULTIPLE:
        if isinstance(answer, str | bytes | Mapping) or not isinstance(answer, Iterable):
            raise _invalid(question)
        keys = list(answer)
        if not all(isinstance(k, str) for k in keys) or len(set(keys)) != len(keys):
            raise _invalid(question)
        if not set(keys) <= set(question.options):
            raise _invalid(question)
        return frozenset(keys) or None
    if kind == QuestionType.TRUE_FALSE:
        if not isinstance(answer, bool):
            raise _invalid(question)
        return answer
    if not isinstance(answer, str):
        raise _invalid(question)
    return answer if normalize_text(answer) else None


def credit(question: QuestionSpec, answer: object) -> Fraction:
    """The share of the question's points an answer earns, 0 to 1.

    Multiple choice with partial credit follows Moodle's multiple-answer rule (each option
    carries a positive or negative grade and a negative total counts as zero; Moodle,
    qtype_multichoice help) with the grades fixed: for k right options, each right option
    chosen earns +1/k and each wrong option chosen −1/k, floored at 0, so (c − w) / k for
    c right and w wrong options chosen. Ticking every option therefore earns
    (k − wrong options) / k, nothing when at least half the options are wrong. Without
    partial credit, the chosen set must equal the right set."""
    cleaned = clean_answer(question, answer)
    if cleaned is None:
        return Fraction(0)
    kind = question.kind
    if kind == QuestionType.SINGLE:
        return Fraction(int(cleaned in question.correct))
    if kind == QuestionType.MULTIPLE:
        if not question.partial_credit:
            return Fraction(int(cleaned == question.correct))
        right = len(cleaned & question.correct)
        wrong = len(cleaned - question.correct)
        return max(Fraction(0), Fraction(right - wrong, len(question.correct)))
    if kind == QuestionType.TRUE_FALSE:
        return Fraction(int(cleaned is question.truth))
    given = normalize_text(cleaned)
    return Fraction(int(any(given == normalize_text(a) for a in question.accepted)))


def grade_answer(question: QuestionSpec, answer: object) -> Fraction:
    """The points an answer earns: its credit times the question's points, exact."""
    return credit(question, answer) * question.points


def is_correct(question: QuestionSpec, answer: object) -> bool:
    """Full credit: what the statistics count as answered correctly."""
    return credit(question, answer) == 1


@dataclass(frozen=True)
class AttemptMark:
    score: Fraction  # points earned, exact
    maximum: Fraction  # points available
    grade: Decimal  # percent of the maximum, half up to two decimals: what is shown and stored
    passed: bool


def attempt_score(
    questions: Sequence[QuestionSpec], answers: Mapping[int, object]
) -> tuple[Fraction, Fraction]:
    """Points earned and points available over an attempt's questions; a question with no
    saved answer earns nothing."""
    score = sum((grade_answer(q, answers.get(q.id)) for q in questions), Fraction(0))
    maximum = sum((Fraction(q.points) for q in questions), Fraction(0))
    return score, maximum


def percent_grade(score: Fraction, maximum: Fraction) -> Decimal:
    """The score as a percentage of the maximum, half up to two decimals (0 when the paper
    carries no points)."""
    if maximum <= 0:
        return Decimal("0.00")
    return round_half_up(HUNDRED * score / maximum)


def passes(grade: Decimal, pass_mark: Decimal | int) -> bool:
    """Whether a grade reaches the pass mark (a percentage; reaching it passes). The rounded
    grade is compared, not the exact score, so that a member shown 60.00 against a pass mark
    of 60 has passed: what is shown and what counts never disagree."""
    return grade >= Decimal(pass_mark)


def mark_attempt(
    questions: Sequence[QuestionSpec], answers: Mapping[int, object], pass_mark: Decimal | int
) -> AttemptMark:
    """An attempt's score, grade and pass, from its questions and saved answers."""
    score, maximum = attempt_score(questions, answers)
    grade = percent_grade(score, maximum)
    return AttemptMark(score=score, maximum=maximum, grade=grade, passed=passes(grade, pass_mark))


@dataclass(frozen=True)
class AttemptGrade:
    """One of a member's attempts at a quiz: its number (1 for the first started) and its
    grade, None while it is not finished."""

    number: int
    grade: Decimal | None


def quiz_grade(attempts: Iterable[AttemptGrade], method: GradingMethod | str) -> Decimal | None:
    """A member's grade for a quiz by the quiz's grading method, over their finished
    attempts only (an attempt in progress counts for nothing until it is finished); None
    when none is finished. First and last are by attempt number. The mean is exact, then
    rounded half up to two decimals like an attempt's grade."""
    finished = sorted((a for a in attempts if a.grade is not None), key=lambda a: a.number)
    if not finished:
        return None
    method = GradingMethod(method)
    if method == GradingMethod.HIGHEST:
        return max(a.grade for a in finished)
    if method == GradingMethod.FIRST:
        return finished[0].grade
    if method == GradingMethod.LAST:
        return finished[-1].grade
    total = sum((Fraction(a.grade) for a in finished), Fraction(0))
    return round_half_up(total / len(finished))

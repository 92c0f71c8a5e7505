"""A quiz's results in figures (issue 19, point 7): the distribution of grades, the pass
rate per group (branch, county, sector), and each question's facility and discrimination,
as pure functions over plain rows. The selectors read the rows; the console, the API and
the XLSX export show what comes back, so every place rounds and buckets alike.

Percentages and indices are exact until rounded half up to two decimals.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from math import floor

from dangjian.scoring.formula import round_half_up

HUNDRED = Fraction(100)
# Kelley's share of attempts in each of the upper and lower groups.
KELLEY_SHARE = Fraction(27, 100)


@dataclass(frozen=True)
class Bucket:
    """Grades from `lower` (included) to `upper` (excluded, but included for the last
    bucket, so that 100 has a place)."""

    lower: int
    upper: int
    count: int


def distribution(grades: Iterable[Decimal], width: int = 10) -> list[Bucket]:
    """How many grades (percentages, 0–100) fall in each bucket of `width` points:
    [0, 10), [10, 20), … [90, 100] by default. Empty buckets are listed too, so a chart
    keeps its axis."""
    if isinstance(width, bool) or not isinstance(width, int) or width < 1 or 100 % width:
        raise ValueError("the width must divide 100")
    counts = [0] * (100 // width)
    for grade in grades:
        if not 0 <= grade <= 100:
            raise ValueError(f"a grade of {grade} is not a percentage")
        counts[min(int(grade // width), len(counts) - 1)] += 1
    return [Bucket(i * width, (i + 1) * width, n) for i, n in enumerate(counts)]


@dataclass(frozen=True)
class MemberResult:
    """A member expected to take the quiz, in the group they are counted under; `grade` is
    their grade for the quiz by its grading method, None when they finished no attempt."""

    member_id: int
    group: Hashable
    grade: Decimal | None
    passed: bool = False


@dataclass(frozen=True)
class GroupResult:
    members: int  # expected to take the quiz
    took: int  # finished at least one attempt
    passed: int

    @property
    def participation(self) -> Decimal | None:
        """Percent of the members who took the quiz."""
        return _percent(self.took, self.members)

    @property
    def pass_rate(self) -> Decimal | None:
        """Percent of those who took it who passed: what a quiz tells about its takers,
        kept apart from how many took it at all."""
        return _percent(self.passed, self.took)


def _percent(part: int, whole: int) -> Decimal | None:
    return None if whole == 0 else round_half_up(HUNDRED * part / whole)


def group_results(results: Iterable[MemberResult]) -> dict[Hashable, GroupResult]:
    """Members, takers and passes per group (a member counted once)."""
    tallies: dict[Hashable, list[int]] = {}
    seen: set[int] = set()
    for result in results:
        if result.member_id in seen:
            raise ValueError(f"member {result.member_id} is counted twice")
        seen.add(result.member_id)
        tally = tallies.setdefault(result.group, [0, 0, 0])
        tally[0] += 1
        if result.grade is not None:
            tally[1] += 1
            tally[2] += bool(result.passed)
    return {group: GroupResult(*tally) for group, tally in tallies.items()}


def overall(groups: Mapping[Hashable, GroupResult]) -> GroupResult:
    """The groups added up: the quiz's own line in a table of branches."""
    return GroupResult(
        members=sum(g.members for g in groups.values()),
        took=sum(g.took for g in groups.values()),
        passed=sum(g.passed for g in groups.values()),
    )


@dataclass(frozen=True)
class AnswerRow:
    """The credit (0–1, `grading.credit`) one finished attempt earned on one question."""

    attempt_id: int
    question_id: int
    credit: Fraction


@dataclass(frozen=True)
class QuestionStats:
    question_id: int
    attempts: int
    facility: Decimal  # percent
    discrimination: Decimal | None  # −1.00 to 1.00; None with too few attempts


def group_size(attempts: int) -> int:
    """The number of attempts in each of Kelley's upper and lower groups: 27 % of them,
    rounded half up (10 attempts: 3; 2 or 3 attempts: 1; a single attempt: 0, no index).
    Never more than half, so the groups never overlap."""
    return floor(KELLEY_SHARE * attempts + Fraction(1, 2))


def question_stats(
    rows: Iterable[AnswerRow], grades: Mapping[int, Decimal]
) -> dict[int, QuestionStats]:
    """Each question's facility and discrimination over the finished attempts that were
    given it (`grades`: each attempt's grade, percent).

    Facility is the mean credit on the question as a percentage, Moodle's facility index
    (quiz statistics report): for a question marked all or nothing it is the share of
    attempts that answered it correctly; with partial credit, half-right answers count
    half, rather than as wrong as a blank.

    Discrimination is the upper–lower 27 % index (T. L. Kelley, "The selection of upper and
    lower groups for the validation of test items", J. Educ. Psychol. 30, 1939): rank the
    attempts given the question by their grade, take the top 27 % and the bottom 27 %
    (`group_size`), and subtract the lower group's mean credit from the upper group's.
    1 means only the strong get it right, 0 that it does not tell them apart, below 0 that
    the weak do better (a wrong key, an ambiguous wording). Ebel's reading: 0.40 and above
    very good, 0.30 good, 0.20 marginal, below that to be revised. Attempts with equal
    grades are ranked by attempt id, so the index is the same on every run. With a random
    draw each question is ranked among its own attempts only."""
    by_question: dict[int, dict[int, Fraction]] = {}
    for row in rows:
        if not 0 <= row.credit <= 1:
            raise ValueError(f"a credit of {row.credit} is not between 0 and 1")
        answered = by_question.setdefault(row.question_id, {})
        if row.attempt_id in answered:
            raise ValueError(f"attempt {row.attempt_id} answers {row.question_id} twice")
        answered[row.attempt_id] = Fraction(row.credit)
    stats = {}
    for question_id, credits in by_question.items():
        count = len(credits)
        ranked = sorted(credits, key=lambda attempt: (-grades[attempt], attempt))
        size = group_size(count)
        discrimination = None
        if size:
            upper = sum(credits[a] for a in ranked[:size]) / size
            lower = sum(credits[a] for a in ranked[-size:]) / size
            discrimination = round_half_up(upper - lower)
        stats[question_id] = QuestionStats(
            question_id=question_id,
            attempts=count,
            facility=round_half_up(HUNDRED * sum(credits.values()) / count),
            discrimination=discrimination,
        )
    return stats

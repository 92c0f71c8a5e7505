"""The annual appraisal's rule (一年一考核, docs/product.md, "Annual appraisal"), as pure
functions: a branch's appraisal score from its year's figures, the grades the system
proposes by rank within a county's quotas, whether a county's grades keep those quotas,
and the star rating (星级评定) a confirmed grade gives.

Nothing here touches the database: `supervision.appraisal` gathers the figures and
stores the results. Arithmetic is exact (fractions) until the one rounding, half up to
hundredths, as the scoring formula does."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from math import ceil, floor

from dangjian.scoring.formula import competition_ranks, round_half_up

GOOD = "good"  # 好
FAIRLY_GOOD = "fairly_good"  # 较好
AVERAGE = "average"  # 一般
POOR = "poor"  # 差
GRADES = (GOOD, FAIRLY_GOOD, AVERAGE, POOR)


@dataclass(frozen=True)
class AppraisalTerms:
    """What a version of the rule says. Deductions and weights are in points (of the
    0–100 score); a weight of 0 leaves its figure out. Quotas are whole percents of a
    county's branches: at most `good_max_percent` graded 好 and `fairly_good_max_percent`
    较好, at least `poor_min_percent` 差."""

    version: int
    finding_deduction: Decimal = Decimal("2")
    overdue_deduction: Decimal = Decimal("3")
    send_back_deduction: Decimal = Decimal("1")
    study_weight: Decimal = Decimal("0")
    volunteer_weight: Decimal = Decimal("0")
    volunteer_hours_target: Decimal = Decimal("10")  # hours a member for the full weight
    good_max_percent: int = 20
    fairly_good_max_percent: int = 30
    poor_min_percent: int = 5

    def __post_init__(self):
        problems = terms_problems(self)
        if problems:
            raise ValueError("; ".join(problems))

    def as_dict(self) -> dict:
        return {
            "version": self.version,
            "finding_deduction": str(self.finding_deduction),
            "overdue_deduction": str(self.overdue_deduction),
            "send_back_deduction": str(self.send_back_deduction),
            "study_weight": str(self.study_weight),
            "volunteer_weight": str(self.volunteer_weight),
            "volunteer_hours_target": str(self.volunteer_hours_target),
            "good_max_percent": self.good_max_percent,
            "fairly_good_max_percent": self.fairly_good_max_percent,
            "poor_min_percent": self.poor_min_percent,
        }

    @classmethod
    def from_dict(cls, data: Mapping) -> AppraisalTerms:
        decimals = {
            "finding_deduction",
            "overdue_deduction",
            "send_back_deduction",
            "study_weight",
            "volunteer_weight",
            "volunteer_hours_target",
        }
        return cls(**{k: Decimal(v) if k in decimals else v for k, v in data.items()})


def terms_problems(terms: AppraisalTerms) -> list[str]:
    """Why a set of terms is not a rule (empty when it is one). Codes, not messages: the
    service turns them into Chinese."""
    problems = []
    points = (
        terms.finding_deduction,
        terms.overdue_deduction,
        terms.send_back_deduction,
        terms.study_weight,
        terms.volunteer_weight,
    )
    if any(not isinstance(p, Decimal) or not Decimal(0) <= p <= Decimal(100) for p in points):
        problems.append("points_range")
    if not isinstance(terms.volunteer_hours_target, Decimal) or terms.volunteer_hours_target <= 0:
        problems.append("volunteer_target")
    quotas = (terms.good_max_percent, terms.fairly_good_max_percent, terms.poor_min_percent)
    if any(not isinstance(q, int) or isinstance(q, bool) or not 0 <= q <= 100 for q in quotas):
        problems.append("quota_range")
    elif sum(quotas) > 100:
        problems.append("quota_sum")
    return problems


DEFAULT_TERMS = AppraisalTerms(version=1)


# The score ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AppraisalInputs:
    """A branch's figures for the year."""

    mean_hundredths: int  # the year's mean monthly score (scoring's year row), hundredths
    findings: int = 0  # spot-check findings of problems in the year's checks
    overdue: int = 0  # rectifications due in the year and not answered by their deadline
    send_backs: int = 0  # records sent back (退回补充) in the year
    study_share: Fraction | None = None  # share of members who completed the study packages
    volunteer_hours: Decimal = Decimal("0")  # net hours its members served in the year
    members: int = 0  # its active members


def volunteer_share(inputs: AppraisalInputs, terms: AppraisalTerms) -> Fraction:
    """Hours a member against the target, capped at the full weight."""
    if inputs.members <= 0:
        return Fraction(0)
    per_member = Fraction(inputs.volunteer_hours) / inputs.members
    return min(per_member / Fraction(terms.volunteer_hours_target), Fraction(1))


def appraisal_hundredths(inputs: AppraisalInputs, terms: AppraisalTerms) -> int:
    """The appraisal score in hundredths: the year's mean monthly score, plus the study
    and volunteer figures at their weights, less the deductions; never below 0 nor above
    100 plus the weights' points."""
    total = Fraction(inputs.mean_hundredths, 100)
    if terms.study_weight and inputs.study_share is not None:
        total += Fraction(terms.study_weight) * inputs.study_share
    if terms.volunteer_weight:
        total += Fraction(terms.volunteer_weight) * volunteer_share(inputs, terms)
    total -= Fraction(terms.finding_deduction) * inputs.findings
    total -= Fraction(terms.overdue_deduction) * inputs.overdue
    total -= Fraction(terms.send_back_deduction) * inputs.send_backs
    return int(round_half_up(max(total, Fraction(0))) * 100)


def county_ranks(scores: Mapping[int, int]) -> dict[int, int]:
    """Each branch's rank in its county (id → score in hundredths), ties sharing one."""
    best_first = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    return {pk: rank for rank, (pk, _s) in competition_ranks(best_first, lambda item: item[1])}


# Grades and quotas -------------------------------------------------------------------------


@dataclass(frozen=True)
class Quotas:
    """A county's quotas as counts of its branches."""

    good_max: int
    fairly_good_max: int
    poor_min: int


def quotas_for(branches: int, terms: AppraisalTerms) -> Quotas:
    """Ceilings round down and the floor rounds up, so that the shares are kept as the
    rule says them (好 ≤ 20 % of 7 branches is 1, 差 ≥ 5 % of 30 is 2)."""
    return Quotas(
        good_max=floor(Fraction(branches * terms.good_max_percent, 100)),
        fairly_good_max=floor(Fraction(branches * terms.fairly_good_max_percent, 100)),
        poor_min=ceil(Fraction(branches * terms.poor_min_percent, 100)),
    )


def quota_problems(grades: Iterable[str], terms: AppraisalTerms) -> list[str]:
    """Which quotas a county's grades break: "good" and "fairly_good" (too many), "poor"
    (too few). Empty when they keep them."""
    grades = list(grades)
    counts = Counter(grades)
    quotas = quotas_for(len(grades), terms)
    problems = []
    if counts[GOOD] > quotas.good_max:
        problems.append(GOOD)
    if counts[FAIRLY_GOOD] > quotas.fairly_good_max:
        problems.append(FAIRLY_GOOD)
    if counts[POOR] < quotas.poor_min:
        problems.append(POOR)
    return problems


def propose_grades(scores: Mapping[int, int], terms: AppraisalTerms) -> dict[int, str]:
    """The grades the system proposes for one county's branches (id → score in
    hundredths), by rank: 好 from the top and 较好 after it while their ceilings hold,
    差 from the bottom until its floor is met, 一般 the rest. Branches tied on a score get
    the same grade: a tie that would pass a ceiling goes down a grade whole, a tie at the
    floor goes to 差 whole."""
    ranks = county_ranks(scores)
    groups: list[list[int]] = []
    last_rank = None
    for branch_id, rank in sorted(ranks.items(), key=lambda item: (item[1], item[0])):
        if rank != last_rank:
            groups.append([])
            last_rank = rank
        groups[-1].append(branch_id)
    quotas = quotas_for(len(scores), terms)
    grades: dict[int, str] = {}
    top = 0
    for grade, ceiling in ((GOOD, quotas.good_max), (FAIRLY_GOOD, quotas.fairly_good_max)):
        taken = 0
        while top < len(groups) and taken + len(groups[top]) <= ceiling:
            for branch_id in groups[top]:
                grades[branch_id] = grade
            taken += len(groups[top])
            top += 1
    poor = 0
    bottom = len(groups) - 1
    while poor < quotas.poor_min and bottom >= top:
        for branch_id in groups[bottom]:
            grades[branch_id] = POOR
        poor += len(groups[bottom])
        bottom -= 1
    for branch_id in scores:
        grades.setdefault(branch_id, AVERAGE)
    return grades


# The star rating (星级评定) ------------------------------------------------------------------

STARS = {GOOD: 5, FAIRLY_GOOD: 4, AVERAGE: 3, POOR: 1}


def stars_for(grade: str) -> int:
    """A branch's stars for a year, from its confirmed grade."""
    return STARS[grade]

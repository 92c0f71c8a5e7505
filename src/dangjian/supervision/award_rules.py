"""The rules of the quarterly awards as pure functions: which step of a round follows which,
what each step allows, who the advanced-branch candidates are, what a quota leaves and
which county a branch nominates through. Services, selectors and `permissions` read them;
tested as tables without a database."""

import math
from datetime import date

from dangjian.supervision.models.awards import AwardRoundStatus

STEPS = (
    AwardRoundStatus.OPEN,
    AwardRoundStatus.NOMINATING,
    AwardRoundStatus.SELECTING,
    AwardRoundStatus.PUBLISHED,
)


def next_status(status: str) -> str | None:
    """The step after `status`; None after publication."""
    index = STEPS.index(status)
    return STEPS[index + 1] if index + 1 < len(STEPS) else None


def may_submit_case(status: str, deadline: date, today: date) -> bool:
    """Branches submit cases while the round is open or nominating, until the deadline."""
    return status in (AwardRoundStatus.OPEN, AwardRoundStatus.NOMINATING) and today <= deadline


def may_nominate(status: str, deadline: date, today: date) -> bool:
    """Counties nominate (and withdraw) while the round is nominating, until the deadline."""
    return status == AwardRoundStatus.NOMINATING and today <= deadline


def candidate_cutoff(branches: int, percent: int) -> int:
    """The worst rank an advanced-branch candidate may have: the top `percent` of the
    county's ranked branches, rounded up (a county with a branch has at least one
    candidate place). Ties at the cutoff rank are all in (ranks are 1, 2, 2, 4)."""
    if branches <= 0:
        return 0
    return max(1, math.ceil(branches * percent / 100))


def is_candidate(*, rank: int, score_hundredths: int, cutoff: int, has_overdue: bool) -> bool:
    """An advanced-branch candidate: ranked within the cutoff, with a score above zero (a
    branch that held nothing is not advanced, whatever its rank among others who held
    nothing), and no overdue rectification."""
    return 0 < rank <= cutoff and score_hundredths > 0 and not has_overdue


def quota_left(quota: int, used: int) -> int:
    return max(0, quota - used)


def county_path(branch_path: str, city_path: str, steplen: int) -> str | None:
    """The path of the county a branch nominates through: the child of the round's city
    above (or at) the branch; None for a branch outside the city or the city itself."""
    if not branch_path.startswith(city_path) or len(branch_path) <= len(city_path):
        return None
    return branch_path[: len(city_path) + steplen]

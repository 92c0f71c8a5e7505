"""Building blocks of the quarterly-award tests: a 2026-Q4 round of the city, opened and
moved on by the city's admin, and the quarter's stored branch scores written straight in
(the rankings are scoring's, tested there)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from dangjian.registry.models import Organization
from dangjian.scoring.formula import Period
from dangjian.scoring.models import BranchPeriodScore
from dangjian.supervision import awards
from dangjian.supervision.models import AwardRound, AwardRoundStatus

SHANGHAI = ZoneInfo("Asia/Shanghai")
QUARTER = Period("quarter", date(2026, 10, 1))
DEADLINE = date(2027, 1, 20)


def open_round(world, **kw) -> AwardRound:
    values = {
        "nomination_deadline": DEADLINE,
        "case_quota": 1,
        "branch_quota": 1,
        "member_quota": 1,
        "candidate_percent": 50,
    }
    values.update(kw)
    values.setdefault("quarter", QUARTER)
    return awards.open_award_round(actor=world.city_admin, org=world.city, **values)


def move_to(world, award_round: AwardRound, status: str) -> AwardRound:
    """Advance the round step by step until it reaches `status`."""
    from dangjian.supervision import award_rules

    while award_round.status != status:
        award_round = awards.advance_award_round(
            actor=world.city_admin,
            award_round=award_round,
            to=award_rules.next_status(award_round.status),
        )
    return award_round


def score(branch: Organization, hundredths: int) -> None:
    BranchPeriodScore.objects.create(
        branch=branch,
        kind="quarter",
        period_start=QUARTER.start,
        score_hundredths=hundredths,
        held_months=3,
        computed_at=datetime(2027, 1, 1, tzinfo=SHANGHAI),
    )


def nominating(world, **kw) -> AwardRound:
    return move_to(world, open_round(world, **kw), AwardRoundStatus.NOMINATING)

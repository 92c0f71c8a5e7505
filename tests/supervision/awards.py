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
# When the permission matrix's rounds run: a quarter's round may be opened in it.
MATRIX_NOW = datetime(2026, 12, 1, 9, tzinfo=SHANGHAI)


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


# The permission matrix's rounds (tests/permission_matrix/test_supervision.py) ---------------


def matrix_rounds(world) -> dict:
    """Three quarters of the city: 2026-Q2 selecting with county a's nomination of its
    member, 2026-Q3 published with that member selected (`winner`), 2026-Q4 nominating."""
    from dangjian.supervision.models import AwardRoundStatus

    rounds = {}
    for label, start, status in (
        ("selecting", date(2026, 4, 1), AwardRoundStatus.SELECTING),
        ("published", date(2026, 7, 1), AwardRoundStatus.PUBLISHED),
        ("running", date(2026, 10, 1), AwardRoundStatus.NOMINATING),
    ):
        award_round = move_to(
            world, open_round(world, quarter=Period("quarter", start)), AwardRoundStatus.NOMINATING
        )
        if status != AwardRoundStatus.NOMINATING:
            nomination = awards.nominate_member(
                actor=world.a.admin, award_round=award_round, member=world.a.member, reason="好"
            )
            rounds[f"{label}_nomination"] = nomination
            award_round = move_to(world, award_round, AwardRoundStatus.SELECTING)
            if status == AwardRoundStatus.PUBLISHED:
                nomination.round = award_round
                awards.select_nomination(
                    actor=world.city_admin, nomination=nomination, selected=True
                )
                award_round = awards.publish_awards(actor=world.city_admin, award_round=award_round)
        rounds[label] = award_round
    return rounds


def matrix_call(world, rounds: dict, client, interface: str, action: str):
    """The request of `action` through the API or the console."""
    running, published = rounds["running"], rounds["published"]
    chosen, winner = rounds["selecting_nomination"], rounds["published_nomination"]
    member = {"kind": "member", "member_id": world.a.member.pk, "reason": "好"}
    if interface == "api":
        return {
            "read": lambda: client.get(f"/award-rounds/{running.pk}"),
            "advance": lambda: client.post(
                f"/award-rounds/{running.pk}/advance", {"to": "selecting"}
            ),
            "nominate": lambda: client.post(f"/award-rounds/{running.pk}/nominations", member),
            "select": lambda: client.post(
                f"/award-nominations/{chosen.pk}/selection", {"selected": True}
            ),
            "results": lambda: client.get(f"/award-rounds/{published.pk}/results"),
            "certificate": lambda: client.get(f"/award-nominations/{winner.pk}/certificate.pdf"),
        }[action]()
    base = "/console/supervision"
    return {
        "read": lambda: client.get(f"{base}/awards/{running.pk}/"),
        "advance": lambda: client.post(f"{base}/awards/{running.pk}/step/", {"to": "selecting"}),
        "nominate": lambda: client.post(
            f"{base}/awards/{running.pk}/nominate/",
            {
                "kind": "member",
                "county": world.a.org.pk,
                "phone": world.a.member.user.phone,
                "reason": "好",
            },
        ),
        "select": lambda: client.post(
            f"{base}/award-nominations/{chosen.pk}/step/", {"step": "select"}
        ),
        "results": lambda: client.get(f"{base}/awards/{published.pk}/"),
        "certificate": lambda: client.get(f"{base}/award-nominations/{winner.pk}/certificate.pdf"),
    }[action]()


def matrix_state(rounds: dict) -> tuple:
    """What the writing actions change: the running round's step, its nominations, and
    whether the selecting round's nomination is selected."""
    from dangjian.supervision.models import AwardRound, Nomination

    return (
        AwardRound.objects.get(pk=rounds["running"].pk).status,
        Nomination.objects.filter(round=rounds["running"]).count(),
        Nomination.objects.get(pk=rounds["selecting_nomination"].pk).is_selected,
    )

"""Branch scores per month, quarter and year; organization means; rankings with ties,
filters and levels; the full recompute command."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command

from dangjian.scoring import selectors, services
from dangjian.scoring.formula import parse_period
from dangjian.scoring.models import ActivityScore, BranchPeriodScore
from tests.scoring.conftest import NOW, make_activity

pytestmark = pytest.mark.django_db
OCT, NOV, DEC = date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1)


def stored(activity, hundredths: int) -> ActivityScore:
    """A stored score with a chosen total (the formula is tested elsewhere)."""
    return ActivityScore.objects.update_or_create(
        activity=activity,
        defaults={
            "branch_id": activity.branch_id,
            "month": activity.campaign.month if activity.campaign_id else OCT,
            "is_campaign": activity.campaign_id is not None,
            "is_closed": True,
            "policy_version": 1,
            "total_hundredths": hundredths,
            "components": {},
            "roster": 3,
            "roster_flowing": 1,
            "checked_in_non_flowing": 1,
            "liked_flowing": 0,
            "commenters": 0,
            "photos": 0,
            "summary_chars": 0,
            "computed_at": NOW,
        },
    )[0]


def month_score(branch, period: str) -> Decimal:
    p = parse_period(period)
    return BranchPeriodScore.objects.get(branch=branch, kind=p.kind, period_start=p.start).score


def set_month(branch, month: date, hundredths: int) -> None:
    BranchPeriodScore.objects.update_or_create(
        branch=branch,
        kind="month",
        period_start=month,
        defaults={"score_hundredths": hundredths, "held_months": 1, "computed_at": NOW},
    )


def test_quarter_and_year_are_means_of_their_months_a_month_without_activity_counting_0(
    world, clock
):
    branch = world.a.branch
    stored(make_activity(branch, OCT), 9000)
    stored(make_activity(branch, NOV), 8550)
    services.refresh_branch(branch_id=branch.pk, month=OCT)
    services.refresh_branch(branch_id=branch.pk, month=NOV)
    assert month_score(branch, "2026-10") == Decimal("90.00")
    assert month_score(branch, "2026-11") == Decimal("85.50")
    # (90 + 85.5 + 0) / 3 = 58.5; the year: 175.5 / 12 = 14.625 → 14.63 (half up).
    assert month_score(branch, "2026-Q4") == Decimal("58.50")
    assert month_score(branch, "2026") == Decimal("14.63")
    q4 = BranchPeriodScore.objects.get(branch=branch, kind="quarter")
    assert (q4.held_months, q4.roster_non_flowing, q4.checked_in_non_flowing) == (2, 4, 2)


def test_a_month_counts_the_campaign_activity_only_and_the_better_of_two(world, clock):
    branch = world.a.branch
    stored(make_activity(branch, DEC), 6000)
    # A county's own campaign the same month: the better activity counts.
    stored(make_activity(branch, DEC, campaign_org=world.a.org), 7000)
    # An activity outside any campaign does not make the month.
    stored(make_activity(branch, DEC, campaign=False), 9900)
    services.refresh_branch(branch_id=branch.pk, month=DEC)
    assert month_score(branch, "2026-12") == Decimal("70.00")


@pytest.fixture
def december(world):
    """County A: village 80, community 90; county B: village 80, community 70."""
    set_month(world.a.branch, DEC, 8000)
    set_month(world.a.other_branch, DEC, 9000)
    set_month(world.b.branch, DEC, 8000)
    set_month(world.b.other_branch, DEC, 7000)
    return parse_period("2026-12")


def ranks(rows) -> dict[int, tuple[int, Decimal]]:
    return {r.org_id: (r.rank, r.score) for r in rows}


def test_branches_are_ranked_best_first_with_ties_sharing_a_rank(world, december):
    rows = selectors.ranking(world.city, december, level="branch")
    assert [r.rank for r in rows] == [1, 2, 2, 4]
    assert ranks(rows) == {
        world.a.other_branch.pk: (1, Decimal("90.00")),
        world.a.branch.pk: (2, Decimal("80.00")),
        world.b.branch.pk: (2, Decimal("80.00")),
        world.b.other_branch.pk: (4, Decimal("70.00")),
    }


def test_children_are_ranked_by_the_mean_of_their_descendant_branches(world, december):
    rows = selectors.ranking(world.city, december, level="children")
    assert ranks(rows) == {
        world.a.org.pk: (1, Decimal("85.00")),
        world.b.org.pk: (2, Decimal("75.00")),
    }
    assert selectors.org_score(world.city, december) == Decimal("80.00")
    assert selectors.org_score(world.a.town, december) == Decimal("85.00")


def test_a_branch_without_a_score_counts_0_in_rankings_and_means(world, december):
    from tests.factories import make_org

    empty = make_org(world.city_admin, world.a.town, "汉台区新建党支部", code="B-A3")
    rows = selectors.ranking(world.a.org, december, level="branch")
    assert ranks(rows)[empty.pk] == (3, Decimal("0.00"))
    # County A: (80 + 90 + 0) / 3 = 56.666… → 56.67.
    assert selectors.org_score(world.a.org, december) == Decimal("56.67")


def test_rankings_filter_by_sector_and_category(world, december):
    community = selectors.ranking(world.city, december, sector="community")
    assert set(ranks(community)) == {world.a.other_branch.pk, world.b.other_branch.pk}
    five_star = selectors.ranking(world.city, december, category="五星")
    assert set(ranks(five_star)) == {world.a.branch.pk, world.b.branch.pk}
    by_county = selectors.ranking(world.city, december, level="children", sector="community")
    assert ranks(by_county) == {
        world.a.org.pk: (1, Decimal("90.00")),
        world.b.org.pk: (2, Decimal("70.00")),
    }


def test_a_countys_ranking_holds_only_its_own_branches(world, december):
    rows = selectors.ranking(world.a.org, december)
    assert set(ranks(rows)) == {world.a.branch.pk, world.a.other_branch.pk}


def test_the_recompute_command_scores_a_scope_and_period_from_the_tables(world, clock):
    activity = make_activity(world.a.branch, DEC)
    call_command("recompute_scores", "2026-Q4", org=world.city.code or str(world.city.pk))
    assert ActivityScore.objects.filter(activity=activity).exists()
    # Every branch has its three month rows, its quarter and its year.
    for branch in (world.a.branch, world.a.other_branch, world.b.branch, world.b.other_branch):
        kinds = sorted(
            BranchPeriodScore.objects.filter(branch=branch).values_list("kind", flat=True)
        )
        assert kinds == ["month", "month", "month", "quarter", "year"]
    assert month_score(world.b.branch, "2026-12") == Decimal("0.00")
    assert (
        month_score(world.a.branch, "2026-12") == ActivityScore.objects.get(activity=activity).total
    )
    # Idempotent.
    call_command("recompute_scores", "2026-Q4", org=str(world.city.pk))
    assert BranchPeriodScore.objects.count() == 4 * 5

"""一键抽查: a seeded, recorded, reproducible sample; weighting toward low scores;
findings per branch; scope."""

from collections import Counter
from datetime import date

import pytest

from dangjian.audit.models import AuditEntry
from dangjian.core.errors import DomainError
from dangjian.scoring.formula import parse_period
from dangjian.scoring.models import BranchPeriodScore
from dangjian.supervision import sampling, selectors, services
from dangjian.supervision.models import FindingResult
from tests.scoring.conftest import NOW, make_activity

DEC = parse_period("2026-12")


def test_the_same_seed_draws_the_same_sample_in_the_same_order():
    population = [(pk, (pk * 37) % 10001) for pk in range(1, 201)]
    for weighted in (False, True):
        first = sampling.draw(population, 20, 12345, weight_low_scores=weighted)
        again = sampling.draw(list(reversed(population)), 20, 12345, weight_low_scores=weighted)
        assert first == again
        assert len(set(first)) == 20
        assert sampling.draw(population, 20, 54321, weight_low_scores=weighted) != first


def test_weighting_toward_low_scores_draws_low_scorers_more_often():
    # Half the branches score 0, half score 100; draw 10 of 100, 300 times.
    population = [(pk, 0 if pk <= 50 else 10000) for pk in range(1, 101)]
    low = Counter()
    for seed in range(300):
        for pk in sampling.draw(population, 10, seed, weight_low_scores=True):
            low[pk <= 50] += 1
    # Weights 110 : 10, so about 11 low scorers for each high one.
    assert low[True] > 8 * low[False]
    uniform = Counter(
        pk <= 50
        for seed in range(300)
        for pk in sampling.draw(population, 10, seed, weight_low_scores=False)
    )
    assert 0.8 < uniform[True] / uniform[False] < 1.25


def test_sample_size_by_number_or_percentage_never_exceeds_the_population():
    assert sampling.sample_size(45, size=10) == 10
    assert sampling.sample_size(45, percent=10) == 5  # 4.5 rounded up
    assert sampling.sample_size(3, size=10) == 3


@pytest.fixture
def scores(world):
    for branch, score in (
        (world.a.branch, 9000),
        (world.a.other_branch, 3000),
        (world.b.branch, 8000),
        (world.b.other_branch, 1000),
    ):
        BranchPeriodScore.objects.create(
            branch=branch,
            kind="month",
            period_start=date(2026, 12, 1),
            score_hundredths=score,
            computed_at=NOW,
        )


@pytest.mark.django_db
def test_a_spot_check_is_recorded_with_its_seed_and_can_be_drawn_again(world, scores, clock):
    first = services.create_spot_check(
        actor=world.city_admin, org=world.city, period=DEC, size=2, seed=7
    )
    again = services.create_spot_check(
        actor=world.city_admin, org=world.city, period=DEC, size=2, seed=7
    )
    drawn = [i.branch_id for i in selectors.items_of(first)]
    assert drawn == [i.branch_id for i in selectors.items_of(again)]
    assert (first.seed, first.population, len(drawn)) == (7, 4, 2)
    # The scores at the draw are kept with the sample.
    at_draw = BranchPeriodScore.objects.filter(branch_id__in=drawn)
    assert {i.branch_id: i.score_hundredths for i in selectors.items_of(first)} == dict(
        at_draw.values_list("branch_id", "score_hundredths")
    )
    entry = AuditEntry.objects.filter(action="spot_check.create").first()
    assert entry.after["seed"] == 7 and entry.after["branches"] == drawn


@pytest.mark.django_db
def test_without_a_seed_one_is_drawn_and_recorded(world, scores, clock):
    check = services.create_spot_check(
        actor=world.city_admin, org=world.city, period=DEC, percent=50
    )
    assert check.seed >= 0 and len(selectors.items_of(check)) == 2
    population = list(BranchPeriodScore.objects.values_list("branch_id", "score_hundredths"))
    replay = sampling.draw(population, 2, check.seed, weight_low_scores=False)
    assert replay == [i.branch_id for i in selectors.items_of(check)]


@pytest.mark.django_db
def test_a_county_admin_samples_only_their_own_branches(world, scores, clock):
    check = services.create_spot_check(
        actor=world.a.admin, org=world.a.org, period=DEC, percent=100
    )
    assert {i.branch_id for i in selectors.items_of(check)} == {
        world.a.branch.pk,
        world.a.other_branch.pk,
    }
    for actor in (world.b.admin, world.a.branch_admin, world.outsider):
        with pytest.raises(DomainError) as exc:
            services.create_spot_check(actor=actor, org=world.a.org, period=DEC, size=1)
        assert exc.value.code in ("forbidden", "not_found")
    with pytest.raises(DomainError):
        from dangjian import permissions

        permissions.access_spot_check(world.b.admin, check.pk)


@pytest.mark.django_db
def test_findings_are_recorded_per_branch_and_problems_need_a_description(world, scores, clock):
    make_activity(world.a.branch, date(2026, 12, 1))
    check = services.create_spot_check(
        actor=world.a.admin, org=world.a.org, period=DEC, percent=100
    )
    item = next(i for i in selectors.items_of(check) if i.branch_id == world.a.branch.pk)
    with pytest.raises(DomainError) as exc:
        services.record_finding(actor=world.a.admin, item=item, result="problems", finding=" ")
    assert exc.value.code == "validation_error"
    with pytest.raises(DomainError) as exc:
        services.record_finding(actor=world.b.admin, item=item, result="passed")
    assert exc.value.code == "not_found"
    item = services.record_finding(
        actor=world.a.admin, item=item, result="problems", finding="照片与活动时间不符"
    )
    assert item.result == FindingResult.PROBLEMS and item.inspected_at is not None
    # The evidence: the branch's December activity with its history and score.
    evidence = selectors.evidence(item)
    assert len(evidence) == 1 and evidence[0].score is not None


@pytest.mark.django_db
def test_a_sample_needs_a_size_or_a_percentage_and_branches(world, clock):
    with pytest.raises(DomainError) as exc:
        services.create_spot_check(actor=world.city_admin, org=world.city, period=DEC)
    assert exc.value.code == "validation_error"
    from tests.factories import make_org

    empty = make_org(world.city_admin, world.city, "空的党委", kind="committee")
    with pytest.raises(DomainError) as exc:
        services.create_spot_check(actor=world.city_admin, org=empty, period=DEC, size=1)
    assert exc.value.code == "empty_scope"

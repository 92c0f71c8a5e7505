"""The optional `study` component (issue 19, point 3): the branch's study package
completion for the activity's month. Weighed 0 by default, it changes no score and no
breakdown; a policy version that weighs it gets the hand-computed totals below."""

from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction

import pytest
import time_machine

from dangjian.learning import packages, quiz_services
from dangjian.learning import services as learning
from dangjian.scoring import formula, services
from dangjian.scoring.formula import DEFAULT_POLICY, PolicyTerms, compute
from tests.learning.articles import NOW as DEC_NOW
from tests.learning.articles import published
from tests.learning.quizzes import bank, quiz
from tests.scoring.conftest import SHANGHAI, attend, make_activity
from tests.scoring.test_formula import full

D = Decimal
DEC = date(2026, 12, 1)
STUDY_WEIGHTS = {
    "sign_in": 60,
    "flowing_like": 10,
    "upload": 10,
    "comment": 10,
    "superior": 0,
    "study": 10,
}


@pytest.mark.parametrize(
    "share, expected",
    [
        (None, None),
        (Fraction(0), Fraction(0)),
        (Fraction(1, 3), Fraction(100, 3)),
        (Fraction(1), Fraction(100)),
        (Fraction(2), Fraction(100)),
        (Fraction(-1), Fraction(0)),
    ],
)
def test_the_study_value_is_the_completion_share_as_a_percent(share, expected):
    assert formula.study_value(share) == expected


@pytest.mark.parametrize("share", [None, Fraction(0), Fraction(1, 2), Fraction(1)])
@pytest.mark.parametrize(
    "inputs", [full(), full(checked_in_non_flowing=3, rating=None), full(roster=0)]
)
def test_weighed_zero_the_study_component_changes_no_total_and_no_breakdown(inputs, share):
    zero = PolicyTerms(version=2, weights={**DEFAULT_POLICY.weights, "study": 0})
    for terms in (DEFAULT_POLICY, zero):
        with_study = compute(inputs, terms, share)
        without = compute(inputs, terms)
        assert with_study.total == without.total
        assert with_study.components == without.components
        assert "study" not in with_study.components


@pytest.mark.parametrize(
    "share, total",
    [
        # 90 × 100 % + 10 × 50 % = 95.
        (Fraction(1, 2), D("95.00")),
        (Fraction(1), D("100.00")),
        (Fraction(0), D("90.00")),
        # No package that month: left out, its weight shared out, as any component's.
        (None, D("100.00")),
    ],
)
def test_a_policy_that_weighs_study_scores_the_hand_computed_totals(share, total):
    terms = PolicyTerms(version=2, weights=STUDY_WEIGHTS)
    result = compute(full(), terms, share)
    assert result.total == total
    assert (result.components["study"] is None) == (share is None)


def test_a_policy_names_only_known_components_and_may_leave_study_out():
    assert formula.policy_problems(DEFAULT_POLICY.weights, 4, 400, 50) == []
    assert formula.policy_problems(STUDY_WEIGHTS, 4, 400, 50) == []
    unknown = {**DEFAULT_POLICY.weights, "reading": 0}
    assert formula.policy_problems(unknown, 4, 400, 50) == ["weights_components"]


@pytest.fixture
def studied(world):
    """December: the city's package of one article and a quiz; county a's member read it and
    passed, the two other members of the branch (the flowing one, the secretary) did not."""
    with time_machine.travel(DEC_NOW, tick=False) as clock:
        article = published(world, title="学习一")
        cat, _q = bank(world, n=1)
        test = quiz(world, draws=[(cat, 1, 1)])
        package = packages.create_package(
            actor=world.city_admin,
            org=world.city,
            month=DEC,
            title="十二月学习套餐",
            articles=[article],
            quiz=test,
        )
        packages.publish_package(actor=world.city_admin, package=package)
        member = world.a.member
        learning.start_reading(member=member, article=article)
        clock.shift(60)
        learning.finish_reading(member=member, article=article)
        attempt, _ = quiz_services.start_attempt(member=member, quiz=test)
        question = attempt.answers.get().question_id
        quiz_services.save_answer(
            member=member, attempt=attempt, question_id=question, answer=True, version=1
        )
        quiz_services.submit_attempt(member=member, attempt=attempt)
    return package


@pytest.mark.django_db
def test_the_default_policy_ignores_the_package_and_a_weighing_one_uses_its_share(world, studied):
    assert packages.branch_completion_share(world.a.branch, DEC) == Fraction(1, 3)
    with time_machine.travel(datetime(2027, 1, 5, 9, tzinfo=SHANGHAI), tick=False):
        activity = make_activity(world.a.branch, DEC)
        attend(activity, world.a.member)
        default = services.recompute_activity(activity.pk)
        expected = compute(services_inputs(activity))
        assert default.total == expected.total
        assert "study" not in default.components
    # A January policy that weighs study scores the activities that close after it.
    with time_machine.travel(datetime(2027, 1, 6, 9, tzinfo=SHANGHAI), tick=False):
        policy = services.set_policy(actor=world.city_admin, weights=STUDY_WEIGHTS)
    assert policy.weights["study"] == 10
    with time_machine.travel(datetime(2027, 1, 6, 10, tzinfo=SHANGHAI), tick=False):
        later = make_activity(
            world.a.branch,
            DEC,
            campaign=False,
            closed_at=datetime(2027, 1, 6, 10, tzinfo=SHANGHAI),
        )
        attend(later, world.a.member)
        weighed = services.recompute_activity(later.pk)
    terms = PolicyTerms(version=policy.version, weights=STUDY_WEIGHTS)
    assert weighed.policy_version == policy.version
    assert weighed.total == compute(services_inputs(later), terms, Fraction(1, 3)).total
    assert weighed.components["study"]["value"] == "33.33"


def services_inputs(activity):
    from dangjian.scoring.inputs import inputs_of

    return inputs_of(activity)

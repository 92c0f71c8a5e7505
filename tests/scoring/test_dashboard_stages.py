"""How far the branches are with a month's theme day, on the dashboard: counted with the
scores when one campaign reaches the scope, apart when several do."""

from datetime import date

import pytest

from dangjian.scoring import selectors
from dangjian.scoring.formula import parse_period
from dangjian.themedays.models import ActivityStatus
from tests.scoring.conftest import clock, make_activity  # noqa: F401

pytestmark = pytest.mark.django_db
# The tests live on 5 January 2027: January's theme days (the 10th) have not started.
JAN = date(2027, 1, 1)


@pytest.fixture
def january(world, clock):  # noqa: F811
    a, b = world.a, world.b
    make_activity(a.branch, JAN, status=ActivityStatus.APPROVED, freeze=False)
    # County A's own campaign the same month: a.branch's plan there is only a draft.
    make_activity(a.branch, JAN, campaign_org=a.org, status=ActivityStatus.DRAFT, freeze=False)
    make_activity(
        a.other_branch, JAN, campaign_org=a.org, status=ActivityStatus.SUBMITTED, freeze=False
    )
    make_activity(b.branch, JAN, status=ActivityStatus.CLOSED)
    # A cancelled plan is no plan.
    make_activity(b.other_branch, JAN, status=ActivityStatus.CANCELLED, freeze=False)
    return parse_period("2027-01")


def test_with_two_campaigns_each_branch_counts_at_its_furthest_plan(world, january):
    stages = selectors.dashboard(world.city, january).stages
    assert stages == {"none": 1, "planning": 1, "approved": 1, "held": 1}
    assert stages == selectors.month_stages(world.city, JAN, 4)
    # With a filter: county A's community branch has one plan, submitted.
    assert selectors.dashboard(world.a.org, january, sector="community").stages == {
        "none": 0,
        "planning": 1,
        "approved": 0,
        "held": 0,
    }


def test_with_one_campaign_the_stages_come_with_the_scores(world, january):
    # Only the city's campaign reaches county B.
    assert selectors.dashboard(world.b.org, january).stages == {
        "none": 1,
        "planning": 0,
        "approved": 0,
        "held": 1,
    }


def test_a_month_without_campaigns_has_every_branch_without_a_plan(world, january):
    assert selectors.dashboard(world.city, parse_period("2026-11")).stages == {
        "none": 4,
        "planning": 0,
        "approved": 0,
        "held": 0,
    }
    assert selectors.dashboard(world.city, parse_period("2027-Q1")).stages == {}

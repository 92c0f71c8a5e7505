"""The study figure of the annual appraisal, where the rule weighs it: the members who
completed the month's study package over the branch's members, through learning's own
completion (reading every article and passing the quiz)."""

from decimal import Decimal

import pytest

from dangjian.supervision import appraisal as services
from dangjian.supervision.models import AppraisalEntry
from tests.learning.test_packages import clock, made, read, take  # noqa: F401
from tests.supervision.test_appraisal import publish

pytestmark = pytest.mark.django_db


def test_the_study_figure_is_the_share_of_members_who_completed_the_package(
    world,
    made,  # noqa: F811
    clock,  # noqa: F811
):
    package, articles, test = made
    for article in articles:
        read(world.a.member, article, clock)
        read(world.b.member, article, clock)
    take(world.a.member, test)
    take(world.b.member, test, right=False)  # failed the quiz: not complete
    publish(world, study_weight="6")
    appraisal = services.generate_appraisal(actor=world.city_admin, org=world.city, year=2026)
    entries = {e.branch_id: e for e in AppraisalEntry.objects.filter(appraisal=appraisal)}
    a, b = entries[world.a.branch.pk], entries[world.b.branch.pk]
    # Three members in each branch (the member, the flowing one, the secretary).
    assert (a.study_percent, b.study_percent) == (Decimal("33.33"), Decimal("0.00"))
    # No year score stored: 0 + 6 points × 1/3.
    assert (a.total, b.total) == (Decimal("2.00"), Decimal("0.00"))

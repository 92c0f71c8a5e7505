"""The demo holds a year of history (issue 22, point 1): the twelve months before this one
held, scored and reviewed; this month under way with plans at every stage; a spot check
a month with rectifications accepted, open, due soon and overdue; a bulletin for every
finished quarter; believable figures (good, average and struggling branches, a real
trend, most members activated); and today's to-dos for the admins. One demo seeded for
the whole module (the full demo, members and all), on 8 December 2026."""

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Avg, Count, Q

from dangjian.attendance.models import Correction, LeaveRequest
from dangjian.audit.models import AuditEntry
from dangjian.registry import selectors as registry
from dangjian.registry.models import Organization, OrgKind, User
from dangjian.scoring import selectors
from dangjian.scoring.formula import Period
from dangjian.scoring.models import BranchPeriodScore
from dangjian.supervision import todos
from dangjian.supervision.models import (
    Bulletin,
    BulletinStatus,
    FindingResult,
    RecordReview,
    Rectification,
    RectificationStatus,
    ReviewStatus,
    SpotCheck,
    SpotCheckItem,
)
from dangjian.themedays.models import Activity, ActivityStatus, Campaign
from tests.demodata.conftest import NOW

TODAY = NOW.date()
THIS_MONTH = date(2026, 12, 1)
LAST_MONTH = date(2026, 11, 1)
YEAR = [date(2025, 12, 1)] + [date(2026, m, 1) for m in range(1, 12)]


pytestmark = pytest.mark.django_db


def with_members(root: Organization) -> int:
    return (
        Organization.objects.filter(path__startswith=root.path, kind=OrgKind.BRANCH)
        .annotate(n=Count("members", filter=Q(members__is_active=True)))
        .filter(n__gt=0)
        .count()
    )


def test_every_month_of_the_year_has_its_campaign_held_by_nearly_every_branch(city):
    branches = with_members(city)
    for month in YEAR:
        campaign = Campaign.objects.get(org=city, month=month, parent__isnull=True)
        held = Activity.objects.filter(campaign=campaign, status=ActivityStatus.CLOSED)
        assert held.count() >= 0.9 * branches, month


def test_every_month_of_the_year_is_scored_with_good_average_and_struggling_branches(city):
    scored = BranchPeriodScore.objects.filter(kind="month", period_start__in=YEAR)
    assert set(scored.values_list("period_start", flat=True)) == set(YEAR)
    means = list(
        scored.filter(activity__isnull=False)
        .values("branch_id")
        .annotate(mean=Avg("score_hundredths"))
        .values_list("mean", flat=True)
    )
    assert min(means) < 7000 and max(means) > 9000
    assert 6500 < sorted(means)[len(means) // 2] < 9000


def test_the_citys_dashboard_of_last_month_reads_as_a_working_city(city):
    board = selectors.dashboard(city, Period("month", LAST_MONTH))
    assert 60 <= board.score <= 95
    assert board.held >= 0.9 * board.branches
    trend = [rate for _period, rate, *_ in board.signin_trend if rate is not None]
    assert len(trend) == 12 and all(60 <= rate <= 100 for rate in trend)


def test_this_month_is_under_way_most_branches_held_and_the_rest_at_every_stage(city):
    board = selectors.dashboard(city, Period("month", THIS_MONTH))
    stages = board.stages
    assert stages["held"] > board.branches / 2
    assert stages["planning"] >= 1 and stages["approved"] >= 1
    # Nothing of this month is dated after now.
    month = Activity.objects.filter(campaign__month=THIS_MONTH, status=ActivityStatus.CLOSED)
    assert not month.filter(closed_at__gt=NOW).exists()
    assert not AuditEntry.objects.filter(created_at__gt=NOW).exists()


def test_the_records_before_last_month_are_reviewed_and_last_months_wait(city):
    older = Activity.objects.filter(
        status=ActivityStatus.CLOSED, campaign__month__lt=LAST_MONTH, record_review__isnull=True
    )
    assert not older.exists()
    passed = RecordReview.objects.filter(status=ReviewStatus.PASSED)
    assert passed.count() >= 10 * with_members(city)
    assert not passed.filter(passed_at__gt=NOW).exists()
    waiting = Activity.objects.filter(
        status=ActivityStatus.CLOSED, campaign__month=LAST_MONTH, record_review__isnull=True
    )
    assert waiting.count() > 0.8 * with_members(city)


def test_the_city_spot_checked_a_month_of_the_last_half_year_with_findings(city):
    checks = SpotCheck.objects.filter(org=city)
    assert sorted(checks.values_list("period_start", flat=True)) == YEAR[-6:]
    items = SpotCheckItem.objects.filter(spot_check__in=checks)
    assert not items.filter(result=FindingResult.PENDING).exists()
    assert items.filter(result=FindingResult.PASSED).exists()
    assert items.filter(result=FindingResult.PROBLEMS).exists()


def test_rectifications_are_accepted_open_due_soon_overdue_and_waiting_for_acceptance(city):
    rectifications = Rectification.objects.all()
    statuses = set(rectifications.values_list("status", flat=True))
    assert statuses == {
        RectificationStatus.ACCEPTED,
        RectificationStatus.ANSWERED,
        RectificationStatus.OPEN,
    }
    still_open = rectifications.filter(status=RectificationStatus.OPEN)
    assert still_open.filter(deadline__lt=TODAY).exists()
    assert still_open.filter(deadline__gte=TODAY, deadline__lte=TODAY + timedelta(days=7)).exists()
    accepted = rectifications.filter(status=RectificationStatus.ACCEPTED)
    assert accepted.count() >= 3 and not accepted.filter(accepted_at__gt=NOW).exists()


def test_every_finished_quarter_of_the_year_has_its_bulletin_published(city):
    published = Bulletin.objects.filter(org=city, status=BulletinStatus.PUBLISHED)
    assert sorted(published.values_list("year", "quarter")) == [(2026, 1), (2026, 2), (2026, 3)]
    assert all(b.figures["summary"]["held"] > 0 for b in published)


def test_most_members_have_activated_their_accounts(city):
    rate = registry.activation_rate(city)
    assert 85 <= rate.percent < 100


def test_the_city_admin_has_every_kind_of_to_do_today(city):
    waiting = todos.todos(User.objects.get(phone="13900000001"), TODAY)
    assert waiting.plans_to_review >= 1
    assert waiting.leaves_to_decide >= 1
    assert waiting.corrections_to_decide >= 1
    assert waiting.rectifications.due_soon >= 1
    assert waiting.rectifications.overdue >= 1
    assert waiting.rectifications.to_accept >= 1
    assert waiting.records_awaiting_resubmission == 1
    assert waiting.sheet_month == LAST_MONTH and waiting.sheets >= 1


def test_the_county_and_the_demo_branch_have_their_own_to_dos(city):
    county = todos.todos(User.objects.get(phone="13900000002"), TODAY)
    assert county.plans_to_review >= 1 and county.corrections_to_decide >= 1
    secretary = todos.todos(User.objects.get(phone="13900000003"), TODAY)
    assert secretary.leaves_to_decide == 1 and secretary.records_to_supplement == 1
    upcoming = Activity.objects.get(branch__name="红星村党支部", campaign__month=THIS_MONTH)
    assert upcoming.status == ActivityStatus.APPROVED and upcoming.starts_at > NOW
    assert LeaveRequest.objects.filter(activity=upcoming, status="pending").count() == 1
    assert Correction.objects.filter(status="pending").count() == 2


def test_seeding_the_demo_again_changes_nothing(demo, city):
    tables = connection.introspection.django_table_names(only_existing=True)
    with connection.cursor() as cursor:

        def counts():
            out = {}
            for table in tables:
                cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
                out[table] = cursor.fetchone()[0]
            return out

        before = counts()
        out = StringIO()
        call_command("seed", "--scale", "demo", stdout=out)
        after = counts()
    changed = {t: (before[t], after[t]) for t in tables if before[t] != after[t]}
    assert changed == {}
    assert "Already seeded: nothing changed." in out.getvalue()

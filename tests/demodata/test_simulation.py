"""`seed --months N`: past theme days simulated with the rows the real services leave
behind, scored by the real scoring code, consistent with the formula counted by hand."""

from datetime import date, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from dangjian.attendance.models import ATTENDED, AttendanceRecord, LeaveRequest
from dangjian.demodata import seeding
from dangjian.demodata.simulation import months_before
from dangjian.interaction.models import ActivityLike, Comment, Photo, Rating, Summary
from dangjian.registry.models import Organization, OrgKind, User
from dangjian.scoring import formula, selectors
from dangjian.scoring.models import ActivityScore, BranchPeriodScore
from dangjian.themedays.models import Activity, ActivityStatus, Campaign, RosterEntry

pytestmark = pytest.mark.django_db
NOV, DEC = date(2026, 11, 1), date(2026, 12, 1)


@pytest.fixture
def seeded(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.API_TOKEN_TTL = timedelta(days=60)
    with time_machine.travel(datetime(2027, 1, 5, 9, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        out = StringIO()
        call_command("seed", "--scale", "demo", "--months", "2", "--no-supervision", stdout=out)
        yield Organization.objects.get_root_nodes().get(name=seeding.CITY_NAME)


def counted_inputs(activity: Activity) -> formula.ScoreInputs:
    """The inputs of a score counted row by row, without the scoring selectors."""
    roster = {r.member_id: r.is_flowing for r in RosterEntry.objects.filter(activity=activity)}
    attended = set(
        AttendanceRecord.objects.filter(activity=activity, status__in=ATTENDED).values_list(
            "member_id", flat=True
        )
    )
    likers = set(ActivityLike.objects.filter(activity=activity).values_list("member_id", flat=True))
    commenters = set(
        Comment.objects.filter(activity=activity, is_hidden=False).values_list(
            "author_id", flat=True
        )
    )
    summary = Summary.objects.filter(activity=activity).first()
    rating = Rating.objects.filter(activity=activity, is_current=True).first()
    return formula.ScoreInputs(
        roster=len(roster),
        roster_flowing=sum(roster.values()),
        checked_in_non_flowing=sum(1 for m in attended if roster.get(m) is False),
        liked_flowing=sum(1 for m in likers if roster.get(m)),
        commenters=sum(1 for m in commenters if m in roster),
        photos=Photo.objects.filter(activity=activity).count(),
        summary_chars=len(summary.text.strip()) if summary else 0,
        rating=rating.score if rating else None,
    )


def test_the_months_simulated_are_the_whole_months_before_this_one():
    assert months_before(date(2027, 1, 5), 2) == [NOV, DEC]
    assert months_before(date(2026, 3, 31), 3) == [
        date(2025, 12, 1),
        date(2026, 1, 1),
        date(2026, 2, 1),
    ]
    assert months_before(date(2026, 3, 31), 0) == []


def test_seeding_months_holds_closes_and_records_a_theme_day_for_nearly_every_branch(seeded):
    branches = Organization.objects.filter(kind=OrgKind.BRANCH, is_active=True).count()
    for month in (NOV, DEC):
        campaign = Campaign.objects.get(org=seeded, month=month)
        assert campaign.tasks.count() == branches
        activities = Activity.objects.filter(campaign=campaign)
        assert branches * 0.9 <= activities.count() <= branches
        assert set(activities.values_list("status", flat=True)) == {ActivityStatus.CLOSED}
        assert not activities.filter(roster_frozen_at__isnull=True).exists()
    for activity in Activity.objects.all()[:20]:
        roster = RosterEntry.objects.filter(activity=activity).count()
        records = AttendanceRecord.objects.filter(activity=activity)
        # Closing leaves a record for every roster member.
        assert records.count() == roster > 0
        assert not records.filter(status__in=["checked_in", "pending"]).exists()
        # Checking out requires the reflection; leave is an approved request.
        out = set(records.filter(status="checked_out").values_list("member_id", flat=True))
        reflections = set(
            Comment.objects.filter(activity=activity, is_reflection=True).values_list(
                "author_id", flat=True
            )
        )
        assert out == reflections
        on_leave = records.filter(status="on_leave")
        assert on_leave.filter(leave__status="approved").count() == on_leave.count()
        assert activity.events.count() == 4
    assert LeaveRequest.objects.exists() and Photo.objects.exists() and Rating.objects.exists()


def test_every_simulated_score_is_the_formula_of_the_rows_counted_by_hand(seeded):
    activities = list(Activity.objects.filter(campaign__org=seeded))
    scores = {s.activity_id: s for s in ActivityScore.objects.all()}
    assert set(scores) == {a.pk for a in activities}
    totals = set()
    for activity in activities:
        expected = formula.compute(counted_inputs(activity))
        stored = scores[activity.pk]
        assert stored.total == expected.total, activity.pk
        assert stored.components == expected.as_dict()["components"]
        assert stored.is_closed and stored.policy_version == 1
        totals.add(stored.total_hundredths)
    # Branches differ: the scores spread.
    assert len(totals) > len(activities) // 3


def test_branch_months_quarters_years_and_rankings_follow_the_activity_scores(seeded, api):
    branches = list(Organization.objects.filter(kind=OrgKind.BRANCH, is_active=True))
    by_branch_month = {
        (s.branch_id, s.month): s.total_hundredths for s in ActivityScore.objects.all()
    }
    rows = BranchPeriodScore.objects.all()
    assert rows.filter(kind="month").count() == 2 * len(branches)
    assert rows.filter(kind="quarter", period_start=date(2026, 10, 1)).count() == len(branches)
    assert rows.filter(kind="year", period_start=date(2026, 1, 1)).count() == len(branches)
    for b in branches:
        nov, dec = (by_branch_month.get((b.pk, m), 0) for m in (NOV, DEC))
        months = {r.period_start: r.score_hundredths for r in rows.filter(branch=b, kind="month")}
        assert months == {NOV: nov, DEC: dec}
        quarter = rows.get(branch=b, kind="quarter").score_hundredths
        assert quarter == formula.mean_hundredths([nov, dec], 3)
        assert rows.get(branch=b, kind="year").score_hundredths == formula.mean_hundredths(
            [nov, dec], 12
        )

    ranking = selectors.ranking(seeded, formula.parse_period("2026-12"), level="branch")
    assert len(ranking) == len(branches)
    assert [r.score for r in ranking] == sorted((r.score for r in ranking), reverse=True)
    assert ranking[0].rank == 1
    logins = {u.phone: u for u in User.objects.filter(phone__startswith="1390000000")}
    city_admin, county_admin = logins["13900000001"], logins["13900000002"]
    answer = api(city_admin).get(f"/orgs/{seeded.pk}/ranking?period=2026-Q4&level=children")
    assert answer.status_code == 200
    items = answer.json()["items"]
    children = set(Organization.objects.get_children(seeded).values_list("pk", flat=True))
    assert {i["org_id"] for i in items} <= children and len(items) >= 3
    assert all(0 < i["score"] < 100 for i in items)
    # The county admin ranks their own county's branches only.
    county = Organization.objects.get(code=seeding.COUNTY_REGION["汉台区"])
    answer = api(county_admin).get(f"/orgs/{county.pk}/ranking?period=2026-12")
    ids = {i["org_id"] for i in answer.json()["items"]}
    assert ids == set(
        Organization.objects.filter(path__startswith=county.path, kind=OrgKind.BRANCH).values_list(
            "pk", flat=True
        )
    )
    assert api(county_admin).get(f"/orgs/{seeded.pk}/ranking?period=2026-12").status_code == 404


def test_seeding_the_same_months_again_changes_nothing(seeded):
    before = (Activity.objects.count(), AttendanceRecord.objects.count(), Campaign.objects.count())
    with time_machine.travel(datetime(2027, 1, 5, 9, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        out = StringIO()
        call_command("seed", "--scale", "demo", "--months", "2", "--no-supervision", stdout=out)
    assert "Simulated 0 months, 2 already there" in out.getvalue()
    after = (Activity.objects.count(), AttendanceRecord.objects.count(), Campaign.objects.count())
    assert after == before


CASES = [
    ("city", {}),
    ("city", {"sector": "rural"}),
    ("county", {}),
    ("county", {"category": "五星"}),
    ("town", {"sector": "community"}),
]


def test_the_dashboard_counted_in_the_database_says_what_the_branch_rows_say(seeded):
    for scope, filters in CASES:
        check_dashboard(seeded, scope, filters)


def check_dashboard(seeded, scope: str, filters: dict) -> None:
    org = {
        "city": seeded,
        "county": Organization.objects.get(code=seeding.COUNTY_REGION["汉台区"]),
        "town": Organization.objects.get(code=seeding.DEMO_BRANCH_CODE[:9]),
    }[scope]
    for label in ("2026-12", "2026-Q4", "2026"):
        period = formula.parse_period(label)
        rows = selectors.branch_rows(org, period, **filters)
        dash = selectors.dashboard(org, period, **filters)
        scores = [r.score_hundredths for r in rows]
        assert dash.branches == len(rows)
        assert dash.held == sum(1 for r in rows if r.held_months)
        assert dash.score == formula.from_hundredths(formula.mean_hundredths(scores, len(rows)))
        assert dash.distribution == [
            sum(1 for s in scores if selectors.bucket_of(s) == b) for b in range(10)
        ]
        for groups, attr in ((dash.by_sector, "sector"), (dash.by_category, "category")):
            expected = {}
            for r in rows:
                n, held, total = expected.get(getattr(r, attr), (0, 0, 0))
                expected[getattr(r, attr)] = (
                    n + 1,
                    held + (1 if r.held_months else 0),
                    total + r.score_hundredths,
                )
            assert {g.key: (g.branches, g.held, g.score_sum) for g in groups} == expected
        children = {}
        step = len(org.path) + Organization.steplen
        for r in rows:
            children.setdefault(r.path[:step], []).append(r.score_hundredths)
        assert {
            Organization.objects.get(pk=c.org_id).path: (c.score_hundredths, c.branches)
            for c in dash.children
        } == {path: (formula.mean_hundredths(s, len(s)), len(s)) for path, s in children.items()}
        if period.kind == "month":
            stages = selectors.branch_stages(org, period.start)
            ids = {r.org_id for r in rows}
            expected = dict.fromkeys(selectors.STAGE_ORDER, 0)
            for pk in ids:
                expected[stages.get(pk, "none")] += 1
            assert dash.stages == expected
        trend = {p.start: (checked, roster) for p, _rate, checked, roster in dash.signin_trend}
        assert trend[period.start] == (
            sum(r.checked_in_non_flowing for r in rows),
            sum(r.roster_non_flowing for r in rows),
        )


def test_a_trend_point_follows_a_rewritten_score_at_once(seeded):
    """The sums behind the trend are cached; rewriting a row of the period moves the key."""
    period = formula.parse_period("2026-12")
    before = selectors.signin_trend(seeded, period)[-1]
    row = BranchPeriodScore.objects.filter(kind="month", period_start=DEC).first()
    row.checked_in_non_flowing += 1
    row.computed_at = row.computed_at + timedelta(seconds=1)
    row.save()
    after = selectors.signin_trend(seeded, period)[-1]
    assert after[2] == before[2] + 1

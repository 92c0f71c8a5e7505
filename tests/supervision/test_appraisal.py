"""The annual appraisal's services: the city generates a year's appraisal from the stored
figures, counties propose grades within their quotas, the city changes a grade only with
a reason and confirms, after which nothing changes; each county grades only its own."""

from datetime import date, datetime
from decimal import Decimal

import pytest

from dangjian.audit.models import AuditEntry
from dangjian.core.errors import DomainError
from dangjian.notifications.models import Notification
from dangjian.scoring.models import BranchPeriodScore
from dangjian.supervision import appraisal as services
from dangjian.supervision import appraisal_selectors as selectors
from dangjian.supervision.models import (
    AppraisalCounty,
    AppraisalEntry,
    AppraisalStatus,
    FindingResult,
    Rectification,
    RectificationStatus,
    SpotCheck,
    SpotCheckItem,
)
from tests.factories import make_org
from tests.scoring.conftest import SHANGHAI

pytestmark = pytest.mark.usefixtures("clock")  # January 2027

YEAR = 2026
AT = datetime(2026, 12, 31, 12, tzinfo=SHANGHAI)


def year_score(branch, hundredths: int) -> None:
    BranchPeriodScore.objects.create(
        branch=branch,
        kind="year",
        period_start=date(YEAR, 1, 1),
        score_hundredths=hundredths,
        held_months=12,
        computed_at=AT,
    )


def publish(world, **kw):
    values = {
        "finding_deduction": "2",
        "overdue_deduction": "3",
        "send_back_deduction": "1",
        "good_max_percent": 20,
        "fairly_good_max_percent": 30,
        "poor_min_percent": 10,
    }
    values.update(kw)
    return services.publish_appraisal_rule(actor=world.city_admin, **values)


@pytest.fixture
def county_a(world):
    """County A with ten branches scored 95, 94, … 86 (its two of the world first)."""
    branches = [world.a.branch, world.a.other_branch] + [
        make_org(world.city_admin, world.a.town, f"汉台区第{i}党支部", code=f"B-A{i + 3}")
        for i in range(8)
    ]
    for i, branch in enumerate(branches):
        year_score(branch, 9500 - 100 * i)
    return branches


@pytest.fixture
def appraisal(world, county_a):
    publish(world)
    year_score(world.b.branch, 8000)
    year_score(world.b.other_branch, 7000)
    return services.generate_appraisal(actor=world.city_admin, org=world.city, year=YEAR)


def grades_of(appraisal, branches):
    entries = {e.branch_id: e for e in AppraisalEntry.objects.filter(appraisal=appraisal)}
    return [entries[b.pk].grade for b in branches]


def part_of(appraisal, county):
    return AppraisalCounty.objects.select_related("appraisal", "county").get(
        appraisal=appraisal, county=county
    )


# Generating ------------------------------------------------------------------------------


def test_the_city_generates_the_years_appraisal_with_the_rule_in_force(world, appraisal, county_a):
    assert appraisal.rule_version == 2 and appraisal.status == AppraisalStatus.DRAFT
    assert AppraisalEntry.objects.filter(appraisal=appraisal).count() == 12
    assert grades_of(appraisal, county_a) == ["good", "good"] + ["fairly_good"] * 3 + [
        "average"
    ] * 4 + ["poor"]
    parts = {p.county_id: p.branches for p in AppraisalCounty.objects.filter(appraisal=appraisal)}
    assert parts == {world.a.org.pk: 10, world.b.org.pk: 2}
    assert AuditEntry.objects.filter(action="appraisal.generate").count() == 1
    told = Notification.objects.filter(title="2026 年度考核已生成")
    assert set(told.values_list("user_id", flat=True)) == {world.a.admin.pk, world.b.admin.pk}


def test_the_score_takes_the_deductions_of_the_year(world, county_a):
    publish(world)
    branch = county_a[0]  # 95.00
    check = SpotCheck.objects.create(
        org=world.a.org,
        period_kind="month",
        period_start=date(YEAR, 6, 1),
        requested_size=1,
        seed=1,
        population=10,
        created_at=AT,
    )
    SpotCheckItem.objects.create(
        spot_check=check,
        branch=branch,
        position=1,
        score_hundredths=9500,
        result=FindingResult.PROBLEMS,
        finding="记录不全",
        inspected_at=AT,
    )
    common = {
        "branch": branch,
        "opened_by_org": world.a.org,
        "title": "整改",
        "requirement": "补齐",
        "opened_at": AT,
        "updated_at": AT,
    }
    # Open past its deadline: overdue. Answered a day late: overdue. On time: not.
    Rectification.objects.create(deadline=date(YEAR, 11, 1), **common)
    Rectification.objects.create(
        deadline=date(YEAR, 10, 1),
        status=RectificationStatus.ANSWERED,
        answered_at=datetime(YEAR, 10, 2, 9, tzinfo=SHANGHAI),
        **common,
    )
    Rectification.objects.create(
        deadline=date(YEAR, 9, 1),
        status=RectificationStatus.ANSWERED,
        answered_at=datetime(YEAR, 9, 1, 23, tzinfo=SHANGHAI),
        **common,
    )
    appraisal = services.generate_appraisal(actor=world.city_admin, org=world.city, year=YEAR)
    entry = AppraisalEntry.objects.get(appraisal=appraisal, branch=branch)
    assert (entry.findings, entry.overdue, entry.send_backs) == (1, 2, 0)
    assert entry.total == Decimal("95.00") - 2 - 2 * 3
    # 87.00 ranks it behind 88.00 … 94.00: eighth of ten.
    assert entry.rank == 8


def test_the_score_takes_the_send_backs_of_the_year(world, county_a, clock):
    from datetime import timedelta

    from dangjian.supervision import reviews
    from tests.scoring.conftest import NOW, make_activity

    publish(world)
    branch = county_a[0]
    november, december = (make_activity(branch, date(YEAR, m, 1)) for m in (11, 12))
    # Two send-backs in 2026 (one record sent back twice)…
    clock.move_to(datetime(YEAR, 12, 12, 10, tzinfo=SHANGHAI))
    review = reviews.send_back_record(
        actor=world.a.admin, activity=november, reason="缺少照片", deadline=date(YEAR, 12, 14)
    )
    reviews.resubmit_record(actor=world.a.branch_admin, review=review)
    clock.move_to(datetime(YEAR, 12, 20, 10, tzinfo=SHANGHAI))
    reviews.send_back_record(
        actor=world.a.admin, activity=november, reason="仍缺照片", deadline=date(YEAR, 12, 22)
    )
    # …and one in 2027, which the 2026 appraisal does not count.
    clock.move_to(NOW)
    reviews.send_back_record(
        actor=world.a.admin,
        activity=december,
        reason="总结过短",
        deadline=NOW.date() + timedelta(days=3),
    )
    appraisal = services.generate_appraisal(actor=world.city_admin, org=world.city, year=YEAR)
    entry = AppraisalEntry.objects.get(appraisal=appraisal, branch=branch)
    assert entry.send_backs == 2
    assert entry.total == Decimal("95.00") - 2


def test_volunteer_hours_count_where_the_rule_weighs_them(world, county_a):
    from dangjian.volunteering.models import HoursEntry

    publish(world, volunteer_weight="4", volunteer_hours_target="10")
    branch = world.a.branch  # 95.00, two active members (the member and the flowing one)…
    admin_member = world.a.branch_admin.member  # …and its secretary: three
    common = {"org": world.a.org, "kind": "service", "description": "助老", "recorded_at": AT}
    HoursEntry.objects.create(
        member=world.a.member, hours=Decimal("9"), served_on=date(YEAR, 5, 1), **common
    )
    HoursEntry.objects.create(
        member=admin_member, hours=Decimal("6"), served_on=date(YEAR, 6, 1), **common
    )
    # Served in another year: not counted.
    HoursEntry.objects.create(
        member=world.a.member, hours=Decimal("30"), served_on=date(YEAR - 1, 6, 1), **common
    )
    appraisal = services.generate_appraisal(actor=world.city_admin, org=world.city, year=YEAR)
    entry = AppraisalEntry.objects.get(appraisal=appraisal, branch=branch)
    assert (entry.volunteer_hours, entry.members) == (Decimal("15.00"), 3)
    # 15 h over 3 members = 5 h a member, half the 10 h target: half of 4 points.
    assert entry.total == Decimal("97.00")
    assert entry.study_percent is None  # not weighed: not read


def test_a_year_is_appraised_once(world, appraisal):
    with pytest.raises(DomainError) as exc:
        services.generate_appraisal(actor=world.city_admin, org=world.city, year=YEAR)
    assert exc.value.code == "appraisal_exists"


@pytest.mark.parametrize("year", [2027 + 1, 1999])
def test_a_year_not_yet_begun_or_long_past_is_refused(world, year):
    with pytest.raises(DomainError) as exc:
        services.generate_appraisal(actor=world.city_admin, org=world.city, year=year)
    assert exc.value.code == "validation_error"


@pytest.mark.parametrize("who", ["county_admin", "outsider"])
def test_only_the_city_generates_the_appraisal(world, who):
    actor = world.a.admin if who == "county_admin" else world.outsider
    with pytest.raises(DomainError) as exc:
        services.generate_appraisal(actor=actor, org=world.city, year=YEAR)
    assert exc.value.code in ("forbidden", "not_found")


def test_a_county_admin_cannot_publish_a_rule(world):
    with pytest.raises(DomainError) as exc:
        services.publish_appraisal_rule(
            actor=world.a.admin,
            finding_deduction=1,
            overdue_deduction=1,
            send_back_deduction=1,
            good_max_percent=20,
            fairly_good_max_percent=30,
            poor_min_percent=5,
        )
    assert exc.value.code == "forbidden"


def test_a_rule_whose_quotas_pass_100_percent_is_refused(world):
    with pytest.raises(DomainError) as exc:
        publish(world, good_max_percent=60, fairly_good_max_percent=40, poor_min_percent=5)
    assert exc.value.code == "validation_error" and exc.value.details["field"] == (
        "good_max_percent"
    )


# The county's proposal -------------------------------------------------------------------


def test_a_county_proposes_grades_within_its_quotas(world, appraisal, county_a):
    part = part_of(appraisal, world.a.org)
    # Swap the second 好 and the first 较好.
    services.propose_grades(
        actor=world.a.admin,
        part=part,
        grades={county_a[1].pk: "fairly_good", county_a[2].pk: "good"},
    )
    assert grades_of(appraisal, county_a)[:3] == ["good", "fairly_good", "good"]
    part.refresh_from_db()
    assert part.submitted_at is not None and part.submitted_by == world.a.admin
    entry = AppraisalEntry.objects.get(appraisal=appraisal, branch=county_a[1])
    assert entry.proposed_grade == "good" and entry.county_grade == "fairly_good"
    assert AuditEntry.objects.filter(action="appraisal.propose").count() == 1


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({2: "good"}, "quota_exceeded"),  # a third 好 of ten (ceiling 2)
        ({5: "fairly_good"}, "quota_exceeded"),  # a fourth 较好 (ceiling 3)
        ({9: "average"}, "quota_not_met"),  # no 差 left (floor 1)
    ],
)
def test_a_proposal_past_a_quota_is_refused_and_changes_nothing(
    world, appraisal, county_a, changes, code
):
    before = grades_of(appraisal, county_a)
    with pytest.raises(DomainError) as exc:
        services.propose_grades(
            actor=world.a.admin,
            part=part_of(appraisal, world.a.org),
            grades={county_a[i].pk: g for i, g in changes.items()},
        )
    assert exc.value.code == code
    assert grades_of(appraisal, county_a) == before
    assert part_of(appraisal, world.a.org).submitted_at is None


def test_moving_the_poor_grade_in_one_proposal_keeps_the_floor(world, appraisal, county_a):
    services.propose_grades(
        actor=world.a.admin,
        part=part_of(appraisal, world.a.org),
        grades={county_a[9].pk: "average", county_a[8].pk: "poor"},
    )
    assert grades_of(appraisal, county_a)[8:] == ["poor", "average"]


def test_a_county_cannot_grade_another_countys_branches(world, appraisal, county_a):
    # Not its part: the same not_found as a missing one.
    with pytest.raises(DomainError) as exc:
        services.propose_grades(
            actor=world.b.admin, part=part_of(appraisal, world.a.org), grades={}
        )
    assert exc.value.code == "not_found"
    # Its own part, naming another county's branch.
    with pytest.raises(DomainError) as exc:
        services.propose_grades(
            actor=world.b.admin,
            part=part_of(appraisal, world.b.org),
            grades={county_a[0].pk: "average"},
        )
    assert exc.value.code == "validation_error"
    assert grades_of(appraisal, county_a)[0] == "good"


@pytest.mark.parametrize("who", ["branch_admin", "outsider"])
def test_neither_a_branch_admin_nor_an_outsider_proposes(world, appraisal, who):
    actor = world.a.branch_admin if who == "branch_admin" else world.outsider
    with pytest.raises(DomainError) as exc:
        services.propose_grades(actor=actor, part=part_of(appraisal, world.a.org), grades={})
    assert exc.value.code == "not_found"


# The city's decision ---------------------------------------------------------------------


def test_the_city_changes_a_grade_only_with_a_reason(world, appraisal, county_a):
    entry = AppraisalEntry.objects.get(appraisal=appraisal, branch=county_a[9])
    with pytest.raises(DomainError) as exc:
        services.change_grade(actor=world.city_admin, entry=entry, grade="average", reason="  ")
    assert exc.value.code == "reason_required"
    assert AppraisalEntry.objects.get(pk=entry.pk).grade == "poor"
    services.change_grade(
        actor=world.city_admin, entry=entry, grade="average", reason="年中整改到位，酌情调整"
    )
    entry.refresh_from_db()
    assert entry.grade == "average" and entry.city_reason == "年中整改到位，酌情调整"
    assert entry.city_by == world.city_admin
    logged = AuditEntry.objects.get(action="appraisal.change_grade")
    assert logged.before["grade"] == "poor" and logged.after["grade"] == "average"


def test_the_city_decision_is_not_bound_by_the_countys_quota(world, appraisal, county_a):
    for branch in county_a[2:5]:
        entry = AppraisalEntry.objects.get(appraisal=appraisal, branch=branch)
        services.change_grade(actor=world.city_admin, entry=entry, grade="good", reason="表现突出")
    progress = {p.county.pk: p for p in selectors.counties_of(world.city_admin, appraisal)}
    assert progress[world.a.org.pk].counts["good"] == 5
    assert progress[world.a.org.pk].problems == ["good"]


def test_a_county_admin_cannot_change_a_grade_as_the_city(world, appraisal, county_a):
    entry = AppraisalEntry.objects.get(appraisal=appraisal, branch=county_a[0])
    with pytest.raises(DomainError) as exc:
        services.change_grade(actor=world.a.admin, entry=entry, grade="poor", reason="理由")
    assert exc.value.code == "forbidden"


def test_confirming_fixes_every_grade_and_tells_the_counties(world, appraisal, county_a):
    services.propose_grades(
        actor=world.a.admin,
        part=part_of(appraisal, world.a.org),
        grades={county_a[1].pk: "fairly_good", county_a[2].pk: "good"},
    )
    changed = AppraisalEntry.objects.get(appraisal=appraisal, branch=county_a[9])
    services.change_grade(actor=world.city_admin, entry=changed, grade="average", reason="核实")
    services.confirm_appraisal(actor=world.city_admin, appraisal=appraisal)
    appraisal.refresh_from_db()
    assert appraisal.status == AppraisalStatus.CONFIRMED and appraisal.confirmed_at is not None
    finals = dict(
        AppraisalEntry.objects.filter(appraisal=appraisal).values_list("branch_id", "final_grade")
    )
    assert [finals[b.pk] for b in county_a] == ["good", "fairly_good", "good"] + [
        "fairly_good"
    ] * 2 + ["average"] * 5
    assert finals[world.b.branch.pk] and finals[world.b.other_branch.pk]
    told = set(
        Notification.objects.filter(title="2026 年度考核结果已确认").values_list(
            "user_id", flat=True
        )
    )
    assert {world.a.admin.pk, world.b.admin.pk} <= told


def test_a_confirmed_appraisal_is_immutable(world, appraisal, county_a):
    services.confirm_appraisal(actor=world.city_admin, appraisal=appraisal)
    entry = AppraisalEntry.objects.get(appraisal=appraisal, branch=county_a[0])
    attempts = [
        lambda: services.propose_grades(
            actor=world.a.admin, part=part_of(appraisal, world.a.org), grades={}
        ),
        lambda: services.change_grade(
            actor=world.city_admin, entry=entry, grade="poor", reason="再改"
        ),
        lambda: services.confirm_appraisal(actor=world.city_admin, appraisal=appraisal),
    ]
    for attempt in attempts:
        with pytest.raises(DomainError) as exc:
            attempt()
        assert exc.value.code == "already_confirmed"
    entry.refresh_from_db()
    assert entry.final_grade == "good" and entry.city_grade == ""


def test_the_star_rating_follows_the_confirmed_grade(world, appraisal, county_a):
    assert selectors.star_rating(county_a[0]) is None  # not confirmed yet
    services.confirm_appraisal(actor=world.city_admin, appraisal=appraisal)
    rating = selectors.star_rating(county_a[0])
    assert (rating.year, rating.grade, rating.stars) == (YEAR, "good", 5)
    assert selectors.star_rating(county_a[9]).stars == 1


# Reading ---------------------------------------------------------------------------------


def test_each_admin_reads_the_entries_of_their_own_scope(world, appraisal, county_a):
    def branches(user):
        return {e.branch_id for e in selectors.entries_of(user, appraisal)}

    assert len(branches(world.city_admin)) == 12
    assert branches(world.a.admin) == {b.pk for b in county_a}
    assert branches(world.a.branch_admin) == {world.a.branch.pk}
    assert branches(world.outsider) == set()
    assert [p.county.pk for p in selectors.counties_of(world.b.admin, appraisal)] == [
        world.b.org.pk
    ]
    assert list(selectors.appraisals_for(world.outsider)) == []


def test_the_export_lists_the_entries_the_reader_reads(world, appraisal, county_a):
    import io

    from openpyxl import load_workbook

    content, filename, _type = selectors.appraisal_xlsx(world.b.admin, appraisal)
    rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    names = [r[1] for r in rows[3:]]
    assert sorted(names) == sorted([world.b.branch.name, world.b.other_branch.name])
    assert filename.endswith("2026年度考核.xlsx")

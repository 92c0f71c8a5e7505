"""一月一督查: the scheduled job lists exactly the branches that need it on each county's
sheet, archives the sheet's files, reminds the branches' and the county's admins once, and
makes one sheet per county and month however often it runs; a city admin may make a month's
by hand; a sheet is read by the admins of its county and above."""

import io
from datetime import date, datetime, timedelta

import pytest
from django.utils.module_loading import import_string
from openpyxl import load_workbook

from dangjian import permissions
from dangjian.audit.models import AuditEntry
from dangjian.core import scheduling
from dangjian.core.errors import DomainError
from dangjian.notifications.models import Notification, OutboundBatch
from dangjian.registry.models import Member, Organization, OrgKind, Sector, User
from dangjian.scoring import services as scoring
from dangjian.supervision import monthly, monthly_services
from dangjian.supervision.models import (
    MonthlySheet,
    RecordReview,
    RecordReviewEvent,
    Rectification,
    RectificationStatus,
    ReviewStatus,
)
from dangjian.themedays.models import Activity, ActivityStatus
from tests.factories import make_admin, make_member, make_org
from tests.scoring.conftest import SHANGHAI, attend, campaign_for, make_activity

pytestmark = pytest.mark.django_db
DECEMBER = date(2026, 12, 1)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def held(branch: Organization, *, present: int, absent: int = 0) -> Activity:
    """December's theme day, closed and scored, with `present` of its non-flowing members
    signed in (members added to make the numbers)."""
    members = list(Member.objects.filter(branch=branch, is_active=True, is_flowing=False))
    while len(members) < present + absent:
        members.append(make_member_in(branch))
    activity = make_activity(branch, DECEMBER)
    for i, member in enumerate(members[: present + absent]):
        attend(activity, member, "checked_out" if i < present else "absent")
    scoring.recompute_activity(activity.pk)
    return activity


def make_member_in(branch: Organization) -> Member:
    """A member added by the city's admin (the one admin of the root)."""
    root = Organization.objects.get(path=branch.path[: Organization.steplen])
    city_admin = User.objects.get(pk=permissions.branch_admin_user_ids(root)[0])
    return make_member(city_admin, branch, name="党员")


def overdue(branch: Organization, *, status=RectificationStatus.OPEN) -> Rectification:
    at = datetime(2026, 12, 1, 9, tzinfo=SHANGHAI)
    return Rectification.objects.create(
        branch=branch,
        opened_by_org=Organization.objects.get(path=branch.path[: 2 * Organization.steplen]),
        title="台账不全",
        requirement="补齐台账",
        deadline=date(2027, 1, 1),
        status=status,
        opened_at=at,
        answered_at=at if status == RectificationStatus.ANSWERED else None,
        updated_at=at,
    )


def sent_back(activity: Activity, deadline: date) -> RecordReview:
    at = datetime(2026, 12, 20, 9, tzinfo=SHANGHAI)
    review = RecordReview.objects.create(
        activity=activity,
        branch=activity.branch,
        status=ReviewStatus.SENT_BACK,
        reason="照片不清晰",
        deadline=deadline,
        send_back_count=1,
        reviewer_org=Organization.objects.get(path=activity.branch.path[:8]),
        reviewed_at=at,
        updated_at=at,
    )
    RecordReviewEvent.objects.create(
        review=review, action="send_back", text="照片不清晰", deadline=deadline, at=at
    )
    return review


@pytest.fixture
def cases(world, clock):
    """County A's branches, one for each reason and some that are fine; the city's December
    campaign addresses rural and community branches only."""
    a, city_admin = world.a, world.city_admin
    campaign = campaign_for(world.city, DECEMBER)
    campaign.sectors = [Sector.RURAL, Sector.COMMUNITY]
    campaign.save(update_fields=["sectors"])

    def branch(name, sector=Sector.RURAL):
        return make_org(city_admin, a.town, name, sector=sector)

    fine = a.branch
    held(fine, present=2)  # the secretary and the member: 100%
    submitted = branch("计划待审核党支部")
    make_activity(submitted, DECEMBER, status=ActivityStatus.SUBMITTED, freeze=False)
    later = branch("计划已批未开展党支部")
    activity = make_activity(later, DECEMBER, status=ActivityStatus.APPROVED, freeze=False)
    starts = datetime(2027, 1, 20, 9, tzinfo=SHANGHAI)
    Activity.objects.filter(pk=activity.pk).update(
        starts_at=starts, ends_at=starts + timedelta(hours=2)
    )
    low = branch("签到率低党支部")
    held(low, present=1, absent=1)  # 50%
    at_threshold = branch("签到率达标党支部")
    held(at_threshold, present=3, absent=2)  # 60%: not below
    rectifying = branch("整改逾期党支部")
    held(rectifying, present=1)
    overdue(rectifying)
    answered = branch("整改已反馈党支部")
    held(answered, present=1)
    overdue(answered, status=RectificationStatus.ANSWERED)  # waits for the superior
    items = branch("规定动作缺项党支部")
    activity = held(items, present=1)
    Activity.objects.filter(pk=activity.pk).update(agenda=["诵读党章", "缴纳党费", "红色教育"])
    returned = branch("退回未补充党支部")
    sent_back(held(returned, present=1), deadline=date(2027, 1, 3))  # over before today
    waiting = branch("退回未到期党支部")
    sent_back(held(waiting, present=1), deadline=date(2027, 1, 10))  # still has time
    school = branch("某学校党支部", sector=Sector.SCHOOL)  # the campaign is not theirs
    closed = branch("已撤销党支部")
    Organization.objects.filter(pk=closed.pk).update(is_active=False)
    # County B: its branch held nothing; it is on B's sheet only.
    return {
        "fine": fine,
        "no_plan": a.other_branch,
        "submitted": submitted,
        "later": later,
        "low": low,
        "at_threshold": at_threshold,
        "rectifying": rectifying,
        "answered": answered,
        "school": school,
        "closed": closed,
    }


EXPECTED_A = {
    "汉台区某社区党支部": ["no_approved_plan", "not_held"],
    "计划待审核党支部": ["no_approved_plan", "not_held"],
    "计划已批未开展党支部": ["not_held"],
    "签到率低党支部": ["low_sign_in"],
    "整改逾期党支部": ["overdue_rectification"],
    "规定动作缺项党支部": ["items_missing"],
    "退回未补充党支部": ["sent_back"],
}


def listed_in(county: Organization) -> dict[str, list[str]]:
    columns = monthly_services._columns()
    rows = monthly.listed(monthly.county_facts(county, DECEMBER, **columns), 60)
    return {r.facts.name: r.reasons for r in rows}


def test_the_sheet_lists_exactly_the_branches_that_need_supervision(world, cases):
    assert listed_in(world.a.org) == EXPECTED_A
    assert listed_in(world.b.org) == {
        "南郑区某村党支部": ["no_approved_plan", "not_held"],
        "南郑区某社区党支部": ["no_approved_plan", "not_held"],
    }


def test_the_scheduled_job_makes_each_countys_sheet_for_the_month_before(world, cases):
    assert monthly_services.make_due_monthly_sheets() == 2

    sheet = MonthlySheet.objects.get(county=world.a.org)
    assert sheet.month == DECEMBER
    assert sheet.generated_by is None
    assert (sheet.branches, sheet.listed) == (12, 7)  # the inactive branch is not counted
    assert (sheet.no_approved_plan, sheet.not_held, sheet.low_sign_in) == (2, 3, 1)
    assert (sheet.items_missing, sheet.sent_back, sheet.overdue_rectifications) == (1, 1, 1)
    assert sheet.sign_in_threshold == 60
    assert len(sheet.content_hash) == 64

    book = load_workbook(io.BytesIO(sheet.xlsx.read()))
    cells = [c for row in book.active.iter_rows(values_only=True) for c in row if c]
    assert set(EXPECTED_A) <= set(cells)
    assert not {"汉台区某村党支部", "签到率达标党支部", "某学校党支部"} & set(cells)
    assert any(sheet.content_hash in str(c) for c in cells)
    assert sheet.pdf.read().startswith(b"%PDF")


def test_the_job_is_scheduled_and_runs_as_beat_runs_it(world, cases):
    path, period = scheduling.JOBS["make-monthly-supervision-sheets"]
    assert period <= 3600  # within the hour of the policy's day
    assert import_string(path)() == 2  # the Celery task, called as the worker does
    assert MonthlySheet.objects.filter(month=DECEMBER).count() == 2


def test_running_again_makes_no_second_sheet_and_reminds_nobody_twice(world, cases):
    monthly_services.make_due_monthly_sheets()
    notices, batches = Notification.objects.count(), OutboundBatch.objects.count()
    assert monthly_services.make_due_monthly_sheets() == 0
    run = monthly_services.run_monthly_supervision(actor=world.city_admin, month=DECEMBER)
    assert (run.made, run.existing) == ([], 2)
    assert MonthlySheet.objects.filter(month=DECEMBER).count() == 2
    assert (Notification.objects.count(), OutboundBatch.objects.count()) == (notices, batches)


def test_a_lost_sheet_row_does_not_remind_again(world, cases):
    """The reminders carry dedupe keys: a sheet made again (its row deleted by hand) tells
    nobody a second time."""
    monthly_services.make_due_monthly_sheets()
    notices = Notification.objects.count()
    MonthlySheet.objects.all().delete()
    assert monthly_services.make_due_monthly_sheets() == 2
    assert Notification.objects.count() == notices


def test_reminders_go_to_the_listed_branches_admins_and_the_county_admins(world, cases):
    rectifying_admin = make_admin(world.city_admin, cases["rectifying"], "整改支部书记")
    fine_admin = world.a.branch_admin
    monthly_services.make_due_monthly_sheets()

    (notice,) = Notification.objects.filter(user=rectifying_admin, kind="supervision")
    assert "整改逾期党支部" in notice.title and "整改逾期" in notice.body
    assert notice.link == f"/console/orgs/{cases['rectifying'].pk}/"
    assert not Notification.objects.filter(user=fine_admin, kind="supervision").exists()
    (county,) = Notification.objects.filter(user=world.a.admin, kind="supervision")
    assert "2026-12" in county.title and "列出 7 个" in county.body
    assert Notification.objects.filter(user=world.b.admin, kind="supervision").count() == 1
    assert not Notification.objects.filter(user=world.outsider).exists()
    assert not Notification.objects.filter(user=world.city_admin, kind="supervision").exists()
    # Handed to the outbound channels too.
    assert OutboundBatch.objects.filter(payload__notices__0__kind="supervision").exists()
    sheet = MonthlySheet.objects.get(county=world.a.org)
    assert sheet.reminded_users == 2  # the rectifying branch's secretary and the county admin


def test_before_the_policys_day_the_month_before_is_not_due_yet(world, cases, clock, settings):
    settings.SUPERVISION_MONTHLY_DAY = 6
    monthly_services.make_due_monthly_sheets()
    assert set(MonthlySheet.objects.values_list("month", flat=True)) == {date(2026, 11, 1)}


def test_a_city_admin_makes_a_finished_months_sheets_by_hand_audited(world, cases):
    run = monthly_services.run_monthly_supervision(actor=world.city_admin, month=DECEMBER)
    assert len(run.made) == 2 and run.existing == 0
    assert {s.generated_by for s in run.made} == {world.city_admin}
    entries = AuditEntry.objects.filter(action="supervision.monthly_sheet")
    assert entries.count() == 2
    assert {e.org_id for e in entries} == {world.a.org.pk, world.b.org.pk}


@pytest.mark.parametrize("who", ["county_admin", "branch_admin", "outsider"])
def test_nobody_but_the_city_makes_sheets_by_hand(world, clock, who):
    user = {
        "county_admin": world.a.admin,
        "branch_admin": world.a.branch_admin,
        "outsider": world.outsider,
    }[who]
    with pytest.raises(DomainError) as exc:
        monthly_services.run_monthly_supervision(actor=user, month=DECEMBER)
    assert exc.value.code == "forbidden"
    assert not MonthlySheet.objects.exists()


def test_the_current_month_cannot_be_supervised_yet(world, clock):
    with pytest.raises(DomainError) as exc:
        monthly_services.run_monthly_supervision(actor=world.city_admin, month=date(2027, 1, 1))
    assert exc.value.code == "month_not_finished"


def test_a_county_admin_sees_their_countys_sheets_and_the_city_all(world, cases):
    monthly_services.make_due_monthly_sheets()
    a_sheet = MonthlySheet.objects.get(county=world.a.org)
    b_sheet = MonthlySheet.objects.get(county=world.b.org)
    assert list(monthly.sheets_for(world.a.admin)) == [a_sheet]
    assert list(monthly.sheets_for(world.city_admin)) == [a_sheet, b_sheet]
    town_admin = make_admin(world.city_admin, world.a.town, "镇管理员")
    for user in (town_admin, world.a.branch_admin, world.outsider):
        assert not monthly.sheets_for(user).exists()
        with pytest.raises(DomainError) as exc:
            permissions.access_monthly_sheet(user, a_sheet.pk)
        assert exc.value.code == "not_found"
    with pytest.raises(DomainError) as exc:
        permissions.access_monthly_sheet(world.b.admin, a_sheet.pk)
    assert exc.value.code == "not_found"
    assert permissions.access_monthly_sheet(world.a.admin, a_sheet.pk) == a_sheet


def test_a_county_is_an_organization_directly_under_the_city(world):
    assert set(monthly.counties()) == {world.a.org, world.b.org}
    assert all(c.kind != OrgKind.BRANCH for c in monthly.counties())

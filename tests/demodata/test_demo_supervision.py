"""The demo's supervision cycle: the last quarter's theme days simulated with their required
items, last month's monthly sheets, the quarter's bulletin published with its files, the
quarter's awards selected and published, a record sent back, the year's appraisal, the demo
branch's dues; seeded once."""

import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from dangjian.demodata import seeding
from dangjian.demodata import supervision as demo
from dangjian.notifications.models import Notification
from dangjian.orglife import selectors as orglife
from dangjian.orglife.models import DuesRecord, ItemEvidence
from dangjian.registry.models import Organization, OrgKind
from dangjian.scoring.formula import Period
from dangjian.supervision import bulletins
from dangjian.supervision.models import (
    Appraisal,
    AppraisalCounty,
    AwardKind,
    AwardRound,
    AwardRoundStatus,
    Bulletin,
    BulletinFile,
    BulletinStatus,
    MonthlySheet,
    Nomination,
    RecordReview,
    ReviewStatus,
)
from dangjian.themedays.models import Activity, Campaign

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 20, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
Q3 = date(2026, 7, 1)
OCTOBER = date(2026, 10, 1)


@pytest.mark.parametrize(
    ("today", "quarter", "months", "last_month"),
    [
        (date(2026, 11, 20), date(2026, 7, 1), 12, date(2026, 10, 1)),
        (date(2026, 10, 1), date(2026, 7, 1), 12, date(2026, 9, 1)),
        (date(2026, 12, 31), date(2026, 7, 1), 12, date(2026, 11, 1)),
        (date(2027, 1, 5), date(2026, 10, 1), 12, date(2026, 12, 1)),
        (date(2027, 3, 31), date(2026, 10, 1), 12, date(2027, 2, 1)),
    ],
)
def test_the_demo_simulates_the_year_before_this_month_with_the_last_finished_quarter(
    today, quarter, months, last_month
):
    assert demo.last_quarter(today) == Period("quarter", quarter)
    assert demo.months_to_simulate(today) == months
    assert demo.last_month(today) == last_month


@pytest.fixture
def seed(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"

    def run() -> str:
        out = io.StringIO()
        with time_machine.travel(NOW, tick=False):
            call_command("seed", "--scale", "demo", "--no-members", stdout=out)
        return out.getvalue()

    return run


def test_the_demo_has_a_published_bulletin_of_the_last_quarter_with_its_files(seed):
    output = seed()
    city = Organization.objects.get_root_nodes().get(name=seeding.CITY_NAME)
    bulletin = Bulletin.objects.get(org=city, year=2026, quarter=3)
    assert bulletin.status == BulletinStatus.PUBLISHED
    # The quarter was simulated: the bulletin counts held days, not an empty quarter.
    assert bulletin.figures["summary"]["held"] >= 1
    for kind in ("pdf", "xlsx"):
        stored = bulletins.file_of(bulletin, kind)
        assert stored.size > 0 and bulletins.file_intact(stored)
    assert "bulletin of 2026-Q3: published" in output


def test_the_demo_has_every_countys_monthly_sheet_of_last_month(seed):
    seed()
    counties = Organization.objects.filter(depth=2, kind=OrgKind.COMMITTEE)
    sheets = MonthlySheet.objects.filter(month=OCTOBER)
    assert sheets.count() == counties.count() >= 1
    assert all(sheet.xlsx and sheet.pdf for sheet in sheets)


def test_the_demo_has_the_last_quarters_awards_selected_and_published(seed):
    seed()
    award_round = AwardRound.objects.get(quarter_start=Q3)
    assert award_round.status == AwardRoundStatus.PUBLISHED
    selected = Nomination.objects.filter(round=award_round, is_selected=True)
    assert set(selected.values_list("kind", flat=True)) == set(AwardKind.values)
    case = selected.get(kind=AwardKind.CASE).case
    assert case.branch.name == "红星村党支部" and case.activities.count() == 3
    assert selected.get(kind=AwardKind.MEMBER).member.user.phone == demo.MODEL_MEMBER_PHONE


def test_the_demo_branch_has_last_months_record_sent_back_for_its_missing_item(seed):
    seed()
    review = RecordReview.objects.get(status=ReviewStatus.SENT_BACK)
    assert review.branch.name == "红星村党支部"
    assert review.activity.campaign.month == OCTOBER
    assert orglife.missing_items([review.activity_id]) == {
        review.activity_id: [demo.DEMO_MISSING_ITEM]
    }


def test_the_simulated_records_have_their_required_items_recorded(seed):
    seed()
    simulated = Activity.objects.filter(status="closed")
    # The demo branch (the only one with members), November 2025 to October 2026; its
    # theme day of this month is still to come.
    assert simulated.count() == 12
    recorded = set(ItemEvidence.objects.values_list("activity_id", flat=True))
    assert recorded == set(simulated.values_list("pk", flat=True))


def test_the_demo_has_the_years_appraisal_with_the_demo_countys_grades_proposed(seed):
    seed()
    appraisal = Appraisal.objects.get(year=2026)
    parts = AppraisalCounty.objects.filter(appraisal=appraisal)
    proposed = {part.county.name for part in parts if part.submitted_at is not None}
    assert proposed == {"汉台区"} and parts.count() >= 2
    assert appraisal.entries.filter(branch__name="红星村党支部").exists()


def test_the_demo_branchs_dues_are_paid_this_year_but_two_members_owe_two_months(seed):
    seed()
    village = Organization.objects.get(name="红星村党支部")
    register = orglife.dues_register(village, 2026, today=NOW.date())
    owing = {row.member.pk: row.arrears.unpaid_months for row in register.rows}
    members = sorted(owing)
    assert len(members) == 3  # the demo logins (--no-members)
    assert all(owing[pk] == [] for pk in members[:-2])
    assert all(owing[pk] == [OCTOBER, date(2026, 11, 1)] for pk in members[-2:])


def test_seeding_twice_changes_nothing_in_the_supervision_cycle(seed):
    seed()
    models = (
        Campaign,
        Activity,
        ItemEvidence,
        MonthlySheet,
        Bulletin,
        BulletinFile,
        AwardRound,
        Nomination,
        RecordReview,
        Appraisal,
        DuesRecord,
        Notification,
    )
    before = {model: model.objects.count() for model in models}
    output = seed()
    assert {model: model.objects.count() for model in models} == before
    assert "Already seeded: nothing changed." in output

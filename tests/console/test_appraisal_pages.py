"""The annual appraisal's console pages: the city generates and confirms, a county
submits its grades (refused past its quota), the city changes a grade with a reason, the
branch's page shows its stars; other counties and the outsider are kept out."""

import pytest

from dangjian.supervision.models import AppraisalEntry, AppraisalStatus
from tests.factories import make_org
from tests.scoring.conftest import clock  # noqa: F401
from tests.supervision.test_appraisal import YEAR, publish, year_score

pytestmark = pytest.mark.usefixtures("clock")  # January 2027


@pytest.fixture
def branches(world):
    found = [world.a.branch, world.a.other_branch] + [
        make_org(world.city_admin, world.a.town, f"汉台区第{i}党支部", code=f"B-A{i + 3}")
        for i in range(8)
    ]
    for i, branch in enumerate(found):
        year_score(branch, 9500 - 100 * i)
    return found


@pytest.fixture
def appraisal(world, page, branches):
    publish(world)
    response = page(world.city_admin).post("/console/supervision/appraisals/", {"year": YEAR})
    assert response.status_code == 302
    from dangjian.supervision.models import Appraisal

    return Appraisal.objects.get(year=YEAR)


def county_url(appraisal, county):
    return f"/console/supervision/appraisals/{appraisal.pk}/counties/{county.pk}/"


def test_the_city_sees_each_county_against_its_quotas(world, page, appraisal):
    body = page(world.city_admin).get(f"/console/supervision/appraisals/{appraisal.pk}/")
    text = body.content.decode()
    assert body.status_code == 200
    assert world.a.org.name in text and world.b.org.name in text
    assert "确认考核结果" in text


def test_a_county_sees_only_its_own_part(world, page, appraisal):
    body = page(world.b.admin).get(f"/console/supervision/appraisals/{appraisal.pk}/")
    text = body.content.decode()
    assert world.b.org.name in text and world.a.org.name not in text
    assert "确认考核结果" not in text
    assert page(world.b.admin).get(county_url(appraisal, world.a.org)).status_code == 404


def test_the_outsider_and_a_member_are_kept_out(world, page, appraisal):
    for user in (world.outsider, world.a.member.user):
        for url in (
            "/console/supervision/appraisals/",
            f"/console/supervision/appraisals/{appraisal.pk}/",
            county_url(appraisal, world.a.org),
        ):
            assert page(user).get(url).status_code == 403  # the console is admins' only
    assert page(None).get("/console/supervision/appraisals/").status_code == 302


def test_a_county_submits_its_grades_and_a_quota_passed_is_refused(
    world, page, appraisal, branches
):
    url = county_url(appraisal, world.a.org)
    county = page(world.a.admin)
    assert 'form="proposal"' in county.get(url).content.decode()
    refused = county.post(url, {f"grade-{branches[2].pk}": "good"})
    assert refused.status_code == 422
    assert "超过了本县区的比例上限" in refused.content.decode()
    assert AppraisalEntry.objects.get(branch=branches[2]).county_grade == ""
    done = county.post(
        url, {f"grade-{branches[1].pk}": "fairly_good", f"grade-{branches[2].pk}": "good"}
    )
    assert done.status_code == 302
    assert AppraisalEntry.objects.get(branch=branches[2]).grade == "good"
    assert AppraisalEntry.objects.get(branch=branches[1]).grade == "fairly_good"


def test_the_city_changes_a_grade_only_with_a_reason(world, page, appraisal, branches):
    entry = AppraisalEntry.objects.get(branch=branches[9])
    url = f"/console/supervision/appraisal-entries/{entry.pk}/grade/"
    page(world.city_admin).post(url, {"grade": "average", "reason": ""})
    assert AppraisalEntry.objects.get(pk=entry.pk).city_grade == ""
    assert page(world.a.admin).post(url, {"grade": "average", "reason": "x"}).status_code == 403
    page(world.city_admin).post(url, {"grade": "average", "reason": "整改到位"})
    assert AppraisalEntry.objects.get(pk=entry.pk).grade == "average"


def test_confirming_locks_the_results_and_rates_the_branch(world, page, appraisal, branches):
    confirm = f"/console/supervision/appraisals/{appraisal.pk}/confirm/"
    assert page(world.a.admin).post(confirm).status_code == 403
    assert page(world.city_admin).post(confirm).status_code == 302
    appraisal.refresh_from_db()
    assert appraisal.status == AppraisalStatus.CONFIRMED
    county_page = page(world.a.admin).get(county_url(appraisal, world.a.org)).content.decode()
    assert 'form="proposal"' not in county_page
    export = page(world.a.admin).get(f"/console/supervision/appraisals/{appraisal.pk}/export.xlsx")
    assert export.status_code == 200 and export["Content-Type"].startswith(
        "application/vnd.openxmlformats"
    )
    assert export["Cache-Control"] == "no-store"
    branch_page = page(world.a.branch_admin).get(f"/console/orgs/{branches[0].pk}/")
    assert "★★★★★" in branch_page.content.decode()


def test_only_the_city_publishes_a_rule(world, page):
    form = {
        "finding_deduction": "1",
        "overdue_deduction": "2",
        "send_back_deduction": "1",
        "study_weight": "0",
        "volunteer_weight": "0",
        "volunteer_hours_target": "10",
        "good_max_percent": "25",
        "fairly_good_max_percent": "30",
        "poor_min_percent": "5",
        "note": "",
    }
    assert (
        page(world.a.admin).post("/console/supervision/appraisals/rule/", form).status_code == 403
    )
    assert (
        page(world.city_admin).post("/console/supervision/appraisals/rule/", form).status_code
        == 302
    )
    text = page(world.a.admin).get("/console/supervision/appraisals/rule/").content.decode()
    assert "v2" in text and "发布新版本" not in text


def test_a_countys_page_reads_its_branches_in_a_constant_number_of_queries(world, page, appraisal):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(county):
        client = page(world.city_admin)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(county_url(appraisal, county)).status_code == 200
        return len(captured)

    # Ten branches in county A, two in county B: the same queries.
    assert queries(world.a.org) == queries(world.b.org)

"""The annual appraisal over the API: the city generates and confirms, a county proposes
within quota, the city's change needs a reason, the confirmed result is locked, exported
and rated in stars; other counties and the outsider get the same 404 as a missing one."""

import io

import pytest
from openpyxl import load_workbook

from dangjian.supervision.models import AppraisalEntry
from tests.factories import make_org
from tests.scoring.conftest import clock  # noqa: F401
from tests.supervision.test_appraisal import YEAR, year_score

pytestmark = pytest.mark.usefixtures("clock")  # January 2027

RULE = {
    "finding_deduction": "2",
    "overdue_deduction": "3",
    "send_back_deduction": "1",
    "good_max_percent": 20,
    "fairly_good_max_percent": 30,
    "poor_min_percent": 10,
}


@pytest.fixture
def branches(world):
    """County A's ten branches, scored 95 down to 86."""
    found = [world.a.branch, world.a.other_branch] + [
        make_org(world.city_admin, world.a.town, f"汉台区第{i}党支部", code=f"B-A{i + 3}")
        for i in range(8)
    ]
    for i, branch in enumerate(found):
        year_score(branch, 9500 - 100 * i)
    year_score(world.b.branch, 8000)
    return found


@pytest.fixture
def appraisal_id(world, api, branches):
    city = api(world.city_admin)
    assert city.post("/appraisal-rules", RULE).status_code == 201
    response = city.post(f"/orgs/{world.city.pk}/appraisals", {"year": YEAR})
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def test_the_city_publishes_a_rule_and_a_county_cannot(world, api):
    assert api(world.a.admin).post("/appraisal-rules", RULE).status_code == 403
    answer = api(world.city_admin).post("/appraisal-rules", {**RULE, "poor_min_percent": 60})
    assert answer.status_code == 422 and answer.json()["code"] == "validation_error"
    assert api(world.city_admin).post("/appraisal-rules", RULE).json()["version"] == 2
    versions = api(world.a.admin).get("/appraisal-rules").json()
    assert [v["version"] for v in versions] == [2, 1] and versions[0]["is_current"]


def test_the_rule_is_read_by_admins_and_refused_to_a_member_and_the_outsider(world, api):
    assert api(world.b.admin).get("/appraisal-rules").status_code == 200
    assert api(world.a.member.user).get("/appraisal-rules").status_code == 403
    assert api(world.outsider).get("/appraisal-rules").status_code == 403


def test_the_generated_appraisal_shows_each_countys_quotas(world, api, appraisal_id):
    body = api(world.city_admin).get(f"/appraisals/{appraisal_id}").json()
    county = next(c for c in body["counties"] if c["county_id"] == world.a.org.pk)
    assert (county["branches"], county["good_max"], county["poor_min"]) == (10, 2, 1)
    assert county["counts"] == {"good": 2, "fairly_good": 3, "average": 4, "poor": 1}
    again = api(world.city_admin).post(f"/orgs/{world.city.pk}/appraisals", {"year": YEAR})
    assert again.status_code == 409 and again.json()["code"] == "appraisal_exists"


def test_a_county_proposes_within_quota(world, api, appraisal_id, branches):
    county = api(world.a.admin)
    url = f"/appraisals/{appraisal_id}/counties/{world.a.org.pk}/proposal"
    over = county.post(url, {"grades": [{"branch_id": branches[2].pk, "grade": "good"}]})
    assert over.status_code == 409 and over.json()["code"] == "quota_exceeded"
    short = county.post(url, {"grades": [{"branch_id": branches[9].pk, "grade": "average"}]})
    assert short.status_code == 409 and short.json()["code"] == "quota_not_met"
    swap = [
        {"branch_id": branches[1].pk, "grade": "fairly_good"},
        {"branch_id": branches[2].pk, "grade": "good"},
    ]
    done = county.post(url, {"grades": swap})
    assert done.status_code == 200
    [part] = done.json()["counties"]  # a county reads its own part only
    assert part["county_id"] == world.a.org.pk and part["submitted_at"]
    entries = county.get(f"/appraisals/{appraisal_id}/entries").json()
    grades = {e["branch_id"]: e["grade"] for e in entries["items"]}
    assert entries["count"] == 10 and grades[branches[2].pk] == "good"


def test_another_county_and_the_outsider_cannot_propose_for_a_county(
    world, api, appraisal_id, branches
):
    url = f"/appraisals/{appraisal_id}/counties/{world.a.org.pk}/proposal"
    payload = {"grades": [{"branch_id": branches[9].pk, "grade": "poor"}]}
    assert api(world.b.admin).post(url, payload).status_code == 404
    assert api(world.outsider).post(url, payload).status_code == 404
    assert api(world.outsider).get(f"/appraisals/{appraisal_id}").status_code == 404
    assert api(None).get(f"/appraisals/{appraisal_id}").status_code == 401
    assert (
        api(world.b.admin)
        .get(f"/appraisals/{appraisal_id}/entries", {"county_id": world.a.org.pk})
        .status_code
        == 404
    )


def test_the_city_changes_a_grade_only_with_a_reason(world, api, appraisal_id, branches):
    entry = AppraisalEntry.objects.get(appraisal_id=appraisal_id, branch=branches[9])
    url = f"/appraisal-entries/{entry.pk}/city-grade"
    missing = api(world.city_admin).post(url, {"grade": "average", "reason": ""})
    assert missing.status_code == 422 and missing.json()["code"] == "reason_required"
    assert api(world.a.admin).post(url, {"grade": "average", "reason": "x"}).status_code == 403
    assert api(world.outsider).post(url, {"grade": "average", "reason": "x"}).status_code == 404
    done = api(world.city_admin).post(url, {"grade": "average", "reason": "整改到位"})
    assert done.status_code == 200 and done.json()["grade"] == "average"


def test_confirmed_results_are_locked_exported_and_rated(world, api, appraisal_id, branches):
    assert api(world.a.admin).post(f"/appraisals/{appraisal_id}/confirm").status_code == 403
    confirmed = api(world.city_admin).post(f"/appraisals/{appraisal_id}/confirm")
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    url = f"/appraisals/{appraisal_id}/counties/{world.a.org.pk}/proposal"
    locked = api(world.a.admin).post(url, {"grades": []})
    assert locked.status_code == 409 and locked.json()["code"] == "already_confirmed"
    export = api(world.a.admin).get(f"/appraisals/{appraisal_id}/export.xlsx")
    assert export.status_code == 200
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    assert len(rows[3:]) == 10 and rows[3][-1] == "好"
    star = api(world.a.branch_admin).get(f"/orgs/{branches[0].pk}/star-rating")
    assert star.json() == {"year": YEAR, "grade": "good", "stars": 5}
    assert api(world.outsider).get(f"/orgs/{branches[0].pk}/star-rating").status_code == 404

"""The ledger and the historical import over the API: requested, polled and downloaded by
the branch's admins and those above; the import all or nothing; the outsider and the
other county get nothing."""

import io
import zipfile
from datetime import datetime

import pytest
import time_machine
from django.test.client import MULTIPART_CONTENT
from openpyxl import load_workbook

from dangjian.themedays.models import Activity, Ledger
from tests.interaction.conftest import use_tmp_media
from tests.themedays.history_files import history_file, row

LATER = datetime.fromisoformat("2026-12-11T10:00:00+08:00")


@pytest.fixture(autouse=True)
def _setup(settings, tmp_path):
    use_tmp_media(settings, tmp_path)
    with time_machine.travel(LATER, tick=False):
        yield


def test_a_secretary_requests_polls_and_downloads_the_branchs_ledger(
    world, api, django_capture_on_commit_callbacks
):
    client = api(world.a.branch_admin)
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(f"/orgs/{world.a.branch.pk}/ledgers", {"year": 2026})
    assert r.status_code == 202, r.content
    ledger_id = r.json()["id"]
    r = client.get(f"/ledgers/{ledger_id}")
    assert r.json()["status"] == "ready"
    url = r.json()["download_url"].removeprefix("/api/v1")
    r = client.get(url)
    assert r.status_code == 200 and r["Content-Type"] == "application/zip"
    zf = zipfile.ZipFile(io.BytesIO(b"".join(r.streaming_content)))
    assert "目录.xlsx" in zf.namelist()
    listed = client.get(f"/orgs/{world.a.branch.pk}/ledgers").json()
    assert [x["id"] for x in listed] == [ledger_id]


def test_a_ledger_still_building_answers_not_ready(world, api):
    client = api(world.a.admin)
    r = client.post(f"/orgs/{world.a.branch.pk}/ledgers", {"year": 2026})
    assert r.status_code == 202 and r.json()["status"] == "pending"
    r = client.get(f"/ledgers/{r.json()['id']}/download")
    assert r.status_code == 409 and r.json()["code"] == "not_ready"


@pytest.mark.parametrize(
    ("who", "status"),
    [("outsider", 404), ("other_county", 404), ("member", 403), ("anonymous", 401)],
)
def test_those_outside_the_branch_get_no_ledger(world, api, who, status):
    users = {
        "outsider": world.outsider,
        "other_county": world.b.admin,
        "member": world.a.member.user,
        "anonymous": None,
    }
    ledger = Ledger.objects.create(branch=world.a.branch, year=2026, requested_at=LATER)
    client = api(users[who])
    assert client.post(f"/orgs/{world.a.branch.pk}/ledgers", {"year": 2026}).status_code == status
    assert client.get(f"/orgs/{world.a.branch.pk}/ledgers").status_code == status
    expected = 404 if status == 403 else status
    assert client.get(f"/ledgers/{ledger.pk}").status_code == expected
    assert client.get(f"/ledgers/{ledger.pk}/download").status_code == expected


def test_a_year_out_of_range_is_a_validation_error(world, api):
    r = api(world.a.admin).post(f"/orgs/{world.a.branch.pk}/ledgers", {"year": 2031})
    assert r.status_code == 422 and r.json()["code"] == "validation_error"


def upload(client, rows, org_id=None):
    data = {"file": history_file(rows)}
    if org_id is not None:
        data["org_id"] = org_id
    return client.post("/imports/history", data, content_type=MULTIPART_CONTENT)


def test_a_county_admin_imports_historical_days_all_or_nothing(world, api):
    a = world.a
    client = api(a.admin)
    good = row("2026-03", a.branch.code, "三月主题党日", "2026-03-12 09:00", count=9)
    bad = row("2026-04", a.branch.code, "四月", "2026-05-01 09:00", count=9)
    r = upload(client, [good, bad])
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "import_invalid" and body["error_count"] == 1
    assert body["errors"][0]["row"] == 3 and body["errors"][0]["column"] == "举办时间"
    assert not Activity.objects.exists()
    r = upload(client, [good], org_id=a.org.pk)
    assert r.status_code == 200 and r.json() == {"created": 1, "updated": 0}
    assert Activity.objects.get().is_historical


@pytest.mark.parametrize(
    ("who", "status"), [("branch_admin", 403), ("outsider", 404), ("other_county", 404)]
)
def test_the_import_is_refused_to_those_not_above_the_branch(world, api, who, status):
    users = {
        "branch_admin": world.a.branch_admin,
        "outsider": world.outsider,
        "other_county": world.b.admin,
    }
    target = world.a.branch if who == "branch_admin" else world.a.org
    rows = [row("2026-03", world.a.branch.code, "三月", "2026-03-12 09:00", count=9)]
    r = upload(api(users[who]), rows, org_id=target.pk)
    assert r.status_code == status
    assert not Activity.objects.exists()


def test_the_history_template_downloads(world, api):
    r = api(world.a.admin).get("/imports/history/template?format=xlsx")
    assert r.status_code == 200
    assert r["Cache-Control"] == "no-store"
    assert r["Content-Disposition"].startswith("attachment;")
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.worksheets[0]["A1"].value == "月份"


def test_a_historical_activity_reads_as_historical_and_late(world, api):
    a = world.a
    upload(api(a.admin), [row("2026-03", a.branch.code, "三月", "2026-03-12 09:00", count=9)])
    activity = Activity.objects.get()
    body = api(a.branch_admin).get(f"/activities/{activity.pk}").json()
    assert body["is_historical"] is True and body["is_late_record"] is True
    assert body["status"] == "closed" and body["roster_size"] == 0
    other = api(world.b.admin).get(f"/activities/{activity.pk}")
    assert other.status_code == 404

"""The console's ledger page (request, list, download) and historical import page, for the
branch's secretary and the admins above; the outsider and the other county get nothing."""

import io
import zipfile
from datetime import datetime

import pytest
import time_machine

from dangjian.themedays.models import Activity, Ledger
from tests.interaction.conftest import use_tmp_media
from tests.themedays.history_files import history_file, row

LATER = datetime.fromisoformat("2026-12-11T10:00:00+08:00")


@pytest.fixture(autouse=True)
def _setup(settings, tmp_path):
    use_tmp_media(settings, tmp_path)
    with time_machine.travel(LATER, tick=False):
        yield


def test_the_secretary_asks_for_a_years_ledger_and_downloads_it(
    world, page, django_capture_on_commit_callbacks
):
    client = page(world.a.branch_admin)
    url = f"/console/orgs/{world.a.branch.pk}/ledgers/"
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(url, {"year": 2026})
    assert r.status_code == 302
    body = client.get(url).content.decode()
    ledger = Ledger.objects.get()
    assert ledger.requested_by == world.a.branch_admin
    download = f"/console/ledgers/{ledger.pk}/download/"
    assert download in body
    r = client.get(download)
    assert r.status_code == 200
    zf = zipfile.ZipFile(io.BytesIO(b"".join(r.streaming_content)))
    assert "目录.xlsx" in zf.namelist()
    detail = client.get(f"/console/orgs/{world.a.branch.pk}/").content.decode()
    assert url in detail


def test_a_wrong_year_is_shown_on_the_form(world, page):
    r = page(world.a.admin).post(f"/console/orgs/{world.a.branch.pk}/ledgers/", {"year": 2030})
    assert r.status_code == 200
    assert "年份应在" in r.content.decode()
    assert not Ledger.objects.exists()


@pytest.mark.parametrize(("who", "status"), [("outsider", 403), ("other_county", 404)])
def test_those_outside_get_no_ledger_page_or_file(world, page, who, status):
    user = world.outsider if who == "outsider" else world.b.admin
    ledger = Ledger.objects.create(branch=world.a.branch, year=2026, requested_at=LATER)
    client = page(user)
    assert client.get(f"/console/orgs/{world.a.branch.pk}/ledgers/").status_code == status
    assert (
        client.post(f"/console/orgs/{world.a.branch.pk}/ledgers/", {"year": 2026}).status_code
        == status
    )
    assert client.get(f"/console/ledgers/{ledger.pk}/download/").status_code == status
    assert Ledger.objects.count() == 1


def test_a_county_admin_imports_history_and_sees_each_bad_row(world, page):
    a = world.a
    client = page(a.admin)
    url = f"/console/orgs/{a.org.pk}/history-import/"
    assert "下载模板" in client.get(url).content.decode()
    bad = [
        row("2026-03", a.branch.code, "三月", "2026-03-12 09:00", count=5),
        row("2026-04", a.branch.code, "四月", "2026-04-12 09:00"),
    ]
    body = client.post(url, {"file": history_file(bad)}).content.decode()
    assert "第3行" in body and "请填写参加人数或参加人员" in body
    assert not Activity.objects.exists()
    body = client.post(url, {"file": history_file(bad[:1])}).content.decode()
    assert "导入成功" in body
    assert Activity.objects.get().is_historical
    template = client.get("/console/history-import/template.xlsx")
    assert template.status_code == 200 and template.content.startswith(b"PK")


@pytest.mark.parametrize(
    ("who", "status"), [("branch_admin", 403), ("outsider", 403), ("other_county", 404)]
)
def test_the_import_page_is_only_for_admins_above_the_branches(world, page, who, status):
    users = {
        "branch_admin": world.a.branch_admin,
        "outsider": world.outsider,
        "other_county": world.b.admin,
    }
    org = world.a.branch if who == "branch_admin" else world.a.org
    url = f"/console/orgs/{org.pk}/history-import/"
    rows = [row("2026-03", world.a.branch.code, "三月", "2026-03-12 09:00", count=5)]
    assert page(users[who]).get(url).status_code == status
    assert page(users[who]).post(url, {"file": history_file(rows)}).status_code == status
    assert not Activity.objects.exists()


def test_a_historical_activity_is_flagged_on_its_pages(world, page):
    a = world.a
    rows = [row("2026-03", a.branch.code, "三月主题党日", "2026-03-12 09:00", count=5)]
    page(a.admin).post(f"/console/orgs/{a.org.pk}/history-import/", {"file": history_file(rows)})
    activity = Activity.objects.get()
    body = page(a.admin).get(f"/console/activities/{activity.pk}/").content.decode()
    assert 'data-testid="historical-flag"' in body and "从表格导入的历史活动记录" in body

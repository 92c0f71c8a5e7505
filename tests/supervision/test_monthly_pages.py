"""The monthly supervision sheets on the console and over the API: each admin lists the
sheets of their scope and downloads them; the city makes a finished month's by hand; the
outsider and other counties see nothing."""

import io
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from dangjian.audit.models import AuditEntry
from dangjian.supervision import monthly_services
from dangjian.supervision.models import MonthlySheet

pytestmark = pytest.mark.django_db
JANUARY = date(2026, 1, 1)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def sheets(world):
    run = monthly_services.run_monthly_supervision(actor=world.city_admin, month=JANUARY)
    return {s.county_id: s for s in run.made}


def test_the_console_lists_a_county_admins_own_sheets_with_downloads(world, page, sheets):
    a_sheet = sheets[world.a.org.pk]
    resp = page(world.a.admin).get(reverse("console:monthly_sheets"))
    assert resp.status_code == 200
    html = resp.content.decode()
    assert world.a.org.name in html and world.b.org.name not in html
    assert reverse("console:monthly_sheet_pdf", args=[a_sheet.pk]) in html
    assert "按月生成督查表" not in html  # only the city makes sheets by hand

    city = page(world.city_admin).get(reverse("console:monthly_sheets")).content.decode()
    assert world.a.org.name in city and world.b.org.name in city and "按月生成督查表" in city


def test_the_console_filters_by_month(world, page, sheets):
    url = reverse("console:monthly_sheets")
    other = page(world.city_admin).get(url, {"month": "2026-02"}).content.decode()
    assert reverse("console:monthly_sheet_pdf", args=[sheets[world.a.org.pk].pk]) not in other
    same = page(world.city_admin).get(url, {"month": "2026-01"}).content.decode()
    assert reverse("console:monthly_sheet_pdf", args=[sheets[world.a.org.pk].pk]) in same


def test_the_console_downloads_the_archived_files(world, page, sheets):
    a_sheet = sheets[world.a.org.pk]
    resp = page(world.a.admin).get(reverse("console:monthly_sheet_xlsx", args=[a_sheet.pk]))
    assert resp.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(resp.streaming_content)))
    assert world.a.org.name in book.active["A1"].value
    # Named for the county and month (汉台区-2026-01-月度督查表.xlsx).
    assert "%E6%B1%89%E5%8F%B0%E5%8C%BA-2026-01-" in resp["Content-Disposition"]
    pdf = page(world.city_admin).get(reverse("console:monthly_sheet_pdf", args=[a_sheet.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")


@pytest.mark.parametrize("who", ["other_county", "branch_admin", "outsider"])
def test_others_cannot_download_a_countys_sheet(world, page, sheets, who):
    user = {"other_county": world.b.admin, "branch_admin": world.a.branch_admin}.get(
        who, world.outsider
    )
    resp = page(user).get(reverse("console:monthly_sheet_pdf", args=[sheets[world.a.org.pk].pk]))
    # The outsider has no admin role: the console is closed to them altogether.
    assert resp.status_code == (403 if who == "outsider" else 404)


def test_the_city_makes_a_month_by_hand_on_the_console(world, page):
    resp = page(world.city_admin).post(reverse("console:monthly_run"), {"month": "2026-02"})
    assert resp.status_code == 302 and "month=2026-02" in resp["Location"]
    assert MonthlySheet.objects.filter(month=date(2026, 2, 1)).count() == 2
    assert AuditEntry.objects.filter(action="supervision.monthly_sheet").count() == 2


def test_a_county_admin_cannot_make_sheets_on_the_console(world, page):
    resp = page(world.a.admin).post(reverse("console:monthly_run"), {"month": "2026-02"})
    assert resp.status_code == 403
    assert not MonthlySheet.objects.exists()


def test_the_api_lists_the_sheets_of_the_callers_scope(world, api, sheets):
    body = api(world.a.admin).get("/supervision/monthly-sheets").json()
    assert [s["county_id"] for s in body["items"]] == [world.a.org.pk]
    item = body["items"][0]
    assert item["month"] == "2026-01" and item["by_hand"] is True
    assert len(item["content_hash"]) == 64
    city = api(world.city_admin).get("/supervision/monthly-sheets", {"month": "2026-01"}).json()
    assert city["count"] == 2
    assert (
        api(world.city_admin)
        .get("/supervision/monthly-sheets", {"month": "2026-02"})
        .json()["count"]
        == 0
    )
    for user in (world.outsider, world.a.branch_admin):
        assert api(user).get("/supervision/monthly-sheets").json()["count"] == 0
    assert api(None).get("/supervision/monthly-sheets").status_code == 401


def test_the_api_downloads_a_sheet_in_scope_only(world, api, sheets):
    pk = sheets[world.a.org.pk].pk
    resp = api(world.a.admin).get(f"/supervision/monthly-sheets/{pk}/pdf")
    assert resp.status_code == 200
    assert b"".join(resp.streaming_content).startswith(b"%PDF")
    for user in (world.b.admin, world.outsider, world.a.branch_admin):
        resp = api(user).get(f"/supervision/monthly-sheets/{pk}/xlsx")
        assert (resp.status_code, resp.json()["code"]) == (404, "not_found")
    assert api(world.a.admin).get(f"/supervision/monthly-sheets/{pk}/doc").status_code == 422


def test_the_api_makes_a_month_for_the_city_only(world, api):
    for user in (world.a.admin, world.outsider):
        resp = api(user).post("/supervision/monthly-sheets/run", {"month": "2026-03"})
        assert (resp.status_code, resp.json()["code"]) == (403, "forbidden")
    assert not MonthlySheet.objects.exists()
    resp = api(world.city_admin).post("/supervision/monthly-sheets/run", {"month": "2026-03"})
    assert resp.status_code == 200
    body = resp.json()
    assert (body["month"], len(body["made"]), body["existing"]) == ("2026-03", 2, 0)
    again = api(world.city_admin).post("/supervision/monthly-sheets/run", {"month": "2026-03"})
    assert (len(again.json()["made"]), again.json()["existing"]) == (0, 2)


def test_the_api_refuses_a_month_not_finished(world, api):
    resp = api(world.city_admin).post("/supervision/monthly-sheets/run", {"month": "2999-01"})
    assert (resp.status_code, resp.json()["code"]) == (422, "month_not_finished")
    resp = api(world.city_admin).post("/supervision/monthly-sheets/run", {"month": "2026-13"})
    assert resp.status_code == 422


def test_the_lists_read_the_same_queries_for_many_sheets(world, api, page, sheets):
    """Counties and makers come with the sheets (no query a row): a month more of sheets
    costs no query more."""
    client, console = api(world.city_admin), page(world.city_admin)

    def counted(call) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert call().status_code == 200
        return len(ctx.captured_queries)

    def list_api():
        return client.get("/supervision/monthly-sheets")

    def list_page():
        return console.get(reverse("console:monthly_sheets"))

    before = (counted(list_api), counted(list_page))
    for month in (2, 3, 4):
        monthly_services.run_monthly_supervision(actor=world.city_admin, month=date(2026, month, 1))
    assert MonthlySheet.objects.count() == 8
    assert (counted(list_api), counted(list_page)) == before

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import MULTIPART_CONTENT
from django.utils.http import content_disposition_header
from openpyxl import load_workbook

from dangjian.registry.imports import MEMBER_COLUMNS, ORG_COLUMNS, member_template
from dangjian.registry.models import Member, Organization
from tests.registry.test_imports import as_csv, as_xlsx, person

pytestmark = pytest.mark.django_db

HEADERS = [title for _field, title in MEMBER_COLUMNS]


def upload(client, path, content: bytes, name: str, **fields):
    data = {"file": SimpleUploadedFile(name, content), **fields}
    return client.post(path, data, content_type=MULTIPART_CONTENT)


def test_the_member_template_downloads_as_a_parseable_file_with_the_header_row(world, api):
    client = api(world.a.admin)
    resp = client.get("/imports/members/template?format=csv")
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("text/csv")
    _content, filename, _type = member_template("csv")
    assert resp["Content-Disposition"] == content_disposition_header(True, filename)
    assert resp["Cache-Control"] == "no-store"
    assert next(csv.reader(io.StringIO(resp.content.decode("utf-8-sig")))) == HEADERS
    resp = client.get("/imports/members/template?format=xlsx")
    assert resp.status_code == 200
    wb = load_workbook(io.BytesIO(resp.content))
    assert next(wb.worksheets[0].values) == tuple(HEADERS)
    orgs = client.get("/imports/orgs/template?format=csv")
    assert orgs.content.decode("utf-8-sig").strip() == ",".join(t for _f, t in ORG_COLUMNS)


def test_templates_need_a_login_and_a_known_format(world, api):
    assert api(None).get("/imports/members/template?format=csv").status_code == 401
    assert api(world.a.admin).get("/imports/members/template?format=doc").status_code == 422


def test_an_admin_uploads_members_and_a_second_upload_only_updates(world, api):
    rows = [person(), person(branch="B-A2")]
    client = api(world.a.admin)
    resp = upload(client, "/imports/members", as_xlsx(rows).getvalue(), "党员.xlsx")
    assert resp.status_code == 200, resp.content
    assert resp.json() == {"created": 2, "updated": 0}
    assert Member.objects.filter(branch__path__startswith=world.a.org.path).count() == 5
    again = upload(client, "/imports/members", as_csv(rows).getvalue(), "党员.csv")
    assert again.json() == {"created": 0, "updated": 2}


def test_a_bad_upload_answers_422_with_the_rows_and_columns(world, api):
    rows = [person(), person(phone="123")]
    resp = upload(api(world.a.admin), "/imports/members", as_csv(rows).getvalue(), "党员.csv")
    assert resp.status_code == 422
    body = resp.json()
    assert body["code"] == "import_invalid"
    assert body["message"]
    assert body["errors"] == [
        {"row": 3, "column": "手机号", "message": "手机号应为11位大陆手机号码"}
    ]
    assert not Member.objects.by_id_number(rows[0]["id_number"]).exists()


def test_a_file_that_is_not_a_spreadsheet_is_refused(world, api):
    resp = upload(api(world.a.admin), "/imports/members", b"%PDF-1.7 \x00\x01", "党员.csv")
    assert resp.status_code == 422
    assert resp.json()["code"] == "unsupported_file"


def test_an_oversized_upload_is_413(world, api, settings):
    settings.IMPORT_MAX_BYTES = 50
    resp = upload(api(world.a.admin), "/imports/members", as_csv([person()]).getvalue(), "a.csv")
    assert resp.status_code == 413
    assert resp.json()["code"] == "file_too_large"


def test_uploads_go_into_the_chosen_organization_within_scope(world, api):
    client = api(world.city_admin)
    rows = [person(branch="B-B1")]
    resp = upload(
        client, "/imports/members", as_csv(rows).getvalue(), "a.csv", org_id=world.a.org.pk
    )
    assert resp.status_code == 422  # county b's branch is not under county a
    resp = upload(
        client, "/imports/members", as_csv(rows).getvalue(), "a.csv", org_id=world.b.org.pk
    )
    assert resp.json() == {"created": 1, "updated": 0}


def test_import_callers_without_rights_are_refused(world, api):
    content = as_csv([person()]).getvalue()
    assert upload(api(None), "/imports/members", content, "a.csv").status_code == 401
    # A plain member: no admin role at all.
    resp = upload(api(world.a.member.user), "/imports/members", content, "a.csv")
    assert resp.status_code == 403
    # Their own branch is readable but not theirs to import into.
    resp = upload(
        api(world.a.member.user), "/imports/members", content, "a.csv", org_id=world.a.branch.pk
    )
    assert resp.status_code == 403
    # Another county is invisible.
    resp = upload(api(world.a.admin), "/imports/members", content, "a.csv", org_id=world.b.org.pk)
    assert resp.status_code == 404
    assert upload(api(world.outsider), "/imports/members", content, "a.csv").status_code == 403
    assert not Member.objects.filter(name__startswith="导入党员").exists()


def test_organizations_upload_creates_the_tree(world, api):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([t for _f, t in ORG_COLUMNS])
    writer.writerow(["N-B1", "新村党支部", "N-T", "党支部", "农村", ""])
    writer.writerow(["N-T", "新镇党委", "", "党委", "农村", ""])
    resp = upload(
        api(world.a.admin), "/imports/orgs", out.getvalue().encode("utf-8-sig"), "组织.csv"
    )
    assert resp.status_code == 200, resp.content
    assert resp.json() == {"created": 2, "updated": 0}
    assert Organization.objects.get(code="N-B1").depth == world.a.org.depth + 2


def test_the_export_downloads_for_admins_only(world, api):
    resp = api(world.a.admin).get(f"/orgs/{world.a.org.pk}/members/export.xlsx")
    assert resp.status_code == 200
    assert "attachment" in resp["Content-Disposition"]
    rows = list(load_workbook(io.BytesIO(resp.content)).worksheets[0].values)
    assert rows[0][1] == "身份证号（脱敏）"
    assert len(rows) == 4
    assert api(None).get(f"/orgs/{world.a.org.pk}/members/export.xlsx").status_code == 401
    member = api(world.a.member.user)
    assert member.get(f"/orgs/{world.a.branch.pk}/members/export.xlsx").status_code == 403
    assert api(world.a.admin).get(f"/orgs/{world.b.org.pk}/members/export.xlsx").status_code == 404


def test_an_upload_spooled_to_disk_imports_the_same(world, api, settings):
    # Large uploads arrive as temporary files rather than in memory.
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10
    rows = [person(), person()]
    resp = upload(api(world.a.admin), "/imports/members", as_csv(rows).getvalue(), "big.csv")
    assert resp.json() == {"created": 2, "updated": 0}
    resp = upload(api(world.a.admin), "/imports/members", as_xlsx(rows).getvalue(), "big.xlsx")
    assert resp.json() == {"created": 0, "updated": 2}

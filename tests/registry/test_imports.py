import csv
import io
import itertools
from datetime import date, datetime

import pytest
from openpyxl import Workbook, load_workbook

from dangjian.audit.models import AuditEntry
from dangjian.core.errors import DomainError
from dangjian.registry import crypto, idcard, services
from dangjian.registry.imports import (
    MEMBER_COLUMNS,
    ORG_COLUMNS,
    import_member_rows,
    import_members,
    import_organizations,
    member_template,
    org_template,
)
from dangjian.registry.models import Member, Organization, OrgKind, Transfer, User
from tests.factories import make_org

pytestmark = pytest.mark.django_db

HEADERS = [title for _field, title in MEMBER_COLUMNS]
_seq = itertools.count(1)
_phone = itertools.count(15800000000)


def person(branch="B-A1", **overrides) -> dict:
    """A valid row, keyed by field name; a fresh ID number and phone each time."""
    n = next(_seq)
    born = date(1960 + n % 30, 1 + n % 12, 1 + n % 28)
    row = {
        "name": f"导入党员{n}",
        # An odd sequence number: a man's ID.
        "id_number": idcard.make("610721", born, 101 + 2 * (n % 400)),
        "gender": "",
        "birth_date": "",
        "phone": str(next(_phone)),
        "branch": branch,
        "join_date": "2015-07-01",
        "full_date": "2016-07-01",
        "status": "正式党员",
        "is_flowing": "否",
        "flowing_location": "",
    }
    row.update(overrides)
    return row


def as_csv(rows, encoding="utf-8-sig", headers=HEADERS) -> io.BytesIO:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([row.get(field, "") for field, _title in MEMBER_COLUMNS])
    return io.BytesIO(out.getvalue().encode(encoding))


def as_xlsx(rows, headers=HEADERS) -> io.BytesIO:
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for row in rows:
        ws.append([row.get(field) for field, _title in MEMBER_COLUMNS])
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    return buf


def run(world, rows=None, *, actor=None, org=None, file=None, filename="党员.csv"):
    return import_members(
        actor=actor or world.a.admin,
        org=org or world.a.org,
        file=file if file is not None else as_csv(rows),
        filename=filename,
    )


def refused(world, rows=None, **kw) -> DomainError:
    before = (Member.objects.count(), User.objects.count(), AuditEntry.objects.count())
    with pytest.raises(DomainError) as info:
        run(world, rows, **kw)
    after = (Member.objects.count(), User.objects.count(), AuditEntry.objects.count())
    assert after == before, "a refused import must write nothing"
    return info.value


# Templates -------------------------------------------------------------------------------


def test_the_csv_template_is_one_chinese_header_row_that_excel_reads_as_utf8():
    content, filename, content_type = member_template("csv")
    assert content.startswith(b"\xef\xbb\xbf")
    assert list(csv.reader(io.StringIO(content.decode("utf-8-sig")))) == [HEADERS]
    assert filename.endswith(".csv") and content_type.startswith("text/csv")


def test_the_xlsx_template_has_only_the_header_on_its_first_sheet_and_help_on_the_second():
    content, filename, _type = member_template("xlsx")
    wb = load_workbook(io.BytesIO(content))
    first = list(wb.worksheets[0].iter_rows(values_only=True))
    assert first == [tuple(HEADERS)]
    assert len(wb.worksheets) == 2
    assert any("身份证号" in str(row[0]) for row in wb.worksheets[1].iter_rows(values_only=True))
    org_content, _name, _t = org_template("xlsx")
    org_first = list(load_workbook(io.BytesIO(org_content)).worksheets[0].values)
    assert org_first == [tuple(title for _f, title in ORG_COLUMNS)]


def test_an_unknown_template_format_is_refused():
    with pytest.raises(DomainError) as info:
        member_template("pdf")
    assert info.value.code == "validation_error"


# Members: all or nothing -----------------------------------------------------------------


def test_a_file_with_one_bad_check_digit_imports_nothing_and_names_the_row_and_column(world):
    rows = [person(), person(), person()]
    bad = rows[1]["id_number"]
    rows[1]["id_number"] = bad[:17] + ("0" if bad[17] != "0" else "1")
    err = refused(world, rows)
    assert err.code == "import_invalid"
    assert err.details["errors"] == [
        {"row": 3, "column": "身份证号", "message": "身份证号校验位错误"}
    ]
    assert "第3行" in err.message


def test_the_good_file_imports_every_row_as_a_single_create_would(world):
    rows = [person(), person(branch="汉台区某社区党支部"), person(status="预备党员", full_date="")]
    result = run(world, rows)
    assert (result.created, result.updated) == (3, 0)
    for row in rows:
        member = Member.objects.by_id_number(row["id_number"]).select_related("user").get()
        assert member.reveal_id_number() == row["id_number"]
        assert member.id_number_hash == crypto.keyed_hash(row["id_number"])
        assert member.id_number_masked == idcard.mask(row["id_number"])
        assert member.birth_date == idcard.parse(row["id_number"]).birth_date
        assert member.user.phone == row["phone"] and member.user.name == row["name"]
        # Admins set passwords later; nobody can log in with an imported account yet.
        assert not member.user.has_usable_password()
    assert Member.objects.by_id_number(rows[1]["id_number"]).get().branch == world.a.other_branch
    assert Member.objects.by_id_number(rows[2]["id_number"]).get().full_date is None


def test_importing_the_same_file_twice_creates_nothing_new(world):
    rows = [person(), person(), person()]
    run(world, rows)
    counts = (Member.objects.count(), User.objects.count(), Transfer.objects.count())
    again = run(world, rows)
    assert (again.created, again.updated) == (0, 3)
    assert (Member.objects.count(), User.objects.count(), Transfer.objects.count()) == counts
    # Nothing changed, so no member was rewritten or audited a second time.
    assert AuditEntry.objects.filter(action="member.import.update").count() == 0


def test_reimport_updates_fields_by_id_number_and_a_changed_branch_is_a_transfer(world):
    rows = [person(), person()]
    run(world, rows)
    rows[0] = {**rows[0], "branch": "B-A2", "name": "改名党员", "phone": "15899990000"}
    result = run(world, rows)
    assert (result.created, result.updated) == (0, 2)
    member = Member.objects.by_id_number(rows[0]["id_number"]).select_related("user").get()
    assert member.branch == world.a.other_branch
    assert (member.name, member.user.name, member.user.phone) == (
        "改名党员",
        "改名党员",
        "15899990000",
    )
    transfer = Transfer.objects.get(member=member)
    assert (transfer.from_branch, transfer.to_branch) == (world.a.branch, world.a.other_branch)
    assert transfer.actor == world.a.admin and "党员.csv" in transfer.reason
    entry = AuditEntry.objects.get(action="member.import.update")
    assert entry.object_id == str(member.pk)
    assert entry.before["branch_id"] == world.a.branch.pk
    assert entry.after["branch_id"] == world.a.other_branch.pk
    assert entry.after["name"] == "改名党员"


def test_every_imported_member_and_the_import_itself_are_audited(world):
    rows = [person(), person()]
    run(world, rows, filename="春季名册.csv")
    creates = AuditEntry.objects.filter(action="member.import.create")
    assert creates.count() == 2
    entry = creates.get(object_id=str(Member.objects.by_id_number(rows[0]["id_number"]).get().pk))
    assert entry.actor == world.a.admin and entry.org == world.a.branch
    assert entry.after["id_number_masked"] == idcard.mask(rows[0]["id_number"])
    assert rows[0]["id_number"] not in str(entry.after), "audit keeps the masked number only"
    summary = AuditEntry.objects.get(action="registry.import")
    assert summary.org == world.a.org
    assert summary.after["file"] == "春季名册.csv"
    assert (summary.after["created"], summary.after["updated"]) == (2, 0)


def test_xlsx_with_real_dates_and_a_numeric_phone_imports(world):
    row = person(
        join_date=datetime(2012, 7, 1),
        full_date=datetime(2013, 7, 1),
        is_flowing="是",
        flowing_location="广东省深圳市",
    )
    row["phone"] = int(row["phone"])
    result = run(world, [row], file=as_xlsx([row]), filename="党员.xlsx")
    assert result.created == 1
    member = Member.objects.by_id_number(row["id_number"]).get()
    assert member.join_date == date(2012, 7, 1)
    assert member.is_flowing and member.flowing_location == "广东省深圳市"


def test_an_id_number_that_excel_turned_into_a_number_is_refused_clearly(world):
    row = person()
    row["id_number"] = int(row["id_number"][:17] + "0")
    err = refused(world, file=as_xlsx([row]))
    assert err.details["errors"][0]["column"] == "身份证号"
    assert "文本格式" in err.details["errors"][0]["message"]
    csv_row = person(id_number="6.10721E+17")
    err = refused(world, [csv_row])
    assert "文本格式" in err.details["errors"][0]["message"]


def test_a_csv_saved_by_excel_in_gb18030_imports(world):
    rows = [person(name="张三丰"), person(branch="汉台区某村党支部")]
    result = run(world, file=as_csv(rows, encoding="gb18030"))
    assert result.created == 2
    assert Member.objects.by_id_number(rows[0]["id_number"]).get().name == "张三丰"


def test_english_field_names_are_accepted_as_headers_and_empty_rows_are_ignored(world):
    fields = [field for field, _title in MEMBER_COLUMNS]
    rows = [person(), {}, person()]
    result = run(world, file=as_csv(rows, headers=fields))
    assert result.created == 2


def test_an_ambiguous_branch_name_asks_for_the_code(world):
    for code in ("B-A3", "B-A4"):
        make_org(world.city_admin, world.a.town, "同名党支部", code=code)
    err = refused(world, [person(branch="同名党支部")])
    [error] = err.details["errors"]
    assert error["column"] == "所在党支部" and "组织编码" in error["message"]
    assert run(world, [person(branch="B-A3")]).created == 1


def test_a_branch_of_another_county_is_not_found_for_a_county_admin(world):
    err = refused(world, [person(), person(branch="B-B1")])
    assert err.details["errors"][0]["row"] == 3
    assert err.details["errors"][0]["column"] == "所在党支部"
    assert "找不到" in err.details["errors"][0]["message"]


def test_members_go_only_into_active_branches_not_committees(world):
    err = refused(world, [person(branch="T-A")])
    assert "不是党支部" in err.details["errors"][0]["message"]


def test_a_member_of_another_county_cannot_be_imported_over(world):
    theirs = world.b.member.reveal_id_number()
    err = refused(world, [person(id_number=theirs, gender="", birth_date="")])
    [error] = err.details["errors"]
    assert error["column"] == "身份证号" and "不在您的管理范围内" in error["message"]


def test_duplicates_within_the_file_are_reported_on_the_later_row(world):
    first, second = person(), person()
    rows = [first, second, person(id_number=first["id_number"]), person(phone=second["phone"])]
    err = refused(world, rows)
    assert err.details["errors"] == [
        {"row": 4, "column": "身份证号", "message": "与第2行的身份证号重复"},
        {"row": 5, "column": "手机号", "message": "与第3行的手机号重复"},
    ]


def test_a_phone_of_another_member_is_refused(world):
    err = refused(world, [person(phone=world.b.member.phone)])
    assert err.details["errors"][0]["column"] == "手机号"


def test_an_account_without_member_record_is_reused_like_a_single_create(world):
    staff = world.outsider
    result = run(world, [person(phone=staff.phone)])
    assert result.created == 1
    assert Member.objects.get(user=staff).branch == world.a.branch


def test_every_field_rule_of_a_single_create_applies_per_row(world):
    rows = [
        person(phone="12345"),
        person(gender="女"),  # the ID numbers made here are male
        person(status="正式党员", full_date=""),
        person(is_flowing="是", flowing_location=""),
        person(join_date="2099-01-01"),
        person(join_date="2015-02-30"),
        person(birth_date="1950/1/1"),  # another format, and not the ID's birth date
    ]
    err = refused(world, rows)
    got = {(e["row"], e["column"]) for e in err.details["errors"]}
    assert {
        (2, "手机号"),
        (3, "性别"),
        (4, "转正日期"),
        (5, "流动去向"),
        (6, "入党日期"),
        (7, "入党日期"),
        (8, "出生日期"),
    } <= got


def test_a_missing_required_column_is_reported_on_row_one(world):
    headers = [h for h in HEADERS if h != "手机号"]
    err = refused(world, file=as_csv([person()], headers=headers))
    assert err.code == "import_invalid"
    assert err.details["errors"][0]["row"] == 1
    assert err.details["errors"][0]["column"] == "手机号"


def test_an_export_cannot_be_imported_back(world):
    headers = ["身份证号（脱敏）" if h == "身份证号" else h for h in HEADERS]
    err = refused(world, file=as_csv([person()], headers=headers))
    assert "脱敏" in err.details["errors"][0]["message"]


def test_empty_files_and_header_only_files_are_invalid(world):
    assert refused(world, file=io.BytesIO(b"")).code == "import_invalid"
    assert refused(world, file=as_csv([])).code == "import_invalid"


def test_files_that_are_neither_csv_nor_xlsx_are_refused_by_content(world):
    png = io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    assert refused(world, file=png, filename="党员.csv").code == "unsupported_file"
    xls = io.BytesIO(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    assert refused(world, file=xls, filename="党员.xlsx").code == "unsupported_file"
    fake_zip = io.BytesIO(b"PK\x03\x04 not really a workbook")
    assert refused(world, file=fake_zip, filename="党员.xlsx").code == "unsupported_file"


def test_a_file_over_the_size_limit_is_refused(world, settings):
    settings.IMPORT_MAX_BYTES = 100
    assert refused(world, [person(), person()]).code == "file_too_large"


def test_only_admins_over_the_organization_may_import(world):
    with pytest.raises(DomainError) as info:
        run(world, [person()], actor=world.a.member.user)
    assert info.value.code in ("forbidden", "not_found")
    with pytest.raises(DomainError) as info:
        run(world, [person()], actor=world.b.admin)
    assert info.value.code == "not_found"


def test_a_branch_admin_imports_into_their_own_branch_only(world):
    assert run(world, [person()], actor=world.a.branch_admin, org=world.a.branch).created == 1
    err = refused(world, [person(branch="B-A2")], actor=world.a.branch_admin, org=world.a.branch)
    assert err.details["errors"][0]["column"] == "所在党支部"


def test_the_row_import_used_by_the_seeder_takes_typed_values(world):
    rows = [
        person(branch=world.a.branch, join_date=date(2010, 7, 1), full_date=date(2011, 7, 1)),
        person(is_flowing=True, flowing_location="陕西省西安市"),
    ]
    result = import_member_rows(actor=world.city_admin, org=world.city, rows=rows)
    assert (result.created, result.updated) == (2, 0)
    with pytest.raises(DomainError) as info:
        import_member_rows(
            actor=world.city_admin, org=world.city, rows=[person(phone="1")], first_row=10
        )
    assert info.value.details["errors"][0]["row"] == 10


# Organizations ---------------------------------------------------------------------------


def orgs_csv(rows) -> io.BytesIO:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([title for _field, title in ORG_COLUMNS])
    writer.writerows(rows)
    return io.BytesIO(out.getvalue().encode("utf-8-sig"))


def import_orgs(world, rows, *, actor=None, org=None):
    return import_organizations(
        actor=actor or world.a.admin,
        org=org or world.a.org,
        file=orgs_csv(rows),
        filename="组织.csv",
    )


def test_organizations_import_children_before_parents_and_paths_are_valid(world):
    rows = [
        ["N-B1", "新村党支部", "N-T", "党支部", "农村", "五星"],
        ["N-T", "新镇党委", "", "党委", "农村", ""],
        ["N-B2", "新社区党支部", "N-T", "党支部", "社区", ""],
        ["N-B3", "老镇新党支部", "T-A", "党支部", "农村", ""],
    ]
    result = import_orgs(world, rows)
    assert (result.created, result.updated) == (4, 0)
    town = Organization.objects.get(code="N-T")
    assert Organization.objects.get_parent(town) == world.a.org
    assert town.numchild == 2
    assert [o.code for o in Organization.objects.get_children(town)] == ["N-B1", "N-B2"]
    assert Organization.objects.get_parent(Organization.objects.get(code="N-B3")) == world.a.town
    world.a.town.refresh_from_db()
    assert world.a.town.numchild == 3
    assert Organization.objects.find_problems() == ([], [], [], [], [])
    # treebeard keeps working on top of bulk-created nodes.
    make_org(world.a.admin, town, "后加党支部", code="N-B4")
    assert Organization.objects.get_children(town).count() == 3


def test_reimporting_organizations_updates_by_code(world):
    rows = [["N-T", "新镇党委", "", "党委", "农村", ""]]
    import_orgs(world, rows)
    again = import_orgs(world, [["N-T", "新镇党委（更名）", "C-A", "党委", "社区", "三星"]])
    assert (again.created, again.updated) == (0, 1)
    town = Organization.objects.get(code="N-T")
    assert (town.name, town.sector, town.category) == ("新镇党委（更名）", "community", "三星")
    assert AuditEntry.objects.filter(action="org.import.update", object_id=str(town.pk)).exists()


def test_organization_rows_are_checked_and_nothing_is_written_on_error(world):
    before = Organization.objects.count()
    rows = [
        ["N-T", "新镇党委", "", "党委", "农村", ""],
        ["N-X", "", "N-T", "党支部", "火星", ""],
        ["B-B1", "抢别人的编码", "", "党支部", "农村", ""],
        ["N-Y", "挂在别县下", "T-B", "党支部", "农村", ""],
        ["N-Z", "挂在支部下", "B-A1", "党支部", "农村", ""],
        ["N-C1", "循环一", "N-C2", "党委", "农村", ""],
        ["N-C2", "循环二", "N-C1", "党委", "农村", ""],
        ["N-T", "重复", "", "党委", "农村", ""],
    ]
    with pytest.raises(DomainError) as info:
        import_orgs(world, rows)
    got = {(e["row"], e["column"]) for e in info.value.details["errors"]}
    assert {
        (3, "组织名称"),
        (3, "所属领域"),
        (4, "组织编码"),
        (5, "上级组织编码"),
        (6, "组织类别"),
        (7, "上级组织编码"),
        (8, "上级组织编码"),
        (9, "组织编码"),
    } <= got
    assert Organization.objects.count() == before


def test_a_branch_with_members_cannot_become_a_committee_by_import(world):
    with pytest.raises(DomainError) as info:
        import_orgs(world, [["B-A1", "汉台区某村党支部", "T-A", "党委", "农村", ""]])
    assert info.value.details["errors"][0]["column"] == "组织类别"


def test_members_import_into_organizations_just_imported(world):
    import_orgs(
        world,
        [
            ["N-T", "新镇党委", "", "党委", "农村", ""],
            ["N-B1", "新村党支部", "N-T", "党支部", "农村", ""],
        ],
    )
    assert run(world, [person(branch="N-B1"), person(branch="新村党支部")]).created == 2
    assert Member.objects.filter(branch__code="N-B1").count() == 2
    assert Organization.objects.get(code="N-B1").kind == OrgKind.BRANCH


def test_a_branch_admin_cannot_take_over_a_county_admins_login_by_import(world):
    # The county admin is also a member of one of the county's branches.
    row = person(phone=world.a.admin.phone)
    run(world, [row], actor=world.city_admin, org=world.city)
    assert Member.objects.get(user=world.a.admin).branch == world.a.branch
    err = refused(
        world, [{**row, "phone": "15866660000"}], actor=world.a.branch_admin, org=world.a.branch
    )
    assert err.details["errors"][0]["column"] == "手机号"
    # Their other details stay the branch's to keep.
    renamed = run(
        world, [{**row, "name": "新名字"}], actor=world.a.branch_admin, org=world.a.branch
    )
    assert renamed.updated == 1
    world.a.admin.refresh_from_db()
    assert (world.a.admin.name, world.a.admin.phone) == ("新名字", row["phone"])


def test_a_member_who_left_is_not_revived_by_import(world):
    row = person()
    run(world, [row])
    member = Member.objects.by_id_number(row["id_number"]).get()
    services.mark_member_left(actor=world.a.admin, member=member, left_at=date(2025, 1, 1))
    err = refused(world, [row])
    assert err.details["errors"][0]["column"] == "身份证号"
    assert "不在册" in err.details["errors"][0]["message"]

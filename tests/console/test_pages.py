"""The back office, through the real URL routing, middleware, templates and database."""

import csv
import io
from datetime import date

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from dangjian.audit.models import AuditEntry
from dangjian.registry import idcard
from dangjian.registry.imports import MEMBER_COLUMNS
from dangjian.registry.models import Member, Organization, OrgKind, RoleGrant, Transfer
from tests.factories import PASSWORD, make_member, next_id_number, next_phone

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def html(response) -> str:
    return response.content.decode()


def member_post(**overrides) -> dict:
    data = {
        "name": "赵建华",
        "id_number": next_id_number(born=date(1980, 5, 20)),
        "gender": "",
        "birth_date": "",
        "phone": next_phone(),
        "join_date": "2005-07-01",
        "status": "full",
        "full_date": "2006-07-01",
        "flowing_location": "",
    }
    data.update(overrides)
    return data


# Access ----------------------------------------------------------------------------------


def every_page(w):
    """(url name, args) of every console page, on county a's objects."""
    a = w.a
    return [
        ("console:index", []),
        ("console:org_search", []),
        ("console:org_detail", [a.org.pk]),
        ("console:org_children", [a.org.pk]),
        ("console:org_create", [a.town.pk]),
        ("console:org_edit", [a.town.pk]),
        ("console:org_admins", [a.town.pk]),
        ("console:member_list", [a.org.pk]),
        ("console:member_create", [a.branch.pk]),
        ("console:member_export", [a.org.pk]),
        ("console:import", [a.org.pk]),
        ("console:import_template", ["members", "xlsx"]),
        ("console:member_detail", [a.member.pk]),
        ("console:member_edit", [a.member.pk]),
        ("console:member_transfer", [a.member.pk]),
        ("console:member_password", [a.member.pk]),
        ("console:audit", []),
    ]


def test_anonymous_visitors_are_sent_to_the_login_page_and_back(world, page):
    client = page(None)
    for name, args in every_page(world):
        url = reverse(name, args=args)
        response = client.get(url)
        assert response.status_code == 302, name
        assert response["Location"].startswith("/login/?next="), name
    for name in ("console:member_reveal_id", "console:member_leave"):
        response = client.post(reverse(name, args=[world.a.member.pk]))
        assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_an_htmx_request_after_the_session_ended_sends_the_whole_page_to_login(world, page):
    response = page(None).get(
        reverse("console:org_children", args=[world.a.org.pk]),
        headers={**HTMX, "HX-Current-URL": "http://testserver/console/"},
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/login/?next=/console/"


def test_a_signed_in_user_without_an_admin_role_is_refused_every_console_page(world, page):
    for user in (world.outsider, world.a.member.user):
        client = page(user)
        for name, args in every_page(world):
            response = client.get(reverse(name, args=args))
            assert response.status_code == 403, (user, name)
            assert "无权操作" in html(response)
        response = client.post(reverse("console:member_reveal_id", args=[world.a.member.pk]))
        assert response.status_code == 403
    assert AuditEntry.objects.filter(action="member.reveal_id_number").count() == 0


def test_county_a_admin_gets_404_for_county_b_organizations_and_members(world, page):
    client = page(world.a.admin)
    b = world.b
    for name, args in [
        ("console:org_detail", [b.org.pk]),
        ("console:org_children", [b.org.pk]),
        ("console:org_create", [b.town.pk]),
        ("console:org_edit", [b.town.pk]),
        ("console:org_admins", [b.town.pk]),
        ("console:member_list", [b.org.pk]),
        ("console:member_create", [b.branch.pk]),
        ("console:member_export", [b.org.pk]),
        ("console:import", [b.org.pk]),
        ("console:member_detail", [b.member.pk]),
        ("console:member_edit", [b.member.pk]),
        ("console:member_transfer", [b.member.pk]),
        ("console:member_password", [b.member.pk]),
        ("console:org_detail", [world.city.pk]),
        ("console:org_detail", [999999]),
        ("console:member_detail", [999999]),
    ]:
        response = client.get(reverse(name, args=args))
        assert response.status_code == 404, name
        assert "未找到" in html(response)
    assert client.get(reverse("console:audit"), {"org": b.org.pk}).status_code == 404
    for name in ("console:member_reveal_id", "console:member_leave"):
        assert client.post(reverse(name, args=[b.member.pk])).status_code == 404
    b.member.refresh_from_db()
    assert b.member.is_active
    # Writes refused by the 404 changed nothing.
    response = client.post(reverse("console:org_edit", args=[b.town.pk]), {"name": "改名"})
    assert response.status_code == 404
    b.town.refresh_from_db()
    assert b.town.name == "南郑区某镇党委"


def test_a_branch_admin_cannot_reach_the_county_above_the_branch(world, page):
    client = page(world.a.branch_admin)
    assert client.get(reverse("console:org_detail", args=[world.a.org.pk])).status_code == 404
    assert client.get(reverse("console:org_detail", args=[world.a.branch.pk])).status_code == 200


# The organization tree -------------------------------------------------------------------


def test_the_home_shows_the_admins_own_top_organizations_as_the_tree_roots(world, page):
    body = html(page(world.a.admin).get(reverse("console:index")))
    assert "汉台区" in body
    assert "南郑区" not in body
    assert reverse("console:org_children", args=[world.a.org.pk]) in body
    # The frame: platform name, user, logout, the sidebar.
    for text in (
        "智慧党建云平台",
        "汉台区管理员",
        "退出",
        "组织架构",
        "党员管理",
        "数据导入",
        "操作日志",
    ):
        assert text in body
    assert reverse("console:member_list", args=[world.a.org.pk]) in body

    city = html(page(world.city_admin).get(reverse("console:index")))
    assert "汉中市" in city


def test_expanding_a_node_loads_its_children_with_their_own_toggles(world, page):
    client = page(world.a.admin)
    county = html(client.get(reverse("console:org_children", args=[world.a.org.pk]), headers=HTMX))
    assert "汉台区某镇党委" in county
    assert "<html" not in county
    # The town has children: it gets a toggle of its own; the branches are leaves.
    assert reverse("console:org_children", args=[world.a.town.pk]) in county
    town = html(client.get(reverse("console:org_children", args=[world.a.town.pk])))
    assert "汉台区某村党支部" in town and "汉台区某社区党支部" in town
    assert "data-tree-toggle" not in town


def test_the_org_search_finds_by_name_or_code_in_scope_with_the_ancestor_path(world, page):
    client = page(world.a.admin)
    url = reverse("console:org_search")
    partial = html(client.get(url, {"q": "党支部"}, headers=HTMX))
    assert "汉台区某村党支部" in partial and "汉台区某社区党支部" in partial
    assert "南郑区" not in partial  # county b is out of scope
    assert "<html" not in partial
    # The path: the county and the town, as links; the city above the admin is not shown.
    assert reverse("console:org_detail", args=[world.a.town.pk]) in partial
    assert "汉中市" not in partial

    by_code = html(client.get(url, {"q": "B-A2"}, headers=HTMX))
    assert "汉台区某社区党支部" in by_code and "汉台区某村党支部" not in by_code
    assert "没有找到" in html(client.get(url, {"q": "B-B1"}, headers=HTMX))

    full = client.get(url, {"q": "某镇"})
    assert "<html" in html(full) and "汉台区某镇党委" in html(full)


def test_the_org_detail_shows_fields_children_member_count_and_admins(world, page):
    body = html(page(world.a.admin).get(reverse("console:org_detail", args=[world.a.branch.pk])))
    for text in ("汉台区某村党支部", "B-A1", "党支部", "农村", "五星", "3人", "汉台区支部书记"):
        assert text in body
    assert reverse("console:member_create", args=[world.a.branch.pk]) in body
    # The breadcrumb: readable ancestors only.
    assert reverse("console:org_detail", args=[world.a.org.pk]) in body
    assert reverse("console:org_detail", args=[world.city.pk]) not in body

    town = html(page(world.a.admin).get(reverse("console:org_detail", args=[world.a.town.pk])))
    assert "汉台区某村党支部" in town and "汉台区某社区党支部" in town
    assert reverse("console:org_create", args=[world.a.town.pk]) in town


def test_an_admin_creates_a_child_organization(world, page):
    response = page(world.a.admin).post(
        reverse("console:org_create", args=[world.a.town.pk]),
        {"name": "汉台区某镇新村党支部", "code": "B-A9", "kind": "branch", "sector": "rural"},
    )
    org = Organization.objects.get(code="B-A9")
    assert response.status_code == 302
    assert response["Location"] == reverse("console:org_detail", args=[org.pk])
    assert org.path.startswith(world.a.town.path) and org.depth == world.a.town.depth + 1
    assert AuditEntry.objects.filter(action="org.create", object_id=str(org.pk)).exists()


def test_creating_an_organization_with_bad_input_shows_the_reason_and_saves_nothing(world, page):
    client = page(world.a.admin)
    before = Organization.objects.count()
    url = reverse("console:org_create", args=[world.a.town.pk])
    empty = client.post(url, {"name": "", "kind": "branch", "sector": "rural"})
    assert empty.status_code == 200
    assert "组织名称不能为空" in html(empty)
    taken = client.post(url, {"name": "重复", "code": "B-B1", "kind": "branch", "sector": "rural"})
    assert "组织编码已被使用" in html(taken)
    under_branch = client.post(
        reverse("console:org_create", args=[world.a.branch.pk]),
        {"name": "支部下的组织", "kind": "branch", "sector": "rural"},
    )
    assert "党支部下不能再设立组织" in html(under_branch)
    assert Organization.objects.count() == before


def test_an_admin_edits_an_organization_and_moves_it_by_code(world, page):
    client = page(world.a.admin)
    response = client.post(
        reverse("console:org_edit", args=[world.a.other_branch.pk]),
        {
            "name": "汉台区阳光社区党支部",
            "code": "B-A2",
            "kind": "branch",
            "sector": "community",
            "category": "四星",
            "new_parent": "C-A",
        },
    )
    assert response.status_code == 302
    org = Organization.objects.get(pk=world.a.other_branch.pk)
    assert (org.name, org.category) == ("汉台区阳光社区党支部", "四星")
    assert org.path[: -org.steplen] == world.a.org.path
    assert AuditEntry.objects.filter(action="org.move", object_id=str(org.pk)).exists()


def test_an_edit_that_fails_also_undoes_the_move_and_shows_the_error(world, page):
    client = page(world.a.admin)
    path = world.a.other_branch.path
    response = client.post(
        reverse("console:org_edit", args=[world.a.other_branch.pk]),
        {"name": "新名", "code": "B-B1", "kind": "branch", "sector": "rural", "new_parent": "C-A"},
    )
    assert response.status_code == 200
    assert "组织编码已被使用" in html(response)
    org = Organization.objects.get(pk=world.a.other_branch.pk)
    assert (org.name, org.path) == ("汉台区某社区党支部", path)


def test_an_organization_cannot_be_moved_out_of_scope_or_under_a_branch(world, page):
    client = page(world.a.admin)
    url = reverse("console:org_edit", args=[world.a.other_branch.pk])
    base = {"name": "汉台区某社区党支部", "code": "B-A2", "kind": "branch", "sector": "community"}
    out = client.post(url, {**base, "new_parent": "C-B"})
    assert "未找到该组织" in html(out)
    under = client.post(url, {**base, "new_parent": "B-A1"})
    assert "党支部下不能再设立组织" in html(under)
    world.a.other_branch.refresh_from_db()
    assert world.a.other_branch.path[: -world.a.other_branch.steplen] == world.a.town.path


def test_an_admin_grants_and_revokes_the_admin_role_by_phone_or_id_number(world, page):
    client = page(world.a.admin)
    url = reverse("console:org_admins", args=[world.a.town.pk])
    member = world.a.member
    response = client.post(url, {"action": "grant", "who": member.user.phone})
    assert response.status_code == 302
    assert RoleGrant.objects.filter(user=member.user, org=world.a.town).exists()
    assert member.name in html(client.get(url))

    client.post(url, {"action": "revoke", "user_id": member.user_id})
    assert not RoleGrant.objects.filter(user=member.user, org=world.a.town).exists()

    id_number = member.reveal_id_number()
    client.post(url, {"action": "grant", "who": id_number})
    assert RoleGrant.objects.filter(user=member.user, org=world.a.town).exists()


def test_granting_to_someone_outside_the_scope_is_refused(world, page):
    client = page(world.a.admin)
    url = reverse("console:org_admins", args=[world.a.town.pk])
    response = client.post(url, {"action": "grant", "who": world.b.member.user.phone})
    assert response.status_code == 200
    assert "在您的管理范围内没有找到该党员" in html(response)
    empty = client.post(url, {"action": "grant", "who": ""})
    assert "请输入党员的手机号或身份证号" in html(empty)
    assert not RoleGrant.objects.filter(org=world.a.town).exists()


# Members ---------------------------------------------------------------------------------


def test_the_member_list_shows_the_subtree_with_masked_id_numbers(world, page):
    response = page(world.a.admin).get(reverse("console:member_list", args=[world.a.org.pk]))
    body = html(response)
    assert "汉台区党员" in body and "汉台区流动党员" in body and "汉台区支部书记" in body
    assert "南郑区党员" not in body
    member = world.a.member
    assert member.id_number_masked in body
    assert member.reveal_id_number() not in body
    assert reverse("console:member_export", args=[world.a.org.pk]) in body
    assert reverse("console:import", args=[world.a.org.pk]) in body
    assert "共3名党员" in body


def test_the_member_list_searches_by_name_exact_phone_and_exact_id_number(world, page):
    client = page(world.a.admin)
    url = reverse("console:member_list", args=[world.a.org.pk])
    member = world.a.member
    for q in ("汉台区党员", member.user.phone, member.reveal_id_number()):
        body = html(client.get(url, {"q": q}))
        assert "共1名党员" in body, q
        assert reverse("console:member_detail", args=[member.pk]) in body
    # A phone prefix is not a match, and another county's member is never found.
    assert "共0名党员" in html(client.get(url, {"q": member.user.phone[:7]}))
    assert "共0名党员" in html(client.get(url, {"q": world.b.member.user.phone}))


def test_the_member_list_filters_by_status_flowing_sector_and_active(world, page):
    client = page(world.a.admin)
    url = reverse("console:member_list", args=[world.a.org.pk])
    make_member(
        world.city_admin,
        world.a.other_branch,
        name="社区预备党员",
        status="probationary",
        full_date=None,
    )
    probationary = html(client.get(url, {"status": "probationary"}))
    assert "社区预备党员" in probationary and "共1名党员" in probationary
    flowing = html(client.get(url, {"flowing": "yes"}))
    assert "汉台区流动党员" in flowing and "共1名党员" in flowing
    community = html(client.get(url, {"sector": "community"}))
    assert "社区预备党员" in community and "共1名党员" in community

    client.post(reverse("console:member_leave", args=[world.a.member.pk]), {"reason": "去世"})
    detail = reverse("console:member_detail", args=[world.a.member.pk])
    assert detail not in html(client.get(url))
    left = html(client.get(url, {"active": "no"}))
    assert detail in left and "共1名党员" in left
    assert "共4名党员" in html(client.get(url, {"active": "all"}))


def test_member_list_pages_keep_the_filters_in_their_links(world, page):
    for i in range(55):
        make_member(world.city_admin, world.a.branch, name=f"批量{i:02d}", password=None)
    client = page(world.a.admin)
    url = reverse("console:member_list", args=[world.a.org.pk])
    first = html(client.get(url, {"q": "批量", "status": "full"}))
    assert "共55名党员" in first and "第1页 / 共2页" in first
    assert "q=%E6%89%B9%E9%87%8F&amp;status=full&amp;page=2" in first
    second = html(client.get(url, {"q": "批量", "status": "full", "page": 2}))
    assert second.count('href="/console/members/') == 5
    assert "批量54" in second and "批量00" not in second


def test_the_member_list_costs_the_same_queries_for_many_members(
    world, page, django_assert_max_num_queries
):
    client = page(world.a.admin)
    url = reverse("console:member_list", args=[world.a.org.pk])
    client.get(url)  # warm the session and caches
    with django_assert_max_num_queries(12) as few:
        client.get(url)
    for i in range(20):
        make_member(world.city_admin, world.a.other_branch, name=f"多{i}", password=None)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


def test_the_member_detail_shows_the_record_history_and_audit_entries(world, page):
    member = world.a.member
    client = page(world.a.admin)
    client.post(
        reverse("console:member_transfer", args=[member.pk]),
        {"to_branch": "B-A2", "reason": "工作调动"},
    )
    body = html(client.get(reverse("console:member_detail", args=[member.pk])))
    for text in (member.name, member.id_number_masked, member.user.phone, "汉台区某社区党支部"):
        assert text in body
    assert member.reveal_id_number() not in body
    assert "工作调动" in body and "汉台区某村党支部 → 汉台区某社区党支部" in body
    # The audit entries, in words: the creation and the transfer.
    assert "登记党员" in body and "组织关系转接" in body
    assert "显示完整身份证号" in body
    for name in ("console:member_edit", "console:member_transfer", "console:member_password"):
        assert reverse(name, args=[member.pk]) in body


def test_revealing_the_id_number_shows_it_and_is_audited(world, page):
    member = world.a.member
    client = page(world.a.branch_admin)
    url = reverse("console:member_reveal_id", args=[member.pk])
    partial = client.post(url, headers=HTMX)
    assert partial.status_code == 200
    assert html(partial).strip().endswith("</span>") and "<html" not in html(partial)
    assert member.reveal_id_number() in html(partial)
    full = client.post(url)
    assert member.reveal_id_number() in html(full) and "<html" in html(full)
    entries = AuditEntry.objects.filter(action="member.reveal_id_number", object_id=str(member.pk))
    assert entries.count() == 2
    assert client.get(url).status_code == 405


def test_an_admin_registers_a_member_in_a_branch(world, page):
    data = member_post()
    response = page(world.a.branch_admin).post(
        reverse("console:member_create", args=[world.a.branch.pk]), data
    )
    member = Member.objects.get(user__phone=data["phone"])
    assert response.status_code == 302
    assert response["Location"] == reverse("console:member_detail", args=[member.pk])
    assert member.branch == world.a.branch and member.name == "赵建华"
    assert member.birth_date == date(1980, 5, 20)  # read from the ID number
    assert member.id_number_masked == idcard.mask(data["id_number"])


def test_registering_a_member_with_bad_input_shows_chinese_errors_and_saves_nothing(world, page):
    client = page(world.a.admin)
    url = reverse("console:member_create", args=[world.a.branch.pk])
    before = Member.objects.count()
    valid = next_id_number()
    wrong_check_digit = valid[:-1] + ("1" if valid[-1] != "1" else "2")
    bad = member_post(name="", id_number=wrong_check_digit, phone="123", join_date="2030-01-01")
    body = html(client.post(url, bad))
    for message in (
        "姓名不能为空",
        "身份证号校验位错误",
        "手机号应为11位大陆手机号码",
        "入党日期不能晚于今天",
    ):
        assert message in body
    nothing = html(client.post(url, {}))
    for message in ("姓名不能为空", "身份证号不能为空", "党员类型应为“正式党员”或“预备党员”"):
        assert message in nothing
    taken = html(client.post(url, member_post(phone=world.a.member.user.phone)))
    assert "该手机号已被其他党员使用" in taken
    duplicate = html(client.post(url, member_post(id_number=world.b.member.reveal_id_number())))
    assert "该身份证号已登记" in duplicate
    assert Member.objects.count() == before
    # A member can only go into a branch: the form is not even offered on a town.
    town = html(client.get(reverse("console:member_create", args=[world.a.town.pk])))
    assert "党员只能编入党支部" in town and 'name="id_number"' not in town


def test_an_admin_edits_a_member_and_an_empty_id_number_keeps_it(world, page):
    member = world.a.member
    id_number = member.reveal_id_number()
    client = page(world.a.admin)
    url = reverse("console:member_edit", args=[member.pk])
    form = html(client.get(url))
    assert id_number not in form and member.id_number_masked in form
    data = {
        "name": "汉台区党员（改）",
        "id_number": "",
        "phone": member.user.phone,
        "birth_date": member.birth_date.isoformat(),
        "gender": member.gender,
        "join_date": member.join_date.isoformat(),
        "status": "full",
        "full_date": member.full_date.isoformat(),
        "is_flowing": "on",
        "flowing_location": "陕西省西安市",
    }
    assert client.post(url, data).status_code == 302
    member.refresh_from_db()
    assert member.name == "汉台区党员（改）" and member.user.name == "汉台区党员（改）"
    assert member.is_flowing and member.flowing_location == "陕西省西安市"
    assert member.reveal_id_number() == id_number


def test_editing_a_member_with_bad_input_changes_nothing(world, page):
    member = world.a.member
    client = page(world.a.admin)
    response = client.post(
        reverse("console:member_edit", args=[member.pk]),
        {
            "name": "新名字",
            "phone": member.user.phone,
            "join_date": "2010-07-01",
            "status": "full",
            "full_date": "",
            "is_flowing": "on",
            "flowing_location": "",
        },
    )
    body = html(response)
    assert "正式党员须填写转正日期" in body and "流动党员须填写流动去向" in body
    member.refresh_from_db()
    assert member.name == "汉台区党员" and not member.is_flowing


def test_an_admin_transfers_a_member_to_a_branch_in_scope(world, page):
    member = world.a.member
    client = page(world.a.admin)
    url = reverse("console:member_transfer", args=[member.pk])
    assert "转入党支部" in html(client.get(url))
    response = client.post(url, {"to_branch": f"#{world.a.other_branch.pk}", "reason": "搬家"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.branch == world.a.other_branch
    transfer = Transfer.objects.get(member=member)
    assert (transfer.from_branch, transfer.reason) == (world.a.branch, "搬家")


def test_a_picked_branch_that_is_not_a_plain_number_is_refused_on_the_form(world, page):
    member = world.a.member
    client = page(world.a.admin)
    url = reverse("console:member_transfer", args=[member.pk])

    response = client.post(url, {"to_branch": "#²", "reason": "搬家"})

    assert response.status_code == 200
    assert not Transfer.objects.filter(member=member).exists()


def test_a_transfer_out_of_scope_or_to_the_same_branch_is_refused(world, page):
    member = world.a.member
    client = page(world.a.admin)
    url = reverse("console:member_transfer", args=[member.pk])
    assert "未找到该组织" in html(client.post(url, {"to_branch": "B-B1"}))
    assert "该党员已在此党支部" in html(client.post(url, {"to_branch": "B-A1"}))
    assert "党员只能编入党支部" in html(client.post(url, {"to_branch": "T-A"}))
    assert "请选择转入的党支部" in html(client.post(url, {"to_branch": ""}))
    member.refresh_from_db()
    assert member.branch == world.a.branch and not Transfer.objects.exists()


def test_an_admin_marks_a_member_as_left(world, page):
    member = world.a.member
    client = page(world.a.admin)
    response = client.post(reverse("console:member_leave", args=[member.pk]), {"reason": "出党"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert not member.is_active and member.left_at is not None
    entry = AuditEntry.objects.get(action="member.leave", object_id=str(member.pk))
    assert entry.after["reason"] == "出党"
    assert client.get(reverse("console:member_leave", args=[member.pk])).status_code == 405


def test_an_admin_sets_a_members_password(world, page):
    member = world.a.member
    client = page(world.a.admin)
    url = reverse("console:member_password", args=[member.pk])
    response = client.post(url, {"password": "Hongqi-2026!", "password2": "Hongqi-2026!"})
    assert response.status_code == 302
    member.user.refresh_from_db()
    assert member.user.check_password("Hongqi-2026!")


def test_a_weak_or_mismatched_password_is_refused(world, page):
    member = world.a.member
    client = page(world.a.admin)
    url = reverse("console:member_password", args=[member.pk])
    assert "两次输入的密码不一致" in html(
        client.post(url, {"password": "Hongqi-2026!", "password2": "Hongqi-2027!"})
    )
    weak = html(client.post(url, {"password": "12345678", "password2": "12345678"}))
    assert "密码" in weak and "alert error" in weak
    member.user.refresh_from_db()
    assert member.user.check_password(PASSWORD)


def test_the_export_is_an_xlsx_of_the_subtree_with_masked_id_numbers(world, page):
    response = page(world.a.admin).get(reverse("console:member_export", args=[world.a.org.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [cell for row in sheet.iter_rows(values_only=True) for cell in row]
    assert world.a.member.id_number_masked in values
    assert world.a.member.reveal_id_number() not in values
    assert "南郑区党员" not in values


# Import ----------------------------------------------------------------------------------


def member_csv(rows: list[dict]) -> io.BytesIO:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([title for _field, title in MEMBER_COLUMNS])
    for row in rows:
        writer.writerow([row.get(field, "") for field, _title in MEMBER_COLUMNS])
    data = io.BytesIO(out.getvalue().encode("utf-8-sig"))
    data.name = "党员.csv"
    return data


def import_row(**overrides) -> dict:
    row = {
        "name": "导入党员",
        "id_number": next_id_number(born=date(1975, 8, 9)),
        "phone": next_phone(),
        "branch": "B-A1",
        "join_date": "2000-07-01",
        "full_date": "2001-07-01",
        "status": "正式党员",
        "is_flowing": "否",
    }
    row.update(overrides)
    return row


def test_the_import_page_offers_the_upload_and_the_templates(world, page):
    body = html(page(world.a.admin).get(reverse("console:import", args=[world.a.org.pk])))
    assert 'type="file"' in body and "党组织" in body
    for kind in ("members", "orgs"):
        for fmt in ("csv", "xlsx"):
            assert reverse("console:import_template", args=[kind, fmt]) in body


def test_template_downloads_are_real_files(world, page):
    client = page(world.a.admin)
    csv_file = client.get(reverse("console:import_template", args=["members", "csv"]))
    assert csv_file.status_code == 200
    assert "身份证号" in csv_file.content.decode("utf-8-sig")
    xlsx = client.get(reverse("console:import_template", args=["orgs", "xlsx"]))
    assert load_workbook(io.BytesIO(xlsx.content)).active["A1"].value == "组织编码"
    assert client.get("/console/import/template/people.csv").status_code == 404
    assert client.get("/console/import/template/members.pdf").status_code == 404


def test_importing_a_good_file_leads_to_its_job_that_reports_the_counts(
    world, page, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    rows = [import_row(name="导入甲"), import_row(name="导入乙", branch="B-A2")]
    client = page(world.a.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("console:import", args=[world.a.org.pk]),
            {"kind": "members", "file": member_csv(rows)},
        )
    assert response.status_code == 302 and "/console/jobs/" in response["Location"]
    body = html(client.get(response["Location"]))
    assert "导入 2 名党员：新登记 2 名，更新 0 名。" in body
    assert f'href="/console/orgs/{world.a.org.pk}/members/"' in body
    assert Member.objects.filter(name__in=["导入甲", "导入乙"]).count() == 2


def test_importing_a_bad_file_reports_each_row_error_in_chinese_and_imports_nothing(
    world, page, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    rows = [
        import_row(name="好行"),
        import_row(name="", phone="12"),
        import_row(branch="B-B1"),
    ]
    before = Member.objects.count()
    client = page(world.a.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("console:import", args=[world.a.org.pk]),
            {"kind": "members", "file": member_csv(rows)},
        )
    body = html(client.get(response["Location"]))
    assert "未导入任何数据" in body and "第3行" in body and "姓名" in body
    report = b"".join(client.get(response["Location"] + "errors.xlsx").streaming_content)
    cells = [
        str(value)
        for row in load_workbook(io.BytesIO(report)).active.iter_rows(values_only=True)
        for value in row
        if value
    ]
    assert {"3", "4", "姓名", "手机号", "所在党支部"} <= set(cells)
    assert Member.objects.count() == before


def test_importing_organizations_creates_them_under_the_org_as_a_job(
    world, page, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["组织编码", "组织名称", "上级组织编码", "组织类别", "所属领域", "分类"])
    writer.writerow(["B-A7", "汉台区导入党支部", "T-A", "党支部", "农村", ""])
    data = io.BytesIO(out.getvalue().encode("utf-8-sig"))
    data.name = "组织.csv"
    client = page(world.a.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("console:import", args=[world.a.org.pk]), {"kind": "orgs", "file": data}
        )
    body = html(client.get(response["Location"]))
    assert "导入 1 个党组织：新建 1 个，更新 0 个。" in body
    assert f'href="/console/orgs/{world.a.org.pk}/"' in body
    org = Organization.objects.get(code="B-A7")
    assert org.path.startswith(world.a.town.path) and org.kind == OrgKind.BRANCH


def test_an_upload_without_a_file_or_of_the_wrong_type_is_explained(world, page):
    client = page(world.a.admin)
    url = reverse("console:import", args=[world.a.org.pk])
    assert "请选择要导入的文件" in html(client.post(url, {"kind": "members"}))
    pdf = io.BytesIO(b"%PDF-1.4 not a table")
    pdf.name = "名单.pdf"
    assert "只能导入 .xlsx 或 .csv 文件" in html(client.post(url, {"kind": "members", "file": pdf}))


# Audit -----------------------------------------------------------------------------------


def test_the_audit_log_shows_the_scope_in_words(world, page):
    client = page(world.a.admin)
    client.post(
        reverse("console:org_edit", args=[world.a.branch.pk]),
        {"name": "汉台区红旗村党支部", "code": "B-A1", "kind": "branch", "sector": "rural"},
    )
    body = html(client.get(reverse("console:audit")))
    assert "修改组织" in body
    assert "汉台区某村党支部" in body and "汉台区红旗村党支部" in body
    assert "南郑区党员" not in body  # county b's entries are not in scope
    scoped = html(client.get(reverse("console:audit"), {"org": world.a.other_branch.pk}))
    assert "汉台区红旗村党支部" not in scoped


def test_the_audit_log_names_organizations_instead_of_ids(world, page):
    client = page(world.a.admin)
    client.post(reverse("console:member_transfer", args=[world.a.member.pk]), {"to_branch": "B-A2"})
    body = html(client.get(reverse("console:audit")))
    assert "所在党支部" in body
    assert "<del>汉台区某村党支部</del> → 汉台区某社区党支部" in body

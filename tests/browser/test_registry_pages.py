"""The registry pages in a real browser: the login form, the htmx tree and search, the
member list, the import page, and the member's phone profile."""

import csv
import io
import re

import pytest
from playwright.sync_api import expect

from dangjian.demodata import seeding
from dangjian.registry.imports import MEMBER_COLUMNS
from tests.conftest import COMMITTED
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, COMMITTED]


def log_in(page, path: str, phone: str, password: str = PASSWORD) -> None:
    """Open a protected page, get sent to the login form, fill it in and come back."""
    page.goto(page.base + path)
    expect(page).to_have_url(f"{page.base}/login/?next={path}")
    page.get_by_label("手机号").fill(phone)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(page.base + path)


def test_an_admin_browses_the_tree_finds_a_member_and_opens_the_import_page(world, desktop, shot):
    page = desktop
    log_in(page, "/console/", world.a.admin.phone)
    expect(page.locator(".topbar")).to_contain_text("汉台区管理员")

    # The tree: expanding the county loads the town; expanding the town, the branches.
    tree = page.locator("#org-tree")
    expect(tree).to_contain_text("汉台区")
    expect(tree.get_by_text("汉台区某镇党委")).to_have_count(0)
    county = tree.locator(f'li[data-org="{world.a.org.pk}"]')
    county.locator("[data-tree-toggle]").first.click()
    expect(tree.get_by_role("link", name="汉台区某镇党委")).to_be_visible()
    town = tree.locator(f'li[data-org="{world.a.town.pk}"]')
    town.locator("[data-tree-toggle]").first.click()
    expect(tree.get_by_role("link", name="汉台区某村党支部")).to_be_visible()
    expect(tree.get_by_role("link", name="汉台区某社区党支部")).to_be_visible()
    shot(page, "console-tree")
    # A second click folds the town up again.
    town.locator("[data-tree-toggle]").first.click()
    expect(tree.get_by_role("link", name="汉台区某村党支部")).to_be_hidden()

    # The search box finds an organization as one types, with its path.
    page.get_by_placeholder("按名称或组织编码搜索组织").fill("社区")
    results = page.locator("#org-search-results")
    expect(results.get_by_role("link", name="汉台区某社区党支部")).to_be_visible()
    expect(results).to_contain_text("汉台区 › 汉台区某镇党委")
    expect(results).not_to_contain_text("南郑区")

    # The member list: search by name.
    page.locator(".sidebar").get_by_role("link", name="党员管理").click()
    expect(page.get_by_role("heading", name="汉台区 · 党员名册")).to_be_visible()
    page.get_by_label("搜索").fill("汉台区流动党员")
    page.get_by_role("button", name="查询").click()
    expect(page.locator(".summary")).to_have_text("共1名党员")
    row = page.locator("table.members tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(world.a.flowing.id_number_masked)
    expect(row).to_contain_text("流动")
    shot(page, "console-member-search")
    row.get_by_role("link", name="汉台区流动党员").click()
    expect(page.get_by_role("heading", name="汉台区流动党员")).to_be_visible()
    page.get_by_role("button", name="显示完整身份证号").click()
    expect(page.locator("#id-number")).to_have_text(world.a.flowing.reveal_id_number())

    # The import page: a bad file is answered row by row, nothing imported.
    page.locator(".sidebar").get_by_role("link", name="数据导入").click()
    expect(page.get_by_role("heading", name="数据导入 · 汉台区")).to_be_visible()
    expect(page.get_by_role("link", name="Excel（.xlsx）").first).to_be_visible()
    out = io.StringIO()
    csv.writer(out).writerows(
        [[title for _field, title in MEMBER_COLUMNS], ["", "123", "", "", "1", "B-A1"]]
    )
    page.locator('input[type="file"]').set_input_files(
        files=[{"name": "党员.csv", "mimeType": "text/csv", "buffer": out.getvalue().encode()}]
    )
    page.get_by_role("button", name="开始导入").click()
    # The import is a job: its page lists the refused rows once it has finished.
    expect(page).to_have_url(re.compile(r"/console/jobs/\d+/$"))
    errors = page.locator(".import-errors")
    expect(errors).to_contain_text("未导入任何数据")
    expect(errors).to_contain_text("第2行")
    shot(page, "console-import-errors")


def test_an_admin_transfers_a_member_by_picking_the_branch_from_a_search(world, desktop, shot):
    page = desktop
    member = world.a.flowing
    log_in(page, f"/console/members/{member.pk}/transfer/", world.a.admin.phone)
    page.get_by_placeholder("输入名称或编码").fill("社区")
    page.get_by_role("button", name="汉台区某社区党支部").click()
    expect(page.get_by_label("转入党支部")).to_have_value("B-A2")
    page.get_by_label("转接原因").fill("工作调动")
    page.get_by_role("button", name="确认转接").click()
    expect(page).to_have_url(f"{page.base}/console/members/{member.pk}/")
    expect(page.get_by_role("status")).to_contain_text("已将汉台区流动党员转入汉台区某社区党支部")
    expect(page.locator("ul.timeline")).to_contain_text("汉台区某村党支部 → 汉台区某社区党支部")
    shot(page, "console-member-transferred")
    member.refresh_from_db()
    assert member.branch_id == world.a.other_branch.pk


def test_a_member_logs_in_on_a_phone_and_sees_their_profile(world, phone, shot):
    page = phone
    member = world.a.flowing
    log_in(page, "/m/profile/", member.user.phone)
    expect(page.locator(".m-header")).to_contain_text("我的资料")
    expect(page.get_by_role("heading", name=member.name)).to_be_visible()
    expect(page.get_by_text(member.id_number_masked)).to_be_visible()
    expect(page.get_by_text("广东省深圳市")).to_be_visible()
    expect(page.get_by_text(member.reveal_id_number())).to_have_count(0)
    # Laid out for the phone: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "mobile-profile")

    page.locator(".m-back").click()
    expect(page.get_by_text(f"{member.name}同志，您好！")).to_be_visible()
    shot(page, "mobile-home")


def test_the_back_office_on_a_phone_and_on_a_realistic_city(transactional_db, desktop, phone, shot):
    """The demo city (about 1,500 members): the member list as the README shows it, and
    the branch secretary's view of the same pages on a phone."""
    seeding.seed(scale="demo")
    city_admin, secretary = seeding.DEMO_LOGINS[0], seeding.DEMO_LOGINS[2]

    page = desktop
    log_in(page, "/console/", city_admin.phone, seeding.DEMO_PASSWORD)
    page.locator("#org-tree [data-tree-toggle]").first.click()
    expect(page.locator("#org-tree ul.children li").first).to_be_visible()
    page.locator(".sidebar").get_by_role("link", name="党员管理").click()
    expect(page.locator("table.members tbody tr")).to_have_count(50)
    expect(page.locator(".pagination")).to_contain_text("第1页")
    page.get_by_role("link", name="下一页").click()
    expect(page.locator(".pagination")).to_contain_text("第2页")
    page.get_by_role("link", name="上一页").click()
    shot(page, "console-member-list", full_page=False)

    page = phone
    log_in(page, "/console/", secretary.phone, seeding.DEMO_PASSWORD)
    expect(page.locator("#org-tree")).to_contain_text(seeding.DEMO_BRANCH_NAME)
    page.locator(".sidebar").get_by_role("link", name="党员管理").click()
    expect(page.locator("table.members tbody tr").first).to_be_visible()
    # The table scrolls inside its box; the page itself fits the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.locator(".summary").scroll_into_view_if_needed()
    shot(page, "console-member-list-phone", full_page=False)

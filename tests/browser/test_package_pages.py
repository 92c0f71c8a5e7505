"""The month's study package in a real browser (Debian chromium, issue 19): on a phone a
member opens the 学习 page, reads the package's article until the server counts it, takes
the package's quiz against the countdown and sees the result, and the package shows
complete; on the console the city's admin sees the branch's completion.

The package is for the real month on the real clock: the live server runs in this process
and a frozen clock would freeze it too. The minimum reading time is set to a few seconds
(the live server reads the same settings object)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dangjian.core import clock
from dangjian.learning import packages
from dangjian.learning import services as learning
from dangjian.learning.models import Attempt, Reading
from tests.conftest import COMMITTED
from tests.factories import PASSWORD
from tests.learning.articles import published
from tests.learning.quizzes import category, quiz, single, true_false

pytestmark = [pytest.mark.browser, COMMITTED]

READING_SECONDS = 3


def _package(world):
    # A committed test before this one may have flushed the columns the migration made.
    learning.ensure_default_columns()
    article = published(world, title="学习贯彻全会精神")
    cat = category(world)
    one = single(world, cat)
    two = true_false(world, cat)
    now = timezone.now()
    test = quiz(
        world,
        questions=[(one, 1), (two, 1)],
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=1),
        time_limit=timedelta(minutes=10),
    )
    package = packages.create_package(
        actor=world.city_admin,
        org=world.city,
        month=f"{clock.today():%Y-%m}",
        title="本月学习套餐",
        articles=[article],
        quiz=test,
    )
    package = packages.publish_package(actor=world.city_admin, package=package)
    return package, article, test, one, two


def _log_in(page, path, phone):
    page.goto(page.base + path)
    page.get_by_label("手机号").fill(phone)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(page.base + path)


def test_a_member_reads_the_package_passes_its_quiz_and_an_admin_sees_the_branch_complete(
    world, phone, desktop, shot, settings
):
    settings.LEARNING_MIN_READING_SECONDS = READING_SECONDS
    package, article, test, one, two = _package(world)
    member = world.a.member

    _log_in(phone, "/m/learning/", member.user.phone)
    card = phone.get_by_test_id("study-package")
    expect(card).to_contain_text("本月学习套餐")
    expect(card).to_contain_text("必学文章 已学 0/1")
    expect(card).to_contain_text("测试未通过")
    expect(card).not_to_contain_text("已完成")
    shot(phone, "package-phone-before")

    card.get_by_role("link", name=article.title).click()
    expect(phone.get_by_test_id("article")).to_contain_text(article.title)
    reading = phone.get_by_test_id("reading")
    done = reading.get_by_role("button", name="我已读完")
    # The button waits for the server's minimum reading time, then lets the member finish.
    expect(reading).to_contain_text("秒后可确认读完")
    expect(done).to_be_disabled()
    shot(phone, "package-phone-article-reading")
    expect(done).to_be_enabled(timeout=(READING_SECONDS + 5) * 1000)
    done.click()
    expect(reading).to_contain_text("计入学习记录")
    assert Reading.objects.get(member=member, article=article).counted_at is not None

    phone.get_by_role("link", name="返回").click()
    expect(phone).to_have_url(phone.base + "/m/learning/")
    card = phone.get_by_test_id("study-package")
    expect(card).to_contain_text("必学文章 已学 1/1")
    expect(card).to_contain_text("测试未通过")

    card.get_by_role("link", name=test.title).click()
    expect(phone.get_by_test_id("quiz-terms")).to_contain_text("答题时限")
    phone.get_by_role("button", name="开始答题").click()
    expect(phone.get_by_test_id("question")).to_have_count(2)
    expect(phone.get_by_test_id("countdown")).to_contain_text("剩余时间 9:5")
    first = phone.locator(f'fieldset[data-question="{one.pk}"]')
    first.get_by_label("全心全意为人民服务").check()
    expect(first.locator("[data-status]")).to_have_text("已保存")
    second = phone.locator(f'fieldset[data-question="{two.pk}"]')
    second.get_by_label("正确").check()
    expect(second.locator("[data-status]")).to_have_text("已保存")
    phone.once("dialog", lambda dialog: dialog.accept())
    phone.get_by_test_id("submit").click()
    result = phone.get_by_test_id("result")
    expect(result).to_contain_text("得分 100.00 分")
    expect(result).to_contain_text("通过")
    shot(phone, "package-phone-quiz-result")
    attempt = Attempt.objects.get(member=member, quiz=test)
    assert attempt.ended_by == "submitted" and attempt.grade == 100

    phone.goto(phone.base + "/m/learning/")
    card = phone.get_by_test_id("study-package")
    expect(card).to_contain_text("已完成")
    expect(card).to_contain_text("必学文章 已学 1/1")
    expect(card).to_contain_text("测试已通过")
    shot(phone, "package-phone-complete")

    _log_in(desktop, f"/console/learning/packages/{package.pk}/", world.city_admin.phone)
    table = desktop.get_by_test_id("package-completion")
    # Branch a holds the member, a flowing member and its secretary: one of three is done.
    row = table.locator("tbody tr").filter(has_text=world.a.branch.name)
    expect(row.locator("td")).to_have_text(
        ["汉台区", world.a.town.name, world.a.branch.name, "3", "1", "33.3%"]
    )
    other = table.locator("tbody tr").filter(has_text=world.b.branch.name)
    expect(other.locator("td").nth(4)).to_have_text("0")
    shot(desktop, "package-console-completion")

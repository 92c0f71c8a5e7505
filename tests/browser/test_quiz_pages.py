"""A quiz in a real browser (Debian chromium): on a phone a member opens the quiz, starts
it, answers against the countdown (each answer saved as it is chosen), submits and sees
the result; when the countdown reaches zero the page hands the paper in by itself; on the
console the city's admin sees the quiz's results.

The quiz is placed on the real clock: the live server runs in this process and a frozen
clock would freeze it too."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dangjian.learning.models import Attempt
from tests.conftest import COMMITTED
from tests.factories import PASSWORD
from tests.learning.quizzes import category, quiz, single, true_false

pytestmark = [pytest.mark.browser, COMMITTED]


def _quiz(world, time_limit):
    cat = category(world)
    one = single(world, cat)
    two = true_false(world, cat)
    now = timezone.now()
    made = quiz(
        world,
        questions=[(one, 1), (two, 1)],
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=1),
        time_limit=time_limit,
    )
    return made, one, two


def _log_in(page, path, phone):
    page.goto(page.base + path)
    page.get_by_label("手机号").fill(phone)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(page.base + path)


def _start(phone, world, made):
    _log_in(phone, "/m/quizzes/", world.a.member.user.phone)
    phone.get_by_role("link", name=made.title).click()
    expect(phone.get_by_test_id("quiz-terms")).to_contain_text("答题时限")
    phone.get_by_role("button", name="开始答题").click()
    expect(phone.get_by_test_id("question")).to_have_count(2)


def test_a_member_answers_against_the_countdown_submits_and_an_admin_sees_the_results(
    world, phone, desktop, shot
):
    made, one, two = _quiz(world, timedelta(minutes=10))
    _start(phone, world, made)
    countdown = phone.get_by_test_id("countdown")
    expect(countdown).to_contain_text("剩余时间 9:5")  # 9:59 or 9:58, ticking
    first = phone.locator(f'fieldset[data-question="{one.pk}"]')
    first.get_by_label("全心全意为人民服务").check()
    expect(first.locator("[data-status]")).to_have_text("已保存")
    second = phone.locator(f'fieldset[data-question="{two.pk}"]')
    second.get_by_label("正确").check()
    expect(second.locator("[data-status]")).to_have_text("已保存")
    shot(phone, "quiz-phone-attempt")
    phone.once("dialog", lambda dialog: dialog.accept())
    phone.get_by_test_id("submit").click()
    result = phone.get_by_test_id("result")
    expect(result).to_contain_text("得分 100.00 分")
    expect(result).to_contain_text("通过")
    expect(phone.get_by_test_id("review")).to_have_count(2)
    shot(phone, "quiz-phone-result")
    attempt = Attempt.objects.get(member=world.a.member)
    assert attempt.ended_by == "submitted" and attempt.grade == 100

    _log_in(desktop, f"/console/learning/quizzes/{made.pk}/results/", world.city_admin.phone)
    expect(desktop.get_by_test_id("overall")).to_contain_text("参考 1 人，通过 1 人")
    expect(desktop.get_by_test_id("members")).to_contain_text(world.a.member.name)
    expect(desktop.get_by_test_id("by-county")).to_contain_text("汉台区")
    shot(desktop, "quiz-console-results")


def test_the_page_hands_the_paper_in_when_the_countdown_reaches_zero(world, phone, shot):
    made, one, _two = _quiz(world, timedelta(seconds=8))
    _start(phone, world, made)
    first = phone.locator(f'fieldset[data-question="{one.pk}"]')
    first.get_by_label("全心全意为人民服务").check()
    expect(first.locator("[data-status]")).to_have_text("已保存")
    expect(phone.get_by_test_id("result")).to_contain_text("得分 50.00 分", timeout=15_000)
    shot(phone, "quiz-phone-timed-out")
    attempt = Attempt.objects.get(member=world.a.member)
    assert attempt.finished_at is not None and attempt.grade == 50

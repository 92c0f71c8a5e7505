"""The error pages in a real browser, with DEBUG off as in production: a page that raises
shows the Chinese 500 page (standalone, with the request id), an unknown address the 404
page and a form sent without its CSRF token the Chinese CSRF page, each in the site's look.
The page that raises exists only in the tests' URLs (tests/browser/rough_edges_urls.py)."""

import pytest
from playwright.sync_api import expect

from tests.conftest import COMMITTED
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, COMMITTED, pytest.mark.urls("tests.browser.rough_edges_urls")]


def test_a_page_that_raises_shows_the_chinese_500_page_with_its_request_id(desktop, settings, shot):
    assert settings.DEBUG is False

    response = desktop.goto(desktop.base + "/test-only/boom/", timeout=30_000)

    assert response.status == 500
    request_id = response.headers["x-request-id"]
    expect(desktop.get_by_role("heading", name="服务器出错了")).to_be_visible()
    expect(desktop.get_by_test_id("request-id")).to_have_text(request_id)
    expect(desktop.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(desktop.get_by_role("link", name="返回首页")).to_have_attribute("href", "/")
    assert "Server Error" not in desktop.content()
    # Styled like the site: the red band of the top bar.
    band = desktop.locator("header").evaluate("e => getComputedStyle(e).backgroundColor")
    assert band == "rgb(200, 22, 29)"
    shot(desktop, "error-500")


def test_an_unknown_address_shows_the_chinese_404_page(phone, shot):
    response = phone.goto(phone.base + "/m/no-such-page/", timeout=30_000)

    assert response.status == 404
    expect(phone.get_by_role("heading", name="未找到")).to_be_visible()
    expect(phone.get_by_text("您要找的内容不存在，或不在您的管理范围内。")).to_be_visible()
    band = phone.locator("header.topbar").evaluate("e => getComputedStyle(e).backgroundColor")
    assert band == "rgb(200, 22, 29)"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    shot(phone, "error-404")


def test_a_form_whose_token_expired_shows_the_chinese_csrf_page(world, desktop, shot):
    desktop.goto(desktop.base + "/login/", timeout=30_000)
    desktop.get_by_label("手机号").fill(world.a.member.user.phone)
    desktop.get_by_label("密码").fill(PASSWORD)
    # The session and its token are gone (signed out elsewhere, cookies cleared).
    desktop.context.clear_cookies()

    with desktop.expect_response(lambda r: r.request.method == "POST") as answer:
        desktop.get_by_role("button", name="登录").click()

    assert answer.value.status == 403
    expect(desktop.get_by_role("heading", name="页面已过期")).to_be_visible()
    expect(desktop.get_by_text("请返回上一页，刷新后重新提交。")).to_be_visible()
    assert "CSRF verification failed" not in desktop.content()
    shot(desktop, "error-csrf")

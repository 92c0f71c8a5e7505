"""The pages Django answers when a request goes wrong, in Chinese and in the site's look
(core/templates: 400, 403, 404, 403_csrf through error_page.html; 500 standalone):
never Django's English pages. The real-browser test with DEBUG off is
tests/browser/test_error_pages.py."""

import pytest
from django.test import Client, RequestFactory

from dangjian.core import pages
from tests.factories import PASSWORD


def html(response) -> str:
    return response.content.decode()


@pytest.mark.django_db
def test_an_unknown_address_answers_the_chinese_404_page_in_the_sites_look():
    response = Client().get("/no-such-page/")

    assert response.status_code == 404
    body = html(response)
    assert "未找到" in body and "返回首页" in body
    assert 'class="topbar"' in body and "dj/app.css" in body
    assert "Not Found" not in body


@pytest.mark.django_db
def test_a_form_sent_without_its_token_answers_the_chinese_csrf_page(world):
    client = Client(enforce_csrf_checks=True)

    response = client.post("/login/", {"phone": world.a.member.phone, "password": PASSWORD})

    assert response.status_code == 403
    body = html(response)
    assert "页面已过期" in body and "刷新后重新提交" in body
    assert "CSRF verification failed" not in body and "Forbidden" not in body
    assert 'class="topbar"' in body


@pytest.mark.django_db
def test_the_outsider_is_refused_with_the_chinese_403_page(world):
    client = Client()
    client.force_login(world.outsider)

    response = client.get("/console/")

    assert response.status_code == 403
    body = html(response)
    assert "无权操作" in body and 'class="topbar"' in body


def test_the_500_page_renders_without_a_database_or_a_request_context():
    # No django_db mark: any query would fail the test.
    request = RequestFactory().get("/m/")
    request.request_id = "req-7f3a"

    response = pages.server_error(request)

    assert response.status_code == 500
    body = html(response)
    assert "服务器出错了" in body and "req-7f3a" in body
    assert '<html lang="zh-hans">' in body
    assert "Server Error" not in body

"""The back office warns an admin whose browser is on another host than the one the
posters name (SITE_URL): printed posters would send members elsewhere."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

WARNING = 'data-testid="site-address-warning"'


@pytest.mark.parametrize(
    ("site_url", "host", "warned"),
    [
        ("http://127.0.0.1:8000", "dangjian.example.gov.cn", True),
        ("https://dangjian.example.gov.cn", "10.0.0.5:8000", True),
        ("https://dangjian.example.gov.cn", "dangjian.example.gov.cn", False),
        ("https://dangjian.example.gov.cn/", "DANGJIAN.example.gov.cn", False),
        ("http://127.0.0.1:8000", "127.0.0.1:8000", False),
    ],
)
def test_the_console_warns_when_the_browser_is_on_another_host_than_the_posters_name(
    world, page, settings, site_url, host, warned
):
    settings.SITE_URL = site_url
    settings.ALLOWED_HOSTS = ["*"]

    body = page(world.a.admin).get(reverse("console:index"), HTTP_HOST=host).content.decode()

    assert (WARNING in body) is warned
    if warned:
        assert site_url.split("//")[1].rstrip("/") in body
        assert host in body and "SITE_URL" in body


def test_the_warning_is_for_the_back_office_only(world, page, settings):
    settings.SITE_URL = "https://dangjian.example.gov.cn"
    member = page(world.a.member.user).get(reverse("mobile:home"), HTTP_HOST="testserver")
    outsider = page(world.outsider).get(reverse("console:index"), HTTP_HOST="testserver")

    assert member.status_code == 200 and WARNING not in member.content.decode()
    assert WARNING not in outsider.content.decode()

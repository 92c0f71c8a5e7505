"""The site's address: every absolute address handed out is made from SITE_URL by
core.site, and `manage.py check --deploy` fails when production would print a wrong one."""

from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from dangjian.core import site

SRC = Path(__file__).resolve().parents[2] / "src" / "dangjian"


@pytest.mark.parametrize(
    ("debug", "url", "problem"),
    [
        (False, "http://127.0.0.1:8000", "unset"),
        (False, "http://localhost:8000", "local"),
        (False, "https://127.0.0.1", "local"),
        (False, "http://dangjian.example.gov.cn", "not_https"),
        (False, "https://dangjian.example.gov.cn", None),
        (True, "http://127.0.0.1:8000", None),
    ],
)
def test_the_deploy_check_fails_in_production_on_an_address_no_phone_should_print(
    settings, debug, url, problem
):
    settings.DEBUG, settings.SITE_URL = debug, url

    errors = site.check_site_url()

    assert [e.id for e in errors] == ([] if problem is None else ["dangjian.E001"])
    if problem is not None:
        assert site.address_problem() == problem
        assert "SITE_URL" in errors[0].msg
        assert "设置 SITE_URL" in errors[0].hint and "Set SITE_URL" in errors[0].hint


def test_manage_py_check_deploy_names_the_site_address_and_passes_once_it_is_set(settings):
    settings.DEBUG, settings.SITE_URL = False, "http://127.0.0.1:8000"
    with pytest.raises(SystemCheckError, match="dangjian.E001"):
        call_command("check", "--deploy", "--tag", "security")

    settings.SITE_URL = "https://dangjian.example.gov.cn"
    call_command("check", "--deploy", "--tag", "security", "--fail-level", "ERROR")


@pytest.mark.parametrize(
    ("url", "path", "absolute", "host"),
    [
        (
            "https://dj.example.cn",
            "/m/checkin/t/",
            "https://dj.example.cn/m/checkin/t/",
            "dj.example.cn",
        ),
        (
            "https://dj.example.cn:8443/",
            "/m/",
            "https://dj.example.cn:8443/m/",
            "dj.example.cn:8443",
        ),
        (
            "https://dj.example.cn",
            "https://other.example/x",
            "https://other.example/x",
            "dj.example.cn",
        ),
    ],
)
def test_absolute_addresses_are_made_under_the_configured_one(settings, url, path, absolute, host):
    settings.SITE_URL = url
    assert site.absolute_url(path) == absolute
    assert site.site_host() == host
    assert not site.is_other_host(host.upper())
    assert site.is_other_host("127.0.0.1:8000")


def test_no_module_but_core_site_reads_the_site_address_from_the_settings():
    readers = sorted(
        str(p.relative_to(SRC))
        for p in SRC.rglob("*.py")
        if "settings.SITE_URL" in p.read_text(encoding="utf-8")
    )
    assert readers == ["core/site.py"]

"""The `bootstrap` management command, run as an operator runs it."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from dangjian import permissions
from dangjian.audit.models import AuditEntry
from dangjian.registry.models import Member, Organization, RoleGrant, User
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Organization, User, Member, RoleGrant, AuditEntry)
    }


def can_log_in(api, phone: str, password: str) -> bool:
    return api(None).post("/auth/token", {"phone": phone, "password": password}).status_code == 200


def test_bootstrap_creates_the_city_and_its_admin_and_a_second_run_adds_nothing(api):
    args = ("bootstrap", "--city", "汉中市", "--phone", "13912345678", "--password", PASSWORD)
    out = run(*args, "--admin-name", "组织部管理员")
    root = Organization.objects.get()
    admin = User.objects.get(phone="13912345678")
    assert (root.name, root.depth, admin.name) == ("汉中市", 1, "组织部管理员")
    assert permissions.admin_paths(admin) == (root.path,)
    assert "created" in out and "13912345678" in out
    assert can_log_in(api, "13912345678", PASSWORD)

    before = counts()
    again = run(*args)
    assert counts() == before
    assert "already existed" in again


def test_bootstrap_reports_a_bad_phone_or_a_weak_password_and_writes_nothing():
    with pytest.raises(CommandError, match="手机号应为11位大陆手机号码"):
        run("bootstrap", "--city", "汉中市", "--phone", "12345", "--password", PASSWORD)
    with pytest.raises(CommandError):
        run("bootstrap", "--city", "汉中市", "--phone", "13912345678", "--password", "12345678")
    assert not Organization.objects.exists()
    assert not User.objects.exists()

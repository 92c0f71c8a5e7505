"""Accounts in the back office: an admin's own password, a superior resetting a
subordinate admin's password, sign-out-everywhere on the member page, and a member never
registered on an admin's phone."""

import pytest
from django.test import Client
from django.urls import reverse

from dangjian.audit.models import AuditEntry
from dangjian.notifications.models import Notification
from dangjian.registry import services
from dangjian.registry.models import Member
from tests.console.test_pages import import_row, member_csv, member_post
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

NEW = "Qingshan-river-77"


def html(response) -> str:
    return response.content.decode()


def other_session(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def signed_in(client: Client) -> bool:
    return client.get(reverse("console:index")).status_code == 200


# Own password -------------------------------------------------------------------------------


def test_city_staff_without_a_member_record_change_their_own_password(world, page):
    admin = world.city_admin
    assert not Member.objects.filter(user=admin).exists()
    client, elsewhere = page(admin), other_session(admin)
    key, _token = services.issue_api_token(user=admin)
    url = reverse("console:own_password")
    assert reverse("console:own_password") in html(client.get(reverse("console:index")))
    response = client.post(url, {"old_password": PASSWORD, "password": NEW, "password2": NEW})
    assert response.status_code == 302
    admin.refresh_from_db()
    assert admin.check_password(NEW)
    # This session stays; the other one and the API token end.
    assert signed_in(client)
    assert not signed_in(elsewhere)
    assert services.user_for_token(key) is None


@pytest.mark.parametrize(
    "old, new, error",
    [
        ("wrong-old-pass", NEW, "原密码不正确"),
        (PASSWORD, "password123", "密码"),
        (PASSWORD, "13900000001x", "密码"),
    ],
)
def test_a_wrong_old_password_or_a_weak_new_one_is_refused(world, page, old, new, error):
    client = page(world.city_admin)
    body = html(
        client.post(
            reverse("console:own_password"),
            {"old_password": old, "password": new, "password2": new},
        )
    )
    assert error in body and "error" in body
    world.city_admin.refresh_from_db()
    assert world.city_admin.check_password(PASSWORD)


def test_the_own_password_page_is_for_signed_in_admins(world, page):
    url = reverse("console:own_password")
    assert page(None).get(url).status_code == 302
    assert page(world.outsider).get(url).status_code == 403


# A subordinate admin's password -------------------------------------------------------------


def test_the_city_admin_resets_a_county_admins_password(world, page):
    county = world.a.admin
    elsewhere = other_session(county)
    client = page(world.city_admin)
    admins_page = html(client.get(reverse("console:org_admins", args=[world.a.org.pk])))
    url = reverse("console:admin_password", args=[county.pk])
    assert url in admins_page
    response = client.post(url, {"password": NEW, "password2": NEW})
    assert response.status_code == 302
    county.refresh_from_db()
    assert county.check_password(NEW)
    assert not signed_in(elsewhere)
    assert AuditEntry.objects.filter(
        action="user.reset_password", object_id=str(county.pk)
    ).exists()
    assert Notification.objects.filter(user=county, kind="account").exists()


@pytest.mark.parametrize("who", ["b.admin", "a.branch_admin", "a.admin", "outsider"])
def test_nobody_but_a_superior_reaches_the_reset_page(world, page, who):
    actor = world
    for part in who.split("."):
        actor = getattr(actor, part)
    url = reverse("console:admin_password", args=[world.a.admin.pk])
    client = page(actor)
    expected = 403 if who == "outsider" else 404
    assert client.get(url).status_code == expected
    assert client.post(url, {"password": NEW, "password2": NEW}).status_code == expected
    world.a.admin.refresh_from_db()
    assert world.a.admin.check_password(PASSWORD)


def test_a_county_admin_sees_no_reset_link_for_themselves(world, page):
    body = html(page(world.a.admin).get(reverse("console:org_admins", args=[world.a.org.pk])))
    assert reverse("console:admin_password", args=[world.a.admin.pk]) not in body


# Sign out everywhere ------------------------------------------------------------------------


def test_the_member_page_signs_a_member_out_everywhere(world, page):
    member = world.a.member
    phone_session = other_session(member.user)
    assert phone_session.get("/m/").status_code == 200
    key, _token = services.issue_api_token(user=member.user)
    client = page(world.a.branch_admin)
    url = reverse("console:member_sign_out", args=[member.pk])
    assert url in html(client.get(reverse("console:member_detail", args=[member.pk])))
    response = client.post(url, follow=True)
    assert "退出登录" in html(response)
    assert phone_session.get("/m/").status_code == 302
    assert services.user_for_token(key) is None


@pytest.mark.parametrize("who, status", [("b.admin", 404), ("outsider", 403)])
def test_sign_out_everywhere_outside_scope_is_refused(world, page, who, status):
    actor = world
    for part in who.split("."):
        actor = getattr(actor, part)
    phone_session = other_session(world.a.member.user)
    url = reverse("console:member_sign_out", args=[world.a.member.pk])
    assert page(actor).post(url).status_code == status
    assert page(world.a.branch_admin).get(url).status_code == 405
    assert phone_session.get("/m/").status_code == 200


# A member on an admin's phone ---------------------------------------------------------------


def test_the_member_form_refuses_the_county_admins_phone(world, page):
    data = member_post(phone=world.a.admin.phone, name="冒名者")
    response = page(world.a.branch_admin).post(
        reverse("console:member_create", args=[world.a.branch.pk]), data
    )
    assert response.status_code == 200
    assert "该手机号属于一名管理员的账号" in html(response)
    world.a.admin.refresh_from_db()
    assert world.a.admin.name == "汉台区管理员"
    assert not Member.objects.filter(user=world.a.admin).exists()


def test_an_import_row_on_the_county_admins_phone_is_reported_and_nothing_imported(
    world, page, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    rows = [import_row(name="好行"), import_row(name="冒名者", phone=world.a.admin.phone)]
    # The import is a job, queued as the request commits and run at once (eager tasks):
    # the redirect lands on its finished page, which lists the refused rows.
    client = page(world.a.branch_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("console:import", args=[world.a.branch.pk]),
            {"kind": "members", "file": member_csv(rows)},
        )
    assert response["Location"].startswith("/console/jobs/")
    response = client.get(response["Location"])
    assert response.status_code == 200
    body = html(response)
    assert "未导入任何数据" in body
    assert "第3行" in body and "该手机号属于一名管理员的账号" in body
    assert not Member.objects.filter(name__in=["好行", "冒名者"]).exists()
    world.a.admin.refresh_from_db()
    assert world.a.admin.name == "汉台区管理员"

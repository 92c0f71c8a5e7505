"""The member's phone pages: their own record only."""

import pytest
from django.urls import reverse

from dangjian.audit.models import AuditEntry
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def html(response) -> str:
    return response.content.decode()


def test_anonymous_visitors_are_sent_to_the_login_page(world, page):
    for name in ("mobile:home", "mobile:profile"):
        response = page(None).get(reverse(name))
        assert response.status_code == 302
        assert response["Location"] == f"/login/?next={reverse(name)}"


def test_the_home_greets_the_member_with_their_branch(world, page):
    body = html(page(world.a.member.user).get(reverse("mobile:home")))
    assert "汉台区党员同志，您好！" in body
    assert "汉台区某村党支部" in body
    assert reverse("mobile:profile") in body
    assert reverse("console:index") not in body  # not an admin
    # A branch secretary is both: the home offers the way into the back office.
    assert reverse("console:index") in html(page(world.a.branch_admin).get(reverse("mobile:home")))


def test_the_profile_shows_the_members_own_record_with_the_id_masked(world, page):
    member = world.a.flowing
    body = html(page(member.user).get(reverse("mobile:profile")))
    for text in (
        "我的资料",
        member.name,
        "汉台区某村党支部",
        "正式党员",
        "2010-07-01",
        "7月1日",
        member.id_number_masked,
        member.user.phone,
        "广东省深圳市",
    ):
        assert text in body, text
    assert member.reveal_id_number() not in body
    # Nobody else's data.
    assert world.a.member.name + "<" not in body and world.a.member.user.phone not in body


def test_a_user_without_a_member_record_gets_a_friendly_message(world, page):
    for name in ("mobile:home", "mobile:profile"):
        body = html(page(world.outsider).get(reverse(name)))
        assert "没有找到您的党员信息" in body
        assert reverse("console:index") not in body
    admin = html(page(world.a.admin).get(reverse("mobile:profile")))
    assert "没有找到您的党员信息" in admin and reverse("console:index") in admin


def test_a_member_who_left_no_longer_sees_their_record(world, page):
    from dangjian.registry import services

    member = world.a.member
    services.mark_member_left(actor=world.a.admin, member=member)
    body = html(page(member.user).get(reverse("mobile:profile")))
    assert "没有找到您的党员信息" in body and member.id_number_masked not in body


def test_a_member_changes_their_own_password_and_stays_signed_in(world, page):
    user = world.a.member.user
    client = page(user)
    response = client.post(
        reverse("mobile:profile"),
        {
            "old_password": PASSWORD,
            "password": "Hongqi-2026!",
            "password2": "Hongqi-2026!",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Hongqi-2026!")
    after = client.get(reverse("mobile:profile"))
    assert after.status_code == 200 and "密码已修改" in html(after)
    assert AuditEntry.objects.filter(action="user.change_password", object_id=str(user.pk)).exists()


def test_a_wrong_old_password_or_a_weak_new_one_changes_nothing(world, page):
    user = world.a.member.user
    client = page(user)
    url = reverse("mobile:profile")
    wrong = client.post(
        url,
        {"old_password": "nope", "password": "Hongqi-2026!", "password2": "Hongqi-2026!"},
    )
    assert wrong.status_code == 200 and "原密码不正确" in html(wrong)
    mismatch = client.post(
        url,
        {"old_password": PASSWORD, "password": "Hongqi-2026!", "password2": "Other-2026!"},
    )
    assert "两次输入的密码不一致" in html(mismatch)
    weak = client.post(url, {"old_password": PASSWORD, "password": "1234", "password2": "1234"})
    assert weak.status_code == 200 and 'class="field-error"' in html(weak)
    empty = client.post(url, {})
    assert "请输入原密码" in html(empty)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)

"""Taking an account back (registry.accounts): tokens and sessions end together after a
password change or reset, a member marked as left and an admin's sign-out-everywhere."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client

from dangjian.audit.models import AuditEntry
from dangjian.core import clock
from dangjian.core.errors import DomainError
from dangjian.notifications.models import Notification
from dangjian.registry import accounts, services
from dangjian.registry.models import ApiToken, Member
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Qingshan-river-77"


def signed_in(user) -> tuple[str, Client]:
    key, _token = services.issue_api_token(user=user)
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return key, client


def session_works(client: Client) -> bool:
    # The landing page redirects a signed-in user to their pages, anyone else to the login.
    return "/login" not in client.get("/", follow=False)["Location"]


def assert_all_ended(user, key: str, client: Client) -> None:
    assert services.user_for_token(key) is None
    assert not ApiToken.objects.filter(user=user).exists()
    assert not session_works(client)


def test_revoking_all_credentials_ends_every_token_and_session_and_is_audited(world):
    user = world.a.member.user
    key, client = signed_in(user)
    other_key, other_client = signed_in(user)
    assert session_works(client) and services.user_for_token(key) == user
    revoked = accounts.revoke_all_credentials(user=user, actor=world.a.admin, reason="test")
    assert revoked == 2
    assert_all_ended(user, key, client)
    assert_all_ended(user, other_key, other_client)
    entry = AuditEntry.objects.get(action="user.revoke_credentials", object_id=str(user.pk))
    assert entry.after == {"reason": "test", "tokens": 2}
    assert entry.org == world.a.branch


def test_other_accounts_keep_their_sign_ins(world):
    key, client = signed_in(world.a.flowing.user)
    accounts.revoke_all_credentials(user=world.a.member.user, reason="test")
    assert services.user_for_token(key) == world.a.flowing.user
    assert session_works(client)


def test_a_password_set_by_an_admin_ends_every_sign_in(world):
    user = world.a.member.user
    key, client = signed_in(user)
    services.set_member_password(
        actor=world.a.branch_admin, member=world.a.member, password=NEW_PASSWORD
    )
    assert_all_ended(user, key, client)


def test_changing_ones_own_password_ends_every_sign_in(world):
    user = world.a.member.user
    key, client = signed_in(user)
    services.change_own_password(user=user, old_password=PASSWORD, new_password=NEW_PASSWORD)
    assert_all_ended(user, key, client)


def test_a_member_marked_as_left_is_signed_out_everywhere(world):
    user = world.a.member.user
    key, client = signed_in(user)
    services.mark_member_left(actor=world.a.branch_admin, member=world.a.member)
    assert_all_ended(user, key, client)


def test_sign_out_everywhere_by_an_admin_in_scope(world):
    user = world.a.member.user
    key, client = signed_in(user)
    accounts.sign_out_everywhere(actor=world.a.branch_admin, member=world.a.member)
    assert_all_ended(user, key, client)


@pytest.mark.parametrize("who", ["outsider", "other_county_admin", "member_itself"])
def test_sign_out_everywhere_is_refused_outside_scope(world, who):
    actor = {
        "outsider": world.outsider,
        "other_county_admin": world.b.admin,
        "member_itself": world.a.flowing.user,
    }[who]
    key, client = signed_in(world.a.member.user)
    with pytest.raises(DomainError) as exc:
        accounts.sign_out_everywhere(actor=actor, member=world.a.member)
    assert exc.value.code in ("not_found", "forbidden")
    assert services.user_for_token(key) == world.a.member.user
    assert session_works(client)


def test_a_branch_admin_cannot_sign_out_a_county_admin_who_is_their_member(world):
    member = services.create_member(
        actor=world.a.admin, branch=world.a.branch, **_member_data(world.a.admin.phone)
    )
    with pytest.raises(DomainError) as exc:
        accounts.sign_out_everywhere(actor=world.a.branch_admin, member=member)
    assert exc.value.code == "forbidden"


def _member_data(phone: str) -> dict:
    from tests.factories import MemberData

    return dict(MemberData(phone=phone))


def test_a_token_is_revoked_by_its_owner_only(world):
    key, token = services.issue_api_token(user=world.a.member.user)
    with pytest.raises(DomainError) as exc:
        accounts.revoke_token(user=world.b.member.user, token_id=token.pk)
    assert exc.value.code == "not_found"
    assert services.user_for_token(key) == world.a.member.user
    accounts.revoke_token(user=world.a.member.user, token_id=token.pk)
    assert services.user_for_token(key) is None


# Admins' passwords --------------------------------------------------------------------------


def test_a_superior_admin_resets_a_subordinate_admins_password_audited_and_notified(world):
    county_admin = world.a.admin
    key, client = signed_in(county_admin)
    services.reset_admin_password(
        actor=world.city_admin, account=county_admin, password=NEW_PASSWORD
    )
    county_admin.refresh_from_db()
    assert county_admin.check_password(NEW_PASSWORD)
    assert_all_ended(county_admin, key, client)
    assert AuditEntry.objects.filter(
        action="user.reset_password", object_id=str(county_admin.pk), actor=world.city_admin
    ).exists()
    assert Notification.objects.filter(user=county_admin, kind="account").count() == 1


@pytest.mark.parametrize(
    "actor, target",
    [
        ("a.admin", "b.admin"),  # a peer county
        ("a.branch_admin", "a.admin"),  # upwards
        ("a.admin", "a.admin"),  # oneself: change_own_password asks for the old one
        ("outsider", "a.branch_admin"),
        ("a.admin", "a.member.user"),  # not an admin: set_member_password does that
        ("a.admin", "city_admin"),
    ],
)
def test_an_admin_password_reset_is_refused_to_anyone_but_a_superior(world, actor, target):
    def pick(path):
        obj = world
        for part in path.split("."):
            obj = getattr(obj, part)
        return obj

    account = pick(target)
    with pytest.raises(DomainError) as exc:
        services.reset_admin_password(actor=pick(actor), account=account, password=NEW_PASSWORD)
    assert exc.value.code == "not_found"
    account.refresh_from_db()
    assert not account.check_password(NEW_PASSWORD)


def test_a_county_admin_resets_a_branch_admin_in_the_county(world):
    services.reset_admin_password(
        actor=world.a.admin, account=world.a.branch_admin, password=NEW_PASSWORD
    )
    world.a.branch_admin.refresh_from_db()
    assert world.a.branch_admin.check_password(NEW_PASSWORD)


# A new member never takes over an admin's account ------------------------------------------


def test_a_branch_admin_cannot_create_a_member_with_the_county_admins_phone(world):
    name = world.a.admin.name
    with pytest.raises(DomainError) as exc:
        services.create_member(
            actor=world.a.branch_admin,
            branch=world.a.branch,
            **_member_data(world.a.admin.phone) | {"name": "冒名者"},
        )
    assert exc.value.code == "phone_in_use"
    assert exc.value.details["field"] == "phone"
    world.a.admin.refresh_from_db()
    assert world.a.admin.name == name
    assert not Member.objects.filter(user=world.a.admin).exists()


def test_a_county_admin_can_still_register_as_a_member_of_their_county(world):
    member = services.create_member(
        actor=world.a.admin, branch=world.a.branch, **_member_data(world.a.admin.phone)
    )
    assert member.user == world.a.admin


def test_a_peer_county_admin_cannot_attach_the_other_county_admins_account(world):
    with pytest.raises(DomainError) as exc:
        services.create_member(
            actor=world.b.admin, branch=world.b.branch, **_member_data(world.a.admin.phone)
        )
    assert exc.value.code == "phone_in_use"


def test_after_being_signed_out_everywhere_a_fresh_login_works(world):
    user = world.a.member.user
    _key, old = signed_in(user)
    accounts.sign_out_everywhere(actor=world.a.branch_admin, member=world.a.member)
    assert not session_works(old)
    fresh = Client()
    response = fresh.post("/login/", {"phone": user.phone, "password": PASSWORD})
    assert response.status_code == 302
    assert session_works(fresh)
    assert fresh.get("/m/").status_code == 200


def test_expired_tokens_are_forgotten_and_live_ones_kept(world):
    _expired_key, expired = services.issue_api_token(user=world.a.member.user)
    with time_machine.travel(expired.expires_at + timedelta(seconds=1), tick=False):
        _live_key, live = services.issue_api_token(user=world.a.member.user)
        assert clock.now() > expired.expires_at
        assert accounts.forget_expired_tokens() == 1
    assert list(ApiToken.objects.values_list("pk", flat=True)) == [live.pk]

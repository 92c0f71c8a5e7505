"""Accounts that can be taken back over the API: token expiry, the token list, revoking
one, logout, sign-out-everywhere, and a member never created on an admin's phone."""

from datetime import timedelta

import pytest
import time_machine

from dangjian.core import clock
from tests.conftest import token_for
from tests.factories import PASSWORD, MemberData

pytestmark = pytest.mark.django_db


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def test_a_token_lives_thirty_days_by_default_and_then_stops(world, api, settings):
    assert timedelta(days=30) == settings.API_TOKEN_TTL
    client = api(None)
    with time_machine.travel(clock.now(), tick=False) as traveller:
        resp = client.post("/auth/token", {"phone": world.a.member.phone, "password": PASSWORD})
        key = resp.json()["token"]
        traveller.shift(timedelta(days=30) - timedelta(seconds=1))
        assert client.get("/me", headers=bearer(key)).status_code == 200
        traveller.shift(timedelta(seconds=2))
        resp = client.get("/me", headers=bearer(key))
        assert resp.status_code == 401
        assert resp.json()["code"] == "unauthenticated"


def test_logout_revokes_the_token_it_came_with_and_only_that_one(world, api):
    client = api(None)
    key, other = token_for(world.a.member.user), token_for(world.a.member.user)
    assert client.post("/auth/logout", headers=bearer(key)).status_code == 204
    assert client.get("/me", headers=bearer(key)).status_code == 401
    assert client.get("/me", headers=bearer(other)).status_code == 200


def test_logout_needs_a_token(world, api):
    resp = api(None).post("/auth/logout")
    assert resp.status_code == 401


def test_the_owner_lists_their_live_tokens_marking_the_current_one(world, api):
    client = api(None)
    first = token_for(world.a.member.user)
    with time_machine.travel(clock.now() + timedelta(minutes=5), tick=False):
        second = token_for(world.a.member.user)
        token_for(world.b.member.user)  # someone else's: never listed
        resp = client.get("/auth/tokens", headers=bearer(first))
    assert resp.status_code == 200
    tokens = resp.json()
    assert len(tokens) == 2
    assert [t["current"] for t in tokens] == [False, True]
    assert client.get("/me", headers=bearer(second)).status_code == 200


def test_the_owner_revokes_a_token_and_nobody_else_can(world, api):
    client = api(None)
    mine, victim = token_for(world.a.member.user), token_for(world.a.member.user)
    victim_id = next(
        t["id"] for t in client.get("/auth/tokens", headers=bearer(mine)).json() if not t["current"]
    )
    # Another member, an admin over the member and the outsider: not found, token intact.
    for user in (world.b.member.user, world.a.admin, world.outsider):
        resp = api(user).delete(f"/auth/tokens/{victim_id}")
        assert resp.status_code == 404, user
        assert resp.json()["code"] == "not_found"
    assert client.get("/me", headers=bearer(victim)).status_code == 200
    assert client.delete(f"/auth/tokens/{victim_id}", headers=bearer(mine)).status_code == 204
    assert client.get("/me", headers=bearer(victim)).status_code == 401
    assert client.get("/me", headers=bearer(mine)).status_code == 200


def test_sign_out_everywhere_by_an_admin_in_scope_ends_tokens_and_sessions(world, api, page):
    key = token_for(world.a.member.user)
    session = page(world.a.member.user)
    assert session.get("/m/").status_code == 200
    resp = api(world.a.branch_admin).post(f"/members/{world.a.member.pk}/sign-out-everywhere")
    assert resp.status_code == 204
    assert api(None).get("/me", headers=bearer(key)).status_code == 401
    assert session.get("/m/").status_code == 302


@pytest.mark.parametrize(
    "who, status",
    [("b.admin", 404), ("outsider", 404), ("a.flowing.user", 404), ("a.member.user", 403)],
)
def test_sign_out_everywhere_is_refused_outside_scope(world, api, who, status):
    user = world
    for part in who.split("."):
        user = getattr(user, part)
    key = token_for(world.a.member.user)
    resp = api(user).post(f"/members/{world.a.member.pk}/sign-out-everywhere")
    assert resp.status_code == status
    assert api(None).get("/me", headers=bearer(key)).status_code == 200


def test_a_password_set_by_an_admin_and_a_member_marked_as_left_end_the_tokens(world, api):
    admin = api(world.a.branch_admin)
    key = token_for(world.a.member.user)
    resp = admin.post(f"/members/{world.a.member.pk}/password", {"password": "Qingshan-river-77"})
    assert resp.status_code == 204
    assert api(None).get("/me", headers=bearer(key)).status_code == 401
    key = token_for(world.a.flowing.user)
    assert admin.post(f"/members/{world.a.flowing.pk}/leave", {}).status_code == 200
    assert api(None).get("/me", headers=bearer(key)).status_code == 401


def test_a_member_on_the_county_admins_phone_is_refused_with_phone_in_use(world, api):
    data = dict(MemberData(phone=world.a.admin.phone, name="冒名者"))
    data = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in data.items()}
    resp = api(world.a.branch_admin).post("/members", {**data, "branch_id": world.a.branch.pk})
    assert resp.status_code == 409, resp.content
    assert resp.json()["code"] == "phone_in_use"
    world.a.admin.refresh_from_db()
    assert world.a.admin.name == "汉台区管理员"


def test_an_import_row_on_the_county_admins_phone_is_reported_with_phone_in_use(world, api):
    from tests.api.test_imports_api import upload
    from tests.registry.test_imports import as_csv, person

    rows = [person(), person(phone=world.a.admin.phone)]
    resp = upload(
        api(world.a.branch_admin), "/imports/members", as_csv(rows).getvalue(), "党员.csv"
    )
    assert resp.status_code == 422
    assert resp.json()["errors"] == [
        {
            "row": 3,
            "column": "手机号",
            "message": "该手机号属于一名管理员的账号，不能登记为新党员的手机号",
            "code": "phone_in_use",
        }
    ]
    world.a.admin.refresh_from_db()
    assert world.a.admin.name == "汉台区管理员"


def test_the_city_admin_imports_a_county_admin_as_a_member(world, api):
    from tests.api.test_imports_api import upload
    from tests.registry.test_imports import as_csv, person

    rows = [person(phone=world.a.admin.phone)]
    resp = upload(api(world.city_admin), "/imports/members", as_csv(rows).getvalue(), "党员.csv")
    assert resp.status_code == 200, resp.content
    assert resp.json() == {"created": 1, "updated": 0}

import pytest

from dangjian.audit.models import AuditEntry
from dangjian.registry.models import Member, Organization, RoleGrant, Transfer
from tests.factories import PASSWORD, next_phone

pytestmark = pytest.mark.django_db

CLEAR_ID = "610702199001011234"  # born 1990-01-01, male


def member_body(branch, **overrides) -> dict:
    body = {
        "branch_id": branch.pk,
        "name": "张三",
        "gender": "male",
        "birth_date": "1990-01-01",
        "id_number": CLEAR_ID,
        "phone": next_phone(),
        "join_date": "2012-07-01",
        "full_date": "2013-07-01",
        "status": "full",
        "flowing": False,
        "flowing_location": "",
    }
    body.update(overrides)
    return body


def ids(items) -> set[int]:
    return {item["id"] for item in items}


# Organizations ---------------------------------------------------------------------------


def test_the_org_list_is_scoped_and_paginated_as_items_and_count(world, api):
    county_a = {world.a.org.pk, world.a.town.pk, world.a.branch.pk, world.a.other_branch.pk}
    body = api(world.a.admin).get("/orgs").json()
    assert set(body) == {"items", "count"}
    assert body["count"] == 4
    assert ids(body["items"]) == county_a
    # Tree order: a parent comes before its children.
    assert [i["id"] for i in body["items"]][:2] == [world.a.org.pk, world.a.town.pk]

    assert api(world.city_admin).get("/orgs").json()["count"] == 9
    assert ids(api(world.a.member.user).get("/orgs").json()["items"]) == {world.a.branch.pk}
    assert api(world.outsider).get("/orgs").json() == {"items": [], "count": 0}

    first = api(world.a.admin).get("/orgs", {"page_size": 3}).json()
    second = api(world.a.admin).get("/orgs", {"page_size": 3, "page": 2}).json()
    assert (first["count"], len(first["items"]), second["count"], len(second["items"])) == (
        4,
        3,
        4,
        1,
    )
    assert ids(first["items"]) | ids(second["items"]) == county_a


def test_the_org_shape_names_the_parent_and_the_sector_in_chinese(world, api):
    body = api(world.a.admin).get(f"/orgs/{world.a.branch.pk}").json()
    assert body == {
        "id": world.a.branch.pk,
        "parent_id": world.a.town.pk,
        "name": "汉台区某村党支部",
        "code": "B-A1",
        "kind": "branch",
        "sector": "农村",
        "sector_code": "rural",
        "category": "五星",
        "depth": 4,
        "children_count": 0,
        "is_active": True,
    }


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"q": "某村"}, ["a_branch"]),
        ({"q": "B-A2"}, ["a_other"]),
        ({"q": "B-B1"}, []),  # an exact code, but county b's
        ({"kind": "branch"}, ["a_branch", "a_other"]),
        ({"sector": "社区"}, ["a_other"]),
        ({"sector": "community"}, ["a_other"]),
        ({"kind": "committee", "sector": "农村"}, ["a_town"]),
    ],
)
def test_the_org_list_searches_within_the_scope(world, api, params, expected):
    names = {
        "a_branch": world.a.branch,
        "a_other": world.a.other_branch,
        "a_town": world.a.town,
    }
    body = api(world.a.admin).get("/orgs", params).json()
    assert ids(body["items"]) == {names[n].pk for n in expected}
    assert body["count"] == len(expected)


def test_an_unknown_sector_filter_is_refused_rather_than_ignored(world, api):
    resp = api(world.a.admin).get("/orgs", {"sector": "月球"})
    assert resp.status_code == 422, resp.content
    assert (resp.json()["code"], resp.json()["field"]) == ("validation_error", "sector")


def test_an_admin_creates_an_org_in_scope_and_it_is_audited(world, api):
    resp = api(world.a.admin).post(
        "/orgs",
        {"parent_id": world.a.town.pk, "name": "新村党支部", "kind": "branch", "sector": "农村"},
    )
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert (body["parent_id"], body["sector_code"], body["depth"]) == (
        world.a.town.pk,
        "rural",
        world.a.town.depth + 1,
    )
    org = Organization.objects.get(pk=body["id"])
    assert org.path.startswith(world.a.town.path)
    entry = AuditEntry.objects.get(action="org.create", object_id=str(org.pk))
    assert entry.actor == world.a.admin


@pytest.mark.parametrize(
    "overrides, status, code",
    [
        ({"parent_id": "b_town"}, 404, "not_found"),
        ({"parent_id": 999999}, 404, "not_found"),
        ({"parent_id": "a_branch"}, 422, "invalid_parent"),
        ({"sector": "月球"}, 422, "validation_error"),
        ({"kind": "club"}, 422, "validation_error"),
        ({"name": ""}, 422, "validation_error"),
        ({"code": "B-B1"}, 409, "duplicate_code"),
    ],
)
def test_creating_an_org_refuses_with_stable_codes(world, api, overrides, status, code):
    targets = {"b_town": world.b.town.pk, "a_branch": world.a.branch.pk}
    body = {"parent_id": world.a.town.pk, "name": "新村党支部", "kind": "branch", "sector": "农村"}
    body.update({k: targets.get(v, v) for k, v in overrides.items()})
    orgs = Organization.objects.count()
    resp = api(world.a.admin).post("/orgs", body)
    assert resp.status_code == status, resp.content
    assert resp.json()["code"] == code
    assert Organization.objects.count() == orgs


def test_patching_an_org_changes_fields_and_moves_it_with_parent_id(world, api):
    client = api(world.city_admin)
    resp = client.patch(f"/orgs/{world.a.town.pk}", {"name": "改名镇党委", "sector": "社区"})
    assert resp.status_code == 200, resp.content
    assert (resp.json()["name"], resp.json()["sector"]) == ("改名镇党委", "社区")

    resp = client.patch(f"/orgs/{world.a.town.pk}", {"parent_id": world.b.org.pk})
    assert resp.status_code == 200, resp.content
    assert resp.json()["parent_id"] == world.b.org.pk
    town = Organization.objects.get(pk=world.a.town.pk)
    branch = Organization.objects.get(pk=world.a.branch.pk)
    assert branch.path.startswith(town.path) and town.path.startswith(world.b.org.path)
    # County b's admin now lists the moved members in its subtree.
    members = api(world.b.admin).get(f"/orgs/{world.b.org.pk}/members", {"subtree": True}).json()
    assert world.a.member.pk in ids(members["items"])
    assert api(world.a.admin).get(f"/orgs/{world.a.branch.pk}").status_code == 404


def test_patching_an_org_refuses_bad_moves_and_out_of_scope_targets(world, api):
    client = api(world.a.admin)
    paths = dict(Organization.objects.values_list("pk", "path"))
    for org, target, status, code in [
        (world.a.other_branch, world.b.town, 404, "not_found"),
        (world.a.town, world.a.branch, 422, "invalid_parent"),
        (world.a.org, world.a.town, 422, "invalid_parent"),
        (world.a.org, world.b.org, 404, "not_found"),
        (world.b.town, world.a.org, 404, "not_found"),
    ]:
        resp = client.patch(f"/orgs/{org.pk}", {"parent_id": target.pk})
        assert (resp.status_code, resp.json()["code"]) == (status, code), (org, target)
    assert dict(Organization.objects.values_list("pk", "path")) == paths


@pytest.mark.parametrize("field", ["name", "kind", "sector"])
def test_patching_a_required_org_field_to_null_is_a_validation_error(world, api, field):
    resp = api(world.a.admin).patch(f"/orgs/{world.a.town.pk}", {field: None})
    assert resp.status_code == 422, resp.content
    assert (resp.json()["code"], resp.json()["field"]) == ("validation_error", field)
    town = Organization.objects.get(pk=world.a.town.pk)
    assert (town.name, town.kind, town.sector) == ("汉台区某镇党委", "committee", "rural")


def test_a_patch_whose_move_is_refused_changes_no_field_either(world, api):
    client = api(world.a.admin)
    entries = AuditEntry.objects.count()
    for target, status in [(world.b.org, 404), (world.a.branch, 422)]:
        resp = client.patch(
            f"/orgs/{world.a.town.pk}",
            {"name": "半途改名", "category": "x", "parent_id": target.pk},
        )
        assert resp.status_code == status, resp.content
    town = Organization.objects.get(pk=world.a.town.pk)
    assert (town.name, town.category, town.path) == (
        world.a.town.name,
        world.a.town.category,
        world.a.town.path,
    )
    assert AuditEntry.objects.count() == entries


def test_children_lists_the_direct_children_for_admins(world, api):
    body = api(world.a.admin).get(f"/orgs/{world.a.town.pk}/children").json()
    assert ids(body) == {world.a.branch.pk, world.a.other_branch.pk}
    assert all(child["parent_id"] == world.a.town.pk for child in body)
    assert api(world.a.admin).get(f"/orgs/{world.a.org.pk}/children").json()[0]["id"] == (
        world.a.town.pk
    )
    assert api(world.b.admin).get(f"/orgs/{world.a.town.pk}/children").status_code == 404


# Members ---------------------------------------------------------------------------------


def test_members_are_listed_per_branch_or_subtree_with_filters(world, api):
    client = api(world.a.admin)
    a_members = {world.a.member.pk, world.a.flowing.pk, world.a.branch_admin.member.pk}

    def listed(org, **params):
        resp = client.get(f"/orgs/{org.pk}/members", params)
        assert resp.status_code == 200, resp.content
        body = resp.json()
        assert set(body) == {"items", "count"}
        assert body["count"] == len(body["items"])
        return ids(body["items"])

    assert listed(world.a.org) == set()
    assert listed(world.a.org, subtree=True) == a_members
    assert listed(world.a.branch) == a_members
    assert listed(world.a.org, subtree=True, flowing=True) == {world.a.flowing.pk}
    assert listed(world.a.org, subtree=True, flowing=False) == a_members - {world.a.flowing.pk}
    assert listed(world.a.branch, q="流动") == {world.a.flowing.pk}
    assert listed(world.a.branch, q=world.a.member.user.phone) == {world.a.member.pk}
    assert listed(world.a.branch, q=world.a.member.reveal_id_number()) == {world.a.member.pk}
    assert listed(world.a.branch, q=world.b.member.reveal_id_number()) == set()
    assert listed(world.a.branch, status="probationary") == set()
    assert listed(world.a.branch, status="full") == a_members
    assert (
        api(world.city_admin)
        .get(f"/orgs/{world.city.pk}/members", {"subtree": True})
        .json()["count"]
        == 6
    )
    # A member reads the branch but sees only their own record in it.
    mine = api(world.a.member.user).get(f"/orgs/{world.a.branch.pk}/members").json()
    assert ids(mine["items"]) == {world.a.member.pk}
    assert api(world.b.admin).get(f"/orgs/{world.a.branch.pk}/members").status_code == 404


def test_creating_a_member_answers_201_with_the_masked_id_number(world, api):
    body = member_body(world.a.branch)
    resp = api(world.a.branch_admin).post("/members", body)
    assert resp.status_code == 201, resp.content
    out = resp.json()
    assert out["id_number"] == "6107**********1234"
    assert CLEAR_ID not in resp.content.decode()
    assert (out["branch_id"], out["branch_name"], out["phone"], out["status"]) == (
        world.a.branch.pk,
        world.a.branch.name,
        body["phone"],
        "full",
    )
    member = Member.objects.get(pk=out["id"])
    assert member.reveal_id_number() == CLEAR_ID
    got = api(world.a.admin).get(f"/members/{member.pk}").json()
    assert got == out


@pytest.mark.parametrize(
    "overrides, status, code, field",
    [
        ({"birth_date": "yesterday"}, 422, "validation_error", "birth_date"),
        ({"flowing": "perhaps"}, 422, "validation_error", "flowing"),
        ({"gender": "other"}, 422, "validation_error", "gender"),
        ({"id_number": "610702199001011235"}, 422, "invalid_id_number", "id_number"),
        ({"birth_date": "1990-01-02"}, 422, "validation_error", "birth_date"),
        ({"full_date": None}, 422, "validation_error", "full_date"),
        ({"phone": "12345"}, 422, "invalid_phone", "phone"),
        ({"phone": "a_member_phone"}, 409, "duplicate_phone", "phone"),
        ({"id_number": "a_member_id"}, 409, "duplicate_id_number", "id_number"),
    ],
)
def test_creating_a_member_refuses_with_stable_error_shapes(
    world, api, overrides, status, code, field
):
    known = {
        "a_member_phone": world.a.member.user.phone,
        "a_member_id": world.a.member.reveal_id_number(),
    }
    body = member_body(world.a.branch, **{k: known.get(v, v) for k, v in overrides.items()})
    if overrides.get("id_number") == "a_member_id":
        body["birth_date"] = world.a.member.birth_date.isoformat()
    members = Member.objects.count()
    resp = api(world.a.admin).post("/members", body)
    assert resp.status_code == status, resp.content
    error = resp.json()
    assert error["code"] == code
    assert error["message"]
    fields = [e["field"] for e in error.get("errors", [])] + [error.get("field") or ""]
    assert any(f == field or f.endswith("." + field) for f in fields), error
    assert Member.objects.count() == members


def test_a_member_is_created_only_in_a_branch_in_scope(world, api):
    for user, branch, status in [
        (world.b.admin, world.a.branch, 404),
        (world.a.branch_admin, world.a.other_branch, 404),
        (world.a.member.user, world.a.branch, 403),
        (world.outsider, world.a.branch, 404),
    ]:
        resp = api(user).post("/members", member_body(branch))
        assert resp.status_code == status, (user, branch)
    assert not Member.objects.filter(name="张三").exists()


def test_patching_a_member_changes_it_and_reports_validation_errors(world, api):
    client = api(world.a.branch_admin)
    url = f"/members/{world.a.member.pk}"
    resp = client.patch(url, {"flowing": True, "flowing_location": "四川省成都市"})
    assert resp.status_code == 200, resp.content
    assert (resp.json()["flowing"], resp.json()["flowing_location"]) == (True, "四川省成都市")
    entry = AuditEntry.objects.filter(action="member.update").latest("id")
    assert entry.after == {"is_flowing": True, "flowing_location": "四川省成都市"}

    for body, status, code in [
        ({"birth_date": "yesterday"}, 422, "validation_error"),
        ({"id_number": "610702199001011235"}, 422, "invalid_id_number"),
        ({"phone": world.a.flowing.user.phone}, 409, "duplicate_phone"),
        ({"flowing": False, "flowing_location": "x", "status": "probationary"}, 422, None),
    ]:
        resp = client.patch(url, body)
        assert resp.status_code == status, (body, resp.content)
        if code:
            assert resp.json()["code"] == code
    member = Member.objects.get(pk=world.a.member.pk)
    assert (member.is_flowing, member.flowing_location, member.status) == (
        True,
        "四川省成都市",
        "full",
    )


def test_transfer_moves_a_member_and_keeps_history(world, api):
    resp = api(world.a.admin).post(
        f"/members/{world.a.member.pk}/transfer",
        {"branch_id": world.a.other_branch.pk, "reason": "搬家"},
    )
    assert resp.status_code == 200, resp.content
    assert resp.json()["branch_id"] == world.a.other_branch.pk
    transfer = Transfer.objects.get(member=world.a.member)
    assert (transfer.from_branch, transfer.to_branch, transfer.reason) == (
        world.a.branch,
        world.a.other_branch,
        "搬家",
    )
    # Out of scope, or to the branch it is already in: refused, nothing written.
    for user, branch, status, code in [
        (world.a.admin, world.b.branch, 404, "not_found"),
        (world.a.branch_admin, world.a.branch, 404, "not_found"),
        (world.a.admin, world.a.other_branch, 409, "same_branch"),
    ]:
        resp = api(user).post(f"/members/{world.a.member.pk}/transfer", {"branch_id": branch.pk})
        assert (resp.status_code, resp.json()["code"]) == (status, code)
    assert Transfer.objects.filter(member=world.a.member).count() == 1
    assert Member.objects.get(pk=world.a.member.pk).branch == world.a.other_branch


def test_leave_marks_the_member_as_left(world, api):
    resp = api(world.a.admin).post(
        f"/members/{world.a.member.pk}/leave", {"left_at": "2026-03-01", "reason": "去世"}
    )
    assert resp.status_code == 200, resp.content
    assert (resp.json()["is_active"], resp.json()["left_at"]) == (False, "2026-03-01")
    listed = api(world.a.admin).get(f"/orgs/{world.a.branch.pk}/members").json()
    assert world.a.member.pk not in ids(listed["items"])
    left = api(world.a.admin).get(f"/orgs/{world.a.branch.pk}/members", {"active": False}).json()
    assert ids(left["items"]) == {world.a.member.pk}
    resp = api(world.b.admin).post(f"/members/{world.a.flowing.pk}/leave", {})
    assert resp.status_code == 404
    assert Member.objects.get(pk=world.a.flowing.pk).is_active


def test_an_admin_sets_a_password_and_the_member_logs_in_with_it(world, api):
    url = f"/members/{world.a.member.pk}/password"
    resp = api(world.a.branch_admin).post(url, {"password": "Fresh-pass-2026"})
    assert resp.status_code == 204, resp.content
    anon = api(None)
    phone = world.a.member.user.phone
    token = anon.post("/auth/token", {"phone": phone, "password": "Fresh-pass-2026"})
    assert token.status_code == 200, token.content
    me = anon.get("/me", headers={"Authorization": f"Bearer {token.json()['token']}"})
    assert me.json()["member"]["id"] == world.a.member.pk
    old = anon.post("/auth/token", {"phone": phone, "password": PASSWORD})
    assert old.status_code == 401

    weak = api(world.a.branch_admin).post(url, {"password": "123"})
    assert (weak.status_code, weak.json()["code"]) == (422, "weak_password")
    other = api(world.b.admin).post(url, {"password": "Other-pass-2026"})
    assert (other.status_code, other.json()["code"]) == (404, "not_found")
    own = api(world.a.member.user).post(url, {"password": "Other-pass-2026"})
    assert (own.status_code, own.json()["code"]) == (403, "forbidden")


def test_a_branch_admin_cannot_reset_the_password_of_a_county_admin_on_their_roll(world, api):
    county_admin = world.a.admin
    created = api(county_admin).post(
        "/members", member_body(world.a.branch, phone=county_admin.phone)
    )
    assert created.status_code == 201, created.content
    url = f"/members/{created.json()['id']}/password"
    resp = api(world.a.branch_admin).post(url, {"password": "Taken-over-2026"})
    assert (resp.status_code, resp.json()["code"]) == (403, "forbidden")
    login = api(None).post("/auth/token", {"phone": county_admin.phone, "password": PASSWORD})
    assert login.status_code == 200


def test_revealing_the_id_number_is_allowed_in_scope_and_audited(world, api):
    url = f"/members/{world.a.member.pk}/id-number"
    clear = world.a.member.reveal_id_number()
    before = AuditEntry.objects.filter(action="member.reveal_id_number").count()
    for user in (world.a.admin, world.a.member.user):
        resp = api(user).get(url)
        assert resp.status_code == 200, resp.content
        assert resp.json() == {"id_number": clear}
    entries = AuditEntry.objects.filter(action="member.reveal_id_number").order_by("id")
    assert entries.count() == before + 2
    assert [e.actor for e in entries][-2:] == [world.a.admin, world.a.member.user]
    for user in (world.b.admin, world.a.flowing.user, world.outsider):
        resp = api(user).get(url)
        assert (resp.status_code, resp.json()["code"]) == (404, "not_found")
    assert api(None).get(url).status_code == 401
    assert entries.count() == before + 2


def test_admins_are_granted_listed_and_revoked(world, api):
    client = api(world.a.admin)
    url = f"/orgs/{world.a.branch.pk}/admins"
    listed = client.get(url).json()
    assert [(g["user_id"], g["member_id"]) for g in listed] == [
        (world.a.branch_admin.pk, world.a.branch_admin.member.pk)
    ]
    resp = client.post(url, {"member_id": world.a.member.pk})
    assert resp.status_code == 201, resp.content
    assert resp.json() == {
        "org_id": world.a.branch.pk,
        "user_id": world.a.member.user.pk,
        "member_id": world.a.member.pk,
        "name": world.a.member.name,
        "role": "admin",
    }
    assert {g["user_id"] for g in client.get(url).json()} == {
        world.a.branch_admin.pk,
        world.a.member.user.pk,
    }
    # The new admin's token now reaches the branch's other members.
    assert api(world.a.member.user).get(f"/members/{world.a.flowing.pk}").status_code == 200

    resp = client.delete(f"{url}/{world.a.member.user.pk}")
    assert resp.status_code == 204, resp.content
    assert not RoleGrant.objects.filter(user=world.a.member.user).exists()
    assert api(world.a.member.user).get(f"/members/{world.a.flowing.pk}").status_code == 404
    assert client.delete(f"{url}/{world.a.member.user.pk}").status_code == 404


def test_admins_cannot_grant_outside_their_scope_or_to_people_they_cannot_see(world, api):
    grants = RoleGrant.objects.count()
    for user, org, member, status in [
        (world.a.admin, world.b.branch, world.b.member, 404),
        (world.a.admin, world.a.branch, world.b.member, 404),
        (world.a.branch_admin, world.a.town, world.a.member, 404),
        (world.a.member.user, world.a.branch, world.a.member, 403),
    ]:
        resp = api(user).post(f"/orgs/{org.pk}/admins", {"member_id": member.pk})
        assert resp.status_code == status, (user, org, member)
    assert api(world.a.member.user).get(f"/orgs/{world.a.branch.pk}/admins").status_code == 403
    city_admin_grant = f"/orgs/{world.city.pk}/admins/{world.city_admin.pk}"
    assert api(world.a.admin).delete(city_admin_grant).status_code == 404
    assert RoleGrant.objects.count() == grants


# Audit -----------------------------------------------------------------------------------


def test_the_audit_log_is_scoped_to_the_callers_subtree(world, api):
    api(world.a.admin).patch(f"/orgs/{world.a.branch.pk}", {"category": "三星"})
    api(world.b.admin).patch(f"/orgs/{world.b.branch.pk}", {"category": "二星"})

    def entries(user, **params):
        resp = api(user).get("/audit", {"page_size": 500, **params})
        assert resp.status_code == 200, resp.content
        body = resp.json()
        assert set(body) == {"items", "count"}
        return body["items"]

    b_org_ids = set(
        Organization.objects.filter(path__startswith=world.b.org.path).values_list("pk", flat=True)
    )
    a_entries = entries(world.a.admin)
    assert a_entries
    assert not [e for e in a_entries if e["org_id"] in b_org_ids or e["org_id"] is None]
    assert {"org.update", "member.create", "org.create"} <= {e["action"] for e in a_entries}
    update = next(e for e in a_entries if e["action"] == "org.update")
    assert (update["before"], update["after"]) == ({"category": "五星"}, {"category": "三星"})
    assert update["actor"] == str(world.a.admin)
    # Newest first.
    stamps = [e["created_at"] for e in a_entries]
    assert stamps == sorted(stamps, reverse=True)

    assert len(entries(world.city_admin)) > len(a_entries)
    branch_only = entries(world.a.branch_admin)
    assert branch_only and all(e["org_id"] == world.a.branch.pk for e in branch_only)
    assert entries(world.a.member.user) == []
    assert entries(world.outsider) == []

    filtered = entries(world.a.admin, org_id=world.a.branch.pk, object_type="registry.organization")
    assert {e["object_id"] for e in filtered} == {str(world.a.branch.pk)}
    refused = api(world.a.admin).get("/audit", {"org_id": world.b.org.pk})
    assert (refused.status_code, refused.json()["code"]) == (404, "not_found")
    refused = api(world.a.member.user).get("/audit", {"org_id": world.a.branch.pk})
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")


# Errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/orgs/{org}", "/orgs/{org}/children", "/orgs/{org}/members", "/members/{member}"],
)
def test_out_of_scope_and_missing_ids_get_identical_not_found_bodies(world, api, path):
    client = api(world.a.admin)
    hidden = client.get(path.format(org=world.b.branch.pk, member=world.b.member.pk))
    missing = client.get(path.format(org=987654, member=987654))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json() == {"code": "not_found", "message": "未找到该对象。"}
    assert hidden.content == missing.content


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("patch", "/orgs/{org}", {"category": "x"}),
        ("patch", "/members/{member}", {"name": "x"}),
        ("post", "/members/{member}/transfer", {"branch_id": 1}),
        ("post", "/members/{member}/leave", {}),
        ("post", "/orgs/{org}/admins", {"member_id": 1}),
    ],
)
def test_writes_to_hidden_and_missing_ids_are_indistinguishable(world, api, method, path, body):
    client = api(world.a.admin)
    call = getattr(client, method)
    hidden = call(path.format(org=world.b.branch.pk, member=world.b.member.pk), body)
    missing = call(path.format(org=987654, member=987654), body)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content


def test_anonymous_callers_are_unauthenticated_everywhere(world, api):
    anon = api(None)
    for method, path in [
        ("get", "/orgs"),
        ("get", f"/orgs/{world.a.org.pk}"),
        ("post", "/orgs"),
        ("get", f"/members/{world.a.member.pk}"),
        ("post", "/members"),
        ("get", "/audit"),
    ]:
        resp = getattr(anon, method)(path)
        assert resp.status_code == 401, path
        assert resp.json()["code"] == "unauthenticated"

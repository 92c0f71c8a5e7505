"""Required items and the dues register over the API, the outsider included."""

from decimal import Decimal

import pytest
import time_machine

from dangjian.orglife import services
from tests.interaction.conftest import approved_activity, use_tmp_media
from tests.orglife.conftest import AFTER


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    use_tmp_media(settings, tmp_path)


@pytest.fixture
def activity(world):
    return approved_activity(world)


@pytest.fixture
def after():
    with time_machine.travel(AFTER, tick=False) as traveller:
        yield traveller


def put(client, path, data):
    return client._call("put", path, data)


def test_the_secretary_marks_an_item_with_evidence_and_the_sheet_shows_it(
    world, api, activity, after
):
    secretary = api(world.a.branch_admin)
    r = put(
        secretary,
        f"/activities/{activity.pk}/items/deliberation",
        {"is_done": True, "matters": "修缮村道", "decisions": "一致同意"},
    )
    assert r.status_code == 200, r.content
    assert r.json()["is_done"] and r.json()["decisions"] == "一致同意"
    sheet = secretary.get(f"/activities/{activity.pk}/items").json()
    assert sheet["missing"] == ["charter", "dues", "study", "org_life", "disclosure"]
    assert sheet["month"] == "2026-12"
    assert {m["name"] for m in sheet["dues"]["unpaid"]} >= {"汉台区党员"}


def test_an_item_without_its_evidence_is_refused_422(world, api, activity, after):
    r = put(
        api(world.a.branch_admin), f"/activities/{activity.pk}/items/org_life", {"is_done": True}
    )
    assert r.status_code == 422
    assert r.json()["code"] == "evidence_required"


def test_a_member_reads_the_items_without_the_unpaid_list_and_cannot_mark(
    world, api, activity, after
):
    member = api(world.a.member.user)
    sheet = member.get(f"/activities/{activity.pk}/items")
    assert sheet.status_code == 200
    assert sheet.json()["dues"]["unpaid"] is None
    r = put(member, f"/activities/{activity.pk}/items/org_life", {"is_done": True, "text": "记录"})
    assert r.status_code == 403


@pytest.mark.parametrize("who", ["outsider", "other_county_admin", "anonymous"])
def test_others_cannot_see_or_mark_the_items(world, api, activity, after, who):
    user = {"outsider": world.outsider, "other_county_admin": world.b.admin, "anonymous": None}[who]
    client = api(user)
    expected = 401 if user is None else 404
    assert client.get(f"/activities/{activity.pk}/items").status_code == expected
    r = put(client, f"/activities/{activity.pk}/items/org_life", {"is_done": True, "text": "x"})
    assert r.status_code == expected


def test_dues_are_set_recorded_and_shown_in_the_register(world, api, after):
    secretary = api(world.a.branch_admin)
    member = world.a.member
    r = put(
        secretary,
        f"/members/{member.pk}/dues-bases/2026",
        {"category": "employed", "monthly_income": "4321.50"},
    )
    assert r.status_code == 200, r.content
    assert Decimal(r.json()["monthly_amount"]) == Decimal("43.22")
    r = secretary.post(f"/members/{member.pk}/dues", {"month": "2026-12", "method": "wechat"})
    assert r.status_code == 201, r.content
    assert Decimal(r.json()["amount"]) == Decimal("43.22")
    again = secretary.post(f"/members/{member.pk}/dues", {"month": "2026-12", "method": "cash"})
    assert (again.status_code, again.json()["code"]) == (409, "already_paid")
    reg = secretary.get(f"/orgs/{world.a.branch.pk}/dues", {"year": 2026}).json()
    row = next(r for r in reg["rows"] if r["member_id"] == member.pk)
    assert Decimal(row["owed"]) == Decimal("475.42")  # January to November, 11 × 43.22
    assert len(row["unpaid_months"]) == 11
    assert Decimal(row["paid"][11]) == Decimal("43.22")
    unpaid = secretary.get(f"/orgs/{world.a.branch.pk}/dues/unpaid", {"month": "2026-12"}).json()
    assert member.pk not in {m["id"] for m in unpaid}
    assert world.a.flowing.pk in {m["id"] for m in unpaid}


def test_a_member_reads_their_own_dues_but_not_the_register(world, api, after):
    services.record_dues(
        actor=world.a.branch_admin,
        member=world.a.member,
        month="2026-11",
        method="cash",
        amount="10",
    )
    member = api(world.a.member.user)
    own = member.get(f"/members/{world.a.member.pk}/dues", {"year": 2026})
    assert [r["month"] for r in own.json()] == ["2026-11"]
    assert member.get(f"/orgs/{world.a.branch.pk}/dues").status_code == 403
    assert member.get(f"/members/{world.a.flowing.pk}/dues").status_code == 404
    r = member.post(
        f"/members/{world.a.member.pk}/dues", {"month": "2026-12", "method": "cash", "amount": "1"}
    )
    assert r.status_code == 403


@pytest.mark.parametrize("who", ["outsider", "other_county_admin"])
def test_others_cannot_reach_a_branchs_dues(world, api, after, who):
    user = {"outsider": world.outsider, "other_county_admin": world.b.admin}[who]
    record = services.record_dues(
        actor=world.a.branch_admin,
        member=world.a.member,
        month="2026-11",
        method="cash",
        amount="10",
    )
    client = api(user)
    assert client.get(f"/orgs/{world.a.branch.pk}/dues").status_code == 404
    assert client.get(f"/orgs/{world.a.branch.pk}/dues/unpaid").status_code == 404
    assert client.get(f"/members/{world.a.member.pk}/dues").status_code == 404
    r = client.post(
        f"/members/{world.a.member.pk}/dues", {"month": "2026-12", "method": "cash", "amount": "1"}
    )
    assert r.status_code == 404
    assert client.post(f"/dues/{record.pk}/cancel", {"reason": "错"}).status_code == 404


def test_the_secretary_cancels_a_record_with_a_reason(world, api, after):
    record = services.record_dues(
        actor=world.a.branch_admin,
        member=world.a.member,
        month="2026-11",
        method="cash",
        amount="10",
    )
    secretary = api(world.a.branch_admin)
    assert secretary.post(f"/dues/{record.pk}/cancel", {"reason": "重复录入"}).status_code == 204
    assert secretary.get(f"/members/{world.a.member.pk}/dues", {"year": 2026}).json() == []


def test_the_register_exports_as_xlsx_to_its_keepers_only(world, api, after):
    path = f"/orgs/{world.a.branch.pk}/dues/export.xlsx"
    r = api(world.a.branch_admin).get(path, {"year": 2026})
    assert r.status_code == 200 and r.content[:2] == b"PK"
    assert r["Content-Disposition"].startswith("attachment; filename")
    assert r["Cache-Control"] == "no-store"
    assert api(world.a.member.user).get(path).status_code == 403
    assert api(world.outsider).get(path).status_code == 404
    assert api(None).get(path).status_code == 401

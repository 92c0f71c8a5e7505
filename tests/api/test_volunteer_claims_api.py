"""The claims, service and hours endpoints: claim and release, signing at the place,
completion with a photo, the requester's rating, admin-recorded times and make-ups, a
member's hours and the certificate, each with the outsider and a county-B admin."""

from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import MULTIPART_CONTENT

from dangjian.attendance import geo
from dangjian.volunteering.models import Claim, HoursEntry, Order, OrderState
from tests.factories import make_admin
from tests.interaction.conftest import image_bytes
from tests.volunteering.conftest import PLACE, make_category, make_citizen, make_order

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _setup(settings, tmp_path):
    settings.API_TOKEN_TTL = timedelta(days=60)
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def citizen(world):
    return make_citizen(world.a.branch)


@pytest.fixture
def order(world, citizen):
    return make_order(
        citizen, make_category(world.a.org), state=OrderState.PUBLISHED, volunteers_needed=1
    )


def at(when):
    return time_machine.travel(when, tick=False)


def position(metres=20, accuracy=10):
    lat, lon = geo.destination(float(PLACE[0]), float(PLACE[1]), 0, metres)
    return {"latitude": lat, "longitude": lon, "accuracy_m": accuracy, "coord_system": "wgs84"}


def served(api, world, order) -> int:
    member = api(world.a.member.user)
    claim_id = member.post(f"/volunteer/orders/{order.pk}/claims").json()["id"]
    with at(order.wanted_from):
        assert member.post(f"/volunteer/claims/{claim_id}/sign-in", position()).status_code == 200
    with at(order.wanted_from + timedelta(minutes=75)):
        out = member.post(f"/volunteer/claims/{claim_id}/sign-out", position())
        assert out.status_code == 200, out.content
    return claim_id


def test_a_member_claims_and_the_full_order_answers_409_order_full(api, world, order):
    resp = api(world.a.member.user).post(f"/volunteer/orders/{order.pk}/claims")
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert (body["state"], body["order_id"], body["member_name"]) == (
        "claimed",
        order.pk,
        world.a.member.name,
    )
    full = api(world.a.branch_admin).post(f"/volunteer/orders/{order.pk}/claims")
    assert (full.status_code, full.json()["code"]) == (409, "order_full")
    again = api(world.a.member.user).post(f"/volunteer/orders/{order.pk}/claims")
    assert again.status_code == 409
    mine = api(world.a.member.user).get("/volunteer/claims").json()
    assert [c["id"] for c in mine["items"]] == [body["id"]]


def test_the_outsider_and_county_b_cannot_claim_or_see_the_order(api, world, order):
    for user in (world.outsider, world.b.admin, world.b.member.user):
        resp = api(user).post(f"/volunteer/orders/{order.pk}/claims")
        assert (resp.status_code, resp.json()["code"]) == (404, "not_found")
    assert api(None).post(f"/volunteer/orders/{order.pk}/claims").status_code == 401
    assert Order.objects.get(pk=order.pk).claimed_count == 0


def test_the_requester_cannot_claim_their_own_order(api, world, category_free_order):
    order, requester = category_free_order
    resp = api(requester).post(f"/volunteer/orders/{order.pk}/claims")
    assert (resp.status_code, resp.json()["code"]) == (409, "own_order")


@pytest.fixture
def category_free_order(world):
    from dangjian.core import clock
    from dangjian.volunteering.models import Citizen

    now = clock.now()
    own = Citizen.objects.create(
        user=world.a.member.user,
        community=world.a.branch,
        address="某村",
        created_at=now,
        updated_at=now,
    )
    return make_order(own, make_category(world.a.org), state=OrderState.PUBLISHED), own.user


def test_a_release_before_the_start_returns_the_place(api, world, order):
    claim_id = api(world.a.member.user).post(f"/volunteer/orders/{order.pk}/claims").json()["id"]
    for user in (world.outsider, world.b.admin):
        assert api(user).delete(f"/volunteer/claims/{claim_id}").status_code == 404
    resp = api(world.a.member.user).delete(f"/volunteer/claims/{claim_id}")
    assert (resp.status_code, resp.json()["state"]) == (200, "released")
    order.refresh_from_db()
    assert (order.state, order.claimed_count) == (OrderState.PUBLISHED, 0)


def test_signing_out_of_range_answers_out_of_range_and_in_range_works(api, world, order):
    member = api(world.a.member.user)
    claim_id = member.post(f"/volunteer/orders/{order.pk}/claims").json()["id"]
    with at(order.wanted_from):
        far = member.post(f"/volunteer/claims/{claim_id}/sign-in", position(metres=900))
        assert (far.status_code, far.json()["code"]) == (422, "out_of_range")
        assert far.json()["distance_m"] > 800
        bad = member.post(
            f"/volunteer/claims/{claim_id}/sign-in", {**position(), "coord_system": "mars"}
        )
        assert bad.json()["code"] == "invalid_coord_system"
        other = api(world.b.admin).post(f"/volunteer/claims/{claim_id}/sign-in", position())
        assert other.status_code == 404
        ok = member.post(f"/volunteer/claims/{claim_id}/sign-in", position())
        assert (ok.status_code, ok.json()["state"]) == (200, "signed_in")
    with at(order.wanted_from + timedelta(hours=13)):
        late = member.post(f"/volunteer/claims/{claim_id}/sign-out", position())
        assert (late.status_code, late.json()["code"]) == (422, "implausible_duration")


def test_complete_with_a_photo_then_the_requester_rates_once(api, world, order, citizen):
    served(api, world, order)
    files = {
        "note": "已理发",
        "photos": [SimpleUploadedFile("a.jpg", image_bytes(), content_type="image/jpeg")],
    }
    with at(order.wanted_from + timedelta(hours=2)):
        outsider = api(world.outsider).post(
            f"/volunteer/orders/{order.pk}/complete", files, content_type=MULTIPART_CONTENT
        )
        assert outsider.status_code == 404
        files["photos"][0].seek(0)
        resp = api(world.a.member.user).post(
            f"/volunteer/orders/{order.pk}/complete", files, content_type=MULTIPART_CONTENT
        )
    assert resp.status_code == 200, resp.content
    assert resp.json()["state"] == "completed"
    assert HoursEntry.objects.get(member=world.a.member).hours == 1.25
    member_try = api(world.a.member.user).post(
        f"/volunteer/orders/{order.pk}/confirm", {"rating": 5}
    )
    assert (member_try.status_code, member_try.json()["code"]) == (403, "not_the_requester")
    for user in (world.outsider, world.b.admin):
        assert (
            api(user).post(f"/volunteer/orders/{order.pk}/confirm", {"rating": 5}).status_code
            == 404
        )
    assert (
        api(citizen.user).post(f"/volunteer/orders/{order.pk}/confirm", {"rating": 9}).status_code
        == 422
    )
    ok = api(citizen.user).post(
        f"/volunteer/orders/{order.pk}/confirm", {"rating": 5, "comment": "谢谢"}
    )
    assert (ok.status_code, ok.json()["rating"], ok.json()["state"]) == (200, 5, "confirmed")
    twice = api(citizen.user).post(f"/volunteer/orders/{order.pk}/confirm", {"rating": 1})
    assert (twice.status_code, twice.json()["code"]) == (409, "rated_already")


def test_completion_without_evidence_is_refused(api, world, order):
    served(api, world, order)
    resp = api(world.a.member.user).post(
        f"/volunteer/orders/{order.pk}/complete", {}, content_type=MULTIPART_CONTENT
    )
    assert (resp.status_code, resp.json()["code"]) == (422, "evidence_required")


def test_admins_record_times_and_a_second_admin_approves_a_makeup(api, world, order):
    claim_id = api(world.a.member.user).post(f"/volunteer/orders/{order.pk}/claims").json()["id"]
    start = order.wanted_from
    body = {
        "signed_in_at": start.isoformat(),
        "signed_out_at": (start + timedelta(hours=2)).isoformat(),
        "reason": "手机没电，现场无法签到",
    }
    with at(start + timedelta(days=2)):
        for user in (world.outsider, world.b.admin):
            assert (
                api(user).post(f"/volunteer/claims/{claim_id}/record-times", body).status_code
                == 404
            )
        member = api(world.a.member.user).post(f"/volunteer/claims/{claim_id}/record-times", body)
        assert member.status_code == 403
        resp = api(world.a.admin).post(f"/volunteer/claims/{claim_id}/record-times", body)
        assert resp.status_code == 200, resp.content
        got = resp.json()
        assert got["is_recorded_by_admin"] and got["is_makeup"] and got["hours"] == 2.0
        same = api(world.a.admin).post(f"/volunteer/claims/{claim_id}/approve-makeup")
        assert (same.status_code, same.json()["code"]) == (403, "self_approval")
        second = make_admin(world.city_admin, world.a.town, "镇管理员")
        ok = api(second).post(f"/volunteer/claims/{claim_id}/approve-makeup")
        assert ok.status_code == 200 and ok.json()["makeup_approved_at"]
    assert Claim.objects.get(pk=claim_id).makeup_approved_by == second


def test_a_members_hours_for_them_and_their_admins_only(api, world, order):
    served(api, world, order)
    with at(order.wanted_from + timedelta(hours=2)):
        api(world.a.member.user).post(
            f"/volunteer/orders/{order.pk}/complete",
            {"note": "完成"},
            content_type=MULTIPART_CONTENT,
        )
    path = f"/members/{world.a.member.pk}/volunteer-hours"
    for user in (world.a.member.user, world.a.branch_admin, world.a.admin):
        resp = api(user).get(path)
        assert resp.status_code == 200, resp.content
        assert resp.json()["total_hours"] == 1.25
        assert resp.json()["entries"][0]["org_id"] == world.a.branch.pk
    for user in (world.outsider, world.b.admin, world.a.flowing.user):
        assert api(user).get(path).status_code == 404
    entry_id = api(world.a.admin).get(path).json()["entries"][0]["id"]
    for user in (world.outsider, world.b.admin):
        assert (
            api(user).post(f"/volunteer/hours/{entry_id}/reverse", {"reason": "x"}).status_code
            == 404
        )
    assert (
        api(world.a.member.user)
        .post(f"/volunteer/hours/{entry_id}/reverse", {"reason": "x"})
        .status_code
        == 403
    )
    rev = api(world.a.branch_admin).post(f"/volunteer/hours/{entry_id}/reverse", {"reason": "误记"})
    assert (rev.status_code, rev.json()["hours"]) == (201, -1.25)
    assert api(world.a.member.user).get(path).json()["total_hours"] == 0


def test_the_certificate_comes_only_from_the_recording_organization(api, world, order):
    served(api, world, order)
    with at(order.wanted_from + timedelta(hours=2)):
        api(world.a.member.user).post(
            f"/volunteer/orders/{order.pk}/complete",
            {"note": "完成"},
            content_type=MULTIPART_CONTENT,
        )
    path = f"/members/{world.a.member.pk}/volunteer-certificate"
    resp = api(world.a.branch_admin).get(path, {"org_id": world.a.branch.pk})
    assert resp.status_code == 200, resp.content
    assert resp["Content-Type"] == "application/pdf" and resp.content.startswith(b"%PDF")
    assert resp["Content-Disposition"].startswith("attachment; filename")
    assert resp["Cache-Control"] == "no-store"
    elsewhere = api(world.a.admin).get(path, {"org_id": world.a.other_branch.pk})
    assert (elsewhere.status_code, elsewhere.json()["code"]) == (403, "not_recording_org")
    member = api(world.a.member.user).get(path, {"org_id": world.a.branch.pk})
    assert member.status_code in (403, 404)
    for user in (world.outsider, world.b.admin):
        assert api(user).get(path, {"org_id": world.a.branch.pk}).status_code == 404


def test_the_endpoints_are_in_the_openapi_document(api, world):
    paths = api(None).get("/openapi.json").json()["paths"]
    for path in (
        "/api/v1/volunteer/orders/{order_id}/claims",
        "/api/v1/volunteer/claims/{claim_id}",
        "/api/v1/volunteer/claims/{claim_id}/sign-in",
        "/api/v1/volunteer/claims/{claim_id}/sign-out",
        "/api/v1/volunteer/claims/{claim_id}/record-times",
        "/api/v1/volunteer/claims/{claim_id}/approve-makeup",
        "/api/v1/volunteer/orders/{order_id}/complete",
        "/api/v1/volunteer/orders/{order_id}/confirm",
        "/api/v1/members/{member_id}/volunteer-hours",
        "/api/v1/members/{member_id}/volunteer-certificate",
    ):
        assert path in paths, path

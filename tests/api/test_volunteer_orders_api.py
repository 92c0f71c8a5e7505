"""Volunteer orders over the API: a citizen submits and adds photos, the community's admins
publish, decline and cancel, everyone lists and reads what is theirs to read. Every test
asks county B's admin and the outsider too."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.test.client import MULTIPART_CONTENT

from dangjian.notifications.models import Notification
from dangjian.volunteering.models import Order, OrderState
from tests.conftest import token_for
from tests.interaction.conftest import EXECUTABLE, image_bytes, upload, use_tmp_media
from tests.volunteering.conftest import make_category, make_citizen, make_order

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI)
REASON = "该需求属于物业维修范围，请联系物业"


@pytest.fixture(autouse=True)
def _now(settings, tmp_path):
    use_tmp_media(settings, tmp_path)
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def body(category, **overrides) -> dict:
    return {
        "category_id": category.pk,
        "description": "老人腿脚不便，想请人上门理发",
        "address": "某村3组12号",
        "latitude": 33.0678,
        "longitude": 107.0234,
        "coord_system": "wgs84",
        "wanted_from": (NOW + timedelta(days=1)).isoformat(),
        "wanted_until": (NOW + timedelta(days=1, hours=2)).isoformat(),
        **overrides,
    }


def post_photo(user, order_id: int, data: bytes, name="need.jpg"):
    return Client().post(
        f"/api/v1/volunteer/orders/{order_id}/photos",
        {"file": upload(data, name)},
        content_type=MULTIPART_CONTENT,
        headers={"Authorization": f"Bearer {token_for(user)}"},
    )


def get_file(user, url: str):
    headers = {"Authorization": f"Bearer {token_for(user)}"} if user else {}
    return Client().get(url, headers=headers)


@pytest.fixture
def citizen(world):
    return make_citizen(world.a.branch)


@pytest.fixture
def category(world):
    return make_category(world.a.org)


@pytest.fixture
def submitted(api, citizen, category):
    response = api(citizen.user).post("/volunteer/orders", body(category))
    assert response.status_code == 201, response.json()
    return response.json()


def test_a_citizen_submits_an_order_and_adds_a_photo_that_only_its_readers_download(
    api, world, citizen, submitted
):
    assert submitted["state"] == "submitted"
    assert submitted["community_id"] == world.a.branch.pk == submitted["reach_id"]
    assert [e["to_state"] for e in submitted["events"]] == ["submitted"]
    response = post_photo(citizen.user, submitted["id"], image_bytes())
    assert response.status_code == 201, response.json()
    photo = response.json()
    assert photo["kind"] == "request" and photo["width"] == 800
    shown = api(citizen.user).get(f"/volunteer/orders/{submitted['id']}").json()
    assert [p["id"] for p in shown["photos"]] == [photo["id"]]
    for user, status in [
        (citizen.user, 200),
        (world.a.branch_admin, 200),
        (world.a.admin, 200),
        (world.a.member.user, 404),  # not published: members do not see it yet
        (world.b.admin, 404),
        (world.outsider, 404),
        (None, 404),
    ]:
        assert get_file(user, photo["thumbnail_url"]).status_code == status, user
    assert get_file(citizen.user, photo["url"])["Content-Type"] == "image/jpeg"


def test_only_the_requester_adds_photos_and_only_photos(api, world, citizen, submitted):
    order_id = submitted["id"]
    refused = post_photo(citizen.user, order_id, EXECUTABLE, "a.jpg")
    assert (refused.status_code, refused.json()["code"]) == (422, "unsupported_file")
    refused = post_photo(world.a.branch_admin, order_id, image_bytes())
    assert (refused.status_code, refused.json()["code"]) == (403, "not_the_requester")
    for user in (world.b.admin, world.outsider):
        assert post_photo(user, order_id, image_bytes()).status_code == 404


def test_it_refuses_orders_from_anyone_but_a_citizen(api, world, category):
    for user in (world.a.member.user, world.a.branch_admin, world.b.admin, world.outsider):
        response = api(user).post("/volunteer/orders", body(category))
        assert (response.status_code, response.json()["code"]) == (403, "not_a_citizen"), user
    assert api(None).post("/volunteer/orders", body(category)).status_code == 401
    assert not Order.objects.exists()


def test_it_refuses_a_bad_window_and_an_unknown_coordinate_system(api, citizen, category):
    client = api(citizen.user)
    past = body(category, wanted_from=(NOW - timedelta(hours=1)).isoformat())
    response = client.post("/volunteer/orders", past)
    assert (response.status_code, response.json()["code"]) == (422, "invalid_window")
    response = client.post("/volunteer/orders", body(category, coord_system="mars"))
    assert (response.status_code, response.json()["code"]) == (422, "invalid_coord_system")


def test_the_list_is_scoped_filtered_and_paginated(api, world, citizen, category):
    for _ in range(3):
        make_order(citizen, category, state=OrderState.PUBLISHED)
    make_order(citizen, category)
    make_order(citizen, category, state=OrderState.DECLINED)

    def ids(user, query=""):
        response = api(user).get(f"/volunteer/orders{query}")
        assert response.status_code == 200, response.json()
        return response.json()

    assert ids(citizen.user)["count"] == 5
    assert ids(world.a.admin)["count"] == 5
    assert ids(world.a.admin, "?state=submitted")["count"] == 1
    assert ids(world.a.admin, f"?org_id={world.a.branch.pk}")["count"] == 5
    assert ids(world.a.admin, f"?org_id={world.a.other_branch.pk}")["count"] == 0
    assert ids(world.a.member.user)["count"] == 3  # the published ones that reach them
    page = ids(world.a.admin, "?page_size=2")
    assert (page["count"], len(page["items"])) == (5, 2)
    assert ids(world.b.admin)["count"] == 0
    assert ids(world.outsider)["count"] == 0
    assert api(world.b.admin).get(f"/volunteer/orders?org_id={world.a.org.pk}").status_code == 404
    assert api(world.a.admin).get("/volunteer/orders?state=bogus").status_code == 422
    assert api(None).get("/volunteer/orders").status_code == 401


def test_the_admin_publishes_and_members_it_reaches_are_told(api, world, citizen, submitted):
    path = f"/volunteer/orders/{submitted['id']}/publish"
    payload = {"volunteers_needed": 2, "skills": ["理发"], "note": "请带工具"}
    for user, status in [
        (world.b.admin, 404),
        (world.outsider, 404),
        (world.a.member.user, 404),
        (citizen.user, 403),
    ]:
        assert api(user).post(path, payload).status_code == status, user
    response = api(world.a.branch_admin).post(path, payload)
    assert response.status_code == 200, response.json()
    shown = response.json()
    assert (shown["state"], shown["volunteers_needed"], shown["skills"]) == (
        "published",
        2,
        ["理发"],
    )
    assert shown["events"][-1]["note"] == "请带工具"
    assert Notification.objects.filter(
        user=world.a.member.user, kind="volunteer_order_published"
    ).exists()
    assert not Notification.objects.filter(user=world.b.member.user).exists()
    # Now the member it reaches reads it; county B and the outsider still do not.
    assert api(world.a.member.user).get(f"/volunteer/orders/{submitted['id']}").status_code == 200
    for user in (world.b.admin, world.outsider):
        assert api(user).get(f"/volunteer/orders/{submitted['id']}").status_code == 404
    again = api(world.a.branch_admin).post(path, payload)
    assert (again.status_code, again.json()["code"]) == (409, "not_submitted")


def test_the_decline_reason_is_answered_to_the_requester_and_the_admins_only(
    api, world, citizen, category, submitted
):
    path = f"/volunteer/orders/{submitted['id']}"
    empty = api(world.a.branch_admin).post(f"{path}/decline", {"reason": " "})
    assert (empty.status_code, empty.json()["code"]) == (422, "reason_required")
    for user in (world.b.admin, world.outsider):
        assert api(user).post(f"{path}/decline", {"reason": REASON}).status_code == 404
    response = api(world.a.branch_admin).post(f"{path}/decline", {"reason": REASON})
    assert response.status_code == 200
    assert response.json()["decline_reason"] == REASON
    assert api(citizen.user).get(path).json()["decline_reason"] == REASON
    assert api(world.a.admin).get(path).json()["decline_reason"] == REASON
    for user in (world.a.member.user, world.b.admin, world.outsider):
        assert api(user).get(path).status_code == 404
        assert REASON not in api(user).get("/volunteer/orders").content.decode()
    # Not in the history either.
    assert REASON not in str(api(citizen.user).get(path).json()["events"])


def test_a_member_who_reads_an_order_is_never_answered_a_reason(api, world, citizen, category):
    # A reason left on an order members read (as data may hold it) is still not theirs.
    order = make_order(citizen, category, state=OrderState.PUBLISHED)
    Order.objects.filter(pk=order.pk).update(decline_reason=REASON)
    shown = api(world.a.member.user).get(f"/volunteer/orders/{order.pk}")
    assert shown.status_code == 200 and shown.json()["decline_reason"] == ""
    assert api(citizen.user).get(f"/volunteer/orders/{order.pk}").json()["decline_reason"] == (
        REASON
    )
    for user in (world.b.admin, world.outsider):
        assert api(user).get(f"/volunteer/orders/{order.pk}").status_code == 404


def test_cancelling_is_the_requesters_or_an_admins(api, world, citizen, category):
    order = make_order(citizen, category, state=OrderState.PUBLISHED)
    path = f"/volunteer/orders/{order.pk}/cancel"
    refused = api(world.a.member.user).post(path, {"reason": "不想要了"})
    assert (refused.status_code, refused.json()["code"]) == (403, "not_the_requester")
    for user in (world.b.admin, world.outsider):
        assert api(user).post(path, {"reason": "不想要了"}).status_code == 404
    response = api(citizen.user).post(path, {"reason": "不想要了"})
    assert response.status_code == 200 and response.json()["state"] == "cancelled"
    again = api(citizen.user).post(path, {"reason": "不想要了"})
    assert (again.status_code, again.json()["code"]) == (409, "not_cancellable")


def test_the_endpoints_are_in_the_openapi_document(api, world):
    paths = api(world.outsider).get("/openapi.json").json()["paths"]
    for path in (
        "/api/v1/volunteer/orders",
        "/api/v1/volunteer/orders/{order_id}",
        "/api/v1/volunteer/orders/{order_id}/photos",
        "/api/v1/volunteer/orders/{order_id}/publish",
        "/api/v1/volunteer/orders/{order_id}/decline",
        "/api/v1/volunteer/orders/{order_id}/cancel",
    ):
        assert path in paths

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.themedays.models import DEFAULT_REQUIRED_ITEMS, Activity
from tests.themedays.conftest import DAY

pytestmark = pytest.mark.django_db

CAMPAIGN = {
    "month": "2026-12",
    "theme": "学习贯彻全会精神",
    "guidance": "围绕主题开展学习研讨",
    "holding_from": "2026-12-01",
    "holding_until": "2026-12-20",
}


def plan(world, campaign_id, **overrides):
    body = {
        "branch_id": world.a.branch.pk,
        "campaign_id": campaign_id,
        "title": "十二月主题党日",
        "starts_at": DAY.isoformat(),
        "ends_at": DAY.replace(hour=11).isoformat(),
        "venue": {
            "address": "村党员活动室",
            "latitude": 33.0678,
            "longitude": 107.0234,
            "radius_m": 300,
        },
        "agenda": list(DEFAULT_REQUIRED_ITEMS),
    }
    body.update(overrides)
    return body


@pytest.fixture
def campaign_id(world, api, clock):
    resp = api(world.city_admin).post("/campaigns", {"org_id": world.city.pk, **CAMPAIGN})
    assert resp.status_code == 201, resp.content
    assert resp.json()["required_items"] == DEFAULT_REQUIRED_ITEMS
    return resp.json()["id"]


@pytest.fixture(autouse=True)
def _long_tokens(settings):
    # These tests travel days ahead; tokens issued "before" must still work.
    settings.API_TOKEN_TTL = timedelta(days=60)


@pytest.fixture
def clock():
    from tests.themedays.conftest import NOW

    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def test_distribution_reports_counts_and_a_second_click_adds_nothing(
    world, api, campaign_id, django_capture_on_commit_callbacks
):
    client = api(world.city_admin)
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(f"/campaigns/{campaign_id}/distribute")
    assert first.status_code == 202  # the work ran after the response's transaction
    body = client.get(f"/campaigns/{campaign_id}").json()["distribution"]
    assert body["status"] == "done"
    assert body["branches"] == 4
    assert body["members_notified"] == 6
    with django_capture_on_commit_callbacks(execute=True):
        second = client.post(f"/campaigns/{campaign_id}/distribute")
    # A second click is run again (branches or members may have appeared), as a job of its own.
    assert second.json() == {
        "status": "done",
        "branches": 4,
        "members_notified": 6,
        "already_distributed": True,
        "job_id": second.json()["job_id"],
    }
    assert second.json()["job_id"] != first.json()["job_id"]
    inbox = api(world.a.member.user).get("/notifications").json()
    assert inbox["count"] == 1
    assert "学习贯彻全会精神" in inbox["items"][0]["title"]


def test_a_county_admin_cannot_distribute_the_citys_campaign(world, api, campaign_id):
    resp = api(world.a.admin).post(f"/campaigns/{campaign_id}/distribute")
    assert resp.status_code == 403
    assert resp.json()["code"] == "forbidden"
    resp = api(world.outsider).post(f"/campaigns/{campaign_id}/distribute")
    assert resp.status_code == 404


def test_a_plan_missing_a_required_item_is_refused_with_the_missing_ones(world, api, campaign_id):
    agenda = DEFAULT_REQUIRED_ITEMS[1:]
    resp = api(world.a.branch_admin).post("/activities", plan(world, campaign_id, agenda=agenda))
    assert resp.status_code == 422
    assert resp.json()["code"] == "required_items_missing"
    assert resp.json()["missing"] == [DEFAULT_REQUIRED_ITEMS[0]]


def test_the_plan_life_cycle_over_the_api(world, api, campaign_id):
    branch = api(world.a.branch_admin)
    resp = branch.post("/activities", plan(world, campaign_id))
    assert resp.status_code == 201, resp.content
    activity = resp.json()
    assert activity["status"] == "draft"
    assert activity["roster_size"] == 3
    assert activity["checkin_url"] is None
    aid = activity["id"]

    assert branch.post(f"/activities/{aid}/submit").json()["status"] == "submitted"
    own = branch.post(f"/activities/{aid}/reject", {"reason": "自己审自己"})
    assert own.status_code == 403
    other = api(world.b.admin).post(f"/activities/{aid}/approve")
    assert other.status_code == 404

    approved = api(world.a.admin).post(f"/activities/{aid}/approve")
    assert approved.status_code == 200
    body = branch.get(f"/activities/{aid}").json()
    assert body["status"] == "approved"
    assert body["checkin_url"].startswith("http://127.0.0.1:8000/m/checkin/")
    assert [h["action"] for h in body["history"]] == ["draft", "submit", "approve"]
    # A member of the branch reads it, without the check-in secret.
    seen = api(world.a.member.user).get(f"/activities/{aid}").json()
    assert seen["checkin_url"] is None

    edited = branch.patch(f"/activities/{aid}", {"title": "十二月主题党日（调整）"})
    assert edited.json()["status"] == "submitted"

    with time_machine.travel(DAY + timedelta(hours=1), tick=False):
        late = branch.post(f"/activities/{aid}/submit")
    assert late.status_code in (409,)


def test_a_plan_submitted_after_its_start_is_refused_then_recorded_late(world, api, campaign_id):
    branch = api(world.a.branch_admin)
    aid = branch.post("/activities", plan(world, campaign_id)).json()["id"]
    with time_machine.travel(DAY + timedelta(days=1), tick=False):
        refused = branch.post(f"/activities/{aid}/submit")
        assert refused.status_code == 409
        assert refused.json()["code"] == "start_passed"
        late = branch.post(f"/activities/{aid}/late-record", {"reason": "当天停电未能录入"})
        assert late.json()["is_late_record"] is True
        queue = api(world.a.admin).get("/reviews").json()
    assert [a["id"] for a in queue["items"]] == [aid]
    assert queue["items"][0]["is_late_record"] is True


def test_progress_counts_branches_per_stage(world, api, campaign_id):
    branch = api(world.a.branch_admin)
    aid = branch.post("/activities", plan(world, campaign_id)).json()["id"]
    branch.post(f"/activities/{aid}/submit")
    resp = api(world.city_admin).get(f"/campaigns/{campaign_id}/progress")
    assert resp.status_code == 200
    counts = resp.json()["counts"]
    assert counts == {"none": 3, "draft": 0, "submitted": 1, "approved": 0, "held": 0, "closed": 0}
    county = (
        api(world.a.admin)
        .get(f"/campaigns/{campaign_id}/progress", {"org_id": world.a.org.pk})
        .json()
    )
    assert county["counts"]["submitted"] == 1
    assert {b["branch_id"] for b in county["branches"]} == {
        world.a.branch.pk,
        world.a.other_branch.pk,
    }
    # County a's admin cannot look at county b's progress.
    other = api(world.a.admin).get(f"/campaigns/{campaign_id}/progress", {"org_id": world.b.org.pk})
    assert other.status_code == 404


def test_notifications_can_be_marked_read_only_by_their_owner(world, api):
    from dangjian.notifications import services

    services.notify(user_ids=[world.a.member.user_id], kind="test", title="通知")
    mine = api(world.a.member.user)
    notice = mine.get("/notifications").json()["items"][0]
    assert mine.get("/notifications/unread-count").json() == {"unread": 1}
    assert api(world.b.member.user).post(f"/notifications/{notice['id']}/read").status_code == 404
    assert mine.post(f"/notifications/{notice['id']}/read").status_code == 204
    assert mine.get("/notifications/unread-count").json() == {"unread": 0}


def test_political_birthdays_list_members_who_joined_in_the_month(world, api):
    resp = api(world.a.branch_admin).get(
        f"/orgs/{world.a.branch.pk}/birthdays", {"month": 7, "year": 2026}
    )
    assert resp.status_code == 200
    names = {row["name"] for row in resp.json()}
    assert world.a.member.name in names
    assert all(row["years"] == 16 for row in resp.json())
    assert (
        api(world.b.admin).get(f"/orgs/{world.a.branch.pk}/birthdays", {"month": 7}).status_code
        == 404
    )


def test_the_review_queue_answers_in_the_same_queries_however_many_plans_wait(
    world, api, campaign_id
):
    city = api(world.city_admin)

    def submit(branch, admin):
        body = plan(world, campaign_id, branch_id=branch.pk)
        aid = api(admin).post("/activities", body).json()["id"]
        assert api(admin).post(f"/activities/{aid}/submit").status_code == 200
        return aid

    first = submit(world.a.branch, world.a.branch_admin)
    with CaptureQueriesContext(connection) as one:
        assert [a["id"] for a in city.get("/reviews").json()["items"]] == [first]
    submit(world.a.other_branch, world.a.admin)
    submit(world.b.branch, world.b.branch_admin)
    with CaptureQueriesContext(connection) as three:
        queue = city.get("/reviews").json()["items"]
    assert len(queue) == 3
    assert len(three.captured_queries) == len(one.captured_queries)
    # The annotated counts are those the single activity answers.
    for item in queue:
        alone = city.get(f"/activities/{item['id']}").json()
        for key in ("roster_size", "like_count", "comment_count", "history"):
            assert item[key] == alone[key], key


# The start and the late-record rule, impossible dates, partial venues --------------------


def submitted_plan(world, api, campaign_id) -> int:
    branch = api(world.a.branch_admin)
    aid = branch.post("/activities", plan(world, campaign_id)).json()["id"]
    assert branch.post(f"/activities/{aid}/submit").status_code == 200
    return aid


PASSED = {
    "starts_at": DAY.replace(day=1, hour=7).isoformat(),
    "ends_at": DAY.replace(day=1, hour=8).isoformat(),
}


def test_a_plan_is_neither_moved_to_a_passed_start_nor_approved_after_it(world, api, campaign_id):
    aid = submitted_plan(world, api, campaign_id)
    branch, county = api(world.a.branch_admin), api(world.a.admin)
    moved = branch.patch(f"/activities/{aid}", PASSED)
    assert moved.status_code == 409
    assert moved.json()["code"] == "start_passed" and moved.json()["field"] == "starts_at"
    assert api(world.outsider).patch(f"/activities/{aid}", PASSED).status_code == 404

    with time_machine.travel(DAY + timedelta(minutes=1), tick=False):
        late = county.post(f"/activities/{aid}/approve")
        assert late.status_code == 409 and late.json()["code"] == "start_passed"
        body = county.get(f"/activities/{aid}").json()
    assert body["status"] == "submitted" and body["is_late_record"] is False
    assert datetime.fromisoformat(body["starts_at"]) == DAY


def test_an_approved_plan_cannot_be_moved_to_a_passed_start(world, api, campaign_id):
    aid = submitted_plan(world, api, campaign_id)
    assert api(world.a.admin).post(f"/activities/{aid}/approve").status_code == 200
    moved = api(world.a.branch_admin).patch(f"/activities/{aid}", PASSED)
    assert moved.status_code == 409 and moved.json()["code"] == "start_passed"
    body = api(world.a.admin).get(f"/activities/{aid}").json()
    assert body["status"] == "approved"
    assert datetime.fromisoformat(body["starts_at"]) == DAY


FAR_PAST = datetime(1, 1, 1, tzinfo=UTC)
FAR_FUTURE = datetime(9999, 12, 31, 23, 0, tzinfo=UTC)


@pytest.mark.parametrize("starts_at", [FAR_PAST, FAR_FUTURE], ids=["year-1", "year-9999"])
def test_an_impossible_date_is_refused_before_anything_is_written(world, api, clock, starts_at):
    branch = api(world.a.branch_admin)
    body = plan(
        world,
        None,
        starts_at=starts_at.isoformat(),
        ends_at=(starts_at + timedelta(minutes=30)).isoformat(),
    )
    refused = branch.post("/activities", body)
    assert refused.status_code == 422
    assert refused.json()["code"] == "validation_error"
    assert refused.json()["field"] == "starts_at"
    assert "2000" in refused.json()["message"]
    assert not Activity.objects.exists()

    aid = branch.post("/activities", plan(world, None)).json()["id"]
    edit = {"starts_at": body["starts_at"], "ends_at": body["ends_at"]}
    assert branch.patch(f"/activities/{aid}", edit).status_code == 422
    assert branch.patch(f"/activities/{aid}", {"ends_at": body["ends_at"]}).status_code == 422
    assert api(world.outsider).patch(f"/activities/{aid}", {"title": "改"}).status_code == 404
    assert Activity.objects.get(pk=aid).starts_at == DAY


@pytest.mark.parametrize("starts_at", [FAR_PAST, FAR_FUTURE], ids=["year-1", "year-9999"])
def test_an_activity_stored_with_an_impossible_date_still_reads(world, api, campaign_id, starts_at):
    aid = submitted_plan(world, api, campaign_id)
    # As the API stored it before dates were checked.
    Activity.objects.filter(pk=aid).update(
        starts_at=starts_at, ends_at=starts_at + timedelta(minutes=30)
    )
    for user in (world.a.admin, world.city_admin):
        client = api(user)
        one = client.get(f"/activities/{aid}")
        assert one.status_code == 200, user
        assert one.json()["starts_at"][:4] == f"{starts_at.year:04d}"
        assert one.json()["checkout_closes_at"][:4] == f"{starts_at.year:04d}"
        queue = client.get("/reviews")
        assert queue.status_code == 200, user
        assert [a["id"] for a in queue.json()["items"]] == [aid]
    assert api(world.outsider).get(f"/activities/{aid}").status_code == 404


def test_a_partial_venue_keeps_the_fields_it_leaves_out(world, api, campaign_id):
    branch = api(world.a.branch_admin)
    aid = branch.post("/activities", plan(world, campaign_id)).json()["id"]
    url = f"/activities/{aid}"
    # Without radius_m, as a client that does not change it sends it.
    venue = {"address": "村党群服务中心", "latitude": 33.07, "longitude": 107.03}
    moved = branch.patch(url, {"venue": venue})
    assert moved.status_code == 200, moved.content
    assert moved.json()["venue"] == {**venue, "radius_m": 300}
    nudged = branch.patch(url, {"venue": {"latitude": 33.071}})
    assert nudged.json()["venue"] == {**venue, "latitude": 33.071, "radius_m": 300}
    wider = branch.patch(url, {"venue": {"radius_m": 500}}).json()["venue"]
    assert wider == {**nudged.json()["venue"], "radius_m": 500}
    too_wide = branch.patch(url, {"venue": {"radius_m": 50000}})
    assert too_wide.status_code == 422 and too_wide.json()["field"] == "radius_m"
    assert api(world.outsider).patch(url, {"venue": {"radius_m": 400}}).status_code == 404


def test_a_full_venue_replaces_the_stored_one(world, api, campaign_id):
    branch = api(world.a.branch_admin)
    aid = branch.post("/activities", plan(world, campaign_id)).json()["id"]
    venue = {"address": "镇文化广场", "latitude": 33.1, "longitude": 107.1, "radius_m": 800}
    resp = branch.patch(f"/activities/{aid}", {"venue": venue})
    assert resp.status_code == 200
    assert resp.json()["venue"] == venue
    assert branch.get(f"/activities/{aid}").json()["venue"] == venue


def test_null_fields_of_an_edit_leave_the_plan_as_it_is(world, api, campaign_id):
    branch = api(world.a.branch_admin)
    aid = branch.post("/activities", plan(world, campaign_id)).json()["id"]
    edit = {"title": None, "starts_at": None, "venue": None, "checkin_opens_before_min": None}
    resp = branch.patch(f"/activities/{aid}", edit)
    assert resp.status_code == 200, resp.content
    assert resp.json()["title"] == "十二月主题党日"
    assert datetime.fromisoformat(resp.json()["starts_at"]) == DAY
    opens = datetime.fromisoformat(resp.json()["checkin_opens_at"])
    assert opens == DAY - timedelta(minutes=30)

"""Record review over the API: the queue, send back, resubmit, pass, the history; only the
superiors of the branch decide, only its own admins resubmit, the rest get 404."""

from datetime import date, timedelta

import pytest

from dangjian.supervision.models import RecordReview
from tests.scoring.conftest import NOW, clock, make_activity  # noqa: F401

pytestmark = pytest.mark.django_db
DEADLINE = (NOW.date() + timedelta(days=7)).isoformat()


@pytest.fixture
def record(world, clock):  # noqa: F811
    return make_activity(world.a.branch, date(2026, 12, 1))


def test_a_record_sent_back_resubmitted_and_passed_over_the_api(world, record, api):
    county, branch = api(world.a.admin), api(world.a.branch_admin)
    queue = county.get("/record-reviews/queue").json()
    assert [i["activity_id"] for i in queue["items"]] == [record.pk]
    assert queue["items"][0]["is_thin_summary"] is True and queue["items"][0]["review"] is None

    r = county.post(
        f"/activities/{record.pk}/record-review/send-back",
        {"reason": "缺少现场照片", "deadline": DEADLINE},
    )
    assert r.status_code == 200, r.content
    review = r.json()
    assert (review["status"], review["reason"], review["deadline"]) == (
        "sent_back",
        "缺少现场照片",
        DEADLINE,
    )
    assert county.get("/record-reviews/queue").json()["count"] == 0
    waiting = county.get("/record-reviews/queue", {"state": "sent_back"}).json()["items"]
    assert waiting[0]["review"]["status"] == "sent_back"

    mine = branch.get("/record-reviews/sent-back").json()["items"]
    assert [m["id"] for m in mine] == [review["id"]]
    r = branch.post(f"/record-reviews/{review['id']}/resubmit", {"note": "已补充照片"})
    assert r.json()["status"] == "resubmitted"
    r = branch.post(f"/record-reviews/{review['id']}/resubmit", {})
    assert (r.status_code, r.json()["code"]) == (409, "not_sent_back")

    r = county.post(f"/activities/{record.pk}/record-review/pass", {"remark": "合格"})
    assert r.json()["status"] == "passed"
    history = county.get(f"/record-reviews/{review['id']}").json()["events"]
    assert [(e["action"], e["text"]) for e in history] == [
        ("send_back", "缺少现场照片"),
        ("resubmit", "已补充照片"),
        ("pass", "合格"),
    ]
    r = county.post(f"/activities/{record.pk}/record-review/pass", {})
    assert (r.status_code, r.json()["code"]) == (409, "already_reviewed")


def test_a_deadline_before_today_is_refused(world, record, api):
    r = api(world.a.admin).post(
        f"/activities/{record.pk}/record-review/send-back",
        {"reason": "缺少照片", "deadline": "2026-12-31"},
    )
    assert (r.status_code, r.json()["code"]) == (422, "validation_error")


@pytest.mark.parametrize(
    ("who", "status"),
    [("branch_admin", 403), ("other_county", 404), ("outsider", 404), ("anonymous", 401)],
)
def test_only_the_superiors_send_back_or_pass(world, record, api, who, status):
    user = {
        "branch_admin": world.a.branch_admin,
        "other_county": world.b.admin,
        "outsider": world.outsider,
        "anonymous": None,
    }[who]
    client = api(user)
    for path, body in (
        (f"/activities/{record.pk}/record-review/send-back", {"reason": "x", "deadline": DEADLINE}),
        (f"/activities/{record.pk}/record-review/pass", {}),
    ):
        assert client.post(path, body).status_code == status
    assert not RecordReview.objects.exists()


@pytest.mark.parametrize(
    ("who", "status"),
    [("county", 403), ("other_branch", 404), ("outsider", 404), ("anonymous", 401)],
)
def test_only_the_branch_s_own_admins_resubmit_and_the_others_do_not_read(
    world, record, api, who, status
):
    review = api(world.a.admin).post(
        f"/activities/{record.pk}/record-review/send-back",
        {"reason": "缺少照片", "deadline": DEADLINE},
    )
    review_id = review.json()["id"]
    user = {
        "county": world.a.admin,
        "other_branch": world.b.branch_admin,
        "outsider": world.outsider,
        "anonymous": None,
    }[who]
    client = api(user)
    assert client.post(f"/record-reviews/{review_id}/resubmit", {}).status_code == status
    read = client.get(f"/record-reviews/{review_id}").status_code
    assert read == (200 if who == "county" else status)
    if user is not None:
        assert client.get("/record-reviews/sent-back").json()["items"] == []


def test_the_queue_is_empty_for_those_who_review_nothing(world, record, api):
    for user in (world.a.branch_admin, world.b.admin, world.outsider):
        assert api(user).get("/record-reviews/queue").json()["count"] == 0
    assert api(world.city_admin).get("/record-reviews/queue").json()["count"] == 1
    r = api(world.b.admin).get("/record-reviews/queue", {"org_id": world.a.org.pk})
    assert r.status_code == 404


def test_the_queue_is_read_a_period_at_a_time(world, record, api):
    older = make_activity(world.a.branch, date(2026, 10, 1))
    county = api(world.a.admin)
    latest = county.get("/record-reviews/queue").json()["items"]
    assert [i["activity_id"] for i in latest] == [record.pk]
    october = county.get("/record-reviews/queue", {"period": "2026-10"}).json()["items"]
    assert [i["activity_id"] for i in october] == [older.pk]
    r = county.get("/record-reviews/queue", {"period": "2026-13"})
    assert (r.status_code, r.json()["code"]) == (422, "validation_error")

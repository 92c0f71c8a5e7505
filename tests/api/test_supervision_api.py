"""POST /orgs/{id}/spot-checks and the rectification endpoints."""

from datetime import timedelta

import pytest
import time_machine
from django.test.client import MULTIPART_CONTENT

from tests.scoring.conftest import NOW, clock  # noqa: F401
from tests.scoring.test_rankings import set_month

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _setup(settings, tmp_path):
    settings.API_TOKEN_TTL = timedelta(days=60)
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def december(world):
    from datetime import date

    for branch, score in (
        (world.a.branch, 9000),
        (world.a.other_branch, 3000),
        (world.b.branch, 8000),
        (world.b.other_branch, 1000),
    ):
        set_month(branch, date(2026, 12, 1), score)


def test_a_spot_check_with_a_seed_is_reproducible(world, api, december, clock):  # noqa: F811
    client = api(world.city_admin)
    body = {"period": "2026-12", "size": 2, "seed": 2026, "weight_low_scores": True}
    first = client.post(f"/orgs/{world.city.pk}/spot-checks", body)
    assert first.status_code == 201, first.content
    second = client.post(f"/orgs/{world.city.pk}/spot-checks", body)
    a, b = first.json(), second.json()
    assert a["id"] != b["id"]
    assert [i["branch_id"] for i in a["items"]] == [i["branch_id"] for i in b["items"]]
    assert (a["seed"], a["population"], a["size"], a["period"]) == (2026, 4, 2, "2026-12")
    assert [i["position"] for i in a["items"]] == [1, 2]
    assert client.get(f"/spot-checks/{a['id']}").json() == a

    # Findings per branch.
    branch_id = a["items"][0]["branch_id"]
    resp = client.post(
        f"/spot-checks/{a['id']}/findings",
        {"branch_id": branch_id, "result": "problems", "finding": "签到记录存疑"},
    )
    assert resp.status_code == 200, resp.content
    assert resp.json()["result"] == "problems"
    # A branch that was not sampled has no finding to record.
    other = next(
        pk
        for pk in (
            world.a.branch.pk,
            world.a.other_branch.pk,
            world.b.branch.pk,
            world.b.other_branch.pk,
        )
        if pk not in {i["branch_id"] for i in a["items"]}
    )
    resp = client.post(f"/spot-checks/{a['id']}/findings", {"branch_id": other, "result": "passed"})
    assert resp.status_code == 404


def test_spot_checks_by_percentage_and_their_scope(world, api, december, clock):  # noqa: F811
    resp = api(world.a.admin).post(
        f"/orgs/{world.a.org.pk}/spot-checks", {"period": "2026-12", "percent": 100}
    )
    assert resp.status_code == 201
    check = resp.json()
    assert {i["branch_id"] for i in check["items"]} == {world.a.branch.pk, world.a.other_branch.pk}
    assert api(world.b.admin).get(f"/spot-checks/{check['id']}").status_code == 404
    assert api(world.outsider).get(f"/spot-checks/{check['id']}").status_code == 404
    assert (
        api(world.a.admin)
        .post(f"/orgs/{world.city.pk}/spot-checks", {"period": "2026-12", "size": 1})
        .status_code
        == 404
    )
    assert (
        api(world.outsider)
        .post(f"/orgs/{world.a.org.pk}/spot-checks", {"period": "2026-12", "size": 1})
        .status_code
        == 404
    )
    resp = api(world.a.admin).post(f"/orgs/{world.a.org.pk}/spot-checks", {"period": "2026-12"})
    assert resp.status_code == 422


def test_the_rectification_life_cycle_over_the_api(world, api, clock):  # noqa: F811
    county, branch = api(world.a.admin), api(world.a.branch_admin)
    deadline = (NOW.date() + timedelta(days=2)).isoformat()
    resp = county.post(
        "/rectifications",
        {
            "branch_id": world.a.branch.pk,
            "title": "活动记录不完整",
            "requirement": "补充会议记录",
            "deadline": deadline,
        },
    )
    assert resp.status_code == 201, resp.content
    r = resp.json()
    assert (r["status"], r["is_overdue"], r["events"][0]["action"]) == ("open", False, "open")
    rid = r["id"]

    # The branch sees it; county B and the outsider do not.
    assert branch.get(f"/rectifications/{rid}").status_code == 200
    assert api(world.b.admin).get(f"/rectifications/{rid}").status_code == 404
    assert api(world.outsider).get(f"/rectifications/{rid}").status_code == 404

    # Overdue after the deadline, listed per scope.
    with time_machine.travel(NOW + timedelta(days=4), tick=False):
        listed = county.get(f"/orgs/{world.a.org.pk}/rectifications?overdue=true").json()
        assert [i["id"] for i in listed["items"]] == [rid]
        assert listed["items"][0]["is_overdue"] is True
        city = api(world.city_admin).get(f"/orgs/{world.city.pk}/rectifications?overdue=true")
        assert city.json()["count"] == 1
        assert api(world.b.admin).get(f"/orgs/{world.b.org.pk}/rectifications").json()["count"] == 0

        # The branch answers with an attachment (multipart).
        resp = branch.post(
            f"/rectifications/{rid}/answer",
            {"text": "已补充", "files": [_file("记录.png")]},
            content_type=MULTIPART_CONTENT,
        )
        assert resp.status_code == 200, resp.content
        body = resp.json()
        assert body["status"] == "answered" and body["is_overdue"] is False
        assert body["events"][-1]["attachments"][0]["content_type"] == "image/png"

        assert branch.post(f"/rectifications/{rid}/accept", {}).status_code == 403
        resp = county.post(
            f"/rectifications/{rid}/reopen",
            {"reason": "记录仍缺签名", "deadline": (NOW.date() + timedelta(days=10)).isoformat()},
        )
        assert resp.json()["status"] == "open"
        assert resp.json()["reopen_count"] == 1
        assert (
            branch.post(
                f"/rectifications/{rid}/answer",
                {"text": "已补签名"},
                content_type=MULTIPART_CONTENT,
            ).status_code
            == 200
        )
        resp = county.post(f"/rectifications/{rid}/accept", {"remark": "通过"})
        assert resp.json()["status"] == "accepted"
        assert county.post(f"/rectifications/{rid}/accept", {}).status_code == 409


def test_only_a_superior_opens_one_and_only_for_a_branch(world, api, clock):  # noqa: F811
    body = {"title": "x", "requirement": "y", "deadline": NOW.date().isoformat()}
    assert (
        api(world.a.branch_admin)
        .post("/rectifications", {**body, "branch_id": world.a.branch.pk})
        .status_code
        == 403
    )
    assert (
        api(world.b.admin)
        .post("/rectifications", {**body, "branch_id": world.a.branch.pk})
        .status_code
        == 404
    )
    assert (
        api(world.outsider)
        .post("/rectifications", {**body, "branch_id": world.a.branch.pk})
        .status_code
        == 404
    )
    resp = api(world.city_admin).post("/rectifications", {**body, "branch_id": world.a.town.pk})
    assert resp.status_code == 422 and resp.json()["code"] == "invalid_org"


def _file(name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, PNG, content_type="image/png")

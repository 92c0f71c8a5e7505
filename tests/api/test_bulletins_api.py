"""The quarterly bulletin over the API: generate, publish, correct, list and download, with
the stable codes; drafts kept from other scopes and from outsiders."""

import hashlib
from datetime import date

import pytest

from dangjian.scoring.models import BranchPeriodScore
from dangjian.supervision.models import Bulletin
from tests.scoring.conftest import NOW, clock  # noqa: F401
from tests.scoring.test_rankings import set_month

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def scored(world, clock):  # noqa: F811
    for month in (date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1)):
        set_month(world.a.branch, month, 8000)
    BranchPeriodScore.objects.create(
        branch=world.a.branch,
        kind="quarter",
        period_start=date(2026, 10, 1),
        score_hundredths=8000,
        held_months=3,
        computed_at=NOW,
    )
    return world


def test_generate_publish_correct_and_download(scored, api):
    world = scored
    city = api(world.city_admin)
    resp = city.post(f"/orgs/{world.city.pk}/bulletins", {"period": "2026-Q4"})
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert (body["period"], body["version"], body["status"]) == ("2026-Q4", 1, "draft")
    assert body["figures"]["children"][0] == {
        "rank": 1,
        "org_id": world.a.org.pk,
        "name": "汉台区",
        "score": "40.00",
        "branches": 2,
        "held": 1,
    }
    pk = body["id"]
    assert city.post(f"/bulletins/{pk}/publish").json()["status"] == "published"
    again = city.post(f"/bulletins/{pk}/publish")
    assert (again.status_code, again.json()["code"]) == (409, "already_published")
    regenerate = city.post(f"/orgs/{world.city.pk}/bulletins", {"period": "2026-Q4"})
    assert (regenerate.status_code, regenerate.json()["code"]) == (409, "already_published")
    pdf = city.get(f"/bulletins/{pk}/files/pdf")
    content = b"".join(pdf.streaming_content)
    assert pdf["Content-Type"] == "application/pdf" and content.startswith(b"%PDF")
    listed = {f["kind"]: f["sha256"] for f in city.get(f"/bulletins/{pk}").json()["files"]}
    assert listed["pdf"] == hashlib.sha256(content).hexdigest()
    corrected = city.post(f"/bulletins/{pk}/correct", {"reason": "补录数据"})
    assert corrected.status_code == 201
    assert (corrected.json()["version"], corrected.json()["replaces_id"]) == (2, pk)
    twice = city.post(f"/bulletins/{pk}/correct", {"reason": "再次"})
    assert (twice.status_code, twice.json()["code"]) == (409, "draft_exists")
    city.post(f"/bulletins/{corrected.json()['id']}/publish")
    old = city.get(f"/bulletins/{pk}").json()
    assert old["status"] == "superseded" and old["files"] == body["files"]
    stale = city.post(f"/bulletins/{pk}/correct", {"reason": "旧版"})
    assert (stale.status_code, stale.json()["code"]) == (409, "not_published")
    items = city.get("/bulletins").json()["items"]
    assert [(b["version"], b["status"]) for b in items] == [(2, "published"), (1, "superseded")]


def test_scoping_and_refusals(scored, api):
    world = scored
    draft = api(world.city_admin).post(f"/orgs/{world.city.pk}/bulletins", {"period": "2026-Q4"})
    pk = draft.json()["id"]
    county = api(world.a.admin)
    assert county.get(f"/bulletins/{pk}").status_code == 404
    assert county.post(f"/bulletins/{pk}/publish").status_code == 404
    assert county.post(f"/orgs/{world.city.pk}/bulletins", {"period": "2026-Q4"}).status_code == 404
    assert county.get("/bulletins").json()["items"] == []
    member = api(world.a.member.user)
    outsider = api(world.outsider)
    for client in (member, outsider):
        assert client.get(f"/bulletins/{pk}/files/pdf").status_code == 404
        assert client.get("/bulletins").json()["items"] == []
    assert api(None).get("/bulletins").status_code == 401
    api(world.city_admin).post(f"/bulletins/{pk}/publish")
    for client in (county, member):
        assert client.get(f"/bulletins/{pk}/files/pdf").status_code == 200
        assert [b["id"] for b in client.get("/bulletins").json()["items"]] == [pk]
    assert county.post(f"/bulletins/{pk}/correct", {"reason": "x"}).status_code == 403
    assert outsider.get(f"/bulletins/{pk}").status_code == 404
    other = api(world.b.admin).post(f"/orgs/{world.a.org.pk}/bulletins", {"period": "2026-Q4"})
    assert other.status_code == 404
    branch = api(world.a.admin).post(f"/orgs/{world.a.branch.pk}/bulletins", {"period": "2026-Q4"})
    assert (branch.status_code, branch.json()["code"]) == (422, "invalid_org")
    bad = api(world.city_admin).post(f"/orgs/{world.city.pk}/bulletins", {"period": "2026-Q5"})
    assert bad.status_code == 422
    assert Bulletin.objects.count() == 1


def test_the_list_costs_the_same_queries_for_more_bulletins(scored, api):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    world = scored
    city = api(world.city_admin)

    def listed_queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            items = city.get("/bulletins").json()["items"]
        return len(items), len(queries)

    for period in ("2026-Q3", "2026-Q4"):
        city.post(f"/orgs/{world.city.pk}/bulletins", {"period": period})
    few, few_queries = listed_queries()
    for org in (world.a.org, world.b.org):
        city.post(f"/orgs/{org.pk}/bulletins", {"period": "2026-Q4"})
    many, many_queries = listed_queries()
    assert (few, many) == (2, 4)
    assert many_queries == few_queries

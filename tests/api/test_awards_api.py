"""The quarterly awards over /api/v1/: a round from opening to published results and
certificates, with the counties' quotas, the candidates, and every caller's scope (the
outsider included)."""

from datetime import date

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import MULTIPART_CONTENT

from dangjian.supervision.models import AwardRound, CasePhoto, Nomination
from tests.scoring.conftest import NOW, make_activity
from tests.supervision.awards import score

pytestmark = pytest.mark.django_db

ROUND = {
    "quarter": "2026-Q4",
    "nomination_deadline": "2027-01-20",
    "case_quota": 1,
    "branch_quota": 1,
    "member_quota": 1,
    "candidate_percent": 50,
}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def png(name="p.png"):
    return SimpleUploadedFile(name, b"\x89PNG\r\n\x1a\n" + b"\0" * 64, content_type="image/png")


@pytest.fixture
def opened(world, api, clock):
    resp = api(world.city_admin).post("/award-rounds", {"org_id": world.city.pk, **ROUND})
    assert resp.status_code == 201, resp.json()
    return resp.json()


def advance(api, world, round_id, to):
    resp = api(world.city_admin).post(f"/award-rounds/{round_id}/advance", {"to": to})
    assert resp.status_code == 200, resp.json()
    return resp.json()


def test_only_the_city_opens_a_round(world, api, clock):
    for user in (world.a.admin, world.outsider):
        resp = api(user).post("/award-rounds", {"org_id": world.city.pk, **ROUND})
        assert resp.status_code == 404
    assert api(None).post("/award-rounds", {"org_id": world.city.pk, **ROUND}).status_code == 401
    resp = api(world.city_admin).post("/award-rounds", {"org_id": world.city.pk, **ROUND})
    assert resp.status_code == 201
    body = resp.json()
    assert (body["quarter"], body["status"], body["selection_size"]) == ("2026-Q4", "open", 20)
    again = api(world.city_admin).post("/award-rounds", {"org_id": world.city.pk, **ROUND})
    assert (again.status_code, again.json()["code"]) == (409, "round_exists")


def test_a_running_round_is_read_by_admins_inside_the_city_only(world, api, opened):
    path = f"/award-rounds/{opened['id']}"
    assert api(world.a.admin).get(path).status_code == 200
    assert api(world.a.branch_admin).get(path).status_code == 200
    assert api(world.a.member.user).get(path).status_code == 404
    assert api(world.outsider).get(path).status_code == 404
    assert api(world.outsider).get("/award-rounds").json()["count"] == 0


def test_a_branch_submits_a_case_with_photos_and_a_county_nominates_within_quota(
    world, api, opened
):
    rid = opened["id"]
    activity = make_activity(world.a.branch, date(2026, 11, 1))
    client = api(world.a.branch_admin)
    data = {
        "branch_id": world.a.branch.pk,
        "title": "积分超市",
        "text": "以积分激励党员参与志愿服务。",
        "activity_ids": [activity.pk],
        "photos": [png("a.png"), png("b.png")],
    }
    resp = client.post(f"/award-rounds/{rid}/cases", data, content_type=MULTIPART_CONTENT)
    assert resp.status_code == 201, resp.json()
    case = resp.json()
    assert case["activity_ids"] == [activity.pk] and len(case["photos"]) == 2
    photo = CasePhoto.objects.first()
    assert client.get(f"/award-case-photos/{photo.pk}/download").status_code == 200
    assert api(world.outsider).get(f"/award-case-photos/{photo.pk}/download").status_code == 404
    assert api(world.b.admin).get(f"/award-case-photos/{photo.pk}/download").status_code == 404
    data["title"], data["photos"] = "红色驿站", []
    second = client.post(f"/award-rounds/{rid}/cases", data, content_type=MULTIPART_CONTENT)
    assert second.status_code == 201
    # Outsiders and other counties' branches submit nothing here.
    resp = api(world.outsider).post(
        f"/award-rounds/{rid}/cases", data, content_type=MULTIPART_CONTENT
    )
    assert resp.status_code == 404

    advance(api, world, rid, "nominating")
    county = api(world.a.admin)
    nominate = {"kind": "case", "case_id": case["id"], "reason": "可推广"}
    resp = county.post(f"/award-rounds/{rid}/nominations", nominate)
    assert resp.status_code == 201, resp.json()
    assert resp.json()["county_id"] == world.a.org.pk
    resp = county.post(
        f"/award-rounds/{rid}/nominations", {**nominate, "case_id": second.json()["id"]}
    )
    assert (resp.status_code, resp.json()["code"]) == (409, "quota_exceeded")
    resp = api(world.b.admin).post(f"/award-rounds/{rid}/nominations", nominate)
    assert resp.status_code == 404
    resp = api(world.outsider).post(f"/award-rounds/{rid}/nominations", nominate)
    assert resp.status_code == 404
    listed = county.get(f"/award-rounds/{rid}/nominations").json()
    assert listed["count"] == 1
    assert api(world.b.admin).get(f"/award-rounds/{rid}/nominations").json()["count"] == 0


def test_candidates_are_listed_and_only_they_are_nominated(world, api, opened):
    rid = opened["id"]
    advance(api, world, rid, "nominating")
    score(world.a.branch, 9000)
    score(world.a.other_branch, 8000)
    county = api(world.a.admin)
    path = f"/award-rounds/{rid}/counties/{world.a.org.pk}/candidates"
    rows = county.get(path).json()
    assert [r["org_id"] for r in rows] == [world.a.branch.pk]
    assert len(county.get(path, {"only": "false"}).json()) == 2
    assert api(world.b.admin).get(path).status_code == 404
    assert api(world.outsider).get(path).status_code == 404
    resp = county.post(
        f"/award-rounds/{rid}/nominations",
        {"kind": "branch", "branch_id": world.a.other_branch.pk, "reason": "好"},
    )
    assert (resp.status_code, resp.json()["code"]) == (409, "not_candidate")
    resp = county.post(
        f"/award-rounds/{rid}/nominations",
        {"kind": "branch", "branch_id": world.a.branch.pk, "reason": "好"},
    )
    assert resp.status_code == 201
    assert resp.json()["evidence"]["rank"] == 1


def test_the_city_selects_publishes_and_members_read_results_and_certificates(
    world, api, opened, settings
):
    rid = opened["id"]
    advance(api, world, rid, "nominating")
    resp = api(world.a.admin).post(
        f"/award-rounds/{rid}/nominations",
        {"kind": "member", "member_id": world.a.member.pk, "reason": "带头服务群众"},
    )
    assert resp.status_code == 201, resp.json()
    nid = resp.json()["id"]
    assert set(resp.json()["evidence"]) == {"check_ins", "volunteer_hours", "study_minutes"}
    # Not yet selecting.
    resp = api(world.city_admin).post(f"/award-nominations/{nid}/selection", {"selected": True})
    assert (resp.status_code, resp.json()["code"]) == (409, "invalid_status")
    advance(api, world, rid, "selecting")
    resp = api(world.a.admin).post(f"/award-nominations/{nid}/selection", {"selected": True})
    assert resp.status_code == 403
    resp = api(world.outsider).post(f"/award-nominations/{nid}/selection", {"selected": True})
    assert resp.status_code == 404
    resp = api(world.city_admin).post(f"/award-nominations/{nid}/selection", {"selected": True})
    assert resp.status_code == 200 and resp.json()["is_selected"] is True
    cert = f"/award-nominations/{nid}/certificate.pdf"
    assert api(world.a.admin).get(cert).json()["code"] == "not_published"
    assert api(world.city_admin).get(f"/award-rounds/{rid}/results").json()["member"] == []

    body = advance(api, world, rid, "published")
    assert body["status"] == "published" and body["selected"]["member"] == 1
    again = api(world.city_admin).post(f"/award-rounds/{rid}/advance", {"to": "published"})
    assert (again.status_code, again.json()["code"]) == (409, "already_published")

    for reader in (world.a.member.user, world.b.member.user, world.b.admin):
        results = api(reader).get(f"/award-rounds/{rid}/results")
        assert results.status_code == 200
        assert [n["id"] for n in results.json()["member"]] == [nid]
    assert api(world.outsider).get(f"/award-rounds/{rid}/results").status_code == 404
    pdf = api(world.a.member.user).get(cert)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert pdf["Content-Disposition"] == f'attachment; filename="certificate-{nid}.pdf"'
    assert pdf["Cache-Control"] == "private, no-store"
    assert api(world.outsider).get(cert).status_code == 404
    resp = api(world.a.admin).delete(f"/award-nominations/{nid}")
    assert (resp.status_code, resp.json()["code"]) == (409, "already_published")
    assert Nomination.objects.filter(pk=nid).exists()
    assert AwardRound.objects.get(pk=rid).published_at is not None


def _queries(client, path) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_lists_read_in_a_fixed_number_of_queries(world, api, opened):
    from dangjian.supervision import awards
    from dangjian.supervision.models import AwardRound
    from tests.factories import make_member

    award_round = AwardRound.objects.get(pk=opened["id"])
    award_round.member_quota = 20
    award_round.case_quota = 20
    award_round.save(update_fields=["member_quota", "case_quota"])
    client = api(world.a.admin)
    nominations = f"/award-rounds/{award_round.pk}/nominations"
    cases = f"/award-rounds/{award_round.pk}/cases"

    def add(n: int) -> None:
        award_round.refresh_from_db()
        for i in range(n):
            member = make_member(world.city_admin, world.a.branch, name=f"党员{n}-{i}")
            case = awards.submit_case(
                actor=world.a.branch_admin,
                award_round=award_round,
                branch=world.a.branch,
                title=f"案例{member.pk}",
                text="……",
                photos=[png()],
            )
            awards.nominate_member(
                actor=world.a.admin, award_round=award_round, member=member, reason="好"
            )
            awards.nominate_case(actor=world.a.admin, case=case, reason="好")

    advance(api, world, award_round.pk, "nominating")
    add(2)
    few = (_queries(client, nominations), _queries(client, cases))
    add(5)
    assert (_queries(client, nominations), _queries(client, cases)) == few


@pytest.mark.parametrize(
    ("kind", "field", "message"),
    [
        ("case", "case_id", "推荐金点子案例须选择案例"),
        ("branch", "branch_id", "推荐先进党支部须选择党支部"),
        ("member", "member_id", "推荐实践标兵须选择党员"),
    ],
)
def test_a_nomination_without_its_subject_is_refused_in_chinese_with_the_field(
    world, api, opened, kind, field, message
):
    advance(api, world, opened["id"], "nominating")
    resp = api(world.a.admin).post(
        f"/award-rounds/{opened['id']}/nominations", {"kind": kind, "reason": "可推广"}
    )
    assert resp.status_code == 422
    assert resp.json()["code"] == "validation_error"
    assert resp.json()["message"] == message
    assert not Nomination.objects.exists()
    # The outsider learns nothing of the round, with or without the subject.
    resp = api(world.outsider).post(
        f"/award-rounds/{opened['id']}/nominations", {"kind": kind, "reason": "可推广"}
    )
    assert resp.status_code == 404

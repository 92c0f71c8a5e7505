"""The quarterly awards in the back office: the city opens a round and moves it on, a branch
submits its case with photos, a county nominates a case, a candidate branch and a member
by phone within its quotas, the city selects and publishes, certificates open as PDF; other
counties, members without an admin role and outsiders are kept out."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dangjian.supervision.models import AwardRound, GoldenIdeaCase, Nomination
from tests.scoring.conftest import (
    clock,  # noqa: F401
    make_activity,
)
from tests.supervision.awards import nominating, open_round, score

pytestmark = pytest.mark.django_db

ROUNDS = "/console/supervision/awards/"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def png(name="p.png"):
    return SimpleUploadedFile(name, b"\x89PNG\r\n\x1a\n" + b"\0" * 64, content_type="image/png")


def test_the_city_opens_a_round_from_the_form(world, page, clock):  # noqa: F811
    city = page(world.city_admin)
    assert "发起季度评选" in city.get(ROUNDS).content.decode()
    resp = city.post(
        ROUNDS,
        {
            "org": world.city.pk,
            "quarter": "2026-Q4",
            "nomination_deadline": "2027-01-20",
            "case_quota": 2,
            "branch_quota": 2,
            "member_quota": 2,
            "candidate_percent": 30,
        },
    )
    award_round = AwardRound.objects.get()
    assert resp.status_code == 302 and resp["Location"] == f"{ROUNDS}{award_round.pk}/"
    # A county's admin sees the list but not the form, and cannot open one.
    county = page(world.a.admin).get(ROUNDS).content.decode()
    assert "发起季度评选" not in county and "2026年第4季度" in county
    assert page(world.a.member.user).get(ROUNDS).status_code == 403
    assert page(world.outsider).get(ROUNDS).status_code == 403


def test_a_branch_submits_its_case_with_photos_and_activities(world, page, clock):  # noqa: F811
    award_round = open_round(world)
    activity = make_activity(world.a.branch, date(2026, 11, 1))
    branch = page(world.a.branch_admin)
    round_page = branch.get(f"{ROUNDS}{award_round.pk}/").content.decode()
    assert f"cases/new/?branch={world.a.branch.pk}" in round_page
    url = f"{ROUNDS}{award_round.pk}/cases/new/?branch={world.a.branch.pk}"
    form = branch.get(url).content.decode()
    assert activity.title in form
    resp = branch.post(
        url,
        {
            "title": "积分超市",
            "text": "以积分激励党员参与志愿服务。",
            "activities": [activity.pk],
            "photos": [png("a.png"), png("b.png")],
        },
    )
    case = GoldenIdeaCase.objects.get()
    assert (
        resp.status_code == 302
        and resp["Location"] == f"/console/supervision/award-cases/{case.pk}/"
    )
    assert case.photos.count() == 2 and list(case.activities.all()) == [activity]
    detail = branch.get(resp["Location"]).content.decode()
    photo = case.photos.first()
    assert f"/console/supervision/award-case-photos/{photo.pk}/" in detail
    assert branch.get(f"/console/supervision/award-case-photos/{photo.pk}/").status_code == 200
    # Another county's branch cannot submit for it, nor read its case.
    other = page(world.b.branch_admin)
    assert other.get(url).status_code == 404
    assert other.get(resp["Location"]).status_code == 404
    assert page(world.outsider).get(resp["Location"]).status_code == 403


def test_a_county_nominates_within_quota_and_the_city_selects_and_publishes(
    world,
    page,
    clock,  # noqa: F811
):
    award_round = open_round(world, branch_quota=1, member_quota=1, candidate_percent=50)
    case = GoldenIdeaCase.objects.create(
        round=award_round,
        branch=world.a.branch,
        title="红色驿站",
        text="……",
        submitted_at=award_round.created_at,
    )
    score(world.a.branch, 9000)
    score(world.a.other_branch, 8000)
    city, county = page(world.city_admin), page(world.a.admin)
    step = f"{ROUNDS}{award_round.pk}/step/"
    assert county.post(step, {"to": "nominating"}).status_code == 403
    city.post(step, {"to": "nominating"})
    award_round.refresh_from_db()
    assert award_round.status == "nominating"

    round_page = county.get(f"{ROUNDS}{award_round.pk}/").content.decode()
    assert world.a.branch.name in round_page  # the candidate
    nominate = f"{ROUNDS}{award_round.pk}/nominate/"
    county.post(nominate, {"kind": "case", "case": case.pk, "reason": "可推广"})
    county.post(nominate, {"kind": "branch", "branch": world.a.branch.pk, "reason": "排名第一"})
    county.post(
        nominate,
        {
            "kind": "member",
            "county": world.a.org.pk,
            "phone": world.a.member.user.phone,
            "reason": "带头服务",
        },
    )
    assert Nomination.objects.filter(county=world.a.org).count() == 3
    # Over quota: refused with the message, nothing written.
    resp = county.post(
        nominate,
        {
            "kind": "member",
            "county": world.a.org.pk,
            "phone": world.a.flowing.user.phone,
            "reason": "好",
        },
        follow=True,
    )
    assert "名额" in resp.content.decode()
    assert Nomination.objects.count() == 3
    # Not a candidate.
    resp = county.post(
        nominate, {"kind": "branch", "branch": world.a.other_branch.pk, "reason": "好"}, follow=True
    )
    assert "候选" in resp.content.decode()
    # County b cannot nominate in county a.
    other = page(world.b.admin)
    assert (
        other.post(
            nominate,
            {"kind": "member", "county": world.a.org.pk, "phone": "x", "reason": "好"},
        ).status_code
        == 404
    )

    city.post(step, {"to": "selecting"})
    member_nomination = Nomination.objects.get(kind="member")
    assert (
        county.post(
            f"/console/supervision/award-nominations/{member_nomination.pk}/step/",
            {"step": "select"},
        ).status_code
        == 403
    )
    city.post(
        f"/console/supervision/award-nominations/{member_nomination.pk}/step/", {"step": "select"}
    )
    assert Nomination.objects.get(pk=member_nomination.pk).is_selected
    city.post(step, {"to": "published"})
    award_round.refresh_from_db()
    assert award_round.status == "published"
    results = county.get(f"{ROUNDS}{award_round.pk}/").content.decode()
    assert "评选结果" in results and world.a.member.name in results
    cert = f"/console/supervision/award-nominations/{member_nomination.pk}/certificate.pdf"
    pdf = other.get(cert)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert page(world.outsider).get(cert).status_code == 403


def test_a_round_is_hidden_from_admins_outside_the_city(world, page, clock):  # noqa: F811
    from dangjian.registry import services

    award_round = nominating(world)
    other_city = services.bootstrap_city(
        name="安康市", phone="13900000077", password="x" * 12, admin_name="安康管理员"
    )
    assert page(other_city.user).get(f"{ROUNDS}{award_round.pk}/").status_code == 404
    assert award_round.org.name not in page(other_city.user).get(ROUNDS).content.decode()


def test_the_city_opens_one_countys_candidates_at_a_time(world, page, clock):  # noqa: F811
    award_round = nominating(world, candidate_percent=50)
    score(world.a.branch, 9000)
    score(world.b.branch, 8000)
    city = page(world.city_admin)
    url = f"{ROUNDS}{award_round.pk}/"
    shown = city.get(url).content.decode()
    assert world.a.branch.name not in shown and world.b.branch.name not in shown
    assert f"?county={world.a.org.pk}" in shown and f"?county={world.b.org.pk}" in shown
    shown = city.get(url, {"county": world.a.org.pk}).content.decode()
    assert world.a.branch.name in shown and world.b.branch.name not in shown

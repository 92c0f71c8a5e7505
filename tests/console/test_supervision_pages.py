"""The supervision pages: a spot check drawn from the form, evidence and findings, a
rectification opened from a finding, answered with an attachment, accepted; overdue ones
highlighted; scope."""

from datetime import date, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from dangjian.supervision.models import Rectification, SpotCheck
from tests.scoring.conftest import NOW, attend, clock, make_activity  # noqa: F401
from tests.scoring.test_rankings import set_month

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_a_spot_check_from_the_form_to_an_accepted_rectification(world, page, clock):  # noqa: F811
    activity = make_activity(world.a.branch, date(2026, 12, 1))
    attend(activity, world.a.member)
    set_month(world.a.branch, date(2026, 12, 1), 4000)
    county = page(world.a.admin)
    resp = county.post(
        f"/console/supervision/orgs/{world.a.org.pk}/",
        {"period": "2026-12", "percent": "100", "seed": "99"},
    )
    assert resp.status_code == 302, resp.content.decode()[:2000]
    check = SpotCheck.objects.get()
    assert (check.seed, check.population) == (99, 2)
    sample = county.get(resp.url)
    assert world.a.branch.name in sample.content.decode()

    item = check.items.get(branch=world.a.branch)
    evidence = county.get(f"{resp.url}?branch={world.a.branch.pk}").content.decode()
    assert activity.title in evidence and world.a.member.name in evidence
    resp = county.post(
        f"/console/supervision/spot-checks/{check.pk}/items/{item.pk}/finding/",
        {"result": "problems", "finding": "签到人数与照片不符"},
    )
    assert resp.status_code == 302
    item.refresh_from_db()
    assert item.result == "problems"

    resp = county.post(
        f"/console/supervision/spot-checks/{check.pk}/items/{item.pk}/rectify/",
        {"title": "核实签到", "requirement": "说明情况", "deadline": "2027-01-10"},
    )
    r = Rectification.objects.get()
    assert resp.status_code == 302 and resp.url.endswith(f"/rectifications/{r.pk}/")
    assert r.finding == item

    branch = page(world.a.branch_admin)
    resp = branch.post(
        f"/console/supervision/rectifications/{r.pk}/",
        {"action": "answer", "text": "已核实", "files": [SimpleUploadedFile("核实.png", PNG)]},
    )
    assert resp.status_code == 302
    detail = branch.get(f"/console/supervision/rectifications/{r.pk}/").content.decode()
    attachment = r.attachments.get()
    assert f"/console/supervision/attachments/{attachment.pk}/" in detail
    assert branch.get(f"/console/supervision/attachments/{attachment.pk}/").status_code == 200
    assert (
        page(world.b.admin).get(f"/console/supervision/attachments/{attachment.pk}/").status_code
        == 404
    )
    assert (
        page(world.outsider).get(f"/console/supervision/rectifications/{r.pk}/").status_code == 403
    )

    # The branch cannot accept its own; the county does.
    branch.post(f"/console/supervision/rectifications/{r.pk}/", {"action": "accept"})
    r.refresh_from_db()
    assert r.status == "answered"
    county.post(f"/console/supervision/rectifications/{r.pk}/", {"action": "accept"})
    r.refresh_from_db()
    assert r.status == "accepted"


def test_overdue_rectifications_stand_out_in_the_list(world, page, clock):  # noqa: F811
    from dangjian.supervision import services

    r = services.open_rectification(
        actor=world.a.admin,
        branch=world.a.branch,
        title="补齐会议记录",
        requirement="补齐",
        deadline=NOW.date() + timedelta(days=1),
    )
    with time_machine.travel(NOW + timedelta(days=3), tick=False):
        html = page(world.a.admin).get(f"/console/supervision/orgs/{world.a.org.pk}/?overdue=1")
        text = html.content.decode()
        assert 'class="overdue"' in text and r.title in text
        dash = page(world.city_admin).get(f"/console/dashboards/orgs/{world.city.pk}/")
        assert "kpi warn" in dash.content.decode()
    assert (
        page(world.b.admin).get(f"/console/supervision/orgs/{world.a.org.pk}/").status_code == 404
    )
    assert (
        r.title
        not in page(world.b.admin)
        .get(f"/console/supervision/orgs/{world.b.org.pk}/")
        .content.decode()
    )

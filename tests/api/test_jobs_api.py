"""A job over the API: the distribution's answer names its job, which its starter polls;
another admin, a member and the outsider get the same 404 as for a job that does not exist,
and no token gets 401."""

from datetime import date

import pytest
import time_machine

from dangjian.themedays import services
from tests.themedays.conftest import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(world):
    with time_machine.travel(NOW, tick=False):
        yield services.create_campaign(
            actor=world.city_admin,
            org=world.city,
            month="2026-12",
            theme="学习贯彻党的二十届四中全会精神",
            holding_from=date(2026, 12, 1),
            holding_until=date(2026, 12, 20),
        )


def test_the_distributions_job_is_polled_by_the_admin_who_started_it(
    world, api, campaign, django_capture_on_commit_callbacks
):
    client = api(world.city_admin)
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(f"/campaigns/{campaign.pk}/distribute", {})
    assert r.status_code in (200, 202), r.content
    job_id = r.json()["job_id"]

    r = client.get(f"/jobs/{job_id}")
    assert r.status_code == 200, r.content
    job = r.json()
    assert job["id"] == job_id
    assert (job["kind"], job["status"], job["done"], job["total"]) == (
        "distribution",
        "succeeded",
        4,
        4,
    )
    assert job["title"] == f"下发：{campaign.theme}"
    assert job["summary"] == "下发完成：4 个党支部，已通知 6 名党员。"
    assert job["result_url"] == f"/console/campaigns/{campaign.pk}/progress/"
    assert job["finished_at"] is not None


def test_anyone_else_gets_404_and_no_token_401(world, api, campaign):
    job = services.request_distribution(actor=world.city_admin, campaign=campaign)["job"]
    for user in (world.a.admin, world.a.branch_admin, world.a.member.user, world.outsider):
        r = api(user).get(f"/jobs/{job.pk}")
        assert r.status_code == 404 and r.json()["code"] == "not_found", user
    missing = api(world.city_admin).get(f"/jobs/{job.pk + 1}")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    assert api(world.city_admin).get(f"/jobs/{job.pk}").json()["status"] == "queued"
    assert api(None).get(f"/jobs/{job.pk}").status_code == 401

"""The campaign page's distribution card follows its job: while the job runs the card
listens for the job's end (`jobFinished`, sent in the `HX-Trigger` header of the job
partial's last poll) and draws itself again, so 下发中 turns into 已下发 without a reload.
The card alone is read in the campaign's scope; another county and the outsider get
nothing."""

import json
from datetime import date

import pytest
import time_machine
from django.urls import reverse

from dangjian.notifications import jobs
from dangjian.themedays import services
from tests.themedays.conftest import NOW

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def html(response) -> str:
    return response.content.decode()


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


def test_the_job_partial_says_when_its_job_has_finished(world, page, campaign):
    job = services.request_distribution(actor=world.city_admin, campaign=campaign)["job"]
    jobs.begin(job, total=4)
    client = page(world.city_admin)
    url = reverse("console:job_detail", args=[job.pk])
    running = client.get(url, headers=HTMX)
    assert "HX-Trigger" not in running.headers

    jobs.succeed(job, summary="下发完成。", result_url="/console/")
    done = client.get(url, headers=HTMX)
    assert json.loads(done.headers["HX-Trigger"]) == {"jobFinished": {"job": job.pk}}
    # The full page is not polled and says nothing.
    assert "HX-Trigger" not in client.get(url).headers


def test_the_card_listens_while_its_job_runs_and_is_drawn_again_done(world, page, campaign):
    client = page(world.city_admin)
    job = services.request_distribution(actor=world.city_admin, campaign=campaign)["job"]
    card_url = reverse("console:campaign_distribution", args=[campaign.pk])
    detail = html(client.get(reverse("console:campaign_detail", args=[campaign.pk])))
    card_tag = detail.split('id="distribution"')[1].split(">")[0]
    assert f'hx-get="{card_url}"' in card_tag
    assert 'hx-trigger="jobFinished from:body"' in card_tag
    assert 'hx-swap="outerHTML"' in card_tag
    assert "下发中" in detail

    services.distribute(campaign.pk)  # what the worker does; it ends the job
    card = html(client.get(card_url, headers=HTMX))
    assert "<html" not in card
    assert 'id="distribution"' in card and "已下发" in card and "下发中" not in card
    assert 'data-testid="distributed-branches">4<' in card
    assert f'id="job-{job.pk}"' in card and "下发完成：4 个党支部" in card
    assert "jobFinished" not in card  # finished: nothing left to listen for


def test_a_card_without_a_running_job_does_not_listen(world, page, campaign):
    detail = html(
        page(world.city_admin).get(reverse("console:campaign_detail", args=[campaign.pk]))
    )
    assert "未下发" in detail and "jobFinished" not in detail


def test_the_card_is_read_in_the_campaigns_scope_only(world, page, campaign):
    card_url = reverse("console:campaign_distribution", args=[campaign.pk])
    # The county's admin reads the city's campaign (it reaches their branches), sees no job
    # of theirs and has no button; another's job never shows.
    services.request_distribution(actor=world.city_admin, campaign=campaign)
    county = page(world.a.admin).get(card_url, headers=HTMX)
    assert county.status_code == 200 and 'data-testid="job-progress"' not in html(county)
    for user in (world.a.member.user, world.outsider):
        r = page(user).get(card_url, headers=HTMX)
        assert r.status_code in (403, 404) and campaign.theme not in html(r)
    assert page(None).get(card_url).status_code == 302

"""The jobs of the back office (我的任务): a distribution's click shows its job, finished in
the embedded default, with the summary and the link; while a job runs its panel asks again
every second and stops once it has finished; the list and the panel are the starter's only —
another admin, a member and the outsider get nothing."""

from datetime import date

import pytest
import time_machine
from django.urls import reverse

from dangjian.notifications import jobs
from dangjian.notifications.models import Job
from dangjian.themedays import services
from tests.conftest import COMMITTED
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


@COMMITTED
def test_a_distribution_click_shows_its_finished_job_with_the_summary_and_link(
    world, page, campaign
):
    # Committed for real: the (eager) task runs as the click's transaction commits.
    client = page(world.city_admin)
    url = reverse("console:campaign_distribute", args=[campaign.pk])
    response = client.post(url, headers=HTMX)
    body = html(response)
    job = Job.objects.get()
    assert f'id="job-{job.pk}"' in body
    assert "已完成 4 / 4" in body
    assert '<progress max="4" value="4"' in body
    assert "下发完成：4 个党支部，已通知 6 名党员。" in body
    assert f'href="/console/campaigns/{campaign.pk}/progress/"' in body
    assert "hx-trigger" not in body.split(f'id="job-{job.pk}"')[1].split(">")[0]

    # The campaign's page shows the admin's last job of its distribution.
    detail = html(client.get(reverse("console:campaign_detail", args=[campaign.pk])))
    assert f'id="job-{job.pk}"' in detail and "已完成 4 / 4" in detail
    # Another admin of the city's campaign page would not show someone else's job.
    assert 'data-testid="job-progress"' not in html(
        page(world.a.admin).get(reverse("console:campaign_detail", args=[campaign.pk]))
    )


def test_a_running_job_is_polled_every_second_until_it_has_finished(world, page, campaign):
    job = services.request_distribution(actor=world.city_admin, campaign=campaign)["job"]
    jobs.begin(job, total=4)
    jobs.advance(job, 1)
    client = page(world.city_admin)
    url = reverse("console:job_detail", args=[job.pk])

    running = html(client.get(url, headers=HTMX))
    assert "<html" not in running
    assert f'hx-get="{url}" hx-trigger="every 1s"' in running
    assert "已完成 1 / 4" in running and '<progress max="4" value="1"' in running
    assert "进行中" in running

    jobs.succeed(job, summary="下发完成。", result_url="/console/")
    done = html(client.get(url, headers=HTMX))
    assert "hx-trigger" not in done
    assert "已完成 4 / 4" in done and "下发完成。" in done

    page_body = html(client.get(url))
    assert "<html" in page_body and "我的任务" in page_body and "下发完成。" in page_body


def test_my_jobs_lists_the_admins_own_jobs_only(world, page, campaign):
    job = services.request_distribution(actor=world.city_admin, campaign=campaign)["job"]
    jobs.succeed(job, summary="下发完成。", result_url="/console/")
    mine = html(page(world.city_admin).get(reverse("console:job_list")))
    assert mine.count('data-testid="job-row"') == 1
    assert f"下发：{campaign.theme}" in mine and "下发完成。" in mine
    theirs = html(page(world.a.admin).get(reverse("console:job_list")))
    assert 'data-testid="job-row"' not in theirs and "还没有发起过任务。" in theirs


def test_anyone_but_the_starter_gets_nothing(world, page, campaign):
    job = services.request_distribution(actor=world.city_admin, campaign=campaign)["job"]
    detail = reverse("console:job_detail", args=[job.pk])
    listing = reverse("console:job_list")
    # Another admin: the same 404 as for a job that does not exist.
    for user in (world.a.admin, world.b.branch_admin):
        assert page(user).get(detail).status_code == 404
        assert page(user).get(detail, headers=HTMX).status_code == 404
    assert page(world.city_admin).get(f"/console/jobs/{job.pk + 1}/").status_code == 404
    # No back office for a member or the outsider; the anonymous visitor signs in.
    for user in (world.a.member.user, world.outsider):
        assert page(user).get(detail).status_code == 403
        assert page(user).get(listing).status_code == 403
    anonymous = page(None).get(detail)
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]

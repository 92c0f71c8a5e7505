"""An invitation is a job its admin watches: a step a member, counted as each batch is sent
(batches run in any order), ended by the last batch with the summary and the
organization's page, which also reach the admin's inbox; the console's click leads to the
job's page. Another admin and the outsider never see it."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from dangjian.notifications.models import Job, JobStatus, Notification
from dangjian.registry import invitations
from tests.conftest import COMMITTED
from tests.factories import make_member

NOW = datetime(2026, 5, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def newcomers(world, count: int):
    return [make_member(world.city_admin, world.a.branch, password=None) for _ in range(count)]


@COMMITTED
def test_a_city_wide_invitation_counts_each_batch_and_ends_with_a_notice(world, monkeypatch):
    monkeypatch.setattr(invitations, "INVITATION_BATCH", 3)
    newcomers(world, 7)
    invitations.invite(actor=world.city_admin, org=world.city)

    job = Job.objects.get()
    assert (job.kind, job.actor, job.org) == ("invitation", world.city_admin, world.city)
    assert job.title == f"激活邀请：{world.city.name}"
    assert (job.status, job.done, job.total) == (JobStatus.SUCCEEDED, 7, 7)
    assert job.summary == "激活邀请已发出：7 名未激活的党员（今天已收到邀请的不再重复发送）。"
    assert job.result_url == f"/console/orgs/{world.city.pk}/"
    notice = Notification.objects.get(kind="job")
    assert (notice.user, notice.link) == (world.city_admin, job.result_url)


@pytest.mark.django_db
def test_batches_in_any_order_end_the_job_once_the_last_is_counted(world):
    newcomers(world, 2)
    # Not committed: the batches are not sent; they are counted here by hand.
    invitations.invite(actor=world.city_admin, org=world.city)
    job = Job.objects.get()
    assert (job.status, job.total) == (JobStatus.RUNNING, 2)
    invitations.count_batch(job.pk, 1)
    job.refresh_from_db()
    assert (job.status, job.done) == (JobStatus.RUNNING, 1)
    invitations.count_batch(job.pk, 1)
    job.refresh_from_db()
    assert (job.status, job.done) == (JobStatus.SUCCEEDED, 2)
    # A batch run again (a worker lost) ends nothing twice.
    invitations.count_batch(job.pk, 1)
    assert Notification.objects.filter(kind="job").count() == 1


@pytest.mark.django_db
def test_with_nobody_to_invite_the_job_ends_at_once(world):
    invitations.invite(actor=world.b.admin, org=world.b.other_branch)
    job = Job.objects.get()
    assert (job.status, job.done, job.total) == (JobStatus.SUCCEEDED, 0, 0)
    assert job.summary.startswith("激活邀请已发出：0 名")


@COMMITTED
def test_the_consoles_click_leads_to_the_jobs_page_its_admin_alone_reads(world, page):
    newcomers(world, 2)
    client = page(world.a.admin)
    response = client.post(reverse("console:org_invite", args=[world.a.org.pk]), follow=True)
    job = Job.objects.get()
    assert response.redirect_chain[-1][0] == reverse("console:job_detail", args=[job.pk])
    body = response.content.decode()
    assert "已向2名未激活的党员发送激活邀请短信" in body
    assert "已完成 2 / 2" in body and "激活邀请已发出：2 名未激活的党员" in body
    detail = reverse("console:job_detail", args=[job.pk])
    assert page(world.b.admin).get(detail).status_code == 404
    assert page(world.city_admin).get(detail).status_code == 404
    assert page(world.outsider).get(detail).status_code == 403

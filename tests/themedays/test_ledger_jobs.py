"""A ledger's build is a job its requester watches: three steps (gathering the year,
writing the files, keeping them), ended with its summary and the download, which also reach
the requester's inbox; the console's request leads to the job's page. Another county's
admin and the outsider never see it."""

from datetime import datetime

import pytest
import time_machine

from dangjian.notifications.models import Job, JobStatus, Notification
from dangjian.themedays.ledger import services as ledgers
from dangjian.themedays.models import Ledger
from tests.interaction.conftest import use_tmp_media

pytestmark = pytest.mark.django_db
LATER = datetime.fromisoformat("2026-12-11T10:00:00+08:00")


@pytest.fixture(autouse=True)
def _setup(settings, tmp_path):
    use_tmp_media(settings, tmp_path)
    with time_machine.travel(LATER, tick=False):
        yield


def test_a_ledgers_build_ends_its_job_with_the_download_and_an_inbox_notice(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ledger = ledgers.request_ledger(
            actor=world.a.branch_admin, branch=world.a.branch, year=2026
        )
    job = Job.objects.get()
    assert (job.kind, job.actor, job.org) == ("ledger", world.a.branch_admin, world.a.branch)
    assert job.title == f"台账：{world.a.branch.name} 2026年"
    assert (job.status, job.done, job.total) == (JobStatus.SUCCEEDED, 3, 3)
    assert job.summary.startswith("台账已生成：")
    assert job.result_url == f"/console/ledgers/{ledger.pk}/download/"
    notice = Notification.objects.get(kind="job")
    assert (notice.user, notice.link) == (world.a.branch_admin, job.result_url)


def test_a_second_request_while_it_builds_is_the_same_job(world):
    first = ledgers.request_ledger(actor=world.a.admin, branch=world.a.branch, year=2026)
    second = ledgers.request_ledger(actor=world.a.admin, branch=world.a.branch, year=2026)
    assert first.pk == second.pk
    assert Job.objects.get().status == JobStatus.QUEUED


def test_a_failed_build_fails_its_job(world, monkeypatch):
    ledger = ledgers.request_ledger(actor=world.a.admin, branch=world.a.branch, year=2026)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(ledgers.render, "write_zip", broken)
    ledgers.build_ledger(ledger.pk)
    assert Ledger.objects.get().status == "failed"
    job = Job.objects.get()
    assert (job.status, job.done, job.total) == (JobStatus.FAILED, 1, 3)
    assert job.summary == "台账未能生成，请稍后重新生成。"
    assert Notification.objects.get(kind="job").link == f"/console/jobs/{job.pk}/"


def test_the_consoles_request_leads_to_the_jobs_page_its_requester_alone_reads(
    world, page, django_capture_on_commit_callbacks
):
    client = page(world.a.branch_admin)
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(f"/console/orgs/{world.a.branch.pk}/ledgers/", {"year": 2026})
    job = Job.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/console/jobs/{job.pk}/"
    body = client.get(r["Location"]).content.decode()
    assert "已完成 3 / 3" in body and "台账已生成：" in body
    assert f'href="/console/ledgers/{Ledger.objects.get().pk}/download/"' in body
    for user, status in ((world.a.admin, 404), (world.b.admin, 404), (world.outsider, 403)):
        assert page(user).get(r["Location"]).status_code == status

"""A quarterly bulletin generated from the console is a job of its admin's: five steps (the
figures, the charts, the PDF, the workbook, keeping them), ended with the summary and the
draft's page, which also reach the admin's inbox; the form's click and the draft's
regeneration lead to the job's page. The API's call still answers the bulletin itself.
Another county's admin and the outsider never see the job."""

from datetime import date

import pytest

from dangjian.notifications.models import Job, JobStatus, Notification
from dangjian.supervision import bulletins
from dangjian.supervision.models import Bulletin
from tests.scoring.conftest import clock  # noqa: F401
from tests.scoring.test_rankings import set_month

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def scored(world, clock):  # noqa: F811
    for month in (date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1)):
        set_month(world.a.branch, month, 9000)
    return world


def test_a_generation_counts_its_five_steps_and_ends_with_the_draft_and_a_notice(
    scored, django_capture_on_commit_callbacks, monkeypatch
):
    world = scored
    seen = []
    real_advance = bulletins.jobs.advance

    def advance(job, steps):
        real_advance(job, steps)
        if job is not None:
            seen.append(Job.objects.get(pk=job.pk).done)

    monkeypatch.setattr(bulletins.jobs, "advance", advance)
    with django_capture_on_commit_callbacks(execute=True):
        job = bulletins.request_bulletin(actor=world.a.admin, org=world.a.org, year=2026, quarter=4)
    assert seen == [1, 2, 3, 4, 5]
    job.refresh_from_db()
    bulletin = Bulletin.objects.get()
    assert (job.kind, job.actor, job.org) == ("bulletin", world.a.admin, world.a.org)
    assert job.title == f"季度通报：{world.a.org.name} 2026-Q4"
    assert (job.status, job.done, job.total) == (JobStatus.SUCCEEDED, 5, 5)
    assert job.summary == f"已生成通报草稿：{bulletin.title}（第 1 版），请核对后发布。"
    assert job.result_url == f"/console/supervision/bulletins/{bulletin.pk}/"
    notice = Notification.objects.get(kind="job")
    assert (notice.user, notice.link) == (world.a.admin, job.result_url)


def test_a_second_click_while_it_runs_is_the_same_job_and_a_lost_one_is_replaced(scored):
    world = scored
    first = bulletins.request_bulletin(actor=world.a.admin, org=world.a.org, year=2026, quarter=4)
    second = bulletins.request_bulletin(actor=world.a.admin, org=world.a.org, year=2026, quarter=4)
    assert first.pk == second.pk and first.status == JobStatus.QUEUED
    Job.objects.filter(pk=first.pk).update(created_at=first.created_at.replace(year=2025))
    third = bulletins.request_bulletin(actor=world.a.admin, org=world.a.org, year=2026, quarter=4)
    assert third.pk != first.pk
    assert Job.objects.get(pk=first.pk).status == JobStatus.FAILED


def test_a_generation_refused_in_the_background_fails_its_job_in_chinese(scored, monkeypatch):
    world = scored
    job = bulletins.request_bulletin(actor=world.a.admin, org=world.a.org, year=2026, quarter=4)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(bulletins.bulletin_files, "render_xlsx", broken)
    assert bulletins.generate_in_background(world.a.admin.pk, world.a.org.pk, 2026, 4) is None
    job.refresh_from_db()
    assert (job.status, job.done, job.total) == (JobStatus.FAILED, 3, 5)
    assert job.summary == "通报未能生成，请稍后重新生成。"
    assert not Bulletin.objects.exists()
    assert Notification.objects.get(kind="job").link == f"/console/jobs/{job.pk}/"


def test_the_clicks_lead_to_the_jobs_page_its_starter_alone_reads(
    scored, page, django_capture_on_commit_callbacks
):
    world = scored
    county = page(world.a.admin)
    with django_capture_on_commit_callbacks(execute=True):
        r = county.post(
            "/console/supervision/bulletins/", {"org": world.a.org.pk, "period": "2026-Q4"}
        )
    job = Job.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/console/jobs/{job.pk}/"
    body = county.get(r["Location"]).content.decode()
    bulletin = Bulletin.objects.get()
    assert "已完成 5 / 5" in body and "已生成通报草稿：" in body
    assert f'href="/console/supervision/bulletins/{bulletin.pk}/"' in body
    for user, status in ((world.b.admin, 404), (world.city_admin, 404), (world.outsider, 403)):
        assert page(user).get(r["Location"]).status_code == status

    with django_capture_on_commit_callbacks(execute=True):
        again = county.post(f"/console/supervision/bulletins/{bulletin.pk}/regenerate/")
    newer = Job.objects.order_by("-id").first()
    assert newer.pk != job.pk and again["Location"] == f"/console/jobs/{newer.pk}/"
    assert newer.status == JobStatus.SUCCEEDED and Bulletin.objects.get().pk == bulletin.pk
    for user, status in ((world.b.admin, 404), (world.outsider, 403)):
        resp = page(user).post(f"/console/supervision/bulletins/{bulletin.pk}/regenerate/")
        assert resp.status_code == status
    assert Job.objects.count() == 2


def test_the_apis_generation_answers_the_bulletin_and_keeps_no_job(scored):
    world = scored
    bulletin = bulletins.generate_bulletin(
        actor=world.a.admin, org=world.a.org, year=2026, quarter=4
    )
    assert bulletin.pk and not Job.objects.exists()

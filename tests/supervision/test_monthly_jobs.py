"""A month's sheets made by hand on the console are a job of the city admin's: a county a
step, its summary and the month's page in 我的任务 and the inbox. The scheduled job and the
API's run keep no job; a county admin's refused click makes none."""

from datetime import date

import pytest
from django.urls import reverse

from dangjian.notifications.models import Job, JobStatus, Notification
from dangjian.supervision import monthly_services

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_the_citys_run_by_hand_is_a_job_with_its_summary_link_and_notice(world, page):
    client = page(world.city_admin)
    resp = client.post(reverse("console:monthly_run"), {"month": "2026-02"})
    assert resp.status_code == 302 and "month=2026-02" in resp["Location"]

    job = Job.objects.get()
    assert (job.kind, job.actor, job.title) == (
        "monthly_sheets",
        world.city_admin,
        "月度督查表：2026-02",
    )
    assert (job.status, job.done, job.total) == (JobStatus.SUCCEEDED, 2, 2)
    assert job.summary == "2026-02：新生成 2 份督查表，已有 0 份。"
    assert job.result_url == "/console/supervision/monthly/?month=2026-02"
    notice = Notification.objects.get(kind="job")
    assert (notice.user, notice.link) == (world.city_admin, job.result_url)
    listing = client.get(reverse("console:job_list")).content.decode()
    assert "月度督查表：2026-02" in listing and job.summary in listing

    # Again: nothing new made, and said so.
    client.post(reverse("console:monthly_run"), {"month": "2026-02"})
    again = Job.objects.order_by("-id").first()
    assert again.summary == "2026-02：新生成 0 份督查表，已有 2 份。"
    for user, status in ((world.a.admin, 404), (world.outsider, 403)):
        assert page(user).get(reverse("console:job_detail", args=[job.pk])).status_code == status


def test_the_service_unwatched_and_a_refused_click_keep_no_job(world, page):
    monthly_services.run_monthly_supervision(actor=world.city_admin, month=date(2026, 1, 1))
    resp = page(world.a.admin).post(reverse("console:monthly_run"), {"month": "2026-02"})
    assert resp.status_code == 403
    assert not Job.objects.exists()
    assert not Notification.objects.filter(kind="job").exists()

"""A distribution is a job its admin watches: made with the click, counted branch by branch
as each batch commits, ended with its summary and link, which also reach the admin's inbox;
a second click while it runs watches the same job, and a run the scheduler resumes finishes
the job the click made."""

import pytest

from dangjian import celery
from dangjian.core.errors import DomainError
from dangjian.notifications import jobs, selectors
from dangjian.notifications.models import Job, JobStatus, Notification
from dangjian.themedays import services, tasks

pytestmark = pytest.mark.django_db


def distribute(actor, campaign, capture):
    with capture(execute=True):
        return services.request_distribution(actor=actor, campaign=campaign)


def test_a_distribution_ends_its_job_with_the_counts_a_link_and_an_inbox_notice(
    world, campaign, django_capture_on_commit_callbacks
):
    result = distribute(world.city_admin, campaign, django_capture_on_commit_callbacks)

    job = Job.objects.get()
    assert result["job"].pk == job.pk
    assert (job.kind, job.actor, job.org) == ("distribution", world.city_admin, world.city)
    assert job.title == f"下发：{campaign.theme}"
    assert job.status == JobStatus.SUCCEEDED
    # Two counties with two branches each; three members in each county's first branch.
    assert (job.done, job.total) == (4, 4)
    assert job.summary == "下发完成：4 个党支部，已通知 6 名党员。"
    assert job.result_url == f"/console/campaigns/{campaign.pk}/progress/"
    assert job.started_at is not None and job.finished_at is not None

    notice = Notification.objects.get(user=world.city_admin, kind="job")
    assert notice.title == f"已完成：下发：{campaign.theme}"
    assert notice.body == job.summary
    assert notice.link == job.result_url
    # Nobody else hears of the admin's job.
    assert Notification.objects.filter(kind="job").count() == 1


def test_each_batch_of_branches_is_counted_once_it_has_committed(
    world, campaign, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.DISTRIBUTION_BRANCH_BATCH = 1
    seen = []
    advance = jobs.advance

    def advance_and_look(job, steps):
        advance(job, steps)
        seen.append((Job.objects.get(pk=job.pk).done, Job.objects.get(pk=job.pk).total))

    monkeypatch.setattr(jobs, "advance", advance_and_look)
    distribute(world.city_admin, campaign, django_capture_on_commit_callbacks)
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert Job.objects.get().status == JobStatus.SUCCEEDED


def test_a_second_click_while_it_runs_watches_the_same_job(world, campaign):
    # Without the commit, the task never runs: the job stays queued.
    first = services.request_distribution(actor=world.city_admin, campaign=campaign)["job"]
    second = services.request_distribution(actor=world.city_admin, campaign=campaign)["job"]
    assert first.pk == second.pk
    assert Job.objects.get().status == JobStatus.QUEUED


def test_a_click_after_the_end_makes_a_new_job_that_adds_nothing(
    world, campaign, django_capture_on_commit_callbacks
):
    distribute(world.city_admin, campaign, django_capture_on_commit_callbacks)
    again = distribute(world.city_admin, campaign, django_capture_on_commit_callbacks)
    assert again["already_distributed"] is True
    first, second = Job.objects.order_by("id")
    assert second.pk == again["job"].pk != first.pk
    assert second.status == JobStatus.SUCCEEDED
    assert second.summary == "下发完成：4 个党支部，已通知 6 名党员。"


def test_a_run_the_scheduler_resumes_finishes_the_clicks_job(
    world, campaign, clock, monkeypatch, django_capture_on_commit_callbacks
):
    eager = celery.app.conf.task_always_eager
    celery.app.conf.task_always_eager = False

    def refused(*args, **kwargs):
        raise ConnectionRefusedError("Error 111 connecting to 127.0.0.1:6379.")

    monkeypatch.setattr(tasks.distribute_campaign, "apply_async", refused)
    celery.reset()
    try:
        distribute(world.city_admin, campaign, django_capture_on_commit_callbacks)
    finally:
        celery.reset()
        celery.app.conf.task_always_eager = eager
    assert Job.objects.get().status == JobStatus.QUEUED

    clock.shift(services.DISTRIBUTION_RESUME_AFTER)
    assert services.resume_distributions() == 1
    job = Job.objects.get()
    assert job.status == JobStatus.SUCCEEDED and (job.done, job.total) == (4, 4)


def test_a_failed_job_says_so_in_the_inbox_without_a_result_link(world, campaign):
    job = services.request_distribution(actor=world.city_admin, campaign=campaign)["job"]
    jobs.fail(job)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.finished
    assert job.summary == "任务未能完成，请稍后重试或联系管理员。"
    notice = Notification.objects.get(user=world.city_admin, kind="job")
    assert notice.title == f"未完成：下发：{campaign.theme}"
    assert notice.link == f"/console/jobs/{job.pk}/"


def test_a_job_is_read_by_the_admin_who_started_it_only(world, campaign):
    job = services.request_distribution(actor=world.city_admin, campaign=campaign)["job"]
    assert selectors.access_job(world.city_admin, job.pk) == job
    assert list(selectors.my_jobs(world.city_admin)) == [job]
    for other in (world.a.admin, world.a.branch_admin, world.a.member.user, world.outsider):
        with pytest.raises(DomainError) as refused:
            selectors.access_job(other, job.pk)
        assert refused.value.code == "not_found"
        assert not selectors.my_jobs(other).exists()
    with pytest.raises(DomainError) as missing:
        selectors.access_job(world.city_admin, job.pk + 1)
    assert missing.value.code == "not_found"

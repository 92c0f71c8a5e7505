"""Exports made as jobs (notifications.export_files): "生成导出文件" on the member register, a
quiz's results and an appraisal answers at once with the job's page; the task builds the
file counting its steps, keeps it under the job, and ends with its download link, also in
the starter's inbox. The file is the starter's alone (another admin, another county's and
the outsider get 404 or 403), its download audited; the direct downloads stay."""

import io

import pytest
import time_machine
from openpyxl import load_workbook

from dangjian.audit.models import AuditEntry
from dangjian.notifications import export_files
from dangjian.notifications.models import Job, JobStatus, Notification
from dangjian.registry import exports
from dangjian.supervision.models import Appraisal
from tests.api.test_quiz_results_api import _quiz_taken
from tests.interaction.conftest import use_tmp_media
from tests.learning.articles import NOW
from tests.supervision.test_appraisal import AT, YEAR, publish, year_score

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    use_tmp_media(settings, tmp_path)


@pytest.fixture
def quiz_clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _rows(content: bytes) -> list[tuple]:
    return list(load_workbook(io.BytesIO(content), read_only=True).worksheets[0].values)


def _download(client, job) -> bytes:
    resp = client.get(f"/console/jobs/{job.pk}/file/")
    assert resp.status_code == 200, resp.content[:500]
    assert "spreadsheetml" in resp["Content-Type"]
    return b"".join(resp.streaming_content)


def test_the_register_export_counts_its_rows_and_ends_with_the_file_and_a_notice(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(exports, "ROWS_A_STEP", 2)
    seen = []
    real_advance = exports.jobs.advance

    def advance(job, steps):
        real_advance(job, steps)
        if job is not None:
            seen.append(Job.objects.get(pk=job.pk).done)

    monkeypatch.setattr(exports.jobs, "advance", advance)
    with django_capture_on_commit_callbacks(execute=True):
        job = exports.start_member_export(actor=world.a.admin, org=world.a.org)
    job.refresh_from_db()
    direct, filename, _type = exports.export_members(actor=world.a.admin, org=world.a.org)
    members = len(_rows(direct)) - 1
    assert members >= 3
    steps = -(-members // 2) + 1
    assert seen == list(range(1, steps))
    assert (job.kind, job.actor, job.org) == ("member_export", world.a.admin, world.a.org)
    assert job.title == f"导出党员名册：{world.a.org.name}"
    assert (job.status, job.done, job.total) == (JobStatus.SUCCEEDED, steps, steps)
    assert job.summary.startswith(f"导出文件已生成：{filename}")
    assert job.result_url == f"/console/jobs/{job.pk}/file/"
    notice = Notification.objects.get(kind="job")
    assert (notice.user, notice.link) == (world.a.admin, job.result_url)
    assert AuditEntry.objects.filter(action="member.export").count() == 2


def test_a_second_click_while_it_runs_is_the_same_job_and_a_refusal_fails_it(world):
    first = exports.start_member_export(actor=world.a.admin, org=world.a.org)
    again = exports.start_member_export(actor=world.a.admin, org=world.a.org)
    assert first.pk == again.pk and Job.objects.get().status == JobStatus.QUEUED
    # The admin lost the county before the task ran: the builder refuses, the job says so.
    world.a.admin.role_grants.all().delete()
    export_files.build_export(first.pk, world.a.org.pk)
    first.refresh_from_db()
    assert first.status == JobStatus.FAILED and first.summary
    assert first.result_url == ""
    assert Notification.objects.get(kind="job").link == f"/console/jobs/{first.pk}/"


def test_the_register_click_leads_to_the_job_whose_file_its_starter_alone_downloads(
    world, page, django_capture_on_commit_callbacks
):
    county = page(world.a.admin)
    listing = county.get(f"/console/orgs/{world.a.org.pk}/members/").content.decode()
    assert "生成导出文件" in listing
    with django_capture_on_commit_callbacks(execute=True):
        r = county.post(f"/console/orgs/{world.a.org.pk}/members/export-job/")
    job = Job.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/console/jobs/{job.pk}/"
    body = county.get(r["Location"]).content.decode()
    assert "已完成 2 / 2" in body and f'href="/console/jobs/{job.pk}/file/"' in body
    rows = _rows(_download(county, job))
    assert rows[0][1] == "身份证号（脱敏）" and world.a.member.name in {r[0] for r in rows}
    assert world.b.member.name not in {r[0] for r in rows}
    entry = AuditEntry.objects.get(action="export.download")
    assert (entry.actor, entry.object_id) == (world.a.admin, str(job.pk))
    for user, status in ((world.city_admin, 404), (world.b.admin, 404), (world.outsider, 403)):
        assert page(user).get(f"/console/jobs/{job.pk}/file/").status_code == status
        assert page(user).get(f"/console/jobs/{job.pk}/").status_code == status
    # Another county's register, or the city's, is not the county admin's to export.
    for org in (world.b.org, world.city):
        assert county.post(f"/console/orgs/{org.pk}/members/export-job/").status_code == 404
    assert (
        page(world.outsider).post(f"/console/orgs/{world.a.org.pk}/members/export-job/").status_code
        == 403
    )
    assert Job.objects.count() == 1
    # A job that is not an export has no file.
    other = Job.objects.create(
        kind="ledger", subject="ledger:1", title="x", actor=world.a.admin, created_at=job.created_at
    )
    assert county.get(f"/console/jobs/{other.pk}/file/").status_code == 404


def test_the_quiz_results_export_is_a_job_of_the_quizs_admin(
    world,
    page,
    quiz_clock,
    django_capture_on_commit_callbacks,  # noqa: F811
):
    made, _one, _two = _quiz_taken(world)
    city = page(world.city_admin)
    assert (
        "生成导出文件" in city.get(f"/console/learning/quizzes/{made.pk}/results/").content.decode()
    )
    with django_capture_on_commit_callbacks(execute=True):
        r = city.post(f"/console/learning/quizzes/{made.pk}/results/export-job/")
    job = Job.objects.get()
    assert r["Location"] == f"/console/jobs/{job.pk}/"
    assert (job.kind, job.status, job.done, job.total) == (
        "quiz_results_export",
        JobStatus.SUCCEEDED,
        2,
        2,
    )
    assert Notification.objects.get(kind="job").link == job.result_url
    workbook = load_workbook(io.BytesIO(_download(city, job)), read_only=True)
    assert "成员成绩" in workbook.sheetnames
    for user, status in ((world.a.admin, 404), (world.b.admin, 404), (world.outsider, 403)):
        client = page(user)
        assert client.get(f"/console/jobs/{job.pk}/file/").status_code == status
        resp = client.post(f"/console/learning/quizzes/{made.pk}/results/export-job/")
        assert resp.status_code == status
    assert Job.objects.count() == 1


def test_the_appraisal_export_is_a_job_of_each_reader_with_their_own_rows(
    world, page, django_capture_on_commit_callbacks
):
    with time_machine.travel(AT, tick=False):
        for branch, score in ((world.a.branch, 9000), (world.b.branch, 8000)):
            year_score(branch, score)
        publish(world)
        assert (
            page(world.city_admin)
            .post("/console/supervision/appraisals/", {"year": YEAR})
            .status_code
            == 302
        )
        appraisal = Appraisal.objects.get(year=YEAR)
        county = page(world.a.admin)
        with django_capture_on_commit_callbacks(execute=True):
            r = county.post(f"/console/supervision/appraisals/{appraisal.pk}/export-job/")
    job = Job.objects.get()
    assert r["Location"] == f"/console/jobs/{job.pk}/"
    assert (job.kind, job.actor, job.status, job.done, job.total) == (
        "appraisal_export",
        world.a.admin,
        JobStatus.SUCCEEDED,
        2,
        2,
    )
    assert Notification.objects.get(kind="job").user == world.a.admin
    branches = {row[1] for row in _rows(_download(county, job))[3:]}
    assert world.a.branch.name in branches and world.b.branch.name not in branches
    for user, status in ((world.city_admin, 404), (world.b.admin, 404), (world.outsider, 403)):
        assert page(user).get(f"/console/jobs/{job.pk}/file/").status_code == status
    resp = page(world.outsider).post(f"/console/supervision/appraisals/{appraisal.pk}/export-job/")
    assert resp.status_code == 403 and Job.objects.count() == 1


def test_the_sweep_builds_an_export_whose_task_was_lost_and_forgets_files_after_a_week(world, page):
    from datetime import timedelta

    from dangjian.core import clock as app_clock

    job = exports.start_member_export(actor=world.a.admin, org=world.a.org)  # never committed
    assert export_files.resume_exports() == 0  # not yet overdue
    Job.objects.filter(pk=job.pk).update(created_at=app_clock.now() - timedelta(minutes=6))
    assert export_files.resume_exports() == 1
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    county = page(world.a.admin)
    assert _rows(_download(county, job))[0][0] == "姓名"
    assert export_files.forget_old_exports() == 0  # kept a week
    Job.objects.filter(pk=job.pk).update(finished_at=app_clock.now() - timedelta(days=8))
    assert export_files.forget_old_exports() == 1
    job.refresh_from_db()
    assert job.result_url == "" and job.summary.startswith("导出文件已生成")
    assert county.get(f"/console/jobs/{job.pk}/file/").status_code == 404
    assert export_files.forget_old_exports() == 0

"""Exports as jobs over the API: POST …/export-jobs answers 202 with the job to poll, and
GET /jobs/{id}/file hands its starter the file once it has succeeded; anyone else's job is
404, as are an organization, quiz or appraisal out of the caller's scope (the outsider's
too: the API answers 404 for what the caller cannot see)."""

import io

import pytest
from openpyxl import load_workbook

from dangjian.notifications.models import Job, JobStatus

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _file(resp) -> bytes:
    return b"".join(resp.streaming_content) if resp.streaming else resp.content


def test_a_register_export_job_is_polled_then_its_file_fetched_by_its_starter_only(
    world, api, django_capture_on_commit_callbacks
):
    county = api(world.a.admin)
    with django_capture_on_commit_callbacks(execute=True):
        started = county.post(f"/orgs/{world.a.org.pk}/members/export-jobs")
    assert started.status_code == 202, started.content
    job_id = started.json()["job_id"]
    polled = county.get(f"/jobs/{job_id}").json()
    assert (polled["kind"], polled["status"]) == ("member_export", JobStatus.SUCCEEDED)
    fetched = county.get(f"/jobs/{job_id}/file")
    assert fetched.status_code == 200 and "spreadsheetml" in fetched["Content-Type"]
    sheet = load_workbook(io.BytesIO(_file(fetched)), read_only=True).worksheets[0]
    names = {row[0] for row in sheet.values}
    assert world.a.member.name in names and world.b.member.name not in names
    for user in (world.b.admin, world.city_admin, world.outsider):
        assert api(user).get(f"/jobs/{job_id}/file").status_code == 404
    assert county.post(f"/orgs/{world.b.org.pk}/members/export-jobs").status_code == 404
    assert (
        api(world.outsider).post(f"/orgs/{world.a.org.pk}/members/export-jobs").status_code == 404
    )
    assert Job.objects.count() == 1


def test_an_unfinished_or_other_job_has_no_file(world, api):
    county = api(world.a.admin)
    started = county.post(f"/orgs/{world.a.org.pk}/members/export-jobs")  # never committed
    assert started.status_code == 202
    job = Job.objects.get()
    assert job.status == JobStatus.QUEUED
    assert county.get(f"/jobs/{job.pk}/file").json()["code"] == "not_found"


def test_the_quiz_results_and_appraisal_export_jobs_answer_their_job(
    world, api, django_capture_on_commit_callbacks
):
    import time_machine

    from dangjian.supervision.models import Appraisal
    from tests.api.test_quiz_results_api import _quiz_taken
    from tests.learning.articles import NOW
    from tests.supervision.test_appraisal import AT, YEAR, publish, year_score

    with time_machine.travel(NOW, tick=False):
        made, _one, _two = _quiz_taken(world)
        with django_capture_on_commit_callbacks(execute=True):
            quiz_job = api(world.city_admin).post(f"/quizzes/{made.pk}/results/export-jobs")
        assert api(world.a.admin).post(f"/quizzes/{made.pk}/results/export-jobs").status_code == 404
    with time_machine.travel(AT, tick=False):
        year_score(world.a.branch, 9000)
        publish(world)
        assert (
            api(world.city_admin)
            .post(f"/orgs/{world.city.pk}/appraisals", {"year": YEAR})
            .status_code
            == 201
        )
        appraisal = Appraisal.objects.get(year=YEAR)
        with django_capture_on_commit_callbacks(execute=True):
            appraisal_job = api(world.a.admin).post(f"/appraisals/{appraisal.pk}/export-jobs")
        outsider = api(world.outsider).post(f"/appraisals/{appraisal.pk}/export-jobs")
    assert (quiz_job.status_code, appraisal_job.status_code, outsider.status_code) == (
        202,
        202,
        404,
    )
    for client, started in ((api(world.city_admin), quiz_job), (api(world.a.admin), appraisal_job)):
        job_id = started.json()["job_id"]
        assert client.get(f"/jobs/{job_id}").json()["status"] == JobStatus.SUCCEEDED
        assert client.get(f"/jobs/{job_id}/file").status_code == 200
        assert api(world.b.admin).get(f"/jobs/{job_id}/file").status_code == 404
    assert Job.objects.count() == 2

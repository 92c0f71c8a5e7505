"""A refused import's job page lists the file's errors row by row, as the import page did
before imports became jobs: the page and its polled panel once finished, the first 200 rows
with how many there are and the XLSX report beside them, for the job's starter only."""

import pytest
from django.urls import reverse

from dangjian.notifications.models import Job, JobStatus
from dangjian.registry.imports import background
from tests.console.test_pages import import_row, member_csv

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def html(response) -> str:
    return response.content.decode()


def import_job(world, page, capture, rows) -> tuple:
    client = page(world.a.admin)
    url = reverse("console:import", args=[world.a.org.pk])
    with capture(execute=True):
        response = client.post(url, {"kind": "members", "file": member_csv(rows)})
    job = Job.objects.get()
    assert response["Location"] == f"/console/jobs/{job.pk}/"
    return client, job


def test_a_refused_imports_job_page_and_its_finished_panel_list_every_row_error(
    world, page, django_capture_on_commit_callbacks
):
    rows = [import_row(name="好行"), import_row(name="坏行", phone="12")]
    client, job = import_job(world, page, django_capture_on_commit_callbacks, rows)
    assert job.status == JobStatus.FAILED
    url = reverse("console:job_detail", args=[job.pk])
    for body in (html(client.get(url)), html(client.get(url, headers=HTMX))):
        table = body.split('class="card import-errors"')[1].split("</section>")[0]
        assert "文件中有1处错误，未导入任何数据。请修改后重新上传。" in table
        assert "第3行" in table and "<tr><td" in table
        assert "完整列表见错误报告" not in table
        assert f'href="{job.result_url}"' in body
    # Scoped as the job is: nobody else reads the rows.
    for user, status in ((world.a.branch_admin, 404), (world.b.admin, 404), (world.outsider, 403)):
        response = page(user).get(url)
        assert response.status_code == status
        assert "第3行" not in html(response)


def test_a_file_with_many_errors_lists_the_first_200_and_points_to_the_report(
    world, page, django_capture_on_commit_callbacks
):
    rows = [import_row(name=f"坏行{i}", phone="12") for i in range(background.SHOWN_ERRORS + 5)]
    client, job = import_job(world, page, django_capture_on_commit_callbacks, rows)
    body = html(client.get(reverse("console:job_detail", args=[job.pk])))
    table = body.split('class="card import-errors"')[1].split("</section>")[0]
    assert table.count("<tr><td") == background.SHOWN_ERRORS
    assert "第201行" in table and "第207行" not in table
    assert "共 205 处错误，完整列表见错误报告。" in table
    assert f'<a href="{job.result_url}">下载错误报告</a>' in table


def test_a_finished_import_and_other_jobs_show_no_error_table(
    world, page, django_capture_on_commit_callbacks
):
    client, job = import_job(world, page, django_capture_on_commit_callbacks, [import_row()])
    assert job.status == JobStatus.SUCCEEDED
    body = html(client.get(reverse("console:job_detail", args=[job.pk])))
    assert "导入 1 名党员" in body and "import-errors" not in body
    assert background.error_rows(job) == {"row_errors": [], "error_count": 0}

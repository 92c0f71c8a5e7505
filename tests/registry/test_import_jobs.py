"""The console's member import is a job: the upload is kept, the task checks the rows a
batch a step (counted outside the writing transaction), writes them all or nothing as the
last step, and ends with the summary, the link (the member list, or the per-row error
report) and the starter's inbox notice. The page leads to the job; the error report is its
starter's only."""

import csv
import io
from datetime import date

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from openpyxl import load_workbook

from dangjian.audit.models import AuditEntry
from dangjian.core.errors import DomainError
from dangjian.notifications import jobs
from dangjian.notifications.models import Job, JobStatus, Notification
from dangjian.registry.imports import background, members, organizations
from dangjian.registry.models import Member
from tests.console.test_pages import import_row, member_csv

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def start(world, rows, capture, actor=None):
    with capture(execute=True):
        job = background.start_import(
            kind="members",
            actor=actor or world.a.admin,
            org=world.a.org,
            file=member_csv(rows),
            filename="党员.csv",
        )
    job.refresh_from_db()
    return job


def test_a_good_file_is_checked_a_batch_a_step_then_written_and_ends_with_the_member_list(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(members, "CHECK_BATCH", 2)
    counts = []
    advance = jobs.advance

    def counted(job, steps):
        advance(job, steps)
        # Each batch's count is committed before the writing starts: no member yet.
        counts.append((Job.objects.get(pk=job.pk).done, Member.objects.filter(name="批量").count()))

    monkeypatch.setattr(jobs, "advance", counted)
    rows = [import_row(name="批量") for _ in range(5)]
    job = start(world, rows, django_capture_on_commit_callbacks)
    assert counts == [(1, 0), (2, 0), (3, 0)]
    assert (job.status, job.done, job.total) == (JobStatus.SUCCEEDED, 4, 4)
    assert job.summary == "导入 5 名党员：新登记 5 名，更新 0 名。"
    assert job.result_url == f"/console/orgs/{world.a.org.pk}/members/"
    assert Member.objects.filter(name="批量").count() == 5
    notice = Notification.objects.get(kind="job")
    assert (notice.user, notice.link, notice.body) == (world.a.admin, job.result_url, job.summary)
    # The upload holds ID numbers: it is not kept once imported.
    assert not default_storage.exists(background._upload_path(background._token(job)))


def test_a_bad_row_in_the_last_batch_writes_nothing_and_ends_with_the_error_report(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(members, "CHECK_BATCH", 2)
    rows = [import_row(name="批量") for _ in range(4)] + [import_row(phone="12")]
    before = Member.objects.count()
    job = start(world, rows, django_capture_on_commit_callbacks)
    assert Member.objects.count() == before
    assert (job.status, job.done, job.total) == (JobStatus.FAILED, 3, 4)
    assert job.summary.startswith("文件中有1处错误，未导入任何数据。第6行“手机号”：")
    assert job.result_url == f"/console/jobs/{job.pk}/errors.xlsx"
    assert Notification.objects.get(kind="job").link == job.result_url
    file, name, _type = background.error_report_file(job)
    with file:
        sheet = load_workbook(io.BytesIO(file.read())).active
    table = list(sheet.iter_rows(values_only=True))
    assert table[0][0] == job.summary and table[1] == ("行", "列", "原因")
    assert table[2][:2] == (6, "手机号") and name == "导入错误报告.xlsx"


def test_a_duplicate_across_batches_is_still_found(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(members, "CHECK_BATCH", 1)
    same = import_row()
    job = start(
        world, [same, import_row(id_number=same["id_number"])], django_capture_on_commit_callbacks
    )
    assert job.status == JobStatus.FAILED and "与第2行的身份证号重复" in job.summary


def test_a_file_that_is_not_a_member_table_is_refused_in_the_request(world):
    pdf = io.BytesIO(b"%PDF-1.4 not a table")
    with pytest.raises(DomainError) as refused:
        background.start_import(
            kind="members", actor=world.a.admin, org=world.a.org, file=pdf, filename="x.pdf"
        )
    assert refused.value.code == "unsupported_file" and not Job.objects.exists()


def test_only_admins_over_the_organization_may_start_one(world):
    for user in (world.b.admin, world.a.member.user, world.outsider):
        with pytest.raises(DomainError):
            background.start_import(
                kind="members",
                actor=user,
                org=world.a.org,
                file=member_csv([import_row()]),
                filename="党员.csv",
            )
    assert not Job.objects.exists()


def test_an_unexpected_failure_fails_the_job_and_writes_nothing(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(members, "_create_members", broken)
    before = Member.objects.count()
    job = start(world, [import_row()], django_capture_on_commit_callbacks)
    assert job.status == JobStatus.FAILED and job.result_url == ""
    assert job.summary == "导入未能完成，未导入任何数据，请稍后重新导入。"
    assert Member.objects.count() == before


def test_the_page_leads_to_the_job_whose_report_only_its_starter_reads(
    world, page, django_capture_on_commit_callbacks
):
    url = reverse("console:import", args=[world.a.org.pk])
    client = page(world.a.admin)
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(url, {"kind": "members", "file": member_csv([import_row(phone="12")])})
    job = Job.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/console/jobs/{job.pk}/"
    body = client.get(r["Location"]).content.decode()
    assert "未导入任何数据" in body and f'href="{job.result_url}"' in body
    assert "下载错误报告" in body
    assert client.get(job.result_url).status_code == 200
    for user, status in ((world.a.branch_admin, 404), (world.b.admin, 404), (world.outsider, 403)):
        assert page(user).get(job.result_url).status_code == status
        assert page(user).get(r["Location"]).status_code == status


def test_the_page_refuses_another_countys_admin_and_the_outsider_as_before(world, page):
    url = reverse("console:import", args=[world.a.org.pk])
    for user, status in ((world.b.admin, 404), (world.outsider, 403)):
        file = member_csv([import_row()])
        assert page(user).post(url, {"kind": "members", "file": file}).status_code == status
    assert not Job.objects.exists()


def test_a_reimport_job_counts_updated_members(world, django_capture_on_commit_callbacks):
    row = import_row(name="再导入", join_date=date(2000, 7, 1).isoformat())
    start(world, [row], django_capture_on_commit_callbacks)
    job = start(world, [dict(row, name="再导入乙")], django_capture_on_commit_callbacks)
    assert job.summary == "导入 1 名党员：新登记 0 名，更新 1 名。"
    assert Member.objects.get(name="再导入乙")


def org_csv(rows) -> io.BytesIO:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["组织编码", "组织名称", "上级组织编码", "组织类别", "所属领域", "分类"])
    writer.writerows(rows)
    data = io.BytesIO(out.getvalue().encode("utf-8-sig"))
    data.name = "组织.csv"
    return data


def test_an_organization_import_is_a_job_too_with_its_batches_and_its_report(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(organizations, "CHECK_BATCH", 2)
    rows = [["W-1", "导入党委", "", "党委", "农村", ""]]
    rows += [[f"W-1{i}", f"导入党支部{i}", "W-1", "党支部", "农村", ""] for i in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        job = background.start_import(
            actor=world.a.admin,
            org=world.a.org,
            kind="orgs",
            file=org_csv(rows),
            filename="组织.csv",
        )
    job.refresh_from_db()
    assert (job.kind, job.status, job.done, job.total) == ("org_import", JobStatus.SUCCEEDED, 3, 3)
    assert job.summary == "导入 4 个党组织：新建 4 个，更新 0 个。"
    assert job.result_url == f"/console/orgs/{world.a.org.pk}/"
    with django_capture_on_commit_callbacks(execute=True):
        job = background.start_import(
            actor=world.a.admin,
            org=world.a.org,
            kind="orgs",
            file=org_csv([["W-2", "坏行", "NOPE", "党支部", "农村", ""]]),
            filename="组织.csv",
        )
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "第2行" in job.summary
    assert job.result_url == f"/console/jobs/{job.pk}/errors.xlsx"


def test_an_import_whose_task_was_never_queued_is_run_by_the_sweep_a_while_later(
    world, time_machine
):
    time_machine.move_to("2026-12-01T10:00:00+08:00", tick=False)
    # Without the commit callbacks the task is never queued: as if Redis had refused it.
    job = background.start_import(
        actor=world.a.admin,
        org=world.a.org,
        kind="members",
        file=member_csv([import_row(name="补跑")]),
        filename="补跑.csv",
    )
    assert background.resume_imports() == 0
    time_machine.move_to("2026-12-01T10:06:00+08:00", tick=False)
    assert background.resume_imports() == 1
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and Member.objects.filter(name="补跑").exists()
    entry = AuditEntry.objects.filter(action="registry.import").latest("pk")
    assert entry.after["file"] == "补跑.csv"
    assert background.resume_imports() == 0


@pytest.mark.parametrize("chunk", [7, 1 << 20])
def test_a_jobs_total_is_read_without_parsing_cells_and_is_never_below_the_rows(monkeypatch, chunk):
    from openpyxl import Workbook

    from dangjian.registry.imports import tables

    monkeypatch.setattr(tables, "SCAN_CHUNK", chunk)
    wb = Workbook()
    wb.active.append(["姓名", "身份证号"])
    for i in range(30):
        wb.active.append([f"党员{i}", "x"] if i != 3 else [None, None])
    xlsx = io.BytesIO()
    wb.save(xlsx)
    assert tables.rows_at_most(xlsx) == 30 and xlsx.tell() == 0
    lines = "姓名,身份证号\n" + "".join(f'"党员\n{i}",x\n' for i in range(5))
    assert tables.rows_at_most(io.BytesIO(lines.encode())) == 10
    assert tables.rows_at_most(io.BytesIO(lines.rstrip("\n").encode())) == 10

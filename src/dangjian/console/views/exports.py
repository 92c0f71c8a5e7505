"""Exports made as jobs (notifications.export_files): the "生成导出文件" buttons of the member
register, a quiz's results and an appraisal start the job and answer with its page at once;
the finished file is downloaded from the job by its starter only. The direct downloads beside
them stay for small scopes."""

from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from dangjian import permissions
from dangjian.console.decorators import admin_view
from dangjian.core.files import download_response
from dangjian.notifications import export_files
from dangjian.notifications import selectors as notification_selectors
from dangjian.permissions import Action

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@require_POST
@admin_view
def member_export_job(request, org_id: int):
    from dangjian.registry import exports

    org = permissions.access_org(request.user, org_id, Action.IMPORT)
    job = exports.start_member_export(actor=request.user, org=org)
    return redirect("console:job_detail", job.pk)


@require_POST
@admin_view
def quiz_results_export_job(request, quiz_id: int):
    from dangjian.learning import quiz_results

    quiz = permissions.access_quiz(request.user, quiz_id)
    job = quiz_results.start_results_export(actor=request.user, quiz=quiz)
    return redirect("console:job_detail", job.pk)


@require_POST
@admin_view
def appraisal_export_job(request, appraisal_id: int):
    from dangjian.supervision import appraisal

    found = permissions.access_appraisal(request.user, appraisal_id)
    job = appraisal.start_appraisal_export(actor=request.user, appraisal=found)
    return redirect("console:job_detail", job.pk)


@require_GET
@admin_view
def job_file(request, job_id: int):
    """A finished export's file, for the job's starter only (404 for anyone else)."""
    job = notification_selectors.access_job(request.user, job_id)
    handle, name = export_files.open_export(actor=request.user, job=job)
    return download_response(handle, filename=name, content_type=XLSX)

"""Long work in the back office (我的任务): the jobs the signed-in admin started, newest
first, and one job's progress, which its page polls while the work runs (htmx every second,
stopping once the job has finished)."""

from django.shortcuts import render
from django.views.decorators.http import require_GET
from django_htmx.http import trigger_client_event

from dangjian.console.decorators import admin_view
from dangjian.console.views.base import paginate, render_page
from dangjian.notifications import selectors

# The event a job's polled partial sends (`HX-Trigger`) once the job has finished.
JOB_FINISHED = "jobFinished"


@require_GET
@admin_view
def job_list(request):
    page = paginate(request, selectors.my_jobs(request.user))
    return render_page(request, "console/jobs/list.html", {"page": page})


@require_GET
@admin_view
def job_detail(request, job_id: int):
    from dangjian.registry.imports import background

    job = selectors.access_job(request.user, job_id)
    # A refused import's rows, listed as its import page listed them (none for other jobs).
    context = {"job": job, **background.error_rows(job)}
    if request.htmx:
        response = render(request, "console/partials/job.html", context)
        if job.finished:
            # The poll's last answer: the page's other parts that the work changes (the
            # campaign's distribution card) listen for it and draw themselves again.
            trigger_client_event(response, JOB_FINISHED, {"job": job.pk})
        return response
    return render_page(request, "console/jobs/detail.html", context)

"""Bulk data: the spreadsheet import with its per-row report, templates and the export."""

from django.http import Http404
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_http_methods

from dangjian import permissions
from dangjian.console.decorators import admin_view
from dangjian.console.forms import ImportForm
from dangjian.console.views.base import import_refusal, posted, render_page, trail
from dangjian.core.errors import DomainError
from dangjian.core.files import download_response, made_file
from dangjian.notifications import selectors as notification_selectors
from dangjian.permissions import Action


@require_GET
@admin_view
def member_export(request, org_id: int):
    from dangjian.registry import exports

    org = permissions.access_org(request.user, org_id, Action.IMPORT)
    return made_file(*exports.export_members(actor=request.user, org=org))


@require_GET
@admin_view
def import_template(request, kind: str, fmt: str):
    from dangjian.registry import imports

    makers = {"members": imports.member_template, "orgs": imports.org_template}
    if kind not in makers or fmt not in ("csv", "xlsx"):
        raise Http404
    return made_file(*makers[kind](fmt))


@require_http_methods(["GET", "POST"])
@admin_view
def import_view(request, org_id: int):
    from dangjian.registry.imports import background

    actor = request.user
    org = permissions.access_org(actor, org_id, Action.IMPORT)
    form = ImportForm(posted(request), request.FILES if request.method == "POST" else None)
    refusal = import_refusal()
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = background.start_import(
                actor=actor,
                org=org,
                kind=form.cleaned_data["kind"],
                file=upload,
                filename=upload.name,
            )
        except DomainError as exc:
            refusal = import_refusal(exc)
        else:
            # A job: its page counts the batches checked, then says what was imported.
            return redirect("console:job_detail", job.pk)
    return render_page(
        request,
        "console/import.html",
        {
            "org": org,
            "crumbs": trail(actor, org),
            "form": form,
            **refusal,
        },
    )


@require_GET
@admin_view
def import_errors(request, job_id: int):
    """A failed import's per-row error report, for the job's starter only."""
    from dangjian.registry.imports import background

    job = notification_selectors.access_job(request.user, job_id)
    file, filename, content_type = background.error_report_file(job)
    return download_response(file, filename=filename, content_type=content_type)

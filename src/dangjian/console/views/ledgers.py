"""The branch ledger (台账: request, follow, download) and the historical theme-day import."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from dangjian import permissions
from dangjian.console.decorators import admin_view
from dangjian.console.views.base import import_refusal, posted, render_page, trail
from dangjian.core import clock
from dangjian.core.errors import DomainError
from dangjian.core.files import download_response, made_file
from dangjian.notifications import selectors as notification_selectors
from dangjian.permissions import Action
from dangjian.themedays import history
from dangjian.themedays.ledger import services as ledgers


class HistoryImportForm(forms.Form):
    file = forms.FileField(
        label=_("文件（.xlsx 或 .csv）"),
        error_messages={"required": _("请选择要导入的文件"), "empty": _("文件是空的。")},
    )


class LedgerForm(forms.Form):
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)


@require_http_methods(["GET", "POST"])
@admin_view
def history_import(request, org_id: int):
    actor = request.user
    org = permissions.access_org(actor, org_id, Action.IMPORT)
    if not permissions.may_import_history(actor, org):
        raise permissions.forbidden()
    form = HistoryImportForm(posted(request), request.FILES if request.method == "POST" else None)
    result = None
    refusal = import_refusal()
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = history.import_history(actor=actor, org=org, file=upload, filename=upload.name)
        except DomainError as exc:
            refusal = import_refusal(exc)
    context = {"org": org, "crumbs": trail(actor, org), "form": form, "result": result}
    return render_page(request, "console/themedays/history_import.html", {**context, **refusal})


@require_GET
@admin_view
def history_template(request, fmt: str):
    if fmt not in ("csv", "xlsx"):
        raise permissions.not_found()
    return made_file(*history.history_template(fmt))


@require_http_methods(["GET", "POST"])
@admin_view
def ledger_list(request, branch_id: int):
    actor = request.user
    branch = permissions.access_org(actor, branch_id)
    if not permissions.may_request_ledger(actor, branch):
        raise permissions.forbidden()
    form = LedgerForm(posted(request), initial={"year": clock.today().year})
    if request.method == "POST" and form.is_valid():
        try:
            ledger = ledgers.request_ledger(
                actor=actor, branch=branch, year=form.cleaned_data["year"]
            )
        except DomainError as exc:
            form.add_error("year", exc.message)
        else:
            messages.success(request, _("已开始生成台账，生成后可在下方下载。"))
            # Its job's page shows the build's steps, then the summary and the download.
            job = notification_selectors.latest_job(actor, ledgers.ledger_subject(ledger.pk))
            if job is not None:
                return redirect("console:job_detail", job.pk)
            return redirect("console:ledger_list", branch.pk)
    items = ledgers.branch_ledgers(actor, branch)
    context = {
        "org": branch,
        "crumbs": trail(actor, branch),
        "form": form,
        "ledgers": items,
        "building": any(x.status == "pending" for x in items),
    }
    return render_page(request, "console/themedays/ledgers.html", context)


@require_GET
@admin_view
def ledger_download(request, ledger_id: int):
    ledger = permissions.access_ledger(request.user, ledger_id)
    handle, name = ledgers.open_ledger(actor=request.user, ledger=ledger)
    return download_response(handle, filename=name, content_type="application/zip")

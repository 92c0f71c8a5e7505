"""The branch secretary's ledger (台账) on the phone: ask for a year's, download it."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from dangjian import permissions
from dangjian.core import clock
from dangjian.core.errors import DomainError
from dangjian.core.files import download_response
from dangjian.mobile.decorators import signed_in
from dangjian.themedays import selectors
from dangjian.themedays.ledger import services as ledgers


class LedgerForm(forms.Form):
    year = forms.IntegerField(min_value=2000, max_value=2100)


@require_http_methods(["GET", "POST"])
@signed_in
def ledger_list(request, branch_id: int):
    """One branch the user administers: its ledgers and the form asking for a year's."""
    user = request.user
    branch = permissions.access_org(user, branch_id)
    if not permissions.may_request_ledger(user, branch):
        raise permissions.forbidden()
    form = LedgerForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            ledgers.request_ledger(actor=user, branch=branch, year=form.cleaned_data["year"])
        except DomainError as exc:
            form.add_error("year", exc.message)
        else:
            messages.success(request, _("已开始生成台账，稍后刷新本页即可下载。"))
            return redirect("mobile:ledgers", branch.pk)
    this_year = clock.today().year
    context = {
        "branch": branch,
        "form": form,
        "years": list(range(this_year, this_year - 5, -1)),
        "ledgers": ledgers.branch_ledgers(user, branch),
        "own_branches": selectors.administered_branches(user),
    }
    return render(request, "mobile/ledgers.html", context)


@require_GET
@signed_in
def ledger_download(request, ledger_id: int):
    ledger = permissions.access_ledger(request.user, ledger_id)
    handle, name = ledgers.open_ledger(actor=request.user, ledger=ledger)
    return download_response(handle, filename=name, content_type="application/zip")

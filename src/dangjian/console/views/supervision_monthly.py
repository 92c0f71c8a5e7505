"""Monthly supervision pages (一月一督查): the sheets of the admin's scope (a county's admins
see their county's, the city's see every county's) with their downloads, and the city's form
to make a finished month's sheets by hand."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from dangjian import permissions
from dangjian.console.decorators import admin_view
from dangjian.console.views.base import paginate, render_page
from dangjian.core import clock
from dangjian.core.errors import DomainError
from dangjian.core.files import attachment_response
from dangjian.scoring.selectors.periods import parse_month
from dangjian.supervision import monthly, monthly_services
from dangjian.supervision.monthly_files import sheet_attachment


class RunForm(forms.Form):
    month = forms.DateField(
        label=gettext_lazy("月份"),
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )


def _month_filter(request):
    try:
        return parse_month(request.GET.get("month", ""))
    except DomainError:
        return None


@require_GET
@admin_view
def monthly_sheets(request):
    actor = request.user
    month = _month_filter(request)
    can_run = permissions.may_run_monthly_supervision(actor)
    due = monthly.month_due(clock.today(), monthly.policy().day)
    return render_page(
        request,
        "console/supervision/monthly.html",
        {
            "sheets": paginate(request, monthly.sheets_for(actor, month=month)),
            "month": month,
            "can_run": can_run,
            "form": RunForm(initial={"month": due}) if can_run else None,
            "policy": monthly.policy(),
        },
    )


@require_POST
@admin_view
def monthly_run(request):
    actor = request.user
    if not permissions.may_run_monthly_supervision(actor):
        raise permissions.forbidden()
    form = RunForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择月份"))
        return redirect("console:monthly_sheets")
    try:
        run = monthly_services.run_monthly_supervision(
            actor=actor, month=form.cleaned_data["month"], watched=True
        )
    except DomainError as exc:
        if exc.code in ("not_found", "forbidden"):
            raise
        messages.error(request, exc.message)
        return redirect("console:monthly_sheets")
    messages.success(
        request,
        _("%(month)s：新生成 %(made)d 份督查表，已有 %(existing)d 份。")
        % {"month": f"{run.month:%Y-%m}", "made": len(run.made), "existing": run.existing},
    )
    return redirect(f"{reverse('console:monthly_sheets')}?month={run.month:%Y-%m}")


@require_GET
@admin_view
def monthly_sheet_file(request, sheet_id: int, kind: str):
    sheet = permissions.access_monthly_sheet(request.user, sheet_id)
    return attachment_response(sheet_attachment(sheet, kind))

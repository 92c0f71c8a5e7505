"""Organization life in the back office (issue 21, point 1): a held activity's six required
items, marked with their evidence, and a branch's dues register, where its secretary sets
dues bases and records payments."""

from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from dangjian import permissions
from dangjian.console.decorators import admin_view
from dangjian.console.views.base import render_page, trail
from dangjian.core import clock
from dangjian.core.files import download_response
from dangjian.core.item_evidence import posted_evidence
from dangjian.core.pages import asked_year, attempt
from dangjian.core.text import whole_number
from dangjian.interaction import selectors as interaction
from dangjian.orglife import exports, selectors, services
from dangjian.orglife.models import DuesCategory, PayMethod
from dangjian.permissions import Action
from dangjian.themedays.items import RequiredItem


@require_GET
@admin_view
def activity_items(request, activity_id: int):
    user = request.user
    activity = permissions.access_activity(user, activity_id)
    can_change = permissions.can(user, Action.CHANGE, activity)
    return render_page(
        request,
        "console/orglife/items.html",
        {
            "activity": activity,
            "crumbs": trail(user, activity.branch),
            "sheet": selectors.item_sheet(activity),
            "can_change": can_change,
            "photos": list(interaction.photos_of(activity)) if can_change else [],
            "packages": selectors.packages_for(activity) if can_change else [],
        },
    )


@require_POST
@admin_view
def activity_item_save(request, activity_id: int, item: str):
    activity = permissions.access_activity(request.user, activity_id, Action.CHANGE)
    if item not in RequiredItem.values:
        raise permissions.not_found()
    attempt(
        request,
        _("规定动作已登记。"),
        services.record_item,
        activity=activity,
        item=item,
        **posted_evidence(request.POST),
    )
    return redirect(reverse("console:activity_items", args=[activity.pk]) + f"#item-{item}")


@require_GET
@admin_view
def dues_register(request, branch_id: int):
    user = request.user
    branch = permissions.access_dues_register(user, branch_id)
    year = asked_year(request)
    today = clock.today()
    return render_page(
        request,
        "console/orglife/dues.html",
        {
            "branch": branch,
            "crumbs": trail(user, branch),
            "year": year,
            "years": list(range(today.year - 4, today.year + 2)),
            "register": selectors.dues_register(branch, year, today=today),
            "categories": DuesCategory.choices,
            "methods": PayMethod.choices,
            "this_month": f"{today:%Y-%m}",
        },
    )


@require_GET
@admin_view
def dues_export(request, branch_id: int):
    branch = permissions.access_dues_register(request.user, branch_id)
    register = selectors.dues_register(branch, asked_year(request))
    content, filename, content_type = exports.register_xlsx(register)
    return download_response(
        content, filename=filename, content_type=content_type, cache_control="no-store"
    )


def _back_to_register(branch, year) -> str:
    return redirect(reverse("console:dues_register", args=[branch.pk]) + f"?year={year}")


@require_POST
@admin_view
def dues_record(request, branch_id: int):
    user = request.user
    branch = permissions.access_dues_register(user, branch_id)
    member = permissions.access_dues_member(user, branch, request.POST.get("member_id"))
    month = request.POST.get("month", "")
    attempt(
        request,
        _("党费缴纳已登记。"),
        services.record_dues,
        member=member,
        month=month,
        method=request.POST.get("method", ""),
        amount=request.POST.get("amount") or None,
        note=request.POST.get("note", ""),
    )
    year = month[:4] if month[:4].isdigit() else clock.today().year
    return _back_to_register(branch, year)


@require_POST
@admin_view
def dues_base(request, branch_id: int):
    user = request.user
    branch = permissions.access_dues_register(user, branch_id)
    member = permissions.access_dues_member(user, branch, request.POST.get("member_id"))
    year = whole_number(request.POST.get("year"), digits=4) or clock.today().year
    attempt(
        request,
        _("党费基数已核定。"),
        services.set_dues_base,
        member=member,
        year=year,
        category=request.POST.get("category", ""),
        monthly_income=request.POST.get("monthly_income") or None,
    )
    return _back_to_register(branch, year)


@require_POST
@admin_view
def dues_cancel(request, record_id: int):
    record = permissions.access_dues_record(request.user, record_id, Action.CHANGE)
    branch, year = record.branch, record.month.year
    attempt(
        request,
        _("缴费记录已撤销。"),
        services.cancel_dues_record,
        record=record,
        reason=request.POST.get("reason", ""),
    )
    return _back_to_register(branch, year)

"""Organization life on the phone (issue 21, point 1): the branch secretary marks a held
activity's six required items with their evidence and records the month's Party dues;
the branch's members read the items. The rules are the services' (`orglife.services`);
these views carry input to them."""

from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from dangjian import permissions
from dangjian.core import clock
from dangjian.core.errors import DomainError
from dangjian.core.item_evidence import posted_evidence
from dangjian.core.pages import asked_year, attempt
from dangjian.interaction import selectors as interaction
from dangjian.mobile.decorators import member_view, signed_in
from dangjian.orglife import selectors, services
from dangjian.orglife.models import PayMethod
from dangjian.permissions import Action
from dangjian.scoring.selectors.periods import parse_month
from dangjian.themedays.items import RequiredItem


@require_http_methods(["GET", "POST"])
@signed_in
def activity_items(request, activity_id: int):
    user = request.user
    activity = permissions.access_activity(user, activity_id)
    can_change = permissions.can(user, Action.CHANGE, activity)
    if request.method == "POST":
        permissions.require(user, Action.CHANGE, activity)
        item = request.POST.get("item", "")
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
        url = reverse("mobile:activity_items", args=[activity.pk])
        return redirect(f"{url}#item-{item}")
    return render(
        request,
        "mobile/orglife/items.html",
        {
            "activity": activity,
            "sheet": selectors.item_sheet(activity),
            "can_change": can_change,
            "photos": list(interaction.photos_of(activity)) if can_change else [],
            "packages": selectors.packages_for(activity) if can_change else [],
        },
    )


@require_http_methods(["GET", "POST"])
@signed_in
def dues_month(request, branch_id: int):
    """A month of the branch's dues: who paid, and a quick form for each who has not."""
    user = request.user
    branch = permissions.access_dues_register(user, branch_id)
    raw = request.POST.get("month") or request.GET.get("month") or f"{clock.today():%Y-%m}"
    try:
        month = parse_month(raw)
    except DomainError:
        month = clock.today().replace(day=1)
    if request.method == "POST":
        member = permissions.access_dues_member(user, branch, request.POST.get("member_id"))
        # The month as posted: the service refuses one that is not a month, where the
        # page's fallback to this month would record the payment in the wrong month.
        attempt(
            request,
            _("已登记 %s 的党费。") % member.name,
            services.record_dues,
            member=member,
            month=request.POST.get("month", ""),
            method=request.POST.get("method", ""),
            amount=request.POST.get("amount") or None,
        )
        url = reverse("mobile:dues_month", args=[branch.pk])
        return redirect(f"{url}?month={month:%Y-%m}")
    register = selectors.dues_register(branch, month.year)
    rows = [
        (row.member, row.records.get(month), row.monthly_amount)
        for row in register.rows
        if row.member.branch_id == branch.pk
    ]
    return render(
        request,
        "mobile/orglife/dues.html",
        {
            "branch": branch,
            "month": month,
            "rows": rows,
            "unpaid": selectors.unpaid_members(branch, month),
            "methods": PayMethod.choices,
        },
    )


@require_http_methods(["GET"])
@member_view
def my_dues(request, member):
    """The member's own dues for a year: each month paid or not, and what is owed."""
    today = clock.today()
    year = asked_year(request)
    return render(
        request,
        "mobile/orglife/my_dues.html",
        {
            "member": member,
            "year": year,
            "years": [today.year - 1, today.year],
            "row": selectors.member_dues(member, year, today=today),
        },
    )

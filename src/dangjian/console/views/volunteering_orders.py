"""群众点单 in the back office: the review queue of the orders of the admin's communities
(waiting for review first, then overdue and unclaimed ones), any order's page with its
history and photos, and publishing (volunteers needed, skills), declining (a reason the
requester alone sees besides the admins) and cancelling it."""

from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from dangjian import permissions
from dangjian.console.decorators import admin_view
from dangjian.console.views.base import paginate, render_page
from dangjian.core.pages import attempt
from dangjian.permissions import Action
from dangjian.volunteering import orders as services
from dangjian.volunteering import selectors
from dangjian.volunteering.models import OrderState

PAGE_SIZE = 30


@require_GET
@admin_view
def order_queue(request):
    """The queue by default; `?state=` lists every order of the scope in that state
    (`?state=all`: in any)."""
    state = request.GET.get("state", "")
    if state:
        shown = None if state == "all" else state
        if shown is not None and shown not in OrderState.values:
            shown = None
        rows = selectors.orders(request.user, state=shown)
    else:
        rows = selectors.review_queue(request.user)
    return render_page(
        request,
        "console/volunteering/orders_queue.html",
        {
            "page": paginate(request, rows, PAGE_SIZE),
            "state": state,
            "states": OrderState.choices,
        },
    )


@require_GET
@admin_view
def order_detail(request, order_id: int):
    order = permissions.access_order(request.user, order_id)
    return render_page(
        request,
        "console/volunteering/orders_detail.html",
        {
            "order": order,
            "detail": selectors.detail(request.user, order),
        },
    )


def _back(order) -> object:
    return redirect(reverse("console:volunteer_order", args=[order.pk]))


@require_POST
@admin_view
def order_publish(request, order_id: int):
    order = permissions.access_order(request.user, order_id, Action.REVIEW)
    try:
        needed = int(request.POST.get("volunteers_needed", ""))
    except ValueError:
        needed = 0
    attempt(
        request,
        _("需求已发布，已通知可接单的党员。"),
        services.publish_order,
        order=order,
        volunteers_needed=needed,
        # Typed as text: people_rules.clean_skills splits it as the menu's skills are.
        skills=request.POST.get("skills", ""),
        note=request.POST.get("note", ""),
    )
    return _back(order)


@require_POST
@admin_view
def order_decline(request, order_id: int):
    order = permissions.access_order(request.user, order_id, Action.REVIEW)
    attempt(
        request,
        _("已不予受理，原因仅提交需求的群众可见。"),
        services.decline_order,
        order=order,
        reason=request.POST.get("reason", ""),
    )
    return _back(order)


@require_POST
@admin_view
def order_cancel(request, order_id: int):
    order = permissions.access_order(request.user, order_id)
    attempt(
        request,
        _("需求已取消。"),
        services.cancel_order,
        order=order,
        reason=request.POST.get("reason", ""),
    )
    return _back(order)

"""The member's volunteer pages on the phone (/m/volunteer/): the published orders that
reach them and the claim button, their claims, signing in and out at the place with the
phone's position (as the check-in page takes it), completing an order with a photo or a
text; and the citizen's confirmation and rating of a completed order (its form sits on the
citizen's order page)."""

from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from dangjian import permissions
from dangjian.core import clock
from dangjian.core.pages import attempt, domain_errors
from dangjian.mobile.decorators import member_view, signed_in
from dangjian.volunteering import claims, hours, rules
from dangjian.volunteering.models import ClaimState, OrderState


def volunteer_view(view):
    """A member's page whose missing or out-of-scope objects answer 404 (and refused
    actions 403), as every phone page's."""
    return member_view(domain_errors(view))


@volunteer_view
def orders(request, member):
    return render(
        request,
        "mobile/volunteering/orders.html",
        {
            "orders": claims.claimable_orders(request.user),
            "live_claims": claims.claims_of(member).filter(state__in=claims.LIVE)[:20],
        },
    )


@require_http_methods(["GET"])
@volunteer_view
def order_detail(request, member, order_id: int):
    order = permissions.access_order(request.user, order_id)
    claim = claims.claims_of(member).filter(order=order).exclude(state="released").first()
    now = clock.now()
    return render(
        request,
        "mobile/volunteering/order_detail.html",
        {
            "order": order,
            "claim": claim,
            "may_claim": claim is None
            and order.state in rules.OPEN_FOR_CLAIMS
            and order.claimed_count < order.volunteers_needed
            and order.requester.user_id != request.user.pk,
            "may_release": claim is not None
            and claim.state == ClaimState.CLAIMED
            and now < order.wanted_from,
            "may_complete": claim is not None and order.state == OrderState.IN_SERVICE,
            "evidence": order.photos.filter(kind="evidence"),
        },
    )


def _back(order_id: int):
    return redirect("mobile:volunteer_order", order_id=order_id)


@require_POST
@volunteer_view
def claim(request, member, order_id: int):
    order = permissions.access_order(request.user, order_id)
    attempt(request, _("接单成功，请按时到达服务地点签到。"), claims.claim_order, order=order)
    return _back(order.pk)


@require_POST
@volunteer_view
def release(request, member, claim_id: int):
    claim = permissions.access_claim(request.user, claim_id)
    attempt(request, _("已退单，名额已退回。"), claims.release_claim, claim=claim)
    return _back(claim.order_id)


@require_POST
@volunteer_view
def sign(request, member, claim_id: int):
    """The sign-in or sign-out form, posted by volunteer.js with the phone's position."""
    claim = permissions.access_claim(request.user, claim_id)
    signing_out = request.POST.get("action") == "out"
    attempt(
        request,
        _("已签退。") if signing_out else _("已签到，服务开始。"),
        claims.sign_out if signing_out else claims.sign_in,
        claim=claim,
        latitude=request.POST.get("latitude") or None,
        longitude=request.POST.get("longitude") or None,
        accuracy_m=request.POST.get("accuracy") or None,
        coord_system=request.POST.get("coord_system") or "wgs84",
    )
    return _back(claim.order_id)


@require_POST
@volunteer_view
def complete(request, member, order_id: int):
    order = permissions.access_order(request.user, order_id)
    attempt(
        request,
        _("服务已完成，等待群众评价。"),
        claims.complete_order,
        order=order,
        note=request.POST.get("note", ""),
        photos=request.FILES.getlist("photos"),
    )
    return _back(order.pk)


@volunteer_view
def my_claims(request, member):
    return render(
        request,
        "mobile/volunteering/claims.html",
        {"claims": claims.claims_of(member)[:100], "totals": hours.totals_of(member)},
    )


@require_POST
@signed_in
def confirm(request, order_id: int):
    """The citizen's confirmation and rating (1–5, once), from their order page."""
    order = permissions.access_order(request.user, order_id)
    try:
        rating = int(request.POST.get("rating", ""))
    except ValueError:
        rating = 0
    attempt(
        request,
        _("感谢您的评价！"),
        claims.confirm_order,
        order=order,
        rating=rating,
        comment=request.POST.get("comment", ""),
    )
    return redirect("citizens:citizen_order_detail", order_id=order.pk)

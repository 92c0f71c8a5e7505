"""Volunteer hours in the back office (/console/volunteering/hours/): make-up entries waiting
for a second admin's approval, finding a member, a member's ledger with its reversals, their
claims with the times an admin records where signing at the place was impossible, and the
certificate of service from the organizations that recorded the hours."""

from datetime import datetime

from django.contrib import messages
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from dangjian import permissions
from dangjian.console.decorators import admin_view
from dangjian.console.views.base import render_page
from dangjian.core.errors import DomainError
from dangjian.core.files import download_response
from dangjian.core.pages import attempt
from dangjian.permissions import Action
from dangjian.volunteering import certificates, claims, hours


@require_GET
@admin_view
def hours_index(request):
    query = request.GET.get("q", "").strip()[:50]
    found = []
    if query:
        found = list(
            permissions.scoped_members(request.user)
            .filter(name__contains=query)
            .select_related("branch")
            .order_by("name", "pk")[:30]
        )
    return render_page(
        request,
        "console/volunteering/hours_index.html",
        {
            "query": query,
            "found": found,
            "makeups": claims.pending_makeups(request.user)[:100],
        },
    )


@require_GET
@admin_view
def member_hours(request, member_id: int):
    member = permissions.access_member_hours(request.user, member_id)
    orgs = [o for o in hours.recording_orgs(member) if permissions.is_admin_over(request.user, o)]
    return render_page(
        request,
        "console/volunteering/hours_member.html",
        {
            "member": member,
            "totals": hours.totals_of(member),
            "entries": hours.entries_of(member)[:200],
            "certifying_orgs": orgs,
            "claims": claims.claims_in_scope(request.user, member)[:100],
            "is_admin_over": {o.pk for o in orgs},
        },
    )


def _back(member_id: int):
    return redirect("console:volunteer_member_hours", member_id=member_id)


@require_POST
@admin_view
def reverse_entry(request, entry_id: int):
    entry = permissions.access_hours_entry(request.user, entry_id)
    attempt(
        request,
        _("已冲销。"),
        hours.reverse_hours_entry,
        entry=entry,
        reason=request.POST.get("reason", ""),
    )
    return _back(entry.member_id)


def _local(value: str) -> datetime:
    """A datetime-local field's value, in the server's zone."""
    parsed = parse_datetime(value or "")
    if parsed is None:
        raise DomainError("validation_error", _("请填写正确的时间"))
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


@require_POST
@admin_view
def record_times(request, claim_id: int):
    claim = permissions.access_claim(request.user, claim_id, Action.CHANGE)
    try:
        signed_in_at = _local(request.POST.get("signed_in_at", ""))
        signed_out_at = _local(request.POST.get("signed_out_at", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
        return _back(claim.member_id)
    attempt(
        request,
        _("服务时间已登记（已标注为管理员登记）。"),
        claims.record_service_times,
        claim=claim,
        signed_in_at=signed_in_at,
        signed_out_at=signed_out_at,
        reason=request.POST.get("reason", ""),
    )
    if request.POST.get("next") == "order":
        return redirect("console:volunteer_order", order_id=claim.order_id)
    return _back(claim.member_id)


@require_POST
@admin_view
def remove_claim(request, claim_id: int):
    claim = permissions.access_claim(request.user, claim_id, Action.CHANGE)
    attempt(
        request,
        _("已撤销该志愿者的接单，名额已重新开放。"),
        claims.remove_claim,
        claim=claim,
        reason=request.POST.get("reason", ""),
    )
    return redirect("console:volunteer_order", order_id=claim.order_id)


@require_POST
@admin_view
def approve_makeup(request, claim_id: int):
    claim = permissions.access_claim(request.user, claim_id, Action.CHANGE)
    attempt(request, _("补录已审批。"), claims.approve_makeup, claim=claim)
    if request.POST.get("next") == "index":
        return redirect("console:volunteer_hours")
    return _back(claim.member_id)


@require_GET
@admin_view
def certificate(request, member_id: int, org_id: int):
    member = permissions.access_member_hours(request.user, member_id)
    org = permissions.access_org(request.user, org_id)
    try:
        cert = certificates.issue_certificate(actor=request.user, member=member, org=org)
    except DomainError as exc:
        if exc.code in ("not_found", "forbidden"):
            raise
        messages.error(request, exc.message)
        return _back(member.pk)
    return download_response(
        cert.pdf, filename=cert.filename, content_type="application/pdf", cache_control="no-store"
    )

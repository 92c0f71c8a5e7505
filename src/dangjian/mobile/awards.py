"""The phone's 季度评选 page: the published quarterly awards that reach the reader (the
members and admins of the city), newest quarter first, each with its golden-idea cases,
advanced branches and model members; the certificates of the reader's own awards and of
their branch's."""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from dangjian import permissions
from dangjian.core.files import download_response
from dangjian.mobile.decorators import signed_in
from dangjian.supervision import award_certificates, award_selectors
from dangjian.supervision.models import AwardKind

ROUNDS_SHOWN = 8


@require_GET
@signed_in
def awards(request):
    actor = request.user
    member = permissions.own_member(actor)
    rounds = []
    for award_round in award_selectors.published_rounds(actor)[:ROUNDS_SHOWN]:
        results = award_selectors.results_of(actor, award_round)
        rounds.append(
            {
                "round": award_round,
                "groups": [(AwardKind(kind).label, rows) for kind, rows in results.items()],
            }
        )
    return render(
        request,
        "mobile/awards.html",
        {
            "rounds": rounds,
            "own_member_id": member.pk if member else None,
            "own_branch_id": member.branch_id if member else None,
        },
    )


@require_GET
@signed_in
def award_certificate(request, nomination_id: int):
    actor = request.user
    nomination = permissions.access_nomination(actor, nomination_id)
    certificate = award_certificates.shown_certificate(actor=actor, nomination=nomination)
    if certificate is None:
        raise Http404
    return download_response(
        certificate.pdf,
        filename=f"certificate-{nomination.pk}.pdf",
        content_type="application/pdf",
        inline=True,
    )

"""The quarterly bulletin on the phone: the page its notice links to (what it is, whether a
later version corrects it) and its PDF, for everyone in the subtree it was published to."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from dangjian import permissions
from dangjian.core.files import attachment_response
from dangjian.mobile.decorators import signed_in
from dangjian.supervision import bulletins


@require_GET
@signed_in
def bulletin(request, bulletin_id: int):
    found = permissions.access_bulletin(request.user, bulletin_id)
    current = bulletins.current_version(found)
    return render(
        request,
        "mobile/bulletin.html",
        {"b": found, "current": current if current and current.pk != found.pk else None},
    )


@require_GET
@signed_in
def bulletin_pdf(request, bulletin_id: int):
    found = permissions.access_bulletin(request.user, bulletin_id)
    return attachment_response(bulletins.file_of(found, "pdf"))

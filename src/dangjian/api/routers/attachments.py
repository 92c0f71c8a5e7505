"""Downloading the files attached to campaigns and to rectifications' answers: the `url` of
every attachment the API lists points here. Each file is read through the scope check of
what it is attached to (missing and out of scope answer the same 404) and streamed from
the configured storage (the file system or an S3-compatible bucket) with the type it was
recognised as when it was uploaded; nothing is served from a public address."""

from ninja import Router

from dangjian import permissions
from dangjian.api.auth import actor
from dangjian.api.schemas import ErrorOut
from dangjian.core.files import attachment_response

router = Router(tags=["attachments"])
ERRORS = {401: ErrorOut, 404: ErrorOut}


@router.get(
    "/campaign-attachments/{attachment_id}/download",
    response={200: None, **ERRORS},
    url_name="campaign_attachment_download",
)
def campaign_attachment(request, attachment_id: int):
    """A campaign's infographic or document, for those who read the campaign."""
    attachment = permissions.access_campaign_attachment(actor(request), attachment_id)
    return attachment_response(attachment, cache_control="private, max-age=3600")


@router.get(
    "/rectification-attachments/{attachment_id}/download",
    response={200: None, **ERRORS},
    url_name="rectification_attachment_download",
)
def rectification_attachment(request, attachment_id: int):
    """A file of a rectification's answer, for the admins over its branch."""
    attachment = permissions.access_rectification_attachment(actor(request), attachment_id)
    return attachment_response(attachment)

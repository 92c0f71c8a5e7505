"""Files the API sends and images it receives, answered alike by every router."""

from collections.abc import Callable

from django.http import HttpResponse
from ninja import Status

from dangjian.core.errors import DomainError
from dangjian.core.files import download_response

# An image upload (an activity's photo, an article's cover, an order's photo) answers these
# with 422 like its other refusals of the image (`image_too_large`), as docs/api.md says,
# not with the 413 `file_too_large` means elsewhere.
IMAGE_REFUSALS = ("file_too_large", "unsupported_file")


def made_file(content: bytes, filename: str, content_type: str) -> HttpResponse:
    """A file a domain function made for this caller (the `(content, filename, content_type)`
    that exports and templates answer), as an attachment that no cache keeps: most hold
    personal data this caller was let read."""
    return download_response(
        content, filename=filename, content_type=content_type, cache_control="no-store"
    )


def image_upload(status: int, upload: Callable[[], object]) -> Status:
    """`upload()`'s result with `status`, or 422 with the error when it refuses the file."""
    try:
        return Status(status, upload())
    except DomainError as exc:
        if exc.code in IMAGE_REFUSALS:
            return Status(422, exc.as_dict())
        raise

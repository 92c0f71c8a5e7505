"""Images the API receives, answered alike by every router."""

from collections.abc import Callable

from ninja import Status

from dangjian.core.errors import DomainError

# An image upload (an activity's photo, an article's cover, an order's photo) answers these
# with 422 like its other refusals of the image (`image_too_large`), as docs/api.md says,
# not with the 413 `file_too_large` means elsewhere.
IMAGE_REFUSALS = ("file_too_large", "unsupported_file")


def image_upload(status: int, upload: Callable[[], object]) -> Status:
    """`upload()`'s result with `status`, or 422 with the error when it refuses the file."""
    try:
        return Status(status, upload())
    except DomainError as exc:
        if exc.code in IMAGE_REFUSALS:
            return Status(422, exc.as_dict())
        raise

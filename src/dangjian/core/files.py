"""What an uploaded document is, read from its first bytes, never from its name; how one is
kept (under a random name); and how one is handed back (never by its storage URL: always
through a view that checked scope)."""

import secrets
from typing import NamedTuple

from django.conf import settings
from django.core.files.base import File
from django.http import FileResponse, HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from dangjian.core.errors import DomainError

# Images and PDF: what campaigns carry as infographics and what rectifications carry as
# evidence. Photos of activities have their own, stricter pipeline (interaction.images).
ATTACHMENT_TYPES = {
    b"\x89PNG\r\n\x1a\n": ("image/png", ".png"),
    b"\xff\xd8\xff": ("image/jpeg", ".jpg"),
    b"%PDF-": ("application/pdf", ".pdf"),
    b"RIFF": ("image/webp", ".webp"),
}


def sniff_attachment(head: bytes) -> tuple[str, str] | None:
    """(content type, extension) of a PNG, JPEG, WebP or PDF, or None for anything else."""
    for magic, kind in ATTACHMENT_TYPES.items():
        if head.startswith(magic):
            if magic == b"RIFF" and head[8:12] != b"WEBP":
                return None
            return kind
    return None


class CheckedAttachment(NamedTuple):
    size: int
    content_type: str
    extension: str


def check_attachment(file, *, max_bytes: int) -> CheckedAttachment:
    """An uploaded attachment's size and what it is: an image or a PDF (by its first bytes)
    of at most `max_bytes`, else DomainError `file_too_large` (with the `limit` in bytes, so
    a client can say it before the next try) or `unsupported_file`."""
    size = getattr(file, "size", None) or 0
    if size > max_bytes:
        raise DomainError(
            "file_too_large",
            _("附件不能超过 %d MB") % (max_bytes // (1024 * 1024)),
            limit=max_bytes,
        )
    head = file.read(16)
    file.seek(0)
    kind = sniff_attachment(head)
    if kind is None:
        raise DomainError("unsupported_file", _("附件只能是图片（PNG、JPEG、WebP）或 PDF"))
    return CheckedAttachment(size, *kind)


def attachment_name(name: str | None) -> str:
    """The name an attachment is shown and downloaded under: the uploader's, cut to fit."""
    return (name or "attachment")[:200]


def store_attachment(
    attachment, file, checked: CheckedAttachment, *, name: str | None, created_at
) -> None:
    """Fill in and save `attachment` (a model with `file`, `name`, `content_type`, `size` and
    `created_at`, its owner already set) with the upload stored under a random name: the
    uploader's name is only ever shown, never used as a path."""
    attachment.name = attachment_name(name)
    attachment.content_type = checked.content_type
    attachment.size = checked.size
    attachment.created_at = created_at
    attachment.file.save(f"{secrets.token_hex(8)}{checked.extension}", File(file), save=False)
    attachment.save()


def save_document(attachment, file, *, name: str | None, created_at) -> dict:
    """Check an uploaded document (an image or a PDF within CAMPAIGN_ATTACHMENT_MAX_BYTES, the
    limit a campaign's and an article's documents share) and keep it as `attachment` (see
    store_attachment). Returns what the audit entry of the upload notes: the shown name and
    the sniffed type."""
    checked = check_attachment(file, max_bytes=settings.CAMPAIGN_ATTACHMENT_MAX_BYTES)
    store_attachment(attachment, file, checked, name=name, created_at=created_at)
    return {"attachment": attachment.name, "content_type": checked.content_type}


def attachment_response(attachment, *, cache_control: str = "private, no-store") -> FileResponse:
    """Stream a stored attachment (anything with `file`, `content_type` and `name`) with
    the type that was sniffed when it was uploaded, and forbid the browser's own sniffing.
    The caller has checked that the user may read it."""
    response = FileResponse(
        attachment.file.open("rb"), content_type=attachment.content_type, filename=attachment.name
    )
    response["Cache-Control"] = cache_control
    response["X-Content-Type-Options"] = "nosniff"
    return response


def download_response(
    content,
    *,
    filename: str,
    content_type: str,
    inline: bool = False,
    cache_control: str = "private, no-store",
) -> HttpResponse:
    """Send a file the caller has already made (bytes) or opened (a binary handle, streamed),
    never cached by a shared proxy: the caller has checked that the user may read it."""
    if isinstance(content, bytes | bytearray):
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = content_disposition_header(not inline, filename)
    else:
        response = FileResponse(
            content, as_attachment=not inline, filename=filename, content_type=content_type
        )
    response["Cache-Control"] = cache_control
    return response


def made_file(content: bytes, filename: str, content_type: str) -> HttpResponse:
    """A file a domain function made for this caller (the `(content, filename, content_type)`
    that exports and templates answer), as an attachment that no cache keeps: most hold
    personal data this caller was let read."""
    return download_response(
        content, filename=filename, content_type=content_type, cache_control="no-store"
    )

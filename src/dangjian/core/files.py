"""What an uploaded document is, read from its first bytes, never from its name; and how
one is handed back (never by its storage URL: always through a view that checked scope)."""

from django.http import FileResponse

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

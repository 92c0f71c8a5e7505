"""What an uploaded document is, read from its first bytes, never from its name."""

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

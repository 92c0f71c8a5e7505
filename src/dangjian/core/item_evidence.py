"""The form of a required item's evidence, which the console's and the phone's
organization-life pages both render with the same fields: what its POST gives
`orglife.services.record_item`, read in one place so that the two pages cannot drift."""

from dangjian.core.text import whole_number


def posted_evidence(post) -> dict:
    """The evidence as `record_item` takes it. A field the item does not show arrives
    empty; the service checks the rest (lengths, whose photos and package)."""
    return {
        "is_done": post.get("is_done") == "1",
        "text": post.get("text", ""),
        "matters": post.get("matters", ""),
        "decisions": post.get("decisions", ""),
        "package_id": post.get("package_id") or None,
        # The service reads the ids as numbers: anything else is dropped, not a 500.
        "photo_ids": [p for p in post.getlist("photo_ids") if whole_number(p) is not None],
    }

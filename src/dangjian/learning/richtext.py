"""Articles' rich text: what HTML an article body may hold, and its plain text.

Bodies come from an editor or are pasted from other sites, so they are sanitized with nh3
(the Ammonia sanitizer) before they are stored, and the stored HTML is what pages show as
it is. Kept: paragraphs, headings, emphasis, lists, quotes, tables and links (http, https,
mailto; opened without a referrer). Dropped: scripts and styles with their content, every
event handler and style attribute, images (an article's pictures are its cover and
attachments, served after a scope check, not fetched from other sites by members'
phones), frames and forms."""

import html
import re

import nh3

TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "strong", "b", "em", "i", "u", "s", "sub", "sup",
    "blockquote", "ul", "ol", "li", "a", "span", "div", "figure", "figcaption",
    "table", "caption", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}
URL_SCHEMES = {"http", "https", "mailto"}
# Removed with everything inside them (the rest keep their text when they are dropped).
DROPPED_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "noscript", "template"}
_SPACES = re.compile(r"\s+")


def clean(body: str) -> str:
    """The body as it is stored: sanitized HTML."""
    return nh3.clean(
        body or "",
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        clean_content_tags=DROPPED_WITH_CONTENT,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    ).strip()


def text_of(body: str) -> str:
    """The plain text of a (sanitized) body, spaces collapsed: what search looks in and
    what the length of an article is counted on."""
    # Block ends become spaces so that words of two paragraphs do not run together.
    spaced = re.sub(r"(?i)<(br|/p|/h[2-4]|/li|/td|/th|/div|/blockquote)\b[^>]*>", " ", body)
    text = html.unescape(nh3.clean(spaced, tags=set(), clean_content_tags=DROPPED_WITH_CONTENT))
    return _SPACES.sub(" ", text).strip()

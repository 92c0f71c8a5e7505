"""Which characters text may hold, wherever it arrives (pages, API, imports).

C0 control characters (U+0000–U+001F) are never text a person typed: PostgreSQL refuses
NUL in any text or JSON column, and openpyxl refuses the others in a spreadsheet cell, so
one stored in a name would break every export that includes it. Tab, line feed and
carriage return are the exception, in multi-line fields (a comment, a reflection); a
single-line field (a name, a place) takes them as a space.

`checked_text` is the one rule for the free text a service takes (a reason, a summary, a
comment): blanks around it dropped, then required and within a length where the field says."""

import re

from django.utils.translation import gettext as _

from dangjian.core.errors import DomainError

# The C0 controls that no field may hold: all of them but tab, line feed, carriage return.
FORBIDDEN_CONTROLS = "\x00-\x08\x0b\x0c\x0e-\x1f"
FORBIDDEN_RE = re.compile(f"[{FORBIDDEN_CONTROLS}]")
_LINE_BREAKS_RE = re.compile("[\t\n\r]")


def whole_number(raw: str | None, *, digits: int = 18) -> int | None:
    """`raw` as a non-negative whole number when it is ASCII digits only (at most `digits` of
    them), else None. `str.isdigit()` alone is not enough: it is true of "²" and "①",
    which `int()` refuses with a ValueError (a 500 on the page that trusted it)."""
    raw = (raw or "").strip()
    if raw.isascii() and raw.isdigit() and len(raw) <= digits:
        return int(raw)
    return None


def has_forbidden_controls(text: str) -> bool:
    return FORBIDDEN_RE.search(text) is not None


def single_line(text: str) -> str:
    """`text` for a one-line field: the forbidden controls dropped, tab and line breaks read
    as spaces (a pasted cell keeps its words apart), surrounding blanks stripped."""
    return _LINE_BREAKS_RE.sub(" ", FORBIDDEN_RE.sub("", text)).strip()


def checked_text(
    value: str | None,
    *,
    field: str,
    missing: str | None = None,
    missing_code: str = "validation_error",
    limit: int | None = None,
    too_long: str | None = None,
) -> str:
    """`value` stripped. With `missing`, empty text is refused with that message (and
    `missing_code`); with `limit`, longer text with `too_long` (by default a message naming
    the limit). Both refusals name `field`."""
    text = (value or "").strip()
    if missing is not None and not text:
        raise DomainError(missing_code, missing, field=field)
    if limit is not None and len(text) > limit:
        message = too_long if too_long is not None else _("内容不能超过 %d 个字") % limit
        raise DomainError("validation_error", message, field=field)
    return text

"""The one exception that services raise. Pages show `message`; the API answers
`{"code", "message", **details}` with an HTTP status chosen by the API layer."""

from collections.abc import Iterable

from django.utils.translation import gettext as _


class DomainError(Exception):
    def __init__(self, code: str, message: str, **details):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = str(message)
        self.details = details

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message, **self.details}


def refuse_unknown_fields(changes: Iterable[str], editable: Iterable[str]) -> None:
    """A partial update (`update_…(**changes)`) names only fields its service edits: any
    other is refused, every one of them named, before anything is read or written."""
    unknown = set(changes) - set(editable)
    if unknown:
        raise DomainError("validation_error", _("不能修改这些字段：") + ", ".join(sorted(unknown)))

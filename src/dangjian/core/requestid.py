"""A short random id for each request, so that an error a user reports (the API's 500 body,
the X-Request-ID header, the error page) leads to its lines in the log.

core.middleware.RequestIdMiddleware sets it for the time of a request; the log handler of
settings.LOGGING writes it on every line through `LogFilter` ("-" outside a request). This
module imports nothing of Django's, so that the logging configuration can load it before
the apps are."""

import logging
import secrets
from contextvars import ContextVar

HEADER = "X-Request-ID"
NONE = "-"

_current: ContextVar[str] = ContextVar("request_id", default=NONE)


def new() -> str:
    """Twelve hex digits: short enough to read out on the phone, unique enough for a day's log."""
    return secrets.token_hex(6)


def current() -> str:
    return _current.get()


def begin(request_id: str):
    """Make `request_id` the current one; give the returned token to `end`."""
    return _current.set(request_id)


def end(token) -> None:
    _current.reset(token)


class LogFilter(logging.Filter):
    """Gives every record a `request_id` attribute for the formatter: the current request's,
    or that of the request the record names (Django logs a 4xx answer with `request` after
    the middleware has returned)."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = _current.get()
        if request_id == NONE:
            request_id = getattr(getattr(record, "request", None), "request_id", NONE)
        record.request_id = request_id
        return True

"""Server time only: every 'now' in the code base comes from here so tests can move it."""

from datetime import date, datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()


def today() -> date:
    return timezone.localdate()

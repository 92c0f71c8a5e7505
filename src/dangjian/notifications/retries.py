"""When an outbound delivery (a webhook batch, an SMS, a WeChat message) is overdue: the
scheduled sweeps' rule, one for every channel, each with its own attempts and backoff."""

from collections.abc import Callable
from datetime import datetime, timedelta

from django.db.models import Q


def overdue(
    *, now: datetime, max_attempts: int, backoff_seconds: Callable[[int], int], grace: int
) -> Q:
    """Pending rows whose next attempt should have started: created longer ago than the
    backoff of the attempts they have had, plus `grace` seconds (their task never reached
    the broker, or was lost with it)."""
    condition = Q()
    for attempts in range(max_attempts):
        waited = sum(backoff_seconds(n) for n in range(1, attempts + 1)) + grace
        condition |= Q(attempts=attempts, created_at__lte=now - timedelta(seconds=waited))
    return condition

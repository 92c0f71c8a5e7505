"""When an outbound delivery (a webhook batch, an SMS, a WeChat message) is overdue, and
the scheduled sweep that attempts it: one for every channel, each with its own attempts
and backoff."""

from collections.abc import Callable
from datetime import datetime, timedelta

from django.db.models import Q

from dangjian.core import clock
from dangjian.notifications.models import OutboundStatus


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


def sweep(model, deliver, *, max_attempts: int, backoff_seconds, grace: int) -> int:
    """Attempt (`deliver(pk)`) the pending rows of `model` that are overdue, the oldest
    first, at most 500 a run; how many were attempted."""
    condition = overdue(
        now=clock.now(), max_attempts=max_attempts, backoff_seconds=backoff_seconds, grace=grace
    )
    due = list(
        model.objects.filter(status=OutboundStatus.PENDING)
        .filter(condition)
        .order_by("created_at")
        .values_list("pk", flat=True)[:500]
    )
    for pk in due:
        deliver(pk)
    return len(due)
